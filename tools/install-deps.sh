#!/usr/bin/env bash
# install-deps.sh - install what sluice needs to build and test on Debian 12.
# Works as root or as a user with sudo. Installs only what is missing.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git python3
  clang-14 libclang-rt-14-dev llvm-14
  liburing-dev liblz4-dev lz4 libsimdjson-dev libjemalloc-dev
  libbenchmark-dev libqpid-proton11-dev libcurl4-openssl-dev zlib1g-dev
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
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
