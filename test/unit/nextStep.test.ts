/** The one next step the CLI and the side panel both show (src/core/project/nextStep.ts), state by state. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nextStep } from '../../src/core/project/nextStep';
import type { ProjectStatus } from '../../src/core/project';

const base: Parameters<typeof nextStep>[0] = {
  classes: ['cat', 'dog'],
  counts: {},
  items: 10,
  pretrained: [{ task: 'simclr', epochs: 1 }],
  model: undefined,
  proposals: 0,
  unlabelled: 10,
  labelled: 0,
  history: [],
};
const model = { version: 'm1', time: 't' };
const round = (o: Partial<ProjectStatus['history'][number]>) => ({ round: 1, time: 't', model: 'm1', labelled: 6, ...o });

test('next step: classes, scan, pretrain, seeds, train, review, propose, retrain, uncertain, export', () => {
  const cases: [Partial<typeof base>, string, RegExp][] = [
    [{ classes: ['cat'] }, 'set-classes', /at least two/],
    [{ items: 0 }, 'scan', /Scan/],
    [{ pretrained: [] }, 'pretrain', /Pretrain/],
    [{ counts: { cat: 3, dog: 1 } }, 'label-seeds', /dog needs more/],
    [{ counts: { cat: 1, dog: 1 } }, 'label-seeds', /cat, dog need more/],
    [{ counts: { cat: 3, dog: 3 } }, 'train', /Train the model/],
    [{ counts: { cat: 1 }, model, proposals: 1 }, 'review', /Review 1 proposal\./],
    [{ model, proposals: 2 }, 'review', /Review 2 proposals\./],
    [{ model, unlabelled: 0, labelled: 10 }, 'export', /export/],
    [{ model, history: [round({})] }, 'propose', /Propose/],
    [{ model, labelled: 8, history: [round({ proposals: 3 })] }, 'retrain', /Train again/],
    [{ model, labelled: 6, history: [round({ proposals: 3 })] }, 'label-uncertain', /least sure/],
  ];
  for (const [over, kind, text] of cases) {
    const n = nextStep({ ...base, ...over });
    assert.equal(n.kind, kind, JSON.stringify(over));
    assert.match(n.text, text);
  }
});
