#!/usr/bin/env bash
# readme_flags.sh - README.md's flag reference must equal `sluice run --help`.
#   usage: readme_flags.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
want=$("$2/sluice" run --help)
got=$(sed -n '/<!-- BEGIN sluice run --help -->/,/<!-- END sluice run --help -->/p' "$1/README.md" \
      | sed '1d;$d' | sed '1d;$d')
if [ "$want" != "$got" ]; then
  echo "FAIL: README.md flag reference differs from sluice run --help; regenerate it with:"
  echo "  tools/readme-flags.sh"
  diff <(echo "$want") <(echo "$got") | head -20
  exit 1
fi
echo "readme_flags: ok"
