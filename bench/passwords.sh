#!/usr/bin/env bash
# Benchmark: breached-password import and lookups (canhgac-passwords). Generates N random
# SHA-1 HASH:COUNT lines, sorted like the Pwned Passwords download; reports import time,
# file size, bytes per record, and the median latency of 100 000 random lookups (half hits)
# in the file, against the same lookups in a HashSet loaded in memory, in the same run.
#
#   bench/passwords.sh                  # N=10000000
#   N=100000000 bench/passwords.sh      # the issue's 100 million (about 5 GB of text, 2.4 GB file)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10000000}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -q -p canhgac-passwords --example passwords_bench)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/canhgac-passwords.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "N=$N, $(nproc) cores, $(uname -m)"
"$TARGET_DIR/release/examples/passwords_bench" "$N" "$WORK"
