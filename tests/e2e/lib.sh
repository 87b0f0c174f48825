# lib.sh - helpers for the end-to-end scripts. Source it; set B (build dir) first.
set -euo pipefail
T=$(mktemp -d /tmp/sluice-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# json FILE EXPR: evaluate a python expression over the JSON document `d` in FILE
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
