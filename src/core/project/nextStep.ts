/**
 * The one next step of the loop, from the facts status reports. The CLI prints its sentence; the side panel shows the
 * same sentence with the button for its kind (src/extension/viewState.ts). Imports only types, so the extension's
 * activation bundle can use it without loading the engine.
 */
import type { NextStep, ProjectStatus } from './types';

/** Labels per class before training is worth it (the side panel's seed step and the CLI's). */
export const SEEDS_PER_CLASS = 3;

/** What the person should do next, from the facts status reports. The CLI and the side panel both show this. */
export function nextStep(
  s: Pick<ProjectStatus, 'classes' | 'counts' | 'items' | 'pretrained' | 'model' | 'proposals' | 'unlabelled' | 'labelled' | 'history'>,
): NextStep {
  if (s.classes.length < 2) return { kind: 'set-classes', text: 'Set the classes to label (at least two).' };
  if (s.items === 0) return { kind: 'scan', text: 'Scan the workspace for items to label.' };
  if (s.pretrained.length === 0)
    return { kind: 'pretrain', text: 'Pretrain the encoder on all items (self-supervised, no labels needed).' };
  const short = s.classes.filter((c) => (s.counts[c] ?? 0) < SEEDS_PER_CLASS);
  if (short.length > 0 && !s.model) {
    return {
      kind: 'label-seeds',
      text: `Label a few seed items of each class (${short.join(', ')} need${short.length === 1 ? 's' : ''} more).`,
    };
  }
  if (!s.model) return { kind: 'train', text: 'Train the model on your labels.' };
  if (s.proposals > 0) return { kind: 'review', text: `Review ${s.proposals} proposal${s.proposals === 1 ? '' : 's'}.` };
  if (s.unlabelled === 0) return { kind: 'export', text: 'Every item is labelled: export the dataset.' };
  const last = s.history[s.history.length - 1];
  if (last && last.proposals === undefined) return { kind: 'propose', text: 'Propose labels for the unlabelled items.' };
  if (last && s.labelled > last.labelled) return { kind: 'retrain', text: 'Train again with your new labels, then propose.' };
  return { kind: 'label-uncertain', text: 'Label the items the model is least sure about.' };
}
