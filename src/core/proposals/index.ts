/**
 * Proposals and active learning on top of calibrated class probabilities (rows of an n × C matrix from
 * train/classifier.ts `predict`).
 *
 *   propose / proposeLabels({probs, n, nClasses, classes, candidates, threshold, rejected?, limit?})
 *     → {proposals: {index, label, confidence, alternatives}[], expectedPrecision}
 *       One proposal per candidate row whose best class — among those the human has not rejected for it — has
 *       calibrated confidence ≥ threshold. After a rejection the remaining classes are renormalised
 *       (P(c | not rejected) = p_c / Σ_{not rejected} p), so a rejected label is never proposed again and the next
 *       class gets its fair confidence. Sorted by confidence (desc), then row; `limit` keeps the first ones.
 *   expectedPrecision(confidences) — the mean calibrated confidence = expected fraction of correct proposals.
 *   suggestForLabelling({probs?, nClasses?, X, n, dim, candidates, k, seed, labelled?}) → {index, score, reason}[]
 *       With a model and embeddings: BADGE (badgePicks below: uncertain and spread out, by k-means++ seeding on
 *       gradient embeddings). With a model and no embeddings: the most uncertain candidates (smallest top-2 margin).
 *       Before any model: diverse seeds — medoids of k-means clusters chosen farthest-first (weighted by cluster
 *       size), so the first human labels cover the data's clusters.
 *   findDisagreements({labelled: {item, label, probs}[], classes, threshold}) — human labels whose (out-of-fold)
 *       prediction is another class with confidence ≥ threshold, most confident first.
 */
import type { Disagreement } from '../types';
import { Rng } from '../models/random';
import { argmaxRow } from '../util/math';

export interface RawProposal {
  /** Row in probs. */
  index: number;
  label: string;
  confidence: number;
  /** The next classes (not rejected), most likely first. */
  alternatives: { label: string; confidence: number }[];
}

export interface ProposeOptions {
  probs: Float32Array;
  n: number;
  nClasses: number;
  classes: string[];
  /** Rows eligible for a proposal (unlabelled items). */
  candidates: Int32Array;
  threshold: number;
  /** Labels a human rejected for row i. */
  rejected?: (i: number) => ReadonlySet<string>;
  limit?: number;
  /** How many alternatives to list (default 2). */
  alternatives?: number;
}

/** Mean of the confidences: the expected precision of accepting them all (0 when empty). */
export function expectedPrecision(confidences: ArrayLike<number>): number {
  if (!confidences.length) return 0;
  let s = 0;
  for (let i = 0; i < confidences.length; i++) s += confidences[i];
  return s / confidences.length;
}

/** Proposals for the candidates; see the module comment. */
export function propose(o: ProposeOptions): { proposals: RawProposal[]; expectedPrecision: number } {
  const C = o.nClasses;
  if (o.classes.length !== C) throw new Error(`classes has ${o.classes.length} names for ${C} classes`);
  if (o.probs.length < o.n * C) throw new Error(`probs holds ${o.probs.length} values, need n·nClasses = ${o.n * C}`);
  const nAlt = o.alternatives ?? 2;
  const out: RawProposal[] = [];
  const order = new Array<number>(C);
  for (const i of o.candidates) {
    if (!(i >= 0 && i < o.n)) continue;
    const rej = o.rejected?.(i);
    let allowedMass = 0;
    let bad = false;
    for (let c = 0; c < C; c++) {
      const p = o.probs[i * C + c];
      if (!Number.isFinite(p) || p < 0) bad = true;
      order[c] = c;
      if (!rej || !rej.has(o.classes[c])) allowedMass += p;
    }
    if (bad || !(allowedMass > 0)) continue;
    order.sort((a, b) => o.probs[i * C + b] - o.probs[i * C + a] || a - b);
    const allowed = rej && rej.size ? order.filter((c) => !rej.has(o.classes[c])) : order;
    if (!allowed.length) continue;
    const conf = o.probs[i * C + allowed[0]] / allowedMass;
    if (!(conf >= o.threshold)) continue;
    out.push({
      index: i,
      label: o.classes[allowed[0]],
      confidence: conf,
      alternatives: allowed.slice(1, 1 + nAlt).map((c) => ({ label: o.classes[c], confidence: o.probs[i * C + c] / allowedMass })),
    });
  }
  out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const proposals = o.limit !== undefined && o.limit >= 0 ? out.slice(0, o.limit) : out;
  return { proposals, expectedPrecision: expectedPrecision(proposals.map((p) => p.confidence)) };
}

/** The name the orchestrator imports. */
export const proposeLabels = propose;

export interface SuggestOptions {
  /** Calibrated probabilities (n × nClasses), when a model exists. */
  probs?: Float32Array;
  nClasses?: number;
  /** Embeddings (n × dim), L2-normalised rows; may be empty (dim 0) when none exist. */
  X: Float32Array;
  n: number;
  dim: number;
  candidates: Int32Array;
  k: number;
  seed?: number;
  /** Rows already labelled (their clusters count as covered before any model exists). */
  labelled?: Int32Array;
}

export interface RawSuggestion {
  index: number;
  score: number;
  reason: 'uncertain' | 'diverse';
}

/** Items worth a human label; see the module comment. */
export function suggestForLabelling(o: SuggestOptions): RawSuggestion[] {
  const k = Math.max(0, Math.floor(o.k));
  const cands = Array.from(o.candidates).filter((i) => i >= 0 && i < o.n);
  if (!k || !cands.length) return [];
  const rng = new Rng(o.seed ?? 1);
  const hasX = o.dim > 0 && o.X.length >= o.n * o.dim;
  const C = o.nClasses ?? 0;
  if (o.probs && C >= 2 && o.probs.length >= o.n * C) {
    // Uncertainty: 1 − (p1 − p2).
    const score = new Map<number, number>();
    for (const i of cands) {
      let p1 = -Infinity;
      let p2 = -Infinity;
      for (let c = 0; c < C; c++) {
        const p = o.probs[i * C + c];
        if (p > p1) {
          p2 = p1;
          p1 = p;
        } else if (p > p2) p2 = p;
      }
      score.set(i, Number.isFinite(p1 - p2) ? 1 - (p1 - p2) : 1);
    }
    const sorted = cands.sort((a, b) => score.get(b)! - score.get(a)! || a - b);
    if (hasX)
      return badgePicks(o.probs, C, o.X, o.dim, sorted, k, rng).map((index) => ({
        index,
        score: score.get(index)!,
        reason: 'uncertain' as const,
      }));
    return sorted.slice(0, k).map((index) => ({ index, score: score.get(index)!, reason: 'uncertain' as const }));
  }
  if (!hasX) {
    // Nothing learned: a seeded random spread.
    return rng
      .shuffle(cands)
      .slice(0, k)
      .map((index) => ({ index, score: 1, reason: 'diverse' as const }));
  }
  return diverseSeeds(o.X, o.dim, cands, k, rng, o.labelled ?? new Int32Array(0));
}

/**
 * BADGE (Ash et al. 2020, "Deep batch active learning by diverse, uncertain gradient lower bounds"): each candidate's
 * gradient embedding g = (p − onehot(ŷ)) ⊗ [x, 1] — the log-loss gradient of a linear last layer on its features x
 * if its own prediction ŷ were the label: long where the model is unsure, pointing where a label would move it —
 * then k-means++ seeding (D² sampling) on those, so a batch is both uncertain and spread out; no tuned share of
 * random picks. The first pick is the longest g. Distances are computed without forming g (C·(dim+1) numbers):
 * ‖g_i − g_j‖² = ‖a_i‖²‖x̃_i‖² + ‖a_j‖²‖x̃_j‖² − 2 (a_i·a_j)(x̃_i·x̃_j), a = p − onehot(ŷ), x̃ = [x, 1];
 * so k picks among m candidates cost k·m·(C + dim). Returns up to k rows of `cands` in pick order.
 */
export function badgePicks(
  probs: ArrayLike<number>,
  C: number,
  X: Float32Array,
  dim: number,
  cands: readonly number[],
  k: number,
  rng: Rng,
): number[] {
  const m = cands.length;
  const A = new Float64Array(m * C);
  const aa = new Float64Array(m);
  const xx = new Float64Array(m);
  for (let s = 0; s < m; s++) {
    const i = cands[s];
    let yhat = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + yhat]) yhat = c;
    let na = 0;
    for (let c = 0; c < C; c++) {
      const a = probs[i * C + c] - (c === yhat ? 1 : 0);
      A[s * C + c] = a;
      na += a * a;
    }
    let nx = 1;
    for (let j = 0; j < dim; j++) nx += X[i * dim + j] ** 2;
    aa[s] = na;
    xx[s] = nx;
  }
  const d2 = new Float64Array(m).fill(Infinity);
  const taken = new Uint8Array(m);
  const picks: number[] = [];
  const add = (t: number) => {
    taken[t] = 1;
    d2[t] = 0;
    picks.push(cands[t]);
    const it = cands[t];
    const gt = aa[t] * xx[t];
    for (let s = 0; s < m; s++) {
      if (taken[s]) continue;
      let ad = 0;
      for (let c = 0; c < C; c++) ad += A[s * C + c] * A[t * C + c];
      let xd = 1;
      const is = cands[s];
      for (let j = 0; j < dim; j++) xd += X[is * dim + j] * X[it * dim + j];
      const v = Math.max(0, aa[s] * xx[s] + gt - 2 * ad * xd);
      if (v < d2[s]) d2[s] = v;
    }
  };
  if (!m || k <= 0) return picks;
  let first = 0;
  for (let s = 1; s < m; s++) if (aa[s] * xx[s] > aa[first] * xx[first]) first = s;
  add(first);
  while (picks.length < Math.min(k, m)) {
    let total = 0;
    for (let s = 0; s < m; s++) if (!taken[s]) total += d2[s];
    let next = -1;
    if (total > 0) {
      let r = rng.next() * total;
      for (let s = 0; s < m; s++) {
        if (taken[s] || d2[s] <= 0) continue;
        next = s;
        r -= d2[s];
        if (r <= 0) break;
      }
    } else {
      // Every candidate is a copy of a pick: take the next untaken in order.
      next = taken.indexOf(0);
    }
    add(next);
  }
  return picks;
}

/**
 * k-means with 3 clusters per wanted pick (k-means++ initialisation, 8 Lloyd iterations on a sample of at most
 * 20,000 candidates), the medoid of each cluster, then weighted farthest-first selection among the medoids (size ×
 * squared distance to the nearest labelled or picked item), so picks cover the data's regions, largest first,
 * never two in one region. Score = the cluster's share of the candidates.
 */
function diverseSeeds(X: Float32Array, dim: number, cands: number[], k: number, rng: Rng, labelled: Int32Array): RawSuggestion[] {
  const sample = cands.length > 20000 ? rng.shuffle([...cands]).slice(0, 20000) : cands;
  const m = sample.length;
  // Over-cluster (3 clusters per wanted pick), then choose among the medoids (below).
  const K = Math.min(3 * (k + labelled.length), m);
  // k-means++ seeding.
  const centers = new Float32Array(K * dim);
  const d2 = new Float64Array(m).fill(Infinity);
  let first = sample[rng.int(m)];
  centers.set(X.subarray(first * dim, (first + 1) * dim), 0);
  for (let c = 1; c <= K; c++) {
    let total = 0;
    for (let s = 0; s < m; s++) {
      let dd = 0;
      const o = sample[s] * dim;
      const oc = (c - 1) * dim;
      for (let j = 0; j < dim; j++) {
        const t = X[o + j] - centers[oc + j];
        dd += t * t;
      }
      if (dd < d2[s]) d2[s] = dd;
      total += d2[s];
    }
    if (c === K) break;
    let r = rng.next() * total;
    let pick = m - 1;
    for (let s = 0; s < m; s++) {
      r -= d2[s];
      if (r <= 0) {
        pick = s;
        break;
      }
    }
    first = sample[pick];
    centers.set(X.subarray(first * dim, (first + 1) * dim), c * dim);
  }
  // Lloyd iterations (cosine ~ dot for unit rows).
  const assign = new Int32Array(m);
  const norms = new Float64Array(K);
  const updateNorms = () => {
    for (let c = 0; c < K; c++) {
      let cn = 0;
      for (let j = 0; j < dim; j++) cn += centers[c * dim + j] * centers[c * dim + j];
      norms[c] = cn;
    }
  };
  updateNorms();
  const assignOf = (row: number) => {
    let best = 0;
    let bestS = -Infinity;
    const o = row * dim;
    for (let c = 0; c < K; c++) {
      let s = 0;
      const oc = c * dim;
      for (let j = 0; j < dim; j++) s += X[o + j] * centers[oc + j];
      // squared distance = |x|² + |c|² − 2 x·c; |x| is fixed, so maximise x·c − |c|²/2.
      s -= norms[c] / 2;
      if (s > bestS) {
        bestS = s;
        best = c;
      }
    }
    return best;
  };
  for (let it = 0; it < 8; it++) {
    for (let s = 0; s < m; s++) assign[s] = assignOf(sample[s]);
    const sums = new Float64Array(K * dim);
    const counts = new Int32Array(K);
    for (let s = 0; s < m; s++) {
      const c = assign[s];
      counts[c]++;
      const o = sample[s] * dim;
      for (let j = 0; j < dim; j++) sums[c * dim + j] += X[o + j];
    }
    for (let c = 0; c < K; c++) if (counts[c]) for (let j = 0; j < dim; j++) centers[c * dim + j] = sums[c * dim + j] / counts[c];
    updateNorms();
  }
  // Medoid and size per cluster over all candidates.
  const size = new Int32Array(K);
  const medoid = new Int32Array(K).fill(-1);
  const medoidScore = new Float64Array(K).fill(-Infinity);
  for (const i of cands) {
    const c = assignOf(i);
    size[c]++;
    let s = 0;
    for (let j = 0; j < dim; j++) s -= (X[i * dim + j] - centers[c * dim + j]) ** 2;
    if (s > medoidScore[c]) {
      medoidScore[c] = s;
      medoid[c] = i;
    }
  }
  // Weighted farthest-first over the medoids: pick the cluster maximising size × (squared distance of its medoid
  // to the nearest labelled or already picked item) — big clusters first, but never two picks in one region.
  const live = [...Array(K).keys()].filter((c) => medoid[c] >= 0);
  const near = new Float64Array(K).fill(Infinity);
  const sqDist = (a: number, b: number) => {
    let d = 0;
    for (let j = 0; j < dim; j++) d += (X[a * dim + j] - X[b * dim + j]) ** 2;
    return d;
  };
  for (const l of labelled) for (const c of live) near[c] = Math.min(near[c], sqDist(medoid[c], l));
  const picks: RawSuggestion[] = [];
  const used = new Set<number>();
  while (picks.length < k && used.size < live.length) {
    let best = -1;
    let bestScore = -Infinity;
    for (const c of live) {
      if (used.has(c)) continue;
      const sc = size[c] * (Number.isFinite(near[c]) ? near[c] : 1e9);
      if (sc > bestScore || (sc === bestScore && c < best)) {
        bestScore = sc;
        best = c;
      }
    }
    if (best < 0) break;
    used.add(best);
    picks.push({ index: medoid[best], score: size[best] / cands.length, reason: 'diverse' });
    for (const c of live) near[c] = Math.min(near[c], sqDist(medoid[c], medoid[best]));
  }
  // Fewer clusters than k: fill up with random candidates.
  if (picks.length < k) {
    const taken = new Set(picks.map((p) => p.index));
    for (const i of rng.shuffle([...cands])) {
      if (picks.length >= k) break;
      if (!taken.has(i)) {
        taken.add(i);
        picks.push({ index: i, score: 0, reason: 'diverse' });
      }
    }
  }
  return picks;
}

export interface DisagreementOptions {
  /** Labelled items with their (preferably out-of-fold) predicted probabilities over `classes`. */
  labelled: { item: string; label: string; probs: ArrayLike<number> }[];
  classes: string[];
  threshold: number;
}

/** Human labels the model confidently contradicts; see the module comment. */
export function findDisagreements(o: DisagreementOptions): Disagreement[] {
  const out: Disagreement[] = [];
  for (const l of o.labelled) {
    if (!o.classes.length) continue;
    const best = argmaxRow(l.probs, 0, o.classes.length);
    const predicted = o.classes[best];
    const confidence = l.probs[best];
    if (predicted !== l.label && confidence >= o.threshold) out.push({ item: l.item, label: l.label, predicted, confidence });
  }
  return out.sort((a, b) => b.confidence - a.confidence || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
}
