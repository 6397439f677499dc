/**
 * Decoded images (HWC Uint8Array, n × size × size × channels) at a smaller side that divides theirs: each output pixel
 * the rounded mean of its f × f block (f = size / side), by the decoder's own area resampling (decode.ts `toUint8`).
 * The encoder may train at a smaller side than the images are decoded at (geometry.ts `pretrainSide`); what runs that
 * encoder later (embedding, fine-tuning from it, its logits) shrinks the images to the side the saved network takes
 * (`toNetworkSide`).
 */
import { toUint8 } from './decode';

export interface PixelGeometry {
  pixels: Uint8Array;
  n: number;
  size: number;
  channels: 1 | 3;
}

/** `g` at `side` × `side` (the same object when `side` is its own); throws unless `side` divides `g.size`. */
export function shrinkImages(g: PixelGeometry, side: number): PixelGeometry {
  if (side === g.size) return g;
  if (!Number.isInteger(side) || side < 1 || g.size % side !== 0) {
    throw new Error(`cannot shrink ${g.size}×${g.size} images to ${side}×${side}: the side must divide ${g.size}`);
  }
  const C = g.channels;
  const inPer = g.size * g.size * C;
  const outPer = side * side * C;
  if (g.pixels.length < g.n * inPer) throw new Error(`pixels hold ${g.pixels.length} bytes, need ${g.n * inPer}`);
  const out = new Uint8Array(g.n * outPer);
  for (let i = 0; i < g.n; i++) {
    // The decoder's own area resampling: a side that divides the image's averages whole f × f blocks.
    const img = { width: g.size, height: g.size, channels: C, data: g.pixels.subarray(i * inPer, (i + 1) * inPer) };
    out.set(toUint8(img, side, C), i * outPer);
  }
  return { pixels: out, n: g.n, size: side, channels: C };
}

/**
 * `g` at the side of a saved network whose input is `shape` ([batch, side, side, channels]): shrunk when that side
 * divides the images' (an encoder pretrained at a smaller side), unchanged otherwise — the caller's own check then
 * reports a network made for other images.
 */
export function toNetworkSide(g: PixelGeometry, shape: readonly (number | null)[]): PixelGeometry {
  const side = shape[1];
  if (typeof side !== 'number' || shape[2] !== side || shape[3] !== g.channels) return g;
  if (side < g.size && g.size % side === 0) return shrinkImages(g, side);
  return g;
}
