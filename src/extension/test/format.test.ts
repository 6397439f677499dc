/** The one formatter module (src/shared/format.ts) used by the host, both webviews and the CLI. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  droppedAcceptedNote,
  formatCandidates,
  formatEnsembleKept,
  formatPriors,
  formatTrainedOn,
  formatConfidence,
  formatCount,
  formatDuration,
  formatEta,
  formatPercent,
  formatPrecision,
  noProposalsHint,
  noun,
  plural,
} from '../../shared/format';

test('plural: "1 proposal", "2 proposals", "0 proposals", irregular forms', () => {
  assert.equal(plural(1, 'proposal'), '1 proposal');
  assert.equal(plural(2, 'proposal'), '2 proposals');
  assert.equal(plural(0, 'proposal'), '0 proposals');
  assert.equal(plural(3, 'class', 'classes'), '3 classes');
  assert.equal(noun(1, 'item'), 'item');
  assert.equal(noun(7, 'item'), 'items');
});

test('formatConfidence rounds down and clamps; formatEta and formatPercent', () => {
  assert.equal(formatConfidence(0.999), '0.99');
  assert.equal(formatConfidence(1.5), '1.00');
  assert.equal(formatConfidence(-1), '0.00');
  assert.equal(formatConfidence(Number.NaN), '');
  assert.equal(formatEta(5), '5 s');
  assert.equal(formatEta(185), '3 min 05 s');
  assert.equal(formatEta(7800), '2 h 10 min');
  assert.equal(formatEta(undefined), '');
  assert.equal(formatEta(-1), '');
  assert.equal(formatPercent(0.973), '97.3%');
  assert.equal(formatPercent(null), 'n/a');
});

test('expected precision of 0 proposals is "n/a", not 0.0%', () => {
  assert.equal(formatPrecision(0, 0), 'n/a');
  assert.equal(formatPrecision(undefined, 0), 'n/a');
  assert.equal(formatPrecision(0.965, 12), '96.5%');
});

test('src/shared/format.ts imports nothing (no node, no vscode, no DOM): every side can bundle it', () => {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'shared', 'format.ts'), 'utf8');
  assert.doesNotMatch(src, /^\s*import\b/m);
  assert.doesNotMatch(src, /\brequire\(/);
});

test('no other copy of the formatters in the extension host or the webviews', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'test') walk(p);
      } else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'src', 'extension'));
  walk(path.join(root, 'webview'));
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(
      src,
      /function (formatConfidence|formatEta|formatPercent|plural)\b/,
      `${path.relative(root, f)} defines its own formatter`,
    );
    assert.doesNotMatch(src, /=== 1 \? '' : 's'/, `${path.relative(root, f)} pluralises by hand (use plural() from src/shared/format.ts)`);
    assert.doesNotMatch(src, /\* 100\)\.toFixed\(/, `${path.relative(root, f)} formats a percent by hand (use formatPercent)`);
  }
});

test('formatCount: a fractional done is rounded down, never printed with its float digits', async () => {
  assert.equal(formatCount(16.285714285714285, 30), '16/30');
  assert.equal(formatCount(30, 30), '30/30');
  assert.equal(formatCount(7.9), '7');
  assert.equal(formatCount(NaN, 10), '0/10');
  assert.equal(formatCount(-1), '0');
  // The CLI's progress lines use it (and the bench's, the side panel's, the notification's).
  const { ProgressBar } = await import('../../cli/progressBar');
  let out = '';
  const stream = { isTTY: false, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  new ProgressBar(stream).update({ stage: 'train', done: 16.285714285714285, total: 30 });
  assert.match(out, /^train {2}54% {2}16\/30\n$/);
});

test('formatDuration: tenths under 10 s, whole seconds under a minute, then m:ss', () => {
  assert.equal(formatDuration(0.84), '0.8 s');
  assert.equal(formatDuration(9.96), '10 s');
  assert.equal(formatDuration(12.4), '12 s');
  assert.equal(formatDuration(59.6), '1:00');
  assert.equal(formatDuration(65), '1:05');
  assert.equal(formatDuration(undefined), '');
  assert.equal(formatDuration(-1), '');
  assert.equal(formatDuration(Infinity), '');
});

test('formatPriors: the applied priors, largest first, with how they were estimated; nothing when not applied', () => {
  const priors = { estimate: [0.1, 0.6, 0.3], applied: true, method: 'bbse', classes: ['cat', 'dog', 'owl'] };
  assert.equal(
    formatPriors(priors),
    'pool class priors (from the held-out labels’ confusions) re-weight the predictions: dog 60%, owl 30%, cat 10%',
  );
  assert.equal(
    formatPriors({ ...priors, method: 'em' }, 2),
    'pool class priors (by EM on the predictions) re-weight the predictions: dog 60%, owl 30%, …',
  );
  assert.equal(
    formatPriors({ ...priors, method: 'em', sample: { labels: 100, accuracy: 0.97 } }, 1),
    'pool class priors (by EM on the predictions of a model right on 97% of the 100 held-out labels that sample the pool) ' +
      're-weight the predictions: dog 60%, …',
  );
  assert.equal(
    formatPriors({ ...priors, method: 'em', sample: { labels: 104, accuracy: 0.98, via: 'spread' } }, 1),
    'pool class priors (by EM on the predictions of a model that beat spread on the same held-out labels, spread being ' +
      'right on 98% of the 104 held-out labels that sample the pool) re-weight the predictions: dog 60%, …',
  );
  assert.equal(formatPriors({ ...priors, applied: false }), undefined);
  assert.equal(formatPriors({ ...priors, classes: ['cat'] }), undefined, 'classes that do not match the estimate');
  assert.equal(formatPriors(undefined), undefined);
});

test('formatTrainedOn: the human labels apart from the proposals taken as labels, then the guesses', () => {
  assert.equal(
    formatTrainedOn({ labels: 56_193, human: 800, pseudo: 3_246 }),
    '800 human labels, 55393 proposals taken as labels + 3246 confident predictions',
  );
  assert.equal(formatTrainedOn({ labels: 80, human: 80, pseudo: 1 }), '80 labels + 1 confident prediction', 'labels only');
  assert.equal(formatTrainedOn({ labels: 2, human: 1, pseudo: 0 }), '1 human label, 1 proposal taken as labels + 0 confident predictions');
  assert.equal(formatTrainedOn({ labels: 500, pseudo: 7 }), '500 labels + 7 confident predictions', 'a record before the count');
});

test('formatEnsembleKept: why an ensemble was chosen below one of its parts, and nothing otherwise', () => {
  assert.equal(
    formatEnsembleKept({ name: 'scratch+pixels', heldOut: 100, ensembleKept: { over: 'pixels', wins: 5, losses: 2, p: 0.2266 } }),
    'scratch+pixels kept over pixels: of the 100 held-out labels, pixels got 5 right that scratch+pixels missed and 2 wrong ' +
      'that it got right, within chance (sign test p = 0.23)',
  );
  assert.equal(formatEnsembleKept({ name: 'pixels', heldOut: 100 }), undefined);
});

test('formatCandidates and droppedAcceptedNote: the self-training check of each candidate, and of the chosen ones only', () => {
  const candidates = [
    { name: 'linear-lsa', accuracy: 0.65, selfTraining: { kept: false, withAccuracy: 0.6, withoutAccuracy: 0.65 } },
    { name: 'linear-subword', accuracy: 0.725, selfTraining: { kept: true, withAccuracy: 0.725, withoutAccuracy: 0.7 } },
    { name: 'spread-nb', accuracy: null },
  ];
  assert.equal(
    formatCandidates(candidates),
    'linear-lsa 65.0% (accepted labels dropped: 60.0% with them, 65.0% without), ' +
      'linear-subword 72.5% (accepted labels kept: 72.5% with them, 70.0% without), spread-nb n/a',
  );
  assert.equal(
    droppedAcceptedNote({ name: 'linear-lsa+linear-subword', members: ['linear-lsa', 'linear-subword'], candidates }),
    'accepted labels left out: they lowered the score on the held-out human labels (linear-lsa 60.0% with them, 65.0% without)',
  );
  assert.equal(droppedAcceptedNote({ name: 'linear-subword', candidates }), '', 'kept for the chosen one');
  assert.equal(droppedAcceptedNote({ name: 'spread-nb', candidates }), '', 'no check: nothing to say');
  // A '+' in one candidate's own name (the image mixture) is no ensemble: only the members say which ones to read.
  const mixed = [
    { name: 'scratch+pixels', accuracy: 0.9, selfTraining: { kept: false, withAccuracy: 0.8, withoutAccuracy: 0.9 } },
    { name: 'pixels', accuracy: 0.85, selfTraining: { kept: false, withAccuracy: 0.7, withoutAccuracy: 0.85 } },
  ];
  assert.equal(
    droppedAcceptedNote({ name: 'scratch+pixels', candidates: mixed }),
    'accepted labels left out: they lowered the score on the held-out human labels (scratch+pixels 80.0% with them, 90.0% without)',
  );
});

test('noProposalsHint: the surest item under the threshold and the next step, only when nothing is proposed', () => {
  const below = [{ item: 'man/ls.1.txt', label: 'man1', confidence: 0.857 }];
  const hint = noProposalsHint({ threshold: 0.9, proposals: [], below }, 1065);
  assert.equal(
    hint,
    'no item reaches 90.0%: the surest of the 1065 unlabelled item(s) is man/ls.1.txt (man1, 85.7%). Next: label the items the model is least sure about (suggest), then train again; or propose with a lower --threshold',
  );
  assert.equal(noProposalsHint({ threshold: 0.9, proposals: [{}], below }, 1065), undefined, 'proposals: no hint');
  assert.equal(noProposalsHint({ threshold: 0.9, proposals: [], below }, 0), undefined, 'nothing left to label: no hint');
  assert.match(
    noProposalsHint({ threshold: 0.9, proposals: [], below: [] }, 3)!,
    /^no item reaches 90\.0%: none of the 3 unlabelled item\(s\) has a class left to propose\. Next: /,
    'every class rejected: still the next step',
  );
  assert.match(noProposalsHint({ threshold: 0.9, proposals: [] }, 3)!, /none of the 3/, 'a set saved before `below` existed');
});
