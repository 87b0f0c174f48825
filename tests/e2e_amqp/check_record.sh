#!/usr/bin/env bash
# check_record.sh - `sluice check` and `sluice-replay record` against `sluice-replay
# serve` over real AMQP on loopback: check passes every step and reports the
# last sequence numbers `stat` gives; a wrong key fails at authenticate (key name
# named, key never printed); a closed port fails at connect within the bound;
# record --until-caught-up reproduces the served capture (stat: events, messages,
# per-partition sequence ranges), and SIGINT finishes a capture cleanly.
# The recorded capture's namespace is the endpoint's host (127.0.0.1), not the
# synthetic one, so event ids (metadata.uid) from it are compared with those of
# `sluice run --source eventhub` on the same endpoint; against `replay:` of the
# original capture counts and per-partition sequence ranges are compared.
#   usage: check_record.sh BUILD_DIR [EVENTS]
B=$1; EVENTS=${2:-2000}
. "$(dirname "$0")/../e2e/lib.sh"

"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")

. "$(dirname "$0")/serve_lib.sh"
# uids SPOOL: the sorted metadata.uid of every spooled event
uids() {
  "$B/sluice" spool cat "$1" | python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["metadata"]["uid"])' | sort
}

# usage errors
set +e
"$B/sluice" check --spool-dir x > /dev/null 2> "$T/u.err"; rc=$?
set -e
[ $rc = 2 ] || fail "sluice check --spool-dir: exit $rc, want 2"
"$B/sluice" check --help | grep -q 'usage: sluice check' || fail "sluice check --help"
ok "sluice check: usage error exits 2, --help"

# 1. every step ok, last sequence numbers as stat says
serve
"$B/sluice" check --connection-string-env X > "$T/check.out" 2> "$T/check.err" \
  || fail "sluice check: $(cat "$T/check.out" "$T/check.err")"
grep -q '^sluice check: all [0-9]* steps ok$' "$T/check.out" || fail "no all-ok line: $(cat "$T/check.out")"
grep -q "^ok .*$HUB has 4 partitions: 0,1,2,3$" "$T/check.out" || fail "partitions: $(cat "$T/check.out")"
python3 - "$T/stat.json" "$T/check.out" <<'PY' || exit 1
import json, re, sys
st = json.load(open(sys.argv[1])); out = open(sys.argv[2]).read()
got = {m.group(1): int(m.group(2)) for m in
       re.finditer(r"^ok +partition (\d+): last enqueued sequence number (-?\d+), offset \S+, time \S+$", out, re.M)}
want = {p: v["last_sequence_number"] for p, v in st["per_partition"].items()}
if got != want: print("FAIL: check reports", got, "stat says", want); sys.exit(1)
reads = re.findall(r"^ok +read partition (\d+): one event: sequence number (\d+), (\d+) bytes, enqueued \S+$", out, re.M)
if sorted(p for p, s, n in reads) != sorted(want) or any(s != "0" for p, s, n in reads):
    print("FAIL: read one event per partition:", reads); sys.exit(1)
PY
if grep -q 'c2VjcmV0' "$T/check.out" "$T/check.err"; then fail "sluice check printed the key"; fi
ok "sluice check: every step ok, 4 partitions with stat's last sequence numbers, one event each"

# 2. a wrong key against a verifying emulator: authenticate FAILED, key name named, key not printed
export SK=c2VjcmV0
serve --sas-key-name k --sas-key-env SK
export BADX="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=d3Jvbmc=;EntityPath=$HUB;UseDevelopmentEmulator=true"
set +e
"$B/sluice" check --connection-string-env BADX > "$T/bad.out" 2> "$T/bad.err"; rc=$?
set -e
[ $rc = 1 ] || fail "wrong key: exit $rc, want 1: $(cat "$T/bad.out")"
grep -q '^FAILED *authenticate: .*SharedAccessKeyName k' "$T/bad.out" || fail "wrong key: $(cat "$T/bad.out")"
grep -q '^ok *connect ' "$T/bad.out" || fail "wrong key: connect not ok: $(cat "$T/bad.out")"
grep -q '^sluice check: 1 of [0-9]* steps FAILED$' "$T/bad.out" || fail "wrong key: $(tail -1 "$T/bad.out")"
if grep -q 'd3Jvbmc' "$T/bad.out" "$T/bad.err"; then fail "sluice check printed the wrong key"; fi
"$B/sluice" check --connection-string-env X > "$T/good.out" 2>&1 || fail "right key: $(cat "$T/good.out")"
ok "sluice check: a wrong SharedAccessKey fails at authenticate, names key name k, exit 1, key not printed"

# 3. a closed port: connect FAILED, quickly
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
t0=$(date +%s)
set +e
timeout 60 "$B/sluice" check --connection-string-env X > "$T/closed.out" 2> "$T/closed.err"; rc=$?
set -e
t1=$(date +%s)
[ $rc = 1 ] || fail "closed port: exit $rc, want 1: $(cat "$T/closed.out")"
grep -q "^FAILED *connect 127.0.0.1:$PORT: " "$T/closed.out" || fail "closed port: $(cat "$T/closed.out")"
[ $((t1 - t0)) -le 20 ] || fail "closed port: took $((t1 - t0)) s"
ok "sluice check: a closed port fails at connect in $((t1 - t0)) s"

# 4. record --until-caught-up reproduces the served capture
serve
"$B/sluice-replay" record --out "$T/rec" --connection-string-env X --until-caught-up \
  > "$T/rec.json" 2> "$T/rec.err" || fail "record: $(tail -3 "$T/rec.err")"
[ "$(json "$T/rec.json" "d['records']")" = "$EVENTS" ] || fail "record summary: $(cat "$T/rec.json")"
if grep -q 'c2VjcmV0' "$T/rec.err" "$T/rec.json"; then fail "record logged the key"; fi
"$B/sluice-replay" stat "$T/rec" > "$T/rstat.json" || fail "stat of the recorded capture"
python3 - "$T/stat.json" "$T/rstat.json" <<'PY' || exit 1
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
for k in ("events", "messages", "records", "bytes", "partitions"):
    if a[k] != b[k]: print("FAIL: recorded", k, b[k], "served", a[k]); sys.exit(1)
f = ("messages", "records", "first_sequence_number", "last_sequence_number")
ra = {p: [v[x] for x in f] for p, v in a["per_partition"].items()}
rb = {p: [v[x] for x in f] for p, v in b["per_partition"].items()}
if ra != rb: print("FAIL: per partition recorded", rb, "served", ra); sys.exit(1)
if b["namespace"] != "127.0.0.1" or b["eventhub"] != a["eventhub"]:
    print("FAIL: recorded namespace/hub", b["namespace"], b["eventhub"]); sys.exit(1)
PY
ok "record --until-caught-up: stat equal (events, messages, bytes, per-partition sequence ranges)"

# sluice run on the recorded capture: the same events as the original capture (counts, ranges:
# the namespace differs, so ids do), and the same ids as a live run on the same endpoint
RUNF=(--until-caught-up --shards 2 --progress-ms 0)
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spx" "${RUNF[@]}" --stats-json "$T/runx.json" > /dev/null 2> "$T/runx.err" \
  || fail "run replay:cap: $(tail -3 "$T/runx.err")"
"$B/sluice" run --source "replay:$T/rec" --spool-dir "$T/spy" "${RUNF[@]}" --stats-json "$T/runy.json" > /dev/null 2> "$T/runy.err" \
  || fail "run replay:rec: $(tail -3 "$T/runy.err")"
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/spe" "${RUNF[@]}" > /dev/null 2> "$T/rune.err" \
  || fail "run eventhub: $(tail -3 "$T/rune.err")"
[ "$(json "$T/runx.json" "d['events']")" = "$EVENTS" ] || fail "replay:cap gave $(json "$T/runx.json" "d['events']") events"
[ "$(json "$T/runy.json" "d['events']")" = "$EVENTS" ] || fail "replay:rec gave $(json "$T/runy.json" "d['events']") events"
"$B/sluice" checkpoint show --spool-dir "$T/spx" > "$T/ckx.json"
"$B/sluice" checkpoint show --spool-dir "$T/spy" > "$T/cky.json"
python3 - "$T/ckx.json" "$T/cky.json" <<'PY' || exit 1
import json, sys
a = json.load(open(sys.argv[1]))["partitions"]; b = json.load(open(sys.argv[2]))["partitions"]
sa = {p: v["sequence_number"] for p, v in a.items()}; sb = {p: v["sequence_number"] for p, v in b.items()}
if sa != sb: print("FAIL: checkpoints replay:cap", sa, "replay:rec", sb); sys.exit(1)
PY
uids "$T/spy" > "$T/uids.y"; uids "$T/spe" > "$T/uids.e"
[ "$(wc -l < "$T/uids.y")" = "$EVENTS" ] || fail "replay:rec: $(wc -l < "$T/uids.y") uids"
[ "$(sort -u "$T/uids.y" | wc -l)" = "$EVENTS" ] || fail "replay:rec: duplicate uids"
cmp -s "$T/uids.y" "$T/uids.e" || fail "replay:rec and eventhub give different uids"
ok "run replay:rec = replay:cap in counts and checkpoints, and = the live eventhub run in its $EVENTS uids"

# 5. without --until-caught-up: records until SIGINT, then finishes the capture cleanly
"$B/sluice-replay" record --out "$T/rec2" --connection-string-env X --partitions 1-2 \
  > "$T/rec2.json" 2> "$T/rec2.err" &
RPID=$!
for _ in $(seq 100); do grep -q 'recording 2 until SIGINT' "$T/rec2.err" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -INT $RPID
wait $RPID || fail "record SIGINT: exit status $? ($(tail -2 "$T/rec2.err"))"
[ "$(json "$T/rec2.json" "d['stopped_by_signal']")" = True ] || fail "record SIGINT: $(cat "$T/rec2.json")"
"$B/sluice-replay" stat "$T/rec2" > "$T/rstat2.json" || fail "stat of the SIGINT capture"
python3 - "$T/stat.json" "$T/rstat2.json" <<'PY' || exit 1
import json, sys
a = json.load(open(sys.argv[1]))["per_partition"]; b = json.load(open(sys.argv[2]))["per_partition"]
for p in ("0", "3"):
    if b[p]["messages"] != 0: print("FAIL: partition", p, "was recorded"); sys.exit(1)
for p in ("1", "2"):
    if b[p]["messages"] != a[p]["messages"] or b[p]["last_sequence_number"] != a[p]["last_sequence_number"]:
        print("FAIL: partition", p, b[p], "want", a[p]); sys.exit(1)
PY
ok "record until SIGINT: exit 0, capture complete and valid, partitions 1-2 only"
