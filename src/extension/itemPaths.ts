/**
 * Item ids ↔ files, for the extension host. Webviews (and CodeLens arguments) name items by id only; the host turns
 * an id into a file here and refuses anything that would land outside the workspace folder — by `..` segments,
 * absolute paths, or a symlink pointing out of it. No `vscode` import: tested under Node.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export class OutsideWorkspaceError extends Error {
  override name = 'OutsideWorkspaceError';
}

/** Splits an item id into its file path and (for JSONL/CSV rows) 1-based row. */
export function splitItemId(id: string): { path: string; row?: number } {
  const m = /^(.*)#(\d+)$/.exec(id);
  return m ? { path: m[1], row: Number(m[2]) } : { path: id };
}

/** True if `child` is `root` itself or lies under it (both absolute, already resolved). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The absolute file of a workspace-relative POSIX path, refusing paths that leave `root` lexically or through a
 * symlink (the real path must stay under the real root). The file must exist.
 */
export async function resolveInWorkspace(root: string, relPosix: string): Promise<string> {
  if (!relPosix || path.posix.isAbsolute(relPosix) || path.win32.isAbsolute(relPosix) || relPosix.includes('\\')) {
    throw new OutsideWorkspaceError(`refused: "${relPosix}" is not a workspace-relative path`);
  }
  const abs = path.resolve(root, ...relPosix.split('/'));
  if (!isInside(path.resolve(root), abs)) throw new OutsideWorkspaceError(`refused: "${relPosix}" is outside the workspace`);
  const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(abs)]);
  if (!isInside(realRoot, realFile)) throw new OutsideWorkspaceError(`refused: "${relPosix}" resolves outside the workspace`);
  return abs;
}

/** Workspace-relative POSIX path of an absolute file, or undefined if it is not inside `root`. */
export function toWorkspaceRelative(root: string, absFile: string): string | undefined {
  const rel = path.relative(path.resolve(root), path.resolve(absFile));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}
