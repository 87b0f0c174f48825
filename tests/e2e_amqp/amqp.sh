#!/usr/bin/env bash
# amqp.sh - `sluice run --source eventhub` against `sluice-replay serve` over
# real AMQP on loopback (UseDevelopmentEmulator=true): every event of a
# 4-partition capture lands once (count and distinct metadata.uid), checkpoints
# equal the last sequence numbers, a second run writes nothing, a run resumes
# exclusively after a checkpoint, --partitions selects, and injected detaches
# and dropped connections are survived without loss or duplicates.
#   usage: amqp.sh BUILD_DIR [EVENTS]
B=$1; EVENTS=${2:-2000}
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"

"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --records-per-message 3 --seed 5 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")

. "$(dirname "$0")/serve_lib.sh"
# run SPOOL [flags]: one caught-up run, summary JSON in $T/run.json
run() {
  local sp=$1; shift
  "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$sp" --until-caught-up \
    --shards 2 --progress-ms 0 --checkpoint-ms 20 --stats-json "$T/run.json" "$@" > "$T/run.out" 2> "$T/run.err" \
    || fail "sluice run $*: $(tail -5 "$T/run.err")"
  if grep -q 'c2VjcmV0' "$T/run.err" "$T/run.out"; then fail "the SharedAccessKey was logged"; fi
}

serve
run "$T/sp"
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ckpt_ok "$T/sp"
ok "$EVENTS events over 4 partitions via AMQP, checkpoints at the last sequence numbers"
run "$T/sp"
[ "$(json "$T/run.json" "d['events']")" = "0" ] || fail "second run wrote $(json "$T/run.json" "d['events']") events"
ok "second run wrote nothing"

# --partitions, then the rest; resume exclusively after a hand-made checkpoint of partition 0
run "$T/sp2" --partitions 0,2-3
N023=$(json "$T/run.json" "d['events']")
python3 - "$T/sp2" "$HUB" <<'PY'
import glob, json, sys
f = glob.glob(sys.argv[1] + "/checkpoint-*.json")[0]
d = json.load(open(f))
if "1" in d["partitions"]: print("FAIL: partition 1 was read"); sys.exit(1)
d["partitions"]["0"]["sequence_number"] = 99   # re-read partition 0 from 100
json.dump(d, open(f, "w"))
PY
run "$T/sp2"
grep -q "x-opt-sequence-number > '99'" "$T/run.err" || fail "partition 0 did not resume after seq 99"
ckpt_ok "$T/sp2"
python3 - "$T/stat.json" "$T/run.json" "$N023" <<'PY' || exit 1
import json, sys
st = json.load(open(sys.argv[1])); run = json.load(open(sys.argv[2])); n023 = int(sys.argv[3])
msgs = {p: v["last_sequence_number"] + 1 for p, v in st["per_partition"].items()}
want_msgs = msgs["1"] + (msgs["0"] - 100)
if run["messages"] != want_msgs: print("FAIL: resumed run read", run["messages"], "messages, want", want_msgs); sys.exit(1)
PY
ok "--partitions 0,2-3 read $N023 events; the next run read partition 1 and partition 0 after seq 99"

# --start when there is no checkpoint: seq:N is exclusive; latest has nothing to catch up on
run "$T/sp7" --start seq:150
python3 - "$T/stat.json" "$T/run.json" <<'PY' || exit 1
import json, sys
st = json.load(open(sys.argv[1])); run = json.load(open(sys.argv[2]))
want = sum(max(0, v["last_sequence_number"] - 150) for v in st["per_partition"].values())
if run["messages"] != want: print("FAIL: --start seq:150 read", run["messages"], "want", want); sys.exit(1)
PY
run "$T/sp8" --start latest
[ "$(json "$T/run.json" "d['messages']")" = "0" ] || fail "--start latest read old events"
ok "--start seq:150 reads after 150; --start latest reads nothing old"

# faults: detaches and dropped connections, small batches (credit from 2 free batches)
serve --faults detach=0.01,drop=0.005
run "$T/sp3" --batch-bytes 64K --rx-batches 2 --segment-bytes 1M
"$B/sluice" spool cat "$T/sp3" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ckpt_ok "$T/sp3"
[ "$(json "$T/run.json" "d['eventhub']['reconnects'] > 0")" = True ] || fail "no reconnect counted under faults"
ok "detaches and dropped connections: every event once, checkpoints complete"

# SAS verified by the emulator (CBS put-token per audience), with an owner level (epoch, a long)
export SK=c2VjcmV0
serve --sas-key-name k --sas-key-env SK
run "$T/sp4" --owner-level 3
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "SAS run: $(json "$T/run.json" "d['events']") events"
ok "SAS tokens accepted by a verifying emulator, owner level 3"
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=d3Jvbmc=;EntityPath=$HUB;UseDevelopmentEmulator=true"
if "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp5" --until-caught-up \
     --progress-ms 0 > "$T/bad.out" 2> "$T/bad.err"; then fail "a wrong key was accepted"; fi
grep -q 'put-token refused (status 401' "$T/bad.err" || fail "wrong key: $(tail -2 "$T/bad.err")"
if grep -q 'd3Jvbmc' "$T/bad.err"; then fail "the wrong key was logged"; fi
ok "a wrong SharedAccessKey is refused with 401, named, not logged"

# long-running mode: runs until SIGTERM, then drains and checkpoints (unselected partitions untouched)
serve
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp6" --partitions 1-2 \
  --progress-ms 0 --checkpoint-ms 20 --stats-json "$T/run6.json" > "$T/run6.out" 2> "$T/run6.err" &
RPID=$!
for _ in $(seq 300); do
  "$B/sluice" checkpoint show --spool-dir "$T/sp6" > "$T/ck6.json" 2>/dev/null && python3 - "$T/stat.json" "$T/ck6.json" <<'PY' && break
import json, sys
st = json.load(open(sys.argv[1])); ck = json.load(open(sys.argv[2]))["partitions"]
sys.exit(0 if all(ck.get(p, {}).get("sequence_number") == st["per_partition"][p]["last_sequence_number"] for p in ("1", "2")) else 1)
PY
  sleep 0.1
done
kill -TERM $RPID
wait $RPID || fail "SIGTERM: exit status $? ($(tail -2 "$T/run6.err"))"
python3 - "$T/stat.json" "$T/ck6.json" "$T/run6.json" <<'PY' || exit 1
import json, sys
st = json.load(open(sys.argv[1])); ck = json.load(open(sys.argv[2]))["partitions"]; run = json.load(open(sys.argv[3]))
if sorted(ck) != ["1", "2"]: print("FAIL: checkpointed partitions", sorted(ck)); sys.exit(1)
want = sum(st["per_partition"][p]["last_sequence_number"] + 1 for p in ("1", "2"))
if run["messages"] != want: print("FAIL: read", run["messages"], "messages, want", want); sys.exit(1)
PY
ok "without --until-caught-up: SIGTERM drains, exit 0, partitions 1-2 complete"
