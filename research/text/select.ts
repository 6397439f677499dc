/**
 * How to choose among the text head's candidates: for each dataset and seed (K random labels/class, no review, one
 * fit) every candidate's out-of-fold accuracy and log-loss on the held-out human labels (calibrated), its largest
 * out-of-fold confidence, and its test accuracy; plus which one the head chose and TF-IDF + LR (research baseline).
 * Usage: node --import tsx research/text/select.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--candidates a,b,…]
 */
import { fitTextHead, predictTextHead, type TextHeadCandidateName } from '../../src/core/modalities/text/lexical/head';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, seedLabels, humanTrainSet } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const cands = opt('candidates', 'linear-lsa,linear-subword,spread-nb,linear-words').split(',') as TextHeadCandidateName[];

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    for (const seed of seeds) {
      const human = seedLabels(ds.pool.y, C, K, seed);
      const lr = accuracy(tfidfLogReg(ds.pool.texts, human, ds.pool.y, C, ds.test.texts), ds.test.y, C);
      const train = humanTrainSet(human, ds.pool.y);
      const parts: string[] = [];
      const t0 = Date.now();
      const s = await fitTextHead({
        texts: ds.pool.texts,
        train,
        nClasses: C,
        seed,
        candidates: cands,
        onCandidate: (nm, st) => {
          const oof = st.oof!;
          let nll = 0;
          let top = 0;
          oof.index.forEach((row, k) => {
            nll -= Math.log(Math.max(1e-12, oof.probs[k * C + ds.pool.y[row]]));
            for (let c = 0; c < C; c++) top = Math.max(top, oof.probs[k * C + c]);
          });
          const test = accuracy(predictTextHead(st, ds.test.texts), ds.test.y, C);
          parts.push(
            `${nm} oof ${((st.estimatedAccuracy ?? NaN) * 100).toFixed(1)} nll ${(nll / oof.index.length).toFixed(3)} T ${st.temperature.toFixed(2)} top ${top.toFixed(2)} test ${(test * 100).toFixed(1)}`,
          );
        },
      });
      console.log(
        `${name} seed ${seed}: LR ${(lr * 100).toFixed(1)} chose ${s.chosen} (${((Date.now() - t0) / 1000).toFixed(0)}s)\n  ${parts.join('\n  ')}`,
      );
    }
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
