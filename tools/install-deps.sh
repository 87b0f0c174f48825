#!/usr/bin/env bash
# install-deps.sh - install what sluice needs to build and test on Debian 12.
# Works as root or as a user with sudo. Installs only what is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git python3
  clang-14 libclang-rt-14-dev llvm-14
  liburing-dev liblz4-dev lz4 libsimdjson-dev libjemalloc-dev
  libbenchmark-dev libqpid-proton11-dev libcurl4-openssl-dev zlib1g-dev libssl-dev
  nodejs
)

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: run as root, or install sudo" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm: Debian's package, unless the installed nodejs already brings its own (NodeSource
# builds do, and conflict with Debian's npm).
if ! command -v npm > /dev/null 2>&1; then
  echo "install-deps: installing npm"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
fi

# tests/interop: Microsoft's @azure/event-hubs SDK, exactly as pinned by its package-lock.json.
interop="$(cd "$(dirname "$0")/.." && pwd)/tests/interop"
if [ -f "$interop/package-lock.json" ]; then
  # npm rewrites node_modules/.package-lock.json on every install: newer than the lock
  # file means the tree was installed from it.
  if [ "$interop/node_modules/.package-lock.json" -nt "$interop/package-lock.json" ] &&
     grep -q '"version": "6.0.4"' "$interop/node_modules/@azure/event-hubs/package.json" 2>/dev/null; then
    echo "install-deps: tests/interop node_modules up to date"
  else
    echo "install-deps: npm ci in tests/interop"
    (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "install-deps: done"
