/**
 * The best candidates BELOW the proposal threshold: what the model would propose if the threshold were lower, most
 * confident first. The review grid shows them under the proposals, marked as below the threshold, so that hard data
 * (where nothing clears the threshold) still shows what the model thinks instead of "0 proposals". They are never
 * pending proposals: CodeLens, `acceptAbove`, counts and the CLI see only the proposals at or above the threshold.
 */
import { propose, type ProposeOptions, type RawProposal } from './index';

/** At most this many candidates below the threshold are kept with a proposal set. */
export const BELOW_LIMIT = 200;

/** The `limit` most confident candidates whose confidence is under `o.threshold` (same rules as `propose`). */
export function bestBelow(o: ProposeOptions, limit = BELOW_LIMIT): RawProposal[] {
  if (!(o.threshold > 0) || limit <= 0) return [];
  const all = propose({ ...o, threshold: 0, limit: undefined }).proposals;
  const out: RawProposal[] = [];
  for (const p of all) {
    if (p.confidence >= o.threshold) continue;
    out.push(p);
    if (out.length >= limit) break;
  }
  return out;
}
