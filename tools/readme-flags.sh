#!/usr/bin/env bash
# readme-flags.sh - regenerate README.md's flag reference from `sluice run --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/release}
python3 - "$BIN/sluice" <<'PY'
import re, subprocess, sys
help_text = subprocess.run([sys.argv[1], "run", "--help"], capture_output=True, text=True, check=True).stdout
readme = open("README.md").read()
block = "<!-- BEGIN sluice run --help -->\n```text\n" + help_text.rstrip("\n") + "\n```\n<!-- END sluice run --help -->"
readme = re.sub(r"<!-- BEGIN sluice run --help -->.*?<!-- END sluice run --help -->", lambda m: block, readme, flags=re.S)
open("README.md", "w").write(readme)
PY
