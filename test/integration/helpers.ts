/**
 * Helpers for the integration tests (they run inside the extension host, with the real `vscode` API): the
 * extension under test, waiting for conditions, the workspace's `.selflabel` files, and recording measured numbers
 * for the run's report.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

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

/** The journal's events, parsed (torn or blank lines are an error here: the extension must never write them). */
export function readJournal(): Array<{ id: string; item: string; label: string | null; source: string; undoes?: string }> {
  const file = selflabelFile('labels.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`labels.jsonl line ${i + 1} is not JSON: ${l.slice(0, 120)}`);
      }
    });
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

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ''}`);
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

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is loaded (from source, extensionDevelopmentPath)`);
  return ext;
}
