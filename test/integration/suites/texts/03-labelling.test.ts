/**
 * Integration: labelling through the commands writes `.selflabel/labels.jsonl` at once — for an explicit item id,
 * for the text file in the active editor, and for the JSONL row under the cursor — and undo takes the last action
 * back. Ids that point outside the workspace are refused without touching the journal.
 */
import * as assert from 'node:assert/strict';
import * as path from 'path';
import * as vscode from 'vscode';
import * as fs from 'fs';
import { currentLabels, readJournal, run, selflabelFile, workspaceRoot, testApi } from '../../helpers';

async function openAt(rel: string, line = 0): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(workspaceRoot(), rel)));
  const ed = await vscode.window.showTextDocument(doc, { preview: false });
  ed.selection = new vscode.Selection(line, 0, line, 0);
  return ed;
}

describe('labelling through commands', () => {
  it('Change… with an item id and a class labels it (a human event on disk)', async () => {
    const before = readJournal().length;
    await testApi().changeLabel('notes/note-01.txt', 'spam');
    const events = readJournal();
    assert.equal(events.length, before + 1);
    const e = events[events.length - 1];
    assert.equal(e.item, 'notes/note-01.txt');
    assert.equal(e.label, 'spam');
    assert.equal(e.source, 'human');
  });

  it('labels the text file open in the active editor', async () => {
    await openAt('notes/note-02.txt');
    await testApi().changeLabel(undefined, 'ham');
    assert.equal(currentLabels().get('notes/note-02.txt'), 'ham');
  });

  it('labels the JSONL row under the cursor', async () => {
    await openAt('messages.jsonl', 4); // 0-based line 4 = row 5
    await testApi().changeLabel(undefined, 'spam');
    const e = readJournal().at(-1);
    assert.equal(e?.item, 'messages.jsonl#5');
    assert.equal(e?.label, 'spam');
  });

  it('labels the CSV row under the cursor (the header is line 1)', async () => {
    await openAt('inbox.csv', 2); // line 3 = data row 2
    await testApi().changeLabel(undefined, 'ham');
    assert.equal(readJournal().at(-1)?.item, 'inbox.csv#2');
  });

  it('Undo takes the last label back (an undo event naming it) and the label is gone', async () => {
    const last = readJournal().at(-1);
    assert.ok(last);
    await run('selflabel.undo');
    const after = readJournal();
    const u = after.at(-1);
    assert.equal(u?.source, 'undo');
    assert.equal(u?.undoes, last.id);
    assert.equal(currentLabels().has('inbox.csv#2'), false);
    assert.equal(currentLabels().get('messages.jsonl#5'), 'spam', 'the label before it stays');
  });

  it('refuses ids outside the workspace and unknown items, writing nothing', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const before = readJournal().length;
    await testApi().changeLabel('../outside.txt', 'spam');
    await testApi().changeLabel('/etc/passwd', 'spam');
    await run('selflabel.acceptCurrent', 'notes/../../x.txt');
    await testApi().changeLabel('notes/no-such-file.txt', 'spam');
    assert.equal(readJournal().length, before);
  });

  it('Change Classes renames a class (its labels follow) and Undo reverts the whole change', async () => {
    const classesOf = () =>
      fs.existsSync(selflabelFile('classes.json'))
        ? (JSON.parse(fs.readFileSync(selflabelFile('classes.json'), 'utf8')).classes as string[])
        : [];
    if (!classesOf().includes('spam')) await testApi().setClasses(['spam', 'ham']);
    await testApi().changeLabel('notes/note-03.txt', 'spam');
    const before = classesOf();
    await testApi().changeClasses({ op: 'rename', from: 'spam', to: 'junk' });
    assert.deepEqual(
      classesOf(),
      before.map((c) => (c === 'spam' ? 'junk' : c)),
    );
    assert.equal(currentLabels().get('notes/note-03.txt'), 'junk');
    assert.ok(![...currentLabels().values()].includes('spam'), 'no label keeps the old name');
    await run('selflabel.undo');
    assert.deepEqual(classesOf(), before);
    assert.equal(currentLabels().get('notes/note-03.txt'), 'spam');
  });
});
