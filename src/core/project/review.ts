/**
 * The human side of the loop: proposals (calibrated, most confident first), what to label next (active learning),
 * human labels the model doubts, and the review actions — each durable (fsync'd in the journal) when it returns.
 */
import type { CurrentLabel, Disagreement, Item, LabelEvent, Proposal, Suggestion } from '../types';
import type { ProposalSet } from './types';
import { proposeLabels, suggestForLabelling, findDisagreements, type RawProposal } from '../proposals';
import { bestBelow } from '../proposals/below';
import { embedPool } from './embeddings';
import type { ProjectContext } from './context';
import { ProjectError } from './errors';
import { itemIdProblem } from '../store';
import { ensureScanned } from '../store/ensureScanned';
import { shortId } from '../store/itemId';
import { labelIssues } from '../train/confidentLearning';

/** Proposes labels for unlabelled items with calibrated confidence ≥ threshold, most confident first. */
export async function propose(p: ProjectContext, opts: { threshold?: number; limit?: number }): Promise<ProposalSet> {
  const pred = p.artifacts.requirePredictions();
  await p.store.refresh();
  const { classes, ids, model } = pred.meta;
  const threshold = opts.threshold ?? p.config.threshold;
  const rows: number[] = [];
  for (let r = 0; r < ids.length; r++) if (p.items.has(ids[r]) && !p.store.get(ids[r])) rows.push(r);
  const res = proposeLabels({
    probs: pred.probs,
    n: ids.length,
    nClasses: classes.length,
    classes,
    candidates: Int32Array.from(rows),
    threshold,
    rejected: (r: number) => p.store.rejectedLabels(ids[r]),
    limit: opts.limit,
  });
  const toProposal = (q: RawProposal): Proposal => ({
    item: ids[q.index],
    label: q.label,
    confidence: q.confidence,
    alternatives: q.alternatives,
    model,
  });
  const proposals = res.proposals.map(toProposal);
  const candidates = Int32Array.from(rows);
  const rejected = (r: number) => p.store.rejectedLabels(ids[r]);
  const below = bestBelow({ probs: pred.probs, n: ids.length, nClasses: classes.length, classes, candidates, threshold, rejected }).map(
    toProposal,
  );
  const set: ProposalSet = { model, threshold, proposals, expectedPrecision: res.expectedPrecision, time: new Date().toISOString(), below };
  await p.artifacts.saveProposals(set);
  const history = await p.artifacts.history();
  const last = history[history.length - 1];
  if (last && last.model === set.model) {
    last.proposals = proposals.length;
    last.expectedPrecision = set.expectedPrecision;
    await p.artifacts.saveHistory(history);
  }
  return set;
}

/** The current proposals still waiting for review (labelled items and rejected labels are filtered out). */
export function pendingProposals(p: ProjectContext): Proposal[] {
  const set = p.artifacts.proposalSet;
  if (!set) return [];
  return set.proposals.filter((q) => !p.store.get(q.item) && !p.store.rejectedLabels(q.item).has(q.label));
}

/** The best candidates under the threshold still unlabelled (see ProposalSet.below). */
export function candidatesBelow(p: ProjectContext): Proposal[] {
  return (p.artifacts.proposalSet?.below ?? []).filter((q) => !p.store.get(q.item) && !p.store.rejectedLabels(q.item).has(q.label));
}

/** The model's prediction for any item (labelled or not), when a model exists. */
export function predictionFor(p: ProjectContext, item: string): { label: string; confidence: number } | undefined {
  const r = p.artifacts.predRow(item, p.items.rowOf(item));
  return r === undefined ? undefined : p.artifacts.predictionAt(r);
}

/** Items worth a human label: the most uncertain ones, or diverse seeds before a model exists. */
export async function suggest(p: ProjectContext, k: number): Promise<Suggestion[]> {
  p.items.require();
  await p.store.refresh();
  const items = p.items.list;
  const candidates: number[] = [];
  const labelled: number[] = [];
  for (let i = 0; i < items.length; i++) (p.store.get(items[i].id) ? labelled : candidates).push(i);
  if (!candidates.length) return [];
  const pred = p.artifacts.predictions;
  let X: Float32Array | undefined;
  let dim = 0;
  try {
    const e = await embedPool(p, {});
    X = new Float32Array(e.X);
    dim = e.dim;
  } catch {
    X = undefined;
  }
  let probs: Float32Array | undefined;
  if (pred && pred.meta.ids.length === items.length && pred.meta.ids.every((id, i) => id === items[i].id)) probs = pred.probs;
  if (!X && !probs) {
    // Nothing learned yet: spread the picks evenly over the items (stable).
    const step = Math.max(1, Math.floor(candidates.length / k));
    return candidates
      .filter((_, j) => j % step === 0)
      .slice(0, k)
      .map((i) => ({ item: items[i].id, score: 1, reason: 'diverse' as const }));
  }
  const picks = suggestForLabelling({
    probs,
    nClasses: pred?.meta.classes.length ?? p.store.classes().length,
    X: X ?? new Float32Array(0),
    n: items.length,
    dim,
    candidates: Int32Array.from(candidates),
    k,
    seed: p.config.seed,
    labelled: Int32Array.from(labelled),
  });
  return picks.map((s) => {
    const pr = predictionFor(p, items[s.index].id);
    return { item: items[s.index].id, score: s.score, reason: s.reason, predicted: pr?.label, confidence: pr?.confidence };
  });
}

/**
 * Human labels that are likely wrong. Default: confident learning (src/core/train/confidentLearning.ts) on the
 * out-of-fold probabilities the current head's k-fold fit kept for every held-out human label. With `threshold`:
 * the older rule, a prediction of another class with confidence ≥ threshold.
 */
export async function disagreements(p: ProjectContext, threshold?: number): Promise<Disagreement[]> {
  const pred = p.artifacts.requirePredictions();
  await p.store.refresh();
  const cf = await p.artifacts.classifier();
  const oof = (cf?.state as { oof?: { index: number[]; probs: number[] } } | undefined)?.oof;
  const classes = pred.meta.classes;
  const C = classes.length;
  const lookup = new Map<number, number>();
  if (oof) oof.index.forEach((row, k) => lookup.set(row, k));
  const humans: { item: string; label: string; row: number }[] = [];
  for (const [item, cur] of p.store.current()) {
    if (cur.source === 'accepted') continue;
    const r = p.artifacts.predRow(item, p.items.rowOf(item));
    if (r !== undefined) humans.push({ item, label: cur.label, row: r });
  }
  if (threshold === undefined) {
    if (!oof)
      throw new ProjectError(
        'too-few-labels',
        'no out-of-fold predictions in the model (too few human labels to cross-validate): label more, then train',
      );
    const rows = humans.filter((h) => lookup.has(h.row) && classes.includes(h.label));
    return labelIssues(
      oof.probs,
      rows.map((h) => ({ ...h, at: lookup.get(h.row)! })),
      classes,
    );
  }
  return findDisagreements({
    labelled: humans.map((h) => {
      const k = lookup.get(h.row);
      return {
        item: h.item,
        label: h.label,
        probs: k !== undefined ? Float32Array.from(oof!.probs.slice(k * C, (k + 1) * C)) : pred.probs.subarray(h.row * C, (h.row + 1) * C),
      };
    }),
    classes,
    threshold,
  });
}

// ───────────── review actions ─────────────

/** A valid id of an item of the workspace (scanning on demand when the workspace was never scanned). */
async function requireKnownItem(p: ProjectContext, item: string): Promise<Item> {
  const problem = itemIdProblem(item);
  if (problem) throw new ProjectError('unknown-item', `invalid item id ${shortId(item)}: it ${problem}`);
  await ensureScanned({ root: p.root, scan: () => p.items.scan(p.root, p.config, {}) });
  const it = p.items.get(item);
  if (it) return it;
  throw new ProjectError(
    'unknown-item',
    `unknown item ${shortId(item)}: not among the ${p.items.list.length} item(s) of the workspace (a new file? run scan)`,
  );
}

function requireClass(p: ProjectContext, label: string): void {
  if (!p.store.classes().includes(label)) {
    throw new ProjectError('classes', `unknown class "${label}" (classes: ${p.store.classes().join(', ') || 'none — run init'})`);
  }
}

export async function label(p: ProjectContext, item: string, cls: string): Promise<LabelEvent> {
  requireClass(p, cls);
  const it = await requireKnownItem(p, item);
  return p.store.record({ item, label: cls, source: 'human', hash: it.hash });
}

/** Accepts the pending proposals of `items` (all of them in one durable write). */
export async function accept(p: ProjectContext, items: string[]): Promise<LabelEvent[]> {
  const pending = new Map(pendingProposals(p).map((q) => [q.item, q]));
  const events = items.map((item) => {
    const q = pending.get(item);
    if (!q) throw new ProjectError('no-proposal', `no pending proposal for "${item}"`);
    return { item, label: q.label, source: 'accepted' as const, model: q.model, confidence: q.confidence, hash: p.items.get(item)?.hash };
  });
  return p.store.recordMany(events);
}

export async function reject(p: ProjectContext, item: string): Promise<LabelEvent> {
  const q = pendingProposals(p).find((x) => x.item === item);
  if (!q) throw new ProjectError('no-proposal', `no pending proposal for "${item}"`);
  return p.store.record({
    item,
    label: q.label,
    source: 'rejected',
    model: q.model,
    confidence: q.confidence,
    hash: p.items.get(item)?.hash,
  });
}

/** Labels an item whose proposal was wrong with the right class. */
export async function correct(p: ProjectContext, item: string, cls: string): Promise<LabelEvent> {
  requireClass(p, cls);
  const it = await requireKnownItem(p, item);
  const q = pendingProposals(p).find((x) => x.item === item);
  return p.store.record({ item, label: cls, source: 'corrected', model: q?.model, confidence: q?.confidence, hash: it.hash });
}

export function labelOf(p: ProjectContext, item: string): CurrentLabel | undefined {
  return p.store.get(item);
}
