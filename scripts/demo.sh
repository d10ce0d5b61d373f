#!/usr/bin/env bash
# Sets mmlint up on a fresh Debian 12 machine with Swift and runs it on the
# bundled example driver in fixtures/example (exit status 1: it has a finding).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
.build/release/mmlint scan fixtures/example "$@"
