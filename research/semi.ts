/**
 * One network on a bench run's human seed labels, with or without the pool (FixMatch consistency), from random init
 * or from the pretrained SimCLR encoder, scored on the test split — the quick loop behind "Image learning, session 7"
 * before the product bench. Research only (issue 11).
 *
 *   node --import tsx research/semi.ts SET SEED VARIANT...
 *     SET: letters | icons | mnist2k — the kept workspace of research/learn-runs.sh under $WS_DIR (default /tmp/sl-ws)
 *     VARIANT: sup | sup-ssl | fix | fix-ssl, optionally with :key=value,… overrides
 *              (seen = labelled images seen, ratio = μ, tau = threshold, lambda = weight, steps)
 *
 * The seed labels are the bench's (src/bench/annotator.ts seed(): mulberry32(SEED), per class in sorted order, the
 * pool in scan order), so `sup` is the bench's supervised-encoder baseline on the same labels.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from './backend';
import { benchSeedLabels } from './data';
import { loadImage, scanWorkspace } from '../src/core/dataset';
import type { Item } from '../src/core/types';
import { argmaxRow } from '../src/core/util/math';
import { studentLogits, trainImageStudent } from '../src/core/modalities/image/student';
import { scratchEpochs } from '../src/core/modalities/image/finetune';

const readTruth = (f: string) =>
  new Map(
    fs
      .readFileSync(f, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );

async function pixelsOf(root: string, items: Item[], size: number, channels: 1 | 3): Promise<Uint8Array> {
  const per = size * size * channels;
  const out = new Uint8Array(items.length * per);
  for (let i = 0; i < items.length; i++) out.set(await loadImage(root, items[i], size, channels), i * per);
  return out;
}

async function main() {
  const [set, seedArg, ...variants] = process.argv.slice(2);
  if (!set || !seedArg || !variants.length) throw new Error('usage: semi.ts SET SEED VARIANT...');
  const seed = Number(seedArg);
  const ds = set === 'mnist2k' ? 'mnist' : set;
  const wsDir = process.env.WS_DIR ?? '/tmp/sl-ws';
  const base = path.join(wsDir, set === 'mnist2k' ? `${set}-e4-s${seed}` : `${set}-e4`);
  const ws = path.join(
    base,
    fs.readdirSync(base).find((d) => d.startsWith('selflabel-bench-'))!,
  );
  const pool = path.join(ws, 'pool');
  const cache = path.join(pool, '.selflabel', 'cache');
  const geo = fs
    .readdirSync(cache)
    .find((f) => /^pixels-\d+x\d+x\d\.bin$/.test(f))!
    .match(/(\d+)x\d+x(\d)/)!;
  const size = Number(geo[1]);
  const channels = Number(geo[2]) as 1 | 3;
  const items = (JSON.parse(fs.readFileSync(path.join(cache, 'items.json'), 'utf8')) as { items: Item[] }).items;
  const poolTruth = readTruth(`.bench/data/${ds}/pool-truth.csv`);
  const testTruth = readTruth(`.bench/data/${ds}/test-truth.csv`);
  await useBackend(process.env.BACKEND ?? 'wasm');
  const poolPx = await pixelsOf(pool, items, size, channels);
  const testItems = (await scanWorkspace(path.join(ws, 'test'), {})).items.filter((it) => testTruth.has(it.id));
  const testPx = await pixelsOf(path.join(ws, 'test'), testItems, size, channels);
  // The bench's seed labels.
  const { classes, index, y } = benchSeedLabels(
    items.map((it) => poolTruth.get(it.id)),
    seed,
  );
  const C = classes.length;
  console.log(
    `${set} seed ${seed}: ${items.length} pool, ${testItems.length} test, ${C} classes, ${index.length} labels, ${size}×${size}×${channels}`,
  );
  const simclr = path.join(pool, '.selflabel', 'models', 'simclr');
  for (const v of variants) {
    const [name, over = ''] = v.split(':');
    const kv = new Map(over ? over.split(',').map((x) => x.split('=') as [string, string]) : []);
    const num = (k: string, d: number) => (kv.has(k) ? Number(kv.get(k)) : d);
    const fix = name.startsWith('fix');
    const ssl = name.endsWith('-ssl');
    const seen = num('seen', 10_000);
    const epochs = num('steps', 0) || scratchEpochs(index.length, seen);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-semi-'));
    const unl = Int32Array.from(items.keys());
    const r = await trainImageStudent({
      pixels: poolPx,
      n: items.length,
      size,
      channels,
      train: { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) },
      nClasses: C,
      epochs,
      seed: seed + 211 + num('seedOff', 0),
      initFrom: ssl ? simclr : undefined,
      learningRate: num('lr', 1e-3),
      checkpointDir: dir,
      consistency: fix ? { index: unl, ratio: num('ratio', 2), threshold: num('tau', 0.95), weight: num('lambda', 1) } : undefined,
    });
    const { logits } = await studentLogits({ checkpointDir: dir, pixels: testPx, n: testItems.length, size, channels });
    let ok = 0;
    testItems.forEach((it, i) => classes[argmaxRow(logits, i, C)] === testTruth.get(it.id) && ok++);
    console.log(
      `${set} s${seed} ${v}: test ${((100 * ok) / testItems.length).toFixed(1)}%  epochs ${epochs}  ${r.seconds.toFixed(0)} s` +
        (r.maskRate !== undefined ? `  mask ${(100 * r.maskRate).toFixed(0)}%` : ''),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
