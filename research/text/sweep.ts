/**
 * Session 14: the LSA part of 'linear-lsa' swept — directions and weight of the coordinates — on the same seed
 * labels (K random labels/class, no review, one fit of that candidate alone): test accuracy and out-of-fold accuracy
 * per configuration, with TF-IDF + LR beside.
 * Usage: node --import tsx research/text/sweep.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--configs base,d100,…]
 * A configuration is `base` or `+`-joined settings: dN (LSA directions), bX (beta, the coordinates' norm), pN (docs
 * per direction, when no dN), lX (L2 penalty of the subword features).
 */
import { fitTextHead, LINEAR_TEXT_DEFAULTS, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, seedLabels, humanTrainSet, mediansLine } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const configs = opt('configs', 'base,d100,b2,d100+b2').split(',');
const base = { ...LINEAR_TEXT_DEFAULTS };
const pct = (x: number) => (x * 100).toFixed(1);

function apply(cfg: string): number | undefined {
  Object.assign(LINEAR_TEXT_DEFAULTS, base);
  let dim: number | undefined;
  if (cfg === 'base') return undefined;
  for (const part of cfg.split('+')) {
    const v = Number(part.slice(1));
    if (part[0] === 'd') dim = v;
    else if (part[0] === 'b') LINEAR_TEXT_DEFAULTS.lsaBeta = v;
    else if (part[0] === 'p') LINEAR_TEXT_DEFAULTS.lsaDocsPerDim = v;
    else if (part[0] === 'l') LINEAR_TEXT_DEFAULTS.l2Subword = v;
    else throw new Error(`unknown setting ${part}`);
  }
  return dim;
}

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const acc: Record<string, number[]> = {};
    for (const seed of seeds) {
      const human = seedLabels(ds.pool.y, C, K, seed);
      (acc['tfidf-LR'] ??= []).push(accuracy(tfidfLogReg(ds.pool.texts, human, ds.pool.y, C, ds.test.texts), ds.test.y, C));
      const train = humanTrainSet(human, ds.pool.y);
      const line: string[] = [];
      for (const cfg of configs) {
        const lsaDim = apply(cfg);
        const t0 = Date.now();
        const st = await fitTextHead({ texts: ds.pool.texts, train, nClasses: C, seed, candidates: ['linear-lsa'], lsaDim });
        const a = accuracy(predictTextHead(st, ds.test.texts), ds.test.y, C);
        (acc[cfg] ??= []).push(a);
        line.push(`${cfg} ${pct(a)} (oof ${pct(st.estimatedAccuracy ?? NaN)}, ${((Date.now() - t0) / 1000).toFixed(0)}s)`);
      }
      console.log(`${name} seed ${seed}: LR ${pct(acc['tfidf-LR'].at(-1)!)}; ${line.join(', ')}`);
    }
    console.log(mediansLine(name, acc));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
