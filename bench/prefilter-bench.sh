#!/usr/bin/env bash
# Times the prefilter on real kernel trees: walk, read, scan and select, with
# a release build, warm page cache (one untimed run first), best of N runs.
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
runs=3
verbose=0
while getopts "j:n:v" option; do
  case $option in
    j) threads=$OPTARG ;;
    n) runs=$OPTARG ;;
    v) verbose=1 ;;
    *) sed -n '2,11p' "$0" >&2; exit 2 ;;
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
cat > "$work/Package.swift" <<'EOF'
// swift-tools-version: 6.0
import PackageDescription
let package = Package(name: "prefilter-bench", targets: [
    .target(name: "MMLintIndex"),
    .executableTarget(name: "prefilter-bench", dependencies: ["MMLintIndex"]),
])
EOF
cat > "$work/Sources/prefilter-bench/main.swift" <<'EOF'
import Foundation
import MMLintIndex

// prefilter-bench TREE THREADS RUNS VERBOSE FAULT_APIS ANYWHERE_APIS FIELDS STRUCTS TYPEDEF
let arguments = CommandLine.arguments
func list(_ index: Int) -> [String] { arguments[index].split(separator: ",").map(String.init) }
let root = arguments[1]
let prefilter = Prefilter(faultAPIs: Set(list(5)), anywhereAPIs: Set(list(6)), callbackFields: list(7),
                          callbackStructs: list(8), faultTypedef: arguments[9], threads: Int(arguments[2])!)
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
var best: (wall: Double, cpu: Double, walk: Double) = (.infinity, 0, 0)
var selection: Selection?
for run in 0...Int(arguments[3])! {
    let started = Date()
    let cpu = cpuSeconds()
    let tree = SourceTree(walking: root)
    let walked = Date()
    let result = prefilter.select(sources: tree.sources, headers: tree.headers)
    let wall = Date().timeIntervalSince(started)
    if run > 0 && wall < best.wall { best = (wall, cpuSeconds() - cpu, walked.timeIntervalSince(started)) }
    selection = result
}
let counts = selection!.counts
print(String(format: "%@: %.2f s wall (walk %.2f s), %.2f s cpu, %d threads; read %d files, %.0f MB; %d functions; selected %d",
             root, best.wall, best.walk, best.cpu, prefilter.threads, counts.filesRead,
             Double(counts.bytesRead) / 1e6, counts.functions, counts.selected))
if arguments[4] == "1" {
    for file in selection!.files {
        print("  \(file.dropFirst(root.count + 1)): \(selection!.reasons[file]!.joined(separator: "; "))")
    }
}
EOF
swift build -c release --package-path "$work" >&2
for tree in "${trees[@]}"; do
  if [[ ! -d $tree ]]; then
    echo "prefilter-bench: $tree is missing; run scripts/prepare-kernels.sh" >&2
    exit 2
  fi
  "$work/.build/release/prefilter-bench" "$tree" "$threads" "$runs" "$verbose" \
    "$fault_apis" "$anywhere_apis" "$fields" "$structs" "$typedef"
done
