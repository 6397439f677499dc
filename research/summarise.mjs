// Summarises bench JSON results (.bench/runs/*.json by default) as the markdown rows of BENCHMARKS.md's
// "Image dev sets beside the baselines": SelfLabel and every baseline, test and dataset label accuracy, human
// labels, seconds per stage and the load average.
//   node research/summarise.mjs [--wall-includes-baselines] [FILE.json ...]
// --wall-includes-baselines: for results written before the bench stopped SelfLabel's wall clock ahead of the
// baselines (the runs of 2026-12-02 in BENCHMARKS.md): their seconds are subtracted from final.wallSeconds.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2).filter((a) => a !== '--wall-includes-baselines');
const minusBaselines = process.argv.includes('--wall-includes-baselines');
const files = args.length
  ? args
  : fs.readdirSync('.bench/runs').filter((f) => f.endsWith('.json') && !f.startsWith('try-')).sort().map((f) => path.join('.bench/runs', f));
const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
const ratio = (a, b) => (a && b ? (a / b).toFixed(1) : '—');
const s = (x) => (x === null || x === undefined ? '—' : Math.round(x).toString());
console.log('| run | pool / test | human labels | SelfLabel test / dataset | pca-logreg | random-pca-logreg | supervised-encoder | seconds: pretrain / rounds / final train / baselines (a, b+c) | SelfLabel wall s (× pca-logreg, × supervised-encoder) | load avg |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const f of files) {
  const r = JSON.parse(fs.readFileSync(f, 'utf8'));
  const b = Object.fromEntries((r.baselines ?? []).map((x) => [x.name.replace(/^random-tfidf/, 'random-pca').replace(/^tfidf/, 'pca'), x]));
  const cell = (x) => (x ? `${pct(x.testAccuracy)} / ${pct(x.datasetLabelAccuracy)}` : '—');
  const rounds = r.rounds.reduce((t, x) => t + x.seconds.total, 0);
  const plain = (b['pca-logreg']?.seconds ?? 0) + (b['random-pca-logreg']?.seconds ?? 0);
  // Those old results also counted the shared PCA/TF-IDF features in both plain baselines' seconds: the max of the
  // two is their time to within the smaller fit (≤ 2 s here).
  const oldPlain = Math.max(b['pca-logreg']?.seconds ?? 0, b['random-pca-logreg']?.seconds ?? 0);
  const wall = r.final.wallSeconds - (minusBaselines ? oldPlain + (b['supervised-encoder']?.seconds ?? 0) : 0);
  console.log(
    `| ${path.basename(f, '.json')}${r.options.imageSize ? ` (${r.options.imageSize} px)` : ''}${r.options.classifier ? ` (${r.options.classifier} head)` : ''} | ${r.items} / ${r.testItems} | ${r.final.humanActions} | **${pct(r.final.testAccuracy)}** / ${pct(r.final.datasetLabelAccuracy)} | ${cell(b['pca-logreg'])} | ${cell(b['random-pca-logreg'])} | ${cell(b['supervised-encoder'])} | ${s(r.pretrain.seconds)} / ${s(rounds)} / ${s(r.final.trainSeconds)} / ${s(b['supervised-encoder']?.seconds)}, ${s(minusBaselines ? oldPlain : plain)} | ${s(wall)} (×${ratio(wall, b['pca-logreg']?.seconds)}, ×${ratio(wall, b['supervised-encoder']?.seconds)}) | ${r.machine.loadAverage.start.toFixed(1)} → ${r.machine.loadAverage.end.toFixed(1)} |`,
  );
}
