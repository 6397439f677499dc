/**
 * Thumbnails for the review grid, host side. The grid asks for the images of the cells on screen in one batched
 * request; small files (MNIST digits, icons, most scans: up to {@link INLINE_MAX_BYTES}) come back inlined as
 * `data:` URLs, so a screenful of thumbnails costs one message instead of one webview resource load each — every
 * such load goes through the webview's service worker and the workbench's file service, on the same renderer thread
 * that draws the grid, which is what made scrolling 10,000 proposals stutter. Bigger files come back as their
 * webview URL (`imageBase` + path), as before. No `vscode` import: tested under Node.
 */
import * as fs from 'node:fs/promises';
import type { Item } from '../core/types';
import type { Thumbnail } from '../protocol/webview';
import { resolveInWorkspace } from './itemPaths';

/** Files up to this size are inlined as data: URLs (base64: 4/3 of it in the message). */
export const INLINE_MAX_BYTES = 64 * 1024;

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

/** Encodes a workspace-relative POSIX path as URL path segments under `base`. */
export function fileUrl(base: string, relPath: string): string {
  return `${base.replace(/\/+$/, '')}/${relPath.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Thumbnails of `ids` (each at most once; unknown ids, non-image items and unreadable files are left out).
 * `imageBase` is the webview URI of `root` (for files too big to inline); null = inline only.
 */
export async function readThumbnails(
  root: string,
  ids: readonly string[],
  getItem: (id: string) => Item | undefined,
  imageBase: string | null,
  inlineMaxBytes = INLINE_MAX_BYTES,
): Promise<Thumbnail[]> {
  const unique = [...new Set(ids)];
  const out = await Promise.all(
    unique.map(async (id): Promise<Thumbnail | undefined> => {
      const item = getItem(id);
      if (!item || item.kind !== 'image') return undefined;
      const mime = imageMime(item.path);
      if (!mime) return undefined;
      const url = imageBase ? fileUrl(imageBase, item.path) : undefined;
      if (item.size > inlineMaxBytes) return url ? { id, src: url } : undefined;
      try {
        const file = await resolveInWorkspace(root, item.path);
        const bytes = await fs.readFile(file);
        // The file grew since the scan: do not inline a big file.
        if (bytes.length > inlineMaxBytes) return url ? { id, src: url } : undefined;
        return { id, src: `data:${mime};base64,${bytes.toString('base64')}` };
      } catch {
        return undefined;
      }
    }),
  );
  return out.filter((t): t is Thumbnail => t !== undefined);
}
