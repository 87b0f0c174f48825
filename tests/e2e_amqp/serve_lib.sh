# serve_lib.sh - sourced by the tests in this folder (after ../e2e/lib.sh, with B,
# T, HUB set): start and stop `sluice-replay serve` on a loopback port it picks;
# check checkpoints against `sluice-replay stat`.
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# serve [flags]: (re)start the emulator on $T/cap, set PORT and export X, a
# development connection string with key name k and key c2VjcmV0; with
# --tls-cert among the flags (AMQPS) X is instead a TLS one to localhost:PORT
# (no UseDevelopmentEmulator), for a certificate that names localhost
serve() {
  local tls= a
  for a in "$@"; do case $a in --tls-cert|--tls-cert=*) tls=1;; esac; done
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  rm -f "$T/serve.out"
  "$B/sluice-replay" serve "$T/cap" --listen 127.0.0.1:0 "$@" > "$T/serve.out" 2>> "$T/serve.err" &
  SPID=$!
  # "listening" comes once the capture is in memory (1.6M events: about 10 s here)
  for _ in $(seq 1200); do
    grep -q '^listening ' "$T/serve.out" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/serve.out")
  [ -n "$PORT" ] || fail "sluice-replay serve did not start: $(cat "$T/serve.err")"
  export X="Endpoint=sb://127.0.0.1:$PORT;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=$HUB;UseDevelopmentEmulator=true"
  [ -z "$tls" ] || export X="Endpoint=sb://localhost:$PORT/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0;EntityPath=$HUB"
}

# ckpt_ok SPOOL: every partition of $T/stat.json (sluice-replay stat) is checkpointed
# at its last sequence number
ckpt_ok() {
  "$B/sluice" checkpoint show --spool-dir "$1" > "$T/ckpt.json"
  python3 - "$T/stat.json" "$T/ckpt.json" <<'PY' || fail "checkpoints differ"
import json, sys
st = json.load(open(sys.argv[1])); ck = json.load(open(sys.argv[2]))
bad = [(p, ck["partitions"].get(p, {}).get("sequence_number"), v["last_sequence_number"])
       for p, v in st["per_partition"].items()
       if ck["partitions"].get(p, {}).get("sequence_number") != v["last_sequence_number"]]
if bad: print("FAIL: checkpoints differ for", len(bad), "partitions (partition, have, want):", bad[:5]); sys.exit(1)
PY
}
