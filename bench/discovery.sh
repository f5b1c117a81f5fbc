#!/usr/bin/env bash
# The discovery engine alone (no CLI start-up, no service identification) against nmap -sT -T4
# over all 65,535 ports of 127.0.0.1 inside a network namespace this script makes (three
# listeners, nothing else). Prints each run and the medians. Needs root and nmap.
#
#   RUNS=5 bench/discovery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
cargo build --release -q -p canhgac-scan --example discover
BIN=${CARGO_TARGET_DIR:-target}/release/examples/discover
NS=cgdisc$$
ip netns add "$NS"
cleanup() { ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$NS"; }
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" python3 bench/listen.py 127.0.0.1:22 127.0.0.1:80 127.0.0.1:443 >/dev/null 2>&1 &
sleep 1
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ours=(); theirs=()
for _ in $(seq "$RUNS"); do
  t=$(date +%s.%N); o=$(ip netns exec "$NS" "$BIN" 127.0.0.1 all 2>/dev/null | cut -d: -f2 | sort -n | tr '\n' ' '); ours+=("$(echo "$(date +%s.%N) - $t" | bc)")
  t=$(date +%s.%N); n=$(ip netns exec "$NS" nmap -sT -p- -T4 -n -Pn 127.0.0.1 -oG - | grep -o '[0-9]*/open' | cut -d/ -f1 | sort -n | tr '\n' ' '); theirs+=("$(echo "$(date +%s.%N) - $t" | bc)")
done
echo "canhgac runs: ${ours[*]}"; echo "nmap runs:    ${theirs[*]}"
echo "canhgac open: $o"; echo "nmap open:    $n"
[ "$o" = "$n" ] && echo "same open ports" || echo "OPEN PORTS DIFFER"
om=$(printf '%s\n' "${ours[@]}" | median); nm=$(printf '%s\n' "${theirs[@]}" | median)
printf 'median canhgac %.3f s, nmap %.3f s, canhgac/nmap %.2f\n' "$om" "$nm" "$(echo "$om/$nm" | bc -l)"
