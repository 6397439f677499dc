// Summarises bench JSON results (.bench/runs/*.json by default) as the markdown rows of BENCHMARKS.md's
// "Image dev sets beside the baselines": SelfLabel and every baseline, test and dataset label accuracy, human
// labels, seconds per stage and the load average.
//   node research/summarise.mjs [FILE.json ...]
import fs from 'node:fs';
import path from 'node:path';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync('.bench/runs').filter((f) => f.endsWith('.json') && !f.startsWith('try-')).sort().map((f) => path.join('.bench/runs', f));
const pct = (x) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
const s = (x) => (x === null || x === undefined ? '—' : Math.round(x).toString());
console.log('| run | pool / test | human labels | SelfLabel test / dataset | pca-logreg | random-pca-logreg | supervised-encoder | seconds: pretrain / rounds / final train / baselines (a, b+c) | load avg |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const f of files) {
  const r = JSON.parse(fs.readFileSync(f, 'utf8'));
  const b = Object.fromEntries((r.baselines ?? []).map((x) => [x.name.replace(/^random-tfidf/, 'random-pca').replace(/^tfidf/, 'pca'), x]));
  const cell = (x) => (x ? `${pct(x.testAccuracy)} / ${pct(x.datasetLabelAccuracy)}` : '—');
  const rounds = r.rounds.reduce((t, x) => t + x.seconds.total, 0);
  const plain = (b['pca-logreg']?.seconds ?? 0) + (b['random-pca-logreg']?.seconds ?? 0);
  console.log(
    `| ${path.basename(f, '.json')}${r.options.imageSize ? ` (${r.options.imageSize} px)` : ''}${r.options.classifier ? ` (${r.options.classifier} head)` : ''} | ${r.items} / ${r.testItems} | ${r.final.humanActions} | **${pct(r.final.testAccuracy)}** / ${pct(r.final.datasetLabelAccuracy)} | ${cell(b['pca-logreg'])} | ${cell(b['random-pca-logreg'])} | ${cell(b['supervised-encoder'])} | ${s(r.pretrain.seconds)} / ${s(rounds)} / ${s(r.final.trainSeconds)} / ${s(b['supervised-encoder']?.seconds)}, ${s(plain)} | ${r.machine.loadAverage.start.toFixed(1)} → ${r.machine.loadAverage.end.toFixed(1)} |`,
  );
}
