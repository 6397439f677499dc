/**
 * Windows BMP: the uncompressed kinds cameras, scanners and Paint write — 24- and 32-bit (BI_RGB, or BI_BITFIELDS
 * with the standard masks) and 1-, 4- and 8-bit palettes; bottom-up or top-down rows. Compressed BMPs (RLE, embedded
 * JPEG/PNG) are refused with a reason. Written from the format's header layout (BITMAPINFOHEADER and later).
 */
import { ItemError } from '../../dataset/errors';
import type { DecodedImage } from './decoded';

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  dataOffset: number;
  paletteOffset: number;
  paletteSize: number;
}

/** Parses and checks a BMP header (throws ItemError). */
export function probeBmp(b: Uint8Array): BmpHeader {
  if (b.length < 54) throw new ItemError('truncated BMP (file too short for a header)');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40) throw new ItemError('unsupported BMP (OS/2 header)');
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  let colors = dv.getUint32(46, true);
  if (width <= 0 || rawHeight === 0) throw new ItemError(`corrupt BMP: image size ${width}×${rawHeight}`);
  if (![1, 4, 8, 24, 32].includes(bpp)) throw new ItemError(`unsupported BMP: ${bpp} bits per pixel`);
  // 3 = BI_BITFIELDS: accepted for 32-bit with the usual 8-8-8 masks (checked below).
  if (compression !== 0 && !(compression === 3 && bpp === 32)) {
    throw new ItemError(`unsupported BMP compression (${compression === 1 || compression === 2 ? 'RLE' : compression}): re-save it as PNG`);
  }
  if (compression === 3) {
    const masks = headerSize >= 52 ? [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)] : [];
    if (masks.join() !== [0xff0000, 0xff00, 0xff].join()) throw new ItemError('unsupported BMP: unusual colour masks');
  }
  const height = Math.abs(rawHeight);
  if (bpp <= 8 && colors === 0) colors = 1 << bpp;
  const paletteOffset = 14 + headerSize;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > b.length) throw new ItemError('truncated BMP (less pixel data than its size says)');
  if (bpp <= 8 && paletteOffset + colors * 4 > dataOffset) throw new ItemError('corrupt BMP: palette overlaps the pixels');
  return { width, height, topDown: rawHeight < 0, bpp, dataOffset, paletteOffset, paletteSize: bpp <= 8 ? colors : 0 };
}

/** Decodes a BMP to RGB (alpha, where a 32-bit BMP has one, is dropped: most writers leave it 0). */
export function decodeBmp(b: Uint8Array, h: BmpHeader = probeBmp(b)): DecodedImage {
  const { width, height, bpp } = h;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    const o = y * width * 3;
    for (let x = 0; x < width; x++) {
      let p: number;
      if (bpp === 24 || bpp === 32) p = row + x * (bpp / 8);
      else {
        const bit = x * bpp;
        const idx = (b[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (idx >= h.paletteSize) throw new ItemError('corrupt BMP: colour index outside the palette');
        p = h.paletteOffset + idx * 4;
      }
      out[o + x * 3] = b[p + 2];
      out[o + x * 3 + 1] = b[p + 1];
      out[o + x * 3 + 2] = b[p];
    }
  }
  return { width, height, channels: 3, data: out };
}
