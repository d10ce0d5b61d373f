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
