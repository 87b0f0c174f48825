#!/usr/bin/env bash
# cli.sh - sluice-replay as a user runs it: --help, one-line usage errors with
# exit 2, runtime errors with exit 1, import of the shared samples, stat JSON,
# synth, and `lz4cat` walking a capture (the skippable-frame promise).
#   usage: cli.sh SLUICE_REPLAY SHARED_DIR
set -uo pipefail
R=$1; SHARED=$2
T=$(mktemp -d /tmp/sluice-replay-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
failed=0; passed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# expect_usage "what stderr must contain" ARGS...: exit 2, exactly one stderr line, empty stdout
expect_usage() {
  local want=$1; shift
  "$R" "$@" > "$T/out" 2> "$T/err"; local rc=$?
  local lines; lines=$(wc -l < "$T/err")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$T/out" ] || ! grep -qF -- "$want" "$T/err"; then
    fail "sluice-replay $* -> rc=$rc, $lines stderr lines (want 2, 1, containing '$want'): $(head -3 "$T/err")"
  else ok; fi
}

# help
for c in "" synth import stat serve record; do
  if "$R" $c --help > "$T/out" 2> "$T/err" && [ -s "$T/out" ] && [ ! -s "$T/err" ]; then ok
  else fail "sluice-replay $c --help"; fi
done
"$R" synth --help | grep -q -- "--records-per-message K" || fail "synth --help lacks --records-per-message"
"$R" import --help | grep -q -- "--namespace FQDN" || fail "import --help lacks --namespace"

# usage errors
expect_usage 'sluice-replay: --partitions: "abc" is not a number between 1 and 4096' \
  synth --out "$T/x" --partitions abc --events 10
expect_usage '--partitions: "0" is not a number between 1 and 4096' synth --out "$T/x" --partitions 0 --events 1
expect_usage '--partitions: "4097"' import --out "$T/x" --partitions 4097 a.log
expect_usage '--events: "-5" is not a number' synth --out "$T/x" --partitions 1 --events=-5
expect_usage '--events: "99999999999999999999999"' synth --out "$T/x" --partitions 1 --events 99999999999999999999999
expect_usage '--seed: "1.5"' synth --out "$T/x" --partitions 1 --events 1 --seed 1.5
expect_usage '--records-per-message: "65536"' synth --out "$T/x" --partitions 1 --events 1 --records-per-message 65536
expect_usage '--namespace: "bad host"' synth --out "$T/x" --partitions 1 --events 1 --namespace "bad host"
expect_usage '--namespace: "-x.example.com"' synth --out "$T/x" --partitions 1 --events 1 --namespace -x.example.com
expect_usage '--eventhub: "_hub"' synth --out "$T/x" --partitions 1 --events 1 --eventhub _hub
expect_usage '--start-time: "2024-13-01T00:00:00Z" is not an ISO 8601 time' \
  synth --out "$T/x" --partitions 1 --events 1 --start-time 2024-13-01T00:00:00Z
expect_usage '--start-time: "yesterday"' synth --out "$T/x" --partitions 1 --events 1 --start-time yesterday
expect_usage '--out: "" is not a file path' synth --out "" --partitions 1 --events 1
expect_usage '--out: needs a value' synth --partitions 1 --events 1 --out
expect_usage '--seed: given twice' synth --out "$T/x" --partitions 1 --events 1 --seed 1 --seed 2
expect_usage 'synth: --events N is required' synth --out "$T/x" --partitions 1
expect_usage 'synth: --out CAPTURE is required' synth --partitions 1 --events 1
expect_usage 'synth: unknown flag --bogus' synth --out "$T/x" --partitions 1 --events 1 --bogus 3
expect_usage 'synth: unknown flag "-o"' synth -o "$T/x"
expect_usage 'synth: unexpected argument "extra"' synth --out "$T/x" --partitions 1 --events 1 extra
expect_usage 'import: missing input FILEs' import --out "$T/x" --partitions 2
expect_usage '--namespace: needs --eventhub too' import --out "$T/x" --partitions 2 --namespace a.b.c "$T/x"
expect_usage 'stat: missing the CAPTURE argument' stat
expect_usage 'stat: too many arguments' stat a b
expect_usage 'unknown command "bogus"' bogus
expect_usage 'no command given'
expect_usage '"a\x0ab"' synth --out "$T/x" --partitions $'a\nb' --events 1
expect_usage 'unknown command "run"' run --source x
expect_usage "sluice-replay record: unknown flag --source" record --source x
expect_usage "sluice-replay record: --out: missing" record --until-caught-up
expect_usage "sluice-replay record: --partitions:" record --out "$T/x" --partitions 3-1
[ ! -e "$T/x" ] || fail "a usage error created the output file"

# runtime errors: exit 1
"$R" stat "$T/nope.cap" > "$T/out" 2> "$T/err"; rc=$?
{ [ $rc -eq 1 ] && [ ! -s "$T/out" ] && grep -q 'No such file' "$T/err"; } && ok || fail "stat missing -> $rc"
"$R" stat "$SHARED/samples/elastic/test-email.log" > "$T/out" 2> "$T/err"; rc=$?
{ [ $rc -eq 1 ] && [ ! -s "$T/out" ] && grep -q 'unexpected file format' "$T/err"; } && ok || fail "stat non-capture -> $rc"
"$R" import --out "$T/y.cap" --partitions 2 "$T/missing.log" > "$T/out" 2> "$T/err"; rc=$?
{ [ $rc -eq 1 ] && [ ! -e "$T/y.cap" ]; } && ok || fail "import missing file -> $rc"
"$R" synth --out "$T/no/such/dir.cap" --partitions 1 --events 1 > "$T/out" 2> "$T/err"; rc=$?
{ [ $rc -eq 1 ] && grep -q 'cannot create' "$T/err"; } && ok || fail "synth into a missing dir -> $rc"
cp "$SHARED/samples/elastic/test-email.log" "$T/in.log"
"$R" import --out "$T/in.log" --partitions 1 "$T/in.log" > "$T/out" 2> "$T/err"; rc=$?
{ [ $rc -eq 2 ] && cmp -s "$T/in.log" "$SHARED/samples/elastic/test-email.log"; } && ok \
  || fail "import onto its own input -> $rc"

# import the shared samples; stat agrees; lz4cat walks the file
files=("$SHARED"/samples/elastic/*.log)
# per file: a last line without a newline must not merge with the next file's first
lines=0; for f in "${files[@]}"; do lines=$((lines + $(tr -d '\r' < "$f" | grep -c -v '^[[:space:]]*$'))); done
[ "$lines" = 58 ] || fail "the shared samples hold 58 records, counted $lines"
"$R" import --out "$T/s.cap" --partitions 3 --records-per-message 4 "${files[@]}" > "$T/imp.json" 2> "$T/err" \
  || fail "import: $(cat "$T/err")"
"$R" stat "$T/s.cap" > "$T/stat.json" 2> "$T/err" || fail "stat: $(cat "$T/err")"
[ "$(json "$T/imp.json" "d['events']")" = "$lines" ] && ok || fail "import summary events != $lines"
[ "$(json "$T/stat.json" "d['records']")" = "$lines" ] && ok || fail "stat records != $lines"
[ "$(json "$T/stat.json" "d['events']")" = "$lines" ] && ok || fail "stat events != $lines"
[ "$(json "$T/stat.json" "d['namespace'] + d['eventhub']")" = "" ] && ok || fail "import without hub names has names"
python3 - "$T/stat.json" "$T/imp.json" "$(stat -c %s "$T/s.cap")" <<'PY' && ok || fail "stat JSON inconsistent"
import json, sys
st = json.load(open(sys.argv[1])); imp = json.load(open(sys.argv[2]))
pp = st["per_partition"]
assert sorted(pp, key=int) == [str(p) for p in range(st["partitions"])] == ["0", "1", "2"]
for k in ("messages", "records", "bytes"):
    assert sum(v[k] for v in pp.values()) == st[k] == imp[k], k
assert st["file_bytes"] == int(sys.argv[3]) == imp["file_bytes"]
for v in pp.values():
    assert v["first_sequence_number"] == 0 and v["last_sequence_number"] == v["messages"] - 1
# 7 files of 6, 8, 2, 3, 31, 5, 3 records, 4 per message: 2+2+1+1+8+2+1 = 17 messages
assert st["messages"] == 17, st["messages"]
PY
lz4cat "$T/s.cap" > "$T/raw" 2> "$T/err" && ok || fail "lz4cat cannot walk a capture: $(cat "$T/err")"
for f in "${files[@]}"; do
  grep -qF "$(head -c 200 "$f" | head -1 | cut -c1-150)" "$T/raw" || fail "lz4cat output lacks $(basename "$f")"
done
"$R" import --out "$T/h.cap" --partitions 2 --namespace ns1.servicebus.windows.net --eventhub insights-1 \
  --start-time 2024-05-01T12:00:00Z "${files[0]}" > /dev/null || fail "import with hub names"
[ "$(json <("$R" stat "$T/h.cap") "d['namespace'] + '/' + d['eventhub'] + '/' + str(d['created_ms'])")" \
  = "ns1.servicebus.windows.net/insights-1/1714564800000" ] && ok || fail "hub names or start time not kept"

# synth: summary, stat, determinism
if "$R" synth --out "$T/a.cap" --partitions 4 --events 1000 --seed 5 > "$T/syn.json" 2> "$T/err"; then
  "$R" synth --out "$T/b.cap" --partitions 4 --events 1000 --seed 5 > /dev/null 2>&1
  [ "$(json "$T/syn.json" "d['path'] + ' ' + str(d['events']) + ' ' + str(all(k in d for k in ('messages','bytes','seconds','mb_per_s')))")" \
    = "$T/a.cap 1000 True" ] && ok || fail "synth summary: $(cat "$T/syn.json")"
  "$R" stat "$T/a.cap" > "$T/astat.json" || fail "stat of a synth capture"
  [ "$(json "$T/astat.json" "(d['records'], d['partitions'], d['namespace'], d['eventhub'])")" \
    = "(1000, 4, 'synth.servicebus.windows.net', 'defender')" ] && ok || fail "synth stat: $(head -12 "$T/astat.json")"
  cmp -s "$T/a.cap" "$T/b.cap" && ok || fail "synth with the same flags is not byte-identical"
else
  fail "synth: $(cat "$T/err")"
fi

echo "replay/cli: $passed passed, $failed failed"
[ $failed -eq 0 ]
