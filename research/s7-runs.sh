#!/usr/bin/env bash
# Session 7 (issue 11): the product bench on the image dev sets with this branch's build, reusing the 4-epoch
# encoders of research/learn-runs.sh (--pretrained-from; same seed labels as sessions 5-6, so the baselines are
# those runs'), no review, 2 rounds. Results: .bench/runs/<set>-noreview-e4-s<seed>-<TAG>.json
#   bash research/s7-runs.sh TAG SEED [SETS...]
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:?tag}
SEED=${2:-1}
shift 2 || true
SETS=("${@:-icons letters mnist2k}")
WS=${WS_DIR:-/tmp/sl-ws}
OUT=.bench/runs
mkdir -p "$OUT"
for name in ${SETS[@]}; do
  case $name in
    icons) ds=icons; lim=(); pre=$WS/icons-e4 ;;
    letters) ds=letters; lim=(); pre=$WS/letters-e4 ;;
    mnist2k) ds=mnist; lim=(--pool-limit 2000 --test-limit 1000); pre=$WS/mnist2k-e4-s$SEED ;;
  esac
  D=.bench/data/$ds
  found=$(ls -d "$pre"/selflabel-bench-*/pool | head -1)
  tag=$name-noreview-e4-s$SEED-$TAG
  echo "[s7] $tag: $(uptime)"
  node dist/cli.js bench --data "$D/pool" --truth "$D/pool-truth.csv" --test-data "$D/test" --test-truth "$D/test-truth.csv" \
    "${lim[@]}" --seed-per-class 10 --no-review --rounds 2 --epochs 4 --seed "$SEED" --no-speed --no-baselines \
    --pretrained-from "$found" --json "$OUT/$tag.json" > "$OUT/$tag.md" 2> "$OUT/$tag.err" || echo "[s7] $tag failed"
done
echo "[s7] done: $(uptime)"
