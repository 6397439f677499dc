/**
 * A JPEG decoder that shrinks on load: it decodes each 8×8 block straight to N×N pixels (N = 1, 2 or 4) from the
 * block's lowest N×N DCT coefficients, so a 4000×3000 photo becomes 500×375 (N = 1: the DC term only, the block's
 * mean) without ever building the full-size image. Chroma planes subsampled by 2 (4:2:0, 4:2:2) are decoded at twice
 * N, so every plane comes out at the output size and no upsampling is needed. Baseline and progressive Huffman JPEGs,
 * 1 (gray) or 3 (YCbCr or Adobe RGB) components. What it does not handle (CMYK, odd sampling factors) it reports as
 * `undefined`, and the caller decodes the whole image instead.
 *
 * Memory: baseline images are decoded MCU by MCU into the scaled planes; progressive images keep one Int16 coefficient
 * array per component until the last scan, with only the coefficients the scaled IDCT needs (or a refinement scan of
 * their band touches): at 1/8, 2 bytes per luma block. Progressive scans of bands the IDCT never reads are skipped.
 *
 * Written from the JPEG standard (ITU T.81: Annex F Huffman decoding, Annex G progressive), with the scaled inverse
 * DCT idea of libjpeg's jidctred/jidctint: an N-point inverse DCT of the low N coefficients, same per-axis scaling.
 */
import { ItemError } from '../../src/core/dataset/errors';
import type { DecodedImage } from '../../src/core/modalities/image/decoded';

/** Zigzag index → natural (row-major) index in the 8×8 block. */
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

const LOOKAHEAD = 9;

interface Huffman {
  /** (length << 8) | symbol for codes of ≤ LOOKAHEAD bits, 0 when the code is longer. */
  fast: Uint16Array;
  maxcode: Int32Array;
  mincode: Int32Array;
  valptr: Int32Array;
  values: Uint8Array;
  /**
   * For AC tables: a code and its value bits together in ≤ LOOKAHEAD bits, read in one step:
   * (value << 16) | (run << 8) | total bits; 0 when they do not fit.
   */
  fastAc: Int32Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const mincode = new Int32Array(17);
  const valptr = new Int32Array(17);
  const fast = new Uint16Array(1 << LOOKAHEAD);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = k;
    mincode[l] = code;
    for (let i = 0; i < counts[l - 1]; i++, k++, code++) {
      if (code >= 1 << l) throw new ItemError('corrupt JPEG: bad Huffman table');
      if (l <= LOOKAHEAD) {
        const shift = LOOKAHEAD - l;
        const base = code << shift;
        for (let j = 0; j < 1 << shift; j++) fast[base + j] = (l << 8) | values[k];
      }
    }
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff; // sentinel: the slow path stops here
  const fastAc = new Int32Array(1 << LOOKAHEAD);
  for (let i = 0; i < 1 << LOOKAHEAD; i++) {
    const e = fast[i];
    if (e === 0) continue;
    const len = e >> 8;
    const rs = e & 0xff;
    const size = rs & 15;
    if (size === 0 || len + size > LOOKAHEAD) continue;
    const raw = (i >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
    const value = raw < 1 << (size - 1) ? raw - (1 << size) + 1 : raw;
    fastAc[i] = (value << 16) | ((rs >> 4) << 8) | (len + size);
  }
  return { fast, maxcode, mincode, valptr, values, fastAc };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Output pixels per block, horizontally and vertically (1, 2, 4 or 8). */
  nx: number;
  ny: number;
  /** Blocks per line / column as padded to whole MCUs, and as the component really has. */
  bpl: number;
  bpc: number;
  realBpl: number;
  realBpc: number;
  plane: Uint8Array;
  planeWidth: number;
  /**
   * Progressive only: coefficients in zigzag order, `stride` per block — the indices below `stride`, the highest any
   * decoded scan of this component writes (scans of coefficients the scaled IDCT never reads are skipped unread).
   */
  coefs?: Int16Array;
  stride: number;
  /**
   * Progressive only: per zigzag index, whether its scans are decoded — the kept coefficients, and every index of a
   * band a decoded scan shares with them (a refinement scan reads the history of its whole band).
   */
  decoded: Uint8Array;
  dcTable?: Huffman;
  acTable?: Huffman;
  pred: number;
  /** Per zigzag index: whether this coefficient feeds the scaled IDCT. */
  keep: Uint8Array;
  /** The zigzag indices kept, in order. */
  keepList: Uint8Array;
}

/** Per-axis N-point inverse DCT tables for the low N coefficients: T[m*8 + k], JPEG's ½·C(k) scaling. */
const IDCT_TABLES: Record<number, Float32Array> = {};
for (const n of [1, 2, 4, 8]) {
  const t = new Float32Array(n * 8);
  for (let m = 0; m < n; m++) {
    for (let k = 0; k < n; k++) t[m * 8 + k] = (k === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * m + 1) * k * Math.PI) / (2 * n));
  }
  IDCT_TABLES[n] = t;
}

class Reader {
  pos: number;
  bits = 0;
  count = 0;
  /** Zero bytes fed after a marker or the end of the data; many of them means the scan's data ended early. */
  padding = 0;
  constructor(
    readonly data: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }
  fill(): void {
    const d = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (this.padding === 0 && this.pos < d.length) {
        byte = d[this.pos];
        if (byte === 0xff) {
          const next = d[this.pos + 1];
          if (next === 0) this.pos += 2;
          else if (next === 0xff) {
            this.pos++; // a fill byte before a marker
            continue;
          } else {
            byte = 0;
            this.padding = 1;
          }
        } else this.pos++;
      } else if (++this.padding > 4096) throw new ItemError('corrupt JPEG (entropy-coded data ends early)');
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }
  getBits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }
  bit(): number {
    if (this.count < 1) this.fill();
    this.count--;
    return (this.bits >>> this.count) & 1;
  }
  decode(h: Huffman): number {
    if (this.count < 16) this.fill();
    const e = h.fast[(this.bits >>> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (e !== 0) {
      this.count -= e >> 8;
      return e & 0xff;
    }
    let l = LOOKAHEAD + 1;
    let code = (this.bits >>> (this.count - l)) & ((1 << l) - 1);
    while (code > h.maxcode[l]) {
      l++;
      if (l > 16) throw new ItemError('corrupt JPEG: bad Huffman code');
      code = (this.bits >>> (this.count - l)) & ((1 << l) - 1);
    }
    this.count -= l;
    return h.values[h.valptr[l] + code - h.mincode[l]];
  }
  skip(n: number): void {
    if (this.count < n) this.fill();
    this.count -= n;
  }
  extend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) throw new ItemError('corrupt JPEG: coefficient out of range');
    const v = this.getBits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }
  /** At a restart interval: drop the buffered bits and step over the RSTn marker. */
  restart(): void {
    this.bits = 0;
    this.count = 0;
    this.padding = 0;
    const d = this.data;
    while (this.pos + 1 < d.length && !(d[this.pos] === 0xff && d[this.pos + 1] >= 0xd0 && d[this.pos + 1] <= 0xd7)) this.pos++;
    if (this.pos + 1 >= d.length) throw new ItemError('truncated JPEG (missing restart marker)');
    this.pos += 2;
  }
  /** After a scan: the position of the next marker. */
  nextMarker(): number {
    return markerAfter(this.data, this.pos);
  }
}

/** The position of the first marker at or after `p` in entropy-coded data (stuffed zeros, fill bytes and RSTn are data). */
function markerAfter(d: Uint8Array, p: number): number {
  while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1] !== 0 && !(d[p + 1] >= 0xd0 && d[p + 1] <= 0xd7) && d[p + 1] !== 0xff)) p++;
  return p;
}

/** One scan header of a progressive JPEG: its component ids and spectral band. */
interface ScanBand {
  ids: number[];
  ss: number;
  se: number;
}

/**
 * The scans of a JPEG from byte `p` (after its frame header) to the end-of-image marker, read from their headers
 * only (the entropy-coded data is stepped over). Undefined when the marker structure does not parse to the end: then
 * the caller keeps every coefficient and lets the decoding report what is wrong.
 */
function scanBands(d: Uint8Array, p: number): ScanBand[] | undefined {
  const out: ScanBand[] = [];
  while (p + 1 < d.length) {
    if (d[p] !== 0xff) return undefined;
    const m = d[p + 1];
    if (m === 0xd9) return out;
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2;
      continue;
    }
    if (p + 4 > d.length) return undefined;
    const end = p + 2 + ((d[p + 2] << 8) | d[p + 3]);
    if (end > d.length) return undefined;
    if (m !== 0xda) {
      p = end;
      continue;
    }
    const ns = d[p + 4];
    const sp = p + 5 + ns * 2;
    if (sp + 2 > end) return undefined;
    out.push({ ids: Array.from({ length: ns }, (_, i) => d[p + 5 + i * 2]), ss: d[sp], se: d[sp + 1] });
    p = markerAfter(d, end);
  }
  return undefined;
}

/** The scaled IDCT of one block's dequantized coefficients (natural order) into the plane. */
function idctBlock(c: Component, blk: Float32Array, tmp: Float32Array, bx: number, by: number): void {
  const { nx, ny, plane, planeWidth } = c;
  const x0 = bx * nx;
  const y0 = by * ny;
  if (nx === 1 && ny === 1) {
    const v = Math.round(blk[0] / 8 + 128);
    plane[y0 * planeWidth + x0] = v < 0 ? 0 : v > 255 ? 255 : v;
    return;
  }
  const tx = IDCT_TABLES[nx];
  const ty = IDCT_TABLES[ny];
  // Rows: tmp[ky*8 + mx] = Σ_kx tx[mx][kx] · blk[ky*8 + kx]
  for (let ky = 0; ky < ny; ky++) {
    for (let mx = 0; mx < nx; mx++) {
      let s = 0;
      for (let kx = 0; kx < nx; kx++) s += tx[mx * 8 + kx] * blk[ky * 8 + kx];
      tmp[ky * 8 + mx] = s;
    }
  }
  for (let my = 0; my < ny; my++) {
    const row = (y0 + my) * planeWidth + x0;
    for (let mx = 0; mx < nx; mx++) {
      let s = 0;
      for (let ky = 0; ky < ny; ky++) s += ty[my * 8 + ky] * tmp[ky * 8 + mx];
      const v = Math.round(s + 128);
      plane[row + mx] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** The output scale (8 = full size) for an image to be shrunk to at least `minSize` pixels on each side. */
export function jpegScaleFor(width: number, height: number, minSize: number): 1 | 2 | 4 | 8 {
  for (const n of [1, 2, 4] as const) {
    if (Math.floor((width * n) / 8) >= minSize && Math.floor((height * n) / 8) >= minSize) return n;
  }
  return 8;
}

/**
 * Decodes a JPEG at scale n/8 (n = 1, 2 or 4): the result is ceil(width·n/8) × ceil(height·n/8). Returns undefined
 * for JPEGs this decoder does not handle (the caller then decodes at full size). Throws ItemError on corrupt data.
 */
export function decodeJpegScaled(buf: Uint8Array, n: 1 | 2 | 4): DecodedImage | undefined {
  const d = buf;
  const u16 = (p: number) => (d[p] << 8) | d[p + 1];
  const qt: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  const comps: Component[] = [];
  let width = 0;
  let height = 0;
  let progressive = false;
  let frame = false;
  let restartInterval = 0;
  let adobeTransform = -1;
  let mcusPerLine = 0;
  let mcusPerColumn = 0;
  let eobrun = 0;
  const blk = new Float32Array(64);
  const tmp = new Float32Array(64);

  const decodeBaselineBlock = (r: Reader, c: Component, bx: number, by: number) => {
    const t = r.decode(c.dcTable!);
    c.pred += r.extend(t);
    const q = qt[c.tq];
    const keep = c.keep;
    blk[0] = c.pred * q[0];
    const ac = c.acTable!;
    const fastAc = ac.fastAc;
    for (let k = 1; k < 64;) {
      if (r.count < 16) r.fill();
      const f = fastAc[(r.bits >>> (r.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
      if (f !== 0) {
        r.count -= f & 0xff;
        k += (f >> 8) & 0xff;
        if (k < 64 && keep[k]) blk[ZIGZAG[k]] = (f >> 16) * q[k];
        k++;
        continue;
      }
      const rs = r.decode(ac);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run !== 15) break;
        k += 16;
        continue;
      }
      k += run;
      if (k < 64 && keep[k]) blk[ZIGZAG[k]] = r.extend(s) * q[k];
      else r.skip(s);
      k++;
    }
    idctBlock(c, blk, tmp, bx, by);
    const kl = c.keepList;
    for (let i = 0; i < kl.length; i++) blk[ZIGZAG[kl[i]]] = 0;
  };

  const decodeProgressiveBlock = (r: Reader, c: Component, off: number, ss: number, se: number, ah: number, al: number) => {
    const co = c.coefs!;
    if (ss === 0) {
      if (ah === 0) {
        c.pred += r.extend(r.decode(c.dcTable!));
        co[off] = c.pred * (1 << al);
      } else if (r.bit()) co[off] |= 1 << al;
      return;
    }
    const ac = c.acTable!;
    if (ah === 0) {
      if (eobrun > 0) {
        eobrun--;
        return;
      }
      for (let k = ss; k <= se;) {
        const rs = r.decode(ac);
        const s = rs & 15;
        const run = rs >> 4;
        if (s === 0) {
          if (run < 15) {
            eobrun = (1 << run) - 1 + r.getBits(run);
            break;
          }
          k += 16;
          continue;
        }
        k += run;
        if (k > 63) throw new ItemError('corrupt JPEG: coefficient index out of range');
        co[off + k] = r.extend(s) * (1 << al);
        k++;
      }
      return;
    }
    // AC refinement (T.81 G.1.2.3).
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const rs = r.decode(ac);
        let run = rs >> 4;
        let s = rs & 15;
        if (s !== 0) {
          if (s !== 1) throw new ItemError('corrupt JPEG: bad refinement coefficient');
          s = r.bit() ? p1 : m1;
        } else if (run !== 15) {
          eobrun = (1 << run) + r.getBits(run);
          break;
        }
        while (k <= se) {
          const i = off + k;
          if (co[i] !== 0) {
            if (r.bit() && (co[i] & p1) === 0) co[i] += co[i] >= 0 ? p1 : m1;
          } else if (--run < 0) break;
          k++;
        }
        if (s !== 0 && k <= se) co[off + k] = s;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const i = off + k;
        if (co[i] !== 0 && r.bit() && (co[i] & p1) === 0) co[i] += co[i] >= 0 ? p1 : m1;
      }
      eobrun--;
    }
  };

  let p = 2;
  for (;;) {
    if (p + 2 > d.length) throw new ItemError('truncated JPEG (no end-of-image marker)');
    if (d[p] !== 0xff) throw new ItemError(`corrupt JPEG: expected a marker at byte ${p}`);
    const m = d[p + 1];
    if (m === 0xff) {
      p++;
      continue;
    }
    if (m === 0xd9) break;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2;
      continue;
    }
    if (p + 4 > d.length) throw new ItemError('truncated JPEG (ends inside its headers)');
    const len = u16(p + 2);
    const seg = p + 4;
    const end = p + 2 + len;
    if (len < 2 || end > d.length) throw new ItemError('truncated JPEG (ends inside a segment)');
    if (m === 0xdb) {
      for (let i = seg; i < end;) {
        const pq = d[i] >> 4;
        const tq = d[i] & 15;
        const t = new Int32Array(64);
        for (let k = 0; k < 64; k++) t[k] = pq ? u16(i + 1 + 2 * k) : d[i + 1 + k];
        qt[tq] = t;
        i += 1 + 64 * (pq ? 2 : 1);
      }
    } else if (m === 0xc4) {
      for (let i = seg; i < end;) {
        const tc = d[i] >> 4;
        const th = d[i] & 15;
        const counts = d.subarray(i + 1, i + 17);
        let total = 0;
        for (let k = 0; k < 16; k++) total += counts[k];
        if (i + 17 + total > end) throw new ItemError('corrupt JPEG: Huffman table overruns its segment');
        const h = buildHuffman(counts, d.subarray(i + 17, i + 17 + total));
        (tc === 0 ? dcTables : acTables)[th] = h;
        i += 17 + total;
      }
    } else if (m === 0xdd) {
      restartInterval = u16(seg);
    } else if (m === 0xee) {
      if (len >= 12 && String.fromCharCode(d[seg], d[seg + 1], d[seg + 2], d[seg + 3], d[seg + 4]) === 'Adobe')
        adobeTransform = d[seg + 11];
    } else if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m !== 0xc0 && m !== 0xc1 && m !== 0xc2) return undefined; // lossless, arithmetic, hierarchical
      if (frame) throw new ItemError('corrupt JPEG: two frame headers');
      frame = true;
      progressive = m === 0xc2;
      height = u16(seg + 1);
      width = u16(seg + 3);
      const nc = d[seg + 5];
      if (nc !== 1 && nc !== 3) return undefined; // CMYK / YCCK: decoded at full size elsewhere
      for (let i = 0; i < nc; i++) {
        const b = seg + 6 + i * 3;
        const h = d[b + 1] >> 4;
        const v = d[b + 1] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw new ItemError('corrupt JPEG: bad sampling factors');
        comps.push({
          id: d[b],
          h,
          v,
          tq: d[b + 2] & 3,
          nx: 0,
          ny: 0,
          bpl: 0,
          bpc: 0,
          realBpl: 0,
          realBpc: 0,
          plane: new Uint8Array(0),
          planeWidth: 0,
          pred: 0,
          keep: new Uint8Array(64),
          keepList: new Uint8Array(0),
          stride: 64,
          decoded: new Uint8Array(64).fill(1),
        });
      }
      if (nc === 1) comps[0].h = comps[0].v = 1; // a lone component is never interleaved: its factors do not matter
      const hmax = Math.max(...comps.map((c) => c.h));
      const vmax = Math.max(...comps.map((c) => c.v));
      mcusPerLine = Math.ceil(width / (8 * hmax));
      mcusPerColumn = Math.ceil(height / (8 * vmax));
      for (const c of comps) {
        if (hmax % c.h !== 0 || vmax % c.v !== 0) return undefined;
        c.nx = (n * hmax) / c.h;
        c.ny = (n * vmax) / c.v;
        if (c.nx > 8 || c.ny > 8) return undefined;
        c.bpl = mcusPerLine * c.h;
        c.bpc = mcusPerColumn * c.v;
        c.realBpl = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
        c.realBpc = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
        c.planeWidth = c.bpl * c.nx;
        c.plane = new Uint8Array(c.planeWidth * c.bpc * c.ny);
        for (let k = 0; k < 64; k++) c.keep[k] = ZIGZAG[k] >> 3 < c.ny && (ZIGZAG[k] & 7) < c.nx ? 1 : 0;
        c.keepList = Uint8Array.from({ length: 64 }, (_, k) => k).filter((k) => c.keep[k] === 1);
      }
      if (progressive) {
        // Decode only the scans whose bands reach a kept coefficient (closed over shared bands, since a refinement
        // scan needs the history of its whole band), and store per block only up to the last index they write: at
        // 1/8 a luma block keeps its DC alone and every luma AC scan is skipped below without decoding.
        const bands = scanBands(d, end);
        for (const c of comps) {
          if (bands) {
            const mine = bands.filter((b) => b.ids.includes(c.id) && b.ss <= b.se && b.se < 64);
            c.decoded = Uint8Array.from(c.keep);
            for (let grew = true; grew;) {
              grew = false;
              for (const b of mine) {
                if (!c.decoded.subarray(b.ss, b.se + 1).includes(1) || !c.decoded.subarray(b.ss, b.se + 1).includes(0)) continue;
                c.decoded.fill(1, b.ss, b.se + 1);
                grew = true;
              }
            }
          }
          c.stride = c.decoded.lastIndexOf(1) + 1;
          c.coefs = new Int16Array(c.bpl * c.bpc * c.stride);
        }
      }
    } else if (m === 0xda) {
      if (!frame) throw new ItemError('corrupt JPEG: image data before the frame header');
      const ns = d[seg];
      const scomps: Component[] = [];
      for (let i = 0; i < ns; i++) {
        const id = d[seg + 1 + i * 2];
        const c = comps.find((x) => x.id === id);
        if (!c) throw new ItemError('corrupt JPEG: scan names an unknown component');
        const t = d[seg + 2 + i * 2];
        c.dcTable = dcTables[t >> 4];
        c.acTable = acTables[t & 15];
        scomps.push(c);
      }
      const sp = seg + 1 + ns * 2;
      const ss = d[sp];
      const se = d[sp + 1];
      const ah = d[sp + 2] >> 4;
      const al = d[sp + 2] & 15;
      for (const c of scomps) {
        if (!progressive && !c.acTable) throw new ItemError('corrupt JPEG: scan uses an undefined Huffman table');
        if (((progressive && ss === 0 && ah === 0) || !progressive) && !c.dcTable)
          throw new ItemError('corrupt JPEG: scan uses an undefined Huffman table');
        if (progressive && ss > 0 && !c.acTable) throw new ItemError('corrupt JPEG: scan uses an undefined Huffman table');
        if (!progressive && !qt[c.tq]) throw new ItemError('corrupt JPEG: missing quantization table');
        c.pred = 0;
      }
      if (progressive && (se > 63 || ss > se || (ss > 0 && ns !== 1))) throw new ItemError('corrupt JPEG: bad progressive scan');
      if (progressive && ss > 0 && ss <= se && se < 64 && !scomps[0].decoded.subarray(ss, se + 1).includes(1)) {
        // A band of coefficients the scaled IDCT never reads: step over its data.
        p = markerAfter(d, end);
        continue;
      }
      if (progressive && scomps.some((c) => se >= c.stride)) throw new ItemError('corrupt JPEG: a scan not announced by the scan headers');
      eobrun = 0;
      const r = new Reader(d, end);
      const single = ns === 1;
      const total = single ? scomps[0].realBpl * scomps[0].realBpc : mcusPerLine * mcusPerColumn;
      for (let mcu = 0; mcu < total; mcu++) {
        if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
          r.restart();
          for (const c of scomps) c.pred = 0;
          eobrun = 0;
        }
        if (single) {
          const c = scomps[0];
          const bx = mcu % c.realBpl;
          const by = (mcu / c.realBpl) | 0;
          if (progressive) decodeProgressiveBlock(r, c, (by * c.bpl + bx) * c.stride, ss, se, ah, al);
          else decodeBaselineBlock(r, c, bx, by);
        } else {
          const mx = mcu % mcusPerLine;
          const my = (mcu / mcusPerLine) | 0;
          for (const c of scomps) {
            for (let v = 0; v < c.v; v++) {
              for (let h = 0; h < c.h; h++) {
                const bx = mx * c.h + h;
                const by = my * c.v + v;
                if (progressive) decodeProgressiveBlock(r, c, (by * c.bpl + bx) * c.stride, ss, se, ah, al);
                else decodeBaselineBlock(r, c, bx, by);
              }
            }
          }
        }
      }
      // Zero bits fed past the scan's data and consumed: a valid scan ends within its own bytes.
      if (r.padding * 8 - r.count > 64) throw new ItemError('truncated JPEG (image data ends early)');
      p = r.nextMarker();
      continue;
    }
    p = end;
  }
  if (!frame) throw new ItemError('corrupt JPEG: no frame header');

  if (progressive) {
    for (const c of comps) {
      const q = qt[c.tq];
      if (!q) throw new ItemError('corrupt JPEG: missing quantization table');
      const co = c.coefs!;
      const kl = c.keepList;
      blk.fill(0);
      for (let by = 0; by < c.bpc; by++) {
        for (let bx = 0; bx < c.bpl; bx++) {
          const off = (by * c.bpl + bx) * c.stride;
          // Every kept coefficient is written, so blk needs no clearing between blocks.
          for (let i = 0; i < kl.length; i++) blk[ZIGZAG[kl[i]]] = co[off + kl[i]] * q[kl[i]];
          idctBlock(c, blk, tmp, bx, by);
        }
      }
      c.coefs = undefined;
    }
  }

  const ow = Math.ceil((width * n) / 8);
  const oh = Math.ceil((height * n) / 8);
  if (comps.length === 1) {
    const c = comps[0];
    const data = new Uint8Array(ow * oh);
    for (let y = 0; y < oh; y++) data.set(c.plane.subarray(y * c.planeWidth, y * c.planeWidth + ow), y * ow);
    return { width: ow, height: oh, channels: 1, data };
  }
  const rgbIds = comps[0].id === 0x52 && comps[1].id === 0x47 && comps[2].id === 0x42;
  const transform = adobeTransform === 0 || (adobeTransform < 0 && rgbIds) ? false : true;
  const data = new Uint8Array(ow * oh * 3);
  const [c0, c1, c2] = comps;
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const a = c0.plane[y * c0.planeWidth + x];
      const b = c1.plane[y * c1.planeWidth + x];
      const e = c2.plane[y * c2.planeWidth + x];
      const o = (y * ow + x) * 3;
      if (transform) {
        data[o] = clamp(a + 1.402 * (e - 128));
        data[o + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (e - 128));
        data[o + 2] = clamp(a + 1.772 * (b - 128));
      } else {
        data[o] = a;
        data[o + 1] = b;
        data[o + 2] = e;
      }
    }
  }
  return { width: ow, height: oh, channels: 3, data };
}
