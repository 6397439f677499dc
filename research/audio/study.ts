/**
 * Audio heads on the dev sets' log-mel clips, without pretraining: MFCC mean+std + logistic regression (the bench's
 * baseline) against the utterance features (src/core/modalities/audio/utterance.ts) with logistic regression, and
 * label spreading over their kNN graph followed by logistic regression on the spread labels. 10 labels per class
 * (seeded), test accuracy on the test split.
 *   node --import tsx research/audio/study.ts [audio-words|audio-speakers] [seeds=1,2,3]
 */
import { loadSplit } from './data';
import { mfcc, mfccStats } from '../../src/core/modalities/audio/mfcc';
import {
  columnStats,
  standardizeBlocks,
  utteranceFeatures,
  UTTERANCE_DEFAULTS,
  type UtteranceBlocks,
} from '../../src/core/modalities/audio/utterance';
import { fitLogReg, predictLogReg, argmaxRows } from '../../src/bench/baselines/linear';
import { spreadLabels, type KnnGraph } from '../../src/core/train/graph';
import { mulberry32, sample } from '../../src/bench/rng';

function knn(X: Float32Array, n: number, dim: number, k: number): KnnGraph {
  const idx = new Int32Array(n * k);
  const sim = new Float32Array(n * k);
  const row = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += X[i * dim + d] * X[j * dim + d];
      row[j] = j === i ? -Infinity : s;
    }
    const order = Array.from(row.keys())
      .sort((a, b) => row[b] - row[a])
      .slice(0, k);
    order.forEach((j, q) => ((idx[i * k + q] = j), (sim[i * k + q] = row[j])));
  }
  return { n, k, idx, sim };
}

function acc(P: Float64Array, y: Int32Array, C: number): number {
  const lab = argmaxRows(P, y.length, C);
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (lab[i] === y[i]) ok++;
  return ok / y.length;
}

function zscore(pool: Float32Array, test: Float32Array, dim: number): void {
  const n = pool.length / dim;
  const st = columnStats(pool, n, dim);
  for (const X of [pool, test]) for (let q = 0; q < X.length; q++) X[q] = (X[q] - st.mean[q % dim]) / st.std[q % dim];
}

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-words';
  const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const C = pool.classes.length;
  const per = pool.frames * pool.mels;
  const mf = (s: typeof pool) => {
    const X = new Float32Array(s.n * 40);
    for (let i = 0; i < s.n; i++)
      X.set(mfccStats(mfcc({ data: s.spec.subarray(i * per, (i + 1) * per), frames: s.frames, nMels: s.mels }, 20)), i * 40);
    return X;
  };
  const mp = mf(pool);
  const mt = mf(test);
  zscore(mp, mt, 40);
  // SEGMENTS=k: the shape block's segments (default UTTERANCE_DEFAULTS.segments).
  const uo = { ...UTTERANCE_DEFAULTS, segments: Number(process.env.SEGMENTS ?? UTTERANCE_DEFAULTS.segments) };
  const up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels, uo);
  const ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels, uo);
  const st = columnStats(up.X, up.n, up.dim);
  const variants: { name: string; w: Partial<Record<keyof UtteranceBlocks, number>>; spread?: boolean }[] = (
    process.env.VARIANTS ?? 'mfcc:1,0,0,0;all:1,1,1,1'
  )
    .split(';')
    .map((v) => {
      const [name, ws] = v.split(':');
      const [mfccW, stats, shape, spectrum] = ws.split(',').map(Number);
      return { name, w: { mfcc: mfccW, stats, shape, spectrum }, spread: !name.endsWith('-') };
    });
  const res: Record<string, number[]> = {};
  const add = (k: string, v: number) => (res[k] ??= []).push(v);
  for (const seed of seeds) {
    const rand = mulberry32(seed);
    const byClass: number[][] = Array.from({ length: C }, () => []);
    for (let i = 0; i < pool.n; i++) byClass[pool.y[i]].push(i);
    const lab = byClass.flatMap((l) => sample(l, 10, rand));
    const ly = Int32Array.from(lab, (i) => pool.y[i]);
    const base = fitLogReg({ kind: 'dense', X: mp, n: pool.n, dim: 40 }, lab, ly, C);
    add('mfcc-logreg', acc(predictLogReg(base, { kind: 'dense', X: mt, n: test.n, dim: 40 }), test.y, C));
    for (const v of variants) {
      const { X: Xp, dim } = standardizeBlocks(up, st, v.w);
      const { X: Xt } = standardizeBlocks(ut, st, v.w);
      const rp = { kind: 'dense' as const, X: Xp, n: pool.n, dim };
      const rt = { kind: 'dense' as const, X: Xt, n: test.n, dim };
      for (const lam of (process.env.LAMBDAS ?? '1e-3').split(',').map(Number)) {
        const m = fitLogReg(rp, lab, ly, C, { lambda: lam, maxIterations: 400 });
        add(`${v.name} LR λ${lam}`, acc(predictLogReg(m, rt), test.y, C));
      }
      if (!v.spread) continue;
      const g = knn(Xp, pool.n, dim, 20);
      const { F } = spreadLabels({
        graph: g,
        nClasses: C,
        seeds: { index: Int32Array.from(lab), y: ly, weight: new Float32Array(lab.length).fill(1) },
      });
      const sl = argmaxRows(Float64Array.from(F), pool.n, C);
      let sok = 0;
      for (let i = 0; i < pool.n; i++) if (sl[i] === pool.y[i]) sok++;
      add(`${v.name} spread(pool)`, sok / pool.n);
      const all = Array.from(sl.keys());
      const m2 = fitLogReg(rp, all, sl, C, { lambda: 1e-3, maxIterations: 300 });
      add(`${v.name} spread→LR`, acc(predictLogReg(m2, rt), test.y, C));
    }
    console.error(`seed ${seed} done`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(`${set}\t${k.padEnd(28)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`);
}

void main();
