#!/usr/bin/env bash
# token.sh - SAS tokens against a verifying `sluice-replay serve`, which detaches
# a connection's event links as unauthorized-access (ExpiredToken) when its token
# expires unrenewed, as the service does:
#   - a wrong SharedAccessKey fails within seconds, naming the key name and the
#     audience, never printing the key;
#   - with --sas-token-ttl 6s on a run that lasts well over 3 lifetimes, every
#     connection renews its token before expiry: several tokens per partition,
#     no link lost (no reconnect, nothing unauthorized, serve expired none), and
#     every event lands exactly once;
#   - the control: a fixed SharedAccessSignature that expires mid-run (it cannot
#     be renewed) does get its links detached, so the check above can fail.
#   usage: token.sh BUILD_DIR
B=$1
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
EVENTS=3000 RATE=180 # about 17 s of serving

"$B/sluice-replay" synth --out "$T/cap" --partitions 2 --events "$EVENTS" --records-per-message 1 --seed 8 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")
. "$(dirname "$0")/serve_lib.sh"
export SK=c2VjcmV0

# 1. a wrong key
serve --sas-key-name k --sas-key-env SK
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=d3Jvbmc=;EntityPath=$HUB;UseDevelopmentEmulator=true"
t0=$(date +%s%N)
if "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/bad" --until-caught-up \
     --progress-ms 0 > "$T/bad.out" 2> "$T/bad.err"; then fail "a wrong key was accepted"; fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 10000 ] || fail "a wrong key took $ms ms to fail"
last=$(grep '^sluice:' "$T/bad.err" | tail -1)
case $last in
  *"key name 'k'"*"audience 'sb://127.0.0.1/$HUB/"*"fix:"*) ;;
  *) fail "wrong key: the error does not name the key name, the audience and the fix: $last" ;;
esac
if grep -q 'd3Jvbmc' "$T/bad.err" "$T/bad.out"; then fail "the wrong key was logged"; fi
ok "a wrong key fails in $ms ms: $last"

# 2. short-lived tokens renewed on every connection while events flow
serve --sas-key-name k --sas-key-env SK --rate "$RATE"
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=$SK;EntityPath=$HUB;UseDevelopmentEmulator=true"
t0=$(date +%s)
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp" --until-caught-up \
  --sas-token-ttl 6s --progress-ms 0 --checkpoint-ms 50 --stats-json "$T/run.json" > "$T/run.out" 2> "$T/run.err" \
  || fail "run with --sas-token-ttl 6s: $(tail -3 "$T/run.err")"
secs=$(( $(date +%s) - t0 ))
if grep -q 'c2VjcmV0' "$T/run.err" "$T/run.out"; then fail "the SharedAccessKey was logged"; fi
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
python3 - "$T/run.json" "$T/serve.err" "$EVENTS" "$secs" <<'PY' || exit 1
import json, re, sys
run = json.load(open(sys.argv[1])); serve = open(sys.argv[2]).read()
events, secs = int(sys.argv[3]), int(sys.argv[4])
eh = run["eventhub"]
m = re.findall(r"tokens_expired=(\d+)", serve)
bad = []
if secs < 13: bad.append(f"the run took {secs} s, under 2 token lifetimes: the test proves nothing")
if run["events"] != events: bad.append(f"{run['events']} events, want {events}")
if eh["reconnects"] or eh["unauthorized"]: bad.append(f"links lost: {eh}")
# 2 partition connections + $management: at least 2 renewals on each partition connection
if eh["tokens_put"] < 2 * 3: bad.append(f"only {eh['tokens_put']} tokens put in {secs} s")
if not m or m[-1] != "0": bad.append(f"serve expired tokens: {m}")
if bad: print("FAIL:", "; ".join(bad)); sys.exit(1)
print(f"renewal: {eh['tokens_put']} tokens over {secs} s, 0 reconnects, 0 expired")
PY
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ok "--sas-token-ttl 6s over ${secs} s: renewed before expiry on every connection, no gap, every event once"

# 3. the control: a fixed signature valid 4 s is cut off mid-run
serve --sas-key-name k --sas-key-env SK --rate "$RATE"
SIG=$(python3 - "$PORT" "$HUB" <<'PY'
import base64, hashlib, hmac, sys, time, urllib.parse
aud = urllib.parse.quote(f"sb://127.0.0.1/{sys.argv[2]}", safe="").lower()
se = int(time.time()) + 4
sig = base64.b64encode(hmac.new(b"c2VjcmV0", f"{aud}\n{se}".encode(), hashlib.sha256).digest()).decode()
print(f"SharedAccessSignature sr={aud}&sig={urllib.parse.quote(sig, safe='')}&se={se}&skn=k")
PY
)
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessSignature=$SIG;EntityPath=$HUB;UseDevelopmentEmulator=true"
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp2" --until-caught-up \
  --progress-ms 0 --stats-json "$T/run2.json" > "$T/run2.out" 2> "$T/run2.err" &
RPID=$!
sleep 9
kill -TERM "$RPID"; wait "$RPID"
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
grep -q 'ExpiredToken' "$T/run2.err" || fail "an expired fixed signature was not cut off: $(tail -3 "$T/run2.err")"
grep -q 'tokens_expired=[1-9]' "$T/serve.err" || fail "serve expired no token: $(grep 'serve: done' "$T/serve.err")"
n=$(json "$T/run2.json" "d['events']")
[ "$n" -lt "$EVENTS" ] || fail "an expired token still read all $n events"
ok "control: a fixed signature expiring mid-run is detached as ExpiredToken ($n of $EVENTS events read)"
