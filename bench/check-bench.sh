#!/usr/bin/env bash
# Benchmark: a one-file patch check against the compiler's floor.
# Times `mmlint check` of two generated patches to Linux 6.1's
# drivers/vfio/pci/vfio_pci_core.c (a follow_pfn() call added to the fault
# handler; a harmless debug line added there) and `clang -fsyntax-only` of
# that file with the same flags, run
# alternately in one session (this machine is noisy), and prints the medians
# and their ratio, with the fact cache cold and with the tree's files cached.
# Goals: clean patch <= 1.1x, patch with a finding <= 1.5x.
#   bench/check-bench.sh [runs]      (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
scripts/install-deps.sh --bench
tree="$(scripts/prepare-kernels.sh 6.1)/linux-source-6.1"
swift build -c release --scratch-path .build-bench >/dev/null
exec python3 bench/check_bench.py "$tree" "$PWD/.build-bench/release/mmlint" "$runs"
