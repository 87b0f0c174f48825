#!/usr/bin/env bash
# errors.sh - bad input is rejected at start with ONE line naming the problem,
# and a non-zero exit status.
#   usage: errors.sh BUILD_DIR
B=$1
. "$(dirname "$0")/lib.sh"
"$B/sluice-replay" synth --out "$T/cap" --partitions 2 --events 100 > /dev/null

expect() { # expect NEEDLE CMD...: non-zero exit, exactly one stderr line containing NEEDLE
  local needle=$1; shift
  if "$@" > "$T/out" 2> "$T/err"; then fail "succeeded: $*"; fi
  [ "$(wc -l < "$T/err")" = "1" ] || fail "not one line for: $* -> $(cat "$T/err")"
  grep -q -- "$needle" "$T/err" || fail "error for: $* lacks '$needle': $(cat "$T/err")"
  ok "$(cat "$T/err")"
}
expect "--shards" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" --shards many
expect "--fsync" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" --fsync often
expect "--checkpoint-ms" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" --checkpoint-ms 1
expect "--source" "$B/sluice" run --source "replay:$T/missing.cap" --spool-dir "$T/s"
expect "No such file" "$B/sluice" run --source "replay:$T/missing.cap" --spool-dir "$T/s"
echo "not a capture" > "$T/junk.cap"
expect "--source" "$B/sluice" run --source "replay:$T/junk.cap" --spool-dir "$T/s"
touch "$T/afile"
expect "--spool-dir" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/afile/spool"
mkdir -p "$T/ro"
if [ "$(id -u)" != 0 ]; then
  chmod 500 "$T/ro"
  expect "--spool-dir" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/ro/spool"
fi
echo "{broken" > "$T/ckspool.json"
mkdir -p "$T/ck"
cp "$T/ckspool.json" "$T/ck/checkpoint-defender-\$Default.json"
expect "damaged" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/ck"
expect "unknown flag" "$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/s" --nope
