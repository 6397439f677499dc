/**
 * Image augmentations for self-supervised pretraining, on plain typed arrays (no tensors, no allocation per image):
 * one random affine warp (random resized crop / zoom, translation, small rotation, optional horizontal flip, or an
 * exact k·90° rotation for the rotation pretext task) sampled bilinearly with edge clamping, then photometric jitter
 * (brightness, contrast, saturation for colour, Gaussian noise) and optional cut-out.
 *
 * Input pixels are HWC Uint8Array 0..255 (n images of size×size×channels, back to back; may be a view on a
 * SharedArrayBuffer). Output is Float32 in [0, 1], the same layout, written into a caller-owned batch buffer —
 * exactly the scale `pixelsToFloat` produces for embedding, so the encoder sees the same range in both.
 */
import { Rng } from '../../models/random';

/** A fixed table of standard normal deviates: per-pixel noise reads it at a random offset (far cheaper than
 * drawing a fresh normal for every pixel, and just as good for augmentation). */
const NOISE_TABLE_SIZE = 1 << 14;
let noiseTable: Float32Array | undefined;
function getNoiseTable(): Float32Array {
  if (!noiseTable) {
    const r = new Rng(12345);
    noiseTable = new Float32Array(NOISE_TABLE_SIZE);
    for (let i = 0; i < NOISE_TABLE_SIZE; i++) noiseTable[i] = r.normal();
  }
  return noiseTable;
}

export interface AugmentOptions {
  /** Range of the crop's area as a fraction of the image (values above 1 zoom out). */
  scale: [number, number];
  /** Range of the crop's aspect ratio (width / height). */
  ratio: [number, number];
  /** Largest rotation, in degrees, either way. */
  rotateDeg: number;
  /** Largest extra shift of the crop centre, as a fraction of the image side. */
  translate: number;
  /** Mirror left-right half of the time (natural photos, not digits or text). */
  flip: boolean;
  /** Brightness shift range (± of full scale). */
  brightness: number;
  /** Contrast factor range (1 ± this). */
  contrast: number;
  /** Saturation factor range (1 ± this); colour only. */
  saturation: number;
  /** Std of additive Gaussian noise (full scale = 1). */
  noise: number;
  /** Probability of blanking one random rectangle (cut-out). */
  cutout: number;
}

/** Strong augmentations for contrastive views. Flip is on for colour images, off for grayscale (digits, scans). */
export function contrastiveAugment(channels: 1 | 3): AugmentOptions {
  return {
    scale: [0.55, 1.15],
    ratio: [0.8, 1.25],
    rotateDeg: 15,
    translate: 0.12,
    flip: channels === 3,
    brightness: 0.2,
    contrast: 0.4,
    saturation: channels === 3 ? 0.5 : 0,
    noise: 0.05,
    cutout: 0.25,
  };
}

/** Mild augmentations used with the rotation task and for fine-tuning (labels must survive them). */
export function mildAugment(channels: 1 | 3): AugmentOptions {
  return {
    scale: [0.8, 1.1],
    ratio: [0.9, 1.1],
    rotateDeg: 8,
    translate: 0.08,
    flip: channels === 3,
    brightness: 0.1,
    contrast: 0.2,
    saturation: channels === 3 ? 0.2 : 0,
    noise: 0.02,
    cutout: 0,
  };
}

/** Converts images i..i+count of `pixels` to floats in [0, 1] (no augmentation). */
export function pixelsToFloat(pixels: Uint8Array, start: number, count: number, imageSize: number, out?: Float32Array): Float32Array {
  const len = count * imageSize;
  const dst = out ?? new Float32Array(len);
  const off = start * imageSize;
  for (let j = 0; j < len; j++) dst[j] = pixels[off + j] / 255;
  return dst;
}

/**
 * Writes an augmented copy of image `index` into `out` at `outOffset` (floats, HWC). `quarterTurns` (0..3) adds an
 * exact rotation by that many 90° turns clockwise on screen (the rotation pretext task's label).
 */
export function augmentImage(
  pixels: Uint8Array,
  index: number,
  size: number,
  channels: number,
  out: Float32Array,
  outOffset: number,
  opt: AugmentOptions,
  rng: Rng,
  quarterTurns = 0,
): void {
  const S = size;
  const C = channels;
  const base = index * S * S * C;
  // Crop in normalised coordinates [-1, 1]: half-sizes sx, sy, centre cx, cy.
  const area = rng.uniform(opt.scale[0], opt.scale[1]);
  const logR = rng.uniform(Math.log(opt.ratio[0]), Math.log(opt.ratio[1]));
  const r = Math.exp(logR);
  const sx = Math.sqrt(area * r);
  const sy = Math.sqrt(area / r);
  const slackX = Math.max(0, 1 - sx);
  const slackY = Math.max(0, 1 - sy);
  const cx = rng.uniform(-slackX, slackX) + rng.uniform(-opt.translate, opt.translate) * 2;
  const cy = rng.uniform(-slackY, slackY) + rng.uniform(-opt.translate, opt.translate) * 2;
  const theta = (rng.uniform(-opt.rotateDeg, opt.rotateDeg) * Math.PI) / 180 + (quarterTurns * Math.PI) / 2;
  const flip = opt.flip && rng.next() < 0.5 ? -1 : 1;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // source = centre + R(theta) · diag(flip·sx, sy) · p, p = output position in [-1, 1].
  const a11 = cos * sx * flip;
  const a12 = -sin * sy;
  const a21 = sin * sx * flip;
  const a22 = cos * sy;
  const half = S / 2;
  // Photometric parameters.
  const bright = rng.uniform(-opt.brightness, opt.brightness);
  const contrast = 1 + rng.uniform(-opt.contrast, opt.contrast);
  const sat = 1 + rng.uniform(-opt.saturation, opt.saturation);
  const noise = opt.noise;
  const table = getNoiseTable();
  let noiseAt = rng.int(NOISE_TABLE_SIZE);
  const noiseStep = 1 + 2 * rng.int(64); // odd step: visits the whole (power-of-two) table
  // Mean brightness of the source image (contrast pivots around it).
  let mean = 0;
  const n = S * S * C;
  for (let j = 0; j < n; j += 1) mean += pixels[base + j];
  mean /= n * 255;

  let o = outOffset;
  for (let v = 0; v < S; v++) {
    const py = (v + 0.5) / half - 1;
    for (let u = 0; u < S; u++) {
      const px = (u + 0.5) / half - 1;
      const qx = cx + a11 * px - a12 * py;
      const qy = cy - a21 * px + a22 * py;
      let fx = (qx + 1) * half - 0.5;
      let fy = (qy + 1) * half - 0.5;
      if (fx < 0) fx = 0;
      else if (fx > S - 1) fx = S - 1;
      if (fy < 0) fy = 0;
      else if (fy > S - 1) fy = S - 1;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = x0 + 1 < S ? x0 + 1 : x0;
      const y1 = y0 + 1 < S ? y0 + 1 : y0;
      const wx = fx - x0;
      const wy = fy - y0;
      const i00 = base + (y0 * S + x0) * C;
      const i01 = base + (y0 * S + x1) * C;
      const i10 = base + (y1 * S + x0) * C;
      const i11 = base + (y1 * S + x1) * C;
      for (let c = 0; c < C; c++) {
        const top = pixels[i00 + c] + (pixels[i01 + c] - pixels[i00 + c]) * wx;
        const bot = pixels[i10 + c] + (pixels[i11 + c] - pixels[i10 + c]) * wx;
        out[o + c] = (top + (bot - top) * wy) / 255;
      }
      if (C === 3 && sat !== 1) {
        const g = 0.299 * out[o] + 0.587 * out[o + 1] + 0.114 * out[o + 2];
        for (let c = 0; c < 3; c++) out[o + c] = g + (out[o + c] - g) * sat;
      }
      for (let c = 0; c < C; c++) {
        let val = (out[o + c] - mean) * contrast + mean + bright;
        if (noise > 0) {
          val += noise * table[noiseAt];
          noiseAt = (noiseAt + noiseStep) & (NOISE_TABLE_SIZE - 1);
        }
        out[o + c] = val < 0 ? 0 : val > 1 ? 1 : val;
      }
      o += C;
    }
  }
  if (opt.cutout > 0 && rng.next() < opt.cutout) {
    const w = 1 + rng.int(Math.max(1, Math.floor(S / 3)));
    const h = 1 + rng.int(Math.max(1, Math.floor(S / 3)));
    const x = rng.int(S - w + 1);
    const y = rng.int(S - h + 1);
    const fill = mean;
    for (let v = y; v < y + h; v++) {
      for (let u = x; u < x + w; u++) {
        const k = outOffset + (v * S + u) * C;
        for (let c = 0; c < C; c++) out[k + c] = fill;
      }
    }
  }
}
