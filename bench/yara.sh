#!/usr/bin/env bash
# Benchmark: `canhgac yara` against yara-x's own command line (`yr scan`, same yara-x version),
# with the same rules (our web-shell rules plus bench/yara-rules), over a generated corpus of
# mixed text and binary files with a few planted matches. Both use every core; the corpus is
# in the page cache for every run. Prints each tool's median wall time of RUNS runs, CPU time,
# peak memory, the ratio, and checks that both found the same files (and every planted one).
# yr: `cargo install --locked yara-x-cli --version 1.22.1 --root /work/tools` (YR= to point
# elsewhere).
#
#   bench/yara.sh                      # SIZE_MB=2048, RUNS=3
#   SIZE_MB=200 RUNS=1 bench/yara.sh   # a quick check
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-2048}
RUNS=${RUNS:-3}
SEED=${SEED:-42}
YR=${YR:-/work/tools/bin/yr}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
[ -x "$YR" ] || { echo "no yr at $YR (see the header of this script)" >&2; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -q -p canhgac --bin canhgac)
fi
BIN=${CANHGAC_BIN:-$TARGET_DIR/release/canhgac}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/canhgac-yara.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# The same rule directory for both: our built-in web-shell rules and the generic ones.
mkdir -p "$WORK/rules"
cp "$ROOT"/crates/canhgac-malware/rules/webshells/*.yar "$WORK/rules/"
cp "$ROOT"/bench/yara-rules/*.yar "$WORK/rules/"

echo "generating $SIZE_MB MiB (seed $SEED)..." >&2
python3 "$ROOT/bench/gen_yara_corpus.py" "$WORK/corpus" "$SIZE_MB" "$SEED"
FILES=$(find "$WORK/corpus" -type f | wc -l)
BYTES=$(du -sb "$WORK/corpus" | cut -f1)
# Read once so that every run starts with the corpus in the page cache.
find "$WORK/corpus" -type f -print0 | xargs -0 cat > /dev/null

measure() { # measure NAME CMD... → "wall cpu peak_MiB"; output in $WORK/NAME.out
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || true
  read -r wall user sys peak < <(tail -n 1 "$WORK/$name.time")
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') $((peak / 1024))"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

YR_RESULTS=()
CG_RESULTS=()
for i in $(seq "$RUNS"); do
  # Alternate, so that neither tool always runs on a warmer or busier machine.
  YR_RESULTS+=("$(measure "yr$i" "$YR" scan --recursive --disable-console-logs "$WORK/rules" "$WORK/corpus")")
  CG_RESULTS+=("$(measure "canhgac$i" "$BIN" yara --no-builtin --rules "$WORK/rules" --max-size 1073741824 --format csv -q "$WORK/corpus")")
  echo "run $i: yr ${YR_RESULTS[-1]}, canhgac ${CG_RESULTS[-1]} (wall s, cpu s, peak MiB)" >&2
done

# Files each found: yr prints "RULE PATH", we print CSV "path,rule,...".
awk '{ $1=""; sub(/^ /, ""); print }' "$WORK/yr1.out" | sed "s|^$WORK/corpus/||" | sort -u > "$WORK/yr.files"
tail -n +2 "$WORK/canhgac1.out" | cut -d, -f1 | sed "s|^$WORK/corpus/||" | sort -u > "$WORK/canhgac.files"
sort -u "$WORK/planted.txt" | sed '/^$/d' > "$WORK/planted.sorted"

col() { for r in "$@"; do echo "$r"; done | awk -v c="$COL" '{print $c}' | median; }
COL=1; YR_WALL=$(col "${YR_RESULTS[@]}"); CG_WALL=$(col "${CG_RESULTS[@]}")
COL=2; YR_CPU=$(col "${YR_RESULTS[@]}"); CG_CPU=$(col "${CG_RESULTS[@]}")
COL=3; YR_MEM=$(col "${YR_RESULTS[@]}"); CG_MEM=$(col "${CG_RESULTS[@]}")

echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); commit $(cd "$ROOT" && git rev-parse --short HEAD); $("$YR" --version)"
echo "corpus: $FILES files, $((BYTES / 1048576)) MiB, $(wc -l < "$WORK/planted.sorted") planted; rules: $(cat "$WORK"/rules/*.yar | grep -c '^rule ')"
printf '%-8s %14s %8s %9s %8s\n' tool median_wall_s cpu_s peak_MiB files
printf '%-8s %14s %8s %9s %8s\n' yr "$YR_WALL" "$YR_CPU" "$YR_MEM" "$(wc -l < "$WORK/yr.files")"
printf '%-8s %14s %8s %9s %8s\n' canhgac "$CG_WALL" "$CG_CPU" "$CG_MEM" "$(wc -l < "$WORK/canhgac.files")"
echo "walls: yr ${YR_RESULTS[*]} | canhgac ${CG_RESULTS[*]}" | tr -s ' '
echo "canhgac/yr wall time: $(awk -v a="$CG_WALL" -v b="$YR_WALL" 'BEGIN{printf "%.2f", a/b}') (goal: <= 1.00)"
STATUS=0
if cmp -s "$WORK/yr.files" "$WORK/canhgac.files"; then
  echo "same files found: yes"
else
  echo "same files found: NO"; diff "$WORK/yr.files" "$WORK/canhgac.files" | head -20; STATUS=1
fi
if comm -23 "$WORK/planted.sorted" "$WORK/canhgac.files" | grep -q .; then
  echo "planted files missed by canhgac:"; comm -23 "$WORK/planted.sorted" "$WORK/canhgac.files" | head; STATUS=1
else
  echo "every planted file found: yes"
fi
exit $STATUS
