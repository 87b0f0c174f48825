#!/usr/bin/env bash
# sdk.sh - Microsoft's @azure/event-hubs 6.0.4 (npm, pinned by package-lock.json,
# installed by tools/install-deps.sh) against `sluice-replay serve` with SAS
# verification on:
#   consume  getEventHubProperties, getPartitionProperties, subscribe from earliest and
#            read back every event of a 4-partition synth capture (sdk_consume.mjs)
#   401      a wrong key and a wrong key name are refused as unauthorized, naming the key name
#   epoch    five readers per partition and group, owner levels (sdk_epoch.mjs)
#   produce  (when sdk_produce.mjs exists) >= 10,000 events in batches, read back
#   usage: sdk.sh SLUICE_REPLAY INTEROP_DIR
set -uo pipefail
R=$1; D=$2
T=$(mktemp -d /tmp/sluice-interop.XXXXXX)
. "$D/lib.sh"
trap 'serve_stop; rm -rf "$T"' EXIT
failed=0; passed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }
if [ ! -f "$D/node_modules/@azure/event-hubs/package.json" ] || ! command -v node > /dev/null; then
  echo "FAIL: node or tests/interop/node_modules missing: run tools/install-deps.sh (npm ci in tests/interop)"
  exit 1
fi
KEY_NAME=RootManageSharedAccessKey
export SLUICE_TEST_SAS_KEY=SAS_KEY_VALUE

"$R" synth --out "$T/x.cap" --partitions 4 --events 2000 > /dev/null || fail "synth"
"$R" stat "$T/x.cap" > "$T/stat.json" || fail "stat"
serve_start "$T/x.cap" --sas-key-name "$KEY_NAME" --sas-key-env SLUICE_TEST_SAS_KEY || exit 1
HUB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["eventhub"])' "$T/stat.json")

(cd "$D" && timeout 120 node sdk_consume.mjs "$SERVE_PORT" "$HUB" "$T/stat.json" "$KEY_NAME" \
   "$SLUICE_TEST_SAS_KEY") > "$T/consume.out" 2>&1; rc=$?
cat "$T/consume.out"
if [ $rc -eq 0 ] && grep -q '"events":200,"copies":200,"errors":0,"partitions":4,' "$T/consume.out"; then ok
else fail "sdk_consume exit $rc"; fi

for bad in "$KEY_NAME WRONG_KEY" "OtherKeyName $SLUICE_TEST_SAS_KEY"; do
  set -- $bad
  (cd "$D" && timeout 60 node sdk_consume.mjs "$SERVE_PORT" "$HUB" - "$1" "$2" \
     --expect-unauthorized) > "$T/unauth.out" 2>&1; rc=$?
  cat "$T/unauth.out"
  if [ $rc -eq 0 ] && grep -q 'UnauthorizedError' "$T/unauth.out" && grep -q "'$KEY_NAME'" "$T/unauth.out"; then ok
  else fail "key name $1: not refused as unauthorized naming '$KEY_NAME' (exit $rc)"; fi
done

(cd "$D" && timeout 120 node sdk_epoch.mjs "$SERVE_PORT" "$HUB" "$KEY_NAME" "$SLUICE_TEST_SAS_KEY") \
  > "$T/epoch.out" 2>&1; rc=$?
cat "$T/epoch.out"
[ $rc -eq 0 ] && grep -q '"stolen":"ReceiverDisconnectedError' "$T/epoch.out" && ok \
  || fail "sdk_epoch exit $rc"

if [ -f "$D/sdk_produce.mjs" ]; then
  (cd "$D" && timeout 180 node sdk_produce.mjs "$SERVE_PORT" "$HUB" "$T/stat.json" "$KEY_NAME" \
     "$SLUICE_TEST_SAS_KEY" 10000) > "$T/produce.out" 2>&1; rc=$?
  cat "$T/produce.out"
  if [ $rc -eq 0 ] && grep -q '"produced":10000' "$T/produce.out"; then ok
  else fail "sdk_produce exit $rc"; fi
fi

serve_stop
[ "$SERVE_RC" = 0 ] && ok || fail "serve exit $SERVE_RC after SIGTERM"
grep -E 'AddressSanitizer|runtime error|level=error' "$T/serve.err" && fail "serve stderr has errors"

# --rate and --faults: 200 events at 200/s with detaches, dropped connections and a slow
# link; the SDK recovers by itself and reads every event at least once, all copies equal.
serve_start "$T/x.cap" --rate 200 --faults detach=0.05,drop=0.01,slow=1ms || exit 1
t0=$(date +%s%N)
(cd "$D" && timeout 180 node sdk_consume.mjs "$SERVE_PORT" "$HUB" "$T/stat.json" "$KEY_NAME" \
   "$SLUICE_TEST_SAS_KEY" --at-least-once) > "$T/faults.out" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cat "$T/faults.out"
if [ $rc -eq 0 ] && grep -q '"events":200,' "$T/faults.out"; then ok; else fail "faults: exit $rc"; fi
[ "$ms" -ge 900 ] && ok || fail "--rate 200: 200 events in $ms ms (want >= 900)"
serve_stop
grep 'msg="serve: done"' "$T/serve.err"
[ "$SERVE_RC" = 0 ] && ok || fail "serve (faults) exit $SERVE_RC after SIGTERM"
grep -q 'msg="serve: done".* fault_detach=[1-9]' "$T/serve.err" && ok || fail "faults: no detach injected"
grep -E 'AddressSanitizer|runtime error|level=error' "$T/serve.err" && fail "serve (faults) stderr has errors"

# --faults busy: producer batches rejected as com.microsoft:server-busy; the SDK retries
# and every event still arrives exactly once.
serve_start "$T/x.cap" --faults busy=0.5 || exit 1
(cd "$D" && timeout 180 node sdk_produce.mjs "$SERVE_PORT" "$HUB" "$T/stat.json" "$KEY_NAME" \
   "$SLUICE_TEST_SAS_KEY" 3000) > "$T/busy.out" 2>&1; rc=$?
cat "$T/busy.out"
[ $rc -eq 0 ] && grep -q '"produced":3000' "$T/busy.out" && ok || fail "sdk_produce under busy faults: exit $rc"
serve_stop
grep 'msg="serve: done"' "$T/serve.err"
[ "$SERVE_RC" = 0 ] && ok || fail "serve (busy) exit $SERVE_RC after SIGTERM"
grep -q 'msg="serve: done".* fault_busy=[1-9]' "$T/serve.err" && ok || fail "faults: no busy injected"
grep -E 'AddressSanitizer|runtime error|level=error' "$T/serve.err" && fail "serve (busy) stderr has errors"
echo "interop sdk: $passed passed, $failed failed"
[ $failed -eq 0 ]
