/**
 * Choosing the model by held-out human labels. Every candidate (the head on the pretrained embeddings, a network
 * trained from scratch on the labels, a fine-tuned encoder) is scored on the same human labels, held out of its
 * training: a stratified fifth of them (`calibrationSplit`). The head's score on those rows comes from its own
 * out-of-fold predictions (cross-validation, ./crossval.ts), so it never saw them either.
 *
 *   calibrationSplit(train, seed) → {positions, rows, y}        (none below 10 human labels)
 *   accuracyOnRows(probs, rows, y, C), oofAccuracyOn(oof, rows, y, C)
 *   chooseCandidate([{name, accuracy}]) → the best (ties: the earlier one)
 */
import type { TrainSet } from './classifier';
import { Rng } from '../models/random';
import { argmaxRow } from '../util/math';
import { stratifiedFolds } from './crossval';

/** Fewest human labels before a fifth of them is held out to score candidates. */
export const MIN_HELD_OUT_LABELS = 10;

export interface CalibrationSplit {
  /** Positions in the train set held out. */
  positions: Set<number>;
  /** Their pool rows and classes. */
  rows: Int32Array;
  y: Int32Array;
}

/**
 * A stratified fifth of the human labels (holdout[k] = 1) of a train set, chosen by `seed`; empty with fewer than
 * MIN_HELD_OUT_LABELS human labels.
 */
export function calibrationSplit(train: TrainSet & { holdout: Uint8Array }, seed: number): CalibrationSplit {
  const human = [...Array(train.index.length).keys()].filter((k) => train.holdout[k] === 1);
  const positions = new Set<number>();
  if (human.length >= MIN_HELD_OUT_LABELS) {
    const fold = stratifiedFolds(human, train.y, 5, new Rng(seed + 7));
    human.forEach((k, j) => fold[j] === 0 && positions.add(k));
  }
  const ks = [...positions];
  return { positions, rows: Int32Array.from(ks, (k) => train.index[k]), y: Int32Array.from(ks, (k) => train.y[k]) };
}

/** The rows of a train set at `positions` (its index, classes — or those of `y` — and weights; no holdout flags). */
export function trainRowsAt(train: TrainSet, positions: readonly number[], y: ArrayLike<number> = train.y): TrainSet {
  return {
    index: Int32Array.from(positions, (k) => train.index[k]),
    y: Int32Array.from(positions, (k) => y[k]),
    weight: Float32Array.from(positions, (k) => train.weight[k]),
  };
}

/** The train set without the positions in `out`. */
export function withoutPositions(train: TrainSet, out: Set<number>): TrainSet {
  return trainRowsAt(
    train,
    [...Array(train.index.length).keys()].filter((k) => !out.has(k)),
  );
}

/** Accuracy of n × C probabilities (or logits) on pool rows `rows` with classes `y`; undefined without rows. */
export function accuracyOnRows(probs: Float32Array, rows: Int32Array, y: Int32Array, C: number): number | undefined {
  if (!rows.length) return undefined;
  let ok = 0;
  rows.forEach((r, j) => {
    if (argmaxRow(probs, r, C) === y[j]) ok++;
  });
  return ok / rows.length;
}

/**
 * Accuracy on the held-out labels that sample the pool: of the held-out labels (pool rows `rows`, labels `y`, their
 * out-of-fold probabilities `probs`, C per label in the same order), those whose row is not in `picked` — items asked
 * about for the model's doubt, corrected proposals, which it gets wrong far more often than the pool's. Undefined
 * when no held-out row is picked (then every label samples the pool).
 */
export function sampleAccuracy(
  probs: Float32Array,
  rows: ArrayLike<number>,
  y: Int32Array,
  C: number,
  picked: ReadonlySet<number>,
): { labels: number; accuracy: number | undefined } | undefined {
  const keep: number[] = [];
  for (let j = 0; j < rows.length; j++) if (!picked.has(rows[j])) keep.push(j);
  if (keep.length === rows.length) return undefined;
  return {
    labels: keep.length,
    accuracy: accuracyOnRows(
      probs,
      Int32Array.from(keep),
      Int32Array.from(keep, (j) => y[j]),
      C,
    ),
  };
}

/**
 * What judges whether the chosen candidate is strong enough for EM's pool priors, when some held-out labels do not
 * sample the pool (`picked`): its own accuracy on the others when it has out-of-fold predictions of every held-out
 * label (`chosenOof`, rows order). A candidate scored on the held-out fifth alone (the fine-tuned network) has too few
 * of them there (a tenth of 1,000 labels are seeds); it is as strong as a candidate it beat on that fifth, so the
 * head (`head.oof`, same rows) judged on the labels that sample the pool stands in for it (`via`) when the chosen
 * one's accuracy on the fifth (`chosenSplit`) is at least the head's there (`head.split`). Undefined when nothing is
 * picked or nothing stands in: then every held-out label judges.
 */
export function sampleJudge(o: {
  chosenOof: Float32Array | undefined;
  chosenSplit: number | undefined;
  head: { name: string; oof: Float32Array | undefined; split: number | undefined };
  rows: ArrayLike<number>;
  y: Int32Array;
  C: number;
  picked: ReadonlySet<number>;
}): { labels: number; accuracy: number | undefined; via?: string } | undefined {
  if (!o.picked.size) return undefined;
  if (o.chosenOof) return sampleAccuracy(o.chosenOof, o.rows, o.y, o.C, o.picked);
  const h = o.head;
  if (!h.oof || h.split === undefined || o.chosenSplit === undefined || o.chosenSplit < h.split) return undefined;
  const s = sampleAccuracy(h.oof, o.rows, o.y, o.C, o.picked);
  return s && { ...s, via: h.name };
}

/**
 * Accuracy of a head's out-of-fold predictions (oof.index: pool rows, oof.probs row-major) on pool rows `rows`;
 * undefined when one of them has no out-of-fold prediction.
 */
export function oofAccuracyOn(
  oof: { index: number[]; probs: number[] } | undefined,
  rows: Int32Array,
  y: Int32Array,
  C: number,
): number | undefined {
  if (!oof || !rows.length) return undefined;
  const at = new Map(oof.index.map((r, k) => [r, k]));
  let ok = 0;
  for (let j = 0; j < rows.length; j++) {
    const k = at.get(rows[j]);
    if (k === undefined) return undefined;
    if (argmaxRow(oof.probs, k, C) === y[j]) ok++;
  }
  return ok / rows.length;
}

export interface Candidate<T = unknown> {
  name: string;
  /** Accuracy on the held-out human labels; undefined = not scored (never chosen over a scored one). */
  accuracy: number | undefined;
  value?: T;
}

/** The candidate with the best held-out accuracy; ties go to the earlier one (list the cheapest first). */
export function chooseCandidate<T>(cands: Candidate<T>[]): Candidate<T> {
  if (!cands.length) throw new Error('no candidate models to choose from');
  let best = cands[0];
  for (const c of cands.slice(1)) {
    if (c.accuracy === undefined) continue;
    if (best.accuracy === undefined || c.accuracy > best.accuracy) best = c;
  }
  return best;
}

/**
 * One-sided exact sign test (McNemar's, exact): the chance that a rival right on `wins` held-out labels its
 * incumbent gets wrong, and wrong on `losses` the incumbent gets right, does at least that well when both are
 * equally good (each of the wins + losses discordant labels a fair coin). 1 when the rival wins none.
 */
export function signTestP(wins: number, losses: number): number {
  if (!(Number.isInteger(wins) && Number.isInteger(losses) && wins >= 0 && losses >= 0)) {
    throw new Error(`signTestP: counts must be non-negative integers, got ${wins} and ${losses}`);
  }
  const n = wins + losses;
  if (wins === 0) return 1;
  // P(X ≥ wins), X ~ Binomial(n, 1/2), summed in log space (n can be thousands).
  let logC = 0; // log C(n, 0)
  const terms: number[] = [];
  let top = -Infinity;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
    if (k < wins) continue;
    const t = logC - n * Math.LN2;
    terms.push(t);
    if (t > top) top = t;
  }
  return Math.min(1, Math.exp(top) * terms.reduce((a, t) => a + Math.exp(t - top), 0));
}

/** How a rival and an incumbent compare on the same held-out labels (rows × C probabilities, row j ↔ y[j]). */
export interface PairedRecord {
  /** Labels the rival gets right and the incumbent wrong. */
  wins: number;
  /** Labels the incumbent gets right and the rival wrong. */
  losses: number;
  /** signTestP(wins, losses). */
  p: number;
}

export function pairedRecord(rival: Float32Array, incumbent: Float32Array, y: Int32Array, C: number): PairedRecord {
  if (rival.length !== y.length * C || incumbent.length !== y.length * C) {
    throw new Error(`pairedRecord: ${y.length} labels × ${C} classes, got ${rival.length} and ${incumbent.length} probabilities`);
  }
  let wins = 0;
  let losses = 0;
  for (let j = 0; j < y.length; j++) {
    const r = argmaxRow(rival, j, C) === y[j];
    const i = argmaxRow(incumbent, j, C) === y[j];
    if (r && !i) wins++;
    else if (i && !r) losses++;
  }
  return { wins, losses, p: signTestP(wins, losses) };
}

/** The sign test's level at which a part of an ensemble displaces it (keepEnsemble). */
export const ENSEMBLE_PART_ALPHA = 0.05;

/**
 * chooseCandidate's choice, except the ensemble where the best-scoring candidate is one of its own parts and does not
 * beat it beyond chance on the same held-out labels (signTestP ≥ `alpha` on the labels one gets right and the other
 * wrong): an ensemble of two
 * models that err on different items was right on more of the unlabelled pool than both its parts in 9 of 9 image
 * dev runs (BENCHMARKS.md "Session 10 — images"), so a few held-out labels more for a part are selection noise unless
 * the test says otherwise. MNIST-2k seed 2: pixels right on 93 of 100, the mean on 90 (3 labels one way, none the
 * other: p = 0.13); keeping the mean took the test split from 89.3% to 91.7% (BENCHMARKS.md "Session 24 — images").
 * `oof` is each candidate's held-out probabilities (rows × C, row j ↔ y[j]).
 * Candidates other than the parts compete as chooseCandidate says.
 */
export function keepEnsemble<T extends { oof?: Float32Array }>(
  cands: Candidate<T>[],
  ensemble: string,
  parts: readonly string[],
  y: Int32Array,
  C: number,
  alpha = ENSEMBLE_PART_ALPHA,
): { best: Candidate<T>; kept?: PairedRecord & { over: string } } {
  const best = chooseCandidate(cands);
  const ens = cands.find((c) => c.name === ensemble);
  if (!ens || ens === best || !parts.includes(best.name) || ens.accuracy === undefined) return { best };
  const a = best.value?.oof;
  const b = ens.value?.oof;
  if (!a || !b || a.length !== y.length * C || b.length !== y.length * C) return { best };
  const r = pairedRecord(a, b, y, C);
  return r.p < alpha ? { best } : { best: ens, kept: { ...r, over: best.name } };
}

/** Networks in the k-fold ensemble of a candidate trained on the labels (images: the encoder from scratch). */
export const ENSEMBLE_FOLDS = 4;

export interface HumanFolds {
  /** Per position of the train set: the fold (0..k−1) of a human label, −1 for every other label. */
  fold: Int32Array;
  k: number;
  /** Pool rows and classes of all the human labels, in position order (each is out of fold for exactly one network). */
  rows: Int32Array;
  y: Int32Array;
  /** The fold of each of `rows`. */
  rowFold: Int32Array;
}

/**
 * The human labels of a train set (holdout[k] = 1) in k stratified folds, chosen by `seed`, so that k models, model
 * f trained without fold f, score every human label out of fold (instead of a fifth of them: 5× the rows, so a
 * choice between candidates a few points apart is not a coin toss). Accepted and pseudo-labels get fold −1 (every
 * model trains on them). Undefined below MIN_HELD_OUT_LABELS human labels; k is at most the number of them.
 */
export function humanFolds(train: TrainSet & { holdout: Uint8Array }, k: number, seed: number): HumanFolds | undefined {
  const human = [...Array(train.index.length).keys()].filter((p) => train.holdout[p] === 1);
  const K = Math.min(k, human.length);
  if (human.length < MIN_HELD_OUT_LABELS || K < 2) return undefined;
  const f = stratifiedFolds(human, train.y, K, new Rng(seed + 13));
  const fold = new Int32Array(train.index.length).fill(-1);
  human.forEach((p, j) => (fold[p] = f[j]));
  return {
    fold,
    k: K,
    rows: Int32Array.from(human, (p) => train.index[p]),
    y: Int32Array.from(human, (p) => train.y[p]),
    rowFold: Int32Array.from(human, (p) => fold[p]),
  };
}

/** The train set of model `f` of a k-fold ensemble: every label but the human labels of fold f. */
export function withoutFold(train: TrainSet, fold: Int32Array, f: number): TrainSet {
  const out = new Set<number>();
  fold.forEach((g, p) => g === f && out.add(p));
  return withoutPositions(train, out);
}

/**
 * Out-of-fold rows of k models' n × C outputs: row j is model fold[j]'s output for pool row rows[j]. The models'
 * outputs are `perModel[f]` (n × C each).
 */
export function outOfFoldRows(perModel: Float32Array[], foldOfRow: Int32Array, rows: Int32Array, C: number): Float32Array {
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, j) => {
    const m = perModel[foldOfRow[j]];
    if (!m) throw new Error(`no model for fold ${foldOfRow[j]}`);
    out.set(m.subarray(r * C, (r + 1) * C), j * C);
  });
  return out;
}

/**
 * A head's out-of-fold predictions (oof.index: pool rows, oof.probs row-major) for pool rows `rows`, as rows × C;
 * undefined when one of them has no out-of-fold prediction.
 */
export function oofRows(oof: { index: number[]; probs: number[] }, rows: Int32Array, C: number): Float32Array | undefined {
  const at = new Map(oof.index.map((r, k) => [r, k]));
  const out = new Float32Array(rows.length * C);
  for (let j = 0; j < rows.length; j++) {
    const k = at.get(rows[j]);
    if (k === undefined) return undefined;
    for (let c = 0; c < C; c++) out[j * C + c] = oof.probs[k * C + c];
  }
  return out;
}

/**
 * The folds of the human labels for a train: the last train's (`prev`, pool rows → fold) when its human labels
 * were exactly these (same rows, same classes), so that network f of this train and of the last one held out the
 * same labels; else new ones (humanFolds). `reused` says which.
 */
export function foldsFor(
  train: TrainSet & { holdout: Uint8Array },
  k: number,
  seed: number,
  prev?: { rows: number[]; y: number[]; fold: number[] },
): (HumanFolds & { reused: boolean }) | undefined {
  const human = [...Array(train.index.length).keys()].filter((p) => train.holdout[p] === 1);
  if (prev && prev.rows.length === human.length && human.length >= MIN_HELD_OUT_LABELS) {
    const at = new Map(prev.rows.map((r, j) => [r, j]));
    const K = Math.max(...prev.fold) + 1;
    const same = human.every((p) => {
      const j = at.get(train.index[p]);
      return j !== undefined && prev.y[j] === train.y[p] && prev.fold[j] >= 0;
    });
    if (same && K >= 2) {
      const fold = new Int32Array(train.index.length).fill(-1);
      human.forEach((p) => (fold[p] = prev.fold[at.get(train.index[p])!]));
      return {
        fold,
        k: K,
        rows: Int32Array.from(human, (p) => train.index[p]),
        y: Int32Array.from(human, (p) => train.y[p]),
        rowFold: Int32Array.from(human, (p) => fold[p]),
        reused: true,
      };
    }
  }
  const f = humanFolds(train, k, seed);
  return f && { ...f, reused: false };
}

/**
 * The train set of network f of a k-fold ensemble: the human labels not in fold f, and the other labels
 * (accepted proposals, pseudo-labels) only with `teacher` — the n × C outputs of the last train's network f, which
 * never saw fold f — whose class replaces theirs: a pseudo-label chosen by a model that saw a held-out label would
 * carry that label into the network scored on it (measured: the held-out estimate and the proposals' expected
 * precision drifted up after round 1). Without a teacher, network f trains on its human labels only.
 */
export function foldTrainSet(
  train: TrainSet & { holdout: Uint8Array },
  fold: Int32Array,
  f: number,
  C: number,
  teacher?: Float32Array,
): { set: TrainSet; pseudo: number } {
  const idx: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  let pseudo = 0;
  for (let p = 0; p < train.index.length; p++) {
    if (train.holdout[p] === 1) {
      if (fold[p] === f) continue;
      idx.push(train.index[p]);
      ys.push(train.y[p]);
    } else {
      if (!teacher) continue;
      idx.push(train.index[p]);
      ys.push(argmaxRow(teacher, train.index[p], C));
      pseudo++;
    }
    ws.push(train.weight[p]);
  }
  return { set: { index: Int32Array.from(idx), y: Int32Array.from(ys), weight: Float32Array.from(ws) }, pseudo };
}

/** The human labels of a train set only (holdout[k] = 1). */
export function humanOnly<T extends TrainSet & { holdout: Uint8Array }>(train: T): T {
  const keep = [...Array(train.index.length).keys()].filter((p) => train.holdout[p] === 1);
  return {
    ...train,
    index: Int32Array.from(keep, (p) => train.index[p]),
    y: Int32Array.from(keep, (p) => train.y[p]),
    weight: Float32Array.from(keep, (p) => train.weight[p]),
    holdout: new Uint8Array(keep.length).fill(1),
  };
}
