/**
 * Helpers for the integration tests (they run inside the extension host, with the real `vscode` API): the
 * extension under test, waiting for conditions, the workspace's `.selflabel` files, and recording measured numbers
 * for the run's report.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { SelfLabelTestApi } from '../../src/extension/testApi';
import { journalEvents } from '../fixtures/journal';

export const EXTENSION_ID = 'selflabel.selflabel';

/** The opened workspace folder (a scratch copy of a fixture). */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

export function selflabelFile(name: string): string {
  return path.join(workspaceRoot(), '.selflabel', name);
}

/** The journal's events, parsed (a torn line is an error here: the extension must never leave one). */
export function readJournal(): Array<{ id: string; item: string; label: string | null; source: string; undoes?: string }> {
  const file = selflabelFile('labels.jsonl');
  if (!fs.existsSync(file)) return [];
  return journalEvents(fs.readFileSync(file, 'utf8'));
}

/** Effective labels after replaying the journal the way ARCHITECTURE.md describes (undo cancels its target). */
export function currentLabels(): Map<string, string> {
  const events = readJournal();
  const undone = new Set(events.filter((e) => e.source === 'undo' && e.undoes).map((e) => e.undoes));
  const labels = new Map<string, string>();
  for (const e of events) {
    if (undone.has(e.id) || e.source === 'undo') continue;
    if (e.source === 'rejected') continue;
    if (e.source === 'removed' || e.label === null) labels.delete(e.item);
    else labels.set(e.item, e.label);
  }
  return labels;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      if ((e as { fatal?: boolean }).fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Records a measured number under `name`; scripts/vscode-test.mjs prints them after the run. */
export function recordMetric(name: string, value: number): void {
  const g = globalThis as { __selflabelMetrics?: Record<string, number> };
  g.__selflabelMetrics ??= {};
  g.__selflabelMetrics[name] = value;
}

/** Absolute paths of every CommonJS module loaded in this extension host (extensions and tests share the cache). */
export function loadedModules(): string[] {
  return Object.keys(require.cache);
}

/** VS Code's own activation times of one extension, as its extension host measured and reported them. */
export interface VscodeActivationTimes {
  /** Activated while the workbench started (e.g. by `workspaceContains`), not later. */
  startup: boolean;
  /** require() of the extension's main module, ms. */
  codeLoadingTime: number;
  /** The synchronous part of activate(), ms. */
  activateCallTime: number;
  /** Until the value activate() returned settled, ms (-1 when there was nothing to wait for). */
  activateResolvedTime: number;
  activationEvent: string;
}

/**
 * VS Code's ActivationTimes of extension `id` (IExtensionService.getExtensionsStatus(): what "Developer: Show Running
 * Extensions" shows as codeLoadingTime + activateCallTime), read from the workbench's "Developer: Startup
 * Performance" document (command `perfview.show`, text model `perf:Startup Performance`, table "Extension Activation
 * Stats"). The command opens that document in an editor; it is closed again. Throws if the row does not appear.
 */
export async function vscodeActivationTimes(id: string, timeoutMs = 30_000): Promise<VscodeActivationTimes> {
  await vscode.commands.executeCommand('perfview.show');
  const uri = vscode.Uri.from({ scheme: 'perf', path: 'Startup Performance' });
  try {
    // The document says "Loading..." until the workbench's timers are ready; the activation reaches the workbench
    // asynchronously: poll until the row is there.
    return await waitFor(
      `${id} in the Startup Performance document's "Extension Activation Stats"`,
      async () => {
        const text = (await vscode.workspace.openTextDocument(uri)).getText();
        const at = text.indexOf('## Extension Activation Stats');
        if (at < 0) return undefined;
        for (const line of text.slice(at).split('\n').slice(1)) {
          if (line.startsWith('## ')) break;
          // | Extension | Eager | Load Code | Call Activate | Finish Activate | Event | By |
          const cells = line
            .split('|')
            .slice(1, -1)
            .map((c) => c.trim());
          if (cells.length < 7 || cells[0] !== id) continue;
          return {
            startup: cells[1] === 'true',
            codeLoadingTime: Number(cells[2]),
            activateCallTime: Number(cells[3]),
            activateResolvedTime: Number(cells[4]),
            activationEvent: cells[5],
          };
        }
        return undefined;
      },
      timeoutMs,
      250,
    );
  } finally {
    const tab = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());
    if (tab) await vscode.window.tabGroups.close(tab);
  }
}

/** VS Code's activation time of SelfLabel as the benchmark judges it: load + activate() + until it resolved. */
export function activationTotal(t: VscodeActivationTimes): number {
  return t.codeLoadingTime + t.activateCallTime + Math.max(0, t.activateResolvedTime);
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is loaded (from source, extensionDevelopmentPath)`);
  return ext;
}

/** The repository (for fixture truth files): compiled suites live in out/integration/suites/<name>/. */
export function repoRoot(): string {
  const fromOut = path.resolve(__dirname, '..', '..', '..', '..');
  if (fs.existsSync(path.join(fromOut, 'test', 'fixtures', 'workspaces'))) return fromOut;
  return extension().extensionPath;
}

/** The right label of every item of a fixture (test/fixtures/workspaces/<name>.truth.csv, header `path,label`). */
export function readTruth(name: string): Map<string, string> {
  const file = path.join(repoRoot(), 'test', 'fixtures', 'workspaces', `${name}.truth.csv`);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((l) => l.split(',') as [string, string]));
}

/** The extension's test-only API (src/extension/testApi.ts); the extension must be active. */
export function testApi(): SelfLabelTestApi {
  const api = extension().exports as { test?: SelfLabelTestApi } | undefined;
  assert.ok(api?.test, 'SelfLabel is active and exposes its test API (development / test mode, or SELFLABEL_TEST_API=1)');
  return api.test;
}

/** Runs a SelfLabel command and waits for it (stage commands resolve when the stage ends). */
export async function run<T = unknown>(command: string, ...args: unknown[]): Promise<T> {
  return (await vscode.commands.executeCommand(command, ...args)) as T;
}

/** The CodeLenses VS Code shows for a document, resolved (titles and commands filled in). */
export async function codeLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  await vscode.workspace.openTextDocument(uri); // the provider command needs the document loaded ("Illegal argument")
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return lenses.filter((l) => l.command !== undefined);
}

/**
 * Runs a stage command (scan, pretrain, train, propose) and resolves with its outcome. Fails as soon as the stage
 * reports a failure (the session's `problem`), instead of waiting for the command: the extension shows the failure
 * as an error notification and the command may stay pending until someone dismisses it.
 */
export async function runStage(
  stage: 'scan' | 'pretrain' | 'train' | 'propose',
  timeoutMs = 150_000,
): Promise<{ cancelled?: boolean; summary?: string }> {
  type SessionLike = { problem: string | null };
  const session = testApi().session() as SessionLike | undefined;
  assert.ok(session, 'a SelfLabel session (a folder is open)');
  // Watch the session's `problem` field: the stage runner sets it to "<stage> failed: …" when the stage fails.
  let problem = session.problem;
  let failure: string | undefined;
  Object.defineProperty(session, 'problem', {
    configurable: true,
    enumerable: true,
    get: () => problem,
    set: (v: string | null) => {
      problem = v;
      if (typeof v === 'string' && v.startsWith(`${stage} failed`)) failure = v;
    },
  });
  let settled: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  void Promise.resolve(vscode.commands.executeCommand(`selflabel.${stage}`)).then(
    (value) => (settled = { ok: true, value }),
    (error) => (settled = { ok: false, error }),
  );
  try {
    const outcome = await waitFor(
      `the ${stage} command to finish`,
      () => {
        if (settled) {
          if (!settled.ok)
            throw Object.assign(settled.error instanceof Error ? settled.error : new Error(String(settled.error)), { fatal: true });
          return { value: settled.value };
        }
        if (failure) throw Object.assign(new Error(`SelfLabel reported: ${failure}`), { fatal: true });
        return undefined;
      },
      timeoutMs,
      100,
    );
    const v = outcome.value as { cancelled?: boolean; summary?: string } | undefined;
    assert.ok(v, `${stage} returned no outcome (it did not start or it failed; see the SelfLabel log)`);
    return v;
  } finally {
    delete (session as { problem?: unknown }).problem;
    session.problem = problem;
  }
}
