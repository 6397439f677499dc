/**
 * Durable file-system helpers for the label store: atomic replace (temp file, fsync, rename, fsync of the folder),
 * clear error messages for write failures (disk full, read-only, permissions), and a cross-process lock made with
 * mkdir (atomic everywhere, including network file systems), broken when its owner process is dead or after 30 s.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** An Error for a failed write, e.g. "cannot write label: disk full (/ws/.selflabel/labels.jsonl)". */
export function writeError(what: string, file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC'
      ? 'disk full'
      : code === 'EDQUOT'
        ? 'disk quota exceeded'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : code === 'ENOENT'
              ? 'folder does not exist'
              : code === 'ENOTDIR'
                ? 'a parent of the path is not a folder'
                : code === 'EISDIR'
                  ? 'the path is a folder'
                  : code === 'EIO'
                    ? 'input/output error'
                    : code
                      ? `${code}: ${(e as Error).message}`
                      : String((e as Error)?.message ?? e);
  const err = new Error(`cannot ${what}: ${why} (${file})`, { cause: e });
  (err as NodeJS.ErrnoException).code = code;
  return err;
}

/** fsync of a folder, so a rename in it is durable. Ignored where folders cannot be opened (Windows). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw e;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export function tmpName(file: string): string {
  return `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/** rename, retried briefly on Windows-style transient errors (a virus scanner or indexer holding the file). */
async function renameRetry(from: string, to: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (i >= 5 || (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES')) throw e;
      await new Promise((r) => setTimeout(r, 20 * (i + 1)));
    }
  }
}

/**
 * Replaces `file` with `data` atomically and durably: readers see the old or the new content, never a mix, even
 * after a crash. Errors are rethrown as writeError(what, file).
 */
export async function atomicWriteFile(file: string, data: string | Uint8Array, what: string): Promise<void> {
  const tmp = tmpName(file);
  try {
    const fh = await fs.open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameRetry(tmp, file);
    await fsyncDir(path.dirname(file));
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(what, file, e);
  }
}

export { renameRetry };

// ───────────────────────────── lock ─────────────────────────────

export const LOCK_STALE_MS = 30_000;

interface LockOwner {
  pid: number;
  host: string;
  time: number;
  nonce: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether an existing lock folder is stale: it has no owner record (locks are created complete, so only a release
 * that died half-way leaves one without), its owner on this host is dead, or it is older than LOCK_STALE_MS.
 */
async function lockIsStale(lockDir: string): Promise<boolean> {
  let st;
  try {
    st = await fs.stat(lockDir);
  } catch {
    return false; // gone: just try again
  }
  try {
    const owner = JSON.parse(await fs.readFile(path.join(lockDir, 'owner.json'), 'utf8')) as LockOwner;
    if (owner.host === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    // unreadable for another reason: judge by age only
  }
  return Date.now() - st.mtimeMs > LOCK_STALE_MS;
}

/**
 * Waits while `lockDir` is held by a live owner (up to `timeoutMs`); returns at once if it is free or stale.
 * Writers call it after appending, so an append made while a compaction was reading cannot be acknowledged until
 * that compaction has either carried it over or replaced the file (which the writer then notices).
 */
export async function waitWhileLocked(lockDir: string, timeoutMs = LOCK_STALE_MS): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await fs.stat(lockDir);
    } catch {
      return;
    }
    if (Date.now() - start > timeoutMs || (await lockIsStale(lockDir))) return;
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
  }
}

/**
 * Takes the lock folder `lockDir` (waiting up to `timeoutMs`), returns its release function. The lock is prepared
 * beside it (a folder holding owner.json: pid, host, time) and renamed into place, so it never exists half-made;
 * rename onto an existing lock fails, which makes taking it atomic. Stale locks (see lockIsStale) are broken.
 */
export async function acquireLock(lockDir: string, what: string, timeoutMs = 60_000): Promise<() => Promise<void>> {
  const start = Date.now();
  const nonce = randomBytes(8).toString('hex');
  const dir = path.dirname(lockDir);
  const base = path.basename(lockDir);
  for (let attempt = 0; ; attempt++) {
    const prep = `${lockDir}.${nonce}-${attempt}.tmp`;
    try {
      await fs.mkdir(prep);
      const owner: LockOwner = { pid: process.pid, host: os.hostname(), time: Date.now(), nonce };
      await fs.writeFile(path.join(prep, 'owner.json'), JSON.stringify(owner));
      await fs.rename(prep, lockDir);
    } catch (e) {
      await fs.rm(prep, { recursive: true, force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTEMPTY/EEXIST (EPERM on Windows): the lock is held. ENOENT: a lock holder cleaned our folder away.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOENT') throw writeError(what, lockDir, e);
      if (code !== 'ENOENT' && (await lockIsStale(lockDir))) {
        // Move it away first (atomic), so two processes breaking the same stale lock cannot both succeed.
        const trash = `${lockDir}.stale-${nonce}-${attempt}`;
        try {
          await fs.rename(lockDir, trash);
          await fs.rm(trash, { recursive: true, force: true });
        } catch {
          // someone else broke it first
        }
        continue;
      }
      if (Date.now() - start > timeoutMs) {
        throw new Error(`cannot ${what}: ${lockDir} is held by another SelfLabel process (waited ${Math.round(timeoutMs / 1000)} s)`);
      }
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      continue;
    }
    // We hold the lock: clear what killed processes left beside it (half-prepared locks, broken stale ones).
    for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
      if (f.startsWith(`${base}.`) && (f.endsWith('.tmp') || f.includes('.stale-'))) {
        await fs.rm(path.join(dir, f), { recursive: true, force: true }).catch(() => undefined);
      }
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        const owner = JSON.parse(await fs.readFile(path.join(lockDir, 'owner.json'), 'utf8')) as LockOwner;
        if (owner.nonce !== nonce) return; // broken as stale and taken by someone else meanwhile: not ours
        const trash = `${lockDir}.stale-${nonce}-released`;
        await fs.rename(lockDir, trash); // atomic: a crash after this leaves trash, not a half-removed lock
        await fs.rm(trash, { recursive: true, force: true });
      } catch {
        // already gone
      }
    };
  }
}
