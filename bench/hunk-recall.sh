#!/usr/bin/env bash
# Benchmark: hunk-only mode (no tree at hand) against tree mode, on patches
# generated from the real trees: a follow_pfn(), a remap_pfn_range() and a
# pr_debug() line added at three places of every function of drivers/ that
# returns vm_fault_t, in Linux 6.1 and 6.12. Prints recall and false
# positives side by side. Goal: recall >= 95 %, no false positive.
#   bench/hunk-recall.sh [--limit N] [--json]   (N functions sampled per tree)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${MMLINT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/kernels}"
for v in 6.1 6.12; do
    [ -e "$cache/linux-source-$v/.mmlint-prepared" ] || scripts/prepare-kernels.sh "$v" >/dev/null
done
swift build -c release >/dev/null
exec python3 bench/hunk_recall.py "$PWD/.build/release/mmlint" "$cache/linux-source-6.1" "$cache/linux-source-6.12" "$@"
