/**
 * Audio heads on the dev sets' log-mel clips, without pretraining: MFCC mean+std + logistic regression (the bench's
 * baseline) against the utterance features (src/core/modalities/audio/utterance.ts) with logistic regression, and
 * label spreading over their kNN graph followed by logistic regression on the spread labels. 10 labels per class
 * (seeded), test accuracy on the test split.
 *   node --import tsx research/audio/study.ts [audio-words|audio-speakers] [seeds=1,2,3]
 */
import { loadSplit, knnGraph, accuracyOf, spreadFrom, seedLabels } from './data';
import { mfcc, mfccStats } from '../../src/core/modalities/audio/mfcc';
import {
  columnStats,
  standardizeBlocks,
  utteranceFeatures,
  UTTERANCE_DEFAULTS,
  type UtteranceBlocks,
} from '../../src/core/modalities/audio/utterance';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';

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
    const { lab, ly } = seedLabels(pool.y, C, 10, seed);
    const base = fitLogReg({ kind: 'dense', X: mp, n: pool.n, dim: 40 }, lab, ly, C);
    add('mfcc-logreg', accuracyOf(predictLogReg(base, { kind: 'dense', X: mt, n: test.n, dim: 40 }), test.y, C));
    for (const v of variants) {
      const { X: Xp, dim } = standardizeBlocks(up, st, v.w);
      const { X: Xt } = standardizeBlocks(ut, st, v.w);
      const rp = { kind: 'dense' as const, X: Xp, n: pool.n, dim };
      const rt = { kind: 'dense' as const, X: Xt, n: test.n, dim };
      for (const lam of (process.env.LAMBDAS ?? '1e-3').split(',').map(Number)) {
        const m = fitLogReg(rp, lab, ly, C, { lambda: lam, maxIterations: 400 });
        add(`${v.name} LR λ${lam}`, accuracyOf(predictLogReg(m, rt), test.y, C));
      }
      if (!v.spread) continue;
      const g = knnGraph(Xp, pool.n, dim, 20);
      const { F, labels: sl } = spreadFrom(g, C, lab, ly);
      add(`${v.name} spread(pool)`, accuracyOf(F, pool.y, C));
      const all = Array.from(sl.keys());
      const m2 = fitLogReg(rp, all, sl, C, { lambda: 1e-3, maxIterations: 300 });
      add(`${v.name} spread→LR`, accuracyOf(predictLogReg(m2, rt), test.y, C));
    }
    console.error(`seed ${seed} done`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(`${set}\t${k.padEnd(28)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`);
}

void main();
