// `npm run bench`: the benchmark suite. Prepares the data its runs read if needed (scripts/prepare-data.mjs), builds (esbuild →
// dist/), then runs the named runs, each one `selflabel bench …` in its own process (dist/cli.js; or src/bench/main.ts
// under tsx with --runner tsx), writes .bench/results/<run>.json, and prints each run's markdown report, then a
// summary table and the target comparison (PASS/MISS).
//
//   node scripts/bench.mjs                 the full setting: whole MNIST (60,000 pool / 10,000 test) and SpamAssassin
//   node scripts/bench.mjs --quick         both datasets in a few minutes: smaller pools, fewer epochs
//   --only a,b        run only these (mnist-noreview, mnist-review, spam-noreview, debian-desc-noreview,
//                     debian-desc-small-noreview, manpages-noreview, manpages-small-noreview, icons-noreview,
//                     icons-review, letters-noreview, mnist2k-noreview, mnist2k-review, papirus-noreview, audio-words-noreview,
//                     audio-speakers-noreview, ui, activation, speed, scale, noise-mnist, noise-spam)
//   text runs: Debian package descriptions / man pages by section (scripts/prepare-text-data.mjs, prepared on first
//   use), 10 labels/class, no review; --quick has debian-desc-small-noreview only
//   audio-words-noreview / audio-speakers-noreview: the espeak-ng sets of scripts/prepare-audio-data.mjs (made when
//   missing, in .bench/data or $SELFLABEL_AUDIO_DATA), 10 labels per class, no review, MFCC and supervised baselines
//   noise-mnist, noise-spam: src/bench/noise.ts — 10% and 20% of 400 human labels flipped on a 2,000-item sample,
//   recall and precision of `disagreements` (confident learning), medians of seeds 1–9
//   speed: scripts/bench-speed.ts — training and embedding against a PyTorch peer on the same models (BENCHMARKS.md)
//   scale: src/bench/scale.ts — first scan of 100,000 files and status on a 1,000,000-event journal, as ratios to
//   find -exec cat and to JSON.parse of the journal's lines in the same run
//   ui: scripts/bench-ui.mjs in its own process — side panel responsiveness while training, the review grid with
//   10,000 proposals, the 100,000-file scan, in code-server + Chromium (its own tables; its targets join the table)
//   activation: VS Code's own activation times of the extension (scripts/bench-activation.mjs, < 100 ms)
//   speed: training and embedding rates against PyTorch on the same models (scripts/bench-speed.ts; PyTorch from
//   Debian's python3-torch, skipped with a message when absent)
//   --repeat K        K runs each (seeds S..S+K-1); the JSON and the tables report the median of every number, and
//                     `selflabel bench --check` checks the run's targets on those medians
//   --seed S          first seed (default 1)     --runner cli|tsx (default cli)     --no-build
//   --keep            keep the scratch workspaces      -- ARGS…  passed on to every run (e.g. -- --workers 1)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAll, DATA_DIR, DATASETS } from './prepare-data.mjs';
import { prepareText } from './prepare-text-data.mjs';

/** Where the audio sets are (made by scripts/prepare-audio-data.mjs when missing). */
const AUDIO_DATA_DIR = process.env.SELFLABEL_AUDIO_DATA ? path.resolve(process.env.SELFLABEL_AUDIO_DATA) : DATA_DIR;
const AUDIO_SETS = { 'audio-words-noreview': 'audio-words', 'audio-speakers-noreview': 'audio-speakers' };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, '.bench', 'results');
const workDir = path.join(root, '.bench', 'work');

/**
 * The targets of the open issues, per named run (BENCHMARKS.md "Targets"). In --quick mode they are shown for
 * orientation only. Issue 11: MNIST ≥ 99.0% with 10 labels a class and no review; the MNIST pool ≥ 99.5% right with
 * ≤ 1,000 human actions; SpamAssassin ≥ 98%; every other dev set ≥ 10 points above the best baseline of the same run
 * (same labels), or ≥ 95%; with review, above every baseline, random picks included. Issue 14: the whole MNIST
 * no-review run ≤ 10 minutes. Issue 12: spoken words ≥ 97% and speakers ≥ 95%, each also ≥ 10 points above the best
 * baseline; the whole words run ≤ 10 minutes.
 */
const OR_BASELINES = 'final.testAccuracy>=0.95 or baselineMargin.test>=0.10';
export const TARGETS = {
  'mnist-noreview': [
    'MNIST 10/class no-review test accuracy=final.testAccuracy>=0.99',
    'pretraining images/s, both cores, wall clock=speed.pretrainItemsPerSecond.wall>=800',
    'whole MNIST no-review run, seconds=final.wallSeconds<=600',
  ],
  'mnist-review': [
    'MNIST 10/class + review: dataset label accuracy=final.datasetLabelAccuracy>=0.995',
    'MNIST 10/class + review: human actions=final.humanActions<=1000',
  ],
  'spam-noreview': ['SpamAssassin 10/class no-review test accuracy=final.testAccuracy>=0.98'],
  // Text dev sets: 10 points above the run's own TF-IDF + logistic regression (same labels), or 95%.
  'debian-desc-noreview': [`Debian sections 10/class no-review: ≥ 95% or 10 points over the best baseline=${OR_BASELINES}`],
  'debian-desc-small-noreview': [`Debian sections, small pool, 10/class no-review: ≥ 95% or +10 points=${OR_BASELINES}`],
  'manpages-noreview': [`man page sections 10/class no-review: ≥ 95% or +10 points=${OR_BASELINES}`],
  'manpages-small-noreview': [`man page sections, small pool, 10/class no-review: ≥ 95% or +10 points=${OR_BASELINES}`],
  // The image dev sets: 10 points above every plain baseline (PCA + LR, the encoder from scratch), or 95%; with
  // review, above every baseline, the same budget spent on random picks included.
  'icons-noreview': [`icons 10/class no-review: ≥ 95% or +10 points over the best baseline=${OR_BASELINES}`],
  'icons-review': ['icons 10/class + review: test − best baseline (random picks incl.)=baselineMargin.test>0'],
  'letters-noreview': [`letters 10/class no-review: ≥ 95% or +10 points over the best baseline=${OR_BASELINES}`],
  'mnist2k-noreview': [`MNIST-2k 10/class no-review: ≥ 95% or +10 points over the best baseline=${OR_BASELINES}`],
  'mnist2k-review': ['MNIST-2k 10/class + review: test − best baseline (random picks incl.)=baselineMargin.test>0'],
  // Issue 14's "10,000-image 64×64 colour folder": the Papirus icon theme (9,239 pool images at 64×64×3).
  'papirus-noreview': [
    `Papirus icons 10/class no-review: ≥ 95% or +10 points over the best baseline=${OR_BASELINES}`,
    'whole 64×64 colour folder (9,239 images) no-review run, seconds=final.wallSeconds<=900',
  ],
  'audio-words-noreview': [
    'spoken words 10/class no-review test accuracy=final.testAccuracy>=0.97',
    'spoken words: test − best baseline=baselineMargin.test>=0.10',
    'whole audio-words no-review run, seconds=final.wallSeconds<=600',
  ],
  'audio-speakers-noreview': [
    'speaker ID 10/class no-review test accuracy=final.testAccuracy>=0.95',
    'speaker ID: test − best baseline=baselineMargin.test>=0.10',
  ],
};

/** Named text runs → the scripts/prepare-text-data.mjs dataset that makes their data (prepared on first use). */
const TEXT_RUNS = {
  'debian-desc-noreview': 'debian-desc',
  'debian-desc-small-noreview': 'debian-desc',
  'manpages-noreview': 'manpages',
  'manpages-small-noreview': 'manpages',
};

/** Makes an audio set with scripts/prepare-audio-data.mjs when its marker is missing. */
function prepareAudio(set, quick) {
  if (fs.existsSync(path.join(AUDIO_DATA_DIR, set, '.prepared.json'))) return;
  const args = [path.join(root, 'scripts', 'prepare-audio-data.mjs'), '--only', set, '--out', AUDIO_DATA_DIR];
  if (quick) args.push('--per-class', '60', '--test-per-class', '20');
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`preparing ${set} failed`);
}

function dataArgs(name, dir = DATA_DIR) {
  const d = path.join(dir, name);
  return [
    '--data',
    path.join(d, 'pool'),
    '--truth',
    path.join(d, 'pool-truth.csv'),
    '--test-data',
    path.join(d, 'test'),
    '--test-truth',
    path.join(d, 'test-truth.csv'),
    '--name',
    name,
  ];
}

/** The suite: run name → bench arguments, for the full and the quick setting. */
export function suite(quick) {
  const common = ['--seed-per-class', '10'];
  // Image dev sets nobody tuned for (scripts/prepare-data.mjs): small pools, beside the baselines.
  const ep = quick ? ['--epochs', '2'] : [];
  const review = ['--rounds', '2', '--review', '100', '--uncertain', '50'];
  const images = {
    'icons-noreview': [...dataArgs('icons'), ...common, '--no-review', '--rounds', '2', ...ep],
    'icons-review': [...dataArgs('icons'), ...common, ...review, ...ep],
    'letters-noreview': [...dataArgs('letters'), ...common, '--no-review', '--rounds', '2', ...ep],
    'mnist2k-noreview': [
      ...dataArgs('mnist'),
      ...common,
      '--no-review',
      '--rounds',
      '2',
      '--pool-limit',
      '2000',
      '--test-limit',
      '1000',
      ...ep,
    ],
    'mnist2k-review': [...dataArgs('mnist'), ...common, ...review, '--pool-limit', '2000', '--test-limit', '1000', ...ep],
    'papirus-noreview': [
      ...dataArgs('papirus'),
      ...common,
      '--no-review',
      '--rounds',
      '2',
      ...(quick ? ['--pool-limit', '2000', '--test-limit', '600'] : []),
      ...ep,
    ],
  };
  if (!quick) {
    return {
      ...images,
      'mnist-noreview': [...dataArgs('mnist'), ...common, '--no-review', '--rounds', '2'],
      // 100 seed + 4 × 225 uncertain = 1,000 human actions (issue 11's budget; sessions 1–3 measured 2,000), then the
      // final train fine-tunes the encoder. Reviewing the most confident proposals costs actions and finds nothing to
      // fix (session 1: 800 reviewed, 0 wrong), so the whole budget goes to the items suggest() finds most uncertain
      // (about half of them were mislabelled).
      'mnist-review': [
        ...dataArgs('mnist'),
        ...common,
        '--rounds',
        '4',
        '--review',
        '0',
        '--uncertain',
        '225',
        '--budget',
        '1000',
        '--finetune',
      ],
      'spam-noreview': [...dataArgs('spam'), ...common, '--no-review', '--rounds', '2'],
      'debian-desc-noreview': [...dataArgs('debian-desc'), ...common, '--no-review', '--rounds', '2'],
      'debian-desc-small-noreview': [...dataArgs('debian-desc-small'), ...common, '--no-review', '--rounds', '2'],
      'manpages-noreview': [...dataArgs('manpages'), ...common, '--no-review', '--rounds', '2'],
      'manpages-small-noreview': [...dataArgs('manpages-small'), ...common, '--no-review', '--rounds', '2'],
      // The audio sets pretrain for the project's default epochs (8), as a user's run does: 20 gave the same final test
      // on five of six seeds (the encoders won no candidate there; BENCHMARKS.md "Session 23 — audio").
      'audio-words-noreview': [...dataArgs('audio-words', AUDIO_DATA_DIR), ...common, '--no-review', '--rounds', '2'],
      'audio-speakers-noreview': [...dataArgs('audio-speakers', AUDIO_DATA_DIR), ...common, '--no-review', '--rounds', '2'],
    };
  }
  return {
    ...images,
    'mnist-noreview': [
      ...dataArgs('mnist'),
      ...common,
      '--no-review',
      '--rounds',
      '2',
      '--pool-limit',
      '4000',
      '--test-limit',
      '1000',
      '--epochs',
      '2',
    ],
    'mnist-review': [
      ...dataArgs('mnist'),
      ...common,
      '--rounds',
      '2',
      '--review',
      '100',
      '--uncertain',
      '100',
      '--pool-limit',
      '4000',
      '--test-limit',
      '1000',
      '--epochs',
      '2',
      '--finetune',
    ],
    'spam-noreview': [
      ...dataArgs('spam'),
      ...common,
      '--no-review',
      '--rounds',
      '2',
      '--pool-limit',
      '2000',
      '--test-limit',
      '600',
      '--epochs',
      '2',
    ],
    // The small Debian pool (1,000 descriptions), its whole test split, 2 pretraining epochs.
    'debian-desc-small-noreview': [...dataArgs('debian-desc-small'), ...common, '--no-review', '--rounds', '2', '--epochs', '2'],
    'audio-words-noreview': [...dataArgs('audio-words', AUDIO_DATA_DIR), ...common, '--no-review', '--rounds', '2', '--epochs', '4'],
    'audio-speakers-noreview': [...dataArgs('audio-speakers', AUDIO_DATA_DIR), ...common, '--no-review', '--rounds', '2', '--epochs', '4'],
  };
}

function parseArgs(argv) {
  const o = { quick: false, only: undefined, repeat: 1, seed: 1, runner: 'cli', build: true, keep: false, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--') {
      o.extra = argv.slice(i + 1);
      break;
    } else if (a === '--quick') o.quick = true;
    else if (a === '--only')
      o.only = val()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--repeat') o.repeat = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--runner') o.runner = val();
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a} (see the top of scripts/bench.mjs)`);
  }
  if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error('--repeat needs a whole number ≥ 1');
  if (!Number.isInteger(o.seed)) throw new Error('--seed needs a whole number');
  if (!['cli', 'tsx'].includes(o.runner)) throw new Error('--runner must be cli or tsx');
  return o;
}

// ───────────── medians over repeats, targets, tables ─────────────

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Element-wise median of results with the same shape (numbers → median; other values from the first run). */
function medianOf(runs) {
  const first = runs[0];
  if (typeof first === 'number') return median(runs);
  if (Array.isArray(first)) {
    const len = Math.min(...runs.map((r) => (Array.isArray(r) ? r.length : 0)));
    return Array.from({ length: len }, (_, i) => medianOf(runs.map((r) => r[i])));
  }
  if (first && typeof first === 'object') {
    const out = {};
    for (const k of Object.keys(first)) out[k] = runs.every((r) => r && r[k] !== undefined) ? medianOf(runs.map((r) => r[k])) : first[k];
    return out;
  }
  return first;
}

const pct = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(d)}%`);
const num = (x, d = 0) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/**
 * The rows of the targets table of a `selflabel bench` report (src/bench/report.ts formatTargets), a run's own or
 * `--check`'s, as cells: the suite's table joins them again with the same " | ", so a row prints as the CLI printed it.
 */
export function targetRowsOf(out) {
  const lines = out.split('\n');
  const header = lines.lastIndexOf('| target | wanted | measured | |');
  if (header < 0) return [];
  const rows = [];
  for (const l of lines.slice(header + 2)) {
    if (!l.startsWith('| ')) break;
    rows.push(l.slice(2, -2).split(' | '));
  }
  return rows;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function summary(results, repeat) {
  const rows = Object.entries(results).map(([name, r]) =>
    r.error
      ? [name, '—', '—', '—', '—', '—', '—', '—', '—', '—', `failed: ${r.error}`]
      : [
          name,
          r.mode,
          r.backend,
          num(r.items),
          num(r.final.humanActions),
          pct(r.final.testAccuracy),
          pct(r.final.testMacroF1),
          pct(r.final.datasetLabelAccuracy),
          num(r.final.wallSeconds),
          `${num(r.speed.pretrainItemsPerSecond.wall)} (${num(r.speed.pretrainItemsPerSecond.total)})`,
          `${num(r.final.peakRssMB)} MB`,
        ],
  );
  return (
    table(
      [
        'run',
        'mode',
        'backend',
        'pool items',
        'human actions',
        'test acc',
        'test macro-F1',
        'dataset label acc',
        'wall s',
        'pretrain items/s wall (training)',
        'peak RSS',
      ],
      rows,
    ) + (repeat > 1 ? `\n\n(medians over ${repeat} runs)` : '')
  );
}

// ───────────── running ─────────────

/** Suites that are their own scripts (they print their own tables and write `targets` into their JSON). */
const SCRIPT_SUITES = {
  ui: 'scripts/bench-ui.mjs',
  speed: 'scripts/bench-speed.ts',
  scale: 'src/bench/scale.ts',
  // Planted label noise: flip 10% and 20% of 400 human labels, score `disagreements` (src/bench/noise.ts).
  'noise-mnist': ['src/bench/noise.ts', '--dataset', 'mnist', '--epochs', '4'],
  'noise-spam': ['src/bench/noise.ts', '--dataset', 'spam'],
};

/**
 * The scripts/prepare-data.mjs datasets the named runs read: a run's `--data` folder under .bench/data, a script
 * suite's `--dataset` (so that `--only mnist-noreview` does not install and render the Papirus icons first).
 */
export function dataSetsOf(names, all) {
  const sets = new Set();
  for (const n of names) {
    const args = all[n] ?? [SCRIPT_SUITES[n] ?? []].flat();
    const data = args.indexOf('--data');
    if (data >= 0) {
      const rel = path.relative(DATA_DIR, args[data + 1]);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) sets.add(rel.split(path.sep)[0]);
    }
    const dataset = args.indexOf('--dataset');
    if (dataset >= 0) sets.add(args[dataset + 1]);
  }
  return [...sets].filter((d) => DATASETS.includes(d));
}

function runScriptSuite(name, o) {
  const json = path.join(resultsDir, `${name}${o.quick ? '-quick' : ''}.json`);
  fs.rmSync(json, { force: true });
  const [script, ...args] = [SCRIPT_SUITES[name]].flat();
  console.log(`\n[bench] ${name} (${[script, ...args].join(' ')})`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, script), ...args, ...(o.quick ? ['--quick'] : []), '--json', json],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status === 130) throw new Error('cancelled');
  const out = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : { targets: [] };
  const targetRows = (out.targets ?? []).map((t) => [
    t.name,
    `${t.op} ${t.value}`,
    t.actual === null ? '—' : num(t.actual, 1),
    t.pass ? 'PASS' : 'MISS',
  ]);
  return { error: r.status !== 0 ? `exit ${r.status}` : undefined, targetRows };
}

function runOne(runner, args) {
  const entry =
    runner === 'cli' ? [path.join(root, 'dist', 'cli.js'), 'bench'] : ['--import', 'tsx', path.join(root, 'src', 'bench', 'main.ts')];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...entry, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    const onSigint = () => child.kill('SIGINT');
    process.once('SIGINT', onSigint);
    child.on('close', (code) => {
      process.off('SIGINT', onSigint);
      resolve({ code, out });
    });
  });
}

/** VS Code's activation time: its own script (a code-server run, not `selflabel bench`); two target rows. */
async function benchActivation() {
  const json = path.join(resultsDir, 'activation.json');
  fs.rmSync(json, { force: true });
  console.log('\n[bench] activation (scripts/bench-activation.mjs)');
  spawnSync(process.execPath, [path.join(root, 'scripts', 'bench-activation.mjs'), '--json', json], { cwd: root, stdio: 'inherit' });
  const r = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : null;
  const row = (what, part) => {
    const ms = r?.[part]?.selflabelMedianMs;
    const measured =
      typeof ms === 'number'
        ? `${ms.toFixed(1)} ms (median of ${r.runs}; minimal extension ${r[part].minimalMedianMs?.toFixed(1)} ms; load ${r.loadAverageBefore})`
        : 'failed';
    return [what, `< ${r?.targetMs ?? 100} ms`, measured, r?.[part]?.pass ? 'PASS' : 'MISS'];
  };
  return [
    row("VS Code's activation time of SelfLabel at start-up (ActivationTimes: load + activate + resolve)", 'startup'),
    row("VS Code's activation time of SelfLabel on demand (ActivationTimes)", 'onDemand'),
  ];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) {
    // The header comment only: the section comments further down are no help.
    const lines = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
    const end = lines.findIndex((l) => !l.startsWith('//'));
    console.log(
      lines
        .slice(0, end)
        .map((l) => l.slice(3))
        .join('\n'),
    );
    return 0;
  }
  const all = suite(o.quick);
  const known = [...Object.keys(all), ...Object.keys(SCRIPT_SUITES), 'activation'];
  const names = o.only ?? known;
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown run "${n}" (known: ${known.join(', ')})`);
  const t0 = Date.now();
  console.log(
    `[bench] ${o.quick ? 'quick' : 'full'} setting: ${names.join(', ')}${o.repeat > 1 ? ` × ${o.repeat}` : ''} on ${os.availableParallelism()} × ${os.cpus()[0]?.model?.trim()}`,
  );
  // The speed run needs neither the data sets nor the build (it runs the sources under tsx on random inputs).
  const onlySpeed = names.every((n) => n === 'speed');
  for (const d of dataSetsOf(names, all)) prepareAll({ only: d, log: (s) => console.log(s) });
  for (const d of new Set(names.map((n) => TEXT_RUNS[n]).filter(Boolean))) await prepareText({ only: d, log: (s) => console.log(s) });
  for (const n of names) if (AUDIO_SETS[n]) prepareAudio(AUDIO_SETS[n], o.quick);
  if (o.build && o.runner === 'cli' && !onlySpeed) {
    console.log('[bench] build');
    const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed');
  }
  if (o.runner === 'cli' && !onlySpeed && !fs.existsSync(path.join(root, 'dist', 'cli.js')))
    throw new Error('dist/cli.js is missing: build first (or --runner tsx)');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.mkdirSync(workDir, { recursive: true });
  const results = {};
  const targetRows = [];
  let checkFailed = false;
  for (const name of names.filter((n) => SCRIPT_SUITES[n])) {
    const r = await runScriptSuite(name, o);
    if (r.error) results[name] = { error: r.error };
    targetRows.push(...r.targetRows);
  }
  for (const name of names.filter((n) => !SCRIPT_SUITES[n])) {
    if (name === 'activation') {
      targetRows.push(...(await benchActivation()));
      continue;
    }
    const file = (suffix) => path.join(resultsDir, `${name}${o.quick ? '-quick' : ''}${suffix}.json`);
    const runs = [];
    const targets = (TARGETS[name] ?? []).flatMap((t) => ['--target', t]);
    let error;
    let out = '';
    for (let k = 0; k < o.repeat; k++) {
      const seed = o.seed + k;
      const json = o.repeat > 1 ? file(`.run${k + 1}`) : file('');
      const args = [
        ...all[name],
        '--seed',
        String(seed),
        '--json',
        json,
        '--scratch',
        workDir,
        ...targets,
        ...(o.keep ? ['--keep'] : []),
        ...o.extra,
      ];
      console.log(`\n[bench] ${name}${o.repeat > 1 ? ` run ${k + 1}/${o.repeat}` : ''} (seed ${seed})`);
      fs.rmSync(json, { force: true });
      const r = await runOne(o.runner, args);
      if (r.code !== 0 || !fs.existsSync(json)) {
        error = `exit ${r.code}`;
        if (r.code === 130) throw new Error('cancelled');
        break;
      }
      runs.push(JSON.parse(fs.readFileSync(json, 'utf8')));
      out = r.out;
    }
    if (!runs.length) {
      results[name] = { error };
      continue;
    }
    if (runs.length === 1) {
      results[name] = runs[0];
      targetRows.push(...targetRowsOf(out));
      continue;
    }
    // The medians' targets are checked by the CLI, as every run checks its own; medianOf's element-wise `targets`
    // would mix the runs' verdicts, so the median JSON has none until the check writes them in.
    const med = { ...medianOf(runs), repeats: runs.length, seeds: runs.map((r) => r.options.seed), targets: [] };
    fs.writeFileSync(file(''), JSON.stringify(med, null, 2) + '\n');
    results[name] = med;
    if (!targets.length) continue;
    console.log(`\n[bench] ${name}: targets on the medians of ${runs.length} runs`);
    const c = await runOne(o.runner, ['--check', file(''), ...targets, '--json', file('')]);
    if (c.code === 130) throw new Error('cancelled');
    if (c.code !== 0) {
      checkFailed = true;
      targetRows.push([name, '—', `not checked: selflabel bench --check failed (exit ${c.code})`, 'MISS']);
    } else targetRows.push(...targetRowsOf(c.out));
  }
  console.log(`\n## suite summary (${o.quick ? 'quick' : 'full'} setting)\n`);
  console.log(summary(results, o.repeat));
  if (targetRows.length) {
    console.log(
      `\n## targets${o.quick ? ' (quick setting: smaller pools and fewer epochs — the targets are for the full setting)' : ''}\n`,
    );
    console.log(table(['target', 'wanted', 'measured', ''], targetRows));
  }
  console.log(`\n[bench] done in ${((Date.now() - t0) / 60000).toFixed(1)} min; results in ${path.relative(root, resultsDir)}/`);
  return checkFailed || Object.values(results).some((r) => r.error) ? 1 : 0;
}

// Run when executed, not when imported (test/unit/benchTargets.test.ts imports TARGETS and targetRowsOf).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[bench] error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
