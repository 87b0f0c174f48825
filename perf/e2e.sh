#!/usr/bin/env bash
# e2e.sh - end-to-end throughput: replay capture -> shards -> LZ4 spool with
# fdatasync per batch, against simdjson's raw On Demand parse of the same bytes
# (DESIGN.md §12, STYLE.md §11).
#
# usage: perf/e2e.sh [--events N] [--partitions P] [--records-per-message K]
#                    [--build DIR] [--no-build] [--dir DIR] [--keep]
#
#   --events N       records to synthesize (default: enough for >= 1 GB of Defender
#                    JSON, sized from a 20000-record sample and checked with
#                    `sluice-replay stat`'s "bytes")
#   --partitions P   capture partitions (default 16)
#   --records-per-message K   records per Event Hub message (default: synth's own)
#   --build DIR      build tree with sluice, sluice-replay and perf/raw_parse
#                    (default build/release; built if anything is missing or stale:
#                    `cmake --preset release` + `cmake --build --preset release -j2`)
#   --no-build       use the binaries already in the build tree as they are
#   --dir DIR        work directory for the capture and spools (default: a new
#                    mktemp -d under $TMPDIR or /tmp; its disk is the spool's disk)
#   --keep           keep the work directory (default: removed at exit)
#
# Steps: (a) build, (b) `sluice-replay synth` a capture, (c) perf/raw_parse times
# simdjson's own full On Demand traversal of every body on one core, (d) `sluice run
# --until-caught-up` with 1 shard on CPU 0, then with $(nproc) shards on all CPUs,
# each into a fresh spool, (e) a table of events/s, MB/s in (10^6 bytes of Defender
# JSON per second) and the ratio to the raw parse's MB/s.
# Exit 0 when every step ran; 1 when one failed (its log is printed); 2 on usage.
set -euo pipefail

die_usage() {
    echo "e2e.sh: $*" >&2
    echo "usage: perf/e2e.sh [--events N] [--partitions P] [--records-per-message K] [--build DIR] [--no-build] [--dir DIR] [--keep]" >&2
    exit 2
}
fail() {
    echo "e2e.sh: $*" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=""
PARTITIONS=16
K=""
BUILD=""
WORK=""
KEEP=0
NO_BUILD=0
while [ $# -gt 0 ]; do
    case "$1" in
        --events) [ $# -ge 2 ] || die_usage "--events needs a value"; EVENTS=$2; shift 2 ;;
        --partitions) [ $# -ge 2 ] || die_usage "--partitions needs a value"; PARTITIONS=$2; shift 2 ;;
        --records-per-message) [ $# -ge 2 ] || die_usage "--records-per-message needs a value"; K=$2; shift 2 ;;
        --build) [ $# -ge 2 ] || die_usage "--build needs a directory"; BUILD=$2; shift 2 ;;
        --dir) [ $# -ge 2 ] || die_usage "--dir needs a directory"; WORK=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --no-build) NO_BUILD=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die_usage "unknown argument '$1'" ;;
    esac
done
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
[ -z "$EVENTS" ] || is_uint "$EVENTS" || die_usage "--events must be a positive integer, not '$EVENTS'"
is_uint "$PARTITIONS" || die_usage "--partitions must be a positive integer, not '$PARTITIONS'"
[ -z "$K" ] || is_uint "$K" || die_usage "--records-per-message must be a positive integer, not '$K'"
command -v python3 >/dev/null || fail "python3 is needed to read the JSON results"
[ "$NO_BUILD" = 1 ] || command -v cmake >/dev/null || fail "cmake is needed to build"

# json FILE KEY: one field of a JSON object file.
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# ---------------------------------------------------------------- (a) build
PRESET=0
if [ -z "$BUILD" ]; then
    BUILD=$ROOT/build/release
    PRESET=1
fi
case "$BUILD" in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
NPROC=$(nproc)
if [ "$NO_BUILD" = 1 ]; then
    echo "== using the binaries in $BUILD as they are (--no-build)"
elif [ "$PRESET" = 1 ]; then
    echo "== build ($BUILD)"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        (cd "$ROOT" && cmake --preset release) || fail "cmake --preset release failed"
    fi
    (cd "$ROOT" && cmake --build --preset release -j2 --target sluice sluice-replay raw_parse) ||
        fail "build failed (cmake --build --preset release -j2 --target sluice sluice-replay raw_parse)"
else
    echo "== build ($BUILD)"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo || fail "cmake configure of $BUILD failed"
    fi
    cmake --build "$BUILD" -j2 --target sluice sluice-replay raw_parse ||
        fail "build failed (cmake --build $BUILD -j2 --target sluice sluice-replay raw_parse)"
fi
SLUICE=$BUILD/sluice
REPLAY=$BUILD/sluice-replay
RAW=$BUILD/perf/raw_parse
for b in "$SLUICE" "$REPLAY" "$RAW"; do
    [ -x "$b" ] || fail "$b was not built (is Google Benchmark installed? perf/ needs it)"
done

# ---------------------------------------------------------------- work dir
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
else
    mkdir -p "$WORK"
    [ -z "$(ls -A "$WORK")" ] || fail "--dir $WORK is not empty"
fi
WORK=$(cd "$WORK" && pwd)
cleanup() {
    if [ "$KEEP" = 1 ]; then
        echo "kept $WORK"
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
# run LOG CMD...: run a step with its output in LOG; on failure show the tail.
run() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "e2e.sh: failed: $*" >&2
        tail -n 30 "$log" >&2
        return 1
    fi
}

# stat_json CAP OUT: `sluice-replay stat` (JSON on stdout) into OUT.
stat_json() {
    if ! "$REPLAY" stat "$1" >"$2" 2>"$2.log"; then
        echo "e2e.sh: failed: $REPLAY stat $1" >&2
        tail -n 30 "$2.log" >&2
        return 1
    fi
}

# ---------------------------------------------------------------- (b) synthesize
KFLAG=()
[ -z "$K" ] || KFLAG=(--records-per-message "$K")
CAP=$WORK/cap
TARGET_BYTES=1000000000
if [ -z "$EVENTS" ]; then
    # Size from a sample: records are ~1-3 KB, depending on the table mix.
    run "$WORK/sample.log" "$REPLAY" synth --out "$WORK/sample.cap" --partitions 1 --events 20000 "${KFLAG[@]}" ||
        fail "sluice-replay synth (sample) failed"
    stat_json "$WORK/sample.cap" "$WORK/sample.json" || fail "sluice-replay stat (sample) failed"
    SAMPLE_BYTES=$(json "$WORK/sample.json" bytes)
    rm -f "$WORK/sample.cap"
    EVENTS=$(python3 -c 'import math,sys; b=int(sys.argv[1]); t=int(sys.argv[2]); print(math.ceil(t*1.03/(b/20000)/1000)*1000)' \
        "$SAMPLE_BYTES" "$TARGET_BYTES")
    AUTO=1
else
    AUTO=0
fi
for attempt in 1 2 3; do
    echo "== synth: $EVENTS records over $PARTITIONS partitions"
    t0=$(date +%s.%N)
    run "$WORK/synth.log" "$REPLAY" synth --out "$CAP" --partitions "$PARTITIONS" --events "$EVENTS" "${KFLAG[@]}" ||
        fail "sluice-replay synth failed"
    stat_json "$CAP" "$WORK/stat.json" || fail "sluice-replay stat failed"
    BYTES=$(json "$WORK/stat.json" bytes)
    MESSAGES=$(json "$WORK/stat.json" messages)
    RECORDS=$(json "$WORK/stat.json" records)
    echo "   $RECORDS records in $MESSAGES messages, $BYTES bytes of JSON ($(python3 -c "import sys; print(f'{int(sys.argv[1])/1e9:.2f}')" "$BYTES") GB)," \
        "capture $(stat -c %s "$CAP") bytes, $(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)") s"
    if [ "$AUTO" = 0 ] || [ "$BYTES" -ge "$TARGET_BYTES" ]; then
        break
    fi
    [ "$attempt" -lt 3 ] || fail "could not reach $TARGET_BYTES bytes of JSON (got $BYTES); pass --events"
    EVENTS=$(python3 -c 'import math,sys; e,b,t=map(int,sys.argv[1:]); print(math.ceil(e*t*1.03/b/1000)*1000)' "$EVENTS" "$BYTES" "$TARGET_BYTES")
    rm -f "$CAP"
done

# ---------------------------------------------------------------- (c) raw parse
FIRST_CPU=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
echo "== raw simdjson On Demand parse (one core, cpu $FIRST_CPU)"
"$RAW" "$CAP" --cpu "$FIRST_CPU" >"$WORK/raw.json" 2>"$WORK/raw.log" || {
    cat "$WORK/raw.log" >&2
    fail "raw_parse failed"
}
RAW_BYTES=$(json "$WORK/raw.json" bytes)
[ "$RAW_BYTES" = "$BYTES" ] || echo "e2e.sh: warning: raw_parse read $RAW_BYTES bytes, stat says $BYTES" >&2
echo "   $(cat "$WORK/raw.json")"

# ---------------------------------------------------------------- (d) sluice run
# sluice_run NAME SHARDS [CPUS]
sluice_run() {
    local name=$1 shards=$2 cpus=${3:-}
    local args=(run --source "replay:$CAP" --spool-dir "$WORK/spool-$name" --until-caught-up
        --shards "$shards" --stats-json "$WORK/$name.json")
    [ -z "$cpus" ] || args+=(--cpus "$cpus")
    echo "== sluice ${args[*]}"
    run "$WORK/$name.log" "$SLUICE" "${args[@]}" || fail "sluice run ($name) failed"
    [ "$(json "$WORK/$name.json" status)" = 0 ] || fail "sluice run ($name) reported status != 0"
    local ev
    ev=$(json "$WORK/$name.json" events)
    local dl
    dl=$(json "$WORK/$name.json" dead_letters)
    [ $((ev + dl)) -eq "$RECORDS" ] ||
        echo "e2e.sh: warning: $name wrote $ev events + $dl dead letters for $RECORDS records" >&2
    # Spool space is freed as soon as the figures are in (a 1 GB run writes ~1 GB of segments).
    [ "$KEEP" = 1 ] || rm -rf -- "$WORK/spool-$name"
}
sluice_run s1 1 "$FIRST_CPU"
sluice_run sN "$NPROC"

# ---------------------------------------------------------------- (e) table
echo
python3 - "$WORK/raw.json" "$WORK/s1.json" "$WORK/sN.json" "$NPROC" <<'EOF'
import json, sys
raw = json.load(open(sys.argv[1]))
s1 = json.load(open(sys.argv[2]))
sn = json.load(open(sys.argv[3]))
nproc = int(sys.argv[4])
r = raw["mb_per_s"]
print(f"Defender JSON: {raw['bytes']/1e9:.2f} GB in {raw['messages']} messages "
      f"(MB = 10^6 bytes; simdjson kernel: {raw.get('impl', '?')})")
print(f"{'run':<24} {'shards':>6} {'seconds':>8} {'events/s':>12} {'MB/s in':>9} {'x raw':>7} "
      f"{'shard CPU s':>11} {'MB/s/shard-CPU':>14} {'rx CPU s':>8}")
print(f"{'raw On Demand parse':<24} {1:>6} {raw['seconds']:>8.2f} {'-':>12} {r:>9.1f} {1.0:>7.2f}")
for name, s in (("sluice, 1 shard", s1), (f"sluice, {nproc} CPUs", sn)):
    print(f"{name:<24} {s['shards']:>6} {s['seconds']:>8.2f} {s['events_per_s']:>12,.0f} "
          f"{s['mb_per_s_in']:>9.1f} {s['mb_per_s_in']/r:>7.2f} {s.get('shard_cpu_s', 0):>11.2f} "
          f"{s.get('mb_per_shard_cpu_s', 0):>14.1f} {s.get('rx_cpu_s', 0):>8.2f}")
print(f"raw/e2e (1 shard, wall) = {r/s1['mb_per_s_in']:.2f}; raw/shard path (per shard CPU second) = "
      f"{r/max(s1.get('mb_per_shard_cpu_s', 0), 1e-9):.2f}")
print("(DESIGN.md §12: shard path >= 500 MB/s per core and within 3x of the raw parse; "
      "end to end >= 70% of normalize-only, see bm_norm)")
EOF
