/**
 * Session 17: why round 1's text proposals claim more than they measure on some sets (Debian descriptions: claimed
 * ~96%, measured 84–92%), and whether the pool's class priors explain it. The human labels are balanced (K per class)
 * while the pool is not, so a proposal of a rare class is more often a common class's item than the held-out labels
 * (balanced) can show. Per dataset and seed (K random labels/class, no review, one fit of the pair, as the product
 * chooses on these sets): round 1's proposals (unlabelled pool rows with top probability ≥ the threshold), expected
 * (mean confidence) vs measured precision, under:
 *   pair     the pair's probabilities as the product computes them (head.ts ensembleOf);
 *   em       re-weighted by the pool's class priors estimated by EM on the pair's pool probabilities (src/core/train/priors.ts);
 *   em-conf  the pair's labels, each with the EM re-weighted probability of its class as its confidence (the label kept,
 *            the claim corrected);
 *   em-min   the same, but the re-weighting may only lower a confidence (the claim never rises above the pair's);
 * then, for the wrong proposals of `pair`, how many were predicted as a class rarer in the pool than their true class.
 * Usage: node --import tsx research/text/priorCalib.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--threshold 0.9] [--bench-seeds]
 */
import { predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { applyPriorWeights, estimatePoolPriors, trainingPriors } from '../../src/core/train/priors';
import {
  accuracy,
  fitPair,
  gapMediansLine,
  loadTextDataset,
  roundOneProposals,
  seedsFor,
  humanTrainSet,
  type RoundOneProposals,
} from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const threshold = Number(opt('threshold', '0.9'));
/** `--bench-seeds`: the seed labels `selflabel bench --seed S` picks (data.ts benchSeedLabels). */
const benchSeeds = args.includes('--bench-seeds');
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const nPool = ds.pool.texts.length;
    const truePi = new Array<number>(C).fill(0);
    for (const c of ds.pool.y) truePi[c] += 1 / nPool;
    console.log(`${name}: ${C} classes, pool priors ${truePi.map((p, c) => `${ds.classes[c]} ${p.toFixed(3)}`).join(', ')}`);
    const gaps: Record<string, number[]> = {};
    const tests: Record<string, number[]> = {};
    for (const seed of seeds) {
      const human = seedsFor(ds, K, seed, benchSeeds);
      const train = humanTrainSet(human, ds.pool.y);
      const { pair } = await fitPair(ds.pool.texts, train, C, seed);
      const skip = new Set(human);
      const pool = predictTextHead(pair, ds.pool.texts);
      const test = predictTextHead(pair, ds.test.texts);
      const em = estimatePoolPriors(pool, nPool, C, trainingPriors(train.y, undefined, C));
      const poolEm = applyPriorWeights(pool, nPool, C, em.weights);
      const testEm = applyPriorWeights(test, ds.test.texts.length, C, em.weights);
      const runs: Record<string, [RoundOneProposals, number]> = {
        pair: [roundOneProposals(pool, ds.pool.y, skip, C, threshold), accuracy(test, ds.test.y, C)],
        em: [roundOneProposals(poolEm, ds.pool.y, skip, C, threshold), accuracy(testEm, ds.test.y, C)],
        'em-conf': [roundOneProposals(pool, ds.pool.y, skip, C, threshold, poolEm), accuracy(test, ds.test.y, C)],
        'em-min': [
          roundOneProposals(
            pool,
            ds.pool.y,
            skip,
            C,
            threshold,
            Float32Array.from(pool, (v, q) => Math.min(v, poolEm[q])),
          ),
          accuracy(test, ds.test.y, C),
        ],
      };
      const line: string[] = [];
      for (const [k, [pr, t]] of Object.entries(runs)) {
        (gaps[k] ??= []).push(pr.expected - pr.measured);
        (tests[k] ??= []).push(t);
        line.push(`${k} test ${pct(t)} [${pr.n}: ${pct(pr.expected)} / ${pct(pr.measured)}]`);
      }
      const w = runs.pair[0].wrong;
      const rarer = w.filter((x) => truePi[x.pred] < truePi[x.truth]).length;
      const pairs = new Map<string, number>();
      for (const x of w)
        pairs.set(`${ds.classes[x.truth]}→${ds.classes[x.pred]}`, (pairs.get(`${ds.classes[x.truth]}→${ds.classes[x.pred]}`) ?? 0) + 1);
      console.log(
        `${name} seed ${seed}: ${line.join(', ')}\n  EM priors ${em.priors.map((p) => p.toFixed(3)).join(' ')}\n` +
          `  wrong proposals ${w.length}, predicted as a class rarer in the pool than the truth: ${rarer}; ` +
          [...pairs]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 8)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
      );
    }
    console.log(gapMediansLine(name, tests, gaps));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
