#!/usr/bin/env bash
# test.sh - build the three presets and run the whole test suite with ctest:
#   release     every test (unit, stress, pipeline, e2e, lint)
#   asan-ubsan  unit, pipeline and fuzz-corpus tests under AddressSanitizer + UBSan
#   tsan        stress and pipeline tests under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

for preset in release asan-ubsan tsan; do
  echo "== build $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$JOBS"
done

status=0
echo "== ctest asan-ubsan (unit, pipeline, fuzz corpus replay)"
ctest --preset asan-ubsan -L 'unit|pipeline|fuzz' -j"$JOBS" || status=1
echo "== ctest tsan (stress, pipeline)"
ctest --preset tsan -L 'stress|pipeline' || status=1
echo "== ctest release (everything)"
ctest --preset release -j"$JOBS" || status=1
exit $status
