/**
 * The audio CNN (src/core/modalities/audio/encoder.ts + a softmax layer) trained from random initialisation on 10
 * labels per class with FixMatch-style consistency on the unlabelled pool (as the image `scratch` candidate does):
 * each step a batch of labelled clips (weak view) and RATIO × as many pool clips; the weak view's prediction (no
 * gradient) labels the strong view where its confidence is ≥ THRESH. Weak view: shift ≤ 5 %, gain ± 3 dB; strong:
 * the contrastive views' SpecAugment masks and noise plus tempo ± STRETCH and pitch ± MELSHIFT mel bands.
 * TEACHER=1 adds the utterance-feature logistic regression's (study.ts `all`) most confident TEACHER_FRAC (0.3) of
 * the pool's labels to the labelled rows at weight 0.5 (a noisy student instead of a scratch network); TEACHER=spread
 * takes them from the product head's words candidate instead (`shape` features, label spreading over 10 neighbours, a
 * 256-unit MLP on the spread labels), and prints the test accuracy of the mean of the student's and the teacher's
 * probabilities too. NOHUMAN=1: the student learns the teacher's labels alone, and its accuracy on the human-labelled
 * clips is printed (`human`) beside the test's — how much they flatter it (src/core/modalities/audio/student.ts).
 * WEIGHT=0 RATIO=0: no consistency term (a plain noisy student, 3–5× faster). Test accuracy every EVAL steps.
 *   SELFLABEL_AUDIO_DATA=… node --import tsx research/audio/fixmatch.ts [audio-words|audio-speakers] [seeds=1]
 * env: STEPS (1500) B (32) RATIO (2) THRESH (0.95) WEIGHT (1) STRETCH (0.15) MELSHIFT (2) LR (1e-3) EVAL (250)
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../backend';
import { loadSplit, type SpecSet } from './data';
import { buildAudioEncoder, defaultAudioEncoderConfig } from '../../src/core/modalities/audio/encoder';
import {
  CONTRASTIVE_AUGMENT,
  MILD_AUGMENT,
  augmentSpec,
  standardizeInto,
  type SpecAugmentOptions,
} from '../../src/core/modalities/audio/spec';
import { columnStats, standardizeBlocks, utteranceFeatures } from '../../src/core/modalities/audio/utterance';
import { spreadTeacher } from './data';
import { confidentRows } from '../../src/core/modalities/image/student';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';
import { mulberry32, sample } from '../../src/bench/rng';
import { Rng, permutation } from '../../src/core/models/random';
import { seedOf } from '../../src/core/ssl/projection';
import { argmaxRow, softmaxRows } from '../../src/core/util/math';

const env = (k: string, d: number) => Number(process.env[k] ?? d);

function logitsOf(enc: tf.LayersModel, head: tf.LayersModel, s: SpecSet, C: number): Float32Array {
  const per = s.frames * s.mels;
  const out = new Float32Array(s.n * C);
  const buf = new Float32Array(256 * per);
  for (let a = 0; a < s.n; a += 256) {
    const b = Math.min(256, s.n - a);
    for (let i = 0; i < b; i++) standardizeInto(s.spec, (a + i) * per, per, buf, i * per);
    const z = tf.tidy(
      () => head.predict(enc.predict(tf.tensor4d(buf.subarray(0, b * per), [b, s.frames, s.mels, 1])) as tf.Tensor) as tf.Tensor,
    );
    out.set(z.dataSync(), a * C);
    z.dispose();
  }
  return out;
}

function accuracy(logits: ArrayLike<number>, y: Int32Array, C: number, rows?: ArrayLike<number>): number {
  const idx = rows ?? Int32Array.from(y.keys());
  let ok = 0;
  for (let j = 0; j < idx.length; j++) if (argmaxRow(logits, idx[j], C) === y[idx[j]]) ok++;
  return ok / Math.max(1, idx.length);
}

/** The utterance-feature LR (`all` blocks, λ 1e-3) probabilities on the pool and its test accuracy. */
function teacher(pool: SpecSet, test: SpecSet, lab: number[], C: number): { P: Float64Array; testAcc: number } {
  const up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels);
  const ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels);
  const st = columnStats(up.X, up.n, up.dim);
  // TEACHER_SHAPE=0: the timbre blocks only (speakers' best, BENCHMARKS "Audio, session 7")
  const w = { mfcc: 1, stats: 1, shape: env('TEACHER_SHAPE', 1), spectrum: 1 };
  const { X: Xp, dim } = standardizeBlocks(up, st, w);
  const { X: Xt } = standardizeBlocks(ut, st, w);
  const m = fitLogReg(
    { kind: 'dense', X: Xp, n: pool.n, dim },
    lab,
    Int32Array.from(lab, (i) => pool.y[i]),
    C,
    {
      lambda: 1e-3,
      maxIterations: 400,
    },
  );
  const Pt = predictLogReg(m, { kind: 'dense', X: Xt, n: test.n, dim });
  return { P: predictLogReg(m, { kind: 'dense', X: Xp, n: pool.n, dim }), testAcc: accuracy(Pt, test.y, C) };
}

async function run(pool: SpecSet, test: SpecSet, seed: number): Promise<void> {
  const C = pool.classes.length;
  const { frames, mels } = pool;
  const per = frames * mels;
  const rand = mulberry32(seed);
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < pool.n; i++) byClass[pool.y[i]].push(i);
  const lab = byClass.flatMap((l) => sample(l, 10, rand));
  // NOHUMAN=1: the student learns from the teacher's pool labels alone, so the human labels test it (printed as `human`).
  const noHuman = !!process.env.NOHUMAN;
  const rowsL: number[] = noHuman ? [] : [...lab];
  const yL: number[] = noHuman ? [] : lab.map((i) => pool.y[i]);
  const wL: number[] = noHuman ? [] : lab.map(() => 1);
  let teacherTest: Float32Array | undefined;
  if (process.env.TEACHER) {
    const t =
      process.env.TEACHER === 'spread' ? await spreadTeacher(pool, test, lab, C, seed) : { ...teacher(pool, test, lab, C), Pt: undefined };
    teacherTest = t.Pt;
    const isLab = new Set(lab);
    // its most confident TEACHER_FRAC of the unlabelled pool (its probabilities are soft: none reach 0.9 on words)
    const cand = Array.from({ length: pool.n }, (_, i) => i)
      .filter((i) => !isLab.has(i))
      .map((i) => ({ i, c: argmaxRow(t.P, i, C), p: 0 }));
    for (const q of cand) q.p = t.P[q.i * C + q.c];
    cand.sort((x, z) => z.p - x.p);
    const picked = cand.slice(0, Math.round(env('TEACHER_FRAC', 0.3) * cand.length));
    let ok = 0;
    for (const q of picked) {
      rowsL.push(q.i);
      yL.push(q.c);
      wL.push(0.5);
      if (q.c === pool.y[q.i]) ok++;
    }
    const k = picked.length;
    console.log(
      `seed ${seed} teacher test ${(100 * t.testAcc).toFixed(1)}%, ${k} pool labels at ${((100 * ok) / Math.max(1, k)).toFixed(1)}%`,
    );
  }
  const m = rowsL.length;
  const rng = new Rng(seed);
  const enc = buildAudioEncoder(defaultAudioEncoderConfig(frames, mels), seed);
  const head = tf.sequential();
  head.add(tf.layers.dense({ inputShape: [128], units: C, kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(seed, 500) }) }));
  const steps = env('STEPS', 1500);
  const B = Math.min(env('B', 32), m);
  const U = Math.round(env('RATIO', 2) * B);
  const thr = env('THRESH', 0.95);
  const wU = env('WEIGHT', 1);
  const lr0 = env('LR', 1e-3);
  const opt = tf.train.adam(lr0);
  const weak: SpecAugmentOptions = { ...MILD_AUGMENT, noiseP: 0 };
  const strong: SpecAugmentOptions = { ...CONTRASTIVE_AUGMENT, stretch: env('STRETCH', 0.15), melShift: env('MELSHIFT', 2) };
  const labelledAug: SpecAugmentOptions = process.env.LAB_STRONG ? strong : MILD_AUGMENT;
  const xb = new Float32Array(B * per);
  const yb = new Int32Array(B);
  const wb = new Float32Array(B);
  const ub = new Float32Array(U * per);
  const urow = new Int32Array(U);
  const tmp = new Float32Array(per);
  const isLab = new Set(lab);
  const unl = Int32Array.from({ length: pool.n }, (_, i) => i).filter((i) => !isLab.has(i));
  let perm = permutation(m, rng);
  let at = 0;
  let uperm = permutation(unl.length, rng);
  let uat = 0;
  let masked = 0;
  let maskedOk = 0;
  let drawn = 0;
  const t0 = Date.now();
  const every = env('EVAL', 250);
  try {
    for (let step = 0; step < steps; step++) {
      for (let j = 0; j < B; j++) {
        if (at >= m) {
          perm = permutation(m, rng);
          at = 0;
        }
        const k = perm[at++];
        augmentSpec(pool.spec, rowsL[k], frames, mels, labelledAug, rng, tmp, xb, j * per);
        yb[j] = yL[k];
        wb[j] = wL[k];
      }
      const p = step / Math.max(1, steps - 1);
      (opt as unknown as { learningRate: number }).learningRate = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
      let sx: tf.Tensor4D | undefined;
      let sy: Int32Array | undefined;
      if (U > 0 && wU > 0) {
        for (let j = 0; j < U; j++) {
          if (uat >= unl.length) {
            uperm = permutation(unl.length, rng);
            uat = 0;
          }
          urow[j] = unl[uperm[uat++]];
          augmentSpec(pool.spec, urow[j], frames, mels, weak, rng, tmp, ub, j * per);
        }
        const probs = tf.tidy(() => tf.softmax(head.apply(enc.apply(tf.tensor4d(ub, [U, frames, mels, 1]))) as tf.Tensor2D));
        const conf = confidentRows(probs.dataSync() as Float32Array, U, C, thr);
        probs.dispose();
        drawn += U;
        masked += conf.rows.length;
        conf.rows.forEach((j, q) => (maskedOk += conf.y[q] === pool.y[urow[j]] ? 1 : 0));
        if (conf.rows.length) {
          const sb = new Float32Array(conf.rows.length * per);
          conf.rows.forEach((j, q) => augmentSpec(pool.spec, urow[j], frames, mels, strong, rng, tmp, sb, q * per));
          sx = tf.tensor4d(sb, [conf.rows.length, frames, mels, 1]);
          sy = Int32Array.from(conf.y);
        }
      }
      const loss = opt.minimize(() => {
        const lg = head.apply(enc.apply(tf.tensor4d(xb, [B, frames, mels, 1]), { training: true })) as tf.Tensor2D;
        const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(yb, 'int32'), C), lg, tf.tensor1d(wb), 0, tf.Reduction.NONE);
        const sup = tf.div(tf.sum(ce), tf.maximum(tf.sum(tf.tensor1d(wb)), 1e-6)) as tf.Scalar;
        if (!sx || !sy) return sup;
        const su = head.apply(enc.apply(sx, { training: true })) as tf.Tensor2D;
        const cu = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(sy, 'int32'), C), su, undefined, 0, tf.Reduction.NONE);
        return tf.add(sup, tf.mul(wU / U, tf.sum(cu))) as tf.Scalar;
      }, true);
      const lv = loss ? loss.dataSync()[0] : NaN;
      loss?.dispose();
      sx?.dispose();
      if ((step + 1) % every === 0 || step === steps - 1) {
        const lt = logitsOf(enc, head, test, C);
        const lp = logitsOf(enc, head, pool, C);
        let mix = noHuman ? ` human ${(100 * accuracy(lp, pool.y, C, lab)).toFixed(1)}%` : '';
        if (teacherTest) {
          const Ps = softmaxRows(lt, test.n, C);
          for (let q = 0; q < Ps.length; q++) Ps[q] = (Ps[q] + teacherTest[q]) / 2;
          mix += ` mean-with-teacher ${(100 * accuracy(Ps, test.y, C)).toFixed(1)}%`;
        }
        console.log(
          `seed ${seed} step ${step + 1} loss ${lv.toFixed(3)} test ${(100 * accuracy(lt, test.y, C)).toFixed(1)}% pool-unl ${(100 * accuracy(lp, pool.y, C, unl)).toFixed(1)}% ` +
            `mask ${((100 * masked) / Math.max(1, drawn)).toFixed(1)}% at ${((100 * maskedOk) / Math.max(1, masked)).toFixed(1)}% ${((Date.now() - t0) / 1000).toFixed(0)} s${mix}`,
        );
        masked = maskedOk = drawn = 0;
      }
    }
  } finally {
    enc.dispose();
    head.dispose();
    opt.dispose();
  }
}

async function main(): Promise<void> {
  await useBackend(process.env.BACKEND ?? 'wasm');
  const set = process.argv[2] ?? 'audio-words';
  const seeds = (process.argv[3] ?? '1').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  console.log(`${set}: pool ${pool.n}, test ${test.n}, ${pool.classes.length} classes, ${pool.frames}×${pool.mels}`);
  for (const s of seeds) await run(pool, test, s);
}

void main();
