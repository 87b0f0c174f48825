#!/usr/bin/env bash
# regen_golden.sh - rewrite tests/normalize/golden/*.ndjson from the current normalizer.
# Review the diff (git diff tests/normalize/golden) before committing: the goldens are
# the expected output of schemas.md, not whatever the code happens to write.
#   usage: regen_golden.sh BUILD_DIR [SHARED_DIR]
set -euo pipefail
B=$1
S=${2:-$(dirname "$0")/../../../shared}
G=$(dirname "$0")/golden
mkdir -p "$G"
for f in "$S"/samples/elastic/*.log; do
  n=$(basename "$f" .log)
  "$B/tests/normalize/norm_dump" "$f" > "$G/$n.ndjson"
done
# records for the categories the samples lack (make_derived.py writes them)
"$B/tests/normalize/norm_dump" "$(dirname "$0")/derived_records.jsonl" > "$G/derived_records.ndjson"
python3 "$S/reference/tools/ocsf_validate.py" --strict "$G"/*.ndjson
