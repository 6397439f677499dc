/**
 * The text head: a semi-supervised classifier that works straight on the documents' sparse lexical features
 * (./features.ts), for text workspaces with few labels. Generic — nothing here knows the classes or the domain.
 *
 *   fitSpreadNbHead({texts, train: {index, y, weight, holdout?}, nClasses, seed?, ...}) → SpreadNbState (JSON-safe)
 *   predictSpreadNb(state, texts) → calibrated probabilities (n × C)
 *
 * 1. Two views of every document: its `Name: value` field lines ('fields') and the rest ('body') — for e-mail the
 *    headers and the message, for other texts whatever key/value metadata they carry. A view is used when at least
 *    `minViewCoverage` of the documents have features in it (plain prose has no fields view: only 'body' is used).
 * 2. Per view: tf-idf cosine kNN graph of the whole pool (./tfidf.ts) and label spreading from the labelled items
 *    (src/core/train/graph.ts); the views' label distributions are averaged (two views make different mistakes:
 *    one may tie a cluster of look-alike metadata to the wrong class, the other reads the words).
 * 3. Multinomial naive Bayes (./nbem.ts) on all features of the labelled items plus every spread label — the
 *    inductive model used for new documents (a held-out test folder) and for the pool.
 * 4. Calibration as in src/core/train/classifier.ts: the held-out (human) labels are split into stratified folds;
 *    each fold is removed from the seeds, spread + NB are refitted and predict it; one temperature is fitted to
 *    those out-of-fold logits (the NB log-likelihood per unit of document weight).
 */
import type { Progress } from '../../../types';
import { Rng } from '../../../models/random';
import type { TrainSet } from '../../../train/classifier';
import { softmaxRows } from '../../../train/calibration';
import { crossValidateFirst, fitFoldRederived, heldOutPlan, type CalibrationFields } from '../../../train/crossval';
import { argmaxRow, argmaxRows } from '../../../util/math';
import { spreadLabels, type KnnGraph } from '../../../train/graph';
import { trainRowsAt } from '../../../train/select';
import { textFeatures, type SparseDoc, type TextFeatureOptions } from './features';
import { abortIf, b64, fromB64, OofLogits, validateTrainSet } from './common';
import { fitNbEm, type NbModel } from './nbem';
import { idfOf, sparseKnnGraph, tfidfRows } from './tfidf';
import type { SpreadNbState } from './state';

export interface TextHeadOptions {
  texts: readonly string[];
  train: TrainSet;
  nClasses: number;
  seed?: number;
  /** Neighbours per item in each view's graph (default 20). */
  k?: number;
  /** Similarity exponent of the graph edges (default 3). */
  gamma?: number;
  /** Spreading α (default 0.99). */
  alpha?: number;
  /** Weight of a spread label in the NB fit, relative to a given label (default 1). */
  spreadWeight?: number;
  /** Spreading weight of a label that is not held out (not a person's: accepted, pseudo), relative (default 0.25). */
  acceptedSpreadWeight?: number;
  /** Hash buckets of the features (default 2^18). */
  buckets?: number;
  folds?: number;
  minViewCoverage?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export const TEXT_HEAD_DEFAULTS = {
  k: 20,
  gamma: 3,
  alpha: 0.99,
  spreadWeight: 1,
  acceptedSpreadWeight: 0.25,
  buckets: 1 << 18,
  folds: 5,
  minViewCoverage: 0.5,
  nbAlpha: 0.1,
  /** As LINEAR_TEXT_DEFAULTS in ./head.ts (src/core/train/crossval.ts Remaining). */
  proposalThreshold: 0.9,
  remainingMinRows: 8,
};

/** NB logits of documents: per-class log joint divided by the document's total feature weight (so the scale is per word). */
export function nbLogits(
  model: Pick<NbModel, 'nClasses' | 'ids' | 'logp' | 'unseen' | 'logPrior'>,
  docs: readonly SparseDoc[],
): Float32Array {
  const C = model.nClasses;
  const row = new Map<number, number>();
  model.ids.forEach((id, r) => row.set(id, r));
  const out = new Float32Array(docs.length * C);
  const s = new Float64Array(C);
  docs.forEach((d, i) => {
    s.fill(0);
    let tot = 0;
    for (let j = 0; j < d.ids.length; j++) {
      const w = 1 + Math.log(d.counts[j]);
      tot += w;
      const r = row.get(d.ids[j]);
      for (let c = 0; c < C; c++) s[c] += w * (r === undefined ? model.unseen[c] : model.logp[r * C + c]);
    }
    const inv = tot > 0 ? 1 / tot : 0;
    for (let c = 0; c < C; c++) out[i * C + c] = model.logPrior[c] + s[c] * inv;
  });
  return out;
}

/** Fits the spread + naive Bayes candidate of the text head (the head before candidates were compared); see the module comment. */
export async function fitSpreadNbHead(o: TextHeadOptions): Promise<SpreadNbState> {
  return (await crossValidateSpreadNb(o)).build();
}

/** The cross-validation of the spread + NB head now, its fit on every label (`build`) when called. */
export async function crossValidateSpreadNb(
  o: TextHeadOptions,
): Promise<{ calibration: CalibrationFields; build: () => Promise<SpreadNbState>; raw: OofLogits }> {
  const C = o.nClasses;
  const n = o.texts.length;
  const t = o.train;
  validateTrainSet(t, n, C);
  const B = o.buckets ?? TEXT_HEAD_DEFAULTS.buckets;
  const kNn = o.k ?? TEXT_HEAD_DEFAULTS.k;
  const gamma = o.gamma ?? TEXT_HEAD_DEFAULTS.gamma;
  const alpha = o.alpha ?? TEXT_HEAD_DEFAULTS.alpha;
  const spreadWeight = o.spreadWeight ?? TEXT_HEAD_DEFAULTS.spreadWeight;
  const acceptedSpreadWeight = o.acceptedSpreadWeight ?? TEXT_HEAD_DEFAULTS.acceptedSpreadWeight;
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  const t0 = Date.now();
  const plan = heldOutPlan(t, o.folds ?? TEXT_HEAD_DEFAULTS.folds);
  const nFits = plan.fits;
  // Progress: features + graphs count as 2 units per view, each fit as 1.
  let done = 0;
  let total = 1 + nFits;
  const report = (message: string) => {
    const el = (Date.now() - t0) / 1000;
    o.onProgress?.({ stage: 'train', done, total, etaSeconds: done > 0 ? (el / done) * (total - done) : undefined, message });
  };
  const fo: TextFeatureOptions = { buckets: B };
  const all: SparseDoc[] = [];
  const viewDocs: Record<'fields' | 'body', SparseDoc[]> = { fields: [], body: [] };
  for (let i = 0; i < n; i++) {
    if (i % 256 === 0) {
      abortIf(o.signal);
      await new Promise<void>((r) => setImmediate(r));
    }
    all.push(textFeatures(o.texts[i], fo));
    viewDocs.fields.push(textFeatures(o.texts[i], { ...fo, view: 'fields' }));
    viewDocs.body.push(textFeatures(o.texts[i], { ...fo, view: 'body' }));
  }
  done++;
  report('text features');
  const minCov = o.minViewCoverage ?? TEXT_HEAD_DEFAULTS.minViewCoverage;
  let views = (['fields', 'body'] as const).filter((v) => viewDocs[v].filter((d) => d.ids.length > 0).length >= minCov * n);
  const graphDocs: SparseDoc[][] = views.map((v) => viewDocs[v]);
  if (!views.length) {
    views = [];
    graphDocs.push(all);
  }
  total += graphDocs.length;
  const graphs: KnnGraph[] = [];
  for (const docs of graphDocs) {
    abortIf(o.signal);
    graphs.push(sparseKnnGraph({ rows: tfidfRows(docs, idfOf(docs, B)), buckets: B, k: kNn, signal: o.signal }));
    done++;
    report('neighbour graph');
    await new Promise<void>((r) => setImmediate(r));
  }

  /** Spreads from the train rows in `use` over every view, then fits NB on them + every spread label. */
  const fitWith = async (use: number[], y: Int32Array = t.y): Promise<NbModel> => {
    abortIf(o.signal);
    const seeds = trainRowsAt(t, use, y);
    // Every class spreads the same total seed mass: accepted proposals are often mostly of one class, and a class
    // with many more seeds would flood the graph (a round of auto-accepted proposals must not tip the balance).
    // Labels no person gave (holdout 0: accepted proposals, pseudo-labels) seed the spreading with less weight:
    // they agree with an earlier model by construction, and their mistakes would otherwise spread as facts.
    const sw = Float32Array.from(use, (k, j) => seeds.weight[j] * (!t.holdout || t.holdout[k] === 1 ? 1 : acceptedSpreadWeight));
    const classMass = new Float64Array(C);
    for (let j = 0; j < use.length; j++) classMass[seeds.y[j]] += sw[j];
    const spreadSeeds = { ...seeds, weight: Float32Array.from(sw, (w, j) => (classMass[seeds.y[j]] > 0 ? w / classMass[seeds.y[j]] : 0)) };
    const F = new Float64Array(n * C);
    for (const g of graphs) {
      const r = spreadLabels({ graph: g, nClasses: C, seeds: spreadSeeds, alpha, gamma });
      for (let q = 0; q < n * C; q++) F[q] += r.F[q];
    }
    const labelled = new Set<number>(seeds.index);
    const idx: number[] = Array.from(seeds.index);
    const ys: number[] = Array.from(seeds.y);
    const ws: number[] = Array.from(seeds.weight);
    for (let i = 0; i < n; i++) {
      if (labelled.has(i)) continue;
      const best = argmaxRow(F, i, C);
      if (F[i * C + best] <= 0) continue;
      idx.push(i);
      ys.push(best);
      ws.push(spreadWeight);
    }
    const nb = fitNbEm({
      docs: all,
      nClasses: C,
      buckets: B,
      labelled: { index: Int32Array.from(idx), y: Int32Array.from(ys), weight: Float32Array.from(ws) },
      iters: 0,
      docLength: 0,
      alpha: TEXT_HEAD_DEFAULTS.nbAlpha,
    });
    done = Math.min(total, done + 1);
    report('classifier');
    await new Promise<void>((r) => setImmediate(r));
    return nb;
  };

  const firsts = new WeakMap<NbModel, NbModel>();
  const nbOf = (m: NbModel, rows: ArrayLike<number>) =>
    nbLogits(
      m,
      Array.from(rows, (i) => all[i]),
    );
  const raw = new OofLogits(C);
  const { calibration, final } = await crossValidateFirst<NbModel>({
    remaining: {
      firstLogits: raw.first_((m: NbModel, rows: Int32Array) => {
        const f = firsts.get(m);
        return f ? nbOf(f, rows) : undefined;
      }),
      threshold: TEXT_HEAD_DEFAULTS.proposalThreshold,
      minRows: TEXT_HEAD_DEFAULTS.remainingMinRows,
    },
    plan,
    index: t.index,
    y: t.y,
    nClasses: C,
    rng,
    // A fold re-derives the labels no person gave from its own human labels (crossval.ts fitFoldRederived).
    fit: (use, fold) =>
      fold
        ? fitFoldRederived({
            positions: use,
            y: t.y,
            holdout: t.holdout,
            fit: fitWith,
            onFirst: (f, m2) => firsts.set(m2, f),
            labelsOf: (m, pos) =>
              argmaxRows(
                nbLogits(
                  m,
                  pos.map((k) => all[t.index[k]]),
                ),
                pos.length,
                C,
              ).labels,
          })
        : fitWith(use),
    logitsOf: raw.held_((nb: NbModel, rows: Int32Array) =>
      nbLogits(
        nb,
        Array.from(rows, (i) => all[i]),
      ),
    ),
    // Few, easy labels are often all right out of fold: let the temperature go low rather than stop at a bound.
    temperature: { minT: 1e-3, maxT: 10 },
  });
  const build = async (): Promise<SpreadNbState> => {
    const nb = await final();
    return {
      version: 1,
      kind: 'text-spread-nb',
      nClasses: C,
      buckets: B,
      views: graphs.length && views.length ? [...views] : ['all'],
      nb: { ids: b64(nb.ids), logp: b64(nb.logp), unseen: Array.from(nb.unseen), logPrior: Array.from(nb.logPrior) },
      ...calibration,
      seed,
    };
  };
  return { calibration, build, raw };
}

/** Calibrated class probabilities (n × C) of texts under a fitted spread + NB state. */
export function predictSpreadNb(state: SpreadNbState, texts: readonly string[]): Float32Array {
  const C = state.nClasses;
  const model = {
    nClasses: C,
    ids: fromB64(state.nb.ids, Int32Array),
    logp: fromB64(state.nb.logp, Float32Array),
    unseen: Float32Array.from(state.nb.unseen),
    logPrior: Float32Array.from(state.nb.logPrior),
  };
  const docs = texts.map((x) => textFeatures(x, { buckets: state.buckets }));
  return softmaxRows(nbLogits(model, docs), texts.length, C, state.temperature);
}
