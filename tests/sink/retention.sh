#!/usr/bin/env bash
# retention.sh - retention deletes only what every sink has delivered:
#   1. two sinks, one of which stops accepting after a few batches: exactly the
#      segments both have in full are deleted, nothing else;
#   2. --retain-hours: delivered segments older than that go, younger ones stay;
#   3. --retain-bytes: the oldest delivered go until the spool fits;
#   4. the newest segment of a shard keeps its name (empty), so a restarted spool
#      never reuses a delivered segno; the next run's segments are delivered.
#   usage: retention.sh BUILD_DIR
B=$1
. "$(dirname "$0")/lib.sh"
RUN=(--shards 1 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --progress-ms 0
     --checkpoint-ms 50 --until-caught-up)
SINK=(--sink-max-attempts 0 --sink-backoff-max 100ms --sink-batch-events 300)
"$B/sluice-replay" synth --out "$T/cap" --partitions 2 --events 12000 --seed 4 > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" > /dev/null 2>&1 \
  || fail "spooling run"
check ref --sluice "$B/sluice" --spool "$T/s" --out "$T/ref" > "$T/ref.json"
nseg=$(json "$T/ref.json" "d['segments']")
[ "$nseg" -ge 6 ] || fail "want at least 6 segments, got $nseg"
cp -a "$T/s" "$T/s0"

# 1. sink a takes everything, sink b only its first 9 batches
start_server a
UA=$URL
start_server b --accept-batches 9
UB=$URL
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$UA" --sink "$UB" \
  "${SINK[@]}" --sink-drain-timeout 3s --stats-json "$T/r1.json" > /dev/null 2> "$T/r1.err" \
  || { tail "$T/r1.err"; fail "run 1"; }
check check --ref "$T/ref" --received "$T/a.out" --max-dups 0 > /dev/null
check retention --ref "$T/ref" --received "$T/b.out" --spool "$T/s" > "$T/ret1.json"
check retention --ref "$T/ref" --received "$T/a.out" --spool "$T/s" > /dev/null
del=$(json "$T/ret1.json" "d['deleted']")
[ "$del" -ge 1 ] && [ "$del" -lt "$nseg" ] || fail "want some but not all deleted: $(cat "$T/ret1.json")"
[ "$(json "$T/r1.json" "d['sink_deleted']")" = "$del" ] || fail "sink_deleted != $del"
ok "two sinks, one stuck: $del of $nseg segments deleted, each delivered to both"

# 2. age: segments 0..2 are 3 hours old; --retain-hours 2 deletes only those
rm -rf "$T/s" && cp -a "$T/s0" "$T/s"
for i in 0 1 2; do touch -d '3 hours ago' "$T/s/0/$(printf '%020d' $i).seg"; done
start_server c
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --retain-hours 2 --stats-json "$T/r2.json" > /dev/null 2> "$T/r2.err" || { tail "$T/r2.err"; fail "run 2"; }
check check --ref "$T/ref" --received "$T/c.out" --max-dups 0 > /dev/null
for i in $(seq 0 $((nseg - 1))); do
  f="$T/s/0/$(printf '%020d' $i).seg"
  if [ "$i" -le 2 ]; then [ ! -e "$f" ] || fail "old delivered segment $i kept"
  else [ -s "$f" ] || fail "young delivered segment $i deleted"; fi
done
ok "--retain-hours 2: the 3 old segments deleted, $((nseg - 3)) young ones kept"

# 3. size: --retain-bytes 2M keeps the newest delivered segments that fit in 2 MiB
size_before=$(du -cb "$T/s"/0/*.seg | tail -1 | cut -f1)
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --retain-bytes 2M --stats-json "$T/r3.json" > /dev/null 2> "$T/r3.err" || { tail "$T/r3.err"; fail "run 3"; }
size_after=$(du -cb "$T/s"/0/*.seg | tail -1 | cut -f1)
[ "$size_after" -le $((2 << 20)) ] || fail "spool is $size_after bytes, over --retain-bytes 2M"
[ "$size_after" -gt $((1 << 20)) ] || fail "spool is $size_after bytes: deleted more than needed"
left=$(ls "$T/s"/0/*.seg | head -1)
[ "$(basename "$left")" != "$(printf '%020d' 3).seg" ] || fail "oldest segment kept"
[ "$(json "$T/r3.json" "d['sink_segments']")" = 0 ] || fail "segments delivered twice"
ok "--retain-bytes 2M: $size_before -> $size_after bytes, oldest first"

# 4. delete at once; the newest name stays empty; new segments continue the numbering
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  > /dev/null 2> "$T/r4.err" || { tail "$T/r4.err"; fail "run 4"; }
last=$(printf '%020d' $((nseg - 1)))
[ -e "$T/s/0/$last.seg" ] && [ ! -s "$T/s/0/$last.seg" ] || fail "newest segment name not kept empty"
[ "$(find "$T/s/0" -name '*.seg' | wc -l)" = 1 ] || fail "delivered segments left: $(ls "$T/s/0")"
"$B/sluice-replay" synth --out "$T/cap2" --partitions 2 --events 3000 --seed 41 --eventhub other > /dev/null
n0=$(batches c)
"$B/sluice" run --source "replay:$T/cap2" --spool-dir "$T/s" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --stats-json "$T/r5.json" > /dev/null 2> "$T/r5.err" || { tail "$T/r5.err"; fail "run 5"; }
[ "$(json "$T/r5.json" "d['sink_events']")" = 3000 ] || fail "new segments after a full delete not delivered: $(json "$T/r5.json" "d['sink_events']")"
[ -z "$(find "$T/s/0" -name "$(printf '%020d' 0).seg")" ] || fail "segno 0 reused"
ok "delete at once: newest name kept empty; the next run's 3000 events delivered ($(( $(batches c) - n0 )) batches)"
