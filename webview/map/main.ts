/**
 * The SelfLabel embedding map (a WebviewPanel): every item as a point of a 2-D layout of its embedding (PCA at once,
 * UMAP replacing it when the host has computed it), drawn on a canvas straight into an ImageData buffer so 60,000
 * points pan and zoom at full frame rate. Points are coloured by label, proposal or the model's uncertainty with
 * the theme's chart colours.
 *
 * Mouse: drag pans, the wheel zooms about the pointer, shift-drag draws a lasso, alt-drag a box; hovering shows the
 * item's thumbnail or text; a click opens the item. Keyboard (Tab to the map): arrows pan, + / - zoom, 0 fits the
 * view, Escape clears the selection. The selection's actions — "Label all as …", "Accept proposals", "Open in
 * review grid" — go to the host, which writes them to the label store (one journal batch) before answering.
 * Item text is only ever set with textContent.
 */
import type { ItemUpdate, MapItemInfo, MapLayout, MapState } from '../../src/protocol/webview';
import { HostClient, HostError } from '../shared/rpc';
import { el, injectStyle, plural } from '../shared/format';
import { button, registerToolkit, setButtonLabel, setEnabled } from '../ui/toolkit';
import {
  COLOR_MODES,
  DIM_BASE,
  FAINT,
  PointIndex,
  UNCERTAINTY_BASE,
  UNCERTAINTY_BUCKETS,
  applyUpdate,
  colorCodes,
  drawOrder,
  fitView,
  hsl,
  mix,
  pan,
  parseColor,
  selectInBox,
  selectInPolygon,
  toData,
  toScreen,
  zoomAt,
  type ColorMode,
  type View,
} from './logic';
import css from './style.css';

injectStyle(css);
registerToolkit();
const host = new HostClient();

let state: MapState | null = null;
let n = 0;
let xy = new Float32Array(0);
let label = new Int32Array(0);
let proposal = new Int32Array(0);
let index: PointIndex | null = null;
let codes: Int32Array = new Int32Array(0);
let order: Int32Array = new Int32Array(0);
let mode: ColorMode = host.getState<{ mode?: ColorMode }>()?.mode ?? 'label';
let view: View = { cx: 0, cy: 0, scale: 300 };
let selected = new Uint8Array(0);
let selectedCount = 0;
let hovered = -1;
/** Frames drawn (for the e2e frame-rate measurement). */
let frames = 0;

// ---- skeleton ----------------------------------------------------------------------------------------------------
const app = el('main', 'sl-map');
app.id = 'sl-map';
app.dataset.ready = 'false';
document.body.append(app);

const toolbar = el('header', 'sl-toolbar');
const modeBox = el('div', 'sl-modes');
modeBox.setAttribute('role', 'radiogroup');
modeBox.setAttribute('aria-label', 'Colour points by');
const modeButtons = new Map<ColorMode, HTMLElement>();
for (const m of COLOR_MODES) {
  const b = button({
    label: m === 'label' ? 'Label' : m === 'proposal' ? 'Proposal' : 'Uncertainty',
    testId: `mode-${m}`,
    appearance: 'secondary',
    onClick: () => setMode(m),
  });
  modeButtons.set(m, b);
  modeBox.append(b);
}
const summary = el('span', 'sl-summary');
summary.dataset.testid = 'summary';
summary.setAttribute('aria-live', 'polite');
toolbar.append(el('span', 'sl-caption', 'Colour by'), modeBox, summary);

const selBar = el('div', 'sl-selection');
selBar.dataset.testid = 'selection';
const selInfo = el('span', 'sl-sel-info');
selInfo.dataset.testid = 'selection-count';
selInfo.setAttribute('aria-live', 'polite');
const classSelect = document.createElement('select');
classSelect.className = 'sl-class';
classSelect.dataset.testid = 'class';
classSelect.setAttribute('aria-label', 'Class for the selection');
const labelAll = button({ label: 'Label all as', testId: 'label-all', icon: 'tag', onClick: () => void labelSelection() });
const acceptAll = button({
  label: 'Accept proposals',
  testId: 'accept-selection',
  appearance: 'secondary',
  icon: 'check-all',
  onClick: () => void acceptSelection(),
});
const openGrid = button({
  label: 'Open in review grid',
  testId: 'open-grid',
  appearance: 'secondary',
  icon: 'layout',
  onClick: () => void openSelection(),
});
const clearSel = button({
  label: 'Clear',
  testId: 'clear-selection',
  appearance: 'secondary',
  icon: 'close',
  onClick: () => clearSelection(),
});
selBar.append(selInfo, labelAll, classSelect, acceptAll, openGrid, clearSel);

const legend = el('div', 'sl-legend');
legend.dataset.testid = 'legend';

const stage = el('div', 'sl-stage');
const canvas = document.createElement('canvas');
canvas.id = 'sl-canvas';
canvas.dataset.testid = 'canvas';
canvas.tabIndex = 0;
canvas.setAttribute('role', 'img');
canvas.setAttribute(
  'aria-label',
  'Embedding map. Drag to pan, wheel or + and - to zoom, arrow keys pan, shift-drag to lasso, alt-drag to box-select, Escape clears the selection.',
);
const overlay = document.createElement('canvas');
overlay.className = 'sl-overlay';
overlay.setAttribute('aria-hidden', 'true');
const tip = el('div', 'sl-tip');
tip.dataset.testid = 'tooltip';
tip.hidden = true;
stage.append(canvas, overlay, tip);

const help = el('p', 'sl-help', 'Drag: pan · wheel, + / −: zoom · shift-drag: lasso · alt-drag: box · click: open · Esc: clear selection');
const empty = el('div', 'sl-empty');
empty.dataset.testid = 'empty';
const toast = el('div', 'sl-toast');
toast.dataset.testid = 'toast';
toast.setAttribute('role', 'alert');
toast.hidden = true;
app.append(toolbar, selBar, legend, stage, help, empty, toast);

function showError(e: unknown): void {
  toast.textContent = e instanceof HostError || e instanceof Error ? e.message : String(e);
  toast.hidden = false;
  setTimeout(() => (toast.hidden = true), 6000);
}

// ---- colours (theme) -----------------------------------------------------------------------------------------------
type RGB = [number, number, number];
let bg: RGB = [30, 30, 30];
let fg: RGB = [200, 200, 200];
let focus: RGB = [0, 120, 212];
let palette: RGB[] = [];
/** Colour code → packed ABGR pixel. */
const pixelOf = new Map<number, number>();

function cssColor(name: string, fallback: RGB): RGB {
  const v = getComputedStyle(document.body).getPropertyValue(name);
  return (v && parseColor(v)) || fallback;
}
const pack = (c: RGB) => ((255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0]) >>> 0;
const cssOf = (c: RGB) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

function readTheme(): void {
  bg = cssColor('--vscode-editor-background', bg);
  fg = cssColor('--vscode-foreground', fg);
  focus = cssColor('--vscode-focusBorder', focus);
  const charts = ['blue', 'orange', 'green', 'red', 'purple', 'yellow'].map((c) => cssColor(`--vscode-charts-${c}`, hsl(0, 0, 0.5)));
  const C = state?.classes.length ?? 0;
  palette = [];
  for (let k = 0; k < C; k++) palette.push(k < charts.length ? charts[k] : hsl((k * 137.508) % 360, 0.65, 0.55));
  pixelOf.clear();
  pixelOf.set(FAINT, pack(mix(bg, fg, 0.28)));
  for (let k = 0; k < C; k++) {
    pixelOf.set(k, pack(palette[k]));
    pixelOf.set(DIM_BASE + k, pack(mix(bg, palette[k], 0.35)));
  }
  const sure = cssColor('--vscode-charts-green', [80, 180, 80]);
  const unsure = cssColor('--vscode-charts-red', [220, 70, 70]);
  for (let b = 0; b < UNCERTAINTY_BUCKETS; b++) pixelOf.set(UNCERTAINTY_BASE + b, pack(mix(sure, unsure, b / (UNCERTAINTY_BUCKETS - 1))));
}
new MutationObserver(() => {
  readTheme();
  renderLegend();
  requestDraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// ---- drawing -------------------------------------------------------------------------------------------------------
let width = 0;
let height = 0;
let dpr = 1;
let image: ImageData | null = null;
let pixels = new Uint32Array(0);
const ctx = canvas.getContext('2d', { alpha: false })!;
const octx = overlay.getContext('2d')!;
let drawQueued = false;
/** The lasso / box being drawn, in CSS pixels. */
let gesture: { kind: 'pan' | 'lasso' | 'box'; x0: number; y0: number; x: number; y: number; poly: number[]; moved: boolean } | null = null;

function resize(): void {
  const r = stage.getBoundingClientRect();
  const w = Math.max(1, Math.floor(r.width));
  const h = Math.max(1, Math.floor(r.height));
  dpr = window.devicePixelRatio || 1;
  const first = width === 0;
  if (w === width && h === height && canvas.width === Math.round(w * dpr)) return;
  width = w;
  height = h;
  for (const c of [canvas, overlay]) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
  }
  image = ctx.createImageData(canvas.width, canvas.height);
  pixels = new Uint32Array(image.data.buffer);
  if (first) view = fitView(w, h);
  requestDraw();
}
new ResizeObserver(() => resize()).observe(stage);

function requestDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    draw();
  });
}

function draw(): void {
  if (!image) return;
  const W = canvas.width;
  const H = canvas.height;
  pixels.fill(pack(bg));
  const s = view.scale * dpr;
  const ox = W / 2 - view.cx * s;
  const oy = H / 2 + view.cy * s;
  // Bigger dots for fewer points and when zoomed in (4× past the fitted view).
  const base = n <= 2000 ? 4 : n <= 20_000 ? 3 : 2;
  const zoomed = view.scale > 4 * 0.46 * Math.min(width, height) ? 1 : 0;
  const r = Math.max(1, Math.round(dpr * (base + zoomed)));
  const sel = pack(focus);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const px = Math.round(xy[2 * i] * s + ox);
    const py = Math.round(oy - xy[2 * i + 1] * s);
    if (px < 0 || py < 0 || px >= W - r || py >= H - r) continue;
    const c = pixelOf.get(codes[i]) ?? 0xff808080;
    let o = py * W + px;
    for (let a = 0; a < r; a++, o += W) for (let b = 0; b < r; b++) pixels[o + b] = c;
  }
  // The selection on top, a ring around each point.
  if (selectedCount > 0) {
    for (let i = 0; i < n; i++) {
      if (!selected[i]) continue;
      const px = Math.round(xy[2 * i] * s + ox) - 1;
      const py = Math.round(oy - xy[2 * i + 1] * s) - 1;
      if (px < 0 || py < 0 || px >= W - r - 2 || py >= H - r - 2) continue;
      for (let a = 0; a < r + 2; a++) {
        pixels[(py + a) * W + px] = sel;
        pixels[(py + a) * W + px + r + 1] = sel;
        pixels[py * W + px + a] = sel;
        pixels[(py + r + 1) * W + px + a] = sel;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  frames++;
  drawOverlay();
}

function drawOverlay(): void {
  octx.setTransform(dpr, 0, 0, dpr, 0, 0);
  octx.clearRect(0, 0, width, height);
  if (hovered >= 0 && hovered < n) {
    const [sx, sy] = toScreen(view, width, height, xy[2 * hovered], xy[2 * hovered + 1]);
    octx.strokeStyle = cssOf(fg);
    octx.lineWidth = 1.5;
    octx.beginPath();
    octx.arc(sx, sy, 6, 0, 2 * Math.PI);
    octx.stroke();
  }
  if (gesture && (gesture.kind === 'lasso' || gesture.kind === 'box')) {
    octx.strokeStyle = cssOf(focus);
    octx.fillStyle = `rgba(${focus[0]}, ${focus[1]}, ${focus[2]}, 0.12)`;
    octx.lineWidth = 1;
    octx.setLineDash([4, 3]);
    octx.beginPath();
    if (gesture.kind === 'box') octx.rect(gesture.x0, gesture.y0, gesture.x - gesture.x0, gesture.y - gesture.y0);
    else {
      const p = gesture.poly;
      octx.moveTo(p[0], p[1]);
      for (let i = 2; i < p.length; i += 2) octx.lineTo(p[i], p[i + 1]);
      octx.closePath();
    }
    octx.fill();
    octx.stroke();
    octx.setLineDash([]);
  }
}

// ---- state ----------------------------------------------------------------------------------------------------------
function load(s: MapState): void {
  const sameItems = state !== null && state.ids.length === s.ids.length && state.ids.every((id, i) => id === s.ids[i]);
  state = s;
  n = s.ids.length;
  xy = Float32Array.from(s.xy);
  label = Int32Array.from(s.label);
  proposal = Int32Array.from(s.proposal);
  index = new PointIndex(xy, n);
  if (!sameItems) {
    selected = new Uint8Array(n);
    selectedCount = 0;
    hovered = -1;
  }
  readTheme();
  recolor();
  classSelect.replaceChildren(
    ...s.classes.map((c, k) => Object.assign(document.createElement('option'), { value: String(k), textContent: c })),
  );
  empty.textContent = s.empty ?? '';
  empty.hidden = s.empty === null;
  stage.hidden = s.empty !== null;
  app.dataset.ready = 'true';
  app.dataset.method = s.method ?? '';
  app.dataset.computing = s.computing ?? '';
  renderSummary();
  renderSelection();
  resize();
  requestDraw();
}

function setLayout(l: MapLayout): void {
  if (!state) return;
  state.computing = l.computing;
  app.dataset.computing = l.computing ?? '';
  // An empty layout only says the computation ended without one (the current layout stays).
  if (l.xy.length === 2 * n && n > 0) {
    state.method = l.method;
    state.xy = l.xy;
    xy = Float32Array.from(l.xy);
    index = new PointIndex(xy, n);
    app.dataset.method = l.method;
  }
  renderSummary();
  requestDraw();
}

function recolor(): void {
  if (!state) return;
  codes = colorCodes(mode, { label, proposal, predicted: state.predicted, confidence: state.confidence }, n);
  order = drawOrder(codes);
  for (const [m, b] of modeButtons) {
    b.classList.toggle('active', m === mode);
    b.setAttribute('aria-checked', String(m === mode));
    b.setAttribute('role', 'radio');
  }
  app.dataset.mode = mode;
  renderLegend();
}

function setMode(m: ColorMode): void {
  mode = m;
  host.setState({ mode });
  recolor();
  requestDraw();
}

function renderLegend(): void {
  if (!state) return;
  const rows: HTMLElement[] = [];
  const swatch = (c: RGB, text: string) => {
    const row = el('span', 'sl-legend-item');
    const sw = el('span', 'sl-swatch');
    sw.dataset.color = cssOf(c);
    row.append(sw, el('span', undefined, text));
    // Swatch colours are set through CSSOM (the CSP allows no inline style attributes).
    sw.style.setProperty('background', cssOf(c));
    return row;
  };
  if (mode === 'uncertainty') {
    rows.push(swatch(cssColor('--vscode-charts-green', [80, 180, 80]), 'model sure'));
    rows.push(swatch(cssColor('--vscode-charts-red', [220, 70, 70]), 'model unsure (≤ 50%)'));
  } else {
    const counts = new Array<number>(state.classes.length).fill(0);
    for (let i = 0; i < n; i++) {
      const k = mode === 'label' ? label[i] : proposal[i];
      if (k >= 0) counts[k]++;
    }
    state.classes.forEach((c, k) => rows.push(swatch(palette[k] ?? fg, `${c} (${counts[k]})`)));
    if (mode === 'proposal') rows.push(swatch(mix(bg, fg, 0.5), 'labelled (dimmed)'));
  }
  rows.push(swatch(mix(bg, fg, 0.28), mode === 'uncertainty' ? 'no prediction' : mode === 'label' ? 'unlabelled' : 'no proposal'));
  legend.replaceChildren(...rows);
}

function renderSummary(): void {
  if (!state) return;
  const labelled = label.reduce((a, k) => a + (k >= 0 ? 1 : 0), 0);
  const method = state.method === 'umap' ? 'UMAP' : 'PCA';
  summary.textContent = `${n.toLocaleString('en-US')} ${n === 1 ? 'item' : 'items'} · ${labelled.toLocaleString('en-US')} labelled · ${method}${state.computing ? ' (computing UMAP…)' : ''}`;
}

function renderSelection(): void {
  const pending = selectedProposals().length;
  selInfo.textContent = selectedCount ? `${plural(selectedCount, 'item')} selected` : 'Nothing selected (shift-drag a lasso)';
  app.dataset.selected = String(selectedCount);
  const can = selectedCount > 0 && Boolean(state?.trusted);
  setEnabled(labelAll, can && (state?.classes.length ?? 0) > 0);
  setEnabled(acceptAll, can && pending > 0);
  setButtonLabel(acceptAll, `Accept ${plural(pending, 'proposal')}`);
  setEnabled(openGrid, selectedCount > 0);
  setEnabled(clearSel, selectedCount > 0);
  selBar.classList.toggle('has-selection', selectedCount > 0);
}

function selectedIds(): string[] {
  const out: string[] = [];
  if (!state) return out;
  for (let i = 0; i < n; i++) if (selected[i]) out.push(state.ids[i]);
  return out;
}

function selectedProposals(): string[] {
  const out: string[] = [];
  if (!state) return out;
  for (let i = 0; i < n; i++) if (selected[i] && proposal[i] >= 0 && label[i] < 0) out.push(state.ids[i]);
  return out;
}

function setSelection(indexes: number[], add: boolean): void {
  if (!add) selected.fill(0);
  for (const i of indexes) selected[i] = 1;
  selectedCount = selected.reduce((a, v) => a + v, 0);
  renderSelection();
  requestDraw();
}

function clearSelection(): void {
  setSelection([], false);
}

function applyUpdates(updates: ItemUpdate[]): void {
  if (!state) return;
  const row = new Map<string, number>();
  if (updates.length) state.ids.forEach((id, i) => row.set(id, i));
  for (const u of updates) {
    const i = row.get(u.id);
    if (i === undefined) continue;
    const r = applyUpdate(u.status, u.label, state.classes);
    label[i] = r.label;
    if (r.proposal !== undefined) proposal[i] = r.proposal;
  }
  recolor();
  renderSummary();
  renderSelection();
  requestDraw();
}

// ---- actions --------------------------------------------------------------------------------------------------------
let busy = false;
async function act(fn: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = true;
  app.dataset.busy = 'true';
  try {
    await fn();
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
    app.dataset.busy = 'false';
  }
}

function labelSelection(): Promise<void> {
  return act(async () => {
    const k = Number(classSelect.value);
    const cls = state?.classes[k];
    const items = selectedIds();
    if (cls === undefined || !items.length) return;
    const r = await host.request('labelMany', { items, label: cls });
    applyUpdates(r.updates);
  });
}

function acceptSelection(): Promise<void> {
  return act(async () => {
    const items = selectedProposals();
    if (!items.length) return;
    const r = await host.request('accept', { items });
    applyUpdates(r.updates);
  });
}

function openSelection(): Promise<void> {
  return act(async () => {
    const items = selectedIds();
    if (items.length) await host.request('openInGrid', { items });
  });
}

// ---- pointer ----------------------------------------------------------------------------------------------------
function local(e: MouseEvent): [number, number] {
  const r = canvas.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

canvas.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  canvas.focus();
  try {
    canvas.setPointerCapture(e.pointerId);
  } catch {
    // A synthetic event's pointer cannot be captured; the gesture works without it.
  }
  const [x, y] = local(e);
  gesture = { kind: e.shiftKey ? 'lasso' : e.altKey ? 'box' : 'pan', x0: x, y0: y, x, y, poly: [x, y], moved: false };
  hideTip();
});

canvas.addEventListener('pointermove', (e) => {
  const [x, y] = local(e);
  if (gesture) {
    const dx = x - gesture.x;
    const dy = y - gesture.y;
    if (Math.abs(x - gesture.x0) + Math.abs(y - gesture.y0) > 3) gesture.moved = true;
    if (gesture.kind === 'pan') view = pan(view, dx, dy);
    else if (gesture.kind === 'lasso') gesture.poly.push(x, y);
    gesture.x = x;
    gesture.y = y;
    requestDraw();
    return;
  }
  hover(x, y);
});

canvas.addEventListener('pointerup', (e) => {
  const g = gesture;
  gesture = null;
  if (!g) return;
  const [x, y] = local(e);
  if (!g.moved) {
    // A click: open the point under it.
    const i = pick(x, y);
    if (i >= 0 && state) void host.request('open', { item: state.ids[i] }).catch(showError);
    requestDraw();
    return;
  }
  if (g.kind === 'lasso') {
    g.poly.push(x, y);
    setSelection(selectInPolygon(xy, n, view, width, height, g.poly), e.ctrlKey || e.metaKey);
  } else if (g.kind === 'box') {
    setSelection(selectInBox(xy, n, view, width, height, g.x0, g.y0, x, y), e.ctrlKey || e.metaKey);
  }
  requestDraw();
});
canvas.addEventListener('pointerleave', () => {
  if (!gesture) hideTip();
});

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const [x, y] = local(e);
    view = zoomAt(view, width, height, x, y, Math.exp(-e.deltaY * 0.0015));
    hideTip();
    requestDraw();
  },
  { passive: false },
);

canvas.addEventListener('keydown', (e) => {
  const step = 0.1 * Math.min(width, height);
  let handled = true;
  switch (e.key) {
    case 'ArrowLeft':
      view = pan(view, step, 0);
      break;
    case 'ArrowRight':
      view = pan(view, -step, 0);
      break;
    case 'ArrowUp':
      view = pan(view, 0, step);
      break;
    case 'ArrowDown':
      view = pan(view, 0, -step);
      break;
    case '+':
    case '=':
      view = zoomAt(view, width, height, width / 2, height / 2, 1.25);
      break;
    case '-':
    case '_':
      view = zoomAt(view, width, height, width / 2, height / 2, 0.8);
      break;
    case '0':
      view = fitView(width, height);
      break;
    case 'Escape':
      clearSelection();
      break;
    default:
      handled = false;
  }
  if (handled) {
    e.preventDefault();
    hideTip();
    requestDraw();
  }
});

function pick(x: number, y: number): number {
  if (!index) return -1;
  const [dx, dy] = toData(view, width, height, x, y);
  return index.nearest(dx, dy, 6 / view.scale);
}

// ---- hover: the item's thumbnail or text -----------------------------------------------------------------------------
const infoCache = new Map<string, MapItemInfo | null>();
let hoverSeq = 0;
function hover(x: number, y: number): void {
  const i = pick(x, y);
  if (i === hovered) return;
  hovered = i;
  drawOverlay();
  if (i < 0 || !state) return hideTip();
  const id = state.ids[i];
  const seq = ++hoverSeq;
  showTip(i, x, y, infoCache.get(id));
  if (!infoCache.has(id)) {
    void host
      .request('itemInfo', { item: id })
      .then((info) => {
        if (infoCache.size > 2000) infoCache.clear();
        infoCache.set(id, info);
        if (seq === hoverSeq && hovered === i) showTip(i, x, y, info);
      })
      .catch(() => undefined);
  }
}

function showTip(i: number, x: number, y: number, info: MapItemInfo | null | undefined): void {
  if (!state) return;
  const parts: HTMLElement[] = [el('div', 'sl-tip-id', state.ids[i])];
  const k = label[i];
  const q = proposal[i];
  const pr = state.predicted[i];
  const line =
    k >= 0
      ? `labelled ${state.classes[k]}`
      : q >= 0
        ? `proposed ${state.classes[q]}`
        : pr >= 0
          ? `model says ${state.classes[pr]} ${Math.round(100 * state.confidence[i])}%`
          : 'unlabelled';
  parts.push(el('div', 'sl-tip-label', line));
  if (
    info?.thumbnail &&
    (info.thumbnail.startsWith('data:image/') || info.thumbnail.startsWith('https:') || info.thumbnail.startsWith('vscode'))
  ) {
    const img = document.createElement('img');
    img.className = 'sl-tip-thumb';
    img.alt = '';
    img.src = info.thumbnail;
    parts.push(img);
  } else if (info?.text !== undefined) {
    parts.push(el('div', 'sl-tip-text', info.text));
  }
  tip.replaceChildren(...parts);
  tip.hidden = false;
  tip.dataset.item = state.ids[i];
  const left = Math.min(x + 14, Math.max(0, width - 260));
  const top = y + 14 + 160 > height ? Math.max(0, y - 170) : y + 14;
  tip.style.setProperty('left', `${left}px`);
  tip.style.setProperty('top', `${top}px`);
}

function hideTip(): void {
  tip.hidden = true;
  hoverSeq++;
  if (hovered >= 0) {
    hovered = -1;
    drawOverlay();
  }
}

// ---- a read-only window for the end-to-end tests ------------------------------------------------------------------
/** Canvas positions of items and what is selected: lets the e2e tests draw a lasso over known points. */
(window as unknown as { selflabelMap: unknown }).selflabelMap = {
  /** Positions in CSS pixels from the canvas's top-left corner. */
  points(ids?: string[]): { id: string; x: number; y: number }[] {
    if (!state) return [];
    const want = ids ? new Set(ids) : undefined;
    const out: { id: string; x: number; y: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (want && !want.has(state.ids[i])) continue;
      const [sx, sy] = toScreen(view, width, height, xy[2 * i], xy[2 * i + 1]);
      out.push({ id: state.ids[i], x: sx, y: sy });
    }
    return out;
  },
  selected: () => selectedIds(),
  frames: () => frames,
  count: () => n,
};

host.on('init', (msg) => {
  if (msg.view === 'map') load(msg.state);
});
host.on('mapState', (s) => load(s));
host.on('mapLayout', (l) => setLayout(l));
host.on('updates', (u) => applyUpdates(u.updates));
host.ready('map');
