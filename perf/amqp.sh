#!/usr/bin/env bash
# amqp.sh - AMQP receive throughput: `sluice run --source eventhub` against Microsoft's
# @azure/event-hubs consumer (tests/interop/sdk_drain.mjs: it only counts events and
# bytes), both reading the same capture from `sluice-replay serve` on loopback, one after
# the other, in the same run. sluice's figure includes the whole pipeline (normalize,
# LZ4, spool with --fsync none); the SDK's does nothing with the events.
#   usage: perf/amqp.sh [--build DIR] [--partitions P] [--events N]
# Needs tests/interop/node_modules (tools/install-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release; P=16; N=200000
while [ $# -gt 0 ]; do
  case "$1" in
    --build) B=$2; shift 2 ;;
    --partitions) P=$2; shift 2 ;;
    --events) N=$2; shift 2 ;;
    *) echo "amqp.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
T=$(mktemp -d); SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$B/sluice-replay" synth --out "$T/cap" --partitions "$P" --events "$N" > /dev/null
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
read -r HUB MSGS BYTES < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["eventhub"], d["messages"], d["bytes"])' "$T/stat.json")
export PERF_KEY=cGVyZi1rZXk=
"$B/sluice-replay" serve "$T/cap" --listen 127.0.0.1:0 --sas-key-name perf --sas-key-env PERF_KEY \
  > "$T/serve.out" 2> "$T/serve.err" &
SPID=$!
for _ in $(seq 200); do grep -q '^listening ' "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/serve.out")
[ -n "$PORT" ] || { echo "amqp.sh: serve did not start" >&2; exit 1; }
export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=perf;SharedAccessKey=$PERF_KEY;EntityPath=$HUB;UseDevelopmentEmulator=true"
"$B/sluice" run --source eventhub --connection-string-env X --spool-dir "$T/sp" --until-caught-up \
  --fsync none --progress-ms 0 --log-level warn --stats-json "$T/sluice.json" > /dev/null
node tests/interop/sdk_drain.mjs "$PORT" "$HUB" perf "$PERF_KEY" "$MSGS" > "$T/sdk.json"
python3 - "$T/sluice.json" "$T/sdk.json" "$MSGS" "$BYTES" "$P" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); k = json.load(open(sys.argv[2]))
msgs, body, parts = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
scpu = s["rx_cpu_s"] + s["shard_cpu_s"]
print(f"AMQP receive, {parts} partitions, {msgs} Event Hub events, {body/1e6:.1f} MB of bodies")
print(f"{'consumer':<34}{'seconds':>9}{'events/s':>11}{'MB/s':>9}{'CPU s':>8}{'MB/s per CPU s':>16}")
rows = [("sluice (rx + normalize + spool)", s["seconds"], s["messages"], s["bytes_in"], scpu),
        ("@azure/event-hubs 6.0.4 (count only)", k["seconds"], k["events"], k["bytes"], k["cpu_s"])]
for name, sec, ev, b, cpu in rows:
    print(f"{name:<34}{sec:>9.2f}{ev/sec:>11.0f}{b/1e6/sec:>9.1f}{cpu:>8.2f}{b/1e6/cpu:>16.1f}")
print(f"sluice rx threads alone: {s['rx_cpu_s']:.2f} CPU s ({s['bytes_in']/1e6/max(s['rx_cpu_s'],1e-9):.1f} MB/s per rx CPU s)")
PY
