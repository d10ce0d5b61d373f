#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with Swift:
# installs what is missing, prepares the real kernel trees once (cached
# outside the clone), builds, and runs unit, fixture, CLI and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/prepare-kernels.sh >/dev/null
swift build --build-tests
swift test --skip-build "$@"

# The unit, fixture and CLI tests again under AddressSanitizer and
# ThreadSanitizer, each in its own scratch folder (sanitized builds
# share nothing with the plain one). Left out there: the real-kernel
# integration tests and the prefilter's whole-tree test, which take minutes
# even unsanitized (docs/security.md has the timings). MMLINT_SANITIZERS=0
# skips this; a filtered run ("$@") skips it too.
if [[ ${MMLINT_SANITIZERS:-1} != 0 && $# -eq 0 ]]; then
  for sanitizer in address thread; do
    echo "mmlint: tests under --sanitize=$sanitizer" >&2
    swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build-$sanitizer"
    # Leaks are checked on mmlint below, not in the test runner, whose
    # XCTest and Foundation objects alive at exit LeakSanitizer reports.
    ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" \
      --filter MMLintTests --skip 'PrefilterTests.testKernelTreeSelectionIsSmall'
  done
  # The sanitized mmlint with LeakSanitizer on, over scan, check and review:
  # any leak outside the toolchain's own (scripts/lsan-suppressions.txt) fails.
  echo "mmlint: leak check of the ASan build" >&2
  asan=.build-address/debug/mmlint
  export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0"
  # In-process parsing too, as workers' stderr goes nowhere.
  for run in "scan --no-cache fixtures/example" "scan --no-cache fixtures/direct-call fixtures/callbacks" \
             "check --tree fixtures/check-tree fixtures/check-patches/series.mbox" \
             "review --tree fixtures/check-tree --from R<r@example.org> fixtures/check-patches/new-misuse.patch"; do
    for inprocess in 0 1; do
      # shellcheck disable=SC2086
      status=0; MMLINT_PARSE_IN_PROCESS=$inprocess $asan $run >/dev/null 2>.build-address/leak-check.txt || status=$?
      if [[ $status -gt 1 ]] || grep -q "LeakSanitizer" .build-address/leak-check.txt; then
        cat .build-address/leak-check.txt >&2
        echo "mmlint: leak check failed: MMLINT_PARSE_IN_PROCESS=$inprocess mmlint $run (exit $status)" >&2
        exit 1
      fi
    done
  done
  echo "mmlint: leak check: 4 commands, with and without parse workers, no leak" >&2
fi
