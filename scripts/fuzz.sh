#!/usr/bin/env bash
# Fuzzes mmlint's parsers of untrusted input with libFuzzer:
#   diff             PatchReader.readDiff (unified diffs, git headers, hunks)
#   mail             PatchReader.read (mbox framing, MIME, transfer encodings, charsets, the diff)
#   compile-database CompileDatabase(data:) (JSON, entries, shell words)
# Usage: scripts/fuzz.sh [SECONDS per target, default 600] [TARGET...]
# Runs at nice 19. Corpora grow in $FUZZ_WORK (default Fuzz/.work, not in git),
# seeded from fixtures/ and Fuzz/seeds/. A crash leaves crash-* in $FUZZ_WORK/TARGET/
# and makes the script exit 1; reproduce with: Fuzz/.build/release/FuzzX CRASHFILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(diff mail compile-database)
work=${FUZZ_WORK:-Fuzz/.work}

# SwiftPM does not notice files added to a path dependency: rebuild from
# scratch when the main package's list of sources changed.
stamp=$(find Sources -name '*.swift' | sort | cksum)
if [[ -f Fuzz/.build/sources.stamp && $(cat Fuzz/.build/sources.stamp) != "$stamp" ]]; then rm -rf Fuzz/.build; fi
nice -n 19 swift build --package-path Fuzz --scratch-path Fuzz/.build -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2

echo "$stamp" > Fuzz/.build/sources.stamp

status=0
for target in "${targets[@]}"; do
    case $target in
    diff) binary=FuzzDiff; seeds=$(find fixtures -name '*.patch' -o -name '*.diff') ;;
    mail) binary=FuzzMail; seeds=$(find fixtures -name '*.eml' -o -name '*.mbox' -o -name '*.patch') ;;
    compile-database) binary=FuzzCompileDatabase; seeds=$(find Fuzz/seeds/compile-database -type f) ;;
    *) echo "fuzz.sh: unknown target '$target' (diff, mail, compile-database)" >&2; exit 2 ;;
    esac
    corpus=$work/$target/corpus
    mkdir -p "$corpus"
    # shellcheck disable=SC2086
    cp -n $seeds "$corpus/" 2>/dev/null || true
    echo "== $target: $seconds s" >&2
    (cd "$work/$target" && nice -n 19 "$OLDPWD/Fuzz/.build/release/$binary" corpus \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | tee fuzz.log | grep -E '^(stat::|==|SUMMARY|Done)' ) || status=1
done
exit $status
