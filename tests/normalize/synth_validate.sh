#!/usr/bin/env bash
# synth_validate.sh - 100,000 synthetic events (sluice-replay synth, every table and
# ActionType mix with drift) through `sluice run --until-caught-up`; every output
# event must pass ocsf_validate.py --strict (two chunks in parallel) and
# ocsf_strict.py (unique ids included), and no record may become a dead letter.
#   usage: synth_validate.sh BUILD_DIR SHARED_DIR [EVENTS]
set -euo pipefail
B=$1; S=$2; N=${3:-100000}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$B/sluice-replay" synth --out "$T/cap" --partitions 4 --events "$N" --records-per-message 3 \
  --seed 11 > /dev/null
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spool" --until-caught-up --shards 2 \
  --progress-ms 0 --stats-json "$T/run.json" > /dev/null 2>&1
python3 - "$T/run.json" "$N" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
dead = d.get("dead_letters", 0)
if d["events"] != n or dead: print(f"FAIL: {d['events']} events, {dead} dead letters for {n}"); sys.exit(1)
PY
"$B/sluice" spool cat "$T/spool" > "$T/ev.ndjson"
[ "$(wc -l < "$T/ev.ndjson")" = "$N" ] || { echo "FAIL: event count"; exit 1; }
split -n l/2 -d "$T/ev.ndjson" "$T/chunk."
ls "$T"/chunk.* | xargs -P2 -n1 python3 "$S/reference/tools/ocsf_validate.py" --strict | tail -2
python3 "$(dirname "$0")/ocsf_strict.py" --unique-uids "$T/ev.ndjson"
echo "ok: $N synthetic events valid, 0 dead letters"
