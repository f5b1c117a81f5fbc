#!/usr/bin/env bash
# Benchmark: the live path (decode + attribution + Sigma + indicator matching + durable storage
# + alerts) of a running `canhgac serve`, fed with real events: the EVTX attack samples replayed
# as NDJSON over HTTP, plus syslog lines over TCP. Run twice in the same script: once with no
# rules and no indicators (the baseline: intake and storage only), once with the SigmaHQ Windows
# rules and 1,000,000 indicators. Prints events/s, events per CPU-second of the server, peak
# memory, and the ratio between the two runs. Loopback only. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPORA=${CORPORA:-$ROOT/../shared/corpora}
EVTX_DIR=${EVTX_DIR:-$CORPORA/evtx-attack-samples}
RULES=${RULES:-$CORPORA/sigma/rules/windows}
COPIES=${COPIES:-10}              # copies of the EVTX events sent
SYSLOG_LINES=${SYSLOG_LINES:-100000}
INDICATORS=${INDICATORS:-1000000}
BATCH=${BATCH:-2000}              # events per HTTP request
CLIENTS=${CLIENTS:-2}             # parallel HTTP clients
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PASSWORD="bench-$(date +%s)-mat-khau"

step() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
for tool in curl awk python3 split xargs; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[ -d "$EVTX_DIR" ] || die "no EVTX corpus at $EVTX_DIR (set EVTX_DIR)"
[ -d "$RULES" ] || die "no Sigma rules at $RULES (set RULES)"
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^CANHGAC_' || true)

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "building the release binary"
  (cd "$ROOT" && cargo build --release -p canhgac --bin canhgac)
fi
BIN=$TARGET_DIR/release/canhgac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/canhgac-live.XXXXXX")
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

step "converting the EVTX corpus to NDJSON ($COPIES copies)"
find "$EVTX_DIR" -name '*.evtx' -print0 | xargs -0 "$BIN" events convert > "$WORK/evtx.ndjson" 2> "$WORK/convert.log" || true
EVTX_EVENTS=$(wc -l < "$WORK/evtx.ndjson")
[ "$EVTX_EVENTS" -gt 0 ] || die "no events converted (see $WORK/convert.log)"
for _ in $(seq "$COPIES"); do cat "$WORK/evtx.ndjson"; done > "$WORK/load.ndjson"
split -l "$BATCH" -d -a 5 "$WORK/load.ndjson" "$WORK/batch."
HTTP_EVENTS=$(wc -l < "$WORK/load.ndjson")

step "generating $SYSLOG_LINES syslog lines and $INDICATORS indicators"
awk -v n="$SYSLOG_LINES" 'BEGIN {
  srand(7);
  for (i = 0; i < n; i++) {
    h = int(rand() * 200); ip = sprintf("198.51.%d.%d", int(rand()*255), int(rand()*254)+1);
    r = i % 4;
    if (r == 0) printf "<38>Nov 26 01:02:03 host%d sshd[%d]: Failed password for root from %s port %d ssh2\n", h, 1000+i%5000, ip, 1024+i%60000;
    else if (r == 1) printf "<78>Nov 26 01:02:03 host%d CRON[%d]: (root) CMD (run-parts /etc/cron.hourly)\n", h, 2000+i%5000;
    else if (r == 2) printf "<86>1 2026-11-26T01:02:03.000Z host%d sudo %d - - admin : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n", h, 3000+i%5000;
    else printf "<190>Nov 26 01:02:03 host%d nginx: %s - - [26/Nov/2026:01:02:03 +0700] \"GET /index.php?id=%d HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0\"\n", h, ip, i, 500+i%9000;
  }
}' > "$WORK/syslog.txt"
awk -v n="$INDICATORS" 'BEGIN {
  srand(11); print "kind,value,source";
  for (i = 0; i < n; i++) {
    r = i % 4;
    if (r == 0) printf "ip,%d.%d.%d.%d,bench\n", 1+int(rand()*222), int(rand()*255), int(rand()*255), 1+int(rand()*254);
    else if (r == 1) printf "domain,c2-%d.example-bad%d.net,bench\n", i, i%97;
    else if (r == 2) { s = ""; for (j = 0; j < 64; j++) s = s substr("0123456789abcdef", 1+int(rand()*16), 1); printf "sha256,%s,bench\n", s }
    else printf "cidr,%d.%d.%d.0/24,bench\n", 1+int(rand()*222), int(rand()*255), int(rand()*255);
  }
}' > "$WORK/indicators.csv"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# run NAME RULES_DIR WITH_INDICATORS → prints "NAME events wall_s cpu_s peak_mib"
run() {
  local name=$1 rules=$2 indicators=$3 data="$WORK/data-$1"
  mkdir -p "$data"
  "$BIN" user add --data "$data" --username bench --role admin --password-stdin <<<"$PASSWORD" >/dev/null
  local token
  token=$("$BIN" token create --data "$data" --user bench --name bench 2>/dev/null | tail -1)
  CANHGAC_DETECTION__RULES="$rules" CANHGAC_WEB__MAX_BODY=512MiB CANHGAC_LOG=warn \
    CANHGAC_SYSLOG__UDP= CANHGAC_SYSLOG__TCP=127.0.0.1:0 \
    CANHGAC_WATCH__ENABLED=false "$BIN" serve --data "$data" --listen 127.0.0.1:0 > "$WORK/serve-$name.out" 2> "$WORK/serve-$name.err" &
  SERVER_PID=$!
  local base="" tcp=""
  for _ in $(seq 600); do
    base=$(awk '/^listening on / {print $3}' "$WORK/serve-$name.out")
    [ -n "$base" ] && break
    sleep 0.1
  done
  [ -n "$base" ] || die "server did not start: $(cat "$WORK/serve-$name.err")"
  tcp=$(awk '/^syslog tcp on / {print $4}' "$WORK/serve-$name.out")
  if [ "$indicators" = 1 ]; then
    step "$name: importing $INDICATORS indicators"
    # The API takes up to 100,000 indicators per file.
    tail -n +2 "$WORK/indicators.csv" | split -l 100000 -d -a 3 - "$WORK/ind."
    for part in "$WORK"/ind.*; do
      { echo "kind,value,source"; cat "$part"; } > "$part.csv"
      curl -sf -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
        --data-binary @"$part.csv" "$base/api/v1/indicators/import" >/dev/null \
        || die "indicator import failed ($part)"
    done
    for _ in $(seq 120); do
      n=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/detection/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["indicators"])')
      [ "$n" -ge "$INDICATORS" ] && break
      sleep 1
    done
  fi
  local total=$((HTTP_EVENTS + SYSLOG_LINES))
  step "$name: sending $HTTP_EVENTS NDJSON events ($CLIENTS clients) and $SYSLOG_LINES syslog lines"
  local cpu0 t0 t1 cpu1
  cpu0=$(cpu_ticks "$SERVER_PID"); t0=$(date +%s.%N)
  python3 - "$tcp" "$WORK/syslog.txt" <<'PY' &
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port))) as s, open(sys.argv[2], "rb") as f:
    s.sendall(f.read())
PY
  local syslog_pid=$!
  ls "$WORK"/batch.* | xargs -P "$CLIENTS" -I{} curl -sf -o /dev/null \
    -H "Authorization: Bearer $token" -H 'content-type: application/x-ndjson' \
    --data-binary @{} "$base/api/v1/events"
  wait "$syslog_pid"
  for _ in $(seq 1200); do
    stored=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/detection/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored"])')
    [ "$stored" -ge "$total" ] && break
    sleep 0.05
  done
  t1=$(date +%s.%N); cpu1=$(cpu_ticks "$SERVER_PID")
  local hz; hz=$(getconf CLK_TCK)
  local status; status=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/detection/status")
  echo "$status" > "$WORK/status-$name.json"
  echo "$name $stored $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') $(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" 'BEGIN{printf "%.3f", (b-a)/hz}') $(( $(peak_kib "$SERVER_PID") / 1024 ))"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}

EMPTY_RULES="$WORK/no-rules"; mkdir -p "$EMPTY_RULES"
BASE=$(run baseline "$EMPTY_RULES" 0)
FULL=$(run detection "$RULES" 1)
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); commit $(cd "$ROOT" && git rev-parse --short HEAD)"
echo "events: $HTTP_EVENTS NDJSON (EVTX samples x$COPIES) + $SYSLOG_LINES syslog lines; rules: $RULES; indicators: $INDICATORS"
printf '%-10s %10s %8s %8s %12s %14s %9s\n' run events wall_s cpu_s events/s events/cpu_s peak_MiB
for line in "$BASE" "$FULL"; do
  set -- $line
  printf '%-10s %10s %8s %8s %12.0f %14.0f %9s\n' "$1" "$2" "$3" "$4" "$(awk -v e="$2" -v w="$3" 'BEGIN{print e/w}')" "$(awk -v e="$2" -v c="$4" 'BEGIN{print e/c}')" "$5"
done
set -- $BASE; B_EPC=$(awk -v e="$2" -v c="$4" 'BEGIN{print e/c}')
set -- $FULL; F_EPC=$(awk -v e="$2" -v c="$4" 'BEGIN{print e/c}')
echo "detection costs $(awk -v b="$B_EPC" -v f="$F_EPC" 'BEGIN{printf "%.2f", b/f}')x the baseline's CPU per event (target: >= 100,000 events per CPU-second with detection)"
