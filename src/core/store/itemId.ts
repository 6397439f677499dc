/**
 * Item ids as the store accepts them: a workspace-relative POSIX path (plus `#N` for a row of a JSONL/CSV file), the
 * same rule as the webview's `isItemId` (src/protocol/webview.ts), and stricter in two ways: no `.` segment (a scan
 * never produces one) and nothing inside `.selflabel/` (the store's own files are never items).
 */
import { STORE_DIR } from '../paths';

/** Longest item id accepted (the webview's MAX_ID_LENGTH). */
export const MAX_ITEM_ID_LENGTH = 4096;

/** Why `id` is not an acceptable item id, or undefined if it is one. */
export function itemIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'is not a string';
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ITEM_ID_LENGTH) return `is longer than ${MAX_ITEM_ID_LENGTH} characters`;
  if (/[\u0000-\u001f]/.test(id)) return 'contains a control character';
  const file = id.replace(/#\d+$/, '');
  if (file.startsWith('/') || /^[a-zA-Z]:/.test(file)) return 'is an absolute path (use a path relative to the workspace)';
  if (file.includes('\\')) return 'contains a backslash (use / between folders)';
  const segs = file.split('/');
  if (segs.some((s) => s === '..')) return 'leaves the workspace (a ".." folder)';
  if (segs.some((s) => s === '' || s === '.')) return 'has an empty or "." folder name';
  if (segs[0] === STORE_DIR) return `is inside ${STORE_DIR}/ (SelfLabel's own files are not items)`;
  return undefined;
}

/** Throws `invalid item id "…": <why>` (the id shortened to 80 characters) unless `id` is acceptable. */
export function assertItemId(id: unknown): asserts id is string {
  const problem = itemIdProblem(id);
  if (problem) throw new Error(`invalid item id ${shortId(id)}: it ${problem}`);
}

export function shortId(id: unknown): string {
  const s = typeof id === 'string' ? id : String(id);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}…` : s);
}
