#!/usr/bin/env bash
# Installs the Debian packages mmlint needs to build, test and benchmark.
# Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh            build + tests (libclang, kernel sources, make prepare deps)
#   scripts/install-deps.sh --bench    also coccinelle, clang and hyperfine for bench/
set -euo pipefail

pkgs=(libclang-dev llvm-dev
      linux-source-6.1 linux-source-6.12
      bc flex bison libelf-dev libssl-dev xz-utils python3 git)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(coccinelle clang time)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "mmlint: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
