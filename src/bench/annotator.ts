/**
 * The simulated annotator: a "human" who knows the truth and drives the Project exactly as a user would, through
 * label / accept / correct. It counts human actions the way the benchmark reports them:
 * - labelling a seed item or a suggested item = 1 action;
 * - reviewing a proposal = 1 action, whether the proposal was right (accept) or wrong (correct with the true class);
 * - accepting proposals without looking (`acceptUnreviewed`, the --no-review pseudo-labelling mode) = 0 actions.
 * It also keeps its own record of every label it caused, so the bench can score labels and cross-check the journal.
 * Items it has no truth for are never touched (they are counted in `skippedNoTruth`).
 */
import type { Proposal, Suggestion } from '../core/types';
import { sample } from './rng';

/** The part of the Project the annotator drives (Project satisfies it). */
export interface AnnotatorTarget {
  label(item: string, label: string): Promise<unknown>;
  accept(items: string[]): Promise<unknown>;
  correct(item: string, label: string): Promise<unknown>;
}

export type LabelKind = 'seed' | 'accepted' | 'corrected' | 'uncertain' | 'auto';

export interface ActionCounts {
  /** Human actions so far (seed + accepted + corrected + uncertain). */
  human: number;
  seed: number;
  accepted: number;
  corrected: number;
  uncertain: number;
  /** Proposals accepted without a human (not human actions). */
  auto: number;
  /** Items offered (proposed or suggested) that have no truth, left alone. */
  skippedNoTruth: number;
}

export interface ReviewResult {
  reviewed: number;
  accepted: number;
  corrected: number;
}

export class SimulatedAnnotator {
  readonly counts: ActionCounts = { human: 0, seed: 0, accepted: 0, corrected: 0, uncertain: 0, auto: 0, skippedNoTruth: 0 };
  /** Every label the annotator caused: item → {label, how}. */
  readonly labels = new Map<string, { label: string; kind: LabelKind }>();

  constructor(
    private readonly truth: ReadonlyMap<string, string>,
    private readonly target: AnnotatorTarget,
    private readonly rand: () => number,
    /** Stop taking human actions once this many were taken (Infinity = no budget). */
    private readonly budget = Infinity,
  ) {}

  /** Human actions the budget still allows. */
  get remaining(): number {
    return Math.max(0, this.budget - this.counts.human);
  }

  /**
   * Labels `perClass` random items of each class among `items` (the scanned pool). A class with fewer items gets
   * all of them. Returns the labelled items.
   */
  async seed(items: readonly string[], perClass: number): Promise<string[]> {
    const byClass = new Map<string, string[]>();
    for (const id of items) {
      const t = this.truth.get(id);
      if (t === undefined || this.labels.has(id)) continue;
      let list = byClass.get(t);
      if (!list) byClass.set(t, (list = []));
      list.push(id);
    }
    const chosen: string[] = [];
    for (const cls of [...byClass.keys()].sort()) {
      for (const id of sample(byClass.get(cls) ?? [], perClass, this.rand)) {
        if (this.remaining <= 0) return chosen;
        await this.target.label(id, cls);
        this.record(id, cls, 'seed');
        chosen.push(id);
      }
    }
    return chosen;
  }

  /**
   * Reviews up to `n` proposals, most confident first: accepts the right ones (in one durable batch) and corrects
   * the wrong ones with the true class. Each review is one human action.
   */
  async review(proposals: readonly Proposal[], n: number): Promise<ReviewResult> {
    const ordered = [...proposals].sort((a, b) => b.confidence - a.confidence);
    const toAccept: Proposal[] = [];
    const toCorrect: { item: string; label: string }[] = [];
    for (const p of ordered) {
      if (toAccept.length + toCorrect.length >= Math.min(n, this.remaining)) break;
      if (this.labels.has(p.item)) continue;
      const t = this.truth.get(p.item);
      if (t === undefined) {
        this.counts.skippedNoTruth++;
        continue;
      }
      if (t === p.label) toAccept.push(p);
      else toCorrect.push({ item: p.item, label: t });
    }
    if (toAccept.length) {
      await this.target.accept(toAccept.map((p) => p.item));
      for (const p of toAccept) this.record(p.item, p.label, 'accepted');
    }
    for (const c of toCorrect) {
      await this.target.correct(c.item, c.label);
      this.record(c.item, c.label, 'corrected');
    }
    return { reviewed: toAccept.length + toCorrect.length, accepted: toAccept.length, corrected: toCorrect.length };
  }

  /** Labels up to `m` of the suggested items (in the order given) with their true class. Returns how many. */
  async labelSuggested(suggestions: readonly Suggestion[], m: number): Promise<number> {
    let done = 0;
    for (const s of suggestions) {
      if (done >= m || this.remaining <= 0) break;
      if (this.labels.has(s.item)) continue;
      const t = this.truth.get(s.item);
      if (t === undefined) {
        this.counts.skippedNoTruth++;
        continue;
      }
      await this.target.label(s.item, t);
      this.record(s.item, t, 'uncertain');
      done++;
    }
    return done;
  }

  /** Accepts every given proposal without looking (pseudo-labelling): 0 human actions. Returns how many. */
  async acceptUnreviewed(proposals: readonly Proposal[]): Promise<number> {
    const items = proposals.filter((p) => !this.labels.has(p.item));
    if (!items.length) return 0;
    await this.target.accept(items.map((p) => p.item));
    for (const p of items) this.record(p.item, p.label, 'auto');
    return items.length;
  }

  private record(item: string, label: string, kind: LabelKind): void {
    this.labels.set(item, { label, kind });
    this.counts[kind]++;
    if (kind !== 'auto') this.counts.human++;
  }
}
