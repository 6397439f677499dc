/**
 * Why a round proposes a wrong cluster: fits the text head once (K labels/class, seed S), and for each candidate prints the
 * proposals ≥ threshold (count, expected, measured, true-class histogram), the out-of-fold confidences of the held-out
 * labels (how many ≥ threshold and how many of those right), and the temperature.
 * Usage: node --import tsx research/text/why.ts DATASET SEED [--k 10] [--threshold 0.9]
 */
import { fitTextHead, predictTextHead, type TextHeadCandidateName } from '../../src/core/modalities/text/lexical/head';
import { propose } from '../../src/core/proposals';
import { loadTextDataset, seedLabels, accuracy, humanTrainSet } from './data';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ds = loadTextDataset(args[0]);
const seed = Number(args[1]);
const K = Number(opt('k', '10'));
const threshold = Number(opt('threshold', '0.9'));

async function main() {
  const C = ds.classes.length;
  const n = ds.pool.texts.length;
  const human = seedLabels(ds.pool.y, C, K, seed);
  const train = humanTrainSet(human, ds.pool.y);
  const st = new Map<TextHeadCandidateName, Awaited<ReturnType<typeof fitTextHead>>>();
  const s = await fitTextHead({ texts: ds.pool.texts, train, nClasses: C, seed, onCandidate: (nm, x) => st.set(nm, x) });
  console.log(`chosen ${s.chosen}`, JSON.stringify(s.candidates));
  for (const [name, state] of st) {
    const probs = predictTextHead(state, ds.pool.texts);
    const candidates = Int32Array.from([...Array(n).keys()].filter((i) => !human.includes(i)));
    const res = propose({ probs, n, nClasses: C, classes: ds.classes, candidates, threshold });
    const hist: Record<string, number> = {};
    let ok = 0;
    for (const p of res.proposals) {
      const t = ds.classes[ds.pool.y[p.index]];
      hist[`${p.label}←${t}`] = (hist[`${p.label}←${t}`] ?? 0) + 1;
      if (p.label === t) ok++;
    }
    const oof = state.oof!;
    let hi = 0;
    let hiOk = 0;
    const confs: string[] = [];
    oof.index.forEach((row, k) => {
      let b = 0;
      for (let c = 1; c < C; c++) if (oof.probs[k * C + c] > oof.probs[k * C + b]) b = c;
      const p = oof.probs[k * C + b];
      confs.push(`${p.toFixed(2)}${b === ds.pool.y[row] ? '+' : '-'}`);
      if (p >= threshold) {
        hi++;
        if (b === ds.pool.y[row]) hiOk++;
      }
    });
    console.log(
      `${name}: T ${state.temperature.toFixed(3)} est ${state.estimatedAccuracy} test ${(accuracy(predictTextHead(state, ds.test.texts), ds.test.y, C) * 100).toFixed(1)}%` +
        ` proposals ${res.proposals.length} expected ${(res.expectedPrecision * 100).toFixed(1)} measured ${((ok / Math.max(1, res.proposals.length)) * 100).toFixed(1)} ${JSON.stringify(hist)}` +
        `\n   oof ≥ ${threshold}: ${hi} (${hiOk} right); oof conf ${confs.sort().join(' ')}`,
    );
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
