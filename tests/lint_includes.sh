#!/usr/bin/env bash
# lint_includes.sh - every #include "..." must name a header that the folder
# may use (DESIGN.md §10), and third-party headers stay in their one place:
# liburing, lz4, proton and curl in io/*.c; simdjson in normalize/json_shim.cpp.
# CMake already fails the build on most violations (include paths come from
# target_link_libraries); this catches relative paths and third-party leaks.
#   usage: lint_includes.sh SOURCE_DIR
set -uo pipefail
cd "$1"
bad=0
allowed_dirs() {
  case "$1" in
    engine/base) echo "engine/base" ;;
    normalize) echo "normalize engine/base" ;;
    io) echo "io engine/base" ;;
    shards) echo "shards normalize io engine/base" ;;
    tools/replay) echo "tools/replay io normalize engine/base" ;;
    engine) echo "engine shards normalize io engine/base" ;;
  esac
}
for folder in engine/base normalize io shards tools/replay engine; do
  dirs=$(allowed_dirs "$folder")
  for f in $(find "$folder" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \)); do
    while IFS= read -r inc; do
      h=${inc#*\"}; h=${h%%\"*}
      case "$h" in */*) echo "$f: relative or pathed include \"$h\""; bad=1; continue ;; esac
      found=0
      for d in $dirs; do [ -f "$d/$h" ] && found=1; done
      if [ $found = 0 ]; then echo "$f: includes \"$h\", which $folder may not use"; bad=1; fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f")
    while IFS= read -r inc; do
      case "$inc" in
        *liburing*|*lz4*|*proton/*|*curl/*)
          case "$f" in io/*.c) ;; *) echo "$f: third-party header outside io/*.c: $inc"; bad=1 ;; esac ;;
        *simdjson*)
          [ "$f" = normalize/json_shim.cpp ] || { echo "$f: simdjson outside json_shim.cpp: $inc"; bad=1; } ;;
      esac
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+<' "$f")
  done
done
if [ $bad = 0 ]; then echo "lint_includes: ok: 1 passed, 0 failed"; else echo "lint_includes: FAIL"; fi
exit $bad
