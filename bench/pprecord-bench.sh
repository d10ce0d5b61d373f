#!/usr/bin/env bash
# The parse cost of libclang's detailed preprocessing record (where
# `mmlint check` finds the lines the configuration skips), on files of the
# prepared 6.1 tree (scripts/prepare-kernels.sh) with kbuild's own flags
# (`mmlint flags`): with and without it, alternately, medians of 5 runs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="${MMLINT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/kernels}"
tree="$cache/linux-source-6.1"
# mmlint only writes (or finds) the database here: the parses are libclang's.
swift build --product mmlint --package-path "$here" >&2
database=$("$here/.build/debug/mmlint" flags "$tree" --quiet)
echo "commit $(git -C "$here" rev-parse --short HEAD), $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
python3 "$here/bench/pprecord_bench.py" "$tree" "$database" 5 \
  mm/memory.c mm/mmap.c drivers/vfio/pci/vfio_pci_core.c drivers/gpu/drm/drm_gem.c \
  drivers/gpu/drm/i915/gem/i915_gem_mman.c kernel/events/core.c drivers/infiniband/core/uverbs_main.c
