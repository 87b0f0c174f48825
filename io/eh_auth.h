/* eh_auth.h - Event Hubs credentials: connection strings, SAS tokens, Entra ID tokens.
 *
 * The pieces the AMQP receiver (CBS put-token, eventhubs.md §1.3) and the
 * emulator's $cbs need, and nothing about AMQP itself:
 *   eh_conn_parse    connection string -> host, port, TLS, key or SAS
 *   eh_sas_token     sign a SAS token for an audience (type servicebus.windows.net:sastoken)
 *   eh_sas_verify    check one (the emulator side)
 *   eh_entra_token   a Microsoft Entra ID access token (type jwt) from the
 *                    standard AZURE_* environment variables (eventhubs.md §4)
 * Secrets (SharedAccessKey, SharedAccessSignature, AZURE_CLIENT_SECRET, the
 * private key, assertions) never appear in a `why` text or a log line.
 * All functions are reentrant: @thread any.
 */
#ifndef SLUICE_EH_AUTH_H
#define SLUICE_EH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EH_AMQP_PORT  5672 /* plain AMQP (development emulator only) */
#define EH_AMQPS_PORT 5671 /* AMQP over TLS */

/* A parsed Event Hubs connection string (Endpoint=sb://HOST[:PORT]/;
 * SharedAccessKeyName=..;SharedAccessKey=..;EntityPath=..;UseDevelopmentEmulator=true;
 * also SharedAccessSignature=<token>). Keys are case-insensitive, order free,
 * ';' separated, trailing ';' allowed, values may contain '=' (base64 keys). */
struct eh_conn {
    char host[256];       /* HOST from Endpoint (no scheme, no port, no slash; IPv6 without []) */
    uint16_t port;        /* PORT from Endpoint when given, else 5672 with UseDevelopmentEmulator=true, else 5671 */
    bool tls;             /* false only with UseDevelopmentEmulator=true */
    char key_name[256];   /* SharedAccessKeyName, "" if none */
    char key[256];        /* SharedAccessKey, "" if none: SECRET, never logged */
    char sas[2048];       /* SharedAccessSignature value, "" if none: SECRET */
    char entity[256];     /* EntityPath, "" if none */
    bool dev_emulator;    /* UseDevelopmentEmulator=true */
};

/* Parse connection string s into out. Values are trimmed of blanks; unknown
 * keys are ignored (the SDKs ignore them too); Endpoint is required and must be
 * sb://HOST[:PORT][/] (no path: the hub goes in EntityPath). Credentials: either
 * SharedAccessKeyName + SharedAccessKey, or SharedAccessSignature, or none (the
 * caller then uses eh_entra_token); a key without its name (or the reverse), or
 * a key together with a signature, is an error. UseDevelopmentEmulator=true is
 * only accepted when HOST is loopback (localhost, 127.x.x.x, ::1) and means plain
 * AMQP (PORT default 5672); without it the connection is TLS with the peer name
 * verified, to PORT when given (any host, e.g. sb://localhost:5671/ for a local
 * TLS endpoint), else 5671.
 * @return 0, or -EINVAL with a one-line reason in why (naming the bad key,
 *         never echoing a secret); on failure *out is zeroed.
 * @thread any */
int eh_conn_parse(const char *s, struct eh_conn *out, char *why, size_t n);

/* True when host is "localhost", a 127.0.0.0/8 address or ::1. @thread any */
bool eh_host_is_loopback(const char *host);

/* Sign a SAS token per eventhubs.md §1.3:
 *   "SharedAccessSignature sr=<enc uri>&sig=<enc base64(HMAC-SHA256(key, enc uri "\n" expiry))>&se=<expiry>&skn=<enc key_name>"
 * where enc is JS encodeURIComponent (':' -> %3A, '/' -> %2F, '$' -> %24, hex
 * upper case) and the HMAC key is the key string's bytes as given (not
 * base64-decoded). resource_uri is the audience as the caller chooses it
 * ("sb://host/hub" as @azure/event-hubs does, or "amqps://host/hub" as .NET).
 * @return 0, -ENOSPC (out too small; out then holds ""), -EINVAL (empty
 *         argument or expiry_s <= 0), -EIO (OpenSSL's HMAC failed: not expected).
 * @thread any */
int eh_sas_token(const char *resource_uri, const char *key_name, const char *key,
                 int64_t expiry_s, char *out, size_t n);

/* Check a SAS token (with or without the "SharedAccessSignature " prefix): its
 * sr, sig, se and skn fields in any order (other fields ignored), skn (decoded)
 * == key_name, sig == HMAC-SHA256(key, sr "\n" se) over sr and se exactly as
 * they appear in the token (constant-time compare), se > now_s.
 * @return 0 and the decoded sr copied to audience (may be NULL); -EACCES wrong
 *         key name or signature; -ETIMEDOUT expired (signature good); -EINVAL
 *         malformed (a field missing, repeated or badly encoded); -ENOSPC the
 *         decoded sr does not fit audience_n; -EIO OpenSSL's HMAC failed (not
 *         expected). audience is "" unless 0 is returned. @thread any */
int eh_sas_verify(const char *token, const char *key_name, const char *key, int64_t now_s,
                  char *audience, size_t audience_n);

/* Percent-encode s as JS encodeURIComponent does (unreserved: A-Z a-z 0-9
 * - _ . ! ~ * ' ( ); everything else %XX, upper case) into out.
 * @return the length written, or -ENOSPC (out then holds ""). @thread any */
int eh_url_encode(const char *s, char *out, size_t n);

/* An Entra ID access token. */
struct eh_token {
    char token[16384]; /* the raw JWT (CBS body / "Bearer" value): SECRET */
    int64_t expires_s; /* Unix seconds: now + expires_in */
};

/* A Microsoft Entra ID access token for scope (e.g.
 * "https://eventhubs.azure.net/.default") by the client-credentials grant:
 * POST <AZURE_AUTHORITY_HOST or https://login.microsoftonline.com>/<AZURE_TENANT_ID>/oauth2/v2.0/token.
 * AZURE_TENANT_ID and AZURE_CLIENT_ID are required; the credential is the first
 * of: AZURE_FEDERATED_TOKEN_FILE (workload identity: the file's trimmed content
 * is the client_assertion, re-read on every call), AZURE_CLIENT_CERTIFICATE_PATH
 * (PEM holding an RSA private key and its certificate, optionally encrypted
 * with AZURE_CLIENT_CERTIFICATE_PASSWORD; the client_assertion is an RS256 JWT
 * with x5t and x5t#S256 headers, aud = the token URL, iss = sub = client id,
 * random jti, nbf = iat = now, exp = now + 600), AZURE_CLIENT_SECRET.
 * TLS verification is always on; http:// is accepted only when
 * AZURE_AUTHORITY_HOST names a loopback host (tests). Timeout 30 s.
 * @return 0 with out filled; -EACCES the endpoint refused (its error and
 *         error_description in why); -EIO it could not be reached, failed
 *         (5xx, 429) or answered something unusable; -EINVAL a variable is
 *         missing or bad (named in why), or the certificate/token file cannot
 *         be used. why never holds a secret. On failure out->token is "".
 * @thread any (curl_global_init runs once, under pthread_once)
 * @blocking up to 30 s of network I/O */
int eh_entra_token(const char *scope, struct eh_token *out, char *why, size_t n);

/* The CBS token for audience from a parsed connection: with entra, an Entra ID
 * JWT for https://eventhubs.azure.net/.default (type "jwt"; one token shared by
 * every caller of the process while a quarter of its life, at most 10 min, is left,
 * so N connections make one request; a failure is logged, rate-limited, with the
 * fix, and answered from memory for 5 s); else the connection string's fixed
 * SharedAccessSignature (*expires_s 0: cannot be renewed); else a SAS signed for
 * audience, valid sas_ttl_s (type "servicebus.windows.net:sastoken"). The shape of
 * the receivers' token callback. 0, -ENOSPC (token does not fit n), or
 * eh_entra_token's / eh_sas_token's error. @thread any @blocking (Entra ID) */
/* The credential eh_cbs_token presents, for messages (never a secret): "SAS key
 * name 'K'", "the SharedAccessSignature (key name 'K')" or "Microsoft Entra ID
 * (client id 'C')". @thread any */
void eh_cred_describe(const struct eh_conn *conn, bool entra, char *out, size_t n);

#define EH_SAS_TTL_DEFAULT_S 3600 /* what the SDKs sign for */
int eh_cbs_token(const struct eh_conn *conn, bool entra, int64_t sas_ttl_s, const char *audience,
                 char *token, size_t n, const char **type, int64_t *expires_s);

#endif
