#!/usr/bin/env bash
# The discovery engine alone (no CLI start-up, no service identification) against nmap -sT -T4,
# inside a network namespace this script makes:
#   1. all 65,535 ports of 127.0.0.1 (three listeners, every other port answers with a reset);
#   2. silence: 16 hosts (127.1.0.0/28) x nmap's top 1,000 ports, iptables dropping SYNs to every
#      port but 22, 80, 443 and 8080 (four of them listen; the rest answer with a reset).
# Prints each run and the medians. Needs root, nmap and iptables.
#
#   RUNS=5 ONLY=12 bench/discovery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
ONLY=${ONLY:-12}
cargo build --release -q -p canhgac-scan --example discover
BIN=${CARGO_TARGET_DIR:-target}/release/examples/discover
NS=cgdisc$$
ip netns add "$NS"
cleanup() { ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$NS"; }
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" python3 bench/listen.py 127.0.0.1:22 127.0.0.1:80 127.0.0.1:443 \
  127.1.0.3:80 127.1.0.7:443 127.1.0.12:8080 127.1.0.12:22 >/dev/null 2>&1 &
sleep 1
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
if [[ $ONLY == *1* ]]; then
echo "== 1. 127.0.0.1, all 65,535 ports"
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
fi
if [[ $ONLY == *2* ]]; then
echo "== 2. silence: 16 hosts x top 1,000 ports"
ports=$(ip netns exec "$NS" nmap -sT --top-ports 1000 -n -Pn -oX - 127.0.0.1 2>/dev/null | grep -o ' services="[^"]*"' | cut -d'"' -f2)
ip netns exec "$NS" iptables -A INPUT -p tcp --syn -d 127.1.0.0/28 -m multiport ! --dports 22,80,443,8080 -j DROP
hosts=$(for i in $(seq 0 15); do printf '127.1.0.%s,' "$i"; done); hosts=${hosts%,}
ours=(); theirs=()
for _ in $(seq "$RUNS"); do
  t=$(date +%s.%N); o=$(ip netns exec "$NS" "$BIN" "$hosts" "$ports" 2>/dev/null | python3 bench/open_ports.py pairs); ours+=("$(echo "$(date +%s.%N) - $t" | bc)")
  t=$(date +%s.%N); n=$(ip netns exec "$NS" nmap -sT -T4 -n -Pn -p "$ports" 127.1.0.0-15 -oG - | python3 bench/open_ports.py nmap); theirs+=("$(echo "$(date +%s.%N) - $t" | bc)")
done
echo "canhgac runs: ${ours[*]}"; echo "nmap runs:    ${theirs[*]}"
echo "canhgac open: $o"; echo "nmap open:    $n"
[ "$o" = "$n" ] && echo "same open ports" || echo "OPEN PORTS DIFFER"
om=$(printf '%s\n' "${ours[@]}" | median); nm=$(printf '%s\n' "${theirs[@]}" | median)
printf 'median canhgac %.3f s, nmap %.3f s, nmap/canhgac %.1fx\n' "$om" "$nm" "$(echo "$nm/$om" | bc -l)"
fi
