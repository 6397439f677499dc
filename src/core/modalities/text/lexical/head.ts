/**
 * The text head: a classifier that works straight on the documents' sparse lexical features, for text workspaces
 * with few labels, chosen per project among candidates by the held-out human labels. Generic — nothing here knows
 * the classes or the domain.
 *
 *   fitTextHead({texts, train: {index, y, weight, holdout?}, nClasses, seed?, ...}) → TextHeadState (JSON-safe)
 *   predictTextHead(state, texts) → calibrated probabilities (n × C)
 *
 * Candidates (TEXT_HEAD_CANDIDATES):
 *   - 'linear-words': tf-idf ((1 + ln tf)·idf over the whole pool, L2-normalised) of words, word bigrams and field
 *     tokens (./features.ts) → multinomial logistic regression on the labelled rows (./linear.ts, L2 penalty 1);
 *   - 'linear-subword': the same plus character 3–5-grams of the words (./subword.ts), L2 penalty 0.2 (more,
 *     weaker features);
 *   - 'spread-nb': label spreading over tf-idf kNN graphs of the pool's views + naive Bayes on the spread labels
 *     (./spreadNb.ts) — the semi-supervised head that wins when the pool's neighbourhoods follow the classes (e-mail).
 * Every candidate is cross-validated on the same stratified folds of the held-out human labels (src/core/train/
 * crossval.ts heldOutPlan / fitCalibrated with the same seed): the one with the best out-of-fold accuracy is kept
 * (ties: the earlier in the list; 'spread-nb' unless clearly beaten, see selectCandidate), fitted on every label, with the temperature of its own out-of-fold logits. Its
 * state records every candidate's estimate (`candidates`) and the choice (`chosen`). The estimate of the chosen one
 * is the maximum of a few noisy estimates, so slightly optimistic; its temperature is still fitted out of fold.
 * Labels no person gave (holdout 0: accepted proposals, pseudo-labels) train every candidate but are never held out.
 */
import type { Progress } from '../../../types';
import { Rng } from '../../../models/random';
import { softmaxRows } from '../../../train/calibration';
import { fitCalibrated, heldOutPlan } from '../../../train/crossval';
import type { TrainSet } from '../../../train/classifier';
import { textFeatures, type SparseDoc } from './features';
import { fitSparseLogReg, sparseLogRegLogits, type SparseLogReg } from './linear';
import { fitSpreadNbHead, predictSpreadNb, TEXT_HEAD_DEFAULTS, type TextHeadOptions as SpreadNbOptions } from './spreadNb';
import { isTextHeadState, type LinearTextState, type SpreadNbState, type TextHeadCandidate, type TextHeadState } from './state';
import { charNgramFeatures, mergeDocs } from './subword';
import { tfidfRows, type SparseRow } from './tfidf';

export { isTextHeadState, TEXT_HEAD_DEFAULTS, type TextHeadState, type LinearTextState, type SpreadNbState };

export const TEXT_HEAD_CANDIDATES = ['linear-words', 'linear-subword', 'spread-nb'] as const;
export type TextHeadCandidateName = (typeof TEXT_HEAD_CANDIDATES)[number];

export interface TextHeadOptions extends SpreadNbOptions {
  /** Candidates to compare (default all of TEXT_HEAD_CANDIDATES); one name = no selection. */
  candidates?: readonly TextHeadCandidateName[];
  /** Called with every fitted candidate's state (for inspection and research scripts). */
  onCandidate?: (name: TextHeadCandidateName, state: TextHeadState) => void;
}

export const LINEAR_TEXT_DEFAULTS = { l2Words: 1, l2Subword: 0.2, iterations: 300 };

const b64 = (a: Int32Array | Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64<T extends Int32Array | Float32Array>(s: string, ctor: new (b: ArrayBuffer) => T): T {
  const buf = Buffer.from(s, 'base64');
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/** The sparse features of the linear candidates: words, bigrams, fields (+ character n-grams). */
export function linearTextFeatures(text: string, buckets: number, subword: boolean): SparseDoc {
  const w = textFeatures(text, { buckets });
  return subword ? mergeDocs(w, charNgramFeatures(text, { buckets })) : w;
}

/** Pool idf as a map over the features the pool has (ln((1+n)/(1+df)) + 1). */
function poolIdf(docs: readonly SparseDoc[]): { ids: Int32Array; idf: Float32Array } {
  const df = new Map<number, number>();
  for (const d of docs) for (const id of d.ids) df.set(id, (df.get(id) ?? 0) + 1);
  const ids = Int32Array.from(df.keys()).sort();
  const n = docs.length;
  return { ids, idf: Float32Array.from(ids, (id) => Math.log((1 + n) / (1 + df.get(id)!)) + 1) };
}

/** tf-idf rows of documents under a stored idf (features the pool never had get the idf of df = 0). */
function rowsUnder(docs: readonly SparseDoc[], idf: { ids: Int32Array; idf: Float32Array }, pool: number, buckets: number): SparseRow[] {
  const dense = new Float32Array(buckets).fill(Math.log(1 + pool) + 1);
  idf.ids.forEach((id, j) => (dense[id] = idf.idf[j]));
  return tfidfRows(docs, dense);
}

/** Which parts of the documents there are (as the spread-NB head decides its views): 'fields' when enough have them. */
function viewsOf(texts: readonly string[], buckets: number, minCov: number): string[] {
  let withFields = 0;
  for (const t of texts) if (textFeatures(t.slice(0, 20_000), { buckets, view: 'fields', bigrams: false }).ids.length) withFields++;
  return withFields >= minCov * texts.length ? ['fields', 'body'] : ['body'];
}

function validate(o: TextHeadOptions): void {
  const C = o.nClasses;
  const n = o.texts.length;
  const t = o.train;
  const m = t.index.length;
  if (!Number.isInteger(C) || C < 2) throw new Error(`Need at least 2 classes, got ${C}`);
  if (!m) throw new Error('No labelled items to train on.');
  if (t.y.length !== m || t.weight.length !== m || (t.holdout && t.holdout.length !== m)) {
    throw new Error('train.index, train.y, train.weight (and holdout) must have the same length');
  }
  for (let k = 0; k < m; k++) {
    if (t.index[k] < 0 || t.index[k] >= n) throw new Error(`train.index[${k}] = ${t.index[k]} is not a row of the ${n} texts`);
    if (t.y[k] < 0 || t.y[k] >= C) throw new Error(`train.y[${k}] = ${t.y[k]} is not a class (0..${C - 1})`);
  }
}

/** Fits one linear candidate (cross-validated and calibrated) on the pool's tf-idf rows. */
async function fitLinear(o: TextHeadOptions, subword: boolean, report: () => void): Promise<LinearTextState> {
  const C = o.nClasses;
  const B = o.buckets ?? TEXT_HEAD_DEFAULTS.buckets;
  const t: TrainSet = o.train;
  const seed = o.seed ?? 1;
  const docs: SparseDoc[] = [];
  for (let i = 0; i < o.texts.length; i++) {
    if (i % 256 === 0) {
      abortIf(o.signal);
      await new Promise<void>((r) => setImmediate(r));
    }
    docs.push(linearTextFeatures(o.texts[i], B, subword));
  }
  const idf = poolIdf(docs);
  const rows = rowsUnder(docs, idf, docs.length, B);
  const l2 = subword ? LINEAR_TEXT_DEFAULTS.l2Subword : LINEAR_TEXT_DEFAULTS.l2Words;
  const plan = heldOutPlan(t, o.folds ?? TEXT_HEAD_DEFAULTS.folds);
  const { model, calibration } = await fitCalibrated<SparseLogReg>({
    plan,
    index: t.index,
    y: t.y,
    nClasses: C,
    rng: new Rng(seed),
    fit: async (use) => {
      abortIf(o.signal);
      const m = fitSparseLogReg({
        rows: use.map((k) => rows[t.index[k]]),
        targets: Int32Array.from(use, (k) => t.y[k]),
        weight: Float32Array.from(use, (k) => t.weight[k]),
        nClasses: C,
        l2,
        iterations: LINEAR_TEXT_DEFAULTS.iterations,
        signal: o.signal,
      });
      report();
      await new Promise<void>((r) => setImmediate(r));
      return m;
    },
    logitsOf: (m, idx) =>
      sparseLogRegLogits(
        m,
        Array.from(idx, (i) => rows[i]),
      ),
    temperature: { minT: 1e-3, maxT: 10 },
  });
  return {
    version: 2,
    kind: 'text-linear',
    nClasses: C,
    buckets: B,
    subword,
    views: viewsOf(o.texts, B, o.minViewCoverage ?? TEXT_HEAD_DEFAULTS.minViewCoverage),
    pool: docs.length,
    model: { ids: b64(idf.ids), idf: b64(idf.idf), W: b64(expandWeights(model, idf.ids, C)), bias: Array.from(model.bias) },
    ...calibration,
    seed,
  };
}

/** The model's weights laid out on every pool feature (ids × C; zero for features no labelled row had). */
function expandWeights(m: SparseLogReg, ids: Int32Array, C: number): Float32Array {
  const at = new Map<number, number>();
  m.ids.forEach((id, q) => at.set(id, q));
  const W = new Float32Array(ids.length * C);
  ids.forEach((id, j) => {
    const q = at.get(id);
    if (q !== undefined) W.set(m.W.subarray(q * C, (q + 1) * C), j * C);
  });
  return W;
}

/** Fits the text head: every candidate, cross-validated on the same folds; the best out of fold is kept. */
export async function fitTextHead(o: TextHeadOptions): Promise<TextHeadState> {
  validate(o);
  const names = o.candidates ?? TEXT_HEAD_CANDIDATES;
  if (!names.length || names.some((c) => !TEXT_HEAD_CANDIDATES.includes(c)))
    throw new Error(`Unknown text head candidates: ${names.join(', ')}`);
  const t0 = Date.now();
  const fits = heldOutPlan(o.train, o.folds ?? TEXT_HEAD_DEFAULTS.folds).fits;
  // Progress: each linear candidate = its fits + 1 (features); spread-nb reports its own units, rescaled into its share.
  const share = names.map((c) => (c === 'spread-nb' ? 2 * fits + 4 : fits + 1));
  const total = share.reduce((a, b) => a + b, 0);
  let base = 0;
  let done = 0;
  const report = (message: string) => {
    const el = (Date.now() - t0) / 1000;
    o.onProgress?.({ stage: 'train', done, total, etaSeconds: done > 0 ? (el / done) * (total - done) : undefined, message });
  };
  const states: TextHeadState[] = [];
  const candidates: TextHeadCandidate[] = [];
  for (let j = 0; j < names.length; j++) {
    abortIf(o.signal);
    const c = names[j];
    const t1 = Date.now();
    let s: TextHeadState;
    if (c === 'spread-nb') {
      s = await fitSpreadNbHead({
        ...o,
        onProgress: (p: Progress) => {
          done = base + (p.total ? (p.done / p.total) * share[j] : 0);
          report(`${c}: ${p.message ?? ''}`);
        },
      });
    } else {
      done = base + 1;
      s = await fitLinear(o, c === 'linear-subword', () => {
        done = Math.min(base + share[j], done + 1);
        report(`${c}: classifier`);
      });
    }
    base += share[j];
    done = base;
    report(`${c}: done`);
    states.push(s);
    o.onCandidate?.(c, s);
    candidates.push({ name: c, estimatedAccuracy: s.estimatedAccuracy, seconds: (Date.now() - t1) / 1000 });
  }
  const best = selectCandidate(names, states);
  return { ...states[best], chosen: names[best], candidates };
}

/**
 * Index of the chosen candidate: the best out of fold (ties: the earlier), except that the semi-supervised
 * 'spread-nb' is kept unless the best beats it by more than one standard error of the best's estimate,
 * √(p(1−p)/m) over the m held-out labels — with 20 labels one label is 5 points, and a linear head that wins the
 * cross-validation by one label lost 2.5–17 test points to spread-nb on SpamAssassin (research/text, seeds 2, 3).
 */
export function selectCandidate(
  names: readonly string[],
  states: readonly Pick<TextHeadState, 'estimatedAccuracy' | 'trainedOn'>[],
): number {
  let best = 0;
  for (let j = 1; j < states.length; j++) if ((states[j].estimatedAccuracy ?? -1) > (states[best].estimatedAccuracy ?? -1)) best = j;
  const sn = names.indexOf('spread-nb');
  if (sn < 0 || sn === best) return best;
  const p = states[best].estimatedAccuracy;
  const q = states[sn].estimatedAccuracy;
  if (p === null || q === null) return best;
  const m = Math.max(1, states[best].trainedOn.heldOut);
  return p - q > Math.sqrt((p * (1 - p)) / m) ? best : sn;
}

/** Calibrated class probabilities (n × C) of texts under a fitted text head (either kind). */
export function predictTextHead(state: TextHeadState, texts: readonly string[]): Float32Array {
  if (state.kind === 'text-spread-nb') return predictSpreadNb(state, texts);
  const C = state.nClasses;
  const ids = fromB64(state.model.ids, Int32Array);
  const idf = { ids, idf: fromB64(state.model.idf, Float32Array) };
  const model: SparseLogReg = { nClasses: C, ids, W: fromB64(state.model.W, Float32Array), bias: Float32Array.from(state.model.bias) };
  if (model.W.length !== ids.length * C || idf.idf.length !== ids.length || model.bias.length !== C)
    throw new Error('text-linear state: model arrays do not match its feature ids');
  const docs = texts.map((x) => linearTextFeatures(x, state.buckets, state.subword));
  return softmaxRows(sparseLogRegLogits(model, rowsUnder(docs, idf, state.pool, state.buckets)), texts.length, C, state.temperature);
}
