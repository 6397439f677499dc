#!/usr/bin/env bash
# Session 8 (issue 11): the product bench on the image dev sets, as research/s7-runs.sh (reusing the 4-epoch encoders
# of research/learn-runs.sh, same seed labels as sessions 5-7, no review, 2 rounds, no baselines: those of the
# session-5 runs), but with a frozen copy of the build (DIST, default .bench/dist-TAG, copied from dist/ when absent)
# so that rebuilding during the runs does not change them, and the workspace kept (--keep) for research/s8-*.ts.
#   bash research/s8-runs.sh TAG SEED [SETS...]      → .bench/runs/<set>-noreview-e4-s<seed>-<TAG>.{json,md,err}
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:?tag}
SEED=${2:-1}
shift 2 || true
SETS=("${@:-icons letters mnist2k}")
WS=${WS_DIR:-/tmp/sl-ws}
DIST=${DIST:-.bench/dist-$TAG}
[ -d "$DIST" ] || cp -r dist "$DIST"
OUT=.bench/runs
KEEP=${KEEP_DIR:-/tmp/sl-s8-keep}
mkdir -p "$OUT" "$KEEP"
for name in ${SETS[@]}; do
  case $name in
    icons) ds=icons; lim=(); pre=$WS/icons-e4 ;;
    letters) ds=letters; lim=(); pre=$WS/letters-e4 ;;
    mnist2k) ds=mnist; lim=(--pool-limit 2000 --test-limit 1000); pre=$WS/mnist2k-e4-s$SEED ;;
  esac
  D=.bench/data/$ds
  found=$(ls -d "$pre"/selflabel-bench-*/pool | head -1)
  tag=$name-noreview-e4-s$SEED-$TAG
  echo "[s8] $tag: $(date -u +%T) $(uptime)"
  TMPDIR=$KEEP node "$DIST/cli.js" bench --data "$D/pool" --truth "$D/pool-truth.csv" --test-data "$D/test" --test-truth "$D/test-truth.csv" \
    "${lim[@]}" --seed-per-class 10 --no-review --rounds 2 --epochs 4 --seed "$SEED" --no-speed --no-baselines --keep \
    --pretrained-from "$found" --json "$OUT/$tag.json" > "$OUT/$tag.md" 2> "$OUT/$tag.err" || echo "[s8] $tag failed"
done
echo "[s8] done: $(date -u +%T) $(uptime)"
