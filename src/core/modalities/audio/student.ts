/**
 * The audio student (worker only, tfjs): the audio encoder of ./encoder.ts plus a softmax layer, trained from random
 * initialisation on the spectrograms of the clips whose labels no person gave — the proposals accepted in earlier
 * rounds — with strong augmentations (the contrastive views' time shift, gain, noise and SpecAugment masks, plus
 * tempo and pitch). A "noisy student" (Xie et al. 2020): it learns the word from the sound itself, where the head
 * learns it from fixed utterance features and a neighbour graph, so it corrects many of the head's errors, and the
 * mean of both is better than either (research/audio/fixmatch.ts `TEACHER=spread`; BENCHMARKS.md "Session 13").
 *
 *   trainAudioStudent({spec, n, frames, mels, rows, y, nClasses, seed, dir}) → {probs (n × C), steps, seconds}
 *   predictAudioStudent(dir, {spec, n, frames, mels}, nClasses) → probs (n × C), the mean over studentViews
 *
 * The human labels never train it, so they can judge it (./head.ts fitAudioStudent).
 */
import * as tf from '@tensorflow/tfjs';
import type { Progress } from '../../types';
import { AbortError } from '../../util/progress';
import { Rng, permutation } from '../../models/random';
import { hasModel, loadModel, saveModel } from '../../models/checkpoint';
import { seedOf } from '../../ssl/projection';
import { softmaxRows } from '../../util/math';
import { buildAudioEncoder, defaultAudioEncoderConfig, type AudioEncoderConfig } from './encoder';
import { CONTRASTIVE_AUGMENT, augmentSpec, fixedViews, type SpecAugmentOptions, type ViewGeometry } from './spec';
import { inferAudio } from './pretrain';

/**
 * Batch, epochs over the student's rows, the step bounds, and the learning rate (Adam, cosine decay to 5 %).
 * Measured on audio-words (seeds 1–3, 1,680 teacher labels, 1,800 steps): the student alone 81.2–83.6% test, its
 * teacher 71.2–75.9%. 48 passes (session 17; 24 before): a round's 1,483–1,783 accepted clips get the full 1,800
 * steps instead of 1,113–1,337 — product bench, final test +0.9 / +0.9 / +1.0 on audio-words seeds 1–3, speakers
 * seed 1 +0.8 (BENCHMARKS.md "Session 17 — audio").
 */
export const AUDIO_STUDENT_DEFAULTS = {
  batchSize: 32,
  epochs: 48,
  minSteps: 200,
  maxSteps: 1800,
  learningRate: 1e-3,
  /**
   * A student that starts from another — the last one (the labels grew by a round's proposals), or the first time half
   * 0's judging student (./plugin.ts; session 39, words seeds 1–3 idle: final test −0.2 / +0.3 / +0.2 points, round
   * 2's train 0.56–0.86× of a student from scratch): this share of the steps, at half the rate.
   */
  warmShare: 0.35,
  /**
   * The judging students' steps, as a share of the real one's from scratch (./head.ts judgeAudioStudentHalf: two of
   * them, one per half of the human labels, on the two workers before the real student). At 1 the verdict told the
   * speaker seeds apart that the student helps (+4.7 on the test, kept: 64.2% against 63.3% for the half-label head)
   * and hurts (−4.0, left out: 70.0% against 71.7%); at 1/3 it left both out (BENCHMARKS.md "Session 18 — audio").
   */
  crossShare: 1,
  /**
   * Its encoder's shape beside the pretrained encoder's default (./encoder.ts): none. The dense layer on the mean over
   * time ({pool: 'time-mean'}) taught a better student alone in research/audio/arch.ts on 7 of 7 runs (test % with
   * the fixed views: words +0.2 to +2.7, speakers +0.8 to +1.3), but in the product bench the final test moved words
   * seeds 1–3 +0.9 / +2.7 / +1.0 and speakers −1.2 / −2.0 / −1.7 (on seed 2 the verdict kept a student it had left
   * out): not kept (BENCHMARKS.md "Session 22 — audio").
   */
  arch: {} as StudentArch,
};

/** The student's views: the contrastive views' augmentations, tempo ± 15 % and pitch ± 2 mel bands. */
export const STUDENT_AUGMENT: SpecAugmentOptions = { ...CONTRASTIVE_AUGMENT, stretch: 0.15, melShift: 2 };

const MODEL = 'student';

export interface StudentSpec {
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
}

/** Steps for `rows` labelled clips: `epochs` passes, within [minSteps, maxSteps]; a share of them from a warm start. */
export function studentSteps(rows: number, warm = false): number {
  const d = AUDIO_STUDENT_DEFAULTS;
  const full = Math.max(d.minSteps, Math.min(d.maxSteps, Math.ceil((d.epochs * rows) / d.batchSize)));
  return warm ? Math.max(d.minSteps, Math.ceil(full * d.warmShare)) : full;
}

/** The last student, to start from, when it reads the same spectrograms and classes with the same pooling (else undefined). */
async function warmStart(
  dir: string | undefined,
  frames: number,
  mels: number,
  C: number,
  arch: StudentArch,
): Promise<tf.LayersModel | undefined> {
  if (!dir || !(await hasModel(dir, MODEL))) return undefined;
  const model = await loadModel(dir, MODEL).catch(() => undefined);
  if (!model) return undefined;
  const inShape = model.inputs[0].shape;
  const timeMean = model.layers.some((l) => l.name === 'time_mean');
  if (inShape[1] === frames && inShape[2] === mels && model.outputs[0].shape[1] === C && timeMean === (arch.pool === 'time-mean'))
    return model;
  model.dispose();
  return undefined;
}

function buildStudent(frames: number, mels: number, C: number, seed: number, arch: StudentArch): tf.LayersModel {
  const enc = buildAudioEncoder({ ...defaultAudioEncoderConfig(frames, mels), ...arch, frames, mels }, seed);
  const out = tf.layers
    .dense({ units: C, kernelInitializer: tf.initializers.glorotNormal({ seed: seedOf(seed, 500) }), name: 'student_logits' })
    .apply(enc.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: enc.inputs, outputs: out, name: 'audio_student' });
}

/**
 * The fixed views a student predicts from (test-time augmentation): the clip as it is, moved by ± 5 % of its frames,
 * its bands by ± 1 (pitch), its tempo by ± 10 % — milder cases of its training views. The mean of their probabilities
 * was right more often than the clip alone for every student measured (session 21, research/audio/tta.ts on session
 * 20's kept students, test split: words seeds 1–2 82.5 → 83.8 and 78.6 → 79.8, speakers seeds 1 and 3 82.7 → 83.3 and
 * 77.7 → 79.2; BENCHMARKS.md "Session 21 — audio").
 */
export function studentViews(frames: number): ViewGeometry[] {
  const s = Math.max(1, Math.round(0.05 * frames));
  return [
    { shift: 0, rate: 1, melShift: 0 },
    { shift: -s, rate: 1, melShift: 0 },
    { shift: s, rate: 1, melShift: 0 },
    { shift: 0, rate: 1, melShift: -1 },
    { shift: 0, rate: 1, melShift: 1 },
    { shift: 0, rate: 0.9, melShift: 0 },
    { shift: 0, rate: 1.1, melShift: 0 },
  ];
}

/** The student's probabilities for every clip of `d` (n × C): the mean over `views`, one view in memory at a time. */
async function probsOf(
  model: tf.LayersModel,
  d: StudentSpec,
  C: number,
  dir: string,
  signal?: AbortSignal,
  views: readonly ViewGeometry[] = studentViews(d.frames),
): Promise<Float32Array> {
  const mean = new Float32Array(d.n * C);
  for (const [k, v] of views.entries()) {
    const plain = v.shift === 0 && v.rate === 1 && v.melShift === 0;
    const spec = plain ? d.spec : fixedViews(d.spec, d.n, d.frames, d.mels, v);
    const logits = await inferAudio({ checkpointDir: dir, ...d, spec, signal }, model, (x) => model.predict(x) as tf.Tensor, C, {
      stage: 'train',
      message: `audio student: predicting, view ${k + 1} of ${views.length}`,
    });
    const p = softmaxRows(logits, d.n, C, 1);
    for (let i = 0; i < mean.length; i++) mean[i] += p[i] / views.length;
  }
  return mean;
}

/** The spectrograms of some clips only, in the order of `rows`. */
function subSpec(d: StudentSpec, rows: Int32Array): StudentSpec {
  const per = d.frames * d.mels;
  const spec = new Float32Array(rows.length * per);
  rows.forEach((r, k) => {
    if (!(r >= 0 && r < d.n)) throw new Error(`audio student: row ${r} outside the ${d.n} clips`);
    spec.set(d.spec.subarray(r * per, (r + 1) * per), k * per);
  });
  return { spec, n: rows.length, frames: d.frames, mels: d.mels };
}

/** The student's encoder, where it differs from the pretrained encoder's default (./encoder.ts). */
export type StudentArch = Partial<Omit<AudioEncoderConfig, 'frames' | 'mels'>>;

/** How a student is trained and where it is kept (trainAudioStudent, and ./head.ts fitAudioStudent). */
export interface StudentRun {
  /** Its encoder (default AUDIO_STUDENT_DEFAULTS.arch): research/audio/arch.ts. */
  arch?: StudentArch;
  nClasses: number;
  seed: number;
  /** Where the model is saved (a folder of its own). */
  dir: string;
  /** The folder of the last student: trained on, when it fits these clips and classes (fewer steps). */
  initFrom?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export async function trainAudioStudent(
  o: StudentSpec &
    StudentRun & {
      /** The clips it learns from and their classes. */
      rows: Int32Array;
      y: Int32Array;
      /** Steps instead of studentSteps (a judging student: ./head.ts judgeAudioStudentHalf). */
      steps?: number;
      /** Keep the model in `dir` (default true); a judging student is thrown away. */
      save?: boolean;
      /** Predict only these clips (default: every clip); `probs` is then rows × C in this order. */
      predictRows?: Int32Array;
    },
): Promise<{ probs: Float32Array; steps: number; seconds: number; warm: boolean }> {
  const { frames, mels, nClasses: C } = o;
  const m = o.rows.length;
  if (m === 0 || m !== o.y.length) throw new Error(`audio student: ${m} rows and ${o.y.length} classes`);
  for (let k = 0; k < m; k++) {
    if (!(o.rows[k] >= 0 && o.rows[k] < o.n)) throw new Error(`audio student: row ${o.rows[k]} outside the ${o.n} clips`);
    if (!(o.y[k] >= 0 && o.y[k] < C)) throw new Error(`audio student: class ${o.y[k]} outside the ${C} classes`);
  }
  const t0 = Date.now();
  const per = frames * mels;
  const d = AUDIO_STUDENT_DEFAULTS;
  const B = Math.min(d.batchSize, m);
  const arch = o.arch ?? d.arch;
  const init = await warmStart(o.initFrom, frames, mels, C, arch);
  const warm = init !== undefined;
  const steps = o.steps ?? studentSteps(m, warm);
  const model = init ?? buildStudent(frames, mels, C, o.seed, arch);
  const lr0 = warm ? d.learningRate / 2 : d.learningRate;
  const opt = tf.train.adam(lr0);
  const rng = new Rng(seedOf(o.seed, 501));
  const x = new Float32Array(B * per);
  const tmp = new Float32Array(per);
  const y = new Int32Array(B);
  let order = permutation(m, rng);
  let at = 0;
  try {
    for (let step = 0; step < steps; step++) {
      if (o.signal?.aborted) throw new AbortError();
      for (let j = 0; j < B; j++) {
        if (at >= m) {
          order = permutation(m, rng);
          at = 0;
        }
        const k = order[at++];
        augmentSpec(o.spec, o.rows[k], frames, mels, STUDENT_AUGMENT, rng, tmp, x, j * per);
        y[j] = o.y[k];
      }
      const p = step / Math.max(1, steps - 1);
      (opt as unknown as { learningRate: number }).learningRate = lr0 * (0.05 + 0.475 * (1 + Math.cos(Math.PI * p)));
      const loss = opt.minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(y, 'int32'), C),
            model.apply(tf.tensor4d(x, [B, frames, mels, 1]), { training: true }) as tf.Tensor2D,
          ) as tf.Scalar,
        true,
      );
      const lv = step % 50 === 49 || step === steps - 1 ? (await loss!.data())[0] : undefined;
      loss?.dispose();
      if (step % 10 === 9 || step === steps - 1) {
        const el = (Date.now() - t0) / 1000;
        o.onProgress?.({
          stage: 'train',
          done: step + 1,
          total: steps,
          etaSeconds: (el / (step + 1)) * (steps - step - 1),
          ...(lv !== undefined ? { loss: lv } : {}),
          message: 'audio student',
        });
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    if (o.save !== false) await saveModel(model, o.dir, MODEL);
    const probs = await probsOf(model, o.predictRows ? subSpec(o, o.predictRows) : o, C, o.dir, o.signal);
    return { probs, steps, seconds: (Date.now() - t0) / 1000, warm };
  } finally {
    model.dispose();
    opt.dispose();
  }
}

/** The saved student's probabilities for clips (n × C): the mean over `views` (default studentViews). */
export async function predictAudioStudent(
  dir: string,
  d: StudentSpec,
  C: number,
  signal?: AbortSignal,
  views?: readonly ViewGeometry[],
): Promise<Float32Array> {
  if (!(await hasModel(dir, MODEL))) throw new Error(`The audio student's model is missing from ${dir}: train again.`);
  const model = await loadModel(dir, MODEL);
  try {
    const outC = model.outputs[0].shape[1];
    if (outC !== C) throw new Error(`The audio student in ${dir} has ${outC} classes, the project ${C}: train again.`);
    return await probsOf(model, d, C, dir, signal, views);
  } finally {
    model.dispose();
  }
}
