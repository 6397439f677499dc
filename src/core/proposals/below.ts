/**
 * The best candidates BELOW the proposal threshold: what the model would propose if the threshold were lower, most
 * confident first. The review grid shows them under the proposals, marked as below the threshold, so that hard data
 * (where nothing clears the threshold) still shows what the model thinks instead of "0 proposals". They are never
 * pending proposals: CodeLens, `acceptAbove`, counts and the CLI see only the proposals at or above the threshold.
 */
import { propose, type ProposeOptions, type RawProposal } from './index';

/** At most this many candidates below the threshold are kept with a proposal set. */
export const BELOW_LIMIT = 200;

/**
 * The `limit` most confident candidates whose confidence is under `o.threshold` (same rules as `propose`). One
 * O(n·C) pass finds each candidate's confidence without sorting classes or allocating; only the `limit` kept rows
 * go through `propose` (for their labels and alternatives).
 */
export function bestBelow(o: ProposeOptions, limit = BELOW_LIMIT): RawProposal[] {
  if (!(o.threshold > 0) || limit <= 0) return [];
  const C = o.nClasses;
  // The best `limit` so far, most confident first (ties: lower row first); a new row enters only if it beats the
  // last one, which after the first few thousand rows is rare, so this stays a single cheap pass.
  const rows: number[] = [];
  const conf: number[] = [];
  for (const i of o.candidates) {
    if (!(i >= 0 && i < o.n)) continue;
    const rej = o.rejected?.(i);
    let mass = 0;
    let best = -1;
    let bad = false;
    for (let c = 0; c < C; c++) {
      const p = o.probs[i * C + c];
      if (!Number.isFinite(p) || p < 0) bad = true;
      if (rej && rej.size && rej.has(o.classes[c])) continue;
      mass += p;
      if (p > best) best = p;
    }
    if (bad || !(mass > 0) || best < 0) continue;
    const k = best / mass;
    if (!(k < o.threshold)) continue;
    const full = rows.length >= limit;
    if (full && !(k > conf[conf.length - 1] || (k === conf[conf.length - 1] && i < rows[rows.length - 1]))) continue;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (conf[mid] > k || (conf[mid] === k && rows[mid] < i)) lo = mid + 1;
      else hi = mid;
    }
    rows.splice(lo, 0, i);
    conf.splice(lo, 0, k);
    if (rows.length > limit) {
      rows.pop();
      conf.pop();
    }
  }
  const keep = Int32Array.from(rows);
  return propose({ ...o, candidates: keep, threshold: 0, limit: undefined }).proposals.filter((p) => p.confidence < o.threshold);
}
