/**
 * Recovering exports that were killed half-way: temp files and staging folders of dead processes, and a folders
 * export that died between its two swap renames (the output is put back at once, by the next export or by the next
 * LabelStore.open). Used by importExport.ts and labelStore.ts.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EXPORT_MARKER_NAME } from '../dataset/scan';
import { fsyncDir, renameRetry } from './fsutil';

export const EXPORT_MARKER = EXPORT_MARKER_NAME;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans up after an export that was killed: temp files and staging folders (`<out>.<pid>-<hex>.tmp`) of dead
 * processes are removed — except that when `out` itself is missing because a folders export died between its two
 * swap renames, the newest complete export folder among them (new staging, else the previous export) is renamed
 * back to `out` first. So an interrupted export never loses the previous one: the next export (or this call)
 * puts a complete one back in place.
 */
export async function recoverInterruptedExport(out: string): Promise<void> {
  const dir = path.dirname(out);
  const base = path.basename(out);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)-[0-9a-f]+\\.tmp$`);
  const dead = names.filter((n) => {
    const m = re.exec(n);
    return m !== null && !pidAlive(Number(m[1]));
  });
  if (!dead.length) return;
  if (!(await fs.stat(out).catch(() => undefined))) {
    let best: { name: string; time: string } | undefined;
    for (const n of dead) {
      const marker = await fs.readFile(path.join(dir, n, EXPORT_MARKER), 'utf8').catch(() => undefined);
      if (!marker) continue;
      let time = '';
      try {
        time = String((JSON.parse(marker) as { time?: string }).time ?? '');
      } catch {
        continue;
      }
      if (!best || time > best.time) best = { name: n, time };
    }
    if (best) {
      await renameRetry(path.join(dir, best.name), out);
      await fsyncDir(dir);
    }
  }
  for (const n of dead) {
    await fs.rm(path.join(dir, n), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * A folders export writes `.selflabel/export-swap-<pid>-<hex>.json` ({"out"}) before its two swap renames and removes
 * it after: if it dies in between, the next LabelStore.open (any command, the extension) puts the export back
 * at once (recoverInterruptedExport), instead of leaving the output missing until the next export.
 */
const SWAP_RE = /^export-swap-(\d+)-[0-9a-f]+\.json$/;

/** Completes the folder swaps of exports that died between their two renames (best effort, never throws). */
export async function recoverPendingExports(storeDir: string): Promise<void> {
  for (const name of await fs.readdir(storeDir).catch(() => [] as string[])) {
    const m = SWAP_RE.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      const { out } = JSON.parse(await fs.readFile(path.join(storeDir, name), 'utf8')) as { out?: unknown };
      if (typeof out === 'string' && path.isAbsolute(out)) await recoverInterruptedExport(out);
      await fs.rm(path.join(storeDir, name), { force: true });
    } catch {
      // unreadable marker or read-only folder: the next export of that folder recovers it
    }
  }
}
