#!/usr/bin/env bash
# Benchmark: import a generated inventory (1,000 units, 5,000 systems, 50,000 assets by default)
# with `canhgac inventory import`, then measure the latency of the main console pages and API
# listings under load with wrk, against /healthz as a same-run baseline.
# Loopback only. See bench/README.md for what it prints and how to read it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UNITS=${UNITS:-1000}
SYSTEMS=${SYSTEMS:-5000}
ASSETS=${ASSETS:-50000}
SEED=${SEED:-42}
RUNS=${RUNS:-3}                 # imports, each into a fresh data directory; the median is kept
DURATION=${DURATION:-10}        # seconds of load per URL
WARMUP=${WARMUP:-1}             # seconds of unrecorded load per URL first
CONNECTIONS=${CONNECTIONS:-4}
THREADS=${THREADS:-2}
IMPORT_TARGET_S=10
P95_TARGET_MS=50
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PASSWORD="bench-$(date +%s)-mat-khau"

step() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

for tool in wrk curl awk; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install -y wrk curl)"
done
# The run must see canhgac's defaults, not the caller's environment.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^CANHGAC_' || true)

step "building release binaries"
(cd "$ROOT" && cargo build --release -p canhgac --bin canhgac)
(cd "$ROOT" && cargo build --release -p canhgac-e2e --example gen_inventory)
BIN=$TARGET_DIR/release/canhgac
GEN=$TARGET_DIR/release/examples/gen_inventory
[ -x "$BIN" ] || die "no $BIN (is CARGO_TARGET_DIR right?)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/canhgac-bench.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
cd "$WORK" # no stray ./canhgac.toml gets picked up

step "generating $UNITS units, $SYSTEMS systems, $ASSETS assets (seed $SEED)"
"$GEN" "$UNITS" "$SYSTEMS" "$ASSETS" "$SEED" > inventory.yaml
echo "inventory.yaml: $(du -h inventory.yaml | cut -f1), $(wc -l < inventory.yaml) lines" >&2

now() { date +%s.%N; }
import_times=()
for i in $(seq 1 "$RUNS"); do
  step "import $i/$RUNS into a fresh data directory"
  start=$(now)
  "$BIN" inventory import inventory.yaml --data "data-$i" > "import-$i.log" 2>&1 \
    || { cat "import-$i.log" >&2; die "import failed"; }
  end=$(now)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  import_times+=("$t")
  echo "import $i: $t s" >&2
done
IMPORT_MEDIAN=$(printf '%s\n' "${import_times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
DATA=$WORK/data-1

step "admin user, API token, server"
printf '%s\n' "$PASSWORD" | "$BIN" user add --username bench --role admin --display-name "Bench" \
  --password-stdin --data "$DATA" > user.log 2>&1 || { cat user.log >&2; die "user add failed"; }
"$BIN" token create --user bench --name bench --data "$DATA" > token.out 2> token.log \
  || { cat token.log >&2; die "token create failed"; }
TOKEN=$(tail -n 1 token.out)
[ -n "$TOKEN" ] || { cat token.log >&2; die "token create printed no secret"; }

# The generated inventory names hosts that are not ours: no monitors run against them.
CANHGAC_WATCH__ENABLED=false "$BIN" serve --listen 127.0.0.1:0 --data "$DATA" > serve.log 2>&1 &
SERVER_PID=$!
BASE=
for _ in $(seq 1 300); do
  BASE=$(grep -o 'listening on http://[0-9.:]*' serve.log | head -n 1 | sed 's/^listening on //' || true)
  [ -n "$BASE" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat serve.log >&2; die "canhgac serve exited"; }
  sleep 0.1
done
[ -n "$BASE" ] || { cat serve.log >&2; die "no 'listening on' line from canhgac serve"; }
echo "server: $BASE (pid $SERVER_PID)" >&2

# The console session: sign in like the login form does, keep the canhgac_session cookie.
SESSION=$(curl -s -o /dev/null -D - --data-urlencode username=bench --data-urlencode "password=$PASSWORD" \
  --data-urlencode next=/ "$BASE/login" | tr -d '\r' | grep -i '^set-cookie: canhgac_session=' \
  | head -n 1 | sed -E 's/^[Ss]et-[Cc]ookie: (canhgac_session=[^;]*).*/\1/' || true)
[ -n "$SESSION" ] || die "signing in with curl gave no canhgac_session cookie"

COOKIE="Cookie: $SESSION"
BEARER="Authorization: Bearer $TOKEN"
# name | path | header
URLS=(
  "baseline|/healthz|"
  "console|/|$COOKIE"
  "console|/units|$COOKIE"
  "console|/systems|$COOKIE"
  "console|/assets|$COOKIE"
  "console|/assets?q=host-4242|$COOKIE"
  "api|/api/v1/units|$BEARER"
  "api|/api/v1/systems|$BEARER"
  "api|/api/v1/assets?page=50|$BEARER"
)

step "checking every URL answers 200 with the imported data"
for entry in "${URLS[@]}"; do
  IFS='|' read -r kind path header <<< "$entry"
  args=(-s -o body -w '%{http_code}')
  [ -n "$header" ] && args+=(-H "$header")
  code=$(curl "${args[@]}" "$BASE$path")
  [ "$code" = 200 ] || die "$path answered $code"
  if [ "$kind" = console ] && grep -q 'id="login-form"' body; then die "$path shows the sign-in page"; fi
done
# The listings must really hold the generated inventory, or the figures mean nothing.
for pair in "units:$UNITS" "systems:$SYSTEMS" "assets:$ASSETS"; do
  what=${pair%%:*}; want=${pair#*:}
  total=$(curl -s -H "$BEARER" "$BASE/api/v1/$what?per_page=1" | grep -o '"total":[0-9]*' | cut -d: -f2 || true)
  [ "$total" = "$want" ] || die "/api/v1/$what reports total ${total:-?}, expected $want"
done

step "load: ${DURATION}s per URL, $CONNECTIONS connections, $THREADS wrk threads (+${WARMUP}s warm-up each)"
results=()
for entry in "${URLS[@]}"; do
  IFS='|' read -r kind path header <<< "$entry"
  wrk_args=(-t "$THREADS" -c "$CONNECTIONS" --timeout 10s -s "$ROOT/bench/latency.lua")
  [ -n "$header" ] && wrk_args+=(-H "$header")
  wrk "${wrk_args[@]}" -d "${WARMUP}s" "$BASE$path" > /dev/null
  line=$(wrk "${wrk_args[@]}" -d "${DURATION}s" "$BASE$path" | grep '^RESULT ') || die "wrk printed no result for $path"
  results+=("$kind|$path|$line")
  echo "$path: $line" >&2
done

# The table goes to stdout; everything above went to stderr.
echo
echo "canhgac benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs"
echo "inventory: $UNITS units, $SYSTEMS systems, $ASSETS assets; load: wrk ${DURATION}s/URL, $CONNECTIONS connections, loopback"
echo
verdict() { if [ "$1" = 1 ]; then echo ok; else echo SLOW; fi; }
ok=$(awk -v t="$IMPORT_MEDIAN" -v max="$IMPORT_TARGET_S" 'BEGIN { print (t < max) ? 1 : 0 }')
printf 'import (median of %d: %s s): %s s   target < %d s   %s\n\n' "$RUNS" "${import_times[*]}" \
  "$IMPORT_MEDIAN" "$IMPORT_TARGET_S" "$(verdict "$ok")"
printf '%-9s %-28s %9s %8s %8s %8s %9s %7s\n' kind url "req/s" "p50 ms" "p95 ms" "p99 ms" "p95/base" "<${P95_TARGET_MS}ms"
base_p95=
failed=0
for r in "${results[@]}"; do
  IFS='|' read -r kind path line <<< "$r"
  read -r _ requests errors p50 p95 p99 rps <<< "$line"
  [ -z "$base_p95" ] && base_p95=$p95
  ratio=$(awk -v a="$p95" -v b="$base_p95" 'BEGIN { printf "%.1fx", (b > 0) ? a / b : 0 }')
  ok=$(awk -v p="$p95" -v max="$P95_TARGET_MS" 'BEGIN { print (p < max) ? 1 : 0 }')
  printf '%-9s %-28s %9s %8s %8s %8s %9s %7s\n' "$kind" "$path" "$rps" "$p50" "$p95" "$p99" "$ratio" "$(verdict "$ok")"
  if [ "$errors" != 0 ]; then
    echo "  ^ $errors of $requests requests failed: this row is not a valid measurement" >&2
    failed=1
  fi
done
exit "$failed"
