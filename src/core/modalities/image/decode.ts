/**
 * Images: cheap header validation at scan time (`probeImage`), full decoding (`decodeImage`, pngjs and jpeg-js, pure
 * JS), and conversion to model input (`toTensorData` floats in [0,1], `toUint8` bytes 0..255 — the compact cache
 * format): resize to size×size keeping the aspect (the longer side to `size`, the rest padded: letterbox; area
 * averaging when shrinking, bilinear when enlarging, per axis), gray↔RGB, alpha composited on white, layout HWC
 * (row-major, channels last).
 *
 * The file format is recognised by its signature, not its extension (a PNG saved as .jpg still decodes). Corrupt,
 * truncated, unsupported or oversized files throw `ItemError` with a reason a user can read.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { ItemError } from '../../dataset/errors';
import { decodeJpegScaled, jpegScaleFor } from './jpegScaled';
import type { DecodedImage } from './decoded';
import { decodeBmp, probeBmp } from './bmp';

export { ItemError } from '../../dataset/errors';

export type { DecodedImage } from './decoded';

/** What the file header says, without decoding pixels. channels as stored: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export interface ImageInfo {
  format: 'png' | 'jpeg' | 'bmp';
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** Images above this many pixels are refused (decoding them would need gigabytes). */
export const MAX_IMAGE_PIXELS = 100_000_000;
/** Memory cap handed to jpeg-js. */
const JPEG_MAX_MEMORY_MB = 1024;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Names a few common formats we do not read, for a better message than "not a PNG". */
function otherFormat(buf: Uint8Array): string | undefined {
  const ascii = (a: number, b: number) => Buffer.from(buf.subarray(a, b)).toString('latin1');
  if (buf.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'GIF';
  if (buf.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP';
  if (buf.length >= 12 && ascii(4, 8) === 'ftyp') return 'HEIC/AVIF';
  if (buf.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return 'TIFF';
  return undefined;
}

function checkDimensions(format: string, width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new ItemError(`corrupt ${format}: image size ${width}×${height}`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ItemError(`image too large: ${width}×${height} pixels (limit ${MAX_IMAGE_PIXELS / 1e6} megapixels)`);
  }
}

const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

function probePng(buf: Uint8Array): ImageInfo {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 33) throw new ItemError('truncated PNG (file too short for a header)');
  if (b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') throw new ItemError('corrupt PNG: missing IHDR header');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const depth = b[24];
  const colorType = b[25];
  if (!PNG_DEPTHS[colorType]) throw new ItemError(`corrupt PNG: unknown color type ${colorType}`);
  if (!PNG_DEPTHS[colorType].includes(depth)) throw new ItemError(`corrupt PNG: bit depth ${depth} with color type ${colorType}`);
  if (b[26] !== 0 || b[27] !== 0 || b[28] > 1) throw new ItemError('corrupt PNG: unknown compression, filter or interlace method');
  checkDimensions('PNG', width, height);
  // Every complete PNG ends with an IEND chunk (a few writers add bytes after it: look in the last 64 bytes).
  const tail = b.subarray(Math.max(33, b.length - 64));
  if (tail.lastIndexOf('IEND', undefined, 'latin1') < 0) throw new ItemError('truncated PNG (no IEND chunk at the end)');
  return { format: 'png', width, height, channels: PNG_CHANNELS[colorType] };
}

function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function probeJpeg(buf: Uint8Array): ImageInfo & { components: number; scanStart: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 2;
  let info: (ImageInfo & { components: number }) | undefined;
  for (;;) {
    if (i + 4 > b.length) throw new ItemError('truncated JPEG (ends inside its headers)');
    if (b[i] !== 0xff) throw new ItemError(`corrupt JPEG: expected a marker at byte ${i}`);
    const m = b[i + 1];
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (m === 0xd9) throw new ItemError('corrupt JPEG: no image data before the end marker');
    const len = b.readUInt16BE(i + 2);
    if (len < 2) throw new ItemError(`corrupt JPEG: bad segment length at byte ${i}`);
    if (i + 2 + len > b.length) throw new ItemError('truncated JPEG (ends inside its headers)');
    if (isSof(m)) {
      if (m !== 0xc0 && m !== 0xc1 && m !== 0xc2) {
        throw new ItemError(
          `unsupported JPEG type (${m === 0xc3 ? 'lossless' : m >= 0xc9 ? 'arithmetic coding' : 'hierarchical'}): re-save it as a baseline JPEG or PNG`,
        );
      }
      if (len < 8) throw new ItemError('corrupt JPEG: frame header too short');
      const precision = b[i + 4];
      const height = b.readUInt16BE(i + 5);
      const width = b.readUInt16BE(i + 7);
      const components = b[i + 9];
      if (precision !== 8) throw new ItemError(`unsupported JPEG: ${precision}-bit samples`);
      if (height === 0) throw new ItemError('unsupported JPEG: height defined later in the file (DNL)');
      checkDimensions('JPEG', width, height);
      if (components !== 1 && components !== 3 && components !== 4)
        throw new ItemError(`unsupported JPEG: ${components} colour components`);
      info = { format: 'jpeg', width, height, channels: components === 1 ? 1 : 3, components };
    }
    if (m === 0xda) {
      if (!info) throw new ItemError('corrupt JPEG: image data before the frame header');
      const scanStart = i + 2 + len;
      // A complete JPEG ends with an EOI marker (FF D9); entropy-coded data never contains FF D9, so searching the
      // tail after the first scan started is safe. Some writers pad after EOI: look in the last 4 KB.
      const from = Math.max(scanStart, b.length - 4096);
      if (b.subarray(from).lastIndexOf(Buffer.from([0xff, 0xd9])) < 0) throw new ItemError('truncated JPEG (no end-of-image marker)');
      return { ...info, scanStart };
    }
    i += 2 + len;
  }
}

/**
 * Validates an image cheaply from its bytes: signature, header dimensions and the end marker (catches most truncated
 * files). Throws ItemError when the file cannot be used.
 */
export function probeImage(buf: Uint8Array): ImageInfo {
  if (buf.length === 0) throw new ItemError('empty file');
  if (buf.length >= 8 && Buffer.from(buf.buffer, buf.byteOffset, 8).equals(PNG_SIGNATURE)) return probePng(buf);
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    const { format, width, height, channels } = probeJpeg(buf);
    return { format, width, height, channels };
  }
  if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) {
    const h = probeBmp(buf);
    checkDimensions('BMP', h.width, h.height);
    return { format: 'bmp', width: h.width, height: h.height, channels: 3 };
  }
  const other = otherFormat(buf);
  throw new ItemError(
    other ? `${other} images are not supported (convert to PNG or JPEG)` : 'not a PNG or JPEG file, nor a BMP (unknown signature)',
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Options for decodeImage. */
export interface DecodeOptions {
  /**
   * The image will be shrunk to this many pixels on each side: a JPEG at least 2× bigger on both sides is decoded at
   * 1/2, 1/4 or 1/8 of its size straight from its DCT coefficients (jpegScaled.ts), never smaller than minSize.
   */
  minSize?: number;
}

/** Decodes a PNG, JPEG or BMP file's bytes. `name` only labels error messages. Throws ItemError. */
export function decodeImage(buf: Uint8Array, name: string, opts: DecodeOptions = {}): DecodedImage {
  let info: ImageInfo;
  try {
    info = probeImage(buf);
  } catch (e) {
    if (e instanceof ItemError) throw new ItemError(e.reason, name);
    throw e;
  }
  try {
    if (info.format === 'png') return decodePng(buf);
    if (info.format === 'bmp') return decodeBmp(buf);
    const n = opts.minSize ? jpegScaleFor(info.width, info.height, opts.minSize) : 8;
    const scaled = n !== 8 ? decodeJpegScaled(buf, n) : undefined;
    return scaled ?? decodeJpeg(buf, info.channels === 1);
  } catch (e) {
    if (e instanceof ItemError) throw new ItemError(e.reason, name);
    throw new ItemError(`corrupt ${info.format.toUpperCase()} (${errorText(e)})`, name);
  }
}

function decodePng(buf: Uint8Array): DecodedImage {
  const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  const { width, height } = png;
  const rgba = png.data; // pngjs always returns 8-bit RGBA
  const n = width * height;
  if (rgba.length < n * 4) throw new ItemError('corrupt PNG (too little pixel data)');
  let alpha = false;
  for (let i = 3; i < n * 4; i += 4) {
    if (rgba[i] !== 255) {
      alpha = true;
      break;
    }
  }
  if (alpha) return { width, height, channels: 4, data: new Uint8Array(rgba.buffer, rgba.byteOffset, n * 4).slice() };
  // pngjs reports whether the stored image has colour; gray images come back with R = G = B.
  if (!png.color) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = rgba[i * 4];
    return { width, height, channels: 1, data };
  }
  const data = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    data[j] = rgba[i * 4];
    data[j + 1] = rgba[i * 4 + 1];
    data[j + 2] = rgba[i * 4 + 2];
  }
  return { width, height, channels: 3, data };
}

function decodeJpeg(buf: Uint8Array, gray: boolean): DecodedImage {
  const img = jpeg.decode(buf, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: true,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB,
  });
  const { width, height } = img;
  const n = width * height;
  if (img.data.length < n * 3) throw new ItemError('corrupt JPEG (too little pixel data)');
  if (gray) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = img.data[i * 3];
    return { width, height, channels: 1, data };
  }
  return { width, height, channels: 3, data: img.data.subarray(0, n * 3) };
}

// ───────────────────────────── resizing and conversion ─────────────────────────────

/** Resampling weights for one axis: output i = Σ_k w[i*K+k] · input[idx[i*K+k]]. */
interface AxisWeights {
  k: number;
  idx: Int32Array;
  w: Float32Array;
}

/** Area averaging when shrinking (each output pixel averages the input area it covers), bilinear otherwise. */
function axisWeights(n: number, m: number): AxisWeights {
  if (n === m) {
    const idx = new Int32Array(m);
    for (let i = 0; i < m; i++) idx[i] = i;
    return { k: 1, idx, w: new Float32Array(m).fill(1) };
  }
  if (n > m) {
    const scale = n / m;
    const k = Math.ceil(scale) + 1;
    const idx = new Int32Array(m * k);
    const w = new Float32Array(m * k);
    for (let i = 0; i < m; i++) {
      const a = i * scale;
      const b = Math.min(n, (i + 1) * scale);
      let t = 0;
      for (let j = Math.floor(a); j < b && t < k; j++) {
        const cover = Math.min(b, j + 1) - Math.max(a, j);
        if (cover <= 1e-9) continue;
        idx[i * k + t] = j;
        w[i * k + t] = cover / scale;
        t++;
      }
    }
    return { k, idx, w };
  }
  // Enlarging: bilinear with pixel centres aligned (half-pixel offset), clamped at the borders.
  const k = 2;
  const idx = new Int32Array(m * k);
  const w = new Float32Array(m * k);
  const scale = n / m;
  for (let i = 0; i < m; i++) {
    const x = Math.min(n - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    const j0 = Math.floor(x);
    const j1 = Math.min(n - 1, j0 + 1);
    const f = x - j0;
    idx[i * k] = j0;
    w[i * k] = 1 - f;
    idx[i * k + 1] = j1;
    w[i * k + 1] = f;
  }
  return { k, idx, w };
}

/** Converts to `channels` (1 or 3) as floats 0..255; alpha is composited on white; gray = Rec.601 luma. */
function convertChannels(img: DecodedImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const src = img.data;
  const out = new Float32Array(n * channels);
  const c = img.channels;
  for (let p = 0; p < n; p++) {
    let r: number, g: number, b: number;
    if (c === 1) {
      r = g = b = src[p];
    } else {
      r = src[p * c];
      g = src[p * c + 1];
      b = src[p * c + 2];
      if (c === 4) {
        const a = src[p * 4 + 3] / 255;
        const white = 255 * (1 - a);
        r = r * a + white;
        g = g * a + white;
        b = b * a + white;
      }
    }
    if (channels === 1) {
      out[p] = c === 1 ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      out[p * 3] = r;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = b;
    }
  }
  return out;
}

/**
 * The pad of a letterboxed image: white for an image with alpha (the colour its transparent pixels are composited
 * on, so that pad and transparent margins agree), else the mean colour of the image's border pixels (black around
 * white-on-black glyphs, white around scans, the frame's mean around a photo).
 */
function padColour(img: DecodedImage, src: Float32Array, c: number): Float32Array {
  const pad = new Float32Array(c);
  if (img.channels === 4) return pad.fill(255);
  const { width: w, height: h } = img;
  let count = 0;
  const add = (x: number, y: number) => {
    for (let ch = 0; ch < c; ch++) pad[ch] += src[(y * w + x) * c + ch];
    count++;
  };
  for (let x = 0; x < w; x++) {
    add(x, 0);
    if (h > 1) add(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    add(0, y);
    if (w > 1) add(w - 1, y);
  }
  for (let ch = 0; ch < c; ch++) pad[ch] /= count;
  return pad;
}

/**
 * size×size×channels floats in 0..255. The aspect is kept: the longer side is scaled to `size`, the shorter one in
 * proportion (at least 1 px), centred, and the rest padded (`padColour`).
 */
function resizeTo(img: DecodedImage, size: number, channels: 1 | 3): Float32Array {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`image size must be a positive integer, got ${size}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  const { width: w, height: h } = img;
  const src = convertChannels(img, channels);
  if (w === size && h === size) return src;
  const c = channels;
  const long = Math.max(w, h);
  const tw = w === h ? size : Math.max(1, Math.round((w * size) / long));
  const th = w === h ? size : Math.max(1, Math.round((h * size) / long));
  const letterboxed = tw !== size || th !== size;
  const ox = (size - tw) >> 1;
  const oy = (size - th) >> 1;
  const wx = axisWeights(w, tw);
  const wy = axisWeights(h, th);
  // Horizontal pass: h rows × tw columns.
  const tmp = new Float32Array(h * tw * c);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    const orow = y * tw * c;
    for (let x = 0; x < tw; x++) {
      for (let t = 0; t < wx.k; t++) {
        const wt = wx.w[x * wx.k + t];
        if (wt === 0) continue;
        const s = row + wx.idx[x * wx.k + t] * c;
        const o = orow + x * c;
        for (let ch = 0; ch < c; ch++) tmp[o + ch] += wt * src[s + ch];
      }
    }
  }
  // Vertical pass, into the centre of the padded square.
  const out = new Float32Array(size * size * c);
  if (letterboxed) {
    const pad = padColour(img, src, c);
    for (let p = 0; p < size * size; p++) for (let ch = 0; ch < c; ch++) out[p * c + ch] = pad[ch];
  }
  const stride = tw * c;
  for (let y = 0; y < th; y++) {
    const o = ((oy + y) * size + ox) * c;
    if (letterboxed) out.fill(0, o, o + stride);
    for (let t = 0; t < wy.k; t++) {
      const wt = wy.w[y * wy.k + t];
      if (wt === 0) continue;
      const s = wy.idx[y * wy.k + t] * stride;
      for (let x = 0; x < stride; x++) out[o + x] += wt * tmp[s + x];
    }
  }
  return out;
}

/** Model input: size×size×channels floats in [0,1], HWC. */
export function toTensorData(img: DecodedImage, size: number, channels: 1 | 3): Float32Array {
  const out = resizeTo(img, size, channels);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i] / 255));
  return out;
}

/** Same as toTensorData but as bytes 0..255 (compact cache format). */
export function toUint8(img: DecodedImage, size: number, channels: 1 | 3): Uint8Array {
  const f = resizeTo(img, size, channels);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(f[i])));
  return out;
}
