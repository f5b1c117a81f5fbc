#!/usr/bin/env bash
# Flow decoding: our decoders in-process (records/s per core, per format), then our UDP
# collector against nfcapd (Debian nfdump) receiving the same datagrams from our exporter
# (examples/flowgen.rs) over loopback: records received, loss, CPU seconds and records per
# CPU-second of each collector. nfcapd also writes its records to disk; ours hands them to a
# channel and drops them, so the CPU comparison flatters us by nfcapd's file writing.
#
#   DATAGRAMS=50000 RATE=40000 FORMATS="v9 ipfix v5" bench/flow-decode.sh
#
# RATE paces the sender (datagrams/s, ~24-28 records each); RATE=0 sends at full speed, which on
# loopback outruns any single-socket receiver: then loss, not CPU, is the figure to read (and
# CPU is counted in 10 ms ticks, so use DATAGRAMS >= 50000 for CPU figures worth reading).
set -euo pipefail
cd "$(dirname "$0")/.."
DATAGRAMS=${DATAGRAMS:-50000}
RATE=${RATE:-40000}
FORMATS=${FORMATS:-"v9 ipfix v5"}
PORT=${PORT:-39555}
command -v nfcapd >/dev/null || { echo "needs nfcapd (apt-get install nfdump)"; exit 1; }

echo "== decode only, in-process (cargo bench -p canhgac-flow --bench decode)"
cargo bench -q -p canhgac-flow --bench decode 2>/dev/null | grep -E 'records/s'
cargo build --release -q -p canhgac-flow --examples
BIN=${CARGO_TARGET_DIR:-target}/release/examples
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# CPU seconds used so far by a process (user + system).
cpu() { awk -v tick="$TICK" '{ printf "%.3f", ($14 + $15) / tick }' "/proc/$1/stat"; }
# Waits until a process stops using CPU (it has drained its socket).
settle() { local before=-1 now; now=$(cpu "$1"); while [ "$now" != "$before" ]; do sleep 0.5; before=$now; now=$(cpu "$1"); done; }

rate_args=(); [ "$RATE" != 0 ] && rate_args=("$RATE")
for format in $FORMATS; do
  echo "== $format: $DATAGRAMS datagrams, rate ${RATE:-full} datagrams/s"
  "$BIN/flowcollect" "127.0.0.1:$PORT" >"$WORK/ours.out" 2>"$WORK/ours.err" &
  PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/ours.out" 2>/dev/null && break; sleep 0.1; done
  grep -q listening "$WORK/ours.out" || { echo "flowcollect did not start:"; cat "$WORK/ours.err"; exit 1; }
  sent=$("$BIN/flowgen" "$format" "127.0.0.1:$PORT" "$DATAGRAMS" "${rate_args[@]}")
  settle "$PID"; ours_cpu=$(cpu "$PID"); kill -TERM "$PID"; wait "$PID" || true; PID=
  ours=$(grep -o 'received [0-9]*' "$WORK/ours.out" | cut -d' ' -f2)

  rm -rf "$WORK/nf"; mkdir -p "$WORK/nf"
  nfcapd -b 127.0.0.1 -p "$PORT" -w "$WORK/nf" -t 3600 -B 8388608 >"$WORK/nfcapd.log" 2>&1 &
  PID=$!; sleep 1
  kill -0 "$PID" 2>/dev/null || { echo "nfcapd did not start:"; cat "$WORK/nfcapd.log"; exit 1; }
  "$BIN/flowgen" "$format" "127.0.0.1:$PORT" "$DATAGRAMS" "${rate_args[@]}" >/dev/null
  settle "$PID"; theirs_cpu=$(cpu "$PID"); kill -TERM "$PID"; wait "$PID" || true; PID=
  theirs=$(nfdump -R "$WORK/nf" -I | awk '/^Flows:/ {print $2}')

  records=$(echo "$sent" | grep -o '[0-9]* records' | head -1 | cut -d' ' -f1)
  echo "sender:  $sent"
  awk -v f="$format" -v n="$records" -v o="$ours" -v oc="$ours_cpu" -v t="$theirs" -v tc="$theirs_cpu" 'BEGIN {
    printf "canhgac: %9d records received (%5.1f%% lost), %6.3f CPU s, %6.2f M records per CPU-second\n", o, 100*(n-o)/n, oc, (oc > 0 ? o/oc/1e6 : 0)
    printf "nfcapd:  %9d records received (%5.1f%% lost), %6.3f CPU s, %6.2f M records per CPU-second\n", t, 100*(n-t)/n, tc, (tc > 0 ? t/tc/1e6 : 0)
    if (oc > 0 && tc > 0 && t > 0) printf "%s: canhgac/nfcapd records per CPU-second = %.2f\n", f, (o/oc)/(t/tc)
  }'
done
