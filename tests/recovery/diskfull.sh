#!/usr/bin/env bash
# diskfull.sh - a full disk is backpressure, not loss (DESIGN.md §5): while spool
# writes fail with ENOSPC the shards take no input (progress stalls), the run
# neither exits nor drops anything, a rate-limited line says what to do, and
# once space returns writing resumes by itself: every event ends up in the spool
# exactly once, the spool verifies, every partition is checkpointed, and the
# summary and --stats-json count the errors and the time blocked.
#   usage: diskfull.sh BUILD_DIR [auto|failpoint] [EVENTS]
# auto: a real 6 MB tmpfs (mount needs root and a kernel that lets us) with a
# filler file, deleted once the run is seen stuck; where mounting is not
# allowed, or with "failpoint": SLUICE_FAILPOINTS='spool.write=err:ENOSPC@5*200'.
B=$1; MODE=${2:-auto}; EVENTS=${3:-5000}
. "$(dirname "$0")/../e2e/lib.sh"
MNT="$T/mnt"
cleanup() {
  [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
  mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
  rm -rf "$T"
}
trap cleanup EXIT

# A bad fail point spec is refused at start, naming it (exit 2).
rc=0; SLUICE_FAILPOINTS='spool.write=err:ENOSPACE' "$B/sluice" run --source replay:/nonexistent \
  --spool-dir "$T/x" > "$T/bad.out" 2> "$T/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "invalid fail point spec: exit $rc, want 2"
grep -q 'failpoint: bad SLUICE_FAILPOINTS: unknown action' "$T/bad.err" || fail "no reason: $(cat "$T/bad.err")"
grep -q 'spec="spool.write=err:ENOSPACE"' "$T/bad.err" || fail "spec not named: $(cat "$T/bad.err")"
ok "an invalid fail point spec exits 2 and names it"

"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$EVENTS" --seed 21 > /dev/null

variant=failpoint
if [ "$MODE" = auto ]; then
  mkdir -p "$MNT"
  if mount -t tmpfs -o size=6m tmpfs "$MNT" 2>/dev/null; then
    variant=tmpfs
  fi
fi

# progress_stall LOG: the longest run of equal events= values below EVENTS in
# progress lines after the first disk-full line, and that value ("RUN VALUE").
progress_stall() {
  awk -v total="$EVENTS" '/spool: disk full/ {full=1}
       full && /msg="run: progress"/ {
         match($0, /events=[0-9]+/); v = substr($0, RSTART + 7, RLENGTH - 7) + 0
         if (v >= total) next
         if (v == last) run++; else run = 1
         if (run > best) { best = run; bestv = v }
         last = v
       }
       END { print best + 0, bestv + 0 }' "$1"
}

RUNFLAGS=(--source "replay:$T/cap" --until-caught-up --shards 2 --batch-bytes 64K --rx-batches 2
          --segment-bytes 1M --checkpoint-ms 50 --progress-ms 100)

if [ $variant = tmpfs ]; then
  echo "diskfull: real tmpfs"
  SPOOL="$MNT/spool"
  # leave about 1 MB: the spool of this capture needs about 4
  dd if=/dev/zero of="$MNT/filler" bs=1M count=5 status=none
  "$B/sluice" run "${RUNFLAGS[@]}" --spool-dir "$SPOOL" --stats-json "$T/run.json" \
    > "$T/run.out" 2> "$T/run.err" &
  pid=$!
  for _ in $(seq 600); do
    grep -q 'spool: disk full' "$T/run.err" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q 'spool: disk full' "$T/run.err" || { cat "$T/run.err"; fail "no disk-full line"; }
  sleep 1.5
  kill -0 "$pid" 2>/dev/null || { cat "$T/run.out" "$T/run.err"; fail "sluice exited while the disk was full"; }
  read -r stall stuck_at < <(progress_stall "$T/run.err")
  [ "$stall" -ge 5 ] || fail "progress did not stall while full (longest equal run: $stall)"
  [ "$stuck_at" -lt "$EVENTS" ] || fail "stalled at $stuck_at of $EVENTS events"
  n_open=$(find "$SPOOL" -name '*.seg*' | wc -l)
  ok "disk full: sluice still running, input held at $stuck_at of $EVENTS events for $stall progress lines ($n_open segment files)"
  grep -q 'free space under' "$T/run.err" || fail "the disk-full line does not say what to do"
  rm -f "$MNT/filler"
else
  echo "diskfull: fail point"
  SPOOL="$T/spool"
  SLUICE_FAILPOINTS='spool.write=err:ENOSPC@5*200' "$B/sluice" run "${RUNFLAGS[@]}" \
    --spool-dir "$SPOOL" --stats-json "$T/run.json" > "$T/run.out" 2> "$T/run.err" &
  pid=$!
fi

rc=0
for _ in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { cat "$T/run.err" | tail -20; fail "run did not finish after space returned"; }
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || { cat "$T/run.out"; tail -30 "$T/run.err"; fail "run exited $rc"; }

grep -q 'spool: disk full, holding [0-9]* writes; free space under' "$T/run.err" || fail "no disk-full line"
grep -q 'spool: writes go through again, resuming' "$T/run.err" || fail "no resume line"
grep -q '^  spool errors [0-9]* retried (disk full [1-9]' "$T/run.out" || { cat "$T/run.out"; fail "summary lacks the disk-full count"; }
[ "$(json "$T/run.json" "d['events']")" = "$EVENTS" ] || fail "events: $(json "$T/run.json" "d['events']")"
[ "$(json "$T/run.json" "d['caught_up']")" = True ] || fail "not caught up (a partition not checkpointed)"
nospace=$(json "$T/run.json" "d['spool_errors']['nospace']")
blocked=$(json "$T/run.json" "d['spool_blocked_s']")
[ "$nospace" -gt 0 ] || fail "stats-json: spool_errors.nospace = $nospace"
[ "$(json "$T/run.json" "d['spool_errors']['io'] + d['spool_errors']['other']")" = 0 ] || fail "other errors counted"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.2 else 1)" "$blocked" || fail "spool_blocked_s = $blocked"
if [ $variant = failpoint ]; then
  [ "$nospace" = 200 ] || fail "fail point fired 200 times, $nospace errors counted"
  read -r stall stuck_at < <(progress_stall "$T/run.err")
  [ "$stall" -ge 3 ] || fail "progress did not stall while writes failed (longest equal run: $stall)"
  ok "writes failing: input held at $stuck_at of $EVENTS events for $stall progress lines"
fi
ok "run resumed and finished: $nospace ENOSPC errors retried, shards held input back ${blocked} s"

"$B/sluice" spool cat "$SPOOL" | python3 "$HERE/check_events.py" --count "$EVENTS" --distinct-uids
"$B/sluice" spool verify "$SPOOL" > "$T/verify.json" || { cat "$T/verify.json"; fail "spool verify"; }
[ "$(json "$T/verify.json" "d['events']")" = "$EVENTS" ] || fail "verify counts $(json "$T/verify.json" "d['events']") events"
[ -z "$(find "$SPOOL" -name '*.open')" ] || fail "an open segment was left"
ok "every one of $EVENTS events in the spool once, spool verified ($variant)"
