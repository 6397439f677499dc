// Table of a session's image runs (`.bench/runs/<set>-noreview-e4-s<seed>-<TAG>.json`, research/s7-runs.sh,
// s8-runs.sh or s9-runs.sh; TAG s7, s8, …, compared with the session before's finals): per run
// the final and per-round test accuracy, the run's own baselines when it has them (s9-runs.sh), else those of the
// session-5 runs on the same seed labels (BENCHMARKS.md "Image learning: the model chosen by held-out labels": s7-
// and s8-runs.sh skip the baselines), the margin over the best,
// the model chosen with each candidate's held-out accuracy, expected →
// measured proposal precision per round, train seconds as ratios to round 1's; then medians.
//   node research/image-table.mjs TAG [.bench/runs]
import * as fs from 'node:fs';
import * as path from 'node:path';
const tag = process.argv[2] ?? 's7';
const dir = process.argv[3] ?? '.bench/runs';
// Test %, session 5 (same seed labels): [pca-logreg, supervised-encoder]; then the previous session's final test per
// session (session 6's for s7, session 7's for s8).
const BASELINES = {
  icons: { 1: [35.7, 30.3], 2: [33.5, 30.3], 3: [28.1, 26.2] },
  letters: { 1: [88.5, 93.5], 2: [87.4, 95.2], 3: [86.5, 93.5] },
  mnist2k: { 1: [77.0, 81.2], 2: [77.8, 87.1], 3: [74.6, 86.7] },
};
const PREVIOUS = {
  s7: { icons: [31.2, 29.9, null], letters: [84.1, 90.0, 92.0], mnist2k: [79.2, 86.1, 84.3] },
  s8: { icons: [31.2, 28.5, 29.9], letters: [94.3, 95.7, 96.1], mnist2k: [89.4, 90.6, 89.9] },
  // Session 9 ran icons seed 1 only (48 px); letters and MNIST-2k keep session 8's (28 px either way).
  s10: { icons: [35.3, null, null], letters: [96.1, 95.4, 95.9], mnist2k: [88.7, 89.9, 91.1] },
};
const session = Number(tag.replace(/\D/g, '')) || 7;
const prev = PREVIOUS[`s${session}`] ?? PREVIOUS.s7;
const BASE = Object.fromEntries(
  Object.entries(BASELINES).map(([set, bySeed]) => [
    set,
    Object.fromEntries(Object.entries(bySeed).map(([seed, b]) => [seed, [...b, prev[set][Number(seed) - 1]]])),
  ]),
);
const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
console.log(
  `| run | final test / dataset | test per round | pca-logreg | supervised-encoder | final − best baseline | session ${session - 1} final | model chosen (final train; held-out acc., n) | expected→measured precision per round | train s: round 1 / 2 / final (× round 1) |`,
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const med = [];
for (const set of ['icons', 'letters', 'mnist2k']) {
  const m = { test: [], data: [], margin: [], r1: [] };
  for (const seed of [1, 2, 3]) {
    const f = path.join(dir, `${set}-noreview-e4-s${seed}-${tag}.json`);
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, 'utf8'));
    const own = (name) => r.baselines?.find((b) => b.name === name)?.testAccuracy;
    const [pca0, sup0, s6] = BASE[set][seed];
    const pca = own('pca-logreg') !== undefined ? +(100 * own('pca-logreg')).toFixed(1) : pca0;
    const sup = own('supervised-encoder') !== undefined ? +(100 * own('supervised-encoder')).toFixed(1) : sup0;
    const best = Math.max(pca, sup);
    const t = 100 * r.final.testAccuracy;
    const ch = r.final.chosen;
    const prec = r.rounds.map((x) => `${pct(x.expectedPrecision)}→${pct(x.proposalPrecision)}`).join(', ');
    const t1 = r.rounds[0].seconds.train;
    const trains = [...r.rounds.map((x) => x.seconds.train), r.final.trainSeconds].map((s) => (s / t1).toFixed(2));
    console.log(
      `| ${set}-s${seed} | **${t.toFixed(1)}** / ${pct(r.final.datasetLabelAccuracy)} | ${r.rounds.map((x) => pct(x.testAccuracy)).join(' → ')} | ${pca} | ${sup} | ${(t - best).toFixed(1)} | ${s6 ?? '—'} | ` +
        `${ch ? `${ch.name} (${ch.candidates.map((c) => `${c.name} ${pct(c.accuracy)}`).join(', ')}; n=${ch.heldOut}${ch.priors?.applied ? '; priors' : ''})` : '—'} | ${prec} | 1 / ${trains.slice(1).join(' / ')} |`,
    );
    m.test.push(t);
    m.data.push(100 * r.final.datasetLabelAccuracy);
    m.margin.push(t - best);
    m.r1.push(100 * r.rounds[0].testAccuracy);
  }
  if (m.test.length) med.push([set, m]);
}
console.log(
  '\n| set | seeds | median final test | median round-1 test | median dataset | median final − best baseline |\n|---|---|---|---|---|---|',
);
for (const [set, m] of med)
  console.log(
    `| ${set} | ${m.test.length} | ${median(m.test).toFixed(1)} | ${median(m.r1).toFixed(1)} | ${median(m.data).toFixed(1)} | ${median(m.margin).toFixed(1)} |`,
  );
