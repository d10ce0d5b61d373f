#!/usr/bin/env bash
# Benchmark: `mmlint bot --once` over a generated public-inbox v2 inbox of
# 1,000 messages (single patches, series with cover letters, replies, other
# mail; patches made now against Linux 6.1), release build. Prints messages
# per minute, time to the first reply and peak memory (bot + parse workers).
# Goal: 20,000 messages a day on 2 cores.
#   bench/bot-bench.sh [messages]      (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
tree="$(scripts/prepare-kernels.sh 6.1)/linux-source-6.1"
swift build -c release --scratch-path .build-bench >/dev/null
echo "bot-bench: commit $(git rev-parse --short HEAD), $(nproc) cores"
exec python3 bench/bot_bench.py "$tree" "$PWD/.build-bench/release/mmlint" --messages "${1:-1000}"
