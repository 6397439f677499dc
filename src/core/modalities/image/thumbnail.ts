/**
 * The image modality's picture in the review grid: the file itself. A small file (up to the caller's `maxBytes`: MNIST
 * digits, icons, most scans) comes back inlined as a `data:` URL, so a screenful of thumbnails costs one message; a
 * bigger one as `{ file: true }`, for the host to hand the webview the file's own URL. Formats a webview can show
 * only (GIF, WebP and BMP included, whether or not the scan reads them).
 */
import * as fs from 'node:fs/promises';
import type { Item } from '../../types';
import type { ItemThumbnail, PreviewOptions } from '../types';

const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

/** The image MIME type of a path by its extension, or undefined. */
export function imageMime(relPath: string): string | undefined {
  const m = /\.([a-z0-9]+)$/i.exec(relPath);
  return m ? MIME[m[1].toLowerCase()] : undefined;
}

export async function imageThumbnail(file: string, item: Item, o: PreviewOptions): Promise<ItemThumbnail | undefined> {
  const mime = imageMime(item.path);
  if (!mime) return undefined;
  if (item.size > o.maxBytes) return { file: true };
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file, { signal: o.signal });
  } catch {
    return undefined;
  }
  // The file grew since the scan: do not inline a big file.
  if (bytes.length > o.maxBytes) return { file: true };
  return { src: `data:${mime};base64,${bytes.toString('base64')}` };
}
