/** Where the project stands — counts, model, history — and the one next action the CLI and the side panel both show. */
import type { ProjectStatus } from './types';
import type { ProjectContext } from './context';
import { pretrained } from './embeddings';
import { pendingProposals } from './review';

/** What the person should do next, from the facts status reports. Used by the CLI and the side panel alike. */
export function nextAction(s: {
  classes: readonly string[];
  counts: Record<string, number>;
  items: number;
  pretrained: boolean;
  trained: boolean;
  proposals: number;
  labelled: number;
}): string {
  const minPerClass = Math.min(...s.classes.map((c) => s.counts[c] ?? 0));
  if (s.classes.length < 2) return 'set the classes (at least two)';
  if (!s.items) return 'scan the workspace';
  if (!s.pretrained) return 'pretrain the encoder';
  if (!Number.isFinite(minPerClass) || minPerClass < 3) {
    return `label a few seed items of each class (${s.classes.filter((c) => (s.counts[c] ?? 0) < 3).join(', ')} need more)`;
  }
  if (!s.trained) return 'train the model';
  if (s.proposals > 0) return `review ${s.proposals} proposal(s)`;
  if (s.labelled < s.items) return 'train again and propose';
  return 'all items are labelled: export';
}

export async function status(p: ProjectContext, warnings: readonly string[]): Promise<ProjectStatus> {
  await p.store.refresh();
  const counts = p.store.counts();
  let labelled = 0;
  for (const id of p.store.current().keys()) if (p.items.has(id)) labelled++;
  const cf = await p.artifacts.classifier();
  const history = await p.artifacts.history();
  const pre = await pretrained(p);
  const classes = p.store.classes();
  const pending = pendingProposals(p).length;
  const items = p.items.list.length;
  return {
    root: p.root,
    classes,
    counts,
    modality: p.items.modality,
    items,
    labelled,
    unlabelled: items - labelled,
    skipped: p.items.skipped.length,
    pretrained: pre,
    model: cf ? { version: cf.version, estimatedAccuracy: cf.estimatedAccuracy, time: cf.time } : undefined,
    proposals: pending,
    backend: p.workers.backend ?? cf?.backend,
    history,
    nextAction: nextAction({ classes, counts, items, pretrained: pre.length > 0, trained: !!cf, proposals: pending, labelled }),
    warnings: [...warnings, ...p.store.warnings],
  };
}
