#!/usr/bin/env bash
# Benchmark: `canhgac hunt` (EVTX parsing + Sigma, every core) over a 10x copy of the EVTX
# attack samples with the SigmaHQ Windows rules, against rsigma 0.23 over the same events
# pre-flattened to NDJSON (detection only, one core), both run here. Prints wall and CPU time,
# peak memory, hits, and the ratio. rsigma: `cargo install --locked rsigma --version =0.23.0
# --root /work/tools` (RSIGMA= to point elsewhere); without it only our side runs.
#
#   bench/hunt.sh                 # COPIES=10
#   SKIP_BUILD=1 COPIES=1 bench/hunt.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPORA=${CORPORA:-$ROOT/../shared/corpora}
EVTX_DIR=${EVTX_DIR:-$CORPORA/evtx-attack-samples}
RULES=${RULES:-$CORPORA/sigma/rules/windows}
COPIES=${COPIES:-10}
RSIGMA=${RSIGMA:-/work/tools/bin/rsigma}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[ -d "$EVTX_DIR" ] || { echo "no EVTX corpus at $EVTX_DIR" >&2; exit 1; }
[ -d "$RULES" ] || { echo "no Sigma rules at $RULES" >&2; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -q -p canhgac --bin canhgac)
fi
BIN=$TARGET_DIR/release/canhgac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/canhgac-hunt.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The copy: COPIES directories of symbolic links to the corpus files.
for i in $(seq "$COPIES"); do
  mkdir -p "$WORK/copy/$i"
  find "$EVTX_DIR" -name '*.evtx' | while IFS= read -r f; do
    ln -s "$f" "$WORK/copy/$i/$(echo "$f" | md5sum | cut -c1-12).evtx"
  done
done

measure() { # measure NAME CMD... → "NAME wall_s cpu_s peak_MiB" on stdout; command output to $WORK/NAME.out
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || true
  # time(1) writes "Command exited with non-zero status 1" first when there are hits.
  read -r wall user sys peak < <(tail -n 1 "$WORK/$name.time")
  echo "$name $wall $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') $((peak / 1024))"
}

echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); commit $(cd "$ROOT" && git rev-parse --short HEAD)"
OURS=$(measure canhgac "$BIN" hunt "$WORK/copy" --rules "$RULES" --format json)
EVENTS=$(grep -o '^[0-9]* events' "$WORK/canhgac.err" | cut -d' ' -f1)
HITS=$(wc -l < "$WORK/canhgac.out")
grep -E 'rules and .* loaded' "$WORK/canhgac.err" || true
printf '%-8s %8s %8s %9s %10s %8s\n' tool wall_s cpu_s peak_MiB us/event hits
set -- $OURS
printf '%-8s %8s %8s %9s %10.1f %8s\n' canhgac "$2" "$3" "$4" "$(awk -v w="$2" -v e="$EVENTS" 'BEGIN{print w*1e6/e}')" "$HITS"
OURS_WALL=$2
if [ -x "$RSIGMA" ]; then
  find "$EVTX_DIR" -name '*.evtx' -print0 | xargs -0 "$BIN" events convert > "$WORK/one.ndjson" 2>/dev/null
  for _ in $(seq "$COPIES"); do cat "$WORK/one.ndjson"; done > "$WORK/events.ndjson"
  THEIRS=$(measure rsigma "$RSIGMA" engine eval -r "$RULES" -e @"$WORK/events.ndjson")
  set -- $THEIRS
  printf '%-8s %8s %8s %9s %10.1f %8s\n' rsigma "$2" "$3" "$4" "$(awk -v w="$2" -v e="$EVENTS" 'BEGIN{print w*1e6/e}')" "$(grep -c . "$WORK/rsigma.out" || true)"
  echo "canhgac hunt is $(awk -v a="$2" -v b="$OURS_WALL" 'BEGIN{printf "%.2f", a/b}')x faster than rsigma in wall time (goal: >= 2x, with our side also parsing EVTX)"
else
  echo "rsigma not found at $RSIGMA: only canhgac measured"
fi
