#!/usr/bin/env bash
# deadletters.sh - records that cannot become events go to the dead-letter
# stream with a reason and their original text; nothing is dropped, and good
# records around them are still normalized.
#   usage: deadletters.sh BUILD_DIR SHARED_DIR
B=$1; SHARED=$2
. "$(dirname "$0")/lib.sh"
good=$(head -3 "$SHARED/samples/elastic/test-device.log")
{
  echo "$good"
  echo '{"time":"2024-01-01T00:00:00Z","tenantId":"t","properties":{"Timestamp":"2024-01-01T00:00:00Z"}}'
  echo '{"category":"AdvancedHunting-DeviceEvents","properties":{"ActionType":"X"}}'
  echo '{"category": "AdvancedHunting-DeviceEvents", "properties": {"Timestamp": "2024-01-01T00:00:00Z"'
  echo 'not json at all'
  echo '42'
} > "$T/mixed.log"
"$B/sluice-replay" import --out "$T/cap" --partitions 2 --records-per-message 2 "$T/mixed.log" > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spool" --until-caught-up --progress-ms 0 \
  --stats-json "$T/run.json" > "$T/run.out"
[ "$(json "$T/run.json" "d['events']")" = "3" ] || fail "events: $(json "$T/run.json" "d['events']")"
# One dead letter per bad line: "not json at all" is not JSON from its first byte
# on, so it is reported whole, with the rest of its body (invalid_json).
[ "$(json "$T/run.json" "d['dead_letters']")" = "5" ] || fail "dead letters: $(json "$T/run.json" "d['dead_letters']")"
grep -q "dead letters per reason" "$T/run.out" || fail "summary does not list dead-letter reasons"
"$B/sluice" spool cat --dead-letters "$T/spool" > "$T/dead.ndjson"
python3 - "$T/dead.ndjson" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
reasons = sorted(r["reason"] for r in rows)
want = sorted(["no_table", "no_time", "invalid_json", "invalid_json", "no_table"])
if reasons != want:
    print("FAIL: reasons", reasons, "want", want); sys.exit(1)
for r in rows:
    for k in ("reason", "detail", "partition", "sequence_number", "raw"):
        if k not in r: print("FAIL: dead letter lacks", k, r); sys.exit(1)
raws = " ".join(r["raw"] for r in rows)
for needle in ("not", "json at all", "42", "ActionType", "AdvancedHunting-DeviceEvents"):
    if needle not in raws: print("FAIL: raw text lost:", needle); sys.exit(1)
print("ok: 5 dead letters with reasons", reasons)
PY
"$B/sluice" spool cat "$T/spool" | python3 "$HERE/check_events.py" --count 3 --distinct-uids
"$B/sluice" spool verify "$T/spool" > /dev/null || fail "verify"
