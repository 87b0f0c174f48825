# lib.sh - start/stop `sluice-replay serve` for the interop tests (sourced).
# serve_start CAPTURE [flags...]: starts it on 127.0.0.1:0 in the background, waits for
# its "listening 127.0.0.1:PORT" line, sets SERVE_PID and SERVE_PORT. serve_stop: SIGTERM,
# wait, sets SERVE_RC. The caller's EXIT trap must call serve_stop.
SERVE_PID=
serve_start() {
  local cap=$1; shift
  rm -f "$T/serve.out" "$T/serve.err"
  "$R" serve "$cap" --listen 127.0.0.1:0 "$@" > "$T/serve.out" 2> "$T/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    SERVE_PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$T/serve.out")
    [ -n "$SERVE_PORT" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: serve did not print its listening line: $(cat "$T/serve.out" "$T/serve.err")"
  return 1
}
serve_stop() {
  SERVE_RC=
  [ -n "$SERVE_PID" ] || return 0
  kill -TERM "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID"; SERVE_RC=$?
  SERVE_PID=
}
