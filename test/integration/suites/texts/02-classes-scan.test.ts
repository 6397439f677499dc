/**
 * Integration: setting the classes through the command writes `.selflabel/classes.json`, and a scan finds exactly
 * the fixture's items (text files, JSONL rows, CSV rows) with the line numbers the CodeLens needs.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SelfLabelApi } from '../../../../src/extension/extension';
import { extension, loadedModules, readTruth, recordMetric, runStage, selflabelFile, testApi } from '../../helpers';

describe('classes and scan', () => {
  it('Set Classes (with the classes given) writes .selflabel/classes.json', async () => {
    assert.equal(fs.existsSync(selflabelFile('classes.json')), false, 'no classes before');
    await testApi().setClasses(['spam', 'ham']);
    const file = JSON.parse(fs.readFileSync(selflabelFile('classes.json'), 'utf8'));
    assert.equal(file.version, 1);
    assert.deepEqual(file.classes, ['spam', 'ham']);
  });

  it('a class list with an empty name is refused and classes.json is unchanged', async () => {
    const before = fs.readFileSync(selflabelFile('classes.json'), 'utf8');
    await testApi().setClasses(['spam', '']);
    assert.equal(fs.readFileSync(selflabelFile('classes.json'), 'utf8'), before);
  });

  it('Scan finds every fixture item, and nothing else', async () => {
    const t = performance.now();
    const outcome = await runStage('scan');
    recordMetric('scan s (41 text items)', (performance.now() - t) / 1000);
    assert.ok(outcome, 'the scan ran (the command returned its outcome)');
    assert.notEqual(outcome.cancelled, true);
    const project = await testApi().session()?.requireProject();
    assert.ok(project, 'the project is open');
    const found = project
      .getItems()
      .map((i) => i.id)
      .sort();
    const expected = [...readTruth('texts').keys()].sort();
    assert.deepEqual(found, expected);
  });

  it('rows carry their line in the file (JSONL: the row; CSV: the row + the header)', async () => {
    const project = await testApi().session()?.requireProject();
    assert.ok(project);
    assert.equal(project.getItem('messages.jsonl#7')?.line, 7);
    assert.equal(project.getItem('inbox.csv#3')?.line, 4);
    const text = project.getItem('notes/note-03.txt');
    assert.equal(text?.kind, 'text');
    assert.equal(project.getItem('messages.jsonl#7')?.kind, 'row');
  });

  it('the engine is loaded only now (from dist/engine.js), and tfjs never in the extension host', () => {
    const api = extension().exports as SelfLabelApi;
    assert.equal(api.engineLoaded(), true);
    const ext = extension();
    const engine = path.join(path.dirname(path.resolve(ext.extensionPath, ext.packageJSON.main)), 'engine.js');
    assert.ok(loadedModules().includes(engine), `${engine} was required on first use`);
    assert.equal(api.tfjsLoaded(), false);
    void vscode; // (the vscode API is used through the commands above)
  });
});
