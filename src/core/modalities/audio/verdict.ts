/**
 * The audio student's cross-fitted verdict, put together on the host (./plugin.ts): the two judged halves first, one
 * a worker (./head.ts judgeAudioStudentHalf), then — only when they keep it — the real student (./head.ts
 * fitAudioStudent, whose own verdict on the head's held-out labels is flattered). Pure arithmetic, no tfjs.
 *
 *   crossVerdict(halves, nClasses) → the verdict of the judged halves, computed once: `.verdict.kept` says whether
 *   the real student is worth training (asked before it is)
 *   startsFromJudged(judged, teacherAccuracy) → whether that student may start from half 0's judging student
 *   withoutStudent(teacher, judged, rows) → the teacher alone, with the verdict's record and no model
 *   withCrossVerdict(teacher, fitted, judged) → the state that predicts: the teacher alone, or the mean of it and the
 *   real student at the verdict's weight and temperature (the judging pairs', moved by the teachers' ratio at the
 *   student's share: src/core/train/student.ts transferTemperature), uncapped, with the verdict's held-out figures.
 */
import { crossFittedVerdict, transferTemperature, type judgeStudent } from '../../train/student';
import { expectedCalibrationError } from '../../train/calibration';
import type { AudioHeadState, AudioStudentRecord, JudgedHalf } from './headState';

/** Two judged halves and their verdict (./plugin.ts builds it once and asks it before training the real student). */
export interface CrossVerdict {
  halves: JudgedHalf[];
  nClasses: number;
  verdict: ReturnType<typeof crossFittedVerdict>;
}

export function crossVerdict(halves: JudgedHalf[], nClasses: number): CrossVerdict {
  if (!halves.length) throw new Error('audio student: a cross-fitted verdict needs judged halves');
  return { halves, nClasses, verdict: crossFittedVerdict(halves, nClasses) };
}

/**
 * How far under the teacher's held-out accuracy the judging students may be for the real student to start from one
 * of them. A judging student learnt from a head fitted on half the human labels; when that head is much weaker than
 * the real one, the student it taught starts the real one on its errors, and a warm start's few steps at half the rate
 * do not unlearn them. Measured in session 39 (the judging students' accuracy on the judged halves against the
 * teacher's; the final test of a student warm-started from half 0's against one from scratch, the same seed and
 * build): speakers seed 3 78.3 against 89.2% (−10.9 points), −1.8 test points; words seeds 1–3 −4.5, −5.5 and
 * ±0 points, −0.2 / +0.3 / +0.2. Set from those four runs: between −5.5 and −10.9.
 */
export const JUDGED_START_GAP = 0.08;

/**
 * Whether the real student starts from half 0's judging student (./plugin.ts, when there is no earlier student): when
 * the judging students, on the labels they never saw, are within JUDGED_START_GAP of `teacherAccuracy` (the teacher's
 * held-out estimate; none: no). Else it is trained from scratch.
 */
export function startsFromJudged(judged: CrossVerdict, teacherAccuracy: number | null): boolean {
  return teacherAccuracy !== null && judged.verdict.heldOut.student.accuracy >= teacherAccuracy - JUDGED_START_GAP;
}

export function withCrossVerdict(teacher: AudioHeadState, fitted: AudioHeadState, judged: CrossVerdict): AudioHeadState {
  const full = fitted.student;
  if (!full) return fitted;
  return withJudged(teacher, full, judged);
}

/**
 * The teacher alone after a verdict that left the student out before it was trained: the record says what the halves
 * measured, with no model (`dir` empty, no steps) — the student would have learnt from `rows` clips.
 */
export function withoutStudent(teacher: AudioHeadState, judged: CrossVerdict, rows: number): AudioHeadState {
  if (judged.verdict.kept) throw new Error('audio student: the verdict keeps this student, it must be trained');
  return withJudged(teacher, { dir: '', rows, steps: 0, seconds: 0, warm: false }, judged);
}

function withJudged(
  teacher: AudioHeadState,
  full: Pick<AudioStudentRecord, 'dir' | 'rows' | 'steps' | 'seconds' | 'warm'>,
  { halves, nClasses, verdict: judged }: CrossVerdict,
): AudioHeadState {
  const { student: _none, ...head } = teacher;
  // The real pair predicts, not the judging ones: its temperature is theirs, moved by the ratio of the real teacher's
  // to the half-label teachers' at the student's share (transferTemperature).
  const v = {
    ...judged,
    temperature: transferTemperature(judged.temperature, teacher.classifier.temperature, judged.teacherTemperature, judged.weight),
  };
  const student = {
    dir: full.dir,
    rows: full.rows,
    steps: full.steps,
    seconds: full.seconds,
    warm: full.warm,
    judge: 'cross-fitted' as const,
    judgeSeconds: Math.max(...halves.map((h) => h.seconds)),
    judgedTemperature: judged.temperature,
  };
  const index = halves.flatMap((h) => Array.from(h.index));
  const labels = Int32Array.from(halves.flatMap((h) => Array.from(h.labels)));
  return withVerdict(head, student, v, index, labels, expectedCalibrationError(v.teacher, labels, nClasses), nClasses);
}

/**
 * The state that predicts after a verdict `v` on the human labels at data rows `index` (classes `labels`): the head
 * with the student's record (the verdict's figures), and, when kept, the mean's temperature, estimated accuracy,
 * out-of-fold probabilities and calibration error (`eceBefore`: the head's on the same labels).
 */
export function withVerdict(
  head: AudioHeadState,
  student: Omit<AudioStudentRecord, 'weight' | 'temperature' | 'kept' | 'heldOut'>,
  v: Pick<ReturnType<typeof judgeStudent>, 'kept' | 'weight' | 'temperature' | 'heldOut' | 'mean'>,
  index: number[],
  labels: Int32Array,
  eceBefore: number,
  nClasses: number,
): AudioHeadState {
  const record = { ...student, weight: v.weight, temperature: v.temperature, kept: v.kept, heldOut: v.heldOut };
  if (!v.kept) return { ...head, student: record };
  return {
    ...head,
    student: record,
    temperature: v.temperature,
    estimatedAccuracy: v.heldOut.mean.accuracy,
    oof: { index, probs: Array.from(v.mean) },
    ece: { before: eceBefore, after: expectedCalibrationError(v.mean, labels, nClasses) },
  };
}

/** The judged halves as saved in the cache (one file per head, ./plugin.ts): plain arrays. */
export interface SavedVerdict {
  /** 2: the students predict from fixed views (./student.ts studentViews); a verdict of version 1 is judged again. */
  version: 2;
  /** The judging students' lessons: the accepted clips when they were judged. */
  count: number;
  halves: { index: number[]; labels: number[]; teacher: number[]; student: number[]; seconds: number }[];
}

export function verdictJson(halves: JudgedHalf[], count: number): SavedVerdict {
  return {
    version: 2,
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
  if (typeof s !== 'object' || s === null || s.version !== 2 || !Array.isArray(s.halves) || s.halves.length !== 2) return undefined;
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
