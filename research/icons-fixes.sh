#!/usr/bin/env bash
# The cheapest learning fixes the icons numbers point to, run with the product's bench (no engine change):
# the same icons no-review run as research/bench-dev-sets.sh, with (1) the encoder input at 48 px instead of the
# fixed ≤ 32 px of Project.imageGeometry, (2) the linear head instead of label spreading. Same seed, same budget.
#   bash research/icons-fixes.sh [SEED] [PRETRAIN_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-1}
PRE=${2:-60}
OUT=.bench/runs
mkdir -p "$OUT"
node scripts/prepare-data.mjs --only icons
D=.bench/data/icons
run() { # name extra-args...
  local name=$1
  shift
  echo "[research] $name: $(uptime)"
  node --import tsx src/bench/main.ts --data "$D/pool" --truth "$D/pool-truth.csv" --test-data "$D/test" --test-truth "$D/test-truth.csv" \
    --seed "$SEED" --pretrain-max-seconds "$PRE" --no-speed --no-review --json "$OUT/$name-s$SEED.json" "$@" \
    > "$OUT/$name-s$SEED.md" 2> "$OUT/$name-s$SEED.err"
}
run icons-noreview-size48 --image-size 48
run icons-noreview-linear --classifier linear
echo "[research] done: $(uptime)"
