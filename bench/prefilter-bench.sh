#!/usr/bin/env bash
# Times the prefilter on real kernel trees: walk, read, scan and select, with
# a release build and a warm page cache (one untimed run first), each run a
# fresh process as in `mmlint scan`; prints the fastest and the median of N.
#
#   bench/prefilter-bench.sh [-j THREADS] [-n RUNS] [-v] [TREE...]
#
# TREE defaults to the trees scripts/prepare-kernels.sh extracts. The
# benchmark builds a throwaway package outside the checkout (the module's
# sources linked in, a small main), so the package gains no executable; the
# API names, callback fields and typedef come from rules/*.yaml. -v lists
# the selected files with the reasons.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache="${MMLINT_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmlint/kernels}"
threads=$(nproc)
runs=5
verbose=0
while getopts "j:n:v" option; do
  case $option in
    j) threads=$OPTARG ;;
    n) runs=$OPTARG ;;
    v) verbose=1 ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
trees=("$@")
((${#trees[@]})) || trees=("$cache/linux-source-6.1" "$cache/linux-source-6.12")

# rules/: the APIs of each scope, the callback fields and structs, the typedef.
apis() {  # the API names of the rule files whose scope is $1
  for file in "$repo"/rules/*.yaml; do
    grep -q "^scope: $1\$" "$file" || continue
    awk '/^apis:/ { inside = 1; next } /^[^ #-]/ { inside = 0 } inside && $1 == "-" && $2 == "name:" { print $3 }' "$file"
  done | paste -sd, -
}
context="$repo/rules/fault-context.yaml"
fault_apis=$(apis fault)
anywhere_apis=$(apis anywhere)
fields=$(sed -n 's/^ *fields: *\[\(.*\)\]/\1/p' "$context" | tr -d ' ' | paste -sd, -)
structs=$(sed -n 's/^ *- struct: *//p' "$context" | paste -sd, -)
typedef=$(sed -n 's/^ *returns: *//p' "$context")

work="${TMPDIR:-/tmp}/mmlint-prefilter-bench"
mkdir -p "$work/Sources/prefilter-bench"
ln -sfn "$repo/Sources/MMLintIndex" "$work/Sources/MMLintIndex"
ln -sfn "$repo/Sources/MMLintSupport" "$work/Sources/MMLintSupport"
cat > "$work/Package.swift" <<'PACKAGE'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(name: "prefilter-bench", targets: [
    .target(name: "MMLintSupport"),
    .target(name: "MMLintIndex", dependencies: ["MMLintSupport"]),
    .executableTarget(name: "prefilter-bench", dependencies: ["MMLintIndex"]),
])
PACKAGE
cat > "$work/Sources/prefilter-bench/main.swift" <<'MAIN'
import Foundation
import MMLintIndex

// prefilter-bench TREE THREADS VERBOSE FAULT_APIS ANYWHERE_APIS FIELDS STRUCTS TYPEDEF
// One run: wall and CPU seconds, peak memory (MB) and the counts, tab-separated.
let arguments = CommandLine.arguments
func list(_ index: Int) -> [String] { arguments[index].split(separator: ",").map(String.init) }
let root = arguments[1]
let prefilter = Prefilter(faultAPIs: Set(list(4)), anywhereAPIs: Set(list(5)), callbackFields: list(6),
                          callbackStructs: list(7), faultTypedef: arguments[8], threads: Int(arguments[2])!)
let started = Date()
let tree = SourceTree(walking: root)
let selection = prefilter.select(sources: tree.sources, headers: tree.headers)
let wall = Date().timeIntervalSince(started)
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
let counts = selection.counts
print(String(format: "%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d", wall, cpu, usage.ru_maxrss >> 10, counts.filesRead,
             counts.bytesRead >> 20, counts.functions, counts.selected))
if arguments[3] == "1" {
    for file in selection.files {
        print("  \(file.dropFirst(root.count + 1)): \(selection.reasons[file]!.joined(separator: "; "))")
    }
}
MAIN
swift build -c release --package-path "$work" >&2
bench="$work/.build/release/prefilter-bench"
for tree in "${trees[@]}"; do
  if [[ ! -d $tree ]]; then
    echo "prefilter-bench: $tree is missing; run scripts/prepare-kernels.sh" >&2
    exit 2
  fi
  run() { "$bench" "$tree" "$threads" "$1" "$fault_apis" "$anywhere_apis" "$fields" "$structs" "$typedef"; }
  run 0 > /dev/null  # warms the page cache
  for ((i = 0; i < runs; i++)); do run 0; done | sort -n | awk -v tree="$tree" -v threads="$threads" -F'\t' '
    { wall[NR] = $1; cpu[NR] = $2; rss[NR] = $3; split($0, last, "\t") }
    END {
      middle = int((NR + 1) / 2)
      printf "%s: %.2f s wall fastest, %.2f s median (cpu %.2f s, peak %d MB), %d threads, %d runs; ",
        tree, wall[1], wall[middle], cpu[middle], rss[middle], threads, NR
      printf "read %d files, %d MB; %d functions; selected %d\n", last[4], last[5], last[6], last[7]
    }'
  if ((verbose)); then run 1 | tail -n +2; fi
done
