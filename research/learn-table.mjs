// Table of research/learn-runs.sh results: per run, SelfLabel before / after (test and dataset label accuracy, %),
// each baseline (from the run that measured them), the model chosen in the final train, and per round the expected
// vs measured precision of the proposals (after).   node research/learn-table.mjs [.bench/runs]
import * as fs from 'node:fs';
import * as path from 'node:path';
const dir = process.argv[2] ?? '.bench/runs';
const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
const read = (f) => (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null);
const tags = [
  ...new Set(
    fs
      .readdirSync(dir)
      .filter((f) => /-(before|after)\.json$/.test(f))
      .map((f) => f.replace(/-(before|after)\.json$/, '')),
  ),
].sort();
const rows = [];
for (const tag of tags) {
  const b = read(path.join(dir, `${tag}-before.json`));
  const a = read(path.join(dir, `${tag}-after.json`));
  const base = (a?.baselines?.length ? a : b)?.baselines ?? [];
  const bl = (name) => {
    const x = base.find((y) => y.name === name);
    return x ? `${pct(x.testAccuracy)} / ${pct(x.datasetLabelAccuracy)}` : '—';
  };
  const best = base.length ? Math.max(...base.map((x) => x.testAccuracy ?? 0)) : null;
  const ch = a?.final?.chosen;
  const prec = (a?.rounds ?? []).map((r) => `${pct(r.expectedPrecision)}→${pct(r.proposalPrecision)}`).join(', ');
  rows.push(
    `| ${tag} | ${b ? `${pct(b.final.testAccuracy)} / ${pct(b.final.datasetLabelAccuracy)}` : '—'} | ${a ? `**${pct(a.final.testAccuracy)}** / ${pct(a.final.datasetLabelAccuracy)}` : '—'} | ` +
      `${bl('pca-logreg')} | ${bl('random-pca-logreg')} | ${bl('supervised-encoder')} | ${a && best !== null ? (100 * (a.final.testAccuracy - best)).toFixed(1) : '—'} | ` +
      `${ch ? `${ch.name} (${ch.candidates.map((c) => `${c.name} ${pct(c.accuracy)}`).join(', ')}; n=${ch.heldOut}${ch.priors?.applied ? '; priors applied' : ''})` : '—'} | ${prec || '—'} | ` +
      `${b ? b.final.wallSeconds.toFixed(0) : '—'} / ${a ? a.final.wallSeconds.toFixed(0) : '—'} |`,
  );
}
console.log(
  '| run | before: test / dataset | after: test / dataset | pca-logreg | random-pca-logreg | supervised-encoder | after − best baseline (test, points) | model chosen (final train; held-out acc.) | after: expected→measured precision per round | wall s before / after |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);

// Medians over seeds, per run name (the tag without -sN), where both before and after exist.
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const groups = new Map();
for (const tag of tags) {
  const b = read(path.join(dir, `${tag}-before.json`));
  const a = read(path.join(dir, `${tag}-after.json`));
  if (!a || !b) continue;
  const g = tag.replace(/-s\d+$/, '');
  const base = b.baselines ?? [];
  const bestTest = base.length ? Math.max(...base.map((x) => x.testAccuracy ?? 0)) : null;
  groups.set(g, [...(groups.get(g) ?? []), { seed: tag.match(/-s(\d+)$/)?.[1], b, a, bestTest }]);
}
console.log(
  '\n| run (medians) | seeds | before: test / dataset | after: test / dataset | best baseline test | after − best baseline (test, points) |',
);
console.log('|---|---|---|---|---|---|');
for (const [g, rs] of groups) {
  if (rs.length < 2) continue;
  const m = (f) => pct(med(rs.map(f)));
  console.log(
    `| ${g} | ${rs.map((r) => r.seed).join(', ')} | ${m((r) => r.b.final.testAccuracy)} / ${m((r) => r.b.final.datasetLabelAccuracy)} | ` +
      `**${m((r) => r.a.final.testAccuracy)}** / ${m((r) => r.a.final.datasetLabelAccuracy)} | ${m((r) => r.bestTest)} | ` +
      `${(100 * med(rs.map((r) => r.a.final.testAccuracy - r.bestTest))).toFixed(1)} |`,
  );
}
