/**
 * Text helpers shared by the scan and the loaders: decoding a whole .txt file (UTF-8 only, binary and invalid UTF-8
 * rejected with a reason), previews, and the content hash used for every item.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { ItemError } from './errors';

/** Length of item previews, in characters. */
export const PREVIEW_CHARS = 200;

/** sha256 hex truncated to 32 characters, of bytes or of a string's UTF-8 encoding. */
export function contentHash(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

/**
 * The first PREVIEW_CHARS characters (never cutting a surrogate pair in half), as a fresh string: a plain slice
 * would keep the whole text (or the whole 1 MB read chunk) alive in memory for as long as the preview lives.
 */
export function preview(text: string): string {
  let end = Math.min(text.length, PREVIEW_CHARS);
  if (end < text.length) {
    const c = text.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
  }
  return Buffer.from(text.slice(0, end), 'utf8').toString('utf8');
}

/**
 * Decodes a text file: UTF-8 (a BOM is dropped). Throws ItemError for empty files, binary data (NUL bytes), UTF-16
 * and invalid UTF-8, and for files holding only whitespace.
 */
export function decodeTextFile(buf: Uint8Array): string {
  if (buf.length === 0) throw new ItemError('empty file');
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    throw new ItemError('UTF-16 text is not supported: save the file as UTF-8');
  }
  if (buf.indexOf(0) >= 0) throw new ItemError('binary file (contains NUL bytes), not text');
  if (!isUtf8(buf)) throw new ItemError('not valid UTF-8 text: save the file as UTF-8');
  let text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new ItemError('contains only whitespace');
  return text;
}
