#!/usr/bin/env bash
# Sigma detection benchmark (issue 3): the SigmaHQ Windows rules over EVTX-ATTACK-SAMPLES.
#
# Runs crates/canhgac-sigma/examples/hunt_bench.rs: rule load time, EVTX parse cost, parse +
# match cost per event, detection-only cost, matches, peak RSS, and a check that the rule
# index never changes a result. Then, when the rsigma CLI is installed (RSIGMA, default
# /work/tools/bin/rsigma; `cargo install --locked rsigma --version =0.23.0 --root /work/tools`),
# runs it over the same events pre-flattened to NDJSON (so its figure excludes parsing) and
# prints the ratio and the difference between the sets of fired rule titles.
# Figures are CPU time (the machine may be shared; wall time is printed too).
#
#   bench/sigma.sh                     # 10 passes over the 277 files (82,550 events)
#   REPEAT=1 RULES=/path/to/sigma/rules/windows EVTX=/path/to/evtx bench/sigma.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RULES=${RULES:-/work/shared/corpora/sigma/rules/windows}
EVTX=${EVTX:-/work/shared/corpora/evtx-attack-samples}
REPEAT=${REPEAT:-10}
RSIGMA=${RSIGMA:-/work/tools/bin/rsigma}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cargo build --release -q -p canhgac-sigma --example hunt_bench
"$CARGO_TARGET_DIR/release/examples/hunt_bench" "$RULES" "$EVTX" --repeat "$REPEAT" \
  --ndjson "$work/events.ndjson" --titles "$work/ours.txt" --check | tee "$work/ours.log"

if [ ! -x "$RSIGMA" ]; then
  echo "rsigma: not installed at $RSIGMA; no comparison"
  exit 0
fi
events=$(wc -l <"$work/events.ndjson")
for _ in $(seq "$REPEAT"); do cat "$work/events.ndjson"; done >"$work/events10.ndjson"
total=$((events * REPEAT))
echo "rsigma $("$RSIGMA" --version 2>/dev/null | head -1): $total events as NDJSON"
/usr/bin/time -f "%e %U %S %M" -o "$work/rsigma.time" \
  "$RSIGMA" engine eval -r "$RULES" -e "@$work/events10.ndjson" >"$work/rsigma.out" 2>"$work/rsigma.err" || true
read -r wall user sys rss <"$work/rsigma.time"
python3 - "$work" "$total" "$wall" "$user" "$sys" "$rss" "$REPEAT" <<'PY'
import json, re, sys, collections
work, total, wall, user, sys_, rss, repeat = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
theirs = collections.Counter()
matches = 0
def titles(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("rule_title", "title") and isinstance(v, str):
                yield v
            elif isinstance(v, (dict, list)):
                yield from titles(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from titles(v)
for line in open(f"{work}/rsigma.out", errors="replace"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    ts = list(titles(obj))
    if ts:
        matches += 1
        theirs[ts[0]] += 1
cpu = user + sys_
per = cpu * 1e6 / total
print(f"rsigma: {wall:.2f}s wall / {cpu:.2f}s CPU = {per:.2f} µs/event (detection only, NDJSON in); "
      f"{matches} matches, {len(theirs)} distinct rules; peak RSS {rss/1024:.0f} MiB")
ours_log = open(f"{work}/ours.log").read()
m = re.search(r"parse\+match [0-9.]+s wall / [0-9.]+s CPU = ([0-9.]+) µs/event", ours_log)
d = re.search(r"detection only \(events in memory\): [0-9.]+s CPU = ([0-9.]+) µs/event", ours_log)
if m and per > 0:
    print(f"ratio rsigma / canhgac (parse+match): {per/float(m.group(1)):.2f}x")
if d and per > 0:
    print(f"ratio rsigma / canhgac (detection only): {per/float(d.group(1)):.2f}x")
ours = {}
for line in open(f"{work}/ours.txt"):
    c, t = line.rstrip("\n").split("\t", 1)
    ours[t] = int(c)
o, t = set(ours), set(theirs)
print(f"fired titles: canhgac {len(o)}, rsigma {len(t)}, both {len(o & t)}")
for name, only in (("only canhgac", o - t), ("only rsigma", t - o)):
    print(f"{name} ({len(only)}):")
    for x in sorted(only):
        print(f"    {x}")
PY
