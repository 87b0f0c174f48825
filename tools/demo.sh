#!/usr/bin/env bash
# demo.sh - the main job on an embedded default: build sluice, synthesize a
# Defender capture on the fly, replay it through the whole pipeline
# (rx threads -> rings -> shards -> normalize -> LZ4 spool -> checkpoints),
# and print the summary. The spool stays in out/demo/ for inspection.
#   usage: tools/demo.sh [--events N] [--partitions P]
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=200000
PARTS=16
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --partitions) PARTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1" >&2; exit 2 ;;
  esac
done

JOBS=$(nproc)
cmake --preset release >/dev/null
cmake --build --preset release -j"$JOBS" >/dev/null
BIN=build/release

OUT=out/demo
rm -rf "$OUT"
mkdir -p "$OUT"
echo "== synthesizing $EVENTS Defender records over $PARTS partitions"
"$BIN/sluice-replay" synth --out "$OUT/capture.cap" --partitions "$PARTS" --events "$EVENTS"
echo "== replaying through sluice run"
"$BIN/sluice" run --source "replay:$OUT/capture.cap" --spool-dir "$OUT/spool" --until-caught-up \
  --progress-ms 0
echo
echo "Look inside:"
echo "  $BIN/sluice spool cat $OUT/spool | head -1 | python3 -m json.tool"
echo "  $BIN/sluice spool verify $OUT/spool"
echo "  $BIN/sluice checkpoint show --spool-dir $OUT/spool"
echo "  lz4cat $OUT/spool/0/*.seg | head -1"
