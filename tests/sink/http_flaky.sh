#!/usr/bin/env bash
# http_flaky.sh - the http sink against a receiver that answers 500/503, stalls
# past --sink-timeout and drops connections at random: every event arrives at
# least once, and per shard in spool order; delivered segments are deleted only
# after delivery. Twice: delivering a spool that is already complete, and
# delivering (gzip'ed) while sluice is still writing it.
#   usage: http_flaky.sh BUILD_DIR
B=$1; EVENTS=20000
. "$(dirname "$0")/lib.sh"
RUN=(--shards 2 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --progress-ms 0
     --checkpoint-ms 50 --until-caught-up)
SINK=(--sink-timeout 1s --sink-backoff-max 200ms --sink-max-attempts 0 --sink-batch-events 500
      --sink-drain-timeout 300s)
"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --seed 5 > /dev/null

# 1. a complete spool, then a run that only forwards it
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s1" "${RUN[@]}" > /dev/null 2> "$T/r0.err" \
  || { cat "$T/r0.err"; fail "spooling run"; }
check ref --sluice "$B/sluice" --spool "$T/s1" --out "$T/ref1" > "$T/ref1.json"
nseg=$(json "$T/ref1.json" "d['segments']")
[ "$nseg" -ge 8 ] || fail "want at least 8 segments, got $nseg"
start_server a --fail 0.2 --stall 0.04 --stall-s 1.5 --drop 0.1 --seed 7
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s1" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --stats-json "$T/r1.json" > "$T/r1.out" 2> "$T/r1.err" || { tail "$T/r1.err"; fail "forwarding run"; }
check check --ref "$T/ref1" --received "$T/a.out" > "$T/c1.json" || { cat "$T/c1.json"; fail "delivery"; }
for mode in fail stall drop; do
  grep -q "^$mode " "$T/a.log" || fail "the server never chose $mode (test too small?)"
done
[ "$(json "$T/r1.json" "d['sink_pending']")" = 0 ] || fail "segments left undelivered"
[ "$(json "$T/r1.json" "d['sink_segments']")" = "$nseg" ] || fail "sink_segments != $nseg"
[ "$(json "$T/r1.json" "d['sink_retries'] > 0")" = True ] || fail "no retries counted"
[ "$(json "$T/r1.json" "d['sink_deleted']")" = "$nseg" ] || fail "delivered segments not deleted"
check retention --ref "$T/ref1" --received "$T/a.out" --spool "$T/s1" > /dev/null
grep -q "forwarded    $nseg segments" "$T/r1.out" || fail "summary has no forwarded line"
ok "complete spool: $nseg segments through $(grep -c . "$T/a.log") requests: $(cat "$T/c1.json")"

# 2. forwarding while sluice writes, gzip'ed; everything kept (--retain-bytes) so
#    the spool can be compared afterwards
start_server b --fail 0.2 --stall 0.04 --stall-s 1.5 --drop 0.1 --seed 8
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s2" "${RUN[@]}" --sink "$URL" "${SINK[@]}" \
  --sink-gzip --retain-bytes 64G --stats-json "$T/r2.json" > /dev/null 2> "$T/r2.err" \
  || { tail "$T/r2.err"; fail "run with forwarding"; }
check ref --sluice "$B/sluice" --spool "$T/s2" --out "$T/ref2" > /dev/null
check check --ref "$T/ref2" --received "$T/b.out" > "$T/c2.json" || { cat "$T/c2.json"; fail "delivery (gzip)"; }
grep -q "gzip=1" "$T/b.out" || fail "batches were not gzip'ed"
[ "$(json "$T/r2.json" "d['sink_pending']")" = 0 ] || fail "segments left undelivered (gzip)"
[ "$(json "$T/r2.json" "d['sink_deleted']")" = 0 ] || fail "--retain-bytes 64G deleted segments"
[ "$(json "$T/r2.json" "d['events']")" = "$EVENTS" ] || fail "events written"
ok "while writing, gzip: $(cat "$T/c2.json")"
