#!/usr/bin/env bash
# Prepares Debian's linux-source-6.1 and linux-source-6.12 for mmlint's
# integration tests and benchmarks, once, into a cache folder outside the clone:
#   $MMLINT_KERNEL_CACHE (default: ${XDG_CACHE_HOME:-~/.cache}/mmlint/kernels)
# For each version: extract, x86_64 defconfig + VFIO, `make prepare`, build
# drivers/vfio/ with GCC (the distribution's compiler) and write
# compile_commands.json with the kernel's own gen_compile_commands.py.
# A tree whose stamp file holds the current recipe version is reused as is;
# bump RECIPE when the configuration below changes.
set -euo pipefail

cache="${MMLINT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/kernels}"
versions=("$@")
((${#versions[@]})) || versions=(6.1 6.12)
jobs=$(nproc)
RECIPE=2
mkdir -p "$cache"

prepare_one() {
  local v=$1
  local tarball=/usr/src/linux-source-$v.tar.xz
  local dir=$cache/linux-source-$v
  local stamp=$dir/.mmlint-prepared
  if [[ -f $stamp && "$(cat "$stamp")" == "$RECIPE" ]]; then
    echo "mmlint: $dir is prepared (remove $stamp to redo)" >&2
    return
  fi
  [[ -f $tarball ]] || { echo "mmlint: $tarball missing; run scripts/install-deps.sh" >&2; exit 2; }
  echo "mmlint: extracting $tarball into $cache" >&2
  rm -rf "$dir"
  tar -C "$cache" -xf "$tarball"
  cd "$dir"
  local log=$dir/.mmlint-prepare.log
  {
    make -s ARCH=x86_64 defconfig
    # VFIO and its PCI drivers as modules, plus the options whose code sits in
    # drivers/vfio so that its files are in the compile database; THP so that
    # 6.12's #ifdef'd .huge_fault handler is compiled.
    scripts/config -m VFIO -m VFIO_PCI -e VFIO_PCI_VGA -e VFIO_PCI_IGD -e VFIO_NOIOMMU \
      -m VFIO_MDEV -e VFIO_VIRQFD -e IOMMUFD -e VFIO_DEVICE_CDEV -e VFIO_CONTAINER \
      -e IOMMU_SUPPORT -e INTEL_IOMMU -e AMD_IOMMU -e EEH -m MLX5_CORE -m MLX5_VFIO_PCI \
      -e PCI_IOV -m VFIO_PCI_CORE -e TRANSPARENT_HUGEPAGE
    make -s ARCH=x86_64 olddefconfig
    make -s ARCH=x86_64 -j"$jobs" prepare
    make -s ARCH=x86_64 -j"$jobs" drivers/vfio/
    python3 scripts/clang-tools/gen_compile_commands.py -d . -o compile_commands.json
  } >"$log" 2>&1 || { echo "mmlint: preparing $dir failed; see $log" >&2; tail -20 "$log" >&2; exit 2; }
  echo "mmlint: $dir prepared ($(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))))' compile_commands.json) compile commands)" >&2
  echo "$RECIPE" >"$stamp"
}

for v in "${versions[@]}"; do
  ( prepare_one "$v" )
done
echo "$cache"
