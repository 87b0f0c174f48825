#!/usr/bin/env python3
"""token_server.py - a stand-in for the Microsoft Entra ID v2 token endpoint.

Binds 127.0.0.1:0, prints its port on the first stdout line, and answers
POST /<tenant>/oauth2/v2.0/token (client credentials grant, eventhubs.md §4):
  client_secret     must equal --secret
  client_assertion  (type urn:ietf:params:oauth:client-assertion-type:jwt-bearer)
                    either the content of --federated-file (workload identity,
                    compared trimmed), or an RS256 JWT: signature verified with
                    the --cert public key by the openssl CLI, x5t / x5t#S256 =
                    SHA-1 / SHA-256 thumbprints of the DER certificate, aud = this
                    endpoint's URL, iss = sub = client id, jti present,
                    nbf/iat <= now <= exp, exp - iat <= 600.
Success: 200 {"token_type":"Bearer","expires_in":N,"access_token":"tok.<flow>.<n>",...}.
Failure: 400/401 {"error":..,"error_description":"AADSTS...","error_codes":[..],...},
shaped like Entra's answers. One line per request goes to --log. Tenants
busy-tenant (503) and broken-tenant (200 without access_token) fail on purpose.
Python 3 standard library + the openssl CLI only.
"""
import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_header(s):
    """The JOSE header of a compact JWT, or {} when s is not one."""
    try:
        h = json.loads(b64url_decode(s.split(".")[0])) if s.count(".") == 2 else {}
        return h if isinstance(h, dict) else {}
    except Exception:
        return {}


class Denied(Exception):
    def __init__(self, status, error, code, desc):
        super().__init__(desc)
        self.status, self.error, self.code, self.desc = status, error, code, desc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--scope", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--cert", required=True, help="PEM certificate registered for the app")
    ap.add_argument("--federated-file", required=True)
    ap.add_argument("--expires-in", type=int, default=3599)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="sluice-tokensrv.")
    pub = os.path.join(work, "pub.pem")
    subprocess.run(["openssl", "x509", "-in", a.cert, "-pubkey", "-noout", "-out", pub], check=True)
    der = subprocess.run(["openssl", "x509", "-in", a.cert, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    x5t = b64url(hashlib.sha1(der).digest())
    x5t256 = b64url(hashlib.sha256(der).digest())
    issued = [0]
    logf = open(a.log, "a", buffering=1)

    def check_jwt(assertion, aud):
        parts = assertion.split(".")
        if len(parts) != 3:
            raise Denied(401, "invalid_client", 700027, "AADSTS700027: Client assertion is not a JWT.")
        try:
            hdr = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except Exception:
            raise Denied(401, "invalid_client", 700027, "AADSTS700027: Client assertion cannot be decoded.")
        if hdr.get("alg") != "RS256" or hdr.get("typ") != "JWT":
            raise Denied(401, "invalid_client", 700027, "AADSTS700027: unexpected alg/typ %r." % hdr)
        if hdr.get("x5t") != x5t or hdr.get("x5t#S256") != x5t256:
            raise Denied(401, "invalid_client", 700027,
                         "AADSTS700027: Client assertion contains an invalid signature. "
                         "[Reason - The key was not found., Thumbprint of key used by client: '%s']"
                         % hdr.get("x5t"))
        data = os.path.join(work, "data")
        sigf = os.path.join(work, "sig")
        with open(data, "wb") as f:
            f.write((parts[0] + "." + parts[1]).encode())
        with open(sigf, "wb") as f:
            f.write(sig)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sigf, data],
                           capture_output=True)
        if r.returncode != 0 or b"Verified OK" not in r.stdout:
            raise Denied(401, "invalid_client", 700027,
                         "AADSTS700027: Client assertion contains an invalid signature.")
        now = time.time()
        want = {"aud": aud, "iss": a.client_id, "sub": a.client_id}
        for k, v in want.items():
            if claims.get(k) != v:
                raise Denied(401, "invalid_client", 700021,
                             "AADSTS700021: claim %s is %r, expected %r." % (k, claims.get(k), v))
        if not isinstance(claims.get("jti"), str) or len(claims["jti"]) < 16:
            raise Denied(401, "invalid_client", 700022, "AADSTS700022: jti missing.")
        for k in ("nbf", "iat", "exp"):
            if not isinstance(claims.get(k), int):
                raise Denied(401, "invalid_client", 700023, "AADSTS700023: %s missing." % k)
        if not (claims["nbf"] <= now + 5 and claims["iat"] <= now + 5 and claims["exp"] > now
                and claims["exp"] - claims["iat"] <= 600):
            raise Denied(401, "invalid_client", 700024,
                         "AADSTS700024: Client assertion is not within its valid time range.")

    class H(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def answer(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            port = self.server.server_address[1]
            aud = "http://127.0.0.1:%d/%s/oauth2/v2.0/token" % (port, a.tenant)
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n).decode()
            flow = "?"
            # two fixed tenants for the endpoint's own failures (not logged)
            if self.path == "/busy-tenant/oauth2/v2.0/token":
                self.answer(503, {"error": "temporarily_unavailable",
                                  "error_description": "AADSTS90033: A transient error has occurred."})
                return
            if self.path == "/broken-tenant/oauth2/v2.0/token":
                self.answer(200, {"token_type": "Bearer", "expires_in": 3599})
                return
            try:
                if self.path != "/%s/oauth2/v2.0/token" % a.tenant:
                    raise Denied(400, "invalid_tenant", 90002,
                                 "AADSTS90002: Tenant or path %r not found." % self.path)
                if not self.headers.get("Content-Type", "").startswith(
                        "application/x-www-form-urlencoded"):
                    raise Denied(400, "invalid_request", 900144, "AADSTS900144: not a form post.")
                form = urllib.parse.parse_qs(raw, keep_blank_values=True, strict_parsing=True)
                f = {k: v[0] for k, v in form.items() if len(v) == 1}
                if len(f) != len(form):
                    raise Denied(400, "invalid_request", 90014, "AADSTS90014: a field is repeated.")
                if f.get("grant_type") != "client_credentials":
                    raise Denied(400, "unsupported_grant_type", 70003, "AADSTS70003: grant_type.")
                if f.get("client_id") != a.client_id:
                    raise Denied(400, "unauthorized_client", 700016,
                                 "AADSTS700016: Application with identifier '%s' was not found."
                                 % f.get("client_id"))
                if f.get("scope") != a.scope:
                    raise Denied(400, "invalid_scope", 1002012,
                                 "AADSTS1002012: The provided value for scope %s is not valid."
                                 % f.get("scope"))
                if "client_secret" in f:
                    flow = "secret"
                    if "client_assertion" in f:
                        raise Denied(400, "invalid_request", 90014, "AADSTS90014: two credentials.")
                    if f["client_secret"] != a.secret:
                        raise Denied(401, "invalid_client", 7000215,
                                     "AADSTS7000215: Invalid client secret provided. Ensure the "
                                     "secret being sent in the request is the client secret value, "
                                     "not the client secret ID.\r\nTrace ID: 0000\r\nCorrelation ID: 1111")
                elif "client_assertion" in f:
                    if f.get("client_assertion_type") != JWT_BEARER:
                        raise Denied(400, "invalid_request", 50027, "AADSTS50027: assertion type.")
                    fed = open(a.federated_file).read().strip()
                    if f["client_assertion"] == fed:
                        flow = "federated"
                    elif "x5t" in jwt_header(f["client_assertion"]):
                        flow = "certificate"
                        check_jwt(f["client_assertion"], aud)
                    else:
                        flow = "federated"
                        raise Denied(401, "invalid_client", 700211,
                                     "AADSTS700211: No matching federated identity record "
                                     "found for presented assertion.")
                else:
                    raise Denied(400, "invalid_request", 7000218,
                                 "AADSTS7000218: The request body must contain client_assertion "
                                 "or client_secret.")
            except Denied as d:
                logf.write("deny flow=%s status=%d error=%s\n" % (flow, d.status, d.error))
                self.answer(d.status, {"error": d.error, "error_description": d.desc,
                                       "error_codes": [d.code], "timestamp": "2026-11-30 00:00:00Z",
                                       "trace_id": "0000", "correlation_id": "1111",
                                       "error_uri": "https://login.microsoftonline.com/error?code=%d" % d.code})
                return
            except Exception as e:  # malformed form, bad JSON in a header
                logf.write("deny flow=%s status=400 error=%r\n" % (flow, e))
                self.answer(400, {"error": "invalid_request", "error_description": "bad request: %r" % e})
                return
            issued[0] += 1
            logf.write("grant flow=%s n=%d\n" % (flow, issued[0]))
            self.answer(200, {"token_type": "Bearer", "expires_in": a.expires_in,
                              "ext_expires_in": a.expires_in,
                              "extra": {"nested": [1, 2.5, {"k": "v\"}"}], "t": True, "n": None},
                              "access_token": "tok.%s.%d" % (flow, issued[0])})

    srv = HTTPServer(("127.0.0.1", 0), H)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
