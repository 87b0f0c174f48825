#!/usr/bin/env bash
# file_sinks.sh - the stdout and dir: sinks deliver everything: stdout carries
# exactly the events (the summary goes to stderr), dir:PATH holds every segment
# as a readable spool (lz4cat, sluice spool cat/verify), the spool keeps no
# delivered bytes, and the dead letters of deleted segments are saved in
# DIR/dead-letters/.
#   usage: file_sinks.sh BUILD_DIR SHARED_DIR
B=$1; SHARED=$2
. "$(dirname "$0")/lib.sh"
EVENTS=20000
RUN=(--shards 2 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --progress-ms 0
     --checkpoint-ms 50 --until-caught-up)
"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --seed 12 > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink stdout \
  --sink "dir:$T/out" --sink-batch-events 700 --stats-json "$T/r.json" > "$T/stdout.ndjson" \
  2> "$T/r.err" || { tail "$T/r.err"; fail "run"; }
python3 "$HERE/../e2e/check_events.py" --count "$EVENTS" --distinct-uids < "$T/stdout.ndjson" > /dev/null \
  || fail "stdout: $(python3 "$HERE/../e2e/check_events.py" --count "$EVENTS" --distinct-uids < "$T/stdout.ndjson")"
grep -q "sluice: run finished" "$T/r.err" || fail "summary not on stderr"
grep -q "forwarded" "$T/r.err" || fail "no forwarded line in the summary"
"$B/sluice" spool verify "$T/out" > "$T/verify.json" || fail "dir: spool verify"
[ "$(json "$T/verify.json" "d['events']")" = "$EVENTS" ] || fail "dir: $(json "$T/verify.json" "d['events']") events"
cmp -s <("$B/sluice" spool cat "$T/out" | sort) <(sort "$T/stdout.ndjson") || fail "dir and stdout differ"
[ "$(lz4cat "$T"/out/*/*.seg | wc -l)" = "$EVENTS" ] || fail "lz4cat of the dir copies"
[ -z "$(find "$T/out" -name '.*')" ] || fail "temp files left in the dir sink"
[ "$(find "$T/s" -name '*.seg' -size +0 | wc -l)" = 0 ] || fail "delivered segments left in the spool"
nseg=$(json "$T/verify.json" "d['segments']")
[ "$(json "$T/r.json" "d['sink_segments']")" = $((2 * nseg)) ] || fail "sink_segments"
[ "$(json "$T/r.json" "d['sink_deleted']")" = "$nseg" ] || fail "sink_deleted"
[ "$(json "$T/r.json" "[s['events'] for s in d['sinks']]")" = "[$EVENTS, 0]" ] || fail "per-sink events"
ok "stdout and dir: $EVENTS events, $nseg segments each, spool emptied"

# dead letters: kept in DIR/dead-letters/ when their segment is deleted
good=$(head -3 "$SHARED/samples/elastic/test-device.log")
{
  echo "$good"
  echo '{"time":"2024-01-01T00:00:00Z","tenantId":"t","properties":{"Timestamp":"2024-01-01T00:00:00Z"}}'
  echo '{"category":"AdvancedHunting-DeviceEvents","properties":{"ActionType":"X"}}'
  echo 'not json at all'
} > "$T/mixed.log"
"$B/sluice-replay" import --out "$T/cap2" --partitions 2 --records-per-message 2 "$T/mixed.log" > /dev/null
"$B/sluice" run --source "replay:$T/cap2" --spool-dir "$T/s2" --until-caught-up --progress-ms 0 \
  --sink "dir:$T/out2" --stats-json "$T/r2.json" > /dev/null 2> "$T/r2.err" || { tail "$T/r2.err"; fail "dead-letter run"; }
dl=$(json "$T/r2.json" "d['dead_letters']")
[ "$dl" -ge 3 ] || fail "want dead letters, got $dl"
cat "$T"/s2/dead-letters/*.ndjson | sort > "$T/dl.saved"
"$B/sluice" spool cat --dead-letters "$T/out2" | sort > "$T/dl.want"
[ "$(wc -l < "$T/dl.saved")" = "$dl" ] || fail "dead-letters/ has $(wc -l < "$T/dl.saved") lines, want $dl"
cmp -s "$T/dl.saved" "$T/dl.want" || fail "dead-letters/ differs from the segments' dead letters"
[ -z "$(find "$T/s2" -name '*.seg' -size +0)" ] || fail "segments not deleted"
ok "dead letters of deleted segments: $dl saved in DIR/dead-letters/"
