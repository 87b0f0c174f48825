# serve_lib.sh - sourced by the tests in this folder (after ../e2e/lib.sh, with B,
# T, HUB set): start and stop `sluice-replay serve` on a loopback port it picks.
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# serve [flags]: (re)start the emulator on $T/cap, set PORT and export X, a
# development connection string with key name k and key c2VjcmV0
serve() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  rm -f "$T/serve.out"
  "$B/sluice-replay" serve "$T/cap" --listen 127.0.0.1:0 "$@" > "$T/serve.out" 2>> "$T/serve.err" &
  SPID=$!
  for _ in $(seq 100); do grep -q '^listening ' "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
  PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/serve.out")
  [ -n "$PORT" ] || fail "sluice-replay serve did not start: $(cat "$T/serve.err")"
  export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=$HUB;UseDevelopmentEmulator=true"
}
