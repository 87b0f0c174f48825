#!/usr/bin/env bash
# entra.sh - eh_entra_token against token_server.py (a local stand-in for the
# Entra ID token endpoint): client secret, certificate (RS256 assertion checked
# with the openssl CLI), workload identity (federated token file), which
# variable wins, and the failures: wrong secret (the server's error text, and
# never the secret), unregistered certificate, encrypted key without its
# password, wrong federated token, missing variables, http:// to a non-loopback
# host, an endpoint nobody listens on, 503, a 200 without a token.
#   usage: entra.sh TOKEN_CLI
set -euo pipefail
CLI=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/sluice-auth.XXXXXX)
SRV=
cleanup() {
  [ -n "$SRV" ] && { kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; }
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
for v in $(compgen -e | grep '^AZURE_' || true); do unset "$v"; done

# throwaway credentials: the registered key+certificate, an unregistered one,
# the registered key encrypted with a password
ossl() { openssl "$@" 2> "$T/openssl.err" || { cat "$T/openssl.err"; fail "openssl $1"; }; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj /CN=sluice-test
cat "$T/key.pem" "$T/cert.pem" > "$T/app.pem"
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key2.pem" -out "$T/cert2.pem" -days 2 \
  -subj /CN=sluice-other
cat "$T/key2.pem" "$T/cert2.pem" > "$T/other.pem"
ossl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/key.pem" -out "$T/key.enc.pem" -passout pass:pem-pw-123
cat "$T/key.enc.pem" "$T/cert.pem" > "$T/app.enc.pem"
SECRET='s3cr3t~Value.With+Specials/&='
WRONG='wr0ng~SecretValue+XYZ'
printf 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpzbHVpY2UifQ.c2lnbmF0dXJl\n' > "$T/fed.jwt"
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.b3RoZXI\n' > "$T/fed-wrong.jwt"
: > "$T/empty.jwt"
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=11111111-2222-3333-4444-555555555555
SCOPE=https://eventhubs.azure.net/.default

python3 "$HERE/token_server.py" --tenant "$TENANT" --client-id "$CLIENT" --scope "$SCOPE" \
  --secret "$SECRET" --cert "$T/cert.pem" --federated-file "$T/fed.jwt" --log "$T/srv.log" \
  > "$T/port" 2> "$T/srv.err" &
SRV=$!
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { cat "$T/srv.err"; fail "token server did not start"; }
PORT=$(head -1 "$T/port")
AUTH="http://127.0.0.1:$PORT/"   # trailing '/' on purpose: the client must not double it

# cli NAME VAR=VALUE...: run the driver with exactly these AZURE_* variables;
# output in $T/NAME.out, status in RC
cli() {
  local name=$1; shift
  RC=0
  env "$@" "$CLI" "$SCOPE" < /dev/null > "$T/$name.out" 2>&1 || RC=$?
  OUT=$(cat "$T/$name.out")
}
BASE=(AZURE_TENANT_ID="$TENANT" AZURE_CLIENT_ID="$CLIENT" AZURE_AUTHORITY_HOST="$AUTH")
want_ok() { # name flow
  [ "$RC" = 0 ] || fail "$1: rc $RC: $OUT"
  [[ "$OUT" =~ ^ok\ expires_in=(3598|3599)\ token=tok\.$2\.[0-9]+$ ]] || fail "$1: output: $OUT"
}
want_err() { # name rc-name substring
  [ "$RC" = 1 ] || fail "$1: rc $RC, want 1: $OUT"
  [[ "$OUT" == "error rc=$2 why="* ]] || fail "$1: want rc=$2: $OUT"
  [[ "$OUT" == *"$3"* ]] || fail "$1: want \"$3\" in: $OUT"
  [ "$(wc -l < "$T/$1.out")" = 1 ] || fail "$1: not one line: $OUT"
}

cli secret "${BASE[@]}" AZURE_CLIENT_SECRET="$SECRET"
want_ok secret secret
ok "client secret: $OUT"

cli cert "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/app.pem"
want_ok cert certificate
ok "certificate (RS256 assertion, x5t and x5t#S256, verified by openssl): $OUT"

cli fed "${BASE[@]}" AZURE_FEDERATED_TOKEN_FILE="$T/fed.jwt"
want_ok fed federated
ok "workload identity (federated token file): $OUT"

# first match wins: federated over certificate over secret
cli order1 "${BASE[@]}" AZURE_FEDERATED_TOKEN_FILE="$T/fed.jwt" \
  AZURE_CLIENT_CERTIFICATE_PATH="$T/other.pem" AZURE_CLIENT_SECRET="$WRONG"
want_ok order1 federated
cli order2 "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/app.pem" AZURE_CLIENT_SECRET="$WRONG"
want_ok order2 certificate
ok "AZURE_FEDERATED_TOKEN_FILE, then AZURE_CLIENT_CERTIFICATE_PATH, then AZURE_CLIENT_SECRET"

cli certpw "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/app.enc.pem" \
  AZURE_CLIENT_CERTIFICATE_PASSWORD=pem-pw-123
want_ok certpw certificate
ok "encrypted key with AZURE_CLIENT_CERTIFICATE_PASSWORD"

# --- failures ---
cli wrong "${BASE[@]}" AZURE_CLIENT_SECRET="$WRONG"
want_err wrong EACCES "invalid_client: AADSTS7000215: Invalid client secret provided"
[[ "$OUT" == *"HTTP 401"* ]] || fail "wrong: no status: $OUT"
for s in "$WRONG" "$SECRET" "wr0ng"; do
  [[ "$OUT" != *"$s"* ]] || fail "wrong: the secret is in the output: $OUT"
done
ok "wrong secret: $OUT"

cli othercert "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/other.pem"
want_err othercert EACCES "AADSTS700027: Client assertion contains an invalid signature"
ok "unregistered certificate refused"

cli nopw "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/app.enc.pem"
want_err nopw EINVAL "AZURE_CLIENT_CERTIFICATE_PASSWORD"
cli badpem "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/cert.pem"
want_err badpem EINVAL "holds no usable private key"
cli nofile "${BASE[@]}" AZURE_CLIENT_CERTIFICATE_PATH="$T/nope.pem"
want_err nofile EINVAL "AZURE_CLIENT_CERTIFICATE_PATH: cannot read $T/nope.pem: No such file"
ok "unusable certificate files name the variable"

cli fedwrong "${BASE[@]}" AZURE_FEDERATED_TOKEN_FILE="$T/fed-wrong.jwt"
want_err fedwrong EACCES "AADSTS700211"
[[ "$OUT" != *"c29tZW9uZS1lbHNl"* ]] || fail "fedwrong: assertion echoed: $OUT"
cli fedempty "${BASE[@]}" AZURE_FEDERATED_TOKEN_FILE="$T/empty.jwt"
want_err fedempty EINVAL "AZURE_FEDERATED_TOKEN_FILE: $T/empty.jwt is empty"
ok "wrong or empty federated token"

cli noenv AZURE_CLIENT_SECRET="$SECRET"
want_err noenv EINVAL "AZURE_TENANT_ID and AZURE_CLIENT_ID not set"
cli notenant AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET"
want_err notenant EINVAL "AZURE_TENANT_ID not set"
cli nocred "${BASE[@]}"
want_err nocred EINVAL "none of AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_SECRET"
cli badtenant AZURE_TENANT_ID="t/../x" AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST="$AUTH"
want_err badtenant EINVAL "AZURE_TENANT_ID may hold only"
ok "missing or bad variables are named"

cli plain AZURE_TENANT_ID="$TENANT" AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST=http://login.example.com
want_err plain EINVAL "http:// is only allowed to a loopback host"
cli ftp AZURE_TENANT_ID="$TENANT" AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST=ftp://127.0.0.1/
want_err ftp EINVAL "must start with https://"
ok "plain http only to loopback"

DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cli dead AZURE_TENANT_ID="$TENANT" AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST="http://127.0.0.1:$DEAD"
want_err dead EIO "http://127.0.0.1:$DEAD/$TENANT/oauth2/v2.0/token"
[[ "$OUT" != *"$SECRET"* ]] || fail "dead: secret in output"
ok "unreachable endpoint: $OUT"

cli busy AZURE_TENANT_ID=busy-tenant AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST="$AUTH"
want_err busy EIO "HTTP 503: temporarily_unavailable: AADSTS90033"
cli broken AZURE_TENANT_ID=broken-tenant AZURE_CLIENT_ID="$CLIENT" AZURE_CLIENT_SECRET="$SECRET" \
  AZURE_AUTHORITY_HOST="$AUTH"
want_err broken EIO "answered 200 without a usable access_token"
ok "endpoint failures (503, 200 without a token) are EIO"

# the server saw exactly the grants above
want_log=$'grant flow=secret\ngrant flow=certificate\ngrant flow=federated\ngrant flow=federated\ngrant flow=certificate\ngrant flow=certificate\ndeny flow=secret\ndeny flow=certificate\ndeny flow=federated'
got_log=$(sed -e 's/ n=[0-9]*//' -e 's/ status=.*//' "$T/srv.log")
[ "$got_log" = "$want_log" ] || fail "server log: $got_log"
! grep -q -e "$SECRET" -e "$WRONG" "$T/srv.log" || fail "server log holds a secret"
ok "entra: 1 passed, 0 failed"
