/**
 * From calibrated class probabilities to what a person sees: proposals (most confident first, never a label the
 * person already rejected for that item, with the batch's expected precision), the items where a human label helps
 * most (active learning), and human labels the model strongly disagrees with. Pure JS over typed arrays: cheap
 * enough for the calling thread (candidates are subsampled where the work grows with n²).
 */
import type { Disagreement } from '../types';

export interface RawProposal {
  /** Row of the probability matrix. */
  index: number;
  label: string;
  confidence: number;
  alternatives: { label: string; confidence: number }[];
}

export interface ProposeOptions {
  /** n × C calibrated probabilities, row-major. */
  probs: Float32Array;
  n: number;
  nClasses: number;
  classes: string[];
  /** Rows that may be proposed (unlabelled items). */
  candidates: Int32Array;
  /** Minimum confidence. */
  threshold: number;
  /** Labels the person rejected for a row: excluded, and the remaining probability renormalised. */
  rejected?: (row: number) => ReadonlySet<string>;
  limit?: number;
}

/**
 * One proposal per candidate whose best allowed class reaches the threshold. When labels were rejected for an item,
 * the confidence of the next class is conditioned on the rejection: p(c) / (1 − Σ p(rejected)).
 */
export function proposeLabels(o: ProposeOptions): { proposals: RawProposal[]; expectedPrecision: number } {
  const C = o.nClasses;
  if (o.classes.length !== C) throw new Error(`classes (${o.classes.length}) and nClasses (${C}) differ`);
  if (o.probs.length < o.n * C) throw new Error('probs is smaller than n × nClasses');
  const out: RawProposal[] = [];
  const order = new Array<number>(C);
  for (const row of o.candidates) {
    if (row < 0 || row >= o.n) continue;
    const base = row * C;
    const rej = o.rejected?.(row);
    let mass = 1;
    if (rej && rej.size) for (let c = 0; c < C; c++) if (rej.has(o.classes[c])) mass -= o.probs[base + c];
    if (rej && rej.size >= C) continue;
    for (let c = 0; c < C; c++) order[c] = c;
    order.sort((a, b) => o.probs[base + b] - o.probs[base + a]);
    const allowed = rej && rej.size ? order.filter((c) => !rej.has(o.classes[c])) : order;
    if (!allowed.length) continue;
    const norm = mass > 1e-6 ? mass : 1;
    const conf = Math.min(1, o.probs[base + allowed[0]] / norm);
    if (!(conf >= o.threshold)) continue;
    out.push({
      index: row,
      label: o.classes[allowed[0]],
      confidence: conf,
      alternatives: allowed.slice(1, 3).map((c) => ({ label: o.classes[c], confidence: Math.min(1, o.probs[base + c] / norm) })),
    });
  }
  out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const proposals = o.limit !== undefined && o.limit >= 0 ? out.slice(0, o.limit) : out;
  return { proposals, expectedPrecision: expectedPrecision(proposals.map((p) => p.confidence)) };
}

/** With calibrated confidences, the expected fraction of correct proposals is their mean. */
export function expectedPrecision(confidences: ArrayLike<number>): number {
  if (!confidences.length) return 0;
  let s = 0;
  for (let i = 0; i < confidences.length; i++) s += confidences[i];
  return s / confidences.length;
}

export interface SuggestOptions {
  /** n × C calibrated probabilities; absent before the first model. */
  probs?: Float32Array;
  nClasses: number;
  /** n × dim embeddings (may be empty when none exist yet). */
  X: Float32Array;
  n: number;
  dim: number;
  candidates: Int32Array;
  k: number;
  seed?: number;
}

export interface RawSuggestion {
  index: number;
  score: number;
  reason: 'uncertain' | 'diverse';
}

/** Small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sqDist(X: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let d = 0; d < dim; d++) {
    const v = X[oa + d] - X[ob + d];
    s += v * v;
  }
  return s;
}

/**
 * Greedy k-center over `pool` rows: each pick is the row farthest from all picks so far, starting from the row
 * nearest the pool's mean (a typical item, not an outlier). Returns picks in order.
 */
export function kCenter(X: Float32Array, dim: number, pool: number[], k: number): number[] {
  if (!pool.length || k <= 0) return [];
  const mean = new Float64Array(dim);
  for (const r of pool) for (let d = 0; d < dim; d++) mean[d] += X[r * dim + d] / pool.length;
  let first = pool[0];
  let bestD = Infinity;
  for (const r of pool) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = X[r * dim + d] - mean[d];
      s += v * v;
    }
    if (s < bestD) {
      bestD = s;
      first = r;
    }
  }
  const picks = [first];
  const minD = new Float64Array(pool.length).fill(Infinity);
  while (picks.length < Math.min(k, pool.length)) {
    const last = picks[picks.length - 1];
    let far = -1;
    let farD = -1;
    for (let j = 0; j < pool.length; j++) {
      const d = Math.min(minD[j], sqDist(X, dim, pool[j], last));
      minD[j] = d;
      if (d > farD) {
        farD = d;
        far = j;
      }
    }
    if (far < 0 || farD <= 0) break;
    picks.push(pool[far]);
  }
  return picks;
}

/**
 * k-means (k-means++ seeding, a few Lloyd iterations) on a subsample, returning for each cluster the member nearest
 * its centre: representative and diverse seeds, so the first human labels cover the classes.
 */
export function representativeSeeds(X: Float32Array, dim: number, pool: number[], k: number, seed = 1, iterations = 8): number[] {
  const rand = rng(seed);
  const m = pool.length;
  if (!m || k <= 0) return [];
  k = Math.min(k, m);
  const centres: Float64Array[] = [];
  const d2 = new Float64Array(m).fill(Infinity);
  let pick = pool[Math.floor(rand() * m)];
  for (let c = 0; c < k; c++) {
    centres.push(Float64Array.from(X.subarray(pick * dim, (pick + 1) * dim)));
    let total = 0;
    for (let j = 0; j < m; j++) {
      let s = 0;
      const o = pool[j] * dim;
      const cc = centres[c];
      for (let d = 0; d < dim; d++) {
        const v = X[o + d] - cc[d];
        s += v * v;
      }
      if (s < d2[j]) d2[j] = s;
      total += d2[j];
    }
    if (total <= 0) break;
    let r = rand() * total;
    let j = 0;
    for (; j < m - 1; j++) {
      r -= d2[j];
      if (r <= 0) break;
    }
    pick = pool[j];
  }
  const assign = new Int32Array(m);
  for (let it = 0; it < iterations; it++) {
    for (let j = 0; j < m; j++) {
      let best = 0;
      let bd = Infinity;
      const o = pool[j] * dim;
      for (let c = 0; c < centres.length; c++) {
        let s = 0;
        const cc = centres[c];
        for (let d = 0; d < dim; d++) {
          const v = X[o + d] - cc[d];
          s += v * v;
        }
        if (s < bd) {
          bd = s;
          best = c;
        }
      }
      assign[j] = best;
    }
    const sums = centres.map(() => new Float64Array(dim));
    const counts = new Int32Array(centres.length);
    for (let j = 0; j < m; j++) {
      counts[assign[j]]++;
      const o = pool[j] * dim;
      const s = sums[assign[j]];
      for (let d = 0; d < dim; d++) s[d] += X[o + d];
    }
    for (let c = 0; c < centres.length; c++) if (counts[c]) for (let d = 0; d < dim; d++) centres[c][d] = sums[c][d] / counts[c];
  }
  const best = new Array<number>(centres.length).fill(-1);
  const bestD = new Float64Array(centres.length).fill(Infinity);
  for (let j = 0; j < m; j++) {
    const c = assign[j];
    let s = 0;
    const o = pool[j] * dim;
    for (let d = 0; d < dim; d++) {
      const v = X[o + d] - centres[c][d];
      s += v * v;
    }
    if (s < bestD[c]) {
      bestD[c] = s;
      best[c] = pool[j];
    }
  }
  return best.filter((r) => r >= 0);
}

const MAX_POOL = 4000;

function subsample(rows: number[], max: number, seed: number): number[] {
  if (rows.length <= max) return rows;
  const rand = rng(seed);
  const a = rows.slice();
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rand() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, max);
}

/**
 * Items a person should label next. With a model: the most uncertain candidates (smallest margin between the two
 * most likely classes), spread out in embedding space so a batch does not repeat one confusion. Before any model:
 * representative, diverse seeds (k-means on the embeddings).
 */
export function suggestForLabelling(o: SuggestOptions): RawSuggestion[] {
  const cands = Array.from(o.candidates).filter((r) => r >= 0 && r < o.n);
  if (!cands.length || o.k <= 0) return [];
  const hasX = o.dim > 0 && o.X.length >= o.n * o.dim;
  if (!o.probs) {
    if (!hasX) return cands.slice(0, o.k).map((index) => ({ index, score: 1, reason: 'diverse' as const }));
    const seeds = representativeSeeds(o.X, o.dim, subsample(cands, MAX_POOL, o.seed ?? 1), o.k, o.seed ?? 1);
    return seeds.map((index, i) => ({ index, score: 1 - i / Math.max(1, seeds.length), reason: 'diverse' as const }));
  }
  const C = o.nClasses;
  const margin = (r: number) => {
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      const p = o.probs![r * C + c];
      if (p > a) {
        b = a;
        a = p;
      } else if (p > b) b = p;
    }
    return a - b;
  };
  const scored = cands.map((r) => ({ r, m: margin(r) })).sort((x, y) => x.m - y.m || x.r - y.r);
  const top = scored.slice(0, Math.max(o.k, Math.min(scored.length, o.k * 5)));
  const uncertainty = new Map(top.map((s) => [s.r, 1 - s.m]));
  const picks = hasX ? kCenter(o.X, o.dim, top.map((s) => s.r), o.k) : top.slice(0, o.k).map((s) => s.r);
  return picks
    .map((index) => ({ index, score: uncertainty.get(index) ?? 0, reason: 'uncertain' as const }))
    .sort((a, b) => b.score - a.score);
}

/**
 * Human labels the model — trained without them (out-of-fold probabilities) — gives to another class with at least
 * `threshold` confidence: likely labelling mistakes, most confident first.
 */
export function findDisagreements(o: {
  labelled: { item: string; label: string; probs: ArrayLike<number> }[];
  classes: string[];
  threshold: number;
}): Disagreement[] {
  const out: Disagreement[] = [];
  for (const l of o.labelled) {
    let best = 0;
    for (let c = 1; c < o.classes.length; c++) if (l.probs[c] > l.probs[best]) best = c;
    const predicted = o.classes[best];
    if (predicted !== l.label && l.probs[best] >= o.threshold) out.push({ item: l.item, label: l.label, predicted, confidence: l.probs[best] });
  }
  return out.sort((a, b) => b.confidence - a.confidence || a.item.localeCompare(b.item));
}
