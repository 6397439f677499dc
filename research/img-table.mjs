// Table of the session-6 image runs (/tmp-style names `.bench/runs/<set>-noreview-e4-s<seed>-<tag>.json`, made with
// --pretrained-from the 4-epoch encoders of research/learn-runs.sh): per run SelfLabel's test / dataset label
// accuracy, the baselines measured in that run, the model chosen in the final train with each candidate's held-out
// accuracy, expected → measured proposal precision per round, and the seconds of each train as a ratio to the first
// round's; then medians over seeds.       node research/img-table.mjs TAG [.bench/runs]
import * as fs from 'node:fs';
import * as path from 'node:path';
const tag = process.argv[2] ?? 's6';
const dir = process.argv[3] ?? '.bench/runs';
const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const rows = [];
const med = new Map();
for (const set of ['icons', 'letters', 'mnist2k']) {
  for (const seed of [1, 2, 3]) {
    const f = path.join(dir, `${set}-noreview-e4-s${seed}-${tag}.json`);
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, 'utf8'));
    const bl = (name) => {
      const x = (r.baselines ?? []).find((y) => y.name === name);
      return x ? `${pct(x.testAccuracy)} / ${pct(x.datasetLabelAccuracy)}` : '—';
    };
    const ch = r.final.chosen;
    const prec = r.rounds.map((x) => `${pct(x.expectedPrecision)}→${pct(x.proposalPrecision)}`).join(', ');
    const t1 = r.rounds[0].seconds.train;
    const trains = [...r.rounds.map((x) => x.seconds.train), r.final.trainSeconds].map((s) => (s / t1).toFixed(2)).join(' / ');
    rows.push(
      `| ${set}-s${seed} | **${pct(r.final.testAccuracy)}** / ${pct(r.final.datasetLabelAccuracy)} | ${r.rounds.map((x) => pct(x.testAccuracy)).join(' → ')} | ${bl('pca-logreg')} | ${bl('supervised-encoder')} | ` +
        `${ch ? `${ch.name} (${ch.candidates.map((c) => `${c.name} ${pct(c.accuracy)}`).join(', ')}; n=${ch.heldOut}${ch.priors?.applied ? '; priors' : ''})` : '—'} | ${prec} | 1 / ${trains.split(' / ').slice(1).join(' / ')} |`,
    );
    const m = med.get(set) ?? { test: [], data: [] };
    m.test.push(r.final.testAccuracy);
    m.data.push(r.final.datasetLabelAccuracy);
    med.set(set, m);
  }
}
console.log(
  '| run | final test / dataset | test per round | pca-logreg (this run) | supervised-encoder (this run) | model chosen (final train; held-out acc.) | expected→measured precision per round | train seconds: round 1 / round 2 / final (× round 1) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('\n| set | seeds | median test / dataset |\n|---|---|---|');
for (const [set, m] of med) console.log(`| ${set} | ${m.test.length} | ${pct(median(m.test))} / ${pct(median(m.data))} |`);
