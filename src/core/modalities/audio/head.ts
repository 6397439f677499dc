/**
 * The audio head (worker side, tfjs through the encoders and the classifier). Candidates: a feature set of each
 * clip's utterance features (./utterance.ts — 'shape': the word's course in time; 'timbre': MFCC and spectrum
 * statistics; 'all'), alone or joined with the pretext encoders' embeddings, fitted by label spreading over the
 * pool's kNN graph ('spread'), by the same spreading over the graph of the features projected on the labels'
 * discriminant directions ('lda', src/core/train/lda.ts; utterance features only), or on the labels alone
 * ('linear'). Each candidate is scored out of fold on the same stratified folds of the held-out human labels by a
 * quick proxy of its fit — the spread labels themselves (label spreading from the fold's other human labels; for lda
 * over each fold's own projection), or a ridge classifier on the z-scored features — and only the best
 * (ties: the earlier in `candidateOrder`) is then fitted as the calibrated classifier of src/core/train
 * (fitSemiSupervised / fitClassifier, whose own cross-validation gives its temperature and estimated accuracy).
 *
 *   fitAudioHead({spec, n, frames, mels, train, nClasses, seed, encoders}) → AudioHeadState (JSON-safe)
 *   fitAudioStudent({spec, n, frames, mels, teacher, train, nClasses, seed, dir}) → the state with its student
 *   predictAudioHead(state, {spec, n, frames, mels}) → calibrated probabilities (n × C)
 *
 * Only the human labels train it (humanLabels): accepted proposals would leak into its cross-validation.
 */
import type { Progress } from '../../types';
import type { TrainSet } from '../../train/classifier';
import { fitClassifier, predict, type ClassifierState } from '../../train/classifier';
import { fitSemiSupervised } from '../../train/semi';
import { trainRowsAt } from '../../train/select';
import { buildKnnGraph, spreadLabels, type KnnGraph } from '../../train/graph';
import { ldaProjection, projectRows } from '../../train/lda';
import { cholesky, solveLower, solveLowerTransposed } from '../../util/linalg';
import { heldOutLabels, heldOutPlan, isHumanLabel, stratifiedFolds } from '../../train/crossval';
import { Rng } from '../../models/random';
import { argmaxRow } from '../../util/math';
import {
  AUDIO_FEATURE_SETS,
  candidateName,
  FEATURE_SET_WEIGHTS,
  type AudioHeadCandidate,
  type AudioHeadFit,
  type AudioHeadState,
  type JudgeHalfRequest,
  type JudgedHalf,
} from './headState';
import { columnStats, standardizeBlocks, utteranceFeatures, withVoice, type ColumnStats, type UtteranceRows } from './utterance';
import { VOICE_DIM } from './voice';
import { embedAudio } from './pretrain';
import { withVerdict } from './verdict';
import { AUDIO_STUDENT_DEFAULTS, predictAudioStudent, studentSteps, trainAudioStudent, type StudentRun } from './student';
import { expectedCalibrationError } from '../../train/calibration';
import { confidentRows, crossFitHalves, enoughForStudent, judgeStudent, studentMean, studentRows } from '../../train/student';

/**
 * Neighbours per clip in the spreading graph; folds of the candidates' proxy scores; the hidden layer of the
 * classifier a `spread` candidate fits on the spread labels. Measured on audio-words without pretraining
 * (research/audio/spreadFit.ts, `shape` features, seeds 1–3, test medians; BENCHMARKS.md "Session 12 — audio"):
 *   - a word said by many voices is several clusters of the pool, which a softmax layer on the spread labels merged:
 *     72.3% softmax → 74.1% with 256 hidden units;
 *   - fewer neighbours keep those clusters apart: k 20 → 10, spread labels on the pool 75.3% → 76.1%, test 74.1% →
 *     75.0% (k 5–7: 75.1–75.5%; 40: 71.2%).
 */
export const AUDIO_HEAD_DEFAULTS = { k: 10, folds: 5, ridge: 0.5, maxProxyRows: 1500, spreadHidden: [256] as readonly number[] };

export interface AudioSpec {
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
  /** n × VOICE_DIM voice features (./voice.ts), when the data carry them. */
  voice?: Float32Array;
}

/**
 * The candidates in order of preference (a tie goes to the earlier): linear before spread before lda, fewer parts
 * first. The lda fit reads the utterance features alone (the encoders' 768 columns per encoder would make its
 * within-class scatter as large as the pool's labels are few).
 */
export function candidateOrder(withEncoders: boolean): AudioHeadCandidate[] {
  const out: AudioHeadCandidate[] = [];
  for (const fit of ['linear', 'spread', 'lda'] as const)
    for (const encoders of withEncoders && fit !== 'lda' ? [false, true] : [false])
      for (const features of ['all', ...AUDIO_FEATURE_SETS.filter((f) => f !== 'all')] as const) out.push({ features, encoders, fit });
  return out;
}

/**
 * The `lda` fit's graph for a fit's seed labels: the candidate's rows projected on the seeds' discriminant
 * directions (within-class whitened), their kNN graph.
 */
function ldaGraphFor(
  m: { X: Float32Array; dim: number },
  n: number,
  C: number,
  signal?: AbortSignal,
): (seeds: Pick<TrainSet, 'index' | 'y'>) => Promise<KnnGraph> {
  return async (seeds) => {
    const p = ldaProjection(m.X, m.dim, seeds.index, seeds.y, C);
    // Seeds of one class give no direction: the graph of the rows themselves, as the spread fit's.
    if (!p.out) return buildKnnGraph({ X: m.X, n, dim: m.dim, k: AUDIO_HEAD_DEFAULTS.k, signal });
    return buildKnnGraph({ X: projectRows(m.X, n, m.dim, p), n, dim: p.out, k: AUDIO_HEAD_DEFAULTS.k, signal });
  };
}

/**
 * Fits a candidate's calibrated classifier on its rows `o.X`: on the labels alone (linear), or on the labels spread
 * over the features' graph (spread; `graph` builds or returns it) or over each fit's own discriminant projection (lda).
 */
export async function fitCandidate(
  fit: AudioHeadFit,
  o: {
    X: Float32Array;
    n: number;
    dim: number;
    train: TrainSet;
    nClasses: number;
    seed: number;
    folds?: number;
    signal?: AbortSignal;
    onProgress?: (p: Progress) => void;
  },
  graph: () => Promise<KnnGraph>,
): Promise<ClassifierState> {
  const hidden = [...AUDIO_HEAD_DEFAULTS.spreadHidden];
  if (fit === 'spread') return fitSemiSupervised({ ...o, graph: await graph(), hidden });
  if (fit === 'lda') return fitSemiSupervised({ ...o, graphFor: ldaGraphFor(o, o.n, o.nClasses, o.signal), hidden });
  return fitClassifier(o);
}

/** The lda candidate's proxy: label spreading over each fold's own projection, scored on the fold's held-out labels. */
async function ldaProxyAccuracy(
  m: { X: Float32Array; dim: number },
  n: number,
  t: TrainSet,
  human: number[],
  fold: Int32Array,
  k: number,
  C: number,
  signal?: AbortSignal,
): Promise<number> {
  let ok = 0;
  const graphFor = ldaGraphFor(m, n, C, signal);
  for (let f = 0; f < k; f++) {
    const fit0 = human.filter((_, j) => fold[j] !== f);
    const out = human.filter((_, j) => fold[j] === f);
    if (!out.length) continue;
    const seeds = {
      index: Int32Array.from(fit0, (p) => t.index[p]),
      y: Int32Array.from(fit0, (p) => t.y[p]),
      weight: Float32Array.from(fit0, (p) => t.weight[p]),
    };
    const { F } = spreadLabels({ graph: await graphFor(seeds), nClasses: C, seeds });
    for (const p of out) if (argmaxRow(F, t.index[p], C) === t.y[p]) ok++;
  }
  return ok / human.length;
}

/** The pool's features for every candidate: utterance rows, their statistics, the encoders' embedding (unit rows). */
class Features {
  private cache = new Map<string, { X: Float32Array; dim: number }>();
  constructor(
    readonly raw: UtteranceRows,
    readonly stats: ColumnStats,
    readonly emb: { X: Float32Array; dim: number } | undefined,
  ) {}

  static async of(
    d: AudioSpec,
    stats: ColumnStats | undefined,
    encoders: readonly string[],
    o: { signal?: AbortSignal; onProgress?: (p: Progress) => void },
  ): Promise<Features> {
    let raw = utteranceFeatures(d.spec, d.n, d.frames, d.mels);
    // The voice features join when the data carry them, or (predicting) when the state's statistics include them.
    const useVoice = stats ? stats.mean.length === raw.dim + VOICE_DIM : d.voice !== undefined;
    if (useVoice) {
      if (!d.voice) throw new Error('audio head: the state reads voice features, the clips have none: train again');
      raw = withVoice(raw, d.voice);
    }
    const st = stats ?? columnStats(raw.X, raw.n, raw.dim);
    if (st.mean.length !== raw.dim) throw new Error(`audio head: the state has ${st.mean.length} feature columns, the clips ${raw.dim}`);
    if (!encoders.length) return new Features(raw, st, undefined);
    const parts: { X: Float32Array; dim: number }[] = [];
    for (const dir of encoders) {
      const e = await embedAudio({ checkpointDir: dir, ...d, signal: o.signal, onProgress: o.onProgress });
      parts.push({ X: e.embeddings, dim: e.dim });
    }
    const dim = parts.reduce((s, p) => s + p.dim, 0);
    const X = new Float32Array(d.n * dim);
    const w = 1 / Math.sqrt(parts.length);
    for (let i = 0; i < d.n; i++) {
      let off = i * dim;
      for (const p of parts) {
        for (let q = 0; q < p.dim; q++) X[off + q] = p.X[i * p.dim + q] * w;
        off += p.dim;
      }
    }
    return new Features(raw, st, { X, dim });
  }

  /** A candidate's rows: its utterance blocks (unit rows), joined with the embedding at equal weight. */
  matrix(c: Pick<AudioHeadCandidate, 'features' | 'encoders'>): { X: Float32Array; dim: number } {
    const key = `${c.features}${c.encoders ? '+e' : ''}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const u = standardizeBlocks(this.raw, this.stats, FEATURE_SET_WEIGHTS[c.features]);
    let out = u;
    if (c.encoders) {
      if (!this.emb) throw new Error('audio head: a candidate with encoders but no encoder embeddings');
      const e = this.emb;
      const dim = u.dim + e.dim;
      const X = new Float32Array(this.raw.n * dim);
      for (let i = 0; i < this.raw.n; i++) {
        for (let q = 0; q < u.dim; q++) X[i * dim + q] = u.X[i * u.dim + q] * Math.SQRT1_2;
        for (let q = 0; q < e.dim; q++) X[i * dim + u.dim + q] = e.X[i * e.dim + q] * Math.SQRT1_2;
      }
      out = { X, dim };
    }
    this.cache.set(key, out);
    return out;
  }
}

/** Solves (K + λI)·A = Y in place for symmetric positive definite K (m × m) by Cholesky; Y is m × C. */
function ridgeSolve(K: Float64Array, m: number, Y: Float64Array, C: number): Float64Array {
  const L = cholesky(K, m);
  const A = new Float64Array(m * C);
  const b = new Float64Array(m);
  const x = new Float64Array(m);
  const z = new Float64Array(m);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < m; i++) b[i] = Y[i * C + c];
    solveLower(L, m, b, z);
    solveLowerTransposed(L, m, z, x);
    for (let i = 0; i < m; i++) A[i * C + c] = x[i];
  }
  return A;
}

/** Column means and inverse stds of X (the z-scoring fitClassifier applies). */
function zStats(X: Float32Array, n: number, dim: number): { mean: Float64Array; inv: Float64Array } {
  const st = columnStats(X, n, dim);
  return { mean: Float64Array.from(st.mean), inv: Float64Array.from(st.std, (s) => (s > 1e-6 ? 1 / s : 0)) };
}

/**
 * Out-of-fold accuracy of a candidate's proxy on the held-out human labels. `folds[j]`: the fold of human label j
 * (positions `human[j]` of the train set).
 */
function proxyAccuracy(
  fit: 'spread' | 'linear',
  m: { X: Float32Array; dim: number },
  n: number,
  graph: KnnGraph | undefined,
  t: TrainSet,
  human: number[],
  fold: Int32Array,
  k: number,
  C: number,
): number {
  let ok = 0;
  const z = fit === 'linear' ? zStats(m.X, n, m.dim) : undefined;
  for (let f = 0; f < k; f++) {
    const fit0 = human.filter((_, j) => fold[j] !== f);
    const out = human.filter((_, j) => fold[j] === f);
    if (!out.length) continue;
    if (fit === 'spread') {
      const { F } = spreadLabels({
        graph: graph!,
        nClasses: C,
        seeds: {
          index: Int32Array.from(fit0, (p) => t.index[p]),
          y: Int32Array.from(fit0, (p) => t.y[p]),
          weight: Float32Array.from(fit0, (p) => t.weight[p]),
        },
      });
      for (const p of out) if (argmaxRow(F, t.index[p], C) === t.y[p]) ok++;
    } else {
      const { mean, inv } = z!;
      const rows = fit0.slice(0, AUDIO_HEAD_DEFAULTS.maxProxyRows);
      const zrow = (i: number) => Float64Array.from({ length: m.dim }, (_, d) => (m.X[i * m.dim + d] - mean[d]) * inv[d]);
      const Z = rows.map((p) => zrow(t.index[p]));
      const mm = rows.length;
      const K = new Float64Array(mm * mm);
      let tr = 0;
      for (let a = 0; a < mm; a++) {
        for (let b = 0; b <= a; b++) {
          let s = 0;
          for (let d = 0; d < m.dim; d++) s += Z[a][d] * Z[b][d];
          K[a * mm + b] = K[b * mm + a] = s;
        }
        tr += K[a * mm + a];
      }
      const lambda = AUDIO_HEAD_DEFAULTS.ridge * (tr / Math.max(1, mm));
      for (let a = 0; a < mm; a++) K[a * mm + a] += lambda;
      const Y = new Float64Array(mm * C).fill(-1 / C);
      rows.forEach((p, a) => (Y[a * C + t.y[p]] += 1));
      const A = ridgeSolve(K, mm, Y, C);
      for (const p of out) {
        const q = zrow(t.index[p]);
        const score = new Float64Array(C);
        for (let a = 0; a < mm; a++) {
          let s = 0;
          for (let d = 0; d < m.dim; d++) s += q[d] * Z[a][d];
          for (let c = 0; c < C; c++) score[c] += s * A[a * C + c];
        }
        if (argmaxRow(score, 0, C) === t.y[p]) ok++;
      }
    }
  }
  return ok / human.length;
}

/**
 * The labels a person gave (holdout 1; without a holdout mask, weight ≥ 1). The head learns from these alone: with
 * the accepted proposals of a no-review round in its folds, a fold's model read its held-out labels back through
 * them (audio-speakers seed 1, round 2: 95.8% estimated, 78.9% on the test split); the pool still teaches it through
 * label spreading.
 */
export function humanLabels(t: TrainSet): TrainSet {
  const keep: number[] = [];
  for (let k = 0; k < t.index.length; k++) if (isHumanLabel(t, k)) keep.push(k);
  if (keep.length === t.index.length) return t;
  return { ...trainRowsAt(t, keep), ...(t.holdout ? { holdout: Uint8Array.from(keep, () => 1) } : {}) };
}

/** The labels at positions `ks` of a train set (no holdout mask). */
export async function fitAudioHead(
  o: AudioSpec & {
    train: TrainSet;
    nClasses: number;
    seed: number;
    /** Checkpoint folders of the pretrained encoders ([]: the utterance candidates only). */
    encoders: string[];
    /** Only these candidates (default: candidateOrder). */
    candidates?: readonly AudioHeadCandidate[];
    signal?: AbortSignal;
    onProgress?: (p: Progress) => void;
  },
): Promise<AudioHeadState> {
  const C = o.nClasses;
  const t = humanLabels(o.train);
  const report = (message: string, done: number) => o.onProgress?.({ stage: 'train', done, total: 100, message });
  report('audio head: features', 0);
  const f = await Features.of(o, undefined, o.encoders, o);
  const cands = (o.candidates ?? candidateOrder(o.encoders.length > 0)).filter(
    (c) => (!c.encoders || f.emb) && (c.features !== 'voice' || f.raw.blocks.pitch) && (c.fit === 'linear' || o.n > AUDIO_HEAD_DEFAULTS.k),
  );
  if (!cands.length) throw new Error('audio head: no candidate fits these data');
  const graphs = new Map<string, KnnGraph>();
  const graphOf = async (c: AudioHeadCandidate): Promise<KnnGraph> => {
    const key = `${c.features}${c.encoders ? '+e' : ''}`;
    let g = graphs.get(key);
    if (!g) {
      const m = f.matrix(c);
      g = await buildKnnGraph({ X: m.X, n: o.n, dim: m.dim, k: AUDIO_HEAD_DEFAULTS.k, signal: o.signal });
      graphs.set(key, g);
    }
    return g;
  };
  // The candidates' proxy scores on the same folds of the human labels.
  const plan = heldOutPlan(t, AUDIO_HEAD_DEFAULTS.folds);
  const scores: (number | null)[] = cands.map(() => null);
  if (plan.folds >= 2) {
    const fold = stratifiedFolds(plan.eligible, t.y, plan.folds, new Rng(o.seed));
    for (let j = 0; j < cands.length; j++) {
      if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      const c = cands[j];
      report(`audio head: scoring ${candidateName(c)}`, 5 + (45 * j) / cands.length);
      if (c.fit === 'lda') scores[j] = await ldaProxyAccuracy(f.matrix(c), o.n, t, plan.eligible, fold, plan.folds, C, o.signal);
      else {
        const g = c.fit === 'spread' ? await graphOf(c) : undefined;
        scores[j] = proxyAccuracy(c.fit, f.matrix(c), o.n, g, t, plan.eligible, fold, plan.folds, C);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  let best = 0;
  for (let j = 1; j < cands.length; j++) if ((scores[j] ?? -1) > (scores[best] ?? -1)) best = j;
  const c = cands[best];
  const m = f.matrix(c);
  const onProgress = (p: Progress) =>
    report(`audio head: ${candidateName(c)}${p.message ? ` — ${p.message}` : ''}`, 50 + (p.total ? (50 * p.done) / p.total : 0));
  const common = { X: m.X, n: o.n, dim: m.dim, train: t, nClasses: C, seed: o.seed, signal: o.signal, onProgress };
  const s = await fitCandidate(c.fit, common, () => graphOf(c));
  return {
    version: 2,
    kind: 'audio-head',
    nClasses: C,
    chosen: c,
    candidates: cands.map((x, j) => ({ name: candidateName(x), proxyAccuracy: scores[j] })),
    stats: f.stats,
    encoders: c.encoders ? o.encoders : [],
    classifier: s,
    temperature: s.temperature,
    estimatedAccuracy: s.estimatedAccuracy,
    oof: s.oof,
    ece: s.ece,
    trainedOn: s.trainedOn,
  };
}

/**
 * The student of a fitted head (./student.ts): a network trained on the clips labelled by no person — the
 * proposals accepted in earlier rounds — and judged by the human labels, which it never saw (src/core/train/student.ts
 * judgeStudent: the mean of its probabilities and the head's calibrated out-of-fold ones, kept when at least as
 * accurate with a lower log-loss). When kept, the mean's temperature, accuracy and out-of-fold probabilities become the
 * state's. The teacher comes back unchanged when there are too few such clips or too few human labels to judge.
 */
export async function fitAudioStudent(o: AudioSpec & StudentRun & { teacher: AudioHeadState; train: TrainSet }): Promise<AudioHeadState> {
  const C = o.nClasses;
  const { student: _old, ...teacher } = o.teacher;
  const { rows, y } = studentRows(o.train);
  const oof = teacher.oof;
  if (!enoughForStudent(y, C) || !oof || !oof.index.length) return teacher;
  const r = await trainAudioStudent({ ...o, rows, y });
  // The human labels the head held out, by data row.
  const yOf = heldOutLabels(o.train);
  const held = oof.index
    .map((i, j) => ({ i, j, y: yOf.get(i) }))
    .filter((h): h is { i: number; j: number; y: number } => h.y !== undefined);
  const m = held.length;
  const labels = Int32Array.from(held, (h) => h.y);
  const ph = new Float32Array(m * C);
  const ps = new Float32Array(m * C);
  held.forEach((h, a) => {
    ph.set(oof.probs.slice(h.j * C, (h.j + 1) * C), a * C);
    ps.set(r.probs.subarray(h.i * C, (h.i + 1) * C), a * C);
  });
  const v = judgeStudent({ teacher: ph, student: ps, labels, nClasses: C });
  const student = { dir: o.dir, rows: rows.length, steps: r.steps, seconds: r.seconds, warm: r.warm };
  const ece = teacher.ece?.after ?? expectedCalibrationError(ph, labels, C);
  return withVerdict(
    teacher,
    student,
    v,
    held.map((h) => h.i),
    labels,
    ece,
    C,
  );
}

/** Steps of a judging student for `count` lessons: `crossShare` of the real student's (at least minSteps). */
export function judgingSteps(count: number): number {
  const d = AUDIO_STUDENT_DEFAULTS;
  return Math.max(d.minSteps, Math.ceil(studentSteps(count) * d.crossShare));
}

/**
 * One half of a student's cross-fitted verdict (job `judgeAudioStudent`; src/core/train/student.ts crossFitHalves):
 * the teacher's chosen candidate fitted on the other half of the human labels only (one fit, no cross-validation),
 * its `count` surest clips teaching a judging student from scratch (`judgingSteps`), and both predicting the half's
 * labels, which neither saw. The two halves run on two workers, before the real student (./plugin.ts), which starts
 * from half 0's judging student when there is no earlier student (`saveTo`). Null when the halves cannot cover every
 * class or the judging student would have too few clips.
 */
export async function judgeAudioStudentHalf(
  o: AudioSpec & JudgeHalfRequest & { signal?: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<JudgedHalf | null> {
  const C = o.nClasses;
  const t = humanLabels(o.train);
  const halves = crossFitHalves(t, C, o.seed + 7);
  if (!halves) return null;
  const t0 = Date.now();
  const { fit, judge } = halves[o.half];
  const f = await Features.of(o, o.teacher.stats, o.teacher.encoders, o);
  const m = f.matrix(o.teacher.chosen);
  const common = { X: m.X, n: o.n, dim: m.dim, train: trainRowsAt(t, fit), nClasses: C, seed: o.seed + o.half, folds: 1, signal: o.signal };
  const s = await fitCandidate(o.teacher.chosen.fit, common, () =>
    buildKnnGraph({ X: m.X, n: o.n, dim: m.dim, k: AUDIO_HEAD_DEFAULTS.k, signal: o.signal }),
  );
  const P = predict(s, m.X, o.n, m.dim).probs;
  const lessons = confidentRows(P, o.n, C, new Set(Array.from(t.index)), o.count);
  if (!enoughForStudent(lessons.y, C)) return null;
  const index = Int32Array.from(judge, (k) => t.index[k]);
  const r = await trainAudioStudent({
    ...o,
    rows: lessons.rows,
    y: lessons.y,
    seed: o.seed + 101 + o.half,
    dir: o.saveTo ?? '',
    steps: judgingSteps(o.count),
    save: o.saveTo !== undefined,
    predictRows: index,
    onProgress: o.onProgress && ((p) => o.onProgress!({ ...p, message: `audio student: judging, half ${o.half + 1} of 2` })),
  });
  const teacher = new Float32Array(index.length * C);
  index.forEach((i, a) => teacher.set(P.subarray(i * C, (i + 1) * C), a * C));
  return { index, labels: Int32Array.from(judge, (k) => t.y[k]), teacher, student: r.probs, seconds: (Date.now() - t0) / 1000 };
}

export async function predictAudioHead(
  state: AudioHeadState,
  d: AudioSpec,
  o: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<Float32Array> {
  const f = await Features.of(d, state.stats, state.encoders, o);
  const m = f.matrix(state.chosen);
  if (m.dim !== state.classifier.dim)
    throw new Error(`audio head: the classifier reads ${state.classifier.dim} features, the clips give ${m.dim}: train again`);
  const probs = predict(state.classifier, m.X, d.n, m.dim).probs;
  const st = state.student;
  if (!st?.kept) return probs;
  const ps = await predictAudioStudent(st.dir, d, state.nClasses, o.signal);
  return studentMean(probs, ps, st.weight, st.temperature, d.n, state.nClasses, st.judge !== 'cross-fitted');
}
