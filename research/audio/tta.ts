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
import { fixedViews } from '../../src/core/modalities/audio/spec';
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
    const spec = name === 'as is' ? test.spec : fixedViews(test.spec, test.n, test.frames, test.mels, { shift: s, rate, melShift: ms });
    // This view alone (the product's default is the mean over its views).
    const P = await predictAudioStudent(dir, { spec, n: test.n, frames: test.frames, mels: test.mels }, C, undefined, [
      { shift: 0, rate: 1, melShift: 0 },
    ]);
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
