#!/usr/bin/env bash
# Parse-error rates with kbuild's own commands vs the synthesized flags, on
# the prepared 6.1 and 6.12 trees (scripts/prepare-kernels.sh), and the time
# `mmlint flags` takes. Extra arguments go to bench/flags_bench.py, e.g.
#   bench/flags-bench.sh --kconfig tree --kconfig allmodconfig --chunk 25 --cold
#   bench/flags-bench.sh --default --no-baseline --chunk 25   # no flags named, cached databases used
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="${MMLINT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/kernels}"
swift build -c release --product mmlint --package-path "$here" >&2
mmlint="$here/.build/release/mmlint"
args=("$@")
((${#args[@]})) || args=(--kconfig allmodconfig --chunk 25)
echo "commit $(git -C "$here" rev-parse --short HEAD), $(date -u +%F), $(nproc) cores"
for v in 6.1 6.12; do
  python3 "$here/bench/flags_bench.py" "$mmlint" "$cache/linux-source-$v" "${args[@]}"
done
