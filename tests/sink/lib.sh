# lib.sh - helpers for the forwarder tests. Source it; set B (build dir) first.
# Every test starts its own flaky_http.py servers on ports the OS picks and
# stops them on exit.
set -euo pipefail
T=$(mktemp -d /tmp/sluice-sink.XXXXXX)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRV_PIDS=()
cleanup() {
  for p in "${SRV_PIDS[@]:-}"; do
    [ -n "$p" ] && { kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }
  done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# json FILE EXPR: evaluate a python expression over the JSON document `d` in FILE
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
check() { python3 "$HERE/check_delivery.py" "$@"; }

# start_server NAME [flaky_http.py flags]: sets SRV (pid) and URL; records go to
# $T/NAME.out, a request log to $T/NAME.log.
start_server() {
  local name=$1; shift
  rm -f "$T/$name.port"
  python3 "$HERE/flaky_http.py" --port-file "$T/$name.port" --out "$T/$name.out" \
    --log "$T/$name.log" "$@" > /dev/null &
  SRV=$!
  SRV_PIDS+=("$SRV")
  for _ in $(seq 200); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
  [ -s "$T/$name.port" ] || fail "server $name did not start"
  URL="http://127.0.0.1:$(cat "$T/$name.port")/ingest"
}
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# batches NAME: batches the server NAME has accepted so far
batches() { { grep -c '^#batch ' "$T/$1.out" 2>/dev/null || true; } | head -1; }

# segs DIR: "shard/segno size" of every sealed segment, sorted
segs() {
  (cd "$1" && find . -mindepth 2 -maxdepth 2 -name '*.seg' -printf '%h/%f %s\n' | sort)
}
