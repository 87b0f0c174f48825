#!/usr/bin/env bash
# http_reject.sh - a receiver that rejects everything: nothing undelivered is
# ever deleted, whatever --retain-bytes says; with --sink-max-attempts each
# segment is given up into DIR/failed/ with an .error file and its events are
# all still there; credentials in the URL never reach a log, marker or file.
#   usage: http_reject.sh BUILD_DIR
B=$1
. "$(dirname "$0")/lib.sh"
RUN=(--shards 1 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --progress-ms 0
     --checkpoint-ms 50 --until-caught-up)
"$B/sluice-replay" synth --out "$T/cap" --partitions 2 --events 8000 --seed 9 > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" > /dev/null 2>&1 \
  || fail "spooling run"
check ref --sluice "$B/sluice" --spool "$T/s" --out "$T/ref" > "$T/ref.json"
nseg=$(json "$T/ref.json" "d['segments']")
[ "$nseg" -ge 3 ] || fail "want at least 3 segments, got $nseg"
segs "$T/s" > "$T/before.txt"
start_server r --reject-all
SURL=${URL/http:\/\//http://alice:s3cretpw@}

# 1. retrying forever (--sink-max-attempts 0): the run ends after the drain
#    timeout, every segment is still there, byte for byte
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$SURL" \
  --sink-max-attempts 0 --sink-backoff-max 100ms --sink-drain-timeout 2s --retain-bytes 1M \
  --stats-json "$T/r1.json" > "$T/r1.out" 2> "$T/r1.err" || { tail "$T/r1.err"; fail "run 1"; }
segs "$T/s" > "$T/after1.txt"
cmp -s "$T/before.txt" "$T/after1.txt" || fail "undelivered segments changed: $(diff "$T/before.txt" "$T/after1.txt")"
[ ! -e "$T/s/failed" ] || fail "a segment went to failed/ with --sink-max-attempts 0"
[ "$(json "$T/r1.json" "d['sink_pending']")" = "$nseg" ] || fail "sink_pending != $nseg"
[ "$(json "$T/r1.json" "d['sink_deleted']")" = 0 ] || fail "deleted undelivered segments"
[ "$(json "$T/r1.json" "d['sink_retries'] >= 5")" = True ] || fail "too few retries"
grep -q "delivery failed, retrying" "$T/r1.err" || fail "no retry logged"
ok "rejected for 2 s: all $nseg segments kept, $(json "$T/r1.json" "d['sink_retries']") retries"

# 2. --sink-max-attempts 3: every segment is given up into failed/ with its error
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" "${RUN[@]}" --sink "$SURL" \
  --sink-max-attempts 3 --sink-backoff-max 100ms --sink-drain-timeout 60s \
  --stats-json "$T/r2.json" > "$T/r2.out" 2> "$T/r2.err" || { tail "$T/r2.err"; fail "run 2"; }
[ "$(json "$T/r2.json" "d['sink_failed']")" = "$nseg" ] || fail "sink_failed != $nseg"
[ "$(json "$T/r2.json" "d['sink_pending']")" = 0 ] || fail "sink_pending after giving up"
[ "$(ls "$T/s/failed"/*.seg | wc -l)" = "$nseg" ] || fail "failed/ lacks segments: $(ls "$T/s/failed")"
[ "$(ls "$T/s/failed"/*.error | wc -l)" = "$nseg" ] || fail "failed/ lacks .error files"
for e in "$T/s/failed"/*.error; do
  grep -q "^error: http: status 50[03]" "$e" || fail "$e: no status: $(cat "$e")"
  grep -q "^attempts: 3$" "$e" || fail "$e: attempts"
  grep -q "^sink: http://127.0.0.1" "$e" || fail "$e: sink"
done
# the events are all in failed/: read them back as a spool
mkdir -p "$T/back/0"
i=0
for f in $(ls "$T/s/failed"/*.seg | sort); do
  ln "$f" "$T/back/0/$(printf '%020d' $i).seg"; i=$((i + 1))
done
"$B/sluice" spool cat "$T/back" > "$T/back.ndjson"
cat "$T/ref"/0/*.ndjson > /dev/null
python3 - "$T/ref" "$T/back.ndjson" <<'PY'
import os, sys
ref = sorted(l for sh in os.listdir(sys.argv[1]) for f in os.listdir(os.path.join(sys.argv[1], sh))
             for l in open(os.path.join(sys.argv[1], sh, f), "rb"))
back = sorted(open(sys.argv[2], "rb"))
if ref != back: print(f"FAIL: failed/ holds {len(back)} events, the spool had {len(ref)}"); sys.exit(1)
PY
# the spool keeps no bytes of them (the newest name stays, empty)
[ "$(find "$T/s/0" -name '*.seg' -size +0 | wc -l)" = 0 ] || fail "given-up segments still in the spool"
if grep -rq "s3cretpw" "$T/s" "$T/r1.err" "$T/r2.err" "$T/r1.out" "$T/r2.out" "$T/r1.json" "$T/r2.json"; then
  fail "the URL's password was written somewhere"
fi
ok "gave up after 3 attempts: $nseg segments in failed/ with .error files, every event kept"
