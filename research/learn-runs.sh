#!/usr/bin/env bash
# Before/after runs of the image learning changes (session 2026-12-03, issue 11): for each image dev set, one bench
# with the build BEFORE (DIST_BEFORE, default /tmp/sl-before/dist: the branch point built apart) that pretrains and
# keeps its workspace, then the same labels with this branch's build (dist/) reusing those encoders
# (--pretrained-from) and skipping the baselines (the same human labels: the baselines are the before run's).
#   bash research/learn-runs.sh SEED EPOCHS MODE [DATASETS...]      MODE: noreview | review
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-1}
EP=${2:-4}
MODE=${3:-noreview}
shift 3 || true
SETS=("${@:-icons letters mnist2k}")
BEFORE=${DIST_BEFORE:-/tmp/sl-before/dist}
OUT=.bench/runs
WS=${WS_DIR:-/tmp/sl-ws}
mkdir -p "$OUT" "$WS"
for name in ${SETS[@]}; do
  case $name in
    icons) ds=icons; lim=() ;;
    letters) ds=letters; lim=() ;;
    mnist2k) ds=mnist; lim=(--pool-limit 2000 --test-limit 1000) ;;
    mnist4k) ds=mnist; lim=(--pool-limit 4000 --test-limit 1000) ;;
  esac
  D=.bench/data/$ds
  if [ "$MODE" = review ]; then mode=(--rounds 2 --review 100 --uncertain 50); else mode=(--no-review --rounds 2); fi
  common=(--data "$D/pool" --truth "$D/pool-truth.csv" --test-data "$D/test" --test-truth "$D/test-truth.csv" "${lim[@]}"
    --seed "$SEED" --epochs "$EP" --no-speed "${mode[@]}")
  # Encoders are pretrained once per pool (MNIST's subset depends on the seed) and reused by the other runs.
  pre=$WS/$name-e$EP; [ ${#lim[@]} -gt 0 ] && pre=$pre-s$SEED
  tag=$name-$MODE-e$EP-s$SEED
  found=$(ls -d "$pre"/selflabel-bench-*/pool 2>/dev/null | head -1 || true)
  if [ -z "$found" ]; then keep=(--keep --scratch "$pre"); from=(); else keep=(); from=(--pretrained-from "$found"); fi
  if [ -z "$found" ] || [ ! -s "$OUT/$tag-before.json" ]; then
  echo "[learn] $tag before: $(uptime)"
  node "$BEFORE/cli.js" bench "${common[@]}" "${keep[@]}" "${from[@]}" --json "$OUT/$tag-before.json" > "$OUT/$tag-before.md" 2> "$OUT/$tag-before.err" || echo "[learn] before failed"
  fi
  [ -z "${from[*]:-}" ] && from=(--pretrained-from "$(ls -d "$pre"/selflabel-bench-*/pool | head -1)")
  echo "[learn] $tag after: $(uptime)"
  node dist/cli.js bench "${common[@]}" "${from[@]}" $([ -n "${AFTER_BASELINES:-}" ] || echo --no-baselines) --json "$OUT/$tag-after.json" > "$OUT/$tag-after.md" 2> "$OUT/$tag-after.err" || echo "[learn] after failed"
done
echo "[learn] done: $(uptime)"
