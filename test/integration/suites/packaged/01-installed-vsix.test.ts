/**
 * Integration: the .vsix users install. scripts/vscode-test.mjs packages the extension (`npm run package`: production
 * build + vsce), installs the .vsix with `code-server --install-extension` into a fresh extensions dir, and runs this
 * suite (SELFLABEL_TEST_SUITE=packaged) on a copy of the texts fixture WITHOUT extensionDevelopmentPath: the
 * extension under test is the installed copy. It must activate, register its commands, keep the engine out of
 * activation, and do real work from what the package ships: scan (dist/engine.js), label (the journal on disk),
 * and pretrain (dist/worker.js + the tfjs wasm binaries in worker threads).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SelfLabelApi } from '../../../../src/extension/extension';
import {
  extension,
  loadedModules,
  readJournal,
  readTruth,
  recordMetric,
  repoRoot,
  run,
  runStage,
  selflabelFile,
  testApi,
} from '../../helpers';

function api(): SelfLabelApi {
  return extension().exports as SelfLabelApi;
}

describe('the packaged extension (.vsix installed into code-server)', () => {
  it('is the installed copy, not the source tree', () => {
    const ext = extension();
    const dir = ext.extensionPath;
    assert.notEqual(path.resolve(dir), path.resolve(repoRoot()), 'not loaded from the repository');
    assert.match(path.basename(dir), /^selflabel\.selflabel-\d+\.\d+\.\d+/, `installed folder name: ${dir}`);
    // What .vscodeignore keeps out must really be out of the package.
    for (const absent of ['src', 'node_modules', 'test', 'scripts', 'dist/extension.js.map', 'dist/cli.js', 'media/screenshots']) {
      assert.equal(fs.existsSync(path.join(dir, absent)), false, `${absent} is not in the package`);
    }
    for (const present of [
      'dist/extension.js',
      'dist/engine.js',
      'dist/worker.js',
      'dist/tfjs-backend-wasm.wasm',
      'dist/webview/sidePanel.js',
      'media/icon.png',
    ]) {
      assert.ok(fs.existsSync(path.join(dir, present)), `${present} is in the package`);
    }
  });

  it('is not active before a command needs it (no .selflabel yet)', () => {
    assert.equal(extension().isActive, false);
  });

  it('a command activates it without the engine bundle or tfjs; Set Classes then loads the engine and writes .selflabel/classes.json', async () => {
    const engine = path.join(extension().extensionPath, 'dist', 'engine.js');
    const t = performance.now();
    await run('selflabel.showLog');
    assert.equal(extension().isActive, true);
    assert.equal(api().engineLoaded(), false, 'activation did not load the engine');
    assert.ok(!loadedModules().includes(engine), 'dist/engine.js is not loaded by activation');
    await testApi().setClasses(['spam', 'ham']);
    recordMetric('set classes from cold (activate + engine load + write), ms', performance.now() - t);
    assert.equal(extension().isActive, true);
    assert.deepEqual(JSON.parse(fs.readFileSync(selflabelFile('classes.json'), 'utf8')).classes, ['spam', 'ham']);
    assert.ok(loadedModules().includes(engine), 'setting classes loaded the engine from the package');
    assert.equal(api().tfjsLoaded(), false);
  });

  it('registers every command it contributes', async () => {
    const contributed: Array<{ command: string }> = extension().packageJSON?.contributes?.commands ?? [];
    assert.ok(contributed.length >= 10);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.map((c) => c.command).filter((c) => !registered.has(c)),
      [],
    );
  });

  it('scans the workspace (every fixture item)', async () => {
    const outcome = await runStage('scan');
    assert.notEqual(outcome.cancelled, true);
    const project = await testApi().session()?.requireProject();
    assert.ok(project);
    assert.deepEqual(
      project
        .getItems()
        .map((i) => i.id)
        .sort(),
      [...readTruth('texts').keys()].sort(),
    );
  });

  it('labels an item through a command: a human event in .selflabel/labels.jsonl', async () => {
    const truth = readTruth('texts');
    const label = truth.get('notes/note-01.txt');
    assert.ok(label);
    await testApi().changeLabel('notes/note-01.txt', label);
    const events = readJournal();
    assert.equal(events.length, 1);
    assert.equal(events[0].item, 'notes/note-01.txt');
    assert.equal(events[0].label, label);
    assert.equal(events[0].source, 'human');
  });

  it('pretrains in a worker thread from the packaged worker bundle and wasm binaries', async () => {
    const t = performance.now();
    const outcome = await runStage('pretrain');
    recordMetric('pretrain s (packaged, 41 texts, 1 worker)', (performance.now() - t) / 1000);
    assert.notEqual(outcome.cancelled, true);
    assert.match(outcome.summary ?? '', /pretrained .*epoch/, `summary: ${outcome.summary}`);
    assert.match(outcome.summary ?? '', /on (wasm|tensorflow|cpu)\b/);
    assert.ok(fs.existsSync(path.join(path.dirname(selflabelFile('x')), 'models')), '.selflabel/models holds the checkpoint');
    assert.equal(api().tfjsLoaded(), false, 'tfjs ran in the worker, not in the extension host');
  });
});
