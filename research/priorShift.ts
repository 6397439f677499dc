/**
 * How the pool's class priors could be estimated when the chosen model is weak (issue 11, session 19): the product
 * applies EM's estimate (src/core/train/priors.ts) only when the chosen model is right on ≥ 85% of the held-out
 * labels, so on an imbalanced pool with a weak model (icons: half the pool is one class, the labels are 10 a class)
 * the predictions keep the labels' uniform priors. This script compares, on a bench workspace kept with `--keep`,
 * the accuracy on the pool's unlabelled items of the saved predictions re-weighted by the priors of:
 *   none, EM (Saerens et al. 2002), BBSE (Lipton et al. 2018: the inverse of the out-of-fold confusion matrix applied
 *   to the pool's predicted-class distribution; hard and soft), and the pool's true priors (an upper bound).
 *
 *   node --import tsx research/priorShift.ts KEPT_WORKSPACE POOL_TRUTH_CSV
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readArrayFile } from '../src/core/util/files';
import {
  applyPriorWeights,
  baggedBbsePriors,
  bbsePriors,
  estimatePoolPriors,
  priorShiftEvidence,
  trainingPriors,
} from '../src/core/train/priors';
import { mixOof } from '../src/core/train/mix';
import { oofRows } from '../src/core/train/select';
import { argmaxRow } from '../src/core/util/math';
import { readTruth } from '../src/bench/truth';

interface Cf {
  classes: string[];
  state: { oof?: { index: number[]; probs: number[] }; priorWeights?: number[] };
  finetuned?: { folds?: { rows: number[]; y: number[] }; oofProbs?: number[]; mixPixels?: unknown };
  memo?: { chosen?: { name: string } };
}

/**
 * The maximum-likelihood priors of the pool's predicted classes under the held-out confusion matrix M (smoothed by
 * α per cell): q maximises Σ_i n_i log Σ_j M[i][j] q_j, by EM.
 */
function confusionMle(oof: Float32Array, y: Int32Array, probs: Float32Array, n: number, C: number, soft: boolean, alpha: number): number[] {
  const dist = (p: ArrayLike<number>, i: number) => {
    if (soft) return Array.from({ length: C }, (_, c) => p[i * C + c]);
    const b = argmaxRow(p, i, C);
    return Array.from({ length: C }, (_, c) => (c === b ? 1 : 0));
  };
  const M = Array.from({ length: C }, () => new Array<number>(C).fill(alpha));
  for (let k = 0; k < y.length; k++) dist(oof, k).forEach((v, i) => (M[i][y[k]] += v));
  for (let j = 0; j < C; j++) {
    const s = M.reduce((a, Mi) => a + Mi[j], 0);
    for (let i = 0; i < C; i++) M[i][j] /= s;
  }
  const cnt = new Array<number>(C).fill(0);
  for (let r = 0; r < n; r++) dist(probs, r).forEach((v, i) => (cnt[i] += v));
  let q = new Array<number>(C).fill(1 / C);
  for (let it = 0; it < 500; it++) {
    const next = new Array<number>(C).fill(0);
    for (let i = 0; i < C; i++) {
      const z = M[i].reduce((s, mij, j) => s + mij * q[j], 0);
      for (let j = 0; j < C; j++) next[j] += (cnt[i] * M[i][j] * q[j]) / z;
    }
    const s = next.reduce((a, b) => a + b, 0);
    q = next.map((v) => v / s);
  }
  return q;
}

/** Total variation distance of two distributions. */
const tv = (a: number[], b: number[]) => 0.5 * a.reduce((s, v, c) => s + Math.abs(v - b[c]), 0);

/**
 * BBSE (hard) with a noise guard: the held-out labels are resampled within their class B times; r = the 90th
 * percentile of the resampled estimates' distance to the estimate. 'gate': the estimate when its distance to the
 * training priors exceeds r, else those; 'shrink': training priors + (estimate − training) · max(0, 1 − r / distance).
 */
function guarded(
  oof: Float32Array,
  y: Int32Array,
  probs: Float32Array,
  n: number,
  C: number,
  train: number[],
  mode: 'gate' | 'shrink' | 'bag',
): number[] {
  const q = bbsePriors(oof, y, probs, n, C, { soft: false });
  const byClass = Array.from({ length: C }, () => [] as number[]);
  y.forEach((c, k) => byClass[c].push(k));
  let seed = 99;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const d: number[] = [];
  const bag = new Array<number>(C).fill(0);
  for (let b = 0; b < 40; b++) {
    const ks = byClass.flatMap((rows) => rows.map(() => rows[Math.floor(rand() * rows.length)]));
    const o2 = new Float32Array(ks.length * C);
    ks.forEach((k, j) => o2.set(oof.subarray(k * C, k * C + C), j * C));
    const qb = bbsePriors(
      o2,
      Int32Array.from(ks, (k) => y[k]),
      probs,
      n,
      C,
      { soft: false, iterations: 500 },
    );
    qb.forEach((v, c) => (bag[c] += v / 40));
    d.push(tv(qb, q));
  }
  if (mode === 'bag') return bag;
  d.sort((a, b) => a - b);
  const r = d[Math.floor(0.9 * d.length)];
  const dist = tv(q, train);
  if (mode === 'gate') return dist > r ? q : train;
  const f = Math.max(0, 1 - r / dist);
  return train.map((t, c) => t + (q[c] - t) * f);
}

async function main() {
  const [dir, truthFile] = process.argv.slice(2);
  if (!dir || !truthFile) throw new Error('usage: priorShift.ts KEPT_WORKSPACE POOL_TRUTH_CSV');
  const models = path.join(dir, 'pool', '.selflabel', 'models');
  const cf = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8')) as Cf;
  const pred = await readArrayFile<{ ids: string[] }>(path.join(models, 'predictions'));
  if (!pred) throw new Error('no predictions');
  const probs = new Float32Array(pred.bytes.buffer.slice(pred.bytes.byteOffset, pred.bytes.byteOffset + pred.bytes.byteLength));
  const ids = pred.meta.ids;
  const C = cf.classes.length;
  const n = ids.length;
  const truth = (await readTruth(truthFile)).labels;
  const yTrue = ids.map((id) => cf.classes.indexOf(truth.get(id.replace(/^.*\//, '')) ?? ''));
  const folds = cf.finetuned?.folds;
  if (!folds) throw new Error('no scratch folds in classifier.json');
  const rows = Int32Array.from(folds.rows);
  const y = Int32Array.from(folds.y);
  // The chosen model's out-of-fold probabilities of the human labels.
  const chosen = cf.memo?.chosen?.name;
  const sc = cf.finetuned?.oofProbs;
  const px = cf.state.oof ? oofRows(cf.state.oof, rows, C) : undefined;
  const oof = chosen === 'scratch+pixels' && sc && px ? mixOof(sc, px, y, C).oof : Float32Array.from(sc ?? []);
  const labelled = new Set(folds.rows);
  const eval_ = (p: Float32Array): number => {
    let right = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (labelled.has(i) || yTrue[i] < 0) continue;
      m++;
      if (argmaxRow(p, i, C) === yTrue[i]) right++;
    }
    return (100 * right) / m;
  };
  const train = trainingPriors(y, undefined, C);
  const truePri = new Array<number>(C).fill(0);
  for (let i = 0; i < n; i++) if (yTrue[i] >= 0) truePri[yTrue[i]]++;
  const tot = truePri.reduce((a, b) => a + b, 0);
  const fmt = (q: number[]) => q.map((v) => v.toFixed(2)).join(' ');
  const row = (name: string, q: number[]) =>
    console.log(
      `${name.padEnd(14)} ${eval_(
        applyPriorWeights(
          probs,
          n,
          C,
          q.map((v, c) => v / train[c]),
        ),
      ).toFixed(1)}%  [${fmt(q)}]`,
    );
  console.log(`${dir}: ${n} items, ${C} classes, chosen ${chosen}, ${rows.length} human labels`);
  console.log(`none           ${eval_(probs).toFixed(1)}%`);
  row('EM', estimatePoolPriors(probs, n, C, train).priors);
  row('BBSE hard', bbsePriors(oof, y, probs, n, C, { soft: false }));
  row('BBSE soft', bbsePriors(oof, y, probs, n, C, { soft: true }));
  for (const alpha of [0.1, 0.5, 1])
    for (const soft of [false, true]) row(`MLE ${soft ? 'soft' : 'hard'} α${alpha}`, confusionMle(oof, y, probs, n, C, soft, alpha));
  row('BBSE gate', guarded(oof, y, probs, n, C, train, 'gate'));
  row('BBSE shrink', guarded(oof, y, probs, n, C, train, 'shrink'));
  row('BBSE bagged', guarded(oof, y, probs, n, C, train, 'bag'));
  const ev = priorShiftEvidence(oof, y, probs, n, C, train);
  console.log(
    `shift test (product): χ² ${ev.chi2.toFixed(1)} against ${ev.threshold.toFixed(1)} (df ${ev.df}): ${ev.shifted ? 'shifted' : 'no shift'}`,
  );
  row(
    'true',
    truePri.map((v) => v / tot),
  );
  // A balanced pool: the unlabelled items subsampled to the rarest class's count, 5 draws; the mean accuracy of
  // each estimate there (none = the labels' uniform priors, which are then right).
  const byClass = Array.from({ length: C }, () => [] as number[]);
  for (let i = 0; i < n; i++) if (!labelled.has(i) && yTrue[i] >= 0) byClass[yTrue[i]].push(i);
  const k = Math.min(...byClass.map((b) => b.length));
  const acc: Record<string, number[]> = {};
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let draw = 0; draw < 5; draw++) {
    const pick = byClass.flatMap((b) => [...b].sort(() => rand() - 0.5).slice(0, k));
    const sub = new Float32Array(pick.length * C);
    pick.forEach((r, j) => sub.set(probs.subarray(r * C, r * C + C), j * C));
    const accOf = (q: number[]) => {
      const p = applyPriorWeights(
        sub,
        pick.length,
        C,
        q.map((v, c) => v / train[c]),
      );
      return (100 * pick.filter((r, j) => argmaxRow(p, j, C) === yTrue[r]).length) / pick.length;
    };
    const add = (name: string, q: number[]) => (acc[name] ??= []).push(accOf(q));
    add('none', train);
    add('EM', estimatePoolPriors(sub, pick.length, C, train).priors);
    add('BBSE hard', bbsePriors(oof, y, sub, pick.length, C, { soft: false }));
    add('BBSE soft', bbsePriors(oof, y, sub, pick.length, C, { soft: true }));
    add('MLE hard α0.5', confusionMle(oof, y, sub, pick.length, C, false, 0.5));
    add('gate', guarded(oof, y, sub, pick.length, C, train, 'gate'));
    add('bagged', guarded(oof, y, sub, pick.length, C, train, 'bag'));
    const ev = priorShiftEvidence(oof, y, sub, pick.length, C, train);
    add('product (tested bagged)', ev.shifted ? baggedBbsePriors(oof, y, sub, pick.length, C) : train);
    (acc['χ² of the subset'] ??= []).push(ev.chi2);
    console.log(`  subset χ² ${ev.chi2.toFixed(1)}`);
  }
  console.log(
    `balanced subsets (${k} a class, 5 draws): ` +
      Object.entries(acc)
        .map(([nm, v]) => `${nm} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)}%`)
        .join(', '),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
