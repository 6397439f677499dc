/**
 * Errors of the dataset layer.
 *
 * - `ItemError`: one item (a file or a row) cannot be used; `reason` is a sentence a user can read
 *   ("corrupt PNG: …", "not valid UTF-8 text"). Callers skip the item and show the reason; they never crash.
 * - `abortError()` / `throwIfAborted()`: cancellation, as an Error whose `name` is 'AbortError' (the same shape as
 *   the DOM AbortError, so `e.name === 'AbortError'` works everywhere).
 */

/** An item (file or row) that cannot be read or decoded. `reason` is user-readable and does not repeat the path. */
export class ItemError extends Error {
  override name = 'ItemError';
  /** Why the item cannot be used, e.g. "truncated PNG (unexpected end of file)". */
  readonly reason: string;
  /** The item id or path the error is about, when known. */
  readonly item?: string;

  constructor(reason: string, item?: string) {
    super(item ? `${item}: ${reason}` : reason);
    this.reason = reason;
    this.item = item;
  }
}

/** An Error with name 'AbortError' (what every cancellable engine call throws when its signal fires). */
export function abortError(message = 'cancelled'): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/** Throws an AbortError if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'scan'): void {
  if (signal?.aborted) throw abortError(`${what} cancelled`);
}

/** A short user-readable phrase for a Node fs error code. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found (deleted or moved?)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'a parent of this path is not a folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error';
    default:
      return code ? `${code}: ${(e as Error).message}` : String((e as Error)?.message ?? e);
  }
}
