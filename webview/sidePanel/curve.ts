/**
 * Pure geometry of the side panel's learning curve (numbers in, SVG coordinates out): no DOM, so it is tested under
 * Node (src/extension/test/webviewLogic.test.ts) and type-checks with the Node tsconfig.
 */
import type { RoundPoint } from '../../src/protocol/webview';

export interface CurveGeometry {
  /** SVG path `d` of the line ("" when there are no points). */
  path: string;
  dots: { x: number; y: number; point: RoundPoint }[];
  /** Horizontal grid lines: y coordinate and the accuracy they mark. */
  grid: { y: number; value: number }[];
  /** Lowest and highest accuracy shown on the y axis. */
  yMin: number;
  yMax: number;
}

/**
 * Maps rounds to x (evenly spaced, in order of `round`) and accuracy to y inside a `width`×`height` box with
 * `pad` pixels of margin. The y range covers the data rounded out to tenths, so small gains stay visible.
 */
export function curveGeometry(points: RoundPoint[], width: number, height: number, pad = 4): CurveGeometry {
  const pts = points
    .filter((p) => Number.isFinite(p.accuracy))
    .slice()
    .sort((a, b) => a.round - b.round);
  if (pts.length === 0) return { path: '', dots: [], grid: [], yMin: 0, yMax: 1 };
  const accs = pts.map((p) => Math.min(1, Math.max(0, p.accuracy)));
  let yMin = Math.floor(Math.min(...accs) * 10) / 10;
  let yMax = Math.ceil(Math.max(...accs) * 10) / 10;
  if (yMax - yMin < 0.1) {
    yMax = Math.min(1, yMin + 0.1);
    yMin = yMax - 0.1;
  }
  const innerW = width - 2 * pad;
  const innerH = height - 2 * pad;
  const x = (i: number) => pad + (pts.length === 1 ? innerW / 2 : (i * innerW) / (pts.length - 1));
  const y = (a: number) => pad + innerH - ((a - yMin) / (yMax - yMin)) * innerH;
  const dots = pts.map((p, i) => ({ x: round2(x(i)), y: round2(y(accs[i])), point: p }));
  const path = dots.map((d, i) => `${i === 0 ? 'M' : 'L'}${d.x},${d.y}`).join(' ');
  const grid: { y: number; value: number }[] = [];
  for (let v = yMin; v <= yMax + 1e-9; v += 0.1) grid.push({ y: round2(y(v)), value: Math.round(v * 10) / 10 });
  return { path, dots, grid, yMin, yMax };
}

const round2 = (v: number) => Math.round(v * 100) / 100;
