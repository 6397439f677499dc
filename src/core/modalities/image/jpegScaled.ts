/**
 * A JPEG decoder that shrinks on load: it decodes each 8×8 block straight to N×N pixels (N = 1, 2 or 4) from the
 * block's lowest N×N DCT coefficients, so a 4000×3000 photo becomes 500×375 (N = 1: the DC term only, the block's
 * mean) without ever building the full-size image. Chroma planes subsampled by 2 (4:2:0, 4:2:2) are decoded at twice
 * N, so every plane comes out at the output size and no upsampling is needed. Baseline and progressive Huffman JPEGs,
 * 1 (gray) or 3 (YCbCr or Adobe RGB) components. What it does not handle (CMYK, odd sampling factors) it reports as
 * `undefined`, and the caller decodes the whole image instead.
 *
 * Entropy decoding (what a shrunk decode spends its time on: every AC coefficient of a baseline file must be decoded
 * to be skipped): each scan's data is first copied without its byte stuffing and cut at its restart markers
 * (`unstuff`); the bit buffer is then read 16 bits at a time in local variables of one function per scan type, and
 * Huffman codes are looked up FAST bits at a time — for DC and AC a code together with the value bits after it, and
 * for the coefficients past the last one the scaled IDCT reads, several codes and their bits stepped over in one
 * lookup (`Huffman.skip`). Longer codes take the canonical path (T.81 F.2.2.3).
 *
 * Memory: baseline images are decoded MCU by MCU into the scaled planes; progressive images keep one Int16 coefficient
 * array per component until the last scan, with only the coefficients the scaled IDCT needs (or a refinement scan of
 * their band touches): at 1/8, 2 bytes per luma block. Progressive scans of bands the IDCT never reads are skipped.
 * Kept between images: the unstuffed copy of a scan (at most the file's size) and the coefficient store (≤ 16 MB).
 *
 * Written from the JPEG standard (ITU T.81: Annex F Huffman decoding, Annex G progressive), with the scaled inverse
 * DCT idea of libjpeg's jidctred/jidctint: an N-point inverse DCT of the low N coefficients, same per-axis scaling.
 */
import { ItemError } from '../../dataset/errors';
import type { DecodedImage } from './decoded';

/** Zigzag index → natural (row-major) index in the 8×8 block. */
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/**
 * Bits looked up at once. Each Huffman table gets tables of 2^FAST entries (Int32, 8 KB each at 11 bits): the symbol
 * of a code, and (DC, AC) a code together with the value bits that follow it, so most coefficients cost one lookup.
 */
const FAST = 11;
const FAST_MASK = (1 << FAST) - 1;
/** Zero bits an entropy-coded segment may be read past its end before it counts as truncated (a hang guard too). */
const MAX_OVERRUN_BYTES = 4096;

interface Huffman {
  /** Canonical decoding of codes longer than FAST bits (T.81 F.2.2.3): per length, the largest code and values' offset. */
  maxcode: Int32Array;
  valoff: Int32Array;
  values: Uint8Array;
  /** (length << 8) | symbol for codes of ≤ FAST bits, 0 when the code is longer (or not a code). */
  sym: Int32Array;
  /** DC tables: (difference << 16) | (code + value bits), 0 when they do not fit in FAST bits. */
  dc: Int32Array;
  /**
   * AC tables, one coefficient: (value << 16) | (advance << 5) | (code + value bits), 0 when they do not fit. The
   * advance is run + 1 for a coefficient, 16 for ZRL and 64 for an end of band (whose "value" is then its run, for
   * progressive EOBRUN).
   */
  ac: Int32Array;
  /**
   * AC tables, built on first use: several coefficients stepped over in one lookup (the codes and value bits that fit
   * in FAST bits, up to and including an end of block): (jump << 12) | (room << 5) | bits, where room is the positions
   * they need left in the block (+1 for the end of block) and jump what they advance (64 with an end of block).
   */
  skip?: Int32Array;
}

function extendBits(raw: number, s: number): number {
  return raw < 1 << (s - 1) ? raw - (1 << s) + 1 : raw;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array, isAc: boolean): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valoff = new Int32Array(17);
  const sym = new Int32Array(1 << FAST);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valoff[l] = k - code;
    for (let i = 0; i < counts[l - 1]; i++, k++, code++) {
      if (code >= 1 << l) throw new ItemError('corrupt JPEG: bad Huffman table');
      if (l <= FAST) {
        const shift = FAST - l;
        sym.fill((l << 8) | values[k], code << shift, (code + 1) << shift);
      }
    }
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  const dc = new Int32Array(isAc ? 0 : 1 << FAST);
  const ac = new Int32Array(isAc ? 1 << FAST : 0);
  for (let i = 0; i < 1 << FAST; i++) {
    const e = sym[i];
    if (e === 0) continue;
    const len = e >> 8;
    const rs = e & 0xff;
    const s = isAc ? rs & 15 : rs;
    if (len + s > FAST) continue;
    const value = s === 0 ? 0 : extendBits((i >> (FAST - len - s)) & ((1 << s) - 1), s);
    if (!isAc) dc[i] = (value << 16) | (len + s);
    else if (s !== 0) ac[i] = (value << 16) | (((rs >> 4) + 1) << 5) | (len + s);
    else if (rs >> 4 === 15) ac[i] = (16 << 5) | len;
    else ac[i] = ((rs >> 4) << 16) | (64 << 5) | len;
  }
  return { maxcode, valoff, values, sym, dc, ac };
}

function buildSkip(h: Huffman): Int32Array {
  const skip = new Int32Array(1 << FAST);
  const sym = h.sym;
  for (let i = 0; i < 1 << FAST; i++) {
    let used = 0;
    let adv = 0;
    let eob = 0;
    let n = 0;
    while (used < FAST) {
      const rem = FAST - used;
      const e = sym[(i << used) & FAST_MASK];
      const len = e >> 8;
      if (e === 0 || len > rem) break;
      const rs = e & 0xff;
      const s = rs & 15;
      if (s === 0 && rs >> 4 !== 15) {
        used += len;
        eob = 1;
        n++;
        break;
      }
      const a = s === 0 ? 16 : (rs >> 4) + 1;
      if (len + s > rem || adv + a > 64) break;
      used += len + s;
      adv += a;
      n++;
    }
    if (n > 0) skip[i] = ((eob ? 64 : adv) << 12) | ((adv + eob) << 5) | used;
  }
  return skip;
}

/** The code at the front of the next 16 bits, of any length: (length << 8) | symbol. */
function slowDecode(h: Huffman, window16: number): number {
  const e = h.sym[window16 >>> (16 - FAST)];
  if (e !== 0) return e;
  for (let l = FAST + 1; l <= 16; l++) {
    const code = window16 >>> (16 - l);
    if (code <= h.maxcode[l]) return (l << 8) | h.values[h.valoff[l] + code];
  }
  throw new ItemError('corrupt JPEG: bad Huffman code');
}

/**
 * A scan's entropy-coded data without its byte stuffing, cut at its restart markers: segment i is
 * u[segs[i], segs[i+1]). `next` is the position in the file of the marker after the scan.
 */
interface Unstuffed {
  u: Uint8Array;
  segs: number[];
  next: number;
}

/** Reused between scans and images: the unstuffed data of one scan (at most the rest of the file, plus padding). */
let scratch = new Uint8Array(0);

function unstuff(d: Uint8Array, start: number): Unstuffed {
  if (scratch.length < d.length - start + 8) scratch = new Uint8Array(Math.max(d.length - start + 8, scratch.length * 1.5) | 0);
  const u = scratch;
  const segs = [0];
  let o = 0;
  let p = start;
  let next = d.length;
  for (;;) {
    const q = d.indexOf(0xff, p);
    const stop = q < 0 ? d.length : q;
    u.set(d.subarray(p, stop), o);
    o += stop - p;
    if (q < 0 || q + 1 >= d.length) break;
    const m = d[q + 1];
    if (m === 0) {
      u[o++] = 0xff;
      p = q + 2;
    } else if (m === 0xff)
      p = q + 1; // a fill byte before a marker
    else if (m >= 0xd0 && m <= 0xd7) {
      segs.push(o);
      p = q + 2;
    } else {
      next = q;
      break;
    }
  }
  segs.push(o);
  u.fill(0, o, o + 8);
  return { u, segs, next };
}

/**
 * Progressive images' coefficients, zeroed, reused from one image to the next up to COEF_POOL_MAX values (a 12 MP
 * 4:2:0 photo at 1/8 needs 6.2 M): allocating and faulting in ~12 MB per photo cost more than decoding its DC scan.
 */
const COEF_POOL_MAX = 8 << 20;
let coefPool = new Int16Array(0);

function coefficientStore(n: number): Int16Array {
  if (n > COEF_POOL_MAX) return new Int16Array(n);
  if (coefPool.length < n) coefPool = new Int16Array(n);
  else coefPool.fill(0, 0, n);
  return coefPool;
}

/** The position of the first marker at or after `p` in entropy-coded data (stuffed zeros, fill bytes and RSTn are data). */
function markerAfter(d: Uint8Array, p: number): number {
  for (;;) {
    const q = d.indexOf(0xff, p);
    if (q < 0 || q + 1 >= d.length) return Math.max(d.length - 1, p);
    const m = d[q + 1];
    if (m !== 0 && m !== 0xff && !(m >= 0xd0 && m <= 0xd7)) return q;
    p = q + 1;
  }
}

/** Sixteen bits at the end of a segment: its last byte, then zeros; throws when read far past the end. */
function tail16(u: Uint8Array, pos: number, end: number): number {
  if (pos - end > MAX_OVERRUN_BYTES) throw new ItemError('corrupt JPEG (entropy-coded data ends early)');
  return pos < end ? u[pos] << 8 : 0;
}

/**
 * One baseline scan, MCU by MCU, each block straight into its component's plane. The bit buffer lives in locals (no
 * closure, no per-bit call); a block's coefficients up to its last kept one are decoded with their values, the rest
 * stepped over several at a time (`Huffman.skip`). An MCU is `slots` blocks: slot i is a block of component
 * slots[i] at (mx·hm[i] + dx[i], my·vm[i] + dy[i]).
 */
function decodeBaselineScan(
  src: Unstuffed,
  slots: Component[],
  hm: Int32Array,
  vm: Int32Array,
  dx: Int32Array,
  dy: Int32Array,
  perLine: number,
  total: number,
  restartInterval: number,
  qt: Int32Array[],
  blk: Float32Array,
  tmp: Float32Array,
): void {
  const u = src.u;
  const segs = src.segs;
  let seg = 0;
  let pos = segs[0];
  let end = segs[1];
  let bits = 0;
  let cnt = 0;
  const nslots = slots.length;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval !== 0 && mcu > 0 && mcu % restartInterval === 0) {
      if ((pos - end) * 8 - cnt > 64) throw new ItemError('truncated JPEG (image data ends early)');
      if (++seg + 1 >= segs.length) throw new ItemError('truncated JPEG (missing restart marker)');
      pos = segs[seg];
      end = segs[seg + 1];
      bits = 0;
      cnt = 0;
      for (let i = 0; i < nslots; i++) slots[i].pred = 0;
    }
    const mx = mcu % perLine;
    const my = (mcu / perLine) | 0;
    for (let si = 0; si < nslots; si++) {
      const c = slots[si];
      const dcH = c.dcTable!;
      const acH = c.acTable!;
      const q = qt[c.tq];
      // DC: the size's code and the difference's bits, usually one lookup.
      if (cnt < 16) {
        bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
        pos += 2;
        cnt += 16;
      }
      let e = dcH.dc[(bits >>> (cnt - FAST)) & FAST_MASK];
      let diff = 0;
      if (e !== 0) {
        cnt -= e & 31;
        diff = e >> 16;
      } else {
        const r = slowDecode(dcH, (bits >>> (cnt - 16)) & 0xffff);
        cnt -= r >> 8;
        const s = r & 0xff;
        if (s > 16) throw new ItemError('corrupt JPEG: coefficient out of range');
        if (s !== 0) {
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          cnt -= s;
          diff = extendBits((bits >>> cnt) & ((1 << s) - 1), s);
        }
      }
      c.pred += diff;
      blk[0] = c.pred * q[0];
      // AC up to the last coefficient the scaled IDCT reads: with their values.
      const acLut = acH.ac;
      const keep = c.keep;
      const kmax = c.kmax;
      let k = 1;
      while (k < kmax) {
        if (cnt < 16) {
          bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
          pos += 2;
          cnt += 16;
        }
        e = acLut[(bits >>> (cnt - FAST)) & FAST_MASK];
        let v = 0;
        if (e !== 0) {
          cnt -= e & 31;
          k += (e >> 5) & 127;
          v = e >> 16;
        } else {
          const r = slowDecode(acH, (bits >>> (cnt - 16)) & 0xffff);
          cnt -= r >> 8;
          const s = r & 15;
          const run = (r >> 4) & 15;
          if (s === 0) k += run === 15 ? 16 : 64;
          else {
            if (cnt < 16) {
              bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
              pos += 2;
              cnt += 16;
            }
            cnt -= s;
            v = extendBits((bits >>> cnt) & ((1 << s) - 1), s);
            k += run + 1;
          }
        }
        if (keep[k - 1] !== 0) blk[ZIGZAG[k - 1]] = v * q[k - 1];
      }
      // The rest of the block: decoded only to be stepped over, several codes per lookup.
      if (k < 64) {
        const skip = acH.skip ?? (acH.skip = buildSkip(acH));
        while (k < 64) {
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          const i = (bits >>> (cnt - FAST)) & FAST_MASK;
          e = skip[i];
          if (e !== 0 && k + ((e >> 5) & 127) <= 64) {
            cnt -= e & 31;
            k += e >> 12;
            continue;
          }
          e = acLut[i];
          if (e !== 0) {
            cnt -= e & 31;
            k += (e >> 5) & 127;
            continue;
          }
          const r = slowDecode(acH, (bits >>> (cnt - 16)) & 0xffff);
          cnt -= r >> 8;
          const s = r & 15;
          const run = (r >> 4) & 15;
          if (s === 0) k += run === 15 ? 16 : 64;
          else {
            if (cnt < 16) {
              bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
              pos += 2;
              cnt += 16;
            }
            cnt -= s;
            k += run + 1;
          }
        }
      }
      idctBlock(c, blk, tmp, mx * hm[si] + dx[si], my * vm[si] + dy[si]);
      const kl = c.keepList;
      for (let j = 0; j < kl.length; j++) blk[ZIGZAG[kl[j]]] = 0;
    }
  }
  if ((pos - end) * 8 - cnt > 64) throw new ItemError('truncated JPEG (image data ends early)');
}

/**
 * One progressive scan (T.81 G.1.2: DC first and refinement, AC first and refinement), MCU by MCU into the components'
 * coefficient arrays, with the bit buffer in locals like decodeBaselineScan (same slots).
 */
function decodeProgressiveScan(
  src: Unstuffed,
  slots: Component[],
  hm: Int32Array,
  vm: Int32Array,
  dx: Int32Array,
  dy: Int32Array,
  perLine: number,
  total: number,
  restartInterval: number,
  ss: number,
  se: number,
  ah: number,
  al: number,
): void {
  const u = src.u;
  const segs = src.segs;
  let seg = 0;
  let pos = segs[0];
  let end = segs[1];
  let bits = 0;
  let cnt = 0;
  let eobrun = 0;
  const nslots = slots.length;
  const p1 = 1 << al;
  const m1 = -1 << al;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval !== 0 && mcu > 0 && mcu % restartInterval === 0) {
      if ((pos - end) * 8 - cnt > 64) throw new ItemError('truncated JPEG (image data ends early)');
      if (++seg + 1 >= segs.length) throw new ItemError('truncated JPEG (missing restart marker)');
      pos = segs[seg];
      end = segs[seg + 1];
      bits = 0;
      cnt = 0;
      eobrun = 0;
      for (let i = 0; i < nslots; i++) slots[i].pred = 0;
    }
    const mx = mcu % perLine;
    const my = (mcu / perLine) | 0;
    for (let si = 0; si < nslots; si++) {
      const c = slots[si];
      const co = c.coefs!;
      const off = ((my * vm[si] + dy[si]) * c.bpl + mx * hm[si] + dx[si]) * c.stride;
      if (ss === 0) {
        if (ah === 0) {
          // DC first: the difference's size code and bits, usually one lookup.
          const dcH = c.dcTable!;
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          const e = dcH.dc[(bits >>> (cnt - FAST)) & FAST_MASK];
          let diff = 0;
          if (e !== 0) {
            cnt -= e & 31;
            diff = e >> 16;
          } else {
            const r = slowDecode(dcH, (bits >>> (cnt - 16)) & 0xffff);
            cnt -= r >> 8;
            const s = r & 0xff;
            if (s > 16) throw new ItemError('corrupt JPEG: coefficient out of range');
            if (s !== 0) {
              if (cnt < 16) {
                bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
                pos += 2;
                cnt += 16;
              }
              cnt -= s;
              diff = extendBits((bits >>> cnt) & ((1 << s) - 1), s);
            }
          }
          c.pred += diff;
          co[off] = c.pred * p1;
        } else {
          // DC refinement: one bit.
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          cnt--;
          if ((bits >>> cnt) & 1) co[off] |= p1;
        }
        continue;
      }
      const acH = c.acTable!;
      if (ah === 0) {
        // AC first: a code and its value bits in one lookup when they fit (advance: run + 1, 16 for ZRL, 64 for EOBn).
        if (eobrun > 0) {
          eobrun--;
          continue;
        }
        const lut = acH.ac;
        for (let k = ss; k <= se;) {
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          const e = lut[(bits >>> (cnt - FAST)) & FAST_MASK];
          let adv: number;
          let v: number;
          if (e !== 0) {
            cnt -= e & 31;
            adv = (e >> 5) & 127;
            v = e >> 16;
          } else {
            const r = slowDecode(acH, (bits >>> (cnt - 16)) & 0xffff);
            cnt -= r >> 8;
            const s = r & 15;
            const run = (r >> 4) & 15;
            if (s !== 0) {
              if (cnt < 16) {
                bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
                pos += 2;
                cnt += 16;
              }
              cnt -= s;
              v = extendBits((bits >>> cnt) & ((1 << s) - 1), s);
              adv = run + 1;
            } else if (run < 15) {
              adv = 64;
              v = run;
            } else {
              adv = 16;
              v = 0;
            }
          }
          if (adv === 64) {
            let extra = 0;
            if (v !== 0) {
              if (cnt < 16) {
                bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
                pos += 2;
                cnt += 16;
              }
              cnt -= v;
              extra = (bits >>> cnt) & ((1 << v) - 1);
            }
            eobrun = (1 << v) - 1 + extra;
            break;
          }
          if (v !== 0) {
            if (k + adv - 1 > 63) throw new ItemError('corrupt JPEG: coefficient index out of range');
            co[off + k + adv - 1] = v * p1;
          }
          k += adv;
        }
        continue;
      }
      // AC refinement (T.81 G.1.2.3): correction bits for the coefficients already nonzero, new ones of ±1.
      let k = ss;
      if (eobrun === 0) {
        const sym = acH.sym;
        for (; k <= se; k++) {
          if (cnt < 16) {
            bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
            pos += 2;
            cnt += 16;
          }
          let e = sym[(bits >>> (cnt - FAST)) & FAST_MASK];
          if (e === 0) e = slowDecode(acH, (bits >>> (cnt - 16)) & 0xffff);
          cnt -= e >> 8;
          let run = (e >> 4) & 15;
          let s = e & 15;
          if (s !== 0) {
            if (s !== 1) throw new ItemError('corrupt JPEG: bad refinement coefficient');
            if (cnt < 16) {
              bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
              pos += 2;
              cnt += 16;
            }
            cnt--;
            s = (bits >>> cnt) & 1 ? p1 : m1;
          } else if (run !== 15) {
            let extra = 0;
            if (run !== 0) {
              if (cnt < 16) {
                bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
                pos += 2;
                cnt += 16;
              }
              cnt -= run;
              extra = (bits >>> cnt) & ((1 << run) - 1);
            }
            eobrun = (1 << run) + extra;
            break;
          }
          while (k <= se) {
            const i = off + k;
            const x = co[i];
            if (x !== 0) {
              if (cnt < 16) {
                bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
                pos += 2;
                cnt += 16;
              }
              cnt--;
              if ((bits >>> cnt) & 1 && (x & p1) === 0) co[i] = x + (x >= 0 ? p1 : m1);
            } else if (--run < 0) break;
            k++;
          }
          if (s !== 0 && k <= se) co[off + k] = s;
        }
      }
      if (eobrun > 0) {
        for (; k <= se; k++) {
          const i = off + k;
          const x = co[i];
          if (x !== 0) {
            if (cnt < 16) {
              bits = (bits << 16) | (pos + 1 < end ? (u[pos] << 8) | u[pos + 1] : tail16(u, pos, end));
              pos += 2;
              cnt += 16;
            }
            cnt--;
            if ((bits >>> cnt) & 1 && (x & p1) === 0) co[i] = x + (x >= 0 ? p1 : m1);
          }
        }
        eobrun--;
      }
    }
  }
  if ((pos - end) * 8 - cnt > 64) throw new ItemError('truncated JPEG (image data ends early)');
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
  /** Per zigzag index: whether this coefficient feeds the scaled IDCT (128 entries, zero past 63). */
  keep: Uint8Array;
  /** One past the last zigzag index kept: the baseline decoder decodes values below it and steps over the rest. */
  kmax: number;
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
  const blk = new Float32Array(64);
  const tmp = new Float32Array(64);

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
        const h = buildHuffman(counts, d.subarray(i + 17, i + 17 + total), tc !== 0);
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
      // A height of 0 means "given by a DNL marker after the first scan", which this decoder leaves to jpeg-js; a
      // width of 0 is never valid.
      if (width === 0) throw new ItemError('corrupt JPEG: the frame is 0 pixels wide');
      if (height === 0) return undefined;
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
          keep: new Uint8Array(128),
          kmax: 1,
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
        // Sampling factors of 3 give 3/8 or 6/8 scales, which have no IDCT table here: jpeg-js decodes those.
        if (!IDCT_TABLES[c.nx] || !IDCT_TABLES[c.ny]) return undefined;
        c.bpl = mcusPerLine * c.h;
        c.bpc = mcusPerColumn * c.v;
        c.realBpl = Math.ceil(Math.ceil((width * c.h) / hmax) / 8);
        c.realBpc = Math.ceil(Math.ceil((height * c.v) / vmax) / 8);
        c.planeWidth = c.bpl * c.nx;
        c.plane = new Uint8Array(c.planeWidth * c.bpc * c.ny);
        for (let k = 0; k < 64; k++) c.keep[k] = ZIGZAG[k] >> 3 < c.ny && (ZIGZAG[k] & 7) < c.nx ? 1 : 0;
        c.keepList = Uint8Array.from({ length: 64 }, (_, k) => k).filter((k) => c.keep[k] === 1);
        c.kmax = c.keepList[c.keepList.length - 1] + 1;
      }
      if (progressive) {
        // Decode only the scans whose bands reach a kept coefficient (closed over shared bands, since a refinement
        // scan needs the history of its whole band), and store per block only up to the last index they write: at
        // 1/8 a luma block keeps its DC alone and every luma AC scan is skipped below without decoding.
        const bands = scanBands(d, end);
        for (const c of comps) {
          if (bands) {
            const mine = bands.filter((b) => b.ids.includes(c.id) && b.ss <= b.se && b.se < 64);
            c.decoded = c.keep.slice(0, 64);
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
        }
        const store = coefficientStore(comps.reduce((a, c) => a + c.bpl * c.bpc * c.stride, 0));
        for (let i = 0, at = 0; i < comps.length; at += comps[i].bpl * comps[i].bpc * comps[i].stride, i++)
          comps[i].coefs = store.subarray(at, at + comps[i].bpl * comps[i].bpc * comps[i].stride);
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
      const src = unstuff(d, end);
      const single = ns === 1;
      const total = single ? scomps[0].realBpl * scomps[0].realBpc : mcusPerLine * mcusPerColumn;
      // The MCU's blocks in order: a lone component's scan is not interleaved (one block per MCU, its real width).
      const slots: Component[] = [];
      const hm: number[] = [];
      const vm: number[] = [];
      const dx: number[] = [];
      const dy: number[] = [];
      for (const c of scomps) {
        for (let v = 0; v < (single ? 1 : c.v); v++) {
          for (let h = 0; h < (single ? 1 : c.h); h++) {
            slots.push(c);
            hm.push(single ? 1 : c.h);
            vm.push(single ? 1 : c.v);
            dx.push(h);
            dy.push(v);
          }
        }
      }
      const perLine = single ? scomps[0].realBpl : mcusPerLine;
      const i32 = (a: number[]) => Int32Array.from(a);
      if (progressive)
        decodeProgressiveScan(src, slots, i32(hm), i32(vm), i32(dx), i32(dy), perLine, total, restartInterval, ss, se, ah, al);
      else decodeBaselineScan(src, slots, i32(hm), i32(vm), i32(dx), i32(dy), perLine, total, restartInterval, qt, blk, tmp);
      p = src.next;
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
      if (c.nx === 1 && c.ny === 1) {
        // DC only (every luma block at 1/8): the block's mean, as idctBlock computes it, without the call.
        const { plane, planeWidth, stride } = c;
        const q0 = q[0];
        for (let by = 0; by < c.bpc; by++) {
          for (let bx = 0, off = by * c.bpl * stride; bx < c.bpl; bx++, off += stride) {
            const v = Math.round(Math.fround(co[off] * q0) / 8 + 128);
            plane[by * planeWidth + bx] = v < 0 ? 0 : v > 255 ? 255 : v;
          }
        }
        c.coefs = undefined;
        continue;
      }
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
