/**
 * Which encoder should the audio student have? The product's student (src/core/modalities/audio/student.ts
 * trainAudioStudent, its steps, augmentations and fixed views) with other encoders, on three kinds of labels:
 *   oracle   every pool clip with its true class: what the architecture can learn at all (a ceiling);
 *   teacher  the spread teacher's (data.ts spreadTeacher, no pretraining) most confident TEACHER_FRAC (0.3) of the
 *            pool, from 10 human labels per class, which the student never sees (words only: its features are the
 *            word's course in time);
 *   head     the product's round-1 head without pretrained encoders (fitAudioHead, encoders []) from 10 human labels
 *            per class: its clips at ≥ HEAD_MIN (0.9: the product bench's round 1 wherever its head reads no encoder).
 * Prints, per architecture: the teacher's labels' accuracy, the student's steps/s, its test accuracy on the clip as
 * it is and on the mean of its fixed views. Research only.
 *
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/arch.ts SET SEEDS LABELS ARCHS
 *   e.g. … arch.ts audio-words 1,2 head base,tmean,t1
 * env: STEPS (the product's studentSteps for the rows), HEAD_MIN (0.9), TEACHER_FRAC (0.3)
 *
 * Session 22 (test %, mean of the fixed views, flatten → time-mean; t1, the first stride [1, 2], was 3× slower and no
 * better: words teacher seed 1 80.6):
 *   words    teacher s1 80.6 → 81.3 · oracle s1 93.6 → 93.8 · head s1 81.5 → 84.0 · head s2 83.3 → 86.0
 *   speakers oracle s1 96.7 → 98.0 · head s1 83.2 → 84.2 · head s2 71.8 → 72.7
 * wide (flatten): words oracle s1 93.6 → 95.0, head s1 81.5 → 82.3.
 * HEAD_MIN (speakers head s1, time-mean): 0.9 84.2 (1,213 clips at 98.0%), 0.5 85.0 (2,033 at 87.6%), 0 82.0 (2,280
 * at 81.8%). The product bench did not keep time-mean (src/core/modalities/audio/student.ts AUDIO_STUDENT_DEFAULTS.arch).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../backend';
import { accuracyOf, loadSplit, seedLabels, spreadTeacher, voiceRows, type SpecSet } from './data';
import { predictAudioStudent, trainAudioStudent, type StudentArch } from '../../src/core/modalities/audio/student';
import { argmaxRow } from '../../src/core/util/math';
import { fitAudioHead, predictAudioHead } from '../../src/core/modalities/audio/head';
import { candidateName } from '../../src/core/modalities/audio/headState';

/** The architectures compared: the product's default and variants of its first stride, pooling and widths. */
const ARCHS: Record<string, StudentArch> = {
  base: {},
  tmean: { pool: 'time-mean' },
  t1: { firstStride: [1, 2] },
  t1mean: { firstStride: [1, 2], pool: 'time-mean' },
  wide: { widths: [32, 64, 128, 128] },
};

async function labelsOf(
  set: string,
  kind: string,
  pool: SpecSet,
  test: SpecSet,
  seed: number,
): Promise<{ rows: Int32Array; y: Int32Array }> {
  const C = pool.classes.length;
  if (kind === 'oracle') return { rows: Int32Array.from(pool.y.keys()), y: Int32Array.from(pool.y) };
  const { lab } = seedLabels(pool.y, C, 10, seed);
  if (kind === 'head') return headProposals(set, pool, lab, seed);
  if (kind !== 'teacher') throw new Error(`labels: oracle, teacher or head, not ${kind}`);
  const t = await spreadTeacher(pool, test, lab, C, seed);
  const isLab = new Set(lab);
  const cand = [...pool.y.keys()].filter((i) => !isLab.has(i)).map((i) => ({ i, c: argmaxRow(t.P, i, C), p: 0 }));
  for (const q of cand) q.p = t.P[q.i * C + q.c];
  cand.sort((a, b) => b.p - a.p);
  const picked = cand.slice(0, Math.round(Number(process.env.TEACHER_FRAC ?? 0.3) * cand.length));
  const ok = picked.filter((q) => q.c === pool.y[q.i]).length;
  console.log(
    `seed ${seed}: teacher test ${(100 * t.testAcc).toFixed(1)}%, ${picked.length} pool labels at ${((100 * ok) / picked.length).toFixed(1)}%`,
  );
  return { rows: Int32Array.from(picked, (q) => q.i), y: Int32Array.from(picked, (q) => q.c) };
}

async function headProposals(set: string, pool: SpecSet, lab: number[], seed: number): Promise<{ rows: Int32Array; y: Int32Array }> {
  const C = pool.classes.length;
  const d = { spec: pool.spec, n: pool.n, frames: pool.frames, mels: pool.mels, voice: await voiceRows(set, 'pool') };
  const train = {
    index: Int32Array.from(lab),
    y: Int32Array.from(lab, (i) => pool.y[i]),
    weight: new Float32Array(lab.length).fill(1),
    holdout: new Uint8Array(lab.length).fill(1),
  };
  const state = await fitAudioHead({ ...d, train, nClasses: C, seed, encoders: [] });
  const P = await predictAudioHead(state, d);
  const isLab = new Set(lab);
  const minP = Number(process.env.HEAD_MIN ?? 0.9);
  const rows: number[] = [];
  const y: number[] = [];
  let ok = 0;
  for (let i = 0; i < pool.n; i++) {
    const c = argmaxRow(P, i, C);
    if (isLab.has(i) || P[i * C + c] < minP) continue;
    rows.push(i);
    y.push(c);
    if (c === pool.y[i]) ok++;
  }
  console.log(
    `seed ${seed}: head ${candidateName(state.chosen)}, ${rows.length} clips at ≥ ${minP}, ${((100 * ok) / Math.max(1, rows.length)).toFixed(1)}% right`,
  );
  return { rows: Int32Array.from(rows), y: Int32Array.from(y) };
}

async function main(): Promise<void> {
  const [set = 'audio-words', seedList = '1', kind = 'teacher', archList = 'base'] = process.argv.slice(2);
  await useBackend('wasm');
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const C = pool.classes.length;
  console.log(`${set}: pool ${pool.n}, test ${test.n}, ${C} classes, ${pool.frames}×${pool.mels}, labels ${kind}`);
  for (const seed of seedList.split(',').map(Number)) {
    const { rows, y } = await labelsOf(set, kind, pool, test, seed);
    for (const name of archList.split(',')) {
      const arch = ARCHS[name];
      if (!arch) throw new Error(`unknown architecture ${name}: ${Object.keys(ARCHS).join(', ')}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-arch-'));
      try {
        const r = await trainAudioStudent({
          spec: pool.spec,
          n: pool.n,
          frames: pool.frames,
          mels: pool.mels,
          rows,
          y,
          nClasses: C,
          seed,
          dir,
          arch,
          predictRows: Int32Array.of(0),
          ...(process.env.STEPS ? { steps: Number(process.env.STEPS) } : {}),
        });
        const d = { spec: test.spec, n: test.n, frames: test.frames, mels: test.mels };
        const plain = await predictAudioStudent(dir, d, C, undefined, [{ shift: 0, rate: 1, melShift: 0 }]);
        const views = await predictAudioStudent(dir, d, C);
        console.log(
          `seed ${seed} ${name.padEnd(7)} ${r.steps} steps ${(r.steps / r.seconds).toFixed(1)}/s: test as is ${(100 * accuracyOf(plain, test.y, C)).toFixed(2)}%, ` +
            `views ${(100 * accuracyOf(views, test.y, C)).toFixed(2)}%`,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

void main();
