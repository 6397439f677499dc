/**
 * The audio student's cross-fitted verdict, put together on the host once its parts are in (./plugin.ts): the real
 * student trained in one worker (./head.ts fitAudioStudent, whose own verdict on the head's held-out labels is
 * flattered), the two judged halves in the others (./head.ts judgeAudioStudentHalf). Pure arithmetic, no tfjs.
 *
 *   withCrossVerdict(teacher, fitted, halves, nClasses) → the state that predicts: the teacher alone, or the mean of
 *   it and the real student at the verdict's weight and temperature, uncapped, with the verdict's held-out figures.
 */
import { crossFittedVerdict } from '../../train/student';
import { expectedCalibrationError } from '../../train/calibration';
import type { AudioHeadState, JudgedHalf } from './headState';

export function withCrossVerdict(teacher: AudioHeadState, fitted: AudioHeadState, halves: JudgedHalf[], nClasses: number): AudioHeadState {
  const C = nClasses;
  const full = fitted.student;
  if (!full || !halves.length) return fitted;
  const { student: _none, ...head } = teacher;
  const v = crossFittedVerdict(halves, C);
  const index = halves.flatMap((h) => Array.from(h.index));
  const labels = Int32Array.from(halves.flatMap((h) => Array.from(h.labels)));
  const student = {
    ...full,
    weight: v.weight,
    temperature: v.temperature,
    kept: v.kept,
    heldOut: v.heldOut,
    judge: 'cross-fitted' as const,
    judgeSeconds: Math.max(...halves.map((h) => h.seconds)),
  };
  if (!v.kept) return { ...head, student };
  return {
    ...head,
    student,
    temperature: v.temperature,
    estimatedAccuracy: v.heldOut.mean.accuracy,
    oof: { index, probs: Array.from(v.mean) },
    ece: { before: expectedCalibrationError(v.teacher, labels, C), after: expectedCalibrationError(v.mean, labels, C) },
  };
}

/** The judged halves as saved in the cache (one file per head, ./plugin.ts): plain arrays. */
export interface SavedVerdict {
  version: 1;
  /** The judging students' lessons: the accepted clips when they were judged. */
  count: number;
  halves: { index: number[]; labels: number[]; teacher: number[]; student: number[]; seconds: number }[];
}

export function verdictJson(halves: JudgedHalf[], count: number): SavedVerdict {
  return {
    version: 1,
    count,
    halves: halves.map((h) => ({
      index: Array.from(h.index),
      labels: Array.from(h.labels),
      teacher: Array.from(h.teacher),
      student: Array.from(h.student),
      seconds: h.seconds,
    })),
  };
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** The saved halves of a verdict for `nClasses` classes, or undefined when `v` is not one (then the halves are judged again). */
export function savedHalves(v: unknown, nClasses: number): JudgedHalf[] | undefined {
  const s = v as Partial<SavedVerdict> | null;
  if (typeof s !== 'object' || s === null || s.version !== 1 || !Array.isArray(s.halves) || s.halves.length !== 2) return undefined;
  const out: JudgedHalf[] = [];
  for (const h of s.halves) {
    if (typeof h !== 'object' || h === null) return undefined;
    const { index, labels, teacher, student, seconds } = h;
    if (!isNumbers(index) || !isNumbers(labels) || !isNumbers(teacher) || !isNumbers(student) || typeof seconds !== 'number')
      return undefined;
    const m = index.length;
    if (labels.length !== m || teacher.length !== m * nClasses || student.length !== m * nClasses) return undefined;
    if (!labels.every((c) => Number.isInteger(c) && c >= 0 && c < nClasses)) return undefined;
    out.push({
      index: Int32Array.from(index),
      labels: Int32Array.from(labels),
      teacher: Float32Array.from(teacher),
      student: Float32Array.from(student),
      seconds,
    });
  }
  return out;
}
