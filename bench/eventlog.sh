#!/usr/bin/env bash
# Benchmark of the event store (crates/canhgac-eventlog): append throughput and CPU, size on
# disk, and search latency (median, p95) on a store of EVENTS synthetic events, each query
# against a baseline that scans without block summaries. Not a test; figures depend on the
# machine. Every setting is an environment variable:
#   EVENTS (10000000)  THREADS (2, fill threads)  RUNS (21)  BASELINE_RUNS (1)
#   CARGO_TARGET_DIR (target)  KEEP=1 keeps the store (printed path)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p canhgac-eventlog --example bench
target="${CARGO_TARGET_DIR:-target}"
args=(--events "${EVENTS:-10000000}" --threads "${THREADS:-2}" --runs "${RUNS:-21}" --baseline-runs "${BASELINE_RUNS:-1}")
[ "${KEEP:-0}" = 1 ] && args+=(--keep)
echo "commit $(git rev-parse --short HEAD), $(nproc) cores, $(uname -sr)"
exec "$target/release/examples/bench" "${args[@]}"
