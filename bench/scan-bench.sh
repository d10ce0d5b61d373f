#!/usr/bin/env bash
# Benchmark: mmlint scan over Linux 6.1, all in one run (this machine is
# noisy: the commands alternate, medians are compared). Prints a markdown
# table with each measure, its ratio, the goal and met/NOT met:
#   (a) whole tree: `mmlint scan --no-cache --jobs 2` vs `spatch -j 2` with
#       bench/fault-remap.cocci (Debian's coccinelle), with both tools'
#       findings side by side                                    goal <= 1.0x
#   (b) drivers/vfio, the files of compile_commands.json: mmlint --no-cache
#       vs `clang-14 -fsyntax-only` of the same files with the same flags,
#       2 at a time                                              goal <= 1.2x
#   (c) whole tree: warm vs cold scan with a fresh --cache-dir  goal <= 0.1x
#   (d) peak memory of the cold whole-tree scan, PSS summed over mmlint and
#       its parse workers (bench/proctree.py)                    goal <= 512 MiB
#
#   bench/scan-bench.sh [--runs N] [--subtree PATH] [--default-rules]
#     --runs N        timed runs of each command (default 5)
#     --subtree PATH  scan this folder of the tree (e.g. drivers/vfio) instead
#                     of the whole tree in (a), (c) and (d); (b) is unchanged
#     --default-rules every rule (what `mmlint scan .` runs), not the two
#                     Coccinelle covers: (a) is then the cold scan of (c)
#                     against spatch, goal <= 2.5x (issue 11)
#
# mmlint is built into .build-bench (release) so as not to disturb .build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
tree="$(scripts/prepare-kernels.sh 6.1)/linux-source-6.1"
swift build -c release --scratch-path .build-bench >/dev/null
exec python3 bench/scan_bench.py "$tree" "$PWD/.build-bench/release/mmlint" "$PWD/bench/fault-remap.cocci" "$@"
