#!/usr/bin/env bash
# torn_tail.sh - recovery on start (DESIGN.md §5): a run killed mid-write
# (fail point spool.synced=kill) leaves open segments; we add a torn frame to
# the tail of one. The next run cuts exactly the torn bytes (and logs file,
# offset, bytes and why), seals every open segment, never touches sealed ones,
# then finishes the capture: every event is in the spool (at least once), the
# spool verifies, and the summary and --stats-json report what was recovered.
#   usage: torn_tail.sh BUILD_DIR [EVENTS]
B=$1; EVENTS=${2:-5000}
. "$(dirname "$0")/../e2e/lib.sh"
SP="$T/spool"
"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --seed 23 > /dev/null

rc=0 # (a subshell whose stderr is dropped, so bash's "Killed" notice stays out of the output)
( SLUICE_FAILPOINTS='spool.synced=kill@30' "$B/sluice" run --source "replay:$T/cap" --spool-dir "$SP" \
  --until-caught-up --shards 2 --batch-bytes 64K --rx-batches 2 --segment-bytes 1M --fsync batch \
  --checkpoint-ms 10 --progress-ms 0 > "$T/run1.out" 2> "$T/run1.err"; exit $? ) 2> /dev/null || rc=$?
[ "$rc" = 137 ] || { tail "$T/run1.err"; fail "run 1 exited $rc, want 137 (SIGKILL at spool.synced)"; }
grep -q 'failpoint: firing" name=spool.synced action=kill hit=30' "$T/run1.err" || fail "fail point did not fire"
mapfile -t OPEN < <(find "$SP" -name '*.seg.open' | sort)
[ "${#OPEN[@]}" -ge 1 ] || fail "no open segment after the kill"
# Writes still in flight at the kill may already have left holes or a torn frame;
# pick an open segment verify finds clean, so the cut must be exactly our bytes.
"$B/sluice" spool verify "$SP" > /dev/null 2> "$T/verify1.err" || true
victim= exact=0
for f in "${OPEN[@]}"; do
  if [ "$(stat -c %s "$f")" -gt 100 ] && ! grep -qF "$f:" "$T/verify1.err"; then victim=$f; exact=1; break; fi
done
if [ -z "$victim" ]; then
  for f in "${OPEN[@]}"; do [ "$(stat -c %s "$f")" -gt 100 ] && { victim=$f; break; }; done
fi
[ -n "$victim" ] || fail "no open segment with a frame in it after the kill"
size=$(stat -c %s "$victim")
# A torn frame: the first 100 bytes of a real one (whole header, part of its LZ4 data).
head -c 100 "$victim" > "$T/torn"
need=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(); print(64 + struct.unpack_from('<I', d, 8 + 36)[0])" "$T/torn")
cat "$T/torn" >> "$victim"
find "$SP" -name '*.seg' -exec md5sum {} + | sort > "$T/sealed.before"
ok "run 1 killed at spool.synced: ${#OPEN[@]} open segments; a 100-byte torn frame added to $(basename "$victim") (clean before: $exact)"

"$B/sluice" run --source "replay:$T/cap" --spool-dir "$SP" --until-caught-up --shards 1 \
  --progress-ms 0 --stats-json "$T/run2.json" > "$T/run2.out" 2> "$T/run2.err" \
  || { tail -20 "$T/run2.err"; fail "run 2 failed"; }
if [ $exact = 1 ]; then
  want="msg=\"recover: cutting a torn tail off an open segment (everything before it is kept)\" file=\"$victim\" offset=$size bytes_cut=100 why=\"frame truncated: need $need bytes, file has 100\""
  grep -qF "$want" "$T/run2.err" || { grep recover "$T/run2.err"; fail "no cut line like: $want"; }
  [ "$(grep -c "level=warn.*recover: cutting.*file=\"$victim\"" "$T/run2.err")" = 1 ] || fail "more than the torn frame was cut"
  [ "$(stat -c %s "${victim%.open}")" = "$size" ] || fail "the repaired segment is not exactly its old size"
else
  grep -q "level=warn.*recover: cutting.*file=\"$victim\" offset=[0-9]* bytes_cut=[0-9]* why=\"" "$T/run2.err" \
    || { grep recover "$T/run2.err"; fail "no cut line for $victim"; }
fi
sealed=$(grep -c 'recover: sealed an open segment' "$T/run2.err" || true)
removed=$(grep -c 'recover: removed an open segment' "$T/run2.err" || true)
[ $((sealed + removed)) = "${#OPEN[@]}" ] || fail "$sealed sealed + $removed removed != ${#OPEN[@]} open segments"
[ "$(json "$T/run2.json" "d['recovered']['open_segments']")" = "${#OPEN[@]}" ] || fail "stats-json recovered.open_segments"
[ "$(json "$T/run2.json" "d['recovered']['sealed']")" = "$sealed" ] || fail "stats-json recovered.sealed"
cut=$(json "$T/run2.json" "d['recovered']['bytes_cut']")
[ "$cut" -ge 100 ] || fail "stats-json recovered.bytes_cut = $cut"
grep -q "^  recovered    ${#OPEN[@]} open segments from an earlier run: $sealed sealed, $removed removed (empty), $cut bytes of damage cut" "$T/run2.out" \
  || { cat "$T/run2.out"; fail "summary lacks the recovered line"; }
# sealed segments are never rewritten
find "$SP" -name '*.seg' -exec md5sum {} + | sort > "$T/sealed.after"
comm -23 "$T/sealed.before" "$T/sealed.after" > "$T/changed"
[ ! -s "$T/changed" ] || fail "sealed segments changed: $(cat "$T/changed")"
ok "run 2 recovered: $cut bytes cut, $sealed open segments sealed, $removed removed, sealed ones untouched"

"$B/sluice" spool verify "$SP" > "$T/verify.json" || { cat "$T/verify.json"; fail "spool verify"; }
[ -z "$(find "$SP" -name '*.open')" ] || fail "an open segment was left"
"$B/sluice" spool cat "$SP" | python3 -c '
import json, sys
n, uids = 0, set()
for line in sys.stdin.buffer:
    n += 1
    uids.add(json.loads(line)["metadata"]["uid"])
want = int(sys.argv[1])
if len(uids) != want or n < want:
    print(f"FAIL: {n} events, {len(uids)} distinct uids, want {want} distinct"); sys.exit(1)
print(f"ok: {n} events ({n - want} written twice after the kill), {len(uids)} distinct uids")
' "$EVENTS"
ok "every event in the spool at least once after recovery; spool verified"
