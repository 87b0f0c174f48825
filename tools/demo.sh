#!/usr/bin/env bash
# demo.sh - the main job on an embedded default: build sluice, synthesize a
# Defender capture, serve it as an Event Hub over AMQP 1.0 on loopback
# (`sluice-replay serve`), collect it with `sluice run --source eventhub` and a
# development connection string (UseDevelopmentEmulator=true: plain AMQP, loopback
# only), and print the summary. The spool stays in out/demo/ for inspection.
#   usage: tools/demo.sh [--events N] [--partitions P]
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=200000
PARTS=16
while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS="$2"; shift 2 ;;
    --partitions) PARTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
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
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null || true' EXIT

echo "== synthesizing $EVENTS Defender records over $PARTS partitions"
"$BIN/sluice-replay" synth --out "$OUT/capture.cap" --partitions "$PARTS" --events "$EVENTS"
HUB=$("$BIN/sluice-replay" stat "$OUT/capture.cap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventhub"])')

echo "== serving it as Event Hub '$HUB' (sluice-replay serve, AMQP on 127.0.0.1)"
# a throwaway key for the demo only: serve checks every SAS token sluice presents
DEMO_KEY=$(head -c 24 /dev/urandom | base64)
export SLUICE_DEMO_KEY="$DEMO_KEY"
"$BIN/sluice-replay" serve "$OUT/capture.cap" --listen 127.0.0.1:0 --hub "$HUB" \
  --sas-key-name demo --sas-key-env SLUICE_DEMO_KEY > "$OUT/serve.out" 2> "$OUT/serve.log" &
SPID=$!
PORT=
for _ in $(seq 200); do
  PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$OUT/serve.out" 2>/dev/null)
  [ -n "$PORT" ] && break
  kill -0 "$SPID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "demo: sluice-replay serve did not start:" >&2
  cat "$OUT/serve.log" >&2
  exit 1
fi

echo "== collecting with sluice run --source eventhub"
export SLUICE_CONNECTION_STRING="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=demo;SharedAccessKey=$DEMO_KEY;EntityPath=$HUB;UseDevelopmentEmulator=true"
"$BIN/sluice" run --source eventhub --spool-dir "$OUT/spool" --until-caught-up --progress-ms 0
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SPID=
echo
echo "Look inside:"
echo "  $BIN/sluice spool cat $OUT/spool | head -1 | python3 -m json.tool"
echo "  $BIN/sluice spool verify $OUT/spool"
echo "  $BIN/sluice checkpoint show --spool-dir $OUT/spool"
echo "  lz4cat $OUT/spool/0/*.seg | head -1"
