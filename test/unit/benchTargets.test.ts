/**
 * The named runs' targets of `npm run bench` (scripts/bench.mjs TARGETS) and how the suite checks them on the medians
 * of repeated runs: every one is a valid `--target` of `selflabel bench` (each run passes them on), and
 * `selflabel bench --check` (src/bench/check.ts) gives the verdicts — called in process, and once through the real
 * entry, whose table the suite reads back (targetRowsOf).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchUsageError, parseBenchArgs, parseBenchCommand, parseTarget } from '../../src/bench/options';
import { checkResult, checkResultFile } from '../../src/bench/check';

interface BenchScript {
  TARGETS: Record<string, string[]>;
  targetRowsOf(out: string): string[][];
  suite(quick: boolean): Record<string, string[]>;
  dataSetsOf(names: string[], all: Record<string, string[]>): string[];
}

const root = path.join(__dirname, '..', '..');
const load = async (): Promise<BenchScript> => (await import(pathToFileURL(path.join(root, 'scripts', 'bench.mjs')).href)) as BenchScript;

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-bench-targets-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A hand-made result: only what the checks look at (a real one has much more). */
const result = (final: Record<string, number>, margin: number | null, wall?: number) => ({
  version: 1,
  final,
  baselineMargin: { test: margin, dataset: null },
  ...(wall !== undefined ? { speed: { pretrainItemsPerSecond: { wall } } } : {}),
  targets: [],
});

test('every named run’s targets parse with the CLI parser, as the suite passes them to a run and to --check', async () => {
  const { TARGETS } = await load();
  const specs = Object.values(TARGETS).flat();
  assert.ok(specs.length >= 15, `${specs.length} targets`);
  for (const s of specs) {
    const t = parseTarget(s);
    assert.equal(t.name, s.slice(0, s.indexOf('=')), 'each names itself (the report shows the name)');
  }
  for (const [run, list] of Object.entries(TARGETS)) {
    const c = parseBenchCommand(['--check', `${run}.json`, ...list.flatMap((t) => ['--target', t]), '--json', `${run}.json`]);
    assert.ok(c && 'check' in c, run);
    assert.deepEqual(c.targets, list.map(parseTarget));
  }
});

test('--check on results meeting every target and none: each target PASS and MISS, each metric found', async () => {
  const { TARGETS } = await load();
  const targets = Object.values(TARGETS).flat().map(parseTarget);
  const good = checkResult(
    result({ testAccuracy: 0.999, datasetLabelAccuracy: 0.999, humanActions: 900, wallSeconds: 500 }, 0.2, 900),
    targets,
    'good',
  );
  for (const t of good.targets) {
    assert.equal(t.pass, true, t.name);
    // A metric path the results do not have would be a MISS for ever: every condition reads a number here.
    for (const c of [t, ...(t.or ?? [])]) assert.notEqual(c.actual, null, `${t.name}: ${c.metric}`);
  }
  const bad = checkResult(
    result({ testAccuracy: 0.5, datasetLabelAccuracy: 0.5, humanActions: 5000, wallSeconds: 5000 }, -0.1, 10),
    targets,
    'bad',
  );
  assert.deepEqual(
    bad.targets.filter((t) => t.pass).map((t) => t.name),
    [],
  );
});

test('--check: an "or" target passes on its second alternative; a metric missing from the result is a MISS', async () => {
  const { TARGETS } = await load();
  const icons = TARGETS['icons-noreview'].map(parseTarget);
  assert.equal(icons[0].or?.length, 1, 'the dev sets’ target has an alternative');
  // 90% on test (under 95%), 12 points above the best baseline: the second condition passes the target.
  const [ahead] = checkResult(result({ testAccuracy: 0.9 }, 0.12), icons, 'ahead').targets;
  assert.equal(ahead.pass, true);
  assert.equal(ahead.actual, 0.9);
  assert.deepEqual(ahead.or, [{ metric: 'baselineMargin.test', op: '>=', value: 0.1, actual: 0.12, pass: true }]);
  assert.equal(checkResult(result({ testAccuracy: 0.9 }, 0.05), icons, 'behind').targets[0].pass, false, '5 points ahead');
  // No baselines (margin null) and no test accuracy: both conditions missing, a MISS.
  const [none] = checkResult(result({}, null), icons, 'none').targets;
  assert.deepEqual([none.pass, none.actual, none.or?.[0].actual], [false, null, null]);
  // The whole MNIST run's targets on a result without `speed`: that one is a MISS, the others as measured.
  const mnist = checkResult(result({ testAccuracy: 0.992, wallSeconds: 590 }, null), TARGETS['mnist-noreview'].map(parseTarget), 'mnist');
  assert.deepEqual(
    mnist.targets.map((t) => [t.metric, t.actual, t.pass]),
    [
      ['final.testAccuracy', 0.992, true],
      ['speed.pretrainItemsPerSecond.wall', null, false],
      ['final.wallSeconds', 590, true],
    ],
  );
});

test('--check replaces the result’s targets and keeps the rest; a JSON that is no bench result is refused', async () => {
  const saved = { ...result({ testAccuracy: 0.97 }, 0.02), dataset: 'x', targets: [{ name: 'old', pass: true }] };
  const checked = checkResult(saved, [parseTarget('acc=final.testAccuracy>=0.98')], 'saved');
  assert.deepEqual(
    checked.targets.map((t) => [t.name, t.pass]),
    [['acc', false]],
  );
  assert.equal(checked.dataset, 'x');
  assert.deepEqual(saved.targets, [{ name: 'old', pass: true }], 'the input is left alone');
  const t = [parseTarget('final.testAccuracy>=0.9')];
  for (const v of [[], null, 42, { version: 2, final: {} }, { version: 1 }, { version: 1, final: 0.9 }]) {
    assert.throws(() => checkResult(v, t, 'f.json'), /^Error: f\.json is not a bench result/, JSON.stringify(v));
  }
});

test('--check on a damaged or missing file: one clear line', async () => {
  const t = [parseTarget('final.testAccuracy>=0.9')];
  const cut = path.join(tmp, 'cut.json');
  fs.writeFileSync(cut, '{\n  "version": 1,\n  "final": {\n    "testAcc');
  await assert.rejects(checkResultFile(cut, t), (e: Error) => {
    assert.match(e.message, /cut\.json is not JSON \(/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  await assert.rejects(checkResultFile(path.join(tmp, 'nothing.json'), t), /cannot read the result .*nothing\.json: no such file$/);
});

test('--check usage: at least one --target, none of a run’s flags, and it is not a run', () => {
  assert.throws(
    () => parseBenchCommand(['--check', 'r.json']),
    (e: Error) => e instanceof BenchUsageError && /needs a --target/.test(e.message),
  );
  assert.throws(
    () => parseBenchCommand(['--check', 'r.json', '--target', 'final.testAccuracy>=0.9', '--seed', '2']),
    /--seed does not go with --check/,
  );
  assert.throws(() => parseBenchCommand(['--check', 'r.json', '--target', 'final.testAccuracy ~ 0.9']), /bad --target/);
  assert.throws(() => parseBenchArgs(['--check', 'r.json', '--target', 'final.testAccuracy>=0.9']), /--check runs nothing/);
  assert.deepEqual(parseBenchCommand(['--check=r.json', '--target', 'final.testAccuracy>=0.9']), {
    check: 'r.json',
    targets: [parseTarget('final.testAccuracy>=0.9')],
  });
});

test('the real entry: `main.ts --check` prints the table the suite reads back, writes --json, exits 1 on a damaged file', async () => {
  const { TARGETS, targetRowsOf } = await load();
  const saved = path.join(tmp, 'median.json');
  const out = path.join(tmp, 'out', 'checked.json');
  fs.writeFileSync(saved, JSON.stringify(result({ testAccuracy: 0.9 }, 0.12)));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'bench', 'main.ts'), ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
  const targets = [TARGETS['icons-noreview'][0], 'spent=final.humanActions<=1000'];
  const ok = cli(['--check', saved, ...targets.flatMap((t) => ['--target', t]), '--json', out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(targetRowsOf(ok.stdout), [
    [
      TARGETS['icons-noreview'][0].slice(0, TARGETS['icons-noreview'][0].indexOf('=')),
      'final.testAccuracy >= 95.00% or baselineMargin.test >= +10.0 points',
      'final.testAccuracy 90.00%, baselineMargin.test +12.0 points',
      'PASS',
    ],
    ['spent', '<= 1,000', '—', 'MISS'],
  ]);
  const written = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.deepEqual(
    written.targets.map((t: { name: string; pass: boolean }) => [t.name, t.pass]),
    [
      [targetRowsOf(ok.stdout)[0][0], true],
      ['spent', false],
    ],
  );
  assert.deepEqual(written.final, { testAccuracy: 0.9 });

  const damaged = path.join(tmp, 'damaged.json');
  fs.writeFileSync(damaged, '{"version": 1, "final": ');
  const bad = cli(['--check', damaged, '--target', targets[1]]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^selflabel bench: .*damaged\.json is not JSON \([^\n]*\)\n$/);
});

test('the suite prepares only the datasets its named runs read (no Papirus render before an MNIST run)', async () => {
  const { suite, dataSetsOf } = await load();
  for (const quick of [false, true]) {
    const all = suite(quick);
    assert.deepEqual(dataSetsOf(['mnist-noreview'], all), ['mnist']);
    assert.deepEqual(dataSetsOf(['papirus-noreview', 'icons-review', 'mnist2k-noreview'], all), ['papirus', 'icons', 'mnist']);
    assert.deepEqual(dataSetsOf(['noise-spam', 'noise-mnist'], all), ['spam', 'mnist']);
    assert.deepEqual(dataSetsOf(['speed', 'ui', 'scale', 'activation'], all), []);
    // The text sets are scripts/prepare-text-data.mjs's, the audio sets prepare-audio-data's: not this script's.
    assert.deepEqual(dataSetsOf(['debian-desc-small-noreview', 'audio-words-noreview'], all), []);
  }
  // Every image, MNIST and spam run reads a dataset the data script makes.
  const full = suite(false);
  for (const run of Object.keys(full).filter((r) => !/debian|manpages|audio/.test(r))) assert.equal(dataSetsOf([run], full).length, 1, run);
});
