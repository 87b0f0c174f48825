#!/usr/bin/env bash
# entra_run.sh - `sluice run --source eventhub` with Microsoft Entra ID tokens
# (client secret) from a local token endpoint (tests/auth/token_server.py, via
# AZURE_AUTHORITY_HOST) against `sluice-replay serve`: 16 partitions and the
# $management connection share one token, so the endpoint sees exactly one
# request, and every event lands once. A wrong secret stops the run at once with
# the endpoint's AADSTS reason, asks the endpoint once, and never prints the secret.
#   usage: entra_run.sh BUILD_DIR
B=$1
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
EVENTS=1600
for v in $(compgen -e | grep '^AZURE_' || true); do unset "$v"; done

"$B/sluice-replay" synth --out "$T/cap" --partitions 16 --events "$EVENTS" --records-per-message 1 --seed 4 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")
. "$(dirname "$0")/serve_lib.sh"
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=11111111-2222-3333-4444-555555555555
SECRET='s3cr3t~Entra.Value'
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj /CN=sluice-test 2> "$T/openssl.err" || fail "openssl: $(cat "$T/openssl.err")"
: > "$T/fed.jwt"
python3 "$HERE/../auth/token_server.py" --tenant "$TENANT" --client-id "$CLIENT" \
  --scope https://eventhubs.azure.net/.default --secret "$SECRET" --cert "$T/cert.pem" \
  --federated-file "$T/fed.jwt" --log "$T/tok.log" > "$T/tok.port" 2> "$T/tok.err" &
TOKPID=$!
trap 'kill "$TOKPID" 2>/dev/null; cleanup' EXIT
for _ in $(seq 200); do [ -s "$T/tok.port" ] && break; sleep 0.05; done
[ -s "$T/tok.port" ] || fail "token server did not start: $(cat "$T/tok.err")"
export AZURE_TENANT_ID=$TENANT AZURE_CLIENT_ID=$CLIENT
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$(head -1 "$T/tok.port")"

serve
# no key in the connection string: tokens come from Entra ID
export X="Endpoint=sb://127.0.0.1:$PORT;EntityPath=$HUB;UseDevelopmentEmulator=true"
AZURE_CLIENT_SECRET=$SECRET "$B/sluice" run --source eventhub --connection-string-env X \
  --spool-dir "$T/sp" --until-caught-up --progress-ms 0 --stats-json "$T/run.json" \
  > "$T/run.out" 2> "$T/run.err" || fail "Entra ID run: $(tail -3 "$T/run.err")"
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ckpt_ok "$T/sp"
grants=$(grep -c '^grant flow=secret' "$T/tok.log" || true)
puts=$(json "$T/run.json" "d['eventhub']['tokens_put']")
[ "$grants" = 1 ] || fail "the token endpoint was asked $grants times for 16 partitions + \$management: $(cat "$T/tok.log")"
[ "$puts" -ge 16 ] || fail "only $puts tokens put"
if grep -q "$SECRET" "$T/run.err" "$T/run.out"; then fail "the client secret was logged"; fi
ok "Entra ID (client secret): $EVENTS events over 16 partitions once, $puts CBS put-tokens from 1 token request"

: > "$T/tok.log"
t0=$(date +%s%N)
if AZURE_CLIENT_SECRET=wrong-secret-value "$B/sluice" run --source eventhub --connection-string-env X \
     --spool-dir "$T/bad" --until-caught-up --progress-ms 0 > "$T/bad.out" 2> "$T/bad.err"; then
  fail "a wrong client secret was accepted"
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 10000 ] || fail "a wrong client secret took $ms ms to fail"
grep -q 'AADSTS7000215' "$T/bad.err" || fail "wrong secret: the endpoint's reason is missing: $(tail -3 "$T/bad.err")"
[ "$(grep -c '^deny' "$T/tok.log")" = 1 ] || fail "wrong secret: $(grep -c '^deny' "$T/tok.log") token requests, want 1"
if grep -q 'wrong-secret-value' "$T/bad.err" "$T/bad.out"; then fail "the wrong secret was logged"; fi
ok "a wrong client secret fails in $ms ms with AADSTS7000215 after one token request, secret not printed"
