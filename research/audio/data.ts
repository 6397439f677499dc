/**
 * The audio dev sets as log-mel spectrograms (the encoder's input: 1 s, 40 mels), computed once with the product's
 * features (src/core/modalities/audio/features.ts) and cached under /tmp/sl-audio-study, with their truth.
 *   SELFLABEL_AUDIO_DATA (default /tmp/sl-audio-data): the folders of scripts/prepare-audio-data.mjs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Item } from '../../src/core/types';
import { spreadLabels, type KnnGraph } from '../../src/core/train/graph';
import { argmaxRows } from '../../src/bench/baselines/linear';
import { mulberry32, sample } from '../../src/bench/rng';
import { AUDIO_MELS, audioFeatureRows, audioFrames } from '../../src/core/modalities/audio/features';
import { columnStats, standardizeBlocks, utteranceFeatures, withVoice } from '../../src/core/modalities/audio/utterance';
import { fitNet, netLogitsSync } from '../../src/core/train/net';
import { softmaxRows } from '../../src/core/util/math';
import { loadAudioClips } from '../../src/core/modalities/audio/items';
import { fixLength } from '../../src/core/modalities/audio/melspec';
import { AudioError } from '../../src/core/modalities/audio/errors';
import { VOICE_DIM, voiceFeatures } from '../../src/core/modalities/audio/voice';

export const DATA = process.env.SELFLABEL_AUDIO_DATA ?? '/tmp/sl-audio-data';
const CACHE = '/tmp/sl-audio-study';

export interface SpecSet {
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
  y: Int32Array;
  classes: string[];
}

function truth(set: string, split: string): { files: string[]; labels: string[] } {
  const lines = fs
    .readFileSync(path.join(DATA, set, `${split}-truth.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return { files: lines.map((l) => l.split(',')[0]), labels: lines.map((l) => l.split(',')[1]) };
}

export async function loadSplit(set: string, split: 'pool' | 'test', classes?: string[]): Promise<SpecSet> {
  const { files, labels } = truth(set, split);
  const cls = classes ?? [...new Set(labels)].sort();
  const frames = audioFrames(1);
  const mels = AUDIO_MELS;
  const file = path.join(CACHE, `${set}-${split}.f32`);
  let spec: Float32Array;
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    spec = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  } else {
    const root = path.join(DATA, set, split);
    const items = files.map((f) => {
      const st = fs.statSync(path.join(root, f));
      return { id: f, path: f, size: st.size, mtimeMs: st.mtimeMs } as unknown as Item;
    });
    spec = new Float32Array(files.length * frames * mels);
    const failed = await audioFeatureRows(root, items, { seconds: 1, frames, mels, out: spec, offset: 0 });
    if (failed.length) throw new Error(`${failed.length} clips failed`);
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(file, Buffer.from(spec.buffer));
  }
  return { spec, n: files.length, frames, mels, y: Int32Array.from(labels, (l) => cls.indexOf(l)), classes: cls };
}

/** The k nearest rows of each row of X (n × dim, unit rows: cosine) by brute force, for the spreading studies. */
export function knnGraph(X: Float32Array, n: number, dim: number, k: number): KnnGraph {
  const idx = new Int32Array(n * k);
  const sim = new Float32Array(n * k);
  const row = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += X[i * dim + d] * X[j * dim + d];
      row[j] = j === i ? -Infinity : s;
    }
    const top = new Int32Array(k).fill(-1);
    for (let j = 0; j < n; j++) {
      if (top[k - 1] >= 0 && row[j] <= row[top[k - 1]]) continue;
      let q = k - 1;
      while (q > 0 && (top[q - 1] < 0 || row[top[q - 1]] < row[j])) {
        top[q] = top[q - 1];
        q--;
      }
      top[q] = j;
    }
    top.forEach((j, q) => {
      idx[i * k + q] = j;
      sim[i * k + q] = row[j];
    });
  }
  return { n, k, idx, sim };
}

/** Share of rows whose largest score (P: rows × C) is their class. */
export function accuracyOf(P: ArrayLike<number>, y: Int32Array, C: number): number {
  const lab = argmaxRows(Float64Array.from(P), y.length, C);
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (lab[i] === y[i]) ok++;
  return ok / y.length;
}

/** Label spreading over `graph` from the labelled rows `lab` (classes `ly`, weight 1): scores F and their argmax. */
export function spreadFrom(graph: KnnGraph, C: number, lab: readonly number[], ly: Int32Array): { F: Float32Array; labels: Int32Array } {
  const { F } = spreadLabels({
    graph,
    nClasses: C,
    seeds: { index: Int32Array.from(lab), y: ly, weight: new Float32Array(lab.length).fill(1) },
  });
  return { F, labels: argmaxRows(Float64Array.from(F), graph.n, C) };
}

/** `perClass` labelled pool rows of each class, drawn with the seed (as the bench's seed labels): rows and classes. */
export function seedLabels(y: Int32Array, C: number, perClass: number, seed: number): { lab: number[]; ly: Int32Array } {
  const rand = mulberry32(seed);
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const lab = byClass.flatMap((l) => sample(l, perClass, rand));
  return { lab, ly: Int32Array.from(lab, (i) => y[i]) };
}

/**
 * The product head's words candidate without pretraining (TEACHER=spread): `shape` features, label spreading over
 * the pool's 10-neighbour graph, a 256-unit MLP fitted on the spread labels (src/core/modalities/audio/head.ts), fitted on the
 * labelled pool rows `lab`: its probabilities on the pool (P) and the test split (Pt).
 */
export async function spreadTeacher(
  pool: SpecSet,
  test: SpecSet,
  lab: number[],
  C: number,
  seed: number,
): Promise<{ P: Float32Array; Pt: Float32Array; testAcc: number }> {
  const up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels);
  const ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels);
  const st = columnStats(up.X, up.n, up.dim);
  const w = { mfcc: 0, stats: 0, shape: 1, spectrum: 0 };
  const P = standardizeBlocks(up, st, w);
  const T = standardizeBlocks(ut, st, w);
  const g = knnGraph(P.X, pool.n, P.dim, 10);
  const { labels: sl } = spreadFrom(
    g,
    C,
    lab,
    Int32Array.from(lab, (i) => pool.y[i]),
  );
  const targets = new Float32Array(pool.n * C);
  for (let i = 0; i < pool.n; i++) targets[i * C + sl[i]] = 1;
  const net = await fitNet({
    X: P.X,
    n: pool.n,
    dim: P.dim,
    rows: Int32Array.from(sl.keys()),
    targets,
    nClasses: C,
    hidden: [256],
    l2: 1e-3,
    epochs: 30,
    batchSize: 512,
    seed,
  });
  const Pp = softmaxRows(netLogitsSync(net, P.X, pool.n, P.dim), pool.n, C);
  const Pt = softmaxRows(netLogitsSync(net, T.X, test.n, T.dim), test.n, C);
  return { P: Pp, Pt, testAcc: accuracyOf(Pt, test.y, C) };
}

/**
 * Rows of `dim` numbers per clip of a split, in truth order, from each clip's 1 s of 16 kHz samples by `rowOf`, cached
 * beside the spectrograms under `name`.
 */
export async function clipRows(
  set: string,
  split: string,
  name: string,
  dim: number,
  rowOf: (samples: Float32Array) => ArrayLike<number>,
): Promise<Float32Array> {
  const file = path.join(CACHE, `${set}-${split}-${name}.f32`);
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  const files = truth(set, split).files;
  const X = new Float32Array(files.length * dim);
  for (let i = 0; i < files.length; i++) {
    const [c] = await loadAudioClips(path.join(DATA, set, split, files[i]), [{ start: 0, duration: Infinity }]);
    if (c instanceof AudioError) throw c;
    X.set(rowOf(fixLength(c, 16000)), i * dim);
  }
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(file, Buffer.from(X.buffer));
  return X;
}

/** Each clip's voice features (src/core/modalities/audio/voice.ts) of a split, in truth order, cached. */
export function voiceRows(set: string, split: string): Promise<Float32Array> {
  return clipRows(set, split, `voice${VOICE_DIM}`, VOICE_DIM, voiceFeatures);
}

/**
 * The audio head's features for a dev set, standardised with the pool's statistics: the voice set (timbre + pitch,
 * long-term spectrum, harmonics) for speakers, `shape` for words.
 */
export async function headFeatures(
  set: string,
  pool: SpecSet,
  test: SpecSet,
): Promise<{ Xp: Float32Array; Xt: Float32Array; dim: number }> {
  let up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels);
  let ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels);
  const words = set === 'audio-words';
  if (!words) {
    up = withVoice(up, await voiceRows(set, 'pool'));
    ut = withVoice(ut, await voiceRows(set, 'test'));
  }
  const st = columnStats(up.X, up.n, up.dim);
  const w = words ? { shape: 1 } : { mfcc: 1, stats: 1, spectrum: 1, pitch: 1, lts: 1, harm: 1 };
  const { X: Xp, dim } = standardizeBlocks(up, st, w);
  return { Xp, Xt: standardizeBlocks(ut, st, w).X, dim };
}

/**
 * The command line of the head-feature studies (`SET [seeds=1,2,3]`): the set, the label seeds, both splits, and the
 * head's features of each (headFeatures).
 */
export async function headStudy(argv: string[]): Promise<{
  set: string;
  seeds: number[];
  pool: SpecSet;
  test: SpecSet;
  C: number;
  Xp: Float32Array;
  Xt: Float32Array;
  dim: number;
}> {
  const set = argv[0] ?? 'audio-speakers';
  const seeds = (argv[1] ?? '1,2,3').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  return { set, seeds, pool, test, C: pool.classes.length, ...(await headFeatures(set, pool, test)) };
}
