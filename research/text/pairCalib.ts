/**
 * Session 14: how the pair (linear-lsa + linear-subword, head.ts TEXT_HEAD_PAIR) should be calibrated. Per dataset and
 * seed (K random labels/class, no review, one fit): round 1's proposals (pool rows not labelled, top probability ≥ the
 * threshold) under each way of averaging the two members' calibrated probabilities — expected (mean confidence) vs
 * measured precision on the pool's truth — and the test accuracy:
 *   lsa          linear-lsa alone (the usual choice before the pair);
 *   pair         head.ts ensembleOf as it is: the temperature fitted on the averaged out-of-fold probabilities (softened),
 *                then the top class no more probable than the least sure member's probability of it (leastSure);
 *   pair-free    the same without that cap (the first build of the pair);
 *   avg          the members' probabilities averaged, no temperature, no cap.
 * (A variant with the temperature never under 1 — the average never sharpened — was measured in session 14 and
 * claimed as much as `avg`: BENCHMARKS.md "Session 14 — text".)
 * Usage: node --import tsx research/text/pairCalib.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--threshold 0.9]
 */
import { capConfidence, confidenceCap, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { softmaxRows } from '../../src/core/train/calibration';
import { accuracy, fitPair, gapMediansLine, loadTextDataset, roundOneProposals, seedLabels, humanTrainSet } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const threshold = Number(opt('threshold', '0.9'));
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const gaps: Record<string, number[]> = {};
    const tests: Record<string, number[]> = {};
    for (const seed of seeds) {
      const human = seedLabels(ds.pool.y, C, K, seed);
      const train = humanTrainSet(human, ds.pool.y);
      const { pair, lsa, subword: sub } = await fitPair(ds.pool.texts, train, C, seed);
      const skip = new Set(human);
      const run = (texts: string[]) => {
        const n = texts.length;
        const pl = predictTextHead(lsa, texts);
        const ps = predictTextHead(sub, texts);
        const pp = predictTextHead(pair, texts);
        const avg = new Float32Array(pl.length);
        for (let q = 0; q < avg.length; q++) avg[q] = (pl[q] + ps[q]) / 2;
        // The pair without the members' cap: the tempered average, capped only as the state caps (confidenceCap).
        const free = capConfidence(
          softmaxRows(
            Float32Array.from(avg, (v) => Math.log(Math.max(v, 1e-38))),
            n,
            C,
            pair.temperature,
          ),
          n,
          C,
          confidenceCap(pair),
        );
        return { lsa: pl, pair: pp, 'pair-free': free, avg } as Record<string, Float32Array>;
      };
      const onPool = run(ds.pool.texts);
      const onTest = run(ds.test.texts);
      const line: string[] = [];
      for (const k of Object.keys(onPool)) {
        const pr = roundOneProposals(onPool[k], ds.pool.y, skip, C, threshold);
        const t = accuracy(onTest[k], ds.test.y, C);
        (gaps[k] ??= []).push(pr.expected - pr.measured);
        (tests[k] ??= []).push(t);
        line.push(`${k} ${pct(t)} [${pr.n}: ${pct(pr.expected)} / ${pct(pr.measured)}]`);
      }
      console.log(`${name} seed ${seed} (pair T ${pair.temperature.toFixed(2)}): ${line.join(', ')}`);
    }
    console.log(gapMediansLine(name, tests, gaps));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
