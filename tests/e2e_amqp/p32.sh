#!/usr/bin/env bash
# p32.sh - 32 partitions x 50,000 events (messages of one record: 1,600,000) over
# AMQP: `sluice run --source eventhub --until-caught-up` against `sluice-replay
# serve` on loopback lands every event once (count and distinct metadata.uid) with
# every partition checkpointed at its last sequence number; a second run on the same
# spool writes nothing; a run on a fresh spool against `serve --faults` (detaches,
# dropped connections, server-busy detaches = throttle) still lands every event
# once, checkpoints complete, with reconnects and throttling counted by sluice and
# each fault kind counted by serve. Timing and events/s are printed per run.
#   usage: p32.sh BUILD_DIR [EVENTS_PER_PARTITION] [FAULTS]
B=$1; PER=${2:-50000}; FAULTS=${3:-detach=0.0001,drop=0.00005,throttle=0.00005}
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
EVENTS=$((32 * PER))
# about 1.2 GB of capture and 1 GB per spool (two spools at most at a time)
FREE_MB=$(df -Pm "$T" | awk 'NR == 2 { print $4 }')
[ "$FREE_MB" -ge $((PER * 32 * 2500 / 1000000 + 500)) ] || fail "only $FREE_MB MB free in $T"

# synth deals messages round-robin over the partitions: 32 x PER messages give PER each
"$B/sluice-replay" synth --out "$T/cap" --partitions 32 --events "$EVENTS" --records-per-message 1 \
  --seed 32 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")
python3 - "$T/stat.json" "$PER" <<'PY' || fail "the capture is not 32 x $PER messages"
import json, sys
st = json.load(open(sys.argv[1])); per = int(sys.argv[2])
pp = st["per_partition"]
bad = [p for p, v in pp.items() if v["messages"] != per or v["first_sequence_number"] != 0
       or v["last_sequence_number"] != per - 1]
if len(pp) != 32 or bad: print("FAIL: partitions", len(pp), "uneven:", bad[:5]); sys.exit(1)
PY
. "$(dirname "$0")/serve_lib.sh"
# run SPOOL [flags]: one caught-up run, summary JSON in $T/run.json, wall seconds in WALL
run() {
  local sp=$1; shift
  local t0; t0=$(date +%s.%N)
  "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$sp" --until-caught-up \
    --progress-ms 0 --log-level warn --stats-json "$T/run.json" "$@" > "$T/run.out" 2> "$T/run.err" \
    || fail "sluice run $*: $(tail -5 "$T/run.err")"
  WALL=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")
  [ "$(json "$T/run.json" "d['partitions']")" = "32" ] || fail "partitions: $(json "$T/run.json" "d['partitions']")"
}
# counts_ok: the run read and wrote every message once
counts_ok() {
  [ "$(json "$T/run.json" "d['messages']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['messages']") messages, want $EVENTS"
  [ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
}
# spool_ok SPOOL: the spool holds every event once
spool_ok() {
  "$B/sluice" spool cat "$1" | python3 "$CHECK" --count "$EVENTS" --distinct-uids > "$T/check.out" \
    || fail "spool $1: $(cat "$T/check.out")"
}
rate() { json "$T/run.json" "round(d['events_per_s'])"; }

# run 1: clean serve, every event once, checkpoints at the last sequence numbers
serve
run "$T/sp"
counts_ok
spool_ok "$T/sp"
ckpt_ok "$T/sp"
ok "32 partitions x $PER events via AMQP, each once, checkpoints at the last sequence numbers ($WALL s, $(rate) events/s)"

# run 2: same spool; every partition's checkpoint is at its last sequence number, so
# the run reads nothing and writes nothing, and the checkpoints stay where they were
run "$T/sp"
[ "$(json "$T/run.json" "d['messages']")" = "0" ] || fail "second run read $(json "$T/run.json" "d['messages']") messages"
[ "$(json "$T/run.json" "d['events']")" = "0" ] || fail "second run wrote $(json "$T/run.json" "d['events']") events"
ckpt_ok "$T/sp"
ok "second run on the same spool wrote nothing ($WALL s)"
rm -rf "$T/sp"

# run 3: fresh spool, detaches, dropped connections and server-busy detaches (throttling)
serve --faults "$FAULTS"
run "$T/spf" --batch-bytes 64K --rx-batches 2
counts_ok
spool_ok "$T/spf"
ckpt_ok "$T/spf"
kill "$SPID"; wait "$SPID" || fail "serve exit status $?"; SPID=
grep 'serve: done' "$T/serve.err" | tail -1 > "$T/done.txt"
python3 - "$T/run.json" "$T/done.txt" <<'PY' || exit 1
import json, re, sys
eh = json.load(open(sys.argv[1]))["eventhub"]
done = dict(re.findall(r"(\w+)=(\d+)", open(sys.argv[2]).read()))
print("p32: sluice eventhub", eh, "| serve", {k: v for k, v in done.items() if k.startswith("fault_")})
bad = [k for k in ("fault_detach", "fault_drop", "fault_throttle") if int(done.get(k, 0)) == 0]
if bad: print("FAIL: serve injected no", bad); sys.exit(1)
if eh["reconnects"] == 0: print("FAIL: no reconnect counted under faults"); sys.exit(1)
if eh["server_busy"] == 0: print("FAIL: no throttling (server_busy) counted under throttle faults"); sys.exit(1)
PY
ok "faults $FAULTS: $(sed 's/.*\(fault_detach=[0-9]*\) \(fault_drop=[0-9]*\) .*\(fault_throttle=[0-9]*\).*/\1 \2 \3/' "$T/done.txt"), $(json "$T/run.json" "d['eventhub']['reconnects']") reconnects, every event once, checkpoints complete ($WALL s, $(rate) events/s)"
