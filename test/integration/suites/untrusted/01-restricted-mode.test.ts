/**
 * Integration: SelfLabel in an UNTRUSTED workspace (Restricted Mode). scripts/vscode-test.mjs runs this suite on a
 * code-server of its own with workspace trust enabled (`launchCodeServer({workspaceTrust: true})`), and the fixture
 * folder (test/fixtures/workspaces/untrusted: classes, one label, two texts, a CSV to import, and a
 * .vscode/settings.json setting restricted and unrestricted SelfLabel settings) is not trusted.
 *
 * What package.json / README promise: SelfLabel activates and shows what `.selflabel/` already holds, but every
 * command that scans, trains (worker threads), proposes, labels, imports or exports is refused with a message that
 * says why, and writes nothing; VS Code ignores the workspace's values of the restricted settings.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SelfLabelApi } from '../../../../src/extension/extension';
import { extension, loadedModules, readJournal, waitFor, workspaceRoot, testApi } from '../../helpers';

/** Every file under the workspace (relative path → contents), `.selflabel/` included. */
function snapshot(): Map<string, string> {
  const root = workspaceRoot();
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        out.set(`${path.relative(root, abs)}/`, '');
        walk(abs);
      } else out.set(path.relative(root, abs), fs.readFileSync(abs, 'utf8'));
    }
  };
  walk(root);
  return out;
}

function api(): SelfLabelApi {
  return extension().exports as SelfLabelApi;
}

/** Runs a command and returns its result and the warnings it showed. */
async function refused(command: string, ...args: unknown[]): Promise<{ result: unknown; shown: string[] }> {
  const before = testApi().warnings.length;
  const result = await vscode.commands.executeCommand(command, ...args);
  return { result, shown: testApi().warnings.slice(before) };
}

describe('untrusted workspace (Restricted Mode)', () => {
  let initial: Map<string, string>;

  it('the workspace really is untrusted (trust is enabled in this code-server and the folder is not trusted)', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('SelfLabel still activates on its own (limited support), without the engine or tfjs', async () => {
    await waitFor('SelfLabel to activate', () => extension().isActive, 20_000);
    assert.equal(api().engineLoaded(), false);
    assert.equal(api().tfjsLoaded(), false);
    initial = snapshot();
    assert.ok(initial.has('.selflabel/labels.jsonl'), 'the fixture has a journal');
  });

  it('VS Code ignores the workspace values of the restricted settings; unrestricted ones still apply', () => {
    const cfg = vscode.workspace.getConfiguration('selflabel');
    // .vscode/settings.json sets these restricted settings (package.json restrictedConfigurations) …
    const fixture: Record<string, unknown> = { workers: 7, backend: 'cpu', include: ['nothing/**'] };
    for (const [key, value] of Object.entries(fixture)) {
      const i = cfg.inspect(key);
      assert.ok(i, `selflabel.${key} is a known setting`);
      assert.equal(i.workspaceValue, undefined, `the workspace value of selflabel.${key} is not visible`);
      assert.notDeepEqual(cfg.get(key), value, `selflabel.${key} does not take the workspace's value`);
      assert.deepEqual(cfg.get(key), i.globalValue ?? i.defaultValue, `selflabel.${key} is the user's value or the default`);
    }
    // … and this unrestricted one: the control case.
    assert.equal(cfg.get('labelBatchSize'), 7, 'an unrestricted workspace setting applies');
  });

  it('shows what .selflabel already holds: classes and label counts, marked untrusted', async () => {
    const state = await testApi().sideState();
    assert.equal(state.trusted, false);
    assert.deepEqual(
      state.classes.map((c) => [c.name, c.labelled]),
      [
        ['spam', 0],
        ['ham', 1],
      ],
    );
    assert.equal(state.next.command, 'manageTrust', 'the next suggested action is to manage trust');
  });

  const stages = [
    ['selflabel.scan', 'scanning'],
    ['selflabel.pretrain', 'pretraining'],
    ['selflabel.train', 'training'],
    ['selflabel.propose', 'proposing labels'],
  ] as const;
  for (const [command, action] of stages) {
    it(`${command} is refused with a message, starts nothing and writes nothing`, async () => {
      const { result, shown } = await refused(command);
      assert.equal(result, undefined, 'no stage outcome');
      assert.equal(testApi().session()?.runningStage, undefined, 'no stage is running');
      assert.equal(shown.length, 1, `one warning shown (got ${JSON.stringify(shown)})`);
      assert.match(shown[0], /not trusted/);
      assert.ok(shown[0].includes(action), `the message names the action "${action}": ${shown[0]}`);
    });
  }

  const writes: Array<[string, string, () => unknown[]]> = [
    ['selflabel.setClasses', 'setting the classes', () => [['cat', 'dog']]],
    ['selflabel.correctCurrent', 'changing a label', () => ['offer.txt', 'spam']],
    ['selflabel.acceptCurrent', 'accepting a proposal', () => ['offer.txt']],
    ['selflabel.rejectCurrent', 'rejecting a proposal', () => ['offer.txt']],
    ['selflabel.undo', 'undoing a label', () => []],
    ['selflabel.labelNext', 'labelling', () => []],
    ['selflabel.import', 'importing labels', () => [vscode.Uri.file(path.join(workspaceRoot(), 'import.csv'))]],
    [
      'selflabel.export',
      'exporting labels',
      () => [{ format: 'csv', out: path.join(os.tmpdir(), `selflabel-untrusted-export-${process.pid}.csv`) }],
    ],
  ];
  for (const [command, action, args] of writes) {
    it(`${command} is refused with a message naming "${action}"`, async () => {
      const { result, shown } = await refused(command, ...args());
      assert.equal(result, undefined);
      assert.equal(shown.length, 1, `one warning shown (got ${JSON.stringify(shown)})`);
      assert.match(shown[0], /not trusted/);
      assert.ok(shown[0].includes(action), `the message names the action: ${shown[0]}`);
    });
  }

  it('nothing was written: the workspace (journal, classes, caches) is byte for byte what it was', () => {
    assert.ok(initial, 'the snapshot was taken');
    assert.deepEqual(snapshot(), initial);
    assert.deepEqual(
      readJournal().map((e) => [e.item, e.label]),
      [['hello.txt', 'ham']],
    );
    assert.equal(fs.existsSync(path.join(os.tmpdir(), `selflabel-untrusted-export-${process.pid}.csv`)), false, 'no export file');
  });

  it('the side panel opens, and a stage started from it is refused with the same message', async () => {
    const container = extension().packageJSON?.contributes?.viewsContainers?.activitybar?.[0]?.id;
    await vscode.commands.executeCommand(`workbench.view.extension.${container}`);
    await waitFor(
      'the side panel channel',
      async () => (await testApi().postFromWebview('side', { kind: 'notify', method: 'focus', params: { item: null } })).ok,
    );
    const before = testApi().warnings.length;
    const handled = await testApi().postFromWebview('side', { kind: 'request', id: 1, method: 'run', params: { stage: 'pretrain' } });
    assert.deepEqual(handled, { ok: true, method: 'run' });
    const shown = testApi().warnings.slice(before);
    assert.equal(shown.length, 1, `one warning shown (got ${JSON.stringify(shown)})`);
    assert.match(shown[0], /pretraining is disabled because this workspace is not trusted/);
    assert.equal(testApi().session()?.runningStage, undefined);
    assert.deepEqual(snapshot(), initial, 'nothing was written');
  });

  it('no training worker ran: tfjs was never loaded and no model or cache folder exists', () => {
    assert.equal(api().tfjsLoaded(), false);
    assert.equal(fs.existsSync(path.join(workspaceRoot(), '.selflabel', 'models')), false);
    assert.equal(fs.existsSync(path.join(workspaceRoot(), '.selflabel', 'cache')), false);
    assert.ok(!loadedModules().some((m) => m.endsWith(`${path.sep}worker.js`)), 'the worker bundle was not loaded here');
  });
});
