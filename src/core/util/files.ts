/**
 * Small durable-file helpers for caches and model files: atomic replace (write a temp file, fsync, rename, fsync the
 * folder) so a crash leaves either the old or the new file, never half of one; and typed-array files with a JSON
 * sidecar describing them (`<base>.json` + `<base>.bin`).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  try {
    const dh = await fs.open(path.dirname(file), 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (e instanceof SyntaxError) return undefined; // a damaged cache is rebuilt, not fatal
    throw e;
  }
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value) + '\n');
}

/** Writes `<base>.bin` (the bytes of `data`) then `<base>.json` (meta, plus byteLength to detect a torn pair). */
export async function writeArrayFile(base: string, data: ArrayBufferView, meta: object): Promise<void> {
  await writeFileAtomic(`${base}.bin`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  await writeJson(`${base}.json`, { ...meta, byteLength: data.byteLength });
}

/** Reads a pair written by writeArrayFile; undefined when missing or inconsistent. */
export async function readArrayFile<M extends object>(base: string): Promise<{ meta: M; bytes: Buffer } | undefined> {
  const meta = await readJson<M & { byteLength: number }>(`${base}.json`);
  if (!meta) return undefined;
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(`${base}.bin`);
  } catch {
    return undefined;
  }
  if (bytes.byteLength !== meta.byteLength) return undefined;
  return { meta, bytes };
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
