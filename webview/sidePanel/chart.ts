/**
 * The side panel's learning curve: estimated accuracy after each training round, drawn as an inline SVG from the
 * pure geometry in ./curve.ts. Colours come from theme variables via CSS classes (see style.css).
 */
import type { RoundPoint } from '../../src/protocol/webview';
import { curveGeometry } from './curve';
import { formatPercent, plural } from '../shared/format';

const SVG = 'http://www.w3.org/2000/svg';

/** Width of the left gutter that holds the y-axis labels. */
const GUTTER = 30;

/** Builds the chart as an <svg> element (no innerHTML): y labels in a left gutter, the curve to their right. */
export function renderCurve(points: RoundPoint[], width = 240, height = 80): SVGSVGElement {
  const g = curveGeometry(points, width - GUTTER, height, 8);
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
      : `Estimated accuracy per round: ${g.dots.map((d) => `round ${d.point.round} (${plural(d.point.labels, 'label')}) ${formatPercent(d.point.accuracy)}`).join(', ')}`;
  svg.append(title);
  for (const line of g.grid) {
    const l = document.createElementNS(SVG, 'line');
    l.setAttribute('x1', String(GUTTER));
    l.setAttribute('x2', String(width));
    l.setAttribute('y1', String(line.y));
    l.setAttribute('y2', String(line.y));
    l.setAttribute('class', 'sl-chart-grid');
    svg.append(l);
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(GUTTER - 4));
    t.setAttribute('y', String(line.y + 3));
    t.setAttribute('text-anchor', 'end');
    t.setAttribute('class', 'sl-chart-label');
    t.textContent = `${Math.round(line.value * 100)}%`;
    svg.append(t);
  }
  const plot = document.createElementNS(SVG, 'g');
  plot.setAttribute('transform', `translate(${GUTTER},0)`);
  svg.append(plot);
  if (g.path) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', g.path);
    p.setAttribute('class', 'sl-chart-line');
    plot.append(p);
  }
  for (const d of g.dots) {
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', String(d.x));
    c.setAttribute('cy', String(d.y));
    c.setAttribute('r', '2.5');
    c.setAttribute('class', 'sl-chart-dot');
    const tip = document.createElementNS(SVG, 'title');
    tip.textContent = `Round ${d.point.round}: ${plural(d.point.labels, 'label')}, ${formatPercent(d.point.accuracy)}`;
    c.append(tip);
    plot.append(c);
  }
  return svg;
}
