#!/usr/bin/env bash
# Indicator matching benchmark (issue 3): 1,000,000 indicators against a realistic event mix.
#
# Runs crates/canhgac-detect/examples/ioc_bench.rs (build time, memory, ns/event of
# IndicatorSet::matches, and a naive HashSet<String>-over-whitespace-tokens baseline in the same
# process), then `grep -F -f` with the same indicator values over the same events' text as an
# outside baseline. Figures are CPU time of the matching thread: the machine may be shared.
#
#   bench/ioc.sh                       # 1,000,000 indicators, 20,000 events, 25 passes
#   INDICATORS=100000 EVENTS=5000 PASSES=50 bench/ioc.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INDICATORS=${INDICATORS:-1000000}
EVENTS=${EVENTS:-20000}
PASSES=${PASSES:-25}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cargo build --release -q -p canhgac-detect --example ioc_bench
"$CARGO_TARGET_DIR/release/examples/ioc_bench" "$INDICATORS" "$EVENTS" "$PASSES" --dump "$work"

if command -v grep >/dev/null; then
  lines=$(wc -l <"$work/events.txt")
  # grep builds its matcher from all patterns, then scans every line once.
  start=$(date +%s%N)
  matched=$( (grep -F -c -f "$work/indicators.txt" "$work/events.txt" || true) )
  end=$(date +%s%N)
  echo "grep -F -f (build + one pass, wall): $(( (end - start) / 1000000 )) ms for $lines lines, $matched lines matched;" \
       "$(( (end - start) / lines )) ns/line (includes building the matcher)"
fi
