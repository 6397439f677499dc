/**
 * The review grid's previews, host side. What an item looks like (or sounds like) is its modality plugin's business
 * (`thumbnail` and `media` in src/core/modalities/types.ts), reached through the lazily loaded engine bundle
 * (`previews`: src/extension/engine.ts), so a new modality needs no edit here. This file only resolves ids to files
 * inside the workspace (never a path from the webview) and shapes the answers:
 * - thumbnails, asked for in one batched request for the cells on screen: small pictures inlined as `data:` URLs, so
 *   a screenful costs one message instead of one webview resource load each (every such load goes through the
 *   webview's service worker and the workbench's file service, on the same renderer thread that draws the grid);
 *   pictures too big to inline come back as their webview URL (`imageBase` + path);
 * - media to play (audio clips): a `data:audio/…` URL of one item, by id.
 * No `vscode` import: tested under Node.
 */
import type { Item } from '../core/types';
import type { MediaClip, Thumbnail } from '../protocol/webview';
import { MAX_MEDIA_CHARS } from '../protocol/webview';
import { resolveInWorkspace } from './itemPaths';
import { previewWorker, type PreviewRunner } from './previewWorker';
import { loadEngine } from './session';

/** Files up to this size are inlined as data: URLs (base64: 4/3 of it in the message). */
export const INLINE_MAX_BYTES = 64 * 1024;

/**
 * The plugins' preview functions (from the engine bundle: `await loadEngine()`) and where they decode: `runner`, the
 * preview worker (./previewWorker.ts). Without one they decode on the calling thread (tests only: the extension
 * always gives it, since the host must not decode FLAC, MP3 or Ogg).
 */
export type Previews = Pick<typeof import('../core/modalities/preview'), 'itemThumbnail' | 'itemMedia'> & { runner?: PreviewRunner };

/** The engine's previews, decoding in the extension's preview worker: what the review grid and the map pass. */
export async function workerPreviews(): Promise<Previews> {
  const e = await loadEngine();
  return { itemThumbnail: e.itemThumbnail, itemMedia: e.itemMedia, runner: previewWorker() };
}

/** Encodes a workspace-relative POSIX path as URL path segments under `base`. */
export function fileUrl(base: string, relPath: string): string {
  return `${base.replace(/\/+$/, '')}/${relPath.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Thumbnails of `ids` (each at most once; unknown ids, items without a picture and unreadable files are left out).
 * `imageBase` is the webview URI of `root` (for files too big to inline); null = inline only.
 */
export async function readThumbnails(
  root: string,
  ids: readonly string[],
  getItem: (id: string) => Item | undefined,
  imageBase: string | null,
  previews: Previews,
  inlineMaxBytes = INLINE_MAX_BYTES,
): Promise<Thumbnail[]> {
  const unique = [...new Set(ids)];
  const out = await Promise.all(
    unique.map(async (id): Promise<Thumbnail | undefined> => {
      const item = getItem(id);
      if (!item) return undefined;
      let file: string;
      try {
        file = await resolveInWorkspace(root, item.path);
      } catch {
        return undefined;
      }
      const t = await previews.itemThumbnail(file, item, { maxBytes: inlineMaxBytes, runner: previews.runner });
      if (!t) return undefined;
      if ('file' in t) return imageBase ? { id, src: fileUrl(imageBase, item.path) } : undefined;
      return t.duration !== undefined ? { id, src: t.src, duration: t.duration } : { id, src: t.src };
    }),
  );
  return out.filter((t): t is Thumbnail => t !== undefined);
}

/** Most bytes of media inlined in one answer (base64 must stay under MAX_MEDIA_CHARS). */
export const MEDIA_MAX_BYTES = Math.floor((MAX_MEDIA_CHARS - 64) * 0.75);

/** The item `id` as something to play, or an Error a user can read (unknown item, not playable, unreadable). */
export async function readMedia(
  root: string,
  id: string,
  getItem: (id: string) => Item | undefined,
  previews: Previews,
  maxBytes = MEDIA_MAX_BYTES,
): Promise<MediaClip> {
  const item = getItem(id);
  if (!item) throw new Error(`${id} is not an item of the last scan`);
  const file = await resolveInWorkspace(root, item.path);
  const m = await previews.itemMedia(file, item, { maxBytes, runner: previews.runner });
  return {
    item: id,
    src: `data:${m.mime};base64,${Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString('base64')}`,
    duration: m.duration,
  };
}
