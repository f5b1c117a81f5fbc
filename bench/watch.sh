#!/usr/bin/env bash
# Watch engine benchmark: MONITORS HTTP monitors at a 60 s interval against local servers,
# through the whole server path (scheduler, checks, state machine, SQLite). Prints CPU as a
# share of one core (target < 25%), the ratio to bare HTTP requests at the same rate measured
# first in the same process, and peak memory (target < 200 MiB).
#
#   bench/watch.sh                 # 5,000 monitors, 120 s measured after a 65 s ramp
#   MONITORS=500 SECONDS=30 bench/watch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MONITORS="${MONITORS:-5000}"
SECONDS_MEASURED="${SECONDS:-120}"
echo "# $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -q -p canhgac-watch --example watch_bench
ulimit -n 65536 2>/dev/null || true
"${CARGO_TARGET_DIR:-target}/release/examples/watch_bench" "$MONITORS" "$SECONDS_MEASURED"
