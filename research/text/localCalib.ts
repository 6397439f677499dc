/**
 * Session 17: local calibration of round 1's proposals. The pair's temperature is fitted on all its out-of-fold
 * (held-out) human labels at once, so one confident held-out error among 100 barely moves it, while the pool may hold
 * dozens of items like that one (Debian: Haskell documentation packages, section doc, read as haskell — priorCalib.ts).
 * Here each proposal's confidence is blended with how the held-out labels most like it fared: among the human labels
 * the fold models predicted as the proposal's class, the k most similar to it (TF-IDF cosine), weighted by
 * similarity, right or wrong; conf' = min(conf, (s·conf + Σ w·right) / (s + Σ w)). Expected vs measured precision of
 * the proposals (≥ threshold after the blend) and how many, for each (k, s).
 * Usage: node --import tsx research/text/localCalib.ts DATASET[,…] [--seeds 1,…] [--bench-seeds] [--ks 3,5,10] [--ss 2,5,10]
 */
import { predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { argmaxRow } from '../../src/core/util/math';
import { sklearnDoc } from './baseline';
import { fitPair, loadTextDataset, median, roundOneProposals, seedsFor, humanTrainSet } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const threshold = Number(opt('threshold', '0.9'));
const ks = opt('ks', '3,5,10').split(',').map(Number);
const ss = opt('ss', '2,5,10').split(',').map(Number);
const benchSeeds = args.includes('--bench-seeds');
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

/** L2-normalised TF-IDF rows (idf from the pool) as maps. */
function tfidf(texts: readonly string[]): Map<number, number>[] {
  const docs = texts.map(sklearnDoc);
  const df = new Map<number, number>();
  for (const d of docs) for (const id of d.ids) df.set(id, (df.get(id) ?? 0) + 1);
  return docs.map((d) => {
    const m = new Map<number, number>();
    let s = 0;
    d.ids.forEach((id, j) => {
      const v = d.counts[j] * (Math.log((1 + docs.length) / (1 + df.get(id)!)) + 1);
      m.set(id, v);
      s += v * v;
    });
    for (const [id, v] of m) m.set(id, v / Math.sqrt(s || 1));
    return m;
  });
}
const cos = (a: Map<number, number>, b: Map<number, number>) => {
  let s = 0;
  for (const [id, v] of a.size < b.size ? a : b) s += v * ((a.size < b.size ? b : a).get(id) ?? 0);
  return s;
};

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const vec = tfidf(ds.pool.texts);
    const gaps: Record<string, number[]> = {};
    const counts: Record<string, number[]> = {};
    for (const seed of seeds) {
      const human = seedsFor(ds, K, seed, benchSeeds);
      const train = humanTrainSet(human, ds.pool.y);
      const { pair } = await fitPair(ds.pool.texts, train, C, seed);
      const pool = predictTextHead(pair, ds.pool.texts);
      // Held-out human labels: pool row, true class, the fold models' predicted class.
      const oofIdx = pair.oof!.index;
      const held = oofIdx.map((r, k) => ({
        r,
        y: ds.pool.y[r],
        pred: argmaxRow(Float32Array.from(pair.oof!.probs.slice(k * C, (k + 1) * C)), 0, C),
      }));
      const skip = new Set(human);
      const line: string[] = [];
      const variants: [string, number, number][] = [
        ['pair', 0, 0],
        ...ks.flatMap((k) => ss.map((s) => [`k${k}s${s}`, k, s] as [string, number, number])),
      ];
      for (const [v, k, s] of variants) {
        // The pair's confidences, each proposal's blended with its nearest held-out labels (only ever lowered).
        const conf = Float32Array.from(pool);
        if (k > 0)
          for (let i = 0; i < ds.pool.y.length; i++) {
            const b = argmaxRow(pool, i, C);
            const c0 = pool[i * C + b];
            if (skip.has(i) || c0 < threshold) continue;
            const near = held
              .filter((h) => h.pred === b)
              .map((h) => ({ w: Math.max(0, cos(vec[i], vec[h.r])), right: h.y === b ? 1 : 0 }))
              .sort((a, c) => c.w - a.w)
              .slice(0, k);
            const sw = near.reduce((a, h) => a + h.w, 0);
            const sr = near.reduce((a, h) => a + h.w * h.right, 0);
            conf[i * C + b] = Math.min(c0, (s * c0 + sr) / (s + sw));
          }
        const { n, expected, measured } = roundOneProposals(pool, ds.pool.y, skip, C, threshold, conf);
        (gaps[v] ??= []).push(expected - measured);
        (counts[v] ??= []).push(n);
        line.push(`${v} [${n}: ${pct(expected)} / ${pct(measured)}]`);
      }
      console.log(`${name} seed ${seed}: ${line.join(', ')}`);
    }
    console.log(
      `${name} medians: ${Object.keys(gaps)
        .map(
          (v) =>
            `${v} n ${median(counts[v])} gap ${pct(median(gaps[v].filter(Number.isFinite)))} (|gap| max ${pct(Math.max(...gaps[v].filter(Number.isFinite).map(Math.abs)))})`,
        )
        .join('; ')}`,
    );
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
