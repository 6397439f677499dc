/**
 * Integration: the host side of the webview protocol treats messages like network input. Malformed messages fed to
 * the side panel's and the review panel's channels (as if the webview had posted them) are refused and change
 * nothing on disk; a well-formed one goes through, so the test can tell the two apart.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, readJournal, run, waitFor, testApi } from '../../helpers';

const MALFORMED: [string, unknown][] = [
  ['not an object', 'accept everything'],
  ['null', null],
  ['an array', [1, 2, 3]],
  ['unknown kind', { kind: 'evil', method: 'accept', params: { items: ['notes/note-03.txt'] } }],
  ['request without an id', { kind: 'request', method: 'accept', params: { items: ['notes/note-03.txt'] } }],
  ['negative id', { kind: 'request', id: -1, method: 'accept', params: { items: ['notes/note-03.txt'] } }],
  ['unknown method', { kind: 'request', id: 1, method: 'deleteEverything', params: {} }],
  ['path traversal', { kind: 'request', id: 2, method: 'accept', params: { items: ['../../etc/passwd'] } }],
  ['absolute path', { kind: 'request', id: 3, method: 'label', params: { item: '/etc/passwd', label: 'spam' } }],
  ['empty batch', { kind: 'request', id: 4, method: 'accept', params: { items: [] } }],
  ['label not a string', { kind: 'request', id: 5, method: 'label', params: { item: 'notes/note-03.txt', label: 42 } }],
  [
    'control characters in the class',
    { kind: 'request', id: 6, method: 'correct', params: { item: 'notes/note-03.txt', label: 'spam\n' } },
  ],
  ['unknown stage', { kind: 'request', id: 7, method: 'run', params: { stage: 'rm -rf' } }],
  ['unknown notification', { kind: 'notify', method: 'pwn', params: {} }],
];

async function expectIgnored(view: 'side' | 'review'): Promise<void> {
  const before = readJournal().length;
  for (const [what, raw] of MALFORMED) {
    const r = await testApi().postFromWebview(view, raw);
    assert.equal(r.ok, false, `${view}: ${what} was accepted`);
  }
  assert.equal(readJournal().length, before, 'nothing was written');
}

describe('malformed webview messages', () => {
  it('the side panel opens', async () => {
    const container = extension().packageJSON?.contributes?.viewsContainers?.activitybar?.[0]?.id;
    assert.ok(container, 'package.json contributes an activity-bar view container');
    await vscode.commands.executeCommand(`workbench.view.extension.${container}`);
    await waitFor(
      'the side panel channel',
      async () => (await testApi().postFromWebview('side', { kind: 'notify', method: 'focus', params: { item: null } })).ok,
    );
  });

  it('the side panel ignores every malformed message', async () => {
    await expectIgnored('side');
  });

  it('the review panel ignores every malformed message', async () => {
    await run('selflabel.reviewProposals');
    await waitFor(
      'the review panel',
      async () => (await testApi().postFromWebview('review', { kind: 'notify', method: 'focus', params: { item: null } })).ok,
    );
    await expectIgnored('review');
  });

  it('a well-formed message from the review panel does write (the control case)', async () => {
    const open = testApi().session()?.describe('messages.jsonl#12').proposal;
    assert.ok(open, 'row 12 has an open proposal');
    const r = await testApi().postFromWebview('review', {
      kind: 'request',
      id: 99,
      method: 'accept',
      params: { items: ['messages.jsonl#12'] },
    });
    assert.deepEqual(r, { ok: true, method: 'accept' });
    const e = readJournal().at(-1);
    assert.equal(e?.item, 'messages.jsonl#12');
    assert.equal(e?.source, 'accepted');
    assert.equal(e?.label, open.label);
  });
});
