/**
 * The math of training a network on human labels plus a teacher's confident guesses (a "noisy student"), and of
 * calibrating it afterwards: which rows it trains on, which human labels it holds out, and the temperature fitted on
 * those. Plain JS over typed arrays; run in a worker (jobs `studentPlan`, `calibrateLogits`).
 */
import type { TrainSet } from './classifier';
import { argmaxRow, softmaxRows } from '../util/math';
import { calibrationSplit } from './select';
import { fitTemperature } from './calibration';

/** Share of the unlabelled items, most confident first, a student learns from. */
export const STUDENT_KEEP = 0.9;

export interface StudentPlan {
  /** What the student trains on: the human labels not held out, then the teacher's most confident guesses. */
  set: TrainSet;
  /** Pool rows and classes of the held-out human labels, for calibration. */
  calRows: Int32Array;
  calY: Int32Array;
  /** Rows of `set` from the train set (not held out): human labels, accepted proposals and self-training proposals. */
  labels: number;
  /** Of those, the labels a person gave (holdout 1 in the train set). */
  human: number;
  pseudo: number;
}

/**
 * Holds out a stratified fifth of the human labels (./select.ts calibrationSplit) for calibration, and adds
 * the STUDENT_KEEP most confident of the teacher's guesses for the unlabelled rows (teacher: n × C probabilities).
 */
export function planStudent(o: {
  train: TrainSet & { holdout: Uint8Array };
  teacher: Float32Array;
  n: number;
  nClasses: number;
  seed: number;
  keep?: number;
}): StudentPlan {
  const { train, teacher, n } = o;
  const C = o.nClasses;
  const split = calibrationSplit(train, o.seed);
  const cal = split.positions;
  const rows: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  const labelled = new Set<number>();
  let human = 0;
  for (let k = 0; k < train.index.length; k++) {
    labelled.add(train.index[k]);
    if (cal.has(k)) continue;
    if (train.holdout[k]) human++;
    rows.push(train.index[k]);
    ys.push(train.y[k]);
    ws.push(train.weight[k]);
  }
  const cand: { i: number; c: number; p: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (labelled.has(i)) continue;
    const best = argmaxRow(teacher, i, C);
    cand.push({ i, c: best, p: teacher[i * C + best] });
  }
  cand.sort((a, b) => b.p - a.p || a.i - b.i);
  const pseudo = cand.slice(0, Math.round((o.keep ?? STUDENT_KEEP) * cand.length));
  for (const q of pseudo) {
    rows.push(q.i);
    ys.push(q.c);
    ws.push(1);
  }
  return {
    set: { index: Int32Array.from(rows), y: Int32Array.from(ys), weight: Float32Array.from(ws) },
    calRows: split.rows,
    calY: split.y,
    labels: rows.length - pseudo.length,
    human,
    pseudo: pseudo.length,
  };
}

/**
 * Fits the temperature of `logits` (n × C) on the held-out rows (Laplace-smoothed for small folds) and returns the
 * calibrated probabilities of every row (with `temperature` given, that one is used), with the accuracy on the held-out rows (undefined without any).
 */
export function calibrateLogits(o: {
  logits: Float32Array;
  n: number;
  nClasses: number;
  calRows: Int32Array;
  calY: Int32Array;
  temperature?: number;
}): {
  probs: Float32Array;
  temperature: number;
  accuracy?: number;
} {
  const C = o.nClasses;
  const m = o.calRows.length;
  const calLogits = new Float32Array(m * C);
  o.calRows.forEach((r, j) => calLogits.set(o.logits.subarray(r * C, (r + 1) * C), j * C));
  const temperature = o.temperature ?? (m ? fitTemperature(calLogits, o.calY, C, { smoothing: 1 / (m + 2) }) : 1);
  let ok = 0;
  for (let j = 0; j < m; j++) if (argmaxRow(calLogits, j, C) === o.calY[j]) ok++;
  return { probs: softmaxRows(o.logits, o.n, C, temperature), temperature, accuracy: m ? ok / m : undefined };
}
