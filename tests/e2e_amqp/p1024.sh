#!/usr/bin/env bash
# p1024.sh - 1024 partitions over AMQP: `sluice run --source eventhub` with 1024
# pinned rx threads (each its own proactor and connection) against a
# 1024-partition hub served by `sluice-replay serve` on loopback. Every event lands
# once (count and distinct metadata.uid), every partition is checkpointed at its
# last sequence number, and the peak RSS is printed (not asserted: a figure).
#   usage: p1024.sh BUILD_DIR [EVENTS_PER_PARTITION]
B=$1; PER=${2:-20}
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
EVENTS=$((1024 * PER))
"$B/sluice-replay" synth --out "$T/cap" --partitions 1024 --events "$EVENTS" --records-per-message 1 \
  --seed 9 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")
. "$(dirname "$0")/serve_lib.sh"
serve
python3 - "$B/sluice" "$T" <<'PY' || fail "sluice run with 1024 partitions failed: $(tail -5 "$T/run.err")"
import resource, subprocess, sys
b, t = sys.argv[1], sys.argv[2]
r = subprocess.run([b, "run", "--source", "eventhub", "--connection-string-env", "X",
                    "--spool-dir", t + "/sp", "--until-caught-up", "--batch-bytes", "64K",
                    "--rx-batches", "2", "--progress-ms", "0", "--log-level", "warn",
                    "--stats-json", t + "/run.json"],
                   stdout=open(t + "/run.out", "w"), stderr=open(t + "/run.err", "w"))
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"p1024: sluice run exit {r.returncode}, peak RSS {rss / 1024:.0f} MB")
sys.exit(r.returncode)
PY
[ "$(json "$T/run.json" "d['partitions']")" = "1024" ] || fail "partitions: $(json "$T/run.json" "d['partitions']")"
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
"$B/sluice" checkpoint show --spool-dir "$T/sp" > "$T/ckpt.json"
python3 - "$T/stat.json" "$T/ckpt.json" <<'PY' || fail "checkpoints differ"
import json, sys
st = json.load(open(sys.argv[1])); ck = json.load(open(sys.argv[2]))
bad = [p for p, v in st["per_partition"].items()
       if ck["partitions"].get(p, {}).get("sequence_number") != v["last_sequence_number"]]
if bad: print("FAIL: checkpoints differ for", len(bad), "partitions, e.g.", bad[:5]); sys.exit(1)
PY
ok "1024 partitions, $EVENTS events via AMQP, each once, every partition checkpointed at its last sequence number ($(json "$T/run.json" "round(d['events_per_s'])") events/s)"
