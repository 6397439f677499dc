/**
 * Class priors of an imbalanced pool from a kept bench workspace (research/s8-runs.sh --keep), offline: the chosen
 * model's pool probabilities (predictions.bin, before any prior re-weighting) and its out-of-fold probabilities on
 * the human labels (classifier.json state.oof), then each estimator of the pool's priors, applied to the
 * probabilities, scored on the unlabelled pool items against the truth. Research only (issue 11, session 8).
 *
 *   node --import tsx research/s8-priors.ts POOL_TRUTH_CSV KEPT_DIR...
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPriorWeights, estimatePoolPriors, trainingPriors } from '../src/core/train/priors';
import { argmaxRow } from '../src/core/util/math';

/** Euclidean projection of v onto the simplex {π ≥ floor, Σπ = 1} (sort-based, Duchi et al. 2008). */
function projectSimplex(v: number[], floor: number): number[] {
  const C = v.length;
  const budget = 1 - floor * C;
  if (budget <= 0) return v.map(() => 1 / C);
  const u = v.map((x) => x - floor);
  const s = [...u].sort((a, b) => b - a);
  let cum = 0;
  let theta = 0;
  for (let k = 0; k < C; k++) {
    cum += s[k];
    const t = (cum - budget) / (k + 1);
    if (s[k] - t > 0) theta = t;
  }
  return u.map((x) => Math.max(0, x - theta) + floor);
}

/**
 * The pool's class priors by the model's confusion on held-out labels (black-box shift estimation, Lipton et al.
 * 2018, with probabilities instead of hard predictions): M[i][j] = the mean probability of class i the model gave
 * (out of fold) to the held-out labels of class j, q = its mean probabilities over the pool; the priors π solve
 * min ‖Mπ − q‖² on the simplex (every prior ≥ `floor`, default 0.1 / C), by projected gradient. Unlike EM on the
 * pool probabilities alone (./priors.ts), a weak model's confusions are divided out instead of being taken for class
 * mass. `weights`: π / train per class (the factor for applyPriorWeights). `oofProbs` are rows × C for the labels
 * `oofY`; `probs` are n × C for the pool.
 */
function confusionPriors(
  oofProbs: Float32Array,
  oofY: Int32Array,
  probs: Float32Array,
  n: number,
  C: number,
  train: readonly number[],
  o: { floor?: number; iterations?: number } = {},
): { priors: number[]; weights: number[] } {
  if (train.length !== C) throw new Error(`${train.length} training priors for ${C} classes`);
  if (oofProbs.length < oofY.length * C || probs.length < n * C) throw new Error('probabilities shorter than rows × classes');
  const floor = o.floor ?? 0.1 / C;
  if (!n || !oofY.length) return { priors: [...train], weights: train.map(() => 1) };
  // M column-major by true class j: M[j][i].
  const M = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const count = new Array<number>(C).fill(0);
  for (let k = 0; k < oofY.length; k++) {
    const j = oofY[k];
    if (!(j >= 0 && j < C)) throw new Error(`class ${j} is not one of the ${C} classes`);
    count[j]++;
    for (let i = 0; i < C; i++) M[j][i] += oofProbs[k * C + i];
  }
  // A class without held-out labels: its column is the pool's mean (no information either way).
  const q = new Array<number>(C).fill(0);
  for (let r = 0; r < n; r++) for (let i = 0; i < C; i++) q[i] += probs[r * C + i] / n;
  for (let j = 0; j < C; j++) for (let i = 0; i < C; i++) M[j][i] = count[j] ? M[j][i] / count[j] : q[i];
  let L = 0;
  for (let j = 0; j < C; j++) for (let i = 0; i < C; i++) L += M[j][i] ** 2;
  const step = 1 / Math.max(L, 1e-9);
  let pi = [...train];
  for (let it = 0; it < (o.iterations ?? 3000); it++) {
    const res = new Array<number>(C).fill(0);
    for (let j = 0; j < C; j++) for (let i = 0; i < C; i++) res[i] += M[j][i] * pi[j];
    for (let i = 0; i < C; i++) res[i] -= q[i];
    const grad = M.map((col) => col.reduce((s, m, i) => s + m * res[i], 0));
    pi = projectSimplex(
      pi.map((p, j) => p - step * grad[j]),
      floor,
    );
  }
  return { priors: pi, weights: pi.map((p, j) => p / train[j]) };
}

function main() {
  const [truthFile, ...dirs] = process.argv.slice(2);
  if (!truthFile || !dirs.length) throw new Error('usage: s8-priors.ts POOL_TRUTH_CSV KEPT_DIR...');
  const truthMap = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  for (const dir of dirs) {
    const models = path.join(dir, 'pool', '.selflabel', 'models');
    const cf = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8')) as {
      classes: string[];
      finetuned?: unknown;
      state: { oof?: { index: number[]; probs: number[] }; priorWeights?: number[] };
    };
    if (cf.finetuned || !cf.state.oof) {
      console.log(JSON.stringify({ dir, skipped: 'the chosen model keeps no out-of-fold probabilities here' }));
      continue;
    }
    const meta = JSON.parse(fs.readFileSync(path.join(models, 'predictions.json'), 'utf8')) as { ids: string[] };
    const buf = fs.readFileSync(path.join(models, 'predictions.bin'));
    const C = cf.classes.length;
    const n = meta.ids.length;
    let probs: Float32Array = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    // Undo the saved prior weights, if any: the estimators start from the model's own probabilities.
    if (cf.state.priorWeights)
      probs = applyPriorWeights(
        probs,
        n,
        C,
        cf.state.priorWeights.map((w) => 1 / w),
      );
    const cls = new Map(cf.classes.map((c, i) => [c, i]));
    const truth = meta.ids.map((id) => cls.get(truthMap.get(id) ?? '') ?? -1);
    const oof = cf.state.oof;
    const oofY = Int32Array.from(oof.index, (r) => truth[r]);
    const labelled = new Set(oof.index);
    const rows = Int32Array.from([...Array(n).keys()].filter((r) => !labelled.has(r)));
    const train = trainingPriors(oofY, undefined, C);
    const acc = (p: Float32Array) => {
      let ok = 0;
      for (const r of rows) if (argmaxRow(p, r, C) === truth[r]) ok++;
      return +((100 * ok) / rows.length).toFixed(1);
    };
    const pool = new Float32Array(rows.length * C);
    rows.forEach((r, j) => pool.set(probs.subarray(r * C, (r + 1) * C), j * C));
    const em = estimatePoolPriors(pool, rows.length, C, train);
    const bb = confusionPriors(Float32Array.from(oof.probs), oofY, pool, rows.length, C, train);
    const truePriors = new Array<number>(C).fill(0);
    for (const r of rows) truePriors[truth[r]] += 1 / rows.length;
    console.log(
      JSON.stringify({
        dir: path.basename(dir),
        unlabelled: rows.length,
        none: acc(probs),
        em: acc(applyPriorWeights(probs, n, C, em.weights)),
        confusion: acc(applyPriorWeights(probs, n, C, bb.weights)),
        oracle: acc(
          applyPriorWeights(
            probs,
            n,
            C,
            truePriors.map((p, c) => Math.max(p, 1e-3) / train[c]),
          ),
        ),
        priors: {
          true: truePriors.map((p) => +p.toFixed(3)),
          em: em.priors.map((p) => +p.toFixed(3)),
          confusion: bb.priors.map((p) => +p.toFixed(3)),
        },
      }),
    );
  }
}

main();
