/**
 * The human side of the loop: proposals (calibrated, most confident first), what to label next (active learning),
 * human labels the model doubts, and the review actions — each durable (fsync'd in the journal) when it returns.
 */
import type { CurrentLabel, Disagreement, Item, LabelEvent, Modality, Proposal, Suggestion } from '../types';
import type { ProposalSet } from './types';
import { proposeLabels, suggestForLabelling, findDisagreements, type RawProposal } from '../proposals';
import { bestBelow } from '../proposals/below';
import { embedPool, knnGraph } from './embeddings';
import { ProjectError } from './errors';
import { itemIdProblem, type RecordInput } from '../store';
import { ensureScanned } from '../store/ensureScanned';
import { shortId } from '../store/itemId';
import { averageProbs, findLabelIssues, knnProbs, namedIssues, type IssueFilter } from '../train/confidentLearning';
import type { OwnHead } from '../modalities/types';
import { modalityContext, poolPlugin, type ProjectContext } from './context';
import { chooseHead } from './training';
import { accuracyOnRows, oofRows } from '../train/select';

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
  // Remembered, so that a train can tell their labels from a sample of the pool (Artifacts.askedItems).
  await p.artifacts.addAsked(picks.filter((s) => s.reason === 'uncertain').map((s) => items[s.index].id));
  return picks.map((s) => {
    const pr = predictionFor(p, items[s.index].id);
    return { item: items[s.index].id, score: s.score, reason: s.reason, predicted: pr?.label, confidence: pr?.confidence };
  });
}

/**
 * Which out-of-fold probabilities confident learning judges the human labels by: 'head' (the embedding head's or the
 * modality's own head's k-fold fit), 'scratch' (images: the scratch ensemble's fold networks, each label scored by
 * the network that never saw it), 'best' (of those two, the one with more of the given labels right out of fold),
 * 'mean' (their row-wise mean). Without a scratch ensemble in the model (text, audio, few labels) every source is
 * the head's.
 */
export type OofSource = 'head' | 'scratch' | 'best' | 'mean';
export const OOF_SOURCES: readonly OofSource[] = ['head', 'scratch', 'best', 'mean'];

/** How `disagreements` finds label errors (confident learning; see src/core/train/confidentLearning.ts). */
export interface LabelErrorOptions {
  /** Which labelled rows count as issues (cleanlab's `filter_by`). */
  filter?: IssueFilter;
  /**
   * 2: cleanlab's iterative pruning — the head is fitted again without the labels the first pass found; the labels
   * it kept are judged by that fit's out-of-fold probabilities, the ones it left out by its predictions (it never saw
   * them), and confident learning runs again on those.
   */
  passes?: 1 | 2;
  /** Embedding heads: average the head's out-of-fold probabilities with a leave-one-out kNN vote on the embeddings. */
  knn?: boolean;
  /** Whose out-of-fold probabilities (OofSource). */
  source?: OofSource;
}

/** What `disagreements` does by default (BENCHMARKS.md "Session 10 — label errors"). */
export const LABEL_ERROR_DEFAULTS: Readonly<Required<LabelErrorOptions>> = {
  filter: 'ranked-midpoint',
  passes: 1,
  knn: false,
  source: 'best',
};

/** Out-of-fold probabilities by pool row (index: pool rows; probs row-major, C per row). */
type Oof = { index: number[]; probs: number[] };

/** The scratch ensemble's out-of-fold probabilities in a saved model (chosen or kept), if it has them. */
export function scratchOof(cf: { finetuned?: unknown; state: unknown } | undefined): Oof | undefined {
  const pick = (r: unknown) => {
    const rec = r as { kind?: string; folds?: { rows: number[] }; oofProbs?: number[] } | undefined;
    return rec?.kind === 'scratch' && rec.folds && rec.oofProbs ? { index: rec.folds.rows, probs: rec.oofProbs } : undefined;
  };
  return pick(cf?.finetuned) ?? pick((cf?.state as { keptCandidate?: unknown } | undefined)?.keptCandidate);
}

/** Share of the m rows of P (m × C) whose most probable class is the given one. */
const oofAccuracy = (P: Float32Array, given: Int32Array, C: number): number =>
  accuracyOnRows(P, Int32Array.from(given.keys()), given, C) ?? 0;

/**
 * The out-of-fold probabilities `source` names, from the head's (H) and the scratch ensemble's (S, same rows; absent:
 * the head's are used). 'best': the one with more given labels right (ties: the head).
 */
export function oofBySource(
  source: OofSource,
  H: Float32Array,
  S: Float32Array | undefined,
  given: Int32Array,
  C: number,
): { probs: Float32Array; from: 'head' | 'scratch' | 'mean' } {
  if (!S || source === 'head') return { probs: H, from: 'head' };
  if (S.length !== H.length) throw new Error(`out-of-fold matrices differ in size (${H.length} vs ${S.length})`);
  if (source === 'mean') return { probs: averageProbs(H, S), from: 'mean' };
  if (source === 'scratch' || oofAccuracy(S, given, C) > oofAccuracy(H, given, C)) return { probs: S, from: 'scratch' };
  return { probs: H, from: 'head' };
}

/** m × C rows of `oof` for pool rows `rows` (every row must be in it). */
const oofMatrix = (oof: Oof, rows: readonly { row: number }[], C: number): Float32Array =>
  oofRows(
    oof,
    Int32Array.from(rows, (h) => h.row),
    C,
  )!;

/**
 * Human labels that are likely wrong. Default: confident learning (src/core/train/confidentLearning.ts) on the
 * out-of-fold probabilities the current model's k-fold fits kept for every held-out human label (see
 * LabelErrorOptions for the variants). With `threshold`: the older rule, a prediction of another class with
 * confidence ≥ threshold.
 */
export async function disagreements(p: ProjectContext, threshold?: number, options: LabelErrorOptions = {}): Promise<Disagreement[]> {
  const pred = p.artifacts.requirePredictions();
  await p.store.refresh();
  const cf = await p.artifacts.classifier();
  const oof = (cf?.state as { oof?: Oof } | undefined)?.oof;
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
    const o = { ...LABEL_ERROR_DEFAULTS, ...options };
    if (!OOF_SOURCES.includes(o.source)) throw new Error(`unknown source "${o.source}" (${OOF_SOURCES.join(', ')})`);
    const scratch = o.source === 'head' ? undefined : scratchOof(cf);
    const inScratch = new Set(scratch?.index ?? []);
    const rows = humans.filter((h) => lookup.has(h.row) && classes.includes(h.label) && (!scratch || inScratch.has(h.row)));
    const given = Int32Array.from(rows, (h) => classes.indexOf(h.label));
    const P = oofBySource(o.source, oofMatrix(oof, rows, C), scratch && oofMatrix(scratch, rows, C), given, C).probs;
    if (o.passes === 1 && !o.knn)
      return namedIssues(findLabelIssues({ probs: P, given, m: rows.length, nClasses: C, filter: o.filter }), rows, classes);
    return labelErrorsBeyond(p, cf!.state, P, given, rows, classes, o);
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

/** The kNN ensemble and / or the second pass (LabelErrorOptions) over the first pass's out-of-fold probabilities P. */
async function labelErrorsBeyond(
  p: ProjectContext,
  headState: unknown,
  P: Float32Array,
  given: Int32Array,
  rows: { item: string; label: string; row: number }[],
  classes: readonly string[],
  o: Required<LabelErrorOptions>,
): Promise<Disagreement[]> {
  const C = classes.length;
  const m = rows.length;
  // Pool rows of the labelled items now (the embeddings' rows); the second pass needs the pool the model was fitted on.
  const poolRows = rows.map((h) => p.items.rowOf(h.item));
  const samePool = poolRows.every((r, k) => r === rows[k].row);
  const { plugin } = poolPlugin(p);
  const own = plugin.ownHead?.enabled(p.config) && plugin.ownHead.isState(headState) ? plugin.ownHead : undefined;
  const emb = own ? undefined : await embedPool(p, {});
  const knnOf = (voters?: Set<number>) =>
    emb && o.knn ? knnProbs(new Float32Array(emb.X), emb.dim, Int32Array.from(poolRows as number[]), given, C, 10, voters) : undefined;
  const judge = (probs: Float32Array, voters?: Set<number>) => {
    const k = knnOf(voters);
    return findLabelIssues({ probs: k ? averageProbs(probs, k) : probs, given, m, nClasses: C, filter: o.filter });
  };
  let issues = judge(P);
  if (o.passes === 2 && issues.length && samePool) {
    const flagged = new Set(issues.map((x) => x.index));
    const P2 = await refitWithout(p, own, emb, rows, given, flagged, C);
    if (P2) {
      // Rows the refit could not judge keep their first-pass probabilities.
      for (let k = 0; k < m; k++) if (Number.isNaN(P2[k * C])) P2.set(P.subarray(k * C, (k + 1) * C), k * C);
      const voters = new Set<number>();
      for (let k = 0; k < m; k++) if (!flagged.has(k)) voters.add(k);
      issues = judge(P2, voters);
    }
  }
  return namedIssues(issues, rows, classes);
}

/**
 * The head fitted again on the human labels without `flagged` (rows of `rows`): m × C probabilities, the refit's
 * out-of-fold ones for the kept rows and its predictions for the flagged ones (NaN where it gave none). Undefined
 * when the pool's data cannot be read whole.
 */
async function refitWithout(
  p: ProjectContext,
  own: OwnHead<Modality, unknown> | undefined,
  emb: { X: SharedArrayBuffer; dim: number; version: string } | undefined,
  rows: { item: string; label: string; row: number }[],
  given: Int32Array,
  flagged: ReadonlySet<number>,
  C: number,
): Promise<Float32Array | undefined> {
  const keep = rows.map((_, k) => k).filter((k) => !flagged.has(k));
  const train = {
    index: Int32Array.from(keep, (k) => rows[k].row),
    y: Int32Array.from(keep, (k) => given[k]),
    weight: new Float32Array(keep.length).fill(1),
    holdout: new Uint8Array(keep.length).fill(1),
  };
  const n = p.items.list.length;
  let probs: Float32Array;
  let state: { oof?: { index: number[]; probs: number[] } };
  if (own) {
    const ctx = modalityContext(p);
    const { plugin } = poolPlugin(p);
    const loaded = await plugin.load(ctx, p.root, p.items.list, { cache: true });
    if (loaded.failed.length) return undefined;
    const s = await own.fit(ctx, loaded.data, train, C, {});
    state = s as typeof state;
    probs = await own.predict(ctx, s, loaded.data, {});
  } else {
    const { X, dim, version } = emb!;
    const head = chooseHead(p.config.classifier, n, C);
    const graph = head === 'spread' ? await knnGraph(p, X, n, dim, version, {}) : undefined;
    const fitted = await p.workers.run('fit', { X, n, dim, train, nClasses: C, seed: p.config.seed, head, graph }, {});
    state = fitted as typeof state;
    probs = (await p.workers.run('predict', { state: fitted, X, n, dim }, {})).probs;
  }
  const at = new Map((state.oof?.index ?? []).map((r, k) => [r, k]));
  const out = new Float32Array(rows.length * C).fill(NaN);
  rows.forEach((h, k) => {
    if (flagged.has(k)) out.set(probs.subarray(h.row * C, (h.row + 1) * C), k * C);
    else if (at.has(h.row)) out.set(state.oof!.probs.slice(at.get(h.row)! * C, (at.get(h.row)! + 1) * C), k * C);
  });
  return out;
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

/**
 * Accepts the pending proposals of `items`, and gives the human labels `labels` (e.g. candidates under the threshold
 * picked with them in the grid), all in one durable write — one journal batch, so one undo.
 */
export async function accept(p: ProjectContext, items: string[], labels: { item: string; label: string }[] = []): Promise<LabelEvent[]> {
  const pending = new Map(pendingProposals(p).map((q) => [q.item, q]));
  const events: RecordInput[] = items.map((item) => {
    const q = pending.get(item);
    if (!q) throw new ProjectError('no-proposal', `no pending proposal for "${item}"`);
    return { item, label: q.label, source: 'accepted' as const, model: q.model, confidence: q.confidence, hash: p.items.get(item)?.hash };
  });
  for (const l of labels) {
    requireClass(p, l.label);
    const it = await requireKnownItem(p, l.item);
    events.push({ item: l.item, label: l.label, source: 'human', hash: it.hash });
  }
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
