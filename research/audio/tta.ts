/**
 * Does the audio student predict better from the mean of a few fixed views of each clip (test-time augmentation)?
 * Reads a kept bench workspace's student (models/audio-student-*) and scores it on a dev set's test split, each view
 * alone and their means. Research only.
 *
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/tta.ts WORKSPACE SET
 *
 * Views (on the log-mel, as the student's training views make them, without their randomness): the clip as it is; time
 * shifts of ± `SHIFT` frames (the gap filled with the clip's floor); the bands moved by ± 1 (pitch); tempo 1 ± 0.1
 * about the centre.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/core/backend';
import { predictAudioStudent } from '../../src/core/modalities/audio/student';
import { loadSplit, accuracyOf } from './data';

/** One fixed view of every clip: frame t reads source time mid + (t − shift − mid)·rate, band m reads m − melShift. */
function view(spec: Float32Array, n: number, frames: number, mels: number, shift: number, melShift: number, rate: number): Float32Array {
  const per = frames * mels;
  const out = new Float32Array(spec.length);
  const mid = (frames - 1) / 2;
  for (let i = 0; i < n; i++) {
    const base = i * per;
    let lo = Infinity;
    for (let k = 0; k < per; k++) lo = Math.min(lo, spec[base + k]);
    for (let t = 0; t < frames; t++) {
      const ts = mid + (t - shift - mid) * rate;
      const t0 = Math.floor(ts);
      const ft = ts - t0;
      for (let m = 0; m < mels; m++) {
        let x: number;
        if (ts < 0 || ts > frames - 1) x = lo;
        else {
          const mm = Math.min(mels - 1, Math.max(0, m - melShift));
          const m0 = Math.min(mels - 2, Math.floor(mm));
          const fm = mm - m0;
          const t1 = Math.min(frames - 1, t0 + 1);
          const at = (tt: number, b: number) => spec[base + tt * mels + b];
          x = (1 - ft) * ((1 - fm) * at(t0, m0) + fm * at(t0, m0 + 1)) + ft * ((1 - fm) * at(t1, m0) + fm * at(t1, m0 + 1));
        }
        out[base + t * mels + m] = x;
      }
    }
  }
  return out;
}

async function main() {
  const [ws, set] = process.argv.slice(2);
  if (!ws || !set) throw new Error('usage: tta.ts WORKSPACE SET');
  await initBackend('wasm');
  const models = path.join(ws, '.selflabel', 'models');
  const sDir = fs.readdirSync(models).find((f) => f.startsWith('audio-student-'));
  if (!sDir) throw new Error(`${ws}: no student`);
  const dir = path.join(models, sDir);
  const test = await loadSplit(set, 'test');
  const C = test.classes.length;
  const SHIFT = Number(process.env.SHIFT ?? 5);
  const views: [string, number, number, number][] = [
    ['as is', 0, 0, 1],
    [`shift -${SHIFT}`, -SHIFT, 0, 1],
    [`shift +${SHIFT}`, SHIFT, 0, 1],
    ['bands -1', 0, -1, 1],
    ['bands +1', 0, 1, 1],
    ['tempo 0.9', 0, 0, 0.9],
    ['tempo 1.1', 0, 0, 1.1],
  ];
  const probs: Float32Array[] = [];
  for (const [name, s, ms, rate] of views) {
    const spec = name === 'as is' ? test.spec : view(test.spec, test.n, test.frames, test.mels, s, ms, rate);
    const P = await predictAudioStudent(dir, { spec, n: test.n, frames: test.frames, mels: test.mels }, C);
    probs.push(P);
    console.log(`${name.padEnd(10)} ${(100 * accuracyOf(P, test.y, C)).toFixed(2)}%`);
  }
  const meanOf = (ks: number[]) => {
    const M = new Float32Array(probs[0].length);
    for (const k of ks) for (let i = 0; i < M.length; i++) M[i] += probs[k][i] / ks.length;
    return M;
  };
  for (const [name, ks] of [
    ['mean: shifts', [0, 1, 2]],
    ['mean: bands', [0, 3, 4]],
    ['mean: tempo', [0, 5, 6]],
    ['mean: all 7', [0, 1, 2, 3, 4, 5, 6]],
  ] as [string, number[]][])
    console.log(`${name.padEnd(14)} ${(100 * accuracyOf(meanOf(ks), test.y, C)).toFixed(2)}%`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
