/**
 * Class priors of the pool (issue 11 item 7, session 8): seed labels are balanced by construction (K per class), so
 * the text head learns uniform priors while the pools are not (SpamAssassin 31% spam; man pages 62% man3). For each
 * dataset and seed (K random labels/class, one fit, no review) and each candidate: test accuracy as fitted, and after
 * re-weighting by the pool's class priors estimated by EM on the head's own pool probabilities (Saerens, Latinne &
 * Decaestecker 2002), plus the confusion of the test split (rows: true class, columns: predicted).
 * Usage: node --import tsx research/text/priors.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--candidates a,b,…]
 */
import { fitTextHead, predictTextHead, type TextHeadCandidateName } from '../../src/core/modalities/text/lexical/head';
import { accuracy, loadTextDataset, seedLabels, humanTrainSet } from './data';
import { args, opt } from '../args';
import { baggedBbsePriors } from '../../src/core/train/priors';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const cands = opt('candidates', 'linear-lsa,linear-subword,spread-nb').split(',') as TextHeadCandidateName[];

/** EM estimate of the pool's class priors from probabilities made under `train` priors (Saerens et al. 2002). */
export function emPriors(probs: Float32Array, n: number, C: number, train: number[], iterations = 100): number[] {
  let pi = [...train];
  for (let it = 0; it < iterations; it++) {
    const next = new Array<number>(C).fill(0);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const q = new Array<number>(C);
      for (let c = 0; c < C; c++) s += q[c] = (probs[i * C + c] * pi[c]) / train[c];
      for (let c = 0; c < C; c++) next[c] += q[c] / s / n;
    }
    pi = next;
  }
  return pi;
}

export function reweight(probs: Float32Array, n: number, C: number, ratio: number[]): Float32Array {
  const out = new Float32Array(probs.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += out[i * C + c] = probs[i * C + c] * ratio[c];
    for (let c = 0; c < C; c++) out[i * C + c] /= s;
  }
  return out;
}

function confusion(probs: Float32Array, y: Int32Array, C: number): number[][] {
  const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < y.length; i++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + b]) b = c;
    m[y[i]][b]++;
  }
  return m;
}

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const n = ds.pool.texts.length;
    const truePi = new Array<number>(C).fill(0);
    for (const c of ds.pool.y) truePi[c] += 1 / n;
    console.log(`${name}: classes ${ds.classes.join(' ')}; pool priors ${truePi.map((p) => p.toFixed(3)).join(' ')}`);
    for (const seed of seeds) {
      const human = seedLabels(ds.pool.y, C, K, seed);
      const train = humanTrainSet(human, ds.pool.y);
      const tp = new Array<number>(C).fill(0);
      for (const i of human) tp[ds.pool.y[i]] += 1 / human.length;
      const t0 = Date.now();
      const parts: string[] = [];
      const s = await fitTextHead({
        texts: ds.pool.texts,
        train,
        nClasses: C,
        seed,
        candidates: cands,
        onCandidate: (nm, st) => {
          const pool = predictTextHead(st, ds.pool.texts);
          const test = predictTextHead(st, ds.test.texts);
          const pi = emPriors(pool, n, C, tp);
          const ratio = pi.map((p, c) => p / tp[c]);
          const adj = reweight(test, ds.test.texts.length, C, ratio);
          // Session 19: black-box shift estimation from the candidate's out-of-fold probabilities of the human labels.
          const oof = (st as { oof?: { index: number[]; probs: number[] } }).oof;
          if (oof?.index.length) {
            const q = baggedBbsePriors(
              oof.probs,
              Int32Array.from(oof.index, (r) => ds.pool.y[r]),
              pool,
              n,
              C,
              { seed },
            );
            const adjB = reweight(
              test,
              ds.test.texts.length,
              C,
              q.map((p, c) => p / tp[c]),
            );
            parts.push(
              `${nm}: bagged BBSE ${(accuracy(adjB, ds.test.y, C) * 100).toFixed(1)} (priors ${q.map((p) => p.toFixed(3)).join(' ')})`,
            );
          }
          parts.push(
            `${nm}: test ${(accuracy(test, ds.test.y, C) * 100).toFixed(1)} → EM priors ${(accuracy(adj, ds.test.y, C) * 100).toFixed(1)}` +
              ` (priors ${pi.map((p) => p.toFixed(3)).join(' ')}); confusion ${JSON.stringify(confusion(test, ds.test.y, C))} → ${JSON.stringify(confusion(adj, ds.test.y, C))}`,
          );
        },
      });
      console.log(`${name} seed ${seed}: chose ${s.chosen} (${((Date.now() - t0) / 1000).toFixed(0)}s)\n  ${parts.join('\n  ')}`);
    }
  }
}
if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
