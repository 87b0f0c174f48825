#!/usr/bin/env bash
# samples.sh - the shared Defender samples end to end: import -> run -> cat;
# every record becomes exactly one event (no dead letters) and every event
# validates against the official OCSF 1.8.0 schema (--strict).
#   usage: samples.sh BUILD_DIR SHARED_DIR
B=$1; SHARED=$2
. "$(dirname "$0")/lib.sh"
files=("$SHARED"/samples/elastic/*.log)
lines=0  # count per file: one sample file has no final newline
for f in "${files[@]}"; do lines=$((lines + $(tr -d '\r' < "$f" | grep -c -v '^[[:space:]]*$' || true))); done
"$B/sluice-replay" import --out "$T/cap" --partitions 3 --records-per-message 4 "${files[@]}" > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spool" --until-caught-up --shards 2 \
  --progress-ms 0 --keep-original --stats-json "$T/run.json" > "$T/run.out"
[ "$(json "$T/run.json" "d['dead_letters']")" = "0" ] || { "$B/sluice" spool cat --dead-letters "$T/spool" | head -3; fail "dead letters"; }
"$B/sluice" spool cat "$T/spool" > "$T/events.ndjson"
python3 "$HERE/check_events.py" --count "$lines" --distinct-uids < "$T/events.ndjson"
python3 "$SHARED/reference/tools/ocsf_validate.py" --strict "$T/events.ndjson" > "$T/validate.out" 2>&1 \
  || { tail -20 "$T/validate.out"; fail "OCSF validation"; }
grep -q '"raw_data"' "$T/events.ndjson" || fail "--keep-original did not keep raw_data"
"$B/sluice" spool verify "$T/spool" > /dev/null || fail "verify"
ok "$lines sample records -> $lines valid OCSF events"
