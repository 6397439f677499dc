/**
 * The embedding map's logic without the DOM (tested under Node): the view transform (pan, zoom about a point), the
 * spatial index for hovering (a uniform grid over the layout's [-1, 1]² box), lasso and box selection
 * (point-in-polygon in screen space), the points' colour classes by mode, and the draw order.
 */

export type ColorMode = 'label' | 'proposal' | 'uncertainty';
export const COLOR_MODES: readonly ColorMode[] = ['label', 'proposal', 'uncertainty'];

/** Where the view looks: the data point at the canvas centre and pixels per data unit. */
export interface View {
  cx: number;
  cy: number;
  scale: number;
}

export const MIN_SCALE = 10;
export const MAX_SCALE = 200_000;

/** The view that shows the whole [-1, 1]² layout in a w × h canvas with a margin. */
export function fitView(w: number, h: number): View {
  return { cx: 0, cy: 0, scale: Math.max(MIN_SCALE, 0.46 * Math.min(w, h)) };
}

/** Screen position (canvas pixels, y down) of a data point (y up). */
export function toScreen(v: View, w: number, h: number, x: number, y: number): [number, number] {
  return [(x - v.cx) * v.scale + w / 2, h / 2 - (y - v.cy) * v.scale];
}

/** Data point under a screen position. */
export function toData(v: View, w: number, h: number, sx: number, sy: number): [number, number] {
  return [(sx - w / 2) / v.scale + v.cx, (h / 2 - sy) / v.scale + v.cy];
}

/** The view moved by (dx, dy) screen pixels (content follows the pointer). */
export function pan(v: View, dx: number, dy: number): View {
  return { cx: v.cx - dx / v.scale, cy: v.cy + dy / v.scale, scale: v.scale };
}

/** The view zoomed by `factor` keeping the data point under (sx, sy) where it is. */
export function zoomAt(v: View, w: number, h: number, sx: number, sy: number, factor: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, v.scale * factor));
  const [x, y] = toData(v, w, h, sx, sy);
  return { cx: x - (sx - w / 2) / scale, cy: y - (h / 2 - sy) / scale, scale };
}

/** Even-odd rule: is (x, y) inside the polygon (flat [x0, y0, x1, y1, …])? */
export function insidePolygon(poly: ArrayLike<number>, x: number, y: number): boolean {
  const m = poly.length >> 1;
  let inside = false;
  for (let i = 0, j = m - 1; i < m; j = i++) {
    const xi = poly[2 * i];
    const yi = poly[2 * i + 1];
    const xj = poly[2 * j];
    const yj = poly[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Indexes of the points whose screen position lies inside the screen polygon (a lasso). */
export function selectInPolygon(xy: ArrayLike<number>, n: number, v: View, w: number, h: number, poly: ArrayLike<number>): number[] {
  if (poly.length < 6) return [];
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < poly.length; i += 2) {
    x0 = Math.min(x0, poly[i]);
    x1 = Math.max(x1, poly[i]);
    y0 = Math.min(y0, poly[i + 1]);
    y1 = Math.max(y1, poly[i + 1]);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const sx = (xy[2 * i] - v.cx) * v.scale + w / 2;
    const sy = h / 2 - (xy[2 * i + 1] - v.cy) * v.scale;
    if (sx < x0 || sx > x1 || sy < y0 || sy > y1) continue;
    if (insidePolygon(poly, sx, sy)) out.push(i);
  }
  return out;
}

/** Indexes of the points inside the screen rectangle spanned by two corners. */
export function selectInBox(
  xy: ArrayLike<number>,
  n: number,
  v: View,
  w: number,
  h: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number[] {
  return selectInPolygon(xy, n, v, w, h, [ax, ay, bx, ay, bx, by, ax, by]);
}

/** A uniform grid over [-1, 1]² of the points, for "which point is under the pointer". */
export class PointIndex {
  private readonly start: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly xy: ArrayLike<number>,
    private readonly n: number,
    private readonly g = 256,
  ) {
    const cellOf = new Int32Array(n);
    const count = new Int32Array(g * g + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cell(xy[2 * i], xy[2 * i + 1]);
      cellOf[i] = c;
      count[c + 1]++;
    }
    for (let c = 0; c < g * g; c++) count[c + 1] += count[c];
    this.start = count;
    const fill = count.slice(0, g * g);
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]]++] = i;
  }

  private coord(v: number): number {
    return Math.min(this.g - 1, Math.max(0, Math.floor(((v + 1) / 2) * this.g)));
  }

  private cell(x: number, y: number): number {
    return this.coord(y) * this.g + this.coord(x);
  }

  /** The point nearest to the data point (x, y) within `radius` (data units), or -1. */
  nearest(x: number, y: number, radius: number): number {
    const c0 = this.coord(x - radius);
    const c1 = this.coord(x + radius);
    const r0 = this.coord(y - radius);
    const r1 = this.coord(y + radius);
    let best = -1;
    let bestD = radius * radius;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.g + c;
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) {
          const i = this.items[k];
          const d = (this.xy[2 * i] - x) ** 2 + (this.xy[2 * i + 1] - y) ** 2;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  get size(): number {
    return this.n;
  }
}

/** Per-point data the colours are computed from (class indexes, -1 for none). */
export interface PointClasses {
  label: ArrayLike<number>;
  proposal: ArrayLike<number>;
  predicted: ArrayLike<number>;
  confidence: ArrayLike<number>;
}

/** Colour code of a point: a class index ≥ 0; UNCERTAINTY_BASE + bucket; or one of the shades below. */
export const FAINT = -1;
export const DIM_BASE = 1000;
export const UNCERTAINTY_BASE = 2000;
export const UNCERTAINTY_BUCKETS = 16;

/**
 * Each point's colour code in a mode: 'label' — its label's class, else faint; 'proposal' — its pending proposal's
 * class, labelled points in their class dimmed (DIM_BASE + class), else faint; 'uncertainty' — a bucket of
 * 1 − confidence of the model's prediction (0 = sure … UNCERTAINTY_BUCKETS − 1 = unsure), faint without one.
 */
export function colorCodes(mode: ColorMode, p: PointClasses, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (mode === 'label') out[i] = p.label[i] >= 0 ? p.label[i] : FAINT;
    else if (mode === 'proposal') out[i] = p.proposal[i] >= 0 ? p.proposal[i] : p.label[i] >= 0 ? DIM_BASE + p.label[i] : FAINT;
    else {
      const c = p.confidence[i];
      out[i] = c < 0 ? FAINT : UNCERTAINTY_BASE + Math.min(UNCERTAINTY_BUCKETS - 1, Math.floor((1 - c) * UNCERTAINTY_BUCKETS * 2));
    }
  }
  return out;
}

/** Draw order: faint points first, then dimmed, then the coloured ones (so the informative ones stay on top). */
export function drawOrder(codes: Int32Array): Int32Array {
  const rank = (c: number) => (c === FAINT ? 0 : c >= DIM_BASE && c < UNCERTAINTY_BASE ? 1 : 2);
  const buckets: number[][] = [[], [], []];
  for (let i = 0; i < codes.length; i++) buckets[rank(codes[i])].push(i);
  return Int32Array.from([...buckets[0], ...buckets[1], ...buckets[2]]);
}

/** What a status update from the host means for a point's label and proposal. */
export function applyUpdate(
  status: string,
  label: string | undefined,
  classes: readonly string[],
): { label: number; proposal: number | undefined } {
  const k = label === undefined ? -1 : classes.indexOf(label);
  if (status === 'labelled' || status === 'accepted' || status === 'corrected') return { label: k, proposal: -1 };
  if (status === 'proposed') return { label: -1, proposal: k };
  if (status === 'rejected') return { label: -1, proposal: -1 };
  return { label: -1, proposal: undefined };
}

/** Parses `#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb(a)(…)` into [r, g, b] (0..255), or undefined. */
export function parseColor(s: string): [number, number, number] | undefined {
  const t = s.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(t);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as [number, number, number];
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(t);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as [number, number, number];
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(t);
  if (m)
    return [Number(m[1]), Number(m[2]), Number(m[3])].map((v) => Math.max(0, Math.min(255, Math.round(v)))) as [number, number, number];
  return undefined;
}

/** a·(1−t) + b·t per channel. */
export function mix(a: [number, number, number], b: [number, number, number], t: number): [number, number, number] {
  return [0, 1, 2].map((i) => Math.round(a[i] * (1 - t) + b[i] * t)) as [number, number, number];
}

/** A colour from HSL (h in degrees, s and l in 0..1). */
export function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(255 * f(0)), Math.round(255 * f(8)), Math.round(255 * f(4))];
}
