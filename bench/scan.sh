#!/usr/bin/env bash
# Scanner benchmarks (issue 4), each against a baseline measured in this same script:
#   1. full TCP range on loopback, where closed ports answer at once: canhgac vs nmap -sT -p- -T4;
#   2. silence: 16 hosts (127.1.0.0-15) x nmap's top 1,000 ports with iptables dropping SYNs to
#      every port but a few open ones: canhgac vs nmap -sT -T4 over the same ports;
#   3. 1,022 hosts (127.2.0.0/22) with the quick profile: wall time and peak memory;
#   4. every loadable public nuclei template against a local page: memory and requests/s.
# Everything runs inside a network namespace the script makes (nothing else listens there), so
# no traffic leaves the machine. Needs root, nmap, iptables, python3; prints medians of RUNS runs.
#
#   RUNS=3 CANHGAC_BIN=target/release/canhgac bench/scan.sh      (ONLY=34 runs sections 3 and 4)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${CANHGAC_BIN:-target/release/canhgac}")
RUNS=${RUNS:-3}
CORPUS=${CORPUS:-../shared/corpora/nuclei-templates}
ONLY=${ONLY:-1234}
NS=cgbench$$
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set CANHGAC_BIN)"; exit 2; }
command -v nmap >/dev/null || { echo "needs nmap (apt-get install nmap)"; exit 2; }
command -v iptables >/dev/null || { echo "needs iptables (apt-get install iptables)"; exit 2; }

ip netns add "$NS"
cleanup() { ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$NS"; }
trap cleanup EXIT
ns() { ip netns exec "$NS" "$@"; }
ns ip link set lo up

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local start=$1; echo "$(date +%s.%N) - $start" | bc; }
nmap_open() { grep -o '[0-9]*/open' | cut -d/ -f1 | sort -n | tr '\n' ' '; }
ours_open() { grep -o '[0-9]*/tcp' | cut -d/ -f1 | sort -n | tr '\n' ' '; }

ns python3 bench/listen.py 127.0.0.1:22 127.0.0.1:80:http 127.0.0.1:443 127.0.0.1:8080 127.0.0.1:31337 \
  127.1.0.3:80:http 127.1.0.7:443 127.1.0.12:8080 127.1.0.12:22 \
  127.2.0.10:80:http 127.2.1.20:22 127.2.3.200:8080:http 127.3.0.1:8000:http >/dev/null 2>&1 &
sleep 1

if [[ $ONLY == *1* ]]; then
echo "== 1. loopback, 65,535 ports, closed ports answer"
nmap_t=(); ours_t=()
for _ in $(seq "$RUNS"); do
  t=$(date +%s.%N); n=$(ns nmap -sT -p- -T4 -n -Pn 127.0.0.1 -oG - | nmap_open); nmap_t+=("$(secs "$t")")
  t=$(date +%s.%N); o=$(ns "$BIN" scan 127.0.0.1 --ports all --discovery-only --allow-target --no-progress 2>/dev/null | ours_open); ours_t+=("$(secs "$t")")
done
nm=$(printf '%s\n' "${nmap_t[@]}" | median); om=$(printf '%s\n' "${ours_t[@]}" | median)
echo "nmap open: $n"; echo "ours open: $o"
[ "$n" = "$o" ] && echo "same open ports" || echo "OPEN PORTS DIFFER"
printf 'nmap median %.3f s, canhgac median %.3f s, canhgac/nmap %.2f (nmap/canhgac %.1fx)\n' "$nm" "$om" "$(echo "$om/$nm" | bc -l)" "$(echo "$nm/$om" | bc -l)"

fi
if [[ $ONLY == *2* ]]; then
echo "== 2. silence: 16 hosts x top 1,000 ports, SYNs dropped except to open ports"
ports=$(ns nmap -sT --top-ports 1000 -n -Pn -oX - 127.0.0.1 2>/dev/null | grep -o ' services="[^"]*"' | cut -d'"' -f2)
ns iptables -A INPUT -p tcp --syn -d 127.1.0.0/28 -m multiport ! --dports 22,80,443,8080 -j DROP
hosts=(); for i in $(seq 0 15); do hosts+=("127.1.0.$i"); done
nmap_t=(); ours_t=()
for _ in $(seq "$RUNS"); do
  t=$(date +%s.%N); n=$(ns nmap -sT -T4 -n -Pn -p "$ports" 127.1.0.0-15 -oG - | python3 bench/open_ports.py nmap); nmap_t+=("$(secs "$t")")
  t=$(date +%s.%N); o=$(ns "$BIN" scan "${hosts[@]}" --ports "$ports" --discovery-only --allow-target --no-progress 2>/dev/null | python3 bench/open_ports.py canhgac); ours_t+=("$(secs "$t")")
done
nm=$(printf '%s\n' "${nmap_t[@]}" | median); om=$(printf '%s\n' "${ours_t[@]}" | median)
echo "nmap open: $n"; echo "ours open: $o"
[ "$n" = "$o" ] && echo "same open ports" || echo "OPEN PORTS DIFFER"
printf 'nmap median %.2f s, canhgac median %.2f s, nmap/canhgac %.1fx\n' "$nm" "$om" "$(echo "$nm/$om" | bc -l)"

fi
if [[ $ONLY == *3* ]]; then
echo "== 3. 1,022 hosts, quick profile"
walls=(); mems=()
for _ in $(seq "$RUNS"); do
  out=$( { /usr/bin/time -f 'TIME %e %M' ip netns exec "$NS" "$BIN" scan 127.2.0.0/22 --profile quick --allow-target --no-progress --format json >/dev/null || true; } 2>&1 | grep '^TIME' )
  walls+=("$(echo "$out" | awk '{print $2}')"); mems+=("$(echo "$out" | awk '{print $3}')")
done
printf 'wall median %s s, peak RSS median %s MiB\n' "$(printf '%s\n' "${walls[@]}" | median)" "$(( $(printf '%s\n' "${mems[@]}" | median) / 1024 ))"

fi
if [[ $ONLY == *4* ]]; then
echo "== 4. public nuclei templates against a local page"
if [ -d "$CORPUS" ]; then
  "$BIN" templates check "$CORPUS" | head -8
  walls=(); mems=(); rates=()
  for _ in $(seq "$RUNS"); do
    log=$(mktemp)
    { /usr/bin/time -f 'TIME %e %M' ip netns exec "$NS" "$BIN" scan 127.3.0.1 --ports 8000 --profile portal --templates "$CORPUS" --allow-target --no-progress --format json >/dev/null; } 2>"$log" || true
    walls+=("$(grep '^TIME' "$log" | awk '{print $2}')"); mems+=("$(grep '^TIME' "$log" | awk '{print $3}')")
    rates+=("$(grep -o '[0-9]* yêu cầu kiểm tra trong [0-9.]* s' "$log" | awk '{printf "%.0f", $1/$7}')")
    rm -f "$log"
  done
  printf 'wall median %s s, peak RSS median %s MiB (bound 500), requests/s median %s\n' \
    "$(printf '%s\n' "${walls[@]}" | median)" "$(( $(printf '%s\n' "${mems[@]}" | median) / 1024 ))" "$(printf '%s\n' "${rates[@]}" | median)"
else
  echo "corpus not found at $CORPUS: skipped"
fi
fi
