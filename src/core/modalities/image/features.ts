/**
 * Hand-crafted image features on the model's input pixels (size×size×channels bytes, HWC), plain JS:
 * - `hogFeatures`: histograms of oriented gradients (Dalal & Triggs 2005): per pixel the gradient of the channel
 *   where it is strongest, unsigned orientation in `bins` bins (linear vote between the two nearest), summed over a
 *   `cells`×`cells` grid, normalised per 2×2 block of cells (L2-Hys: L2, clip at 0.2, L2 again);
 * - `colourHistogram`: the share of pixels in each of `levels`³ RGB boxes (or `levels·4` gray levels), square-rooted
 *   (so that a linear model compares them by the Hellinger distance).
 */

/** HOG of one image: (cells − 1)² blocks × 4 cells × `bins` values. */
export function hogFeatures(px: Uint8Array, size: number, channels: 1 | 3, cells = 6, bins = 9): Float32Array {
  if (px.length !== size * size * channels) throw new RangeError(`expected ${size}×${size}×${channels} pixels, got ${px.length}`);
  if (cells < 2 || cells > size) throw new RangeError(`cells must be in 2..${size}, got ${cells}`);
  const hist = new Float64Array(cells * cells * bins);
  const at = (x: number, y: number, c: number) =>
    px[(Math.min(size - 1, Math.max(0, y)) * size + Math.min(size - 1, Math.max(0, x))) * channels + c];
  for (let y = 0; y < size; y++) {
    const cy = Math.min(cells - 1, Math.floor((y * cells) / size));
    for (let x = 0; x < size; x++) {
      let gx = 0;
      let gy = 0;
      let best = -1;
      for (let c = 0; c < channels; c++) {
        const dx = at(x + 1, y, c) - at(x - 1, y, c);
        const dy = at(x, y + 1, c) - at(x, y - 1, c);
        const m = dx * dx + dy * dy;
        if (m > best) {
          best = m;
          gx = dx;
          gy = dy;
        }
      }
      if (best <= 0) continue;
      const mag = Math.sqrt(best);
      let a = Math.atan2(gy, gx);
      if (a < 0) a += Math.PI;
      const pos = (a / Math.PI) * bins - 0.5;
      const b0 = Math.floor(pos);
      const f = pos - b0;
      const cx = Math.min(cells - 1, Math.floor((x * cells) / size));
      const o = (cy * cells + cx) * bins;
      hist[o + ((b0 + bins) % bins)] += mag * (1 - f);
      hist[o + ((b0 + 1) % bins)] += mag * f;
    }
  }
  const per = 4 * bins;
  const out = new Float32Array((cells - 1) * (cells - 1) * per);
  const block = new Float64Array(per);
  let o = 0;
  for (let by = 0; by < cells - 1; by++) {
    for (let bx = 0; bx < cells - 1; bx++) {
      let k = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ])
        for (let b = 0; b < bins; b++) block[k++] = hist[((by + dy) * cells + bx + dx) * bins + b];
      l2Hys(block);
      for (let q = 0; q < per; q++) out[o++] = block[q];
    }
  }
  return out;
}

function l2Hys(v: Float64Array): void {
  const norm = () => Math.sqrt(v.reduce((s, x) => s + x * x, 0) + 1e-6);
  let n = norm();
  for (let i = 0; i < v.length; i++) v[i] = Math.min(0.2, v[i] / n);
  n = norm();
  for (let i = 0; i < v.length; i++) v[i] /= n;
}

/** Colour histogram of one image: `levels`³ RGB boxes (colour) or `levels`·4 gray levels, square roots of shares. */
export function colourHistogram(px: Uint8Array, size: number, channels: 1 | 3, levels = 4): Float32Array {
  if (px.length !== size * size * channels) throw new RangeError(`expected ${size}×${size}×${channels} pixels, got ${px.length}`);
  const n = size * size;
  if (channels === 1) {
    const g = levels * 4;
    const out = new Float32Array(g);
    for (let p = 0; p < n; p++) out[Math.min(g - 1, Math.floor((px[p] * g) / 256))] += 1 / n;
    return out.map(Math.sqrt);
  }
  const out = new Float32Array(levels ** 3);
  const q = (v: number) => Math.min(levels - 1, Math.floor((v * levels) / 256));
  for (let p = 0; p < n; p++) out[(q(px[p * 3]) * levels + q(px[p * 3 + 1])) * levels + q(px[p * 3 + 2])] += 1 / n;
  return out.map(Math.sqrt);
}
