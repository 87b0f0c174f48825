#!/usr/bin/env bash
# tls.sh - AMQPS on loopback with certificate verification on: `sluice-replay
# serve --tls-cert/--tls-key` with a throwaway CA and server certificates made
# here by the openssl CLI, and `sluice run --source eventhub` / `sluice check`
# with a connection string without UseDevelopmentEmulator (TLS to the Endpoint's
# port, peer name verified).
#   usage errors: --tls-cert without --tls-key (and the reverse) exit 2; a missing
#     certificate, a key that is not a key, a key of another certificate exit 1
#     naming the file;
#   (a) SSL_CERT_FILE=the test CA: every event once, checkpoints at the last
#     sequence numbers, `sluice check` all ok (TLS, peer name verified); a plain
#     AMQP client is refused by the TLS listener;
#   (b) the CA not trusted (no SSL_CERT_FILE: Debian's bundle; or another CA):
#     run fails within seconds, the log line says the verification failed and
#     names the host and the CA file, with the fix; nothing is read;
#   (c) a certificate for another name (DNS:other.example, connecting as
#     127.0.0.1): verification fails, naming the host.
#   usage: tls.sh BUILD_DIR [EVENTS]
B=$1; EVENTS=${2:-1000}
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
command -v openssl > /dev/null || fail "the openssl CLI is needed (package openssl)"

"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --records-per-message 3 --seed 11 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")

# ca NAME: a self-signed CA (EC P-256, 2 days) in $T/NAME.pem, key $T/NAME.key
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$T/$1.key" -out "$T/$1.pem" -subj "/CN=sluice throwaway $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2> "$T/openssl.err" || fail "openssl req (CA $1): $(cat "$T/openssl.err")"
}
# leaf NAME CA CN SAN: a server certificate signed by CA in $T/NAME.pem, key $T/NAME.key
leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/$1.key" \
    -out "$T/$1.csr" -subj "/CN=$3" 2> "$T/openssl.err" || fail "openssl req ($1): $(cat "$T/openssl.err")"
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
    "$4" > "$T/$1.ext"
  openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial -days 2 \
    -extfile "$T/$1.ext" -out "$T/$1.pem" 2> "$T/openssl.err" || fail "openssl x509 ($1): $(cat "$T/openssl.err")"
}
ca ca; ca ca2
leaf srv ca localhost DNS:localhost,IP:127.0.0.1
leaf other ca other.example DNS:other.example
openssl verify -CAfile "$T/ca.pem" "$T/srv.pem" "$T/other.pem" > /dev/null || fail "the test certificates do not verify"

. "$(dirname "$0")/serve_lib.sh"
# run SPOOL [flags]: one caught-up run (SSL_CERT_FILE as exported), summary JSON in $T/run.json
run() {
  local sp=$1; shift
  timeout 120 "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$sp" --until-caught-up \
    --shards 2 --progress-ms 0 --checkpoint-ms 20 --stats-json "$T/run.json" "$@" > "$T/run.out" 2> "$T/run.err" \
    || fail "sluice run $*: $(tail -5 "$T/run.err")"
  if grep -q 'c2VjcmV0' "$T/run.err" "$T/run.out"; then fail "the SharedAccessKey was logged"; fi
}
# run_fails SPOOL ENV...: `sluice run` (with env ENV...) must exit 1 within 10 s and
# spool nothing; its stderr in $T/bad.err
run_fails() {
  local sp=$1; shift
  local t0 rc
  t0=$(date +%s%N)
  set +e
  env "$@" timeout 60 "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$sp" \
    --until-caught-up --progress-ms 0 > "$T/bad.out" 2> "$T/bad.err"
  rc=$?
  set -e
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ $rc = 1 ] || fail "sluice run with an unverifiable certificate: exit $rc, want 1 ($(tail -3 "$T/bad.err"))"
  if grep -qE 'Sanitizer|runtime error' "$T/bad.err"; then fail "sanitizer: $(cat "$T/bad.err")"; fi
  [ $ms -lt 10000 ] || fail "sluice run took $ms ms to give up, want < 10 s"
  local n
  n=$("$B/sluice" spool cat "$sp" 2> /dev/null | wc -l || true)
  [ "${n:-0}" = 0 ] || fail "sluice run spooled $n events without a verified certificate"
  if ls "$sp"/checkpoint-*.json > /dev/null 2>&1; then fail "sluice run wrote a checkpoint"; fi
  echo "    (gave up after $ms ms)"
}
# serve_err WANT_RC PATTERN FLAGS...: sluice-replay serve must exit WANT_RC with PATTERN on stderr
serve_err() {
  local want=$1 pat=$2 rc; shift 2
  set +e
  timeout 20 "$B/sluice-replay" serve "$T/cap" --listen 127.0.0.1:0 "$@" > "$T/se.out" 2> "$T/se.err"
  rc=$?
  set -e
  [ $rc = "$want" ] || fail "serve $*: exit $rc, want $want ($(cat "$T/se.err"))"
  grep -q -- "$pat" "$T/se.err" || fail "serve $*: no \"$pat\" in: $(cat "$T/se.err")"
  if grep -q '^listening' "$T/se.out"; then fail "serve $*: listened anyway"; fi
}

# usage and start errors
serve_err 2 '--tls-cert: needs --tls-key too' --tls-cert "$T/srv.pem"
serve_err 2 '--tls-key: needs --tls-cert too' --tls-key "$T/srv.key"
serve_err 1 "TLS certificate file \\\\\"$T/none.pem\\\\\" cannot be read" --tls-cert "$T/none.pem" --tls-key "$T/srv.key"
serve_err 1 "TLS key file \\\\\"$T/srv.pem\\\\\" is not a PEM private key" --tls-cert "$T/srv.pem" --tls-key "$T/srv.pem"
serve_err 1 "TLS key file \\\\\"$T/other.key\\\\\" does not match the certificate" --tls-cert "$T/srv.pem" --tls-key "$T/other.key"
ok "--tls-cert/--tls-key: one without the other exits 2; unreadable, not a key, wrong key exit 1 naming the file"

# (a) the test CA trusted through SSL_CERT_FILE
serve --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
case $X in "Endpoint=sb://localhost:$PORT/;"*UseDevelopmentEmulator*) fail "X is a development string: $X";;
           "Endpoint=sb://localhost:$PORT/;"*) ;; *) fail "serve_lib did not export a TLS string: $X";; esac
export SSL_CERT_FILE="$T/ca.pem"
run "$T/sp"
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ckpt_ok "$T/sp"
ok "AMQPS with SSL_CERT_FILE=the test CA: $EVENTS events over 4 partitions once, checkpoints at the last sequence numbers"
timeout 60 "$B/sluice" check --connection-string-env X > "$T/check.out" 2> "$T/check.err" \
  || fail "sluice check over TLS: $(cat "$T/check.out" "$T/check.err")"
grep -q "^ok .*connect localhost:$PORT (TLS, peer name verified)$" "$T/check.out" || fail "check connect: $(cat "$T/check.out")"
grep -q '^sluice check: all [0-9]* steps ok$' "$T/check.out" || fail "no all-ok line: $(cat "$T/check.out")"
ok "sluice check over TLS: every step ok, peer name verified"
# a plain-AMQP client gets nothing from the TLS listener
XTLS=$X
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=$HUB;UseDevelopmentEmulator=true"
run_fails "$T/spp"
grep -q 'cannot read event hub .* connection closed: ' "$T/bad.err" || fail "plain client: $(tail -3 "$T/bad.err")"
sed -n "s/^sluice: /    sluice: /p" "$T/bad.err" | cut -c1-300
export X=$XTLS
ok "a plain AMQP client is refused by the TLS listener"

# (b) the CA not trusted: Debian's bundle (no SSL_CERT_FILE), then another CA
run_fails "$T/spb" -u SSL_CERT_FILE
for want in 'TLS handshake failed: certificate verification failed: the server certificate is not issued by a CA in the CA file' \
            'host=localhost ' 'ca_file="/etc/ssl/certs/ca-certificates.crt"' 'fix="set SSL_CERT_FILE to the PEM file of the CA'; do
  grep -qF -- "$want" "$T/bad.err" || fail "untrusted CA: no '$want' in: $(cat "$T/bad.err")"
done
grep -q 'level=error' "$T/bad.err" || fail "the TLS failure is not logged as an error"
grep -qF "cannot read event hub \"$HUB\" on localhost:$PORT: TLS handshake with localhost failed" "$T/bad.err" \
  || fail "no final line naming the TLS failure: $(tail -2 "$T/bad.err")"
ok "untrusted CA (Debian bundle): sluice run fails at once, naming host, CA file and fix, nothing read"
sed -n 's/.*\(msg="eh: partition[^"]*"\)/\1/p' "$T/bad.err" | head -1 | cut -c1-400 | sed 's/^/    /'
run_fails "$T/spb2" SSL_CERT_FILE="$T/ca2.pem"
grep -qF "ca_file=\"$T/ca2.pem\"" "$T/bad.err" || fail "SSL_CERT_FILE not named: $(cat "$T/bad.err")"
grep -qF 'not issued by a CA in the CA file' "$T/bad.err" || fail "another CA: $(cat "$T/bad.err")"
set +e
env -u SSL_CERT_FILE timeout 60 "$B/sluice" check --connection-string-env X > "$T/check.out" 2> "$T/check.err"; rc=$?
set -e
[ $rc = 1 ] || fail "sluice check with an untrusted CA: exit $rc, want 1"
grep -q "^FAILED .*connect localhost:$PORT: TLS handshake with localhost failed: certificate verification failed.*CA file /etc/ssl/certs/ca-certificates.crt.*fix: set SSL_CERT_FILE" \
  "$T/check.out" || fail "check with an untrusted CA: $(cat "$T/check.out")"
ok "another CA in SSL_CERT_FILE fails the same way naming that file; sluice check stops at connect with the fix"

# (c) a certificate for another name: trusted CA, but it names only other.example
serve --tls-cert "$T/other.pem" --tls-key "$T/other.key"
export X="Endpoint=sb://127.0.0.1:$PORT/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=$HUB"
run_fails "$T/spc"
for want in 'TLS handshake failed: certificate verification failed: the server certificate does not name the host' \
            'host=127.0.0.1 ' "ca_file=\"$T/ca.pem\"" 'fix="connect by a DNS name the certificate lists'; do
  grep -qF -- "$want" "$T/bad.err" || fail "wrong name: no '$want' in: $(cat "$T/bad.err")"
done
ok "a certificate for other.example, connecting as 127.0.0.1: verification fails naming the host, nothing read"

# the emulator stops cleanly (and, in sanitizer builds, without reports)
kill -TERM "$SPID"; wait "$SPID" || fail "sluice-replay serve: exit status $? on SIGTERM"
SPID=
if grep -qE 'Sanitizer|runtime error' "$T/serve.err"; then fail "serve: $(cat "$T/serve.err")"; fi
grep -q 'msg="serve: done" connections=' "$T/serve.err" || fail "serve did not log its end: $(tail -3 "$T/serve.err")"
ok "sluice-replay serve with TLS stops cleanly on SIGTERM"
