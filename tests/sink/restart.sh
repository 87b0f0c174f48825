#!/usr/bin/env bash
# restart.sh - delivery state survives restarts:
#   1. SIGKILL in the middle of delivery, restart: delivery resumes at the
#      marker, so at most the batch in flight arrives twice, and everything
#      arrives, in order per shard (a different --sink-batch-events on restart:
#      markers count lines, not batches);
#   2. the same with the fail point sink.delivered (killed right after a batch
#      was delivered, before its marker): exactly that batch arrives twice;
#   3. SIGTERM: forwarders stop after their current batch, sluice exits 0 soon,
#      and the next run delivers the rest.
#   usage: restart.sh BUILD_DIR
B=$1
. "$(dirname "$0")/lib.sh"
RUN=(--shards 2 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --progress-ms 0
     --checkpoint-ms 50)
SINK=(--sink-max-attempts 0 --sink-backoff-max 100ms --sink-batch-events 200
      --sink-drain-timeout 300s)
"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events 16000 --seed 6 > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s0" "${RUN[@]}" --until-caught-up \
  > /dev/null 2>&1 || fail "spooling run"
check ref --sluice "$B/sluice" --spool "$T/s0" --out "$T/ref" > /dev/null

# 1. SIGKILL while a slow receiver is being fed
cp -a "$T/s0" "$T/s1"
start_server a --delay-ms 40
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s1" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  > /dev/null 2> "$T/k1.err" &
pid=$!
for _ in $(seq 600); do [ "$(batches a)" -ge 15 ] && break; sleep 0.02; done
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
n1=$(batches a)
[ "$n1" -ge 15 ] || fail "only $n1 batches before the kill"
ls "$T/s1"/*/delivered.http-* > /dev/null || fail "no delivery marker after $n1 batches"
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s1" "${RUN[@]}" --until-caught-up \
  --sink "$URL" "${SINK[@]}" --sink-batch-events 333 --stats-json "$T/k1.json" > /dev/null \
  2> "$T/k1b.err" || { tail "$T/k1b.err"; fail "restart after SIGKILL"; }
check check --ref "$T/ref" --received "$T/a.out" --max-dups 200 > "$T/c1.json" \
  || { cat "$T/c1.json"; fail "after SIGKILL"; }
ok "SIGKILL after $n1 batches, restart: $(cat "$T/c1.json")"

# 2. the fail point: die right after the 7th delivered batch, before its marker
cp -a "$T/s0" "$T/s2"
start_server b
rc=0
# (in the background: bash reports a foreground job killed by a signal on stderr)
SLUICE_FAILPOINTS='sink.delivered=kill@7' "$B/sluice" run --source "replay:$T/cap" \
  --spool-dir "$T/s2" "${RUN[@]}" --until-caught-up --sink "$URL" "${SINK[@]}" > /dev/null \
  2> "$T/f.err" &
wait $! 2> /dev/null || rc=$?
[ "$rc" = 137 ] || { tail "$T/f.err"; fail "fail point: exit $rc, want 137 (SIGKILL)"; }
[ "$(batches b)" = 7 ] || fail "fail point: $(batches b) batches delivered before the kill, want 7"
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s2" "${RUN[@]}" --until-caught-up \
  --sink "$URL" "${SINK[@]}" > /dev/null 2> "$T/f2.err" || { tail "$T/f2.err"; fail "restart after fail point"; }
check check --ref "$T/ref" --received "$T/b.out" --max-dups 200 > "$T/c2.json" \
  || { cat "$T/c2.json"; fail "after the fail point"; }
python3 - "$T/b.out" <<'PY'
import sys
heads = [l.split()[1:5] for l in open(sys.argv[1]) if l.startswith("#batch ")]
if heads[7] != heads[6]:
    print(f"FAIL: the batch after the restart is {heads[7]}, want the killed one again {heads[6]}")
    sys.exit(1)
if len(set(map(tuple, heads))) != len(heads) - 1:
    print("FAIL: more than the one batch in flight was sent twice"); sys.exit(1)
PY
ok "fail point sink.delivered: the 7th batch resent once, nothing else: $(cat "$T/c2.json")"

# 3. SIGTERM: stop after the current batch
cp -a "$T/s0" "$T/s3"
start_server c --delay-ms 100
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s3" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --stats-json "$T/t.json" > "$T/t.out" 2> "$T/t.err" &
pid=$!
for _ in $(seq 600); do [ "$(batches c)" -ge 5 ] && break; sleep 0.02; done
t0=$(date +%s%N)
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || { tail "$T/t.err"; fail "exit $rc after SIGTERM"; }
[ "$ms" -lt 5000 ] || fail "took $ms ms to stop after SIGTERM"
n3=$(batches c)
[ "$(json "$T/t.json" "d['sink_batches']")" = "$n3" ] || fail "batches counted $(json "$T/t.json" "d['sink_batches']") != received $n3"
[ "$(json "$T/t.json" "d['sink_pending'] > 0")" = True ] || fail "nothing pending after SIGTERM?"
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s3" "${RUN[@]}" --until-caught-up \
  --sink "$URL" "${SINK[@]}" > /dev/null 2> "$T/t2.err" || { tail "$T/t2.err"; fail "run after SIGTERM"; }
check check --ref "$T/ref" --received "$T/c.out" --max-dups 0 > "$T/c3.json" \
  || { cat "$T/c3.json"; fail "after SIGTERM"; }
ok "SIGTERM: stopped in $ms ms after $n3 batches, nothing sent twice: $(cat "$T/c3.json")"
