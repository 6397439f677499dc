/** Where the project stands: counts, model, history, warnings, and the next step (./nextStep.ts). */
import type { ProjectStatus } from './types';
import { nextStep } from './nextStep';
import type { ProjectContext } from './context';
import { pretrained } from './embeddings';
import { pendingProposals } from './review';

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
  const facts = {
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
    warnings: [...new Set([...warnings, ...p.store.warnings])],
  };
  const next = nextStep(facts);
  return { ...facts, next, nextAction: next.text };
}
