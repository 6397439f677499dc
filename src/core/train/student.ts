/**
 * A noisy student's verdict, for every modality that trains one (today the audio head, src/core/modalities/audio/head.ts):
 *
 *   studentRows(train)                     → the rows no person labelled (accepted proposals), which a student learns
 *   judgeStudent({teacher, student, labels, nClasses}) → kept?, the mean's temperature, held-out figures
 *   studentMean(teacher, student, weight, temperature, rows, C) → the mean, capped by the teacher
 *
 * A student is a network trained on the labels no person gave; the human labels never train it, so they judge it:
 * the mean of its probabilities and the teacher's out-of-fold ones on those labels, against the teacher's alone. The
 * mean is kept when it is at least as accurate and fits them better (lower log-loss at its own temperature). The
 * accepted labels came from a teacher that saw every human label, so these held-out figures lean optimistic (the
 * accepted items crowd around the human-labelled ones: BENCHMARKS.md "Session 13 — audio"); hence the cap.
 */
import type { TrainSet } from './classifier';
import { isHumanLabel } from './crossval';
import { argmaxRow } from '../util/math';
import { capConfidence, fitTemperature, nllAt } from './calibration';

/** Fewest rows a student learns from: this many per class on average. */
export const STUDENT_MIN_PER_CLASS = 10;

/** The student's share of the mean. */
export const STUDENT_WEIGHT = 0.5;

/** The rows of a train set that no person labelled (accepted proposals, pseudo-labels), and their classes. */
export function studentRows(t: TrainSet): { rows: Int32Array; y: Int32Array } {
  const keep: number[] = [];
  for (let k = 0; k < t.index.length; k++) if (!isHumanLabel(t, k)) keep.push(k);
  return { rows: Int32Array.from(keep, (k) => t.index[k]), y: Int32Array.from(keep, (k) => t.y[k]) };
}

/** Whether a student has enough rows to learn from: STUDENT_MIN_PER_CLASS a class on average, two classes at least. */
export function enoughForStudent(y: ArrayLike<number>, nClasses: number): boolean {
  return y.length >= STUDENT_MIN_PER_CLASS * nClasses && new Set(Array.from(y)).size >= 2;
}

/**
 * The mean of the teacher's and the student's probabilities, calibrated by `temperature` (rows × C), then capped by
 * the teacher: a row's top class is no more probable than the teacher's probability of that class (nor less than
 * 1/C + 0.01), the row shrunk toward uniform so that its order stays. The student moves labels, but a proposal needs
 * the teacher's support: the human labels cannot judge the student's confidence honestly (audio-speakers seed 1,
 * round 2, uncapped: 95.4–95.8% claimed, 88.6–89.0% measured).
 */
export function studentMean(
  teacher: ArrayLike<number>,
  student: ArrayLike<number>,
  w: number,
  temperature: number,
  rows: number,
  C: number,
): Float32Array {
  const out = new Float32Array(rows * C);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let c = 0; c < C; c++) {
      const q = i * C + c;
      const v = Math.exp(Math.log(Math.max(1e-12, (1 - w) * teacher[q] + w * student[q])) / temperature);
      out[q] = v;
      z += v;
    }
    for (let c = 0; c < C; c++) out[i * C + c] /= z;
  }
  // Never down to 1/C itself, which would make the row uniform and lose its order.
  return capConfidence(out, rows, C, (i, top) => Math.max(teacher[i * C + top], 1 / C + 0.01));
}

/** What the human labels said of a student (saved with the model, shown in the train summary). */
export interface StudentVerdict {
  labels: number;
  head: { accuracy: number; logLoss: number };
  student: { accuracy: number };
  mean: { accuracy: number; logLoss: number };
}

/**
 * Judges a student on m human labels it never saw: `teacher` and `student` are their probabilities (m × C, the
 * teacher's out of fold). Returns whether the mean is kept, its temperature, its (capped) probabilities on those
 * labels, and the figures.
 */
export function judgeStudent(o: { teacher: Float32Array; student: Float32Array; labels: Int32Array; nClasses: number; weight?: number }): {
  kept: boolean;
  temperature: number;
  weight: number;
  mean: Float32Array;
  heldOut: StudentVerdict;
} {
  const C = o.nClasses;
  const m = o.labels.length;
  if (o.teacher.length !== m * C || o.student.length !== m * C)
    throw new Error(`judgeStudent: ${m} labels × ${C} classes, got ${o.teacher.length} teacher and ${o.student.length} student numbers`);
  const w = o.weight ?? STUDENT_WEIGHT;
  const logMean = new Float32Array(m * C);
  for (let q = 0; q < m * C; q++) logMean[q] = Math.log(Math.max(1e-12, (1 - w) * o.teacher[q] + w * o.student[q]));
  const temperature = m ? fitTemperature(logMean, o.labels, C) : 1;
  const mean = studentMean(o.teacher, o.student, w, temperature, m, C);
  const logHead = Float32Array.from(o.teacher, (v) => Math.log(Math.max(1e-12, v)));
  const acc = (P: Float32Array) => o.labels.reduce((s, c, a) => s + (argmaxRow(P, a, C) === c ? 1 : 0), 0) / Math.max(1, m);
  const heldOut: StudentVerdict = {
    labels: m,
    head: { accuracy: acc(o.teacher), logLoss: nllAt(logHead, o.labels, C, 1) },
    student: { accuracy: acc(o.student) },
    mean: { accuracy: acc(mean), logLoss: nllAt(logMean, o.labels, C, temperature) },
  };
  const kept = m > 0 && heldOut.mean.accuracy >= heldOut.head.accuracy && heldOut.mean.logLoss < heldOut.head.logLoss;
  return { kept, temperature, weight: w, mean, heldOut };
}
