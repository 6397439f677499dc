/**
 * The review grid's previews of items, by their modality's plugin (`thumbnail`, `media` of src/core/modalities/types.ts):
 * what the extension reaches through the lazily loaded engine bundle (src/extension/engine.ts), so that a new modality
 * brings its own preview with no edit in src/extension. The caller resolves the item's file inside the workspace.
 */
import type { Item } from '../types';
import type { ItemMedia, ItemThumbnail, PreviewOptions } from './types';
import { modalityPlugins } from './index';

/** True if the item's modality draws a picture of it (else the grid shows its text). */
export function hasThumbnail(item: Item): boolean {
  return modalityPlugins[item.modality]?.thumbnail !== undefined;
}

/** True if the item's modality can play it in the grid. */
export function hasMedia(item: Item): boolean {
  return modalityPlugins[item.modality]?.media !== undefined;
}

/** The item's picture, or undefined (no picture for this modality, or unreadable). Never throws. */
export async function itemThumbnail(file: string, item: Item, o: PreviewOptions): Promise<ItemThumbnail | undefined> {
  const p = modalityPlugins[item.modality];
  if (!p?.thumbnail) return undefined;
  try {
    return await p.thumbnail(file, item, o);
  } catch {
    return undefined;
  }
}

/** The item as playable media; throws an Error a user can read when its modality has none or it cannot be read. */
export async function itemMedia(file: string, item: Item, o: PreviewOptions): Promise<ItemMedia> {
  const p = modalityPlugins[item.modality];
  if (!p?.media) throw new Error(`${item.id} is not something the grid can play (${item.modality})`);
  return p.media(file, item, o);
}
