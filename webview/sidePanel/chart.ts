/**
 * The side panel's learning curve: estimated accuracy after each training round, drawn as an inline SVG.
 * `curveGeometry` is pure (numbers in, coordinates out) so it can be tested without a DOM; `renderCurve` turns it
 * into SVG elements whose colours come from theme variables via CSS classes (see style.css).
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
  const pts = points.filter((p) => Number.isFinite(p.accuracy)).slice().sort((a, b) => a.round - b.round);
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
const SVG = 'http://www.w3.org/2000/svg';

/** Builds the chart as an <svg> element (no innerHTML). */
export function renderCurve(points: RoundPoint[], width = 220, height = 70): SVGSVGElement {
  const g = curveGeometry(points, width, height, 6);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'sl-chart');
  const title = document.createElementNS(SVG, 'title');
  title.textContent =
    points.length === 0
      ? 'No training rounds yet'
      : `Estimated accuracy per round: ${g.dots.map((d) => `round ${d.point.round} (${d.point.labels} labels) ${(d.point.accuracy * 100).toFixed(1)}%`).join(', ')}`;
  svg.append(title);
  for (const line of g.grid) {
    const l = document.createElementNS(SVG, 'line');
    l.setAttribute('x1', '0');
    l.setAttribute('x2', String(width));
    l.setAttribute('y1', String(line.y));
    l.setAttribute('y2', String(line.y));
    l.setAttribute('class', 'sl-chart-grid');
    svg.append(l);
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', '2');
    t.setAttribute('y', String(line.y - 2));
    t.setAttribute('class', 'sl-chart-label');
    t.textContent = `${Math.round(line.value * 100)}%`;
    svg.append(t);
  }
  if (g.path) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', g.path);
    p.setAttribute('class', 'sl-chart-line');
    svg.append(p);
  }
  for (const d of g.dots) {
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', String(d.x));
    c.setAttribute('cy', String(d.y));
    c.setAttribute('r', '2.5');
    c.setAttribute('class', 'sl-chart-dot');
    const tip = document.createElementNS(SVG, 'title');
    tip.textContent = `Round ${d.point.round}: ${d.point.labels} labels, ${(d.point.accuracy * 100).toFixed(1)}%`;
    c.append(tip);
    svg.append(c);
  }
  return svg;
}
