/**
 * The text modality's host face: text files and JSONL/CSV rows read back (checked against the scan's hash); pretext
 * tasks masked words and contrastive views; its own head, the lexical head on the documents' words, bigrams and
 * fields (./lexical/, setting `textModel`), fitted in a worker. The worker face is ./worker.ts.
 */
import type { Item } from '../../types';
import type { TextData } from '../../../protocol/jobs';
import type { FailedItem, ModalityContext, ModalityPlugin, OwnHead } from '../types';
import { loadTexts } from '../../dataset/load';
import { capEvidence, isTextHeadState, type TextHeadState } from './lexical/state';

async function loadTextData(ctx: ModalityContext, root: string, items: readonly Item[]): Promise<{ data: TextData; failed: FailedItem[] }> {
  const res = await loadTexts(root, items as Item[], { textField: ctx.config.textField });
  const failed: FailedItem[] = [];
  const texts = res.map((t, i) => {
    if (typeof t === 'string') return t;
    failed.push({ id: items[i].id, reason: t.message });
    return '';
  });
  return { data: { kind: 'text', texts }, failed };
}

const lexicalHead: OwnHead<'text', TextHeadState> = {
  name: 'lexical',
  enabled: (config) => config.textModel === 'lexical',
  isState: isTextHeadState,
  fit: (ctx, data, train, nClasses, opts) =>
    ctx.runner.run(
      'fitText',
      { texts: data.texts, train, nClasses, seed: ctx.config.seed },
      { signal: opts.signal, onProgress: opts.onProgress },
    ),
  predict: async (ctx, state, data, opts) =>
    (await ctx.runner.run('predictText', { state, texts: data.texts }, { signal: opts.signal })).probs,
  chosen: (s) => {
    if (s.chosen === undefined) return undefined;
    // The cap predictTextHead applies, with its evidence.
    const cap = capEvidence(s);
    return {
      name: s.chosen,
      heldOut: s.trainedOn.heldOut,
      candidates: (s.candidates ?? []).map((c) => ({
        name: c.name,
        accuracy: c.estimatedAccuracy,
        ...(c.selfTraining ? { selfTraining: c.selfTraining } : {}),
      })),
      // Each member names the candidate it is; a state saved without those names falls back on the ensemble's
      // name, its members' joined by '+' (lexical/state.ts EnsembleTextState).
      ...(s.kind === 'text-ensemble' ? { members: s.members.map((m, k) => m.chosen ?? s.chosen!.split('+')[k] ?? `member ${k + 1}`) } : {}),
      ...(cap ? { cap } : {}),
    };
  },
};

export const textPlugin: ModalityPlugin<'text'> = {
  name: 'text',
  files: { extensions: ['.txt'] },
  pretextTasks: ['masked', 'contrastive'],
  preview: 'text',
  load: loadTextData,
  ownHead: lexicalHead,
};
