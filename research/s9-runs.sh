#!/usr/bin/env bash
# Session 9 (issue 11 item 3): the product bench on the image dev sets from scratch (4 pretraining epochs, the bench's
# seed labels: 10 per class, no review, 2 rounds, baselines on), at a given input side, with a frozen copy of the
# build (DIST, default .bench/dist-TAG, copied from dist/ when absent) so that rebuilding during the runs does not
# change them.
#   bash research/s9-runs.sh TAG SEED SIZE [SETS...]   SIZE: auto or a side in px
#     → .bench/runs/<set>-noreview-e4-s<seed>-<TAG>.{json,md,err}
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:?tag}
SEED=${2:?seed}
SIZE=${3:?size}
shift 3
SETS=("${@:-icons letters mnist2k}")
DIST=${DIST:-.bench/dist-$TAG}
[ -d "$DIST" ] || cp -r dist "$DIST"
OUT=.bench/runs
mkdir -p "$OUT"
for name in ${SETS[@]}; do
  case $name in
    icons) ds=icons; lim=() ;;
    letters) ds=letters; lim=() ;;
    mnist2k) ds=mnist; lim=(--pool-limit 2000 --test-limit 1000) ;;
  esac
  D=.bench/data/$ds
  sz=(); [ "$SIZE" = auto ] || sz=(--image-size "$SIZE")
  tag=$name-noreview-e4-s$SEED-$TAG
  echo "[s9] $tag: $(date -u +%T) $(uptime)"
  nice -n 5 node "$DIST/cli.js" bench --data "$D/pool" --truth "$D/pool-truth.csv" --test-data "$D/test" --test-truth "$D/test-truth.csv" \
    "${lim[@]}" "${sz[@]}" --seed-per-class 10 --no-review --rounds 2 --epochs 4 --seed "$SEED" --no-speed \
    --json "$OUT/$tag.json" > "$OUT/$tag.md" 2> "$OUT/$tag.err" || echo "[s9] $tag failed"
done
echo "[s9] done: $(date -u +%T) $(uptime)"
