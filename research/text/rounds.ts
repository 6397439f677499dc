/**
 * The product's no-review rounds of the text head, in one process (what `selflabel bench --no-review --rounds R`
 * does with the lexical head, without the workspace, the workers and the baselines): K random labels per class,
 * then per round: fit the head on every label (human labels holdout 1, accepted ones holdout 0, as
 * src/core/project/training.ts builds the train set) → predict the pool → propose every unlabelled item whose
 * calibrated confidence ≥ threshold (src/core/proposals) → accept them all. Prints per round the proposals, their
 * expected precision (mean confidence) and measured precision (against the truth), the test accuracy, the fit
 * seconds; and TF-IDF + LR (research/text/baseline.ts) on the same human labels, timed in the same run.
 * Usage: node --import tsx research/text/rounds.ts DATASET[,…] [--seeds 1,2,3] [--rounds 3] [--k 10]
 *   [--threshold 0.9] [--knobs '{json TextHeadOptions}'] [--defaults '{json, merged into LINEAR_TEXT_DEFAULTS}']
 *   [--bench-seeds]   (the seed labels `selflabel bench --seed S` picks, data.ts benchSeedLabels; default the research ones)
 */
import { confidenceCap, fitTextHead, LINEAR_TEXT_DEFAULTS, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { propose } from '../../src/core/proposals';
import { applyPriorWeights, baggedBbsePriors, estimatePoolPriors, priorShiftEvidence, trainingPriors } from '../../src/core/train/priors';
import { heldOutLabels } from '../../src/core/train/crossval';
import { PRIOR_MIN_ACCURACY } from '../../src/core/project/training';
import { argmaxRow } from '../../src/core/util/math';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, median, seedsFor } from './data';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const sets = args[0].split(',');
const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const R = Number(opt('rounds', '3'));
const threshold = Number(opt('threshold', '0.9'));
const knobs = JSON.parse(opt('knobs', '{}')) as Record<string, unknown>;
Object.assign(LINEAR_TEXT_DEFAULTS, JSON.parse(opt('defaults', '{}')) as Partial<typeof LINEAR_TEXT_DEFAULTS>);
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

async function main() {
  for (const name of sets) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const n = ds.pool.texts.length;
    console.log(
      `${name}: ${n} pool, ${ds.test.texts.length} test, ${C} classes, knobs ${JSON.stringify(knobs)}, lsaBeta ${LINEAR_TEXT_DEFAULTS.lsaBeta}`,
    );
    const gaps: number[][] = Array.from({ length: R }, () => []);
    const summary: string[] = [];
    for (const seed of seeds) {
      const human = seedsFor(ds, K, seed, args.includes('--bench-seeds'));
      const tl = Date.now();
      const lrAcc = accuracy(tfidfLogReg(ds.pool.texts, human, ds.pool.y, C, ds.test.texts), ds.test.y, C);
      const lrSec = (Date.now() - tl) / 1000;
      const labels = new Map<number, { y: number; human: boolean }>();
      for (const i of human) labels.set(i, { y: ds.pool.y[i], human: true });
      let fitSec = 0;
      let testAcc = NaN;
      for (let r = 1; r <= R + 1; r++) {
        const rows = [...labels.keys()];
        const train = {
          index: Int32Array.from(rows),
          y: Int32Array.from(rows, (i) => labels.get(i)!.y),
          weight: new Float32Array(rows.length).fill(1),
          holdout: Uint8Array.from(rows, (i) => (labels.get(i)!.human ? 1 : 0)),
        };
        const t0 = Date.now();
        const state = await fitTextHead({ texts: ds.pool.texts, train, nClasses: C, seed, ...knobs });
        const sec = (Date.now() - t0) / 1000;
        fitSec += sec;
        let probs = predictTextHead(state, ds.pool.texts);
        let testProbs = predictTextHead(state, ds.test.texts);
        // PRIORS=em|auto: the pool's class priors (src/core/train/priors.ts) applied to the head's probabilities, as
        // src/core/project/training.ts does for the embedding heads (auto: EM when the head is right on ≥ PRIOR_MIN_ACCURACY of its
        // held-out labels, else bagged BBSE when the χ² test says the pool is shifted, else nothing).
        if (process.env.PRIORS) {
          const yOf = heldOutLabels(train);
          const humanY = Int32Array.from([...yOf.values()]);
          const trainPri = trainingPriors(humanY, undefined, C);
          const oof = state.oof;
          const oy = oof ? Int32Array.from(oof.index, (r) => yOf.get(r) ?? -1) : undefined;
          const okOof = oof && oy && oy.every((v) => v >= 0);
          const strong = (state.estimatedAccuracy ?? 0) >= PRIOR_MIN_ACCURACY;
          let estimate: number[] | undefined;
          let how = 'none';
          if (process.env.PRIORS === 'em' || strong) {
            estimate = estimatePoolPriors(probs, n, C, trainPri).priors;
            how = 'em';
          } else if (okOof) {
            const ev = priorShiftEvidence(oof!.probs, oy!, probs, n, C, trainPri);
            if (ev.shifted) {
              estimate = baggedBbsePriors(oof!.probs, oy!, probs, n, C, { seed });
              how = `bbse (chi2 ${ev.chi2.toFixed(1)} > ${ev.threshold.toFixed(1)})`;
            } else how = `none (chi2 ${ev.chi2.toFixed(1)} ≤ ${ev.threshold.toFixed(1)})`;
          }
          if (estimate) {
            const w = estimate.map((q, c) => q / trainPri[c]);
            probs = applyPriorWeights(probs, n, C, w);
            testProbs = applyPriorWeights(testProbs, ds.test.texts.length, C, w);
          }
          console.log(`    priors ${how}: ${estimate ? estimate.map((q) => (100 * q).toFixed(0)).join('/') : '—'}`);
        }
        testAcc = accuracy(testProbs, ds.test.y, C);
        if (process.env.PERCLASS) {
          // Test recall per class, and how many test items each class is predicted for (PERCLASS=1).
          const right = new Array<number>(C).fill(0);
          const total = new Array<number>(C).fill(0);
          const predicted = new Array<number>(C).fill(0);
          for (let i = 0; i < ds.test.y.length; i++) {
            const b = argmaxRow(testProbs, i, C);
            total[ds.test.y[i]]++;
            predicted[b]++;
            if (b === ds.test.y[i]) right[b]++;
          }
          const cells = ds.classes.map((c, k) => `${c} ${right[k]}/${total[k]} (predicted ${predicted[k]})`);
          console.log(`    test recall: ${cells.join(', ')}`);
        }
        const stc = state.selfTraining;
        const selfT = stc
          ? ` pseudo ${stc.kept ? 'kept' : 'dropped'} (${pct(stc.withAccuracy)} with / ${pct(stc.withoutAccuracy)} without)`
          : '';
        const cands = (state.candidates ?? [])
          .map((c) => `${c.name} ${pct(c.estimatedAccuracy ?? NaN)} ${c.seconds.toFixed(1)}s`)
          .join(', ');
        if (r > R) {
          console.log(`  seed ${seed} final: test ${pct(testAcc)}%  fit ${sec.toFixed(1)}s  chose ${state.chosen}${selfT} [${cands}]`);
          break;
        }
        const candidates = Int32Array.from([...Array(n).keys()].filter((i) => !labels.has(i)));
        const cls = ds.classes;
        if (process.env.RELIABILITY) {
          const caps = [state, ...(state.kind === 'text-ensemble' ? state.members : [])]
            .map(
              (s) =>
                `${s.chosen ?? s.kind} ${confidenceCap(s)?.toFixed(3) ?? 'none'} (max held-out ${s.maxConfidence?.toFixed(3) ?? '—'}, pushed ${s.pushed ? `${s.pushed.right} of ${s.pushed.rows} right` : '—'})`,
            )
            .join(', ');
          console.log(`    unlabelled pool by confidence: ${reliability(probs, ds.pool.y, candidates, C)}; caps: ${caps}`);
        }
        const res = propose({ probs, n, nClasses: C, classes: cls, candidates, threshold });
        let ok = 0;
        for (const p of res.proposals) if (cls.indexOf(p.label) === ds.pool.y[p.index]) ok++;
        const measured = res.proposals.length ? ok / res.proposals.length : NaN;
        const expected = res.proposals.length ? res.expectedPrecision : NaN;
        if (res.proposals.length) gaps[r - 1].push(Math.abs(expected - measured));
        // The same fit before head.ts withSoftening (the code before session 8): what it would have claimed.
        const f = state.softened?.factor ?? 1;
        const raw = propose({
          probs: predictTextHead({ ...state, temperature: state.temperature / f }, ds.pool.texts),
          n,
          nClasses: C,
          classes: ds.classes,
          candidates,
          threshold,
        });
        let rawOk = 0;
        for (const p of raw.proposals) if (ds.classes.indexOf(p.label) === ds.pool.y[p.index]) rawOk++;
        const before = raw.proposals.length
          ? ` [softened ×${f.toFixed(2)}; unsoftened: ${raw.proposals.length} at ${pct(raw.expectedPrecision)} / ${pct(rawOk / raw.proposals.length)}]`
          : ` [softened ×${f.toFixed(2)}]`;
        console.log(
          `  seed ${seed} round ${r}: labels ${rows.length}, proposals ${res.proposals.length}, expected ${pct(expected)}% measured ${pct(measured)}%` +
            `  test ${pct(testAcc)}%  est ${pct(state.estimatedAccuracy ?? NaN)}%  fit ${sec.toFixed(1)}s  chose ${state.chosen}${selfT} [${cands}]${before}`,
        );
        for (const p of res.proposals) labels.set(p.index, { y: cls.indexOf(p.label), human: false });
      }
      summary.push(
        `  seed ${seed}: final test ${pct(testAcc)}% vs tfidf-LR ${pct(lrAcc)}% (${lrSec.toFixed(1)}s); head fits ${fitSec.toFixed(1)}s = ${(fitSec / lrSec).toFixed(1)}× LR`,
      );
    }
    for (const s of summary) console.log(s);
    gaps.forEach(
      (g, r) =>
        g.length && console.log(`${name} round ${r + 1}: median |expected − measured| ${pct(median(g))} points [${g.map(pct).join(', ')}]`),
    );
  }
}
/** The unlabelled items by their top calibrated probability, in bins: count, mean confidence, accuracy. */
function reliability(probs: Float32Array, y: Int32Array, items: Int32Array, C: number): string {
  const edges = [0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 1.0001];
  const bins = edges.slice(1).map(() => ({ n: 0, conf: 0, ok: 0 }));
  for (const i of items) {
    const b = argmaxRow(probs, i, C);
    const p = probs[i * C + b];
    const k = edges.findIndex((e, j) => p >= e && p < edges[j + 1]);
    bins[k].n++;
    bins[k].conf += p;
    if (b === y[i]) bins[k].ok++;
  }
  return bins
    .map((b, k) => (b.n ? `[${edges[k]}, ${Math.min(1, edges[k + 1])}) ${b.n} at ${pct(b.conf / b.n)} / ${pct(b.ok / b.n)}` : ''))
    .filter(Boolean)
    .join('; ');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
