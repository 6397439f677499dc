/**
 * Text heads vs the TF-IDF + LR baseline on prepared datasets, K labels/class from the pool, no review, 3 seeds.
 * Usage: node --import tsx research/text/compare.ts DATASET[,DATASET…] [--k 10] [--seeds 1,2,3] [--heads old,lr,new]
 * Prints per seed: test accuracy of each head (and its own estimate, and seconds), then medians.
 */
import { fitTextHead, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, median, seedLabels } from './data';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sets = args[0].split(',');
const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const heads = opt('heads', 'old,lr,new').split(',');
const knobs = JSON.parse(opt('knobs', '{}')) as Record<string, unknown>;

async function main() {
  for (const name of sets) {
    const t0 = Date.now();
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    console.log(`${name}: ${ds.pool.texts.length} pool, ${ds.test.texts.length} test, ${C} classes (load ${(Date.now() - t0) / 1000}s)`);
    const res = new Map<string, { acc: number[]; est: number[]; sec: number[] }>();
    const add = (h: string, acc: number, est: number, sec: number) => {
      const r = res.get(h) ?? { acc: [], est: [], sec: [] };
      r.acc.push(acc);
      r.est.push(est);
      r.sec.push(sec);
      res.set(h, r);
    };
    for (const seed of seeds) {
      const lab = seedLabels(ds.pool.y, C, K, seed);
      const train = {
        index: Int32Array.from(lab),
        y: Int32Array.from(lab, (i) => ds.pool.y[i]),
        weight: new Float32Array(lab.length).fill(1),
      };
      for (const h of heads) {
        const t1 = Date.now();
        let acc = NaN;
        let est = NaN;
        if (h === 'lr') {
          acc = accuracy(tfidfLogReg(ds.pool.texts, lab, ds.pool.y, C, ds.test.texts), ds.test.y, C);
        } else {
          const cand: [string, number][] = [];
          const state = await fitTextHead({
            texts: ds.pool.texts,
            train,
            nClasses: C,
            seed,
            ...(h === 'old' ? { candidates: ['spread-nb'] as const } : knobs),
            onCandidate: (name, s) => cand.push([name, accuracy(predictTextHead(s, ds.test.texts), ds.test.y, C)]),
          });
          // Every candidate's own test accuracy (spread-nb = the head before this work, same seed, same fit).
          if (h === 'new') for (const [name, a] of cand) add(`cand:${name}`, a, NaN, NaN);
          acc = accuracy(predictTextHead(state, ds.test.texts), ds.test.y, C);
          est = state.estimatedAccuracy ?? NaN;
          const chosen = (state as { chosen?: string }).chosen;
          if (chosen) console.log(`  ${h} chose ${chosen} ${JSON.stringify((state as { candidates?: unknown }).candidates ?? '')}`);
        }
        const sec = (Date.now() - t1) / 1000;
        add(h, acc, est, sec);
        console.log(`  seed ${seed} ${h}: test ${(acc * 100).toFixed(2)}%  est ${(est * 100).toFixed(1)}%  ${sec.toFixed(1)}s`);
      }
    }
    for (const [h, r] of res) {
      console.log(
        `${name} ${h}: median test ${(median(r.acc) * 100).toFixed(2)}% [${r.acc.map((a) => (a * 100).toFixed(1)).join(', ')}]  est ${(median(r.est) * 100).toFixed(1)}%  ${median(r.sec).toFixed(1)}s`,
      );
    }
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
