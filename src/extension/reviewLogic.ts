/**
 * Pure logic of the inline review (CodeLens, status bar, "Change…" picker): what the picker lists and which row it
 * highlights, and which proposal to open after an accept or reject. No `vscode` import: tested under Node
 * (src/extension/test/reviewLogic.test.ts).
 */
import type { Item, Proposal } from '../core/types';
import type { ItemStatus } from '../protocol/webview';
import { formatConfidence } from '../shared/format';

export interface ClassPick {
  label: string;
  description: string;
}

/**
 * The rows of the "Change…" picker, one per class in class order, and the index of the row to highlight: the
 * model's proposal when there is one (so Enter by reflex accepts what the lens showed), else the current label, else
 * the first class.
 */
export function changePicks(
  classes: readonly string[],
  d: { proposal?: Pick<Proposal, 'label' | 'confidence' | 'alternatives'>; status: { status: ItemStatus; label?: string } },
): { picks: ClassPick[]; active: number } {
  const conf = new Map<string, number>();
  if (d.proposal) {
    conf.set(d.proposal.label, d.proposal.confidence);
    for (const a of d.proposal.alternatives ?? []) conf.set(a.label, a.confidence);
  }
  const current = d.status.status !== 'proposed' ? d.status.label : undefined;
  const picks = classes.map((c, i) => ({
    label: c,
    description: [
      i < 9 ? `${i + 1}` : '',
      d.proposal?.label === c
        ? `proposed ${formatConfidence(d.proposal.confidence)}`
        : conf.has(c)
          ? `model: ${formatConfidence(conf.get(c) as number)}`
          : '',
      current === c ? `current (${d.status.status})` : '',
    ]
      .filter(Boolean)
      .join(' · '),
  }));
  const want = d.proposal?.label ?? current;
  const active = want !== undefined ? Math.max(0, classes.indexOf(want)) : 0;
  return { picks, active };
}

type Located = Pick<Item, 'path' | 'line'>;

const order = (a: Located, b: Located) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0));

/**
 * The open proposal to show after `done` was accepted or rejected: the next one after it in file order (path, then
 * line) — the next row of the same JSONL/CSV file first — wrapping round to the first; undefined when none is left.
 */
export function nextProposalAfter(done: string, open: Iterable<string>, item: (id: string) => Located | undefined): string | undefined {
  const here = item(done);
  const rest = [...open]
    .filter((id) => id !== done)
    .map((id) => ({ id, at: item(id) }))
    .filter((x): x is { id: string; at: Located } => x.at !== undefined);
  if (rest.length === 0) return undefined;
  rest.sort((a, b) => order(a.at, b.at) || (a.id < b.id ? -1 : 1));
  if (!here) return rest[0].id;
  return (rest.find((x) => order(x.at, here) > 0) ?? rest[0]).id;
}
