/**
 * Does the audio student predict better from the mean of a few fixed views of each clip (test-time augmentation)?
 * Reads a kept bench workspace's student (models/audio-student-*) and scores it on a dev set's test split, each view
 * alone and their means. Research only.
 *
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/tta.ts WORKSPACE SET
 *
 * Views: the product's (src/core/modalities/audio/student.ts studentViews) — the clip as it is; time shifts of ± 5 %
 * of its frames (the gap filled with the clip's floor); the bands moved by ± 1 (pitch); tempo 1 ± 0.1 about the centre.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/core/backend';
import { predictAudioStudent, studentViews } from '../../src/core/modalities/audio/student';
import { fixedViews, type ViewGeometry } from '../../src/core/modalities/audio/spec';
import { loadSplit, accuracyOf } from './data';

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
  // The product's views (studentViews), each scored alone, then the means of some of them.
  const views = studentViews(test.frames);
  const nameOf = (v: ViewGeometry) =>
    v.shift
      ? `shift ${v.shift > 0 ? '+' : ''}${v.shift}`
      : v.melShift
        ? `bands ${v.melShift > 0 ? '+' : ''}${v.melShift}`
        : v.rate !== 1
          ? `tempo ${v.rate}`
          : 'as is';
  const probs: Float32Array[] = [];
  for (const v of views) {
    const spec = fixedViews(test.spec, test.n, test.frames, test.mels, v);
    // This view alone (the product's default is the mean over its views).
    const P = await predictAudioStudent(dir, { spec, n: test.n, frames: test.frames, mels: test.mels }, C, undefined, [
      { shift: 0, rate: 1, melShift: 0 },
    ]);
    probs.push(P);
    console.log(`${nameOf(v).padEnd(10)} ${(100 * accuracyOf(P, test.y, C)).toFixed(2)}%`);
  }
  const meanOf = (keep: (v: ViewGeometry) => boolean) => {
    const ks = views.map((v, k) => (keep(v) ? k : -1)).filter((k) => k >= 0);
    const M = new Float32Array(probs[0].length);
    for (const k of ks) for (let i = 0; i < M.length; i++) M[i] += probs[k][i] / ks.length;
    return M;
  };
  const plain = (v: ViewGeometry) => !v.shift && !v.melShift && v.rate === 1;
  for (const [name, keep] of [
    ['mean: shifts', (v) => plain(v) || v.shift !== 0],
    ['mean: bands', (v) => plain(v) || v.melShift !== 0],
    ['mean: tempo', (v) => plain(v) || v.rate !== 1],
    ['mean: all 7', () => true],
  ] as [string, (v: ViewGeometry) => boolean][])
    console.log(`${name.padEnd(14)} ${(100 * accuracyOf(meanOf(keep), test.y, C)).toFixed(2)}%`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
