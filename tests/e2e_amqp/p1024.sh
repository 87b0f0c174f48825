#!/usr/bin/env bash
# p1024.sh - 1024 partitions over AMQP: `sluice run --source eventhub` with 1024
# pinned rx threads (each its own proactor and connection) against a
# 1024-partition hub served by `sluice-replay serve` on loopback. Every event lands
# once (count and distinct metadata.uid), every partition is checkpointed at its
# last sequence number, and the peak RSS stays under --memory-budget (768M: the
# planner picks --rx-batches to fit; the kernel's peak for the child is checked).
# Then the same events from a 16-partition capture, for events/s side by side.
#   usage: p1024.sh BUILD_DIR [EVENTS_PER_PARTITION]
B=$1; PER=${2:-20}; BUDGET_MB=768
. "$(dirname "$0")/../e2e/lib.sh"
CHECK="$HERE/../e2e/check_events.py"
EVENTS=$((1024 * PER))
"$B/sluice-replay" synth --out "$T/cap" --partitions 1024 --events "$EVENTS" --records-per-message 1 \
  --seed 9 > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
HUB=$(json "$T/stat.json" "d['eventhub']")
. "$(dirname "$0")/serve_lib.sh"
serve
python3 - "$B/sluice" "$T" "$BUDGET_MB" <<'PY' || fail "sluice run with 1024 partitions failed: $(tail -5 "$T/run.err")"
import json, resource, subprocess, sys
b, t, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = subprocess.run([b, "run", "--source", "eventhub", "--connection-string-env", "X",
                    "--spool-dir", t + "/sp", "--until-caught-up", "--batch-bytes", "64K",
                    "--memory-budget", f"{budget}M", "--progress-ms", "0", "--log-level", "warn",
                    "--stats-json", t + "/run.json"],
                   stdout=open(t + "/run.out", "w"), stderr=open(t + "/run.err", "w"))
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"p1024: sluice run exit {r.returncode}, peak RSS {rss:.0f} MB, --memory-budget {budget} MB")
if r.returncode: sys.exit(r.returncode)
m = json.load(open(t + "/run.json"))["memory"]
print(f"p1024: planned {m['planned_bytes'] >> 20} MB with --rx-batches {m['rx_batches']}, "
      f"sluice saw a peak of {m['peak_rss_bytes'] >> 20} MB")
bad = []
if rss >= budget: bad.append(f"peak RSS {rss:.0f} MB is not under --memory-budget {budget} MB")
if m["budget_bytes"] != budget << 20 or m["planned_bytes"] > budget << 20: bad.append(f"plan {m}")
if m["seconds_over_budget"]: bad.append(f"{m['seconds_over_budget']} s over budget")
if bad: print("FAIL:", "; ".join(bad)); sys.exit(1)
PY
[ "$(json "$T/run.json" "d['partitions']")" = "1024" ] || fail "partitions: $(json "$T/run.json" "d['partitions']")"
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "$(json "$T/run.json" "d['events']") events, want $EVENTS"
"$B/sluice" spool cat "$T/sp" | python3 "$CHECK" --count "$EVENTS" --distinct-uids
ckpt_ok "$T/sp"
# a budget that cannot hold 1024 partitions fails at start, with the figures and the fixes
rc=0; "$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp0" --until-caught-up \
  --memory-budget 256M --progress-ms 0 > "$T/b.out" 2> "$T/b.err" || rc=$?
[ "$rc" = 2 ] || fail "--memory-budget 256M with 1024 partitions: exit $rc, want 2"
grep -q "memory-budget 256 MB cannot hold 1024 partitions.*--rx-batches 2 they need about [0-9]* MB; raise --memory-budget" "$T/b.err" \
  || fail "--memory-budget 256M: $(cat "$T/b.err")"
[ ! -e "$T/sp0/0" ] || fail "--memory-budget 256M: something was spooled"
ok "--memory-budget 256M: $(tail -1 "$T/b.err")"
EPS1024=$(json "$T/run.json" "round(d['events_per_s'])")
ok "1024 partitions, $EVENTS events via AMQP, each once, every partition checkpointed at its last sequence number, peak RSS under --memory-budget ${BUDGET_MB}M ($EPS1024 events/s)"

# the same number of events over 16 partitions, same flags: events/s for comparison
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
"$B/sluice-replay" synth --out "$T/cap" --partitions 16 --events "$EVENTS" --records-per-message 1 \
  --seed 9 > /dev/null
serve
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp16" --until-caught-up \
  --batch-bytes 64K --memory-budget "${BUDGET_MB}M" --progress-ms 0 --log-level warn \
  --stats-json "$T/run16.json" > "$T/run16.out" 2> "$T/run16.err" || fail "16 partitions: $(tail -3 "$T/run16.err")"
[ "$(json "$T/run16.json" "d['events']")" = "$EVENTS" ] || fail "16 partitions: $(json "$T/run16.json" "d['events']") events"
ok "the same $EVENTS events over 16 partitions: $(json "$T/run16.json" "round(d['events_per_s'])") events/s, peak RSS $(json "$T/run16.json" "d['memory']['peak_rss_bytes'] >> 20") MB (1024 partitions: $EPS1024 events/s)"
