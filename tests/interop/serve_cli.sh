#!/usr/bin/env bash
# serve_cli.sh - `sluice-replay serve` as a process: port 0 and the one "listening" line,
# usage errors (exit 2, one line), SIGTERM and SIGINT give a clean exit 0 with a
# "stopped" log line (also with a client connected), an address that cannot be bound is
# a runtime error (exit 1).
#   usage: serve_cli.sh SLUICE_REPLAY
set -uo pipefail
R=$1
T=$(mktemp -d /tmp/sluice-serve-cli.XXXXXX)
. "$(dirname "$0")/lib.sh"
trap 'serve_stop; rm -rf "$T"' EXIT
failed=0; passed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }

"$R" synth --out "$T/x.cap" --partitions 2 --events 100 > /dev/null || fail "synth"

for sig in TERM INT; do
  if serve_start "$T/x.cap"; then
    lines=$(wc -l < "$T/serve.out")
    { [ "$lines" -eq 1 ] && [ "$SERVE_PORT" -gt 0 ]; } && ok || fail "stdout: $(cat "$T/serve.out")"
    # the port answers: an AMQP client's TCP connect succeeds
    (exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT") 2>/dev/null && ok || fail "port $SERVE_PORT refuses connections"
    kill -"$sig" "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
    [ $rc -eq 0 ] && ok || fail "SIG$sig: exit $rc: $(tail -3 "$T/serve.err")"
    grep -q 'msg="serve: stopped"' "$T/serve.err" && ok || fail "SIG$sig: no stopped line"
  else
    fail "serve did not start"
  fi
done

# SIGTERM with a client connected (mid SASL handshake): still a clean, prompt exit 0
if serve_start "$T/x.cap"; then
  exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT"
  printf 'AMQP\x03\x01\x00\x00' >&3
  sleep 0.2
  t0=$(date +%s%N)
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  exec 3<&- 3>&-
  { [ $rc -eq 0 ] && [ $ms -lt 3000 ]; } && ok || fail "SIGTERM with a client: exit $rc after $ms ms"
  grep -q 'msg="serve: done" connections=1 ' "$T/serve.err" && ok || fail "client not counted: $(tail -2 "$T/serve.err")"
fi

# a listener that cannot bind (an address this host does not have): exit 1
timeout 20 "$R" serve "$T/x.cap" --listen 192.0.2.1:0 > "$T/o2" 2> "$T/e2"; rc=$?
{ [ $rc -eq 1 ] && [ ! -s "$T/o2" ] && grep -q 'listening on 192.0.2.1:0 failed' "$T/e2"; } && ok \
  || fail "unbindable address: exit $rc, stdout $(cat "$T/o2"), stderr $(tail -2 "$T/e2")"

expect_usage() {
  local want=$1; shift
  "$R" "$@" > "$T/out" 2> "$T/err"; local rc=$?
  local lines; lines=$(wc -l < "$T/err")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$T/out" ] || ! grep -qF -- "$want" "$T/err"; then
    fail "sluice-replay $* -> rc=$rc, $lines lines (want 2, 1, '$want'): $(head -3 "$T/err")"
  else ok; fi
}
expect_usage 'serve: --listen HOST:PORT is required' serve "$T/x.cap"
expect_usage 'serve: missing the CAPTURE argument' serve --listen 127.0.0.1:0
expect_usage '--listen: "127.0.0.1" is not HOST:PORT' serve "$T/x.cap" --listen 127.0.0.1
expect_usage '--listen: "127.0.0.1:70000"' serve "$T/x.cap" --listen 127.0.0.1:70000
expect_usage '--faults: "detach=2"' serve "$T/x.cap" --listen 127.0.0.1:0 --faults detach=2
expect_usage '--faults: "bogus=1"' serve "$T/x.cap" --listen 127.0.0.1:0 --faults slow=5ms,bogus=1
expect_usage '--sas-key-name: needs --sas-key-env' serve "$T/x.cap" --listen 127.0.0.1:0 --sas-key-name k
expect_usage '--sas-key-env: the variable SLUICE_NO_SUCH_VAR is not set' \
  serve "$T/x.cap" --listen 127.0.0.1:0 --sas-key-name k --sas-key-env SLUICE_NO_SUCH_VAR
expect_usage '--consumer-groups: "a,b c"' serve "$T/x.cap" --listen 127.0.0.1:0 --consumer-groups "a,b c"
"$R" serve "$T/nope.cap" --listen 127.0.0.1:0 > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] && ok || fail "missing capture: exit $rc"

echo "serve_cli: $passed passed, $failed failed"
[ $failed -eq 0 ]
