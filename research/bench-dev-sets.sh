#!/usr/bin/env bash
# Runs `selflabel bench` (from source) on the image dev sets of scripts/prepare-data.mjs and the MNIST sample, each
# in no-review and review mode, with small pools and a short pretraining budget (the machine is shared). Results go
# to .bench/runs/<name>.{md,json,err}; BENCHMARKS.md ("Image dev sets beside the baselines") quotes them.
#   bash research/bench-dev-sets.sh [SEED] [PRETRAIN_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-1}
PRE=${2:-60}
OUT=.bench/runs
mkdir -p "$OUT"
node scripts/prepare-data.mjs --only icons
node scripts/prepare-data.mjs --only letters
node scripts/prepare-data.mjs --only mnist
run() { # name dataset pool-limit test-limit mode-args...
  local name=$1 ds=.bench/data/$2 pl=$3 tl=$4
  shift 4
  local lim=()
  [ "$pl" != - ] && lim+=(--pool-limit "$pl")
  [ "$tl" != - ] && lim+=(--test-limit "$tl")
  echo "[research] $name: $(uptime)"
  node --import tsx src/bench/main.ts --data "$ds/pool" --truth "$ds/pool-truth.csv" --test-data "$ds/test" --test-truth "$ds/test-truth.csv" \
    "${lim[@]}" --seed "$SEED" --pretrain-max-seconds "$PRE" --no-speed --json "$OUT/$name-s$SEED.json" "$@" \
    > "$OUT/$name-s$SEED.md" 2> "$OUT/$name-s$SEED.err"
}
run icons-noreview icons - - --no-review
run icons-review icons - - --rounds 2 --review 100 --uncertain 50
run letters-noreview letters 1000 - --no-review
run letters-review letters 1000 - --rounds 2 --review 100 --uncertain 50
run mnist-noreview mnist 2000 1000 --no-review
run mnist-review mnist 2000 1000 --rounds 2 --review 100 --uncertain 50
echo "[research] done: $(uptime)"
