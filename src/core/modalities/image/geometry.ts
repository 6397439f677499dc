/**
 * The model's input geometry for a pool of images: the side (square, the image letterboxed into it: see
 * ./decode.ts `toUint8`) and the channels, from the settings `imageSize` / `channels` or, for `auto`, from the data
 * and a time budget:
 * - side: the median over the pool of each image's longer side, clamped to AUTO_MIN_SIDE..cap, where the cap is
 *   AUTO_MAX_SIDE for pools whose images × side² fit in AUTO_PIXEL_BUDGET and shrinks (in steps of 8, not under 32)
 *   for larger pools — 28×28 digits stay 28, 48 px icons are 48, photos are 64 up to 15,000 of them and 32 at 60,000;
 * - channels: 3 when any image has colour (RGB or RGBA), else 1.
 * The pretext tasks and the encoder may run at a smaller side than the one the images are decoded at (`pretrainSide`):
 * half, while the pool's values at that side are over AUTO_PIXEL_BUDGET and the half stays ≥ AUTO_LARGE_POOL_SIDE.
 * A leaf (no imports but types), shared by the engine (Project) and the bench's baselines.
 */
import type { Item } from '../../types';

/** Largest side the automatic rule picks. */
export const AUTO_MAX_SIDE = 64;
/** Smallest side (the encoder needs 8). */
export const AUTO_MIN_SIDE = 8;
/** The cap never goes under this side for large pools (the size before session 9). */
export const AUTO_LARGE_POOL_SIDE = 32;
/** Images × side² the automatic side may cost: a 60,000-image pool at 32 px (the MNIST bench's budget). */
export const AUTO_PIXEL_BUDGET = 60_000 * 32 * 32;

export interface ImageGeometry {
  size: number;
  channels: 1 | 3;
}

/** The input side and channels for `items` under the settings (see the file's comment). */
export function inputGeometry(
  items: readonly Pick<Item, 'width' | 'height' | 'channels'>[],
  imageSize: number | 'auto' = 'auto',
  channels: 1 | 3 | 'auto' = 'auto',
): ImageGeometry {
  let size = 32;
  if (imageSize !== 'auto') size = imageSize;
  else {
    const sides = items
      .map((it) => Math.max(it.width ?? 0, it.height ?? 0))
      .filter((s) => s > 0)
      .sort((a, b) => a - b);
    const budget = Math.floor(Math.sqrt(AUTO_PIXEL_BUDGET / Math.max(1, items.length)) / 8) * 8;
    const cap = Math.max(AUTO_LARGE_POOL_SIDE, Math.min(AUTO_MAX_SIDE, budget));
    if (sides.length) size = Math.min(cap, Math.max(AUTO_MIN_SIDE, sides[Math.floor(sides.length / 2)]));
  }
  const ch: 1 | 3 = channels !== 'auto' ? channels : items.some((it) => it.channels === 3 || it.channels === 4) ? 3 : 1;
  return { size, channels: ch };
}

/**
 * The side the self-supervised encoder trains and embeds at, for n images decoded at `size` × `size` × `channels`:
 * `size` halved while n × side² × channels is over AUTO_PIXEL_BUDGET (the values MNIST's 60,000 28×28 digits fit in)
 * and the half is even-sized down from an even side and not under AUTO_LARGE_POOL_SIDE. So MNIST, the icons and any
 * grayscale pool keep their side, and a 9,239-image 64×64 colour folder pretrains at 32×32 (measured on Papirus, seed
 * 1: the 64 px encoder took 957 s of a 1,547 s run and its embeddings' head was last of the candidates at 50% of the
 * held-out labels). The candidates that learn the labels (the scratch networks, the pixels' HOG) keep the full side.
 */
export function pretrainSide(n: number, size: number, channels: number): number {
  let side = size;
  while (side % 2 === 0 && side / 2 >= AUTO_LARGE_POOL_SIDE && n * side * side * channels > AUTO_PIXEL_BUDGET) side /= 2;
  return side;
}
