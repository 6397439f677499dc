/**
 * The SelfLabel review webview (a WebviewPanel): a keyboard-first, virtualised grid of proposals sorted by
 * confidence (mode "review"), or of the items most worth labelling (mode "label").
 *
 * Keys (when the grid has focus): 1-9 pick a class (review: correct; label: label), A accept, X reject (label mode:
 * skip), U undo, arrows/Home/End/PageUp/PageDown move, Enter opens the item in an editor, Space plays and pauses the
 * focused audio clip (a spectrogram and its duration in the cell; the clip comes from the host by id as a data: URL,
 * and with `autoPlay` the next clip plays after a label). "Accept all ≥ c" shows the
 * batch's size and expected precision before it is applied.
 *
 * Every action is sent to the host, which writes it to the label store at once. Until the host answers, the item
 * shows "saving…" (`data-saving="true"`, its status unchanged) and the focus moves on, so typing is never held up;
 * the item shows its new status (✓ accepted, ● labelled…; `data-status`) only once the host has answered, which it
 * does after the label is in `.selflabel/labels.jsonl` and fsync'd — so what the grid shows as done survives a
 * crash of the extension host. On an error the item goes back to open, with a message. Item text is only ever set
 * with textContent.
 */
import type { GridItem, ItemStatus, ItemUpdate, ReviewMode, ReviewState } from '../../src/protocol/webview';
import { isMediaClip, isThumbnailsResult } from '../../src/protocol/webview';
import { HostClient, HostError } from '../shared/rpc';
import { el, formatConfidence, formatDuration, formatPrecision, injectStyle, plural } from '../shared/format';
import { button, registerToolkit, setButtonLabel, setEnabled } from '../ui/toolkit';
import { VirtualGrid } from './grid';
import { batchStats, classKeyLabel, isBelow, keyAction, nextOpen, orderItems, playAction, reviewCounts } from './logic';
import { ThumbnailLoader } from './thumbs';
import css from './style.css';

injectStyle(css);
registerToolkit();
const host = new HostClient();

interface Saved {
  focusId?: string;
  ascending?: boolean;
}
const saved: Saved = host.getState<Saved>() ?? {};

let state: ReviewState | null = null;
let items: GridItem[] = [];
const indexById = new Map<string, number>();
let ascending = saved.ascending ?? false;
let threshold = 0.9;
let busyBatch = false;
/** Actions sent to the host and not answered yet: item id → what the item will be once saved. */
const saving = new Map<string, { status: ItemStatus; label: string | undefined }>();
const isSaving = (it: GridItem) => saving.has(it.id);

// ---- skeleton ----------------------------------------------------------------------------------------------------
const app = el('main', 'sl-review');
app.id = 'sl-review';
app.dataset.ready = 'false';
document.body.append(app);

const toolbar = el('header', 'sl-toolbar');
const modeReview = button({
  label: 'Review proposals',
  id: 'sl-mode-review',
  testId: 'mode-review',
  appearance: 'secondary',
  icon: 'checklist',
  onClick: () => setMode('review'),
});
const modeLabel = button({
  label: 'Label',
  id: 'sl-mode-label',
  testId: 'mode-label',
  appearance: 'secondary',
  icon: 'tag',
  onClick: () => setMode('label'),
});
const sortButton = button({
  label: 'Most confident first',
  id: 'sl-sort',
  testId: 'sort',
  appearance: 'secondary',
  icon: 'arrow-swap',
  onClick: () => toggleSort(),
});
const summary = el('span', 'sl-summary');
summary.id = 'sl-summary';
summary.dataset.testid = 'summary';
summary.setAttribute('aria-live', 'polite');
toolbar.append(modeReview, modeLabel, sortButton, summary);

// "accept all above c"
const batch = el('div', 'sl-batch');
batch.id = 'sl-batch';
batch.dataset.testid = 'batch';
const sliderLabel = el('label', 'sl-batch-label', 'Accept all with confidence ≥');
sliderLabel.htmlFor = 'sl-threshold';
const slider = document.createElement('input');
slider.type = 'range';
slider.id = 'sl-threshold';
slider.dataset.testid = 'threshold';
slider.min = '0.5';
slider.max = '1';
slider.step = '0.01';
const sliderValue = el('input', 'sl-threshold-value') as HTMLInputElement;
sliderValue.type = 'number';
sliderValue.id = 'sl-threshold-value';
sliderValue.dataset.testid = 'threshold-value';
sliderValue.min = '0';
sliderValue.max = '1';
sliderValue.step = '0.01';
sliderValue.setAttribute('aria-label', 'Confidence threshold');
const batchInfo = el('span', 'sl-batch-info');
batchInfo.id = 'sl-batch-info';
batchInfo.dataset.testid = 'batch-info';
batchInfo.setAttribute('aria-live', 'polite');
const batchButton = button({
  label: 'Accept 0',
  id: 'sl-accept-batch',
  testId: 'accept-batch',
  appearance: 'primary',
  icon: 'check-all',
  onClick: () => acceptBatch(),
});
batch.append(sliderLabel, slider, sliderValue, batchInfo, batchButton);

const legend = el('div', 'sl-legend');
legend.id = 'sl-legend';
legend.dataset.testid = 'legend';

const help = el('p', 'sl-help');
help.id = 'sl-help';

const trustNote = el('p', 'sl-trust', 'This workspace is not trusted: labelling is disabled until you trust it (Manage Workspace Trust).');
trustNote.id = 'sl-trust';
trustNote.dataset.testid = 'trust';

const empty = el('div', 'sl-empty');
empty.id = 'sl-empty';
empty.dataset.testid = 'empty';

const gridBox = el('div', 'sl-grid');
gridBox.id = 'sl-grid';
gridBox.dataset.testid = 'grid';
gridBox.setAttribute('aria-label', 'Items');

const toast = el('div', 'sl-toast');
toast.id = 'sl-toast';
toast.dataset.testid = 'toast';
toast.setAttribute('role', 'alert');
toast.hidden = true;

// One player for the grid: Space plays the focused clip (fetched from the host by id, a data: URL, never a path).
const player = document.createElement('audio');
player.id = 'sl-player';
player.dataset.testid = 'player';
player.preload = 'auto';
player.hidden = true;
/** The item whose clip the player holds, and the one being fetched. */
let playerItem: string | null = null;
let loadingItem: string | null = null;

app.append(toolbar, trustNote, batch, legend, help, empty, gridBox, toast, player);
// Until the host's `init` arrives (label mode may first compute suggestions on the workers).
empty.textContent = 'Loading…';
gridBox.hidden = true;
batch.hidden = true;

// ---- grid cells ------------------------------------------------------------------------------------------------
const STATUS_TEXT: Record<ItemStatus, string> = {
  proposed: '',
  accepted: '✓ accepted',
  rejected: '✗ rejected',
  corrected: '✎ corrected',
  labelled: '● labelled',
  unlabelled: '',
};

interface CellParts {
  thumb: HTMLImageElement;
  /** Audio: the spectrogram (the thumbnail as a mask over a theme colour) and the clip's duration on it. */
  spec: HTMLElement;
  specSrc?: string;
  duration: HTMLElement;
  /** The item whose thumbnail the img shows (or waits for). */
  thumbOf?: string;
  snippet: HTMLElement;
  label: HTMLElement;
  conf: HTMLElement;
  status: HTMLElement;
  path: HTMLElement;
}
const parts = new WeakMap<HTMLElement, CellParts>();

function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}
function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value;
}
function setAttr(e: HTMLElement, name: string, value: string): void {
  if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

const grid = new VirtualGrid<GridItem>(gridBox, {
  createCell() {
    const cell = el('div');
    cell.setAttribute('role', 'option');
    cell.dataset.testid = 'cell';
    const thumb = document.createElement('img');
    thumb.className = 'sl-thumb';
    thumb.alt = '';
    thumb.decoding = 'async';
    thumb.draggable = false;
    const spec = el('div', 'sl-spec');
    spec.dataset.testid = 'spectrogram';
    spec.setAttribute('aria-hidden', 'true');
    const duration = el('span', 'sl-duration');
    duration.dataset.testid = 'duration';
    spec.append(el('span', 'sl-spec-img'), duration);
    const snippet = el('div', 'sl-snippet');
    const meta = el('div', 'sl-meta');
    const label = el('span', 'sl-label');
    label.dataset.testid = 'cell-label';
    const conf = el('span', 'sl-conf');
    meta.append(label, conf);
    const status = el('div', 'sl-status');
    status.dataset.testid = 'cell-status';
    const path = el('div', 'sl-path');
    cell.append(thumb, spec, snippet, meta, status, path);
    parts.set(cell, { thumb, spec, duration, snippet, label, conf, status, path });
    return cell;
  },
  renderCell(cell, item, _index, focused) {
    const p = parts.get(cell);
    if (!p) return;
    const pending = saving.get(item.id);
    // Writes only what changed: a recycled cell is redrawn on every scroll frame.
    setData(cell, 'item', item.id);
    // The saved status only: an action still on its way to the journal shows as "saving…".
    setData(cell, 'status', item.status);
    setData(cell, 'saving', pending ? 'true' : 'false');
    const below = state?.mode === 'review' && isBelow(item, threshold);
    setData(cell, 'below', below ? 'true' : 'false');
    if (cell.classList.contains('focused') !== focused) cell.classList.toggle('focused', focused);
    setAttr(cell, 'aria-selected', focused ? 'true' : 'false');
    const isImage = item.kind === 'image';
    const isAudio = item.kind === 'audio';
    if (p.thumb.hidden !== !isImage) p.thumb.hidden = !isImage;
    if (p.spec.hidden !== !isAudio) p.spec.hidden = !isAudio;
    if (p.snippet.hidden !== isImage) p.snippet.hidden = isImage;
    setData(cell, 'playing', isAudio && playerItem === item.id && !player.paused ? 'true' : 'false');
    if (isAudio) {
      // The spectrogram is a mask over a theme colour; a recycled cell never shows the previous item's.
      const src = thumbs.get(item.id);
      const mask = src !== undefined ? `url("${src}")` : '';
      if (p.specSrc !== mask) {
        p.specSrc = mask;
        const img = p.spec.firstElementChild as HTMLElement;
        img.style.maskImage = mask;
        img.style.webkitMaskImage = mask;
      }
      if (src === undefined) thumbs.need(item.id);
      setText(p.duration, formatDuration(durations.get(item.id)));
    }
    if (isImage) {
      // A recycled cell shows nothing until its own item's thumbnail is here (never the previous item's).
      const src = thumbs.get(item.id);
      if (p.thumbOf !== item.id) p.thumb.removeAttribute('src');
      p.thumbOf = item.id;
      if (src !== undefined && !p.thumb.hasAttribute('src')) p.thumb.src = src;
      else if (src === undefined && !p.thumb.hasAttribute('src')) thumbs.need(item.id);
    } else {
      if (p.thumbOf !== undefined) {
        p.thumbOf = undefined;
        p.thumb.removeAttribute('src');
      }
      setText(p.snippet, item.preview ?? '');
    }
    setText(p.label, pending?.label ?? item.label ?? (state?.mode === 'label' ? '?' : ''));
    setText(p.conf, item.confidence !== undefined ? formatConfidence(item.confidence) : '');
    setText(
      p.status,
      pending
        ? `saving… ${STATUS_TEXT[pending.status]}`.trim()
        : below
          ? 'below threshold'
          : STATUS_TEXT[item.status] || (item.reason ?? ''),
    );
    setText(p.path, item.id);
    cell.title = `${item.id}${item.label ? ` — ${item.label}` : ''}${item.confidence !== undefined ? ` (${item.confidence.toFixed(3)})` : ''}${
      item.alternatives?.length ? `\nthen: ${item.alternatives.map((a) => `${a.label} ${formatConfidence(a.confidence)}`).join(', ')}` : ''
    }`;
  },
  onFocusChange(index) {
    const id = items[index]?.id ?? null;
    // The player follows the focus: a clip stops when the focus leaves it (auto-play starts the next one).
    if (playerItem !== null && playerItem !== id && !player.paused) player.pause();
    if (autoPlayNext && id !== null && items[index]?.kind === 'audio') void playItem(id);
    autoPlayNext = false;
    host.notify('focus', { item: id });
    host.setState({ ...saved, focusId: id ?? undefined, ascending } satisfies Saved);
  },
  onOpen(index) {
    const it = items[index];
    if (it) host.request('open', { item: it.id }).catch(showError);
  },
});

/** Thumbnails come from the host in batches for the cells on screen (see thumbs.ts). */
/** Seconds of each audio clip, from its thumbnail. */
const durations = new Map<string, number>();
const thumbs = new ThumbnailLoader({
  request: async (ids) => {
    const r: unknown = await host.request('thumbnails', { items: ids });
    if (!isThumbnailsResult(r)) throw new Error('malformed thumbnails answer');
    for (const t of r.thumbnails) if (t.duration !== undefined) durations.set(t.id, t.duration);
    return r.thumbnails;
  },
  isWanted: (id) => {
    const i = indexById.get(id);
    return i !== undefined && grid.isRendered(i);
  },
  onLoaded: (ids) => {
    for (const id of ids) {
      const i = indexById.get(id);
      if (i !== undefined) grid.refreshIndex(i);
    }
  },
  accept: (src) => src.startsWith('data:image/') || (!!state?.imageBase && src.startsWith(`${state.imageBase.replace(/\/+$/, '')}/`)),
});

// ---- rendering -------------------------------------------------------------------------------------------------
function showError(e: unknown): void {
  showToast(e instanceof HostError || e instanceof Error ? e.message : String(e), true);
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function showToast(text: string, isError = false): void {
  toast.textContent = text;
  toast.classList.toggle('error', isError);
  toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), isError ? 8000 : 3000);
}

function rebuildIndex(): void {
  indexById.clear();
  items.forEach((it, i) => indexById.set(it.id, i));
}

function renderSummary(): void {
  if (!state) return;
  const n = items.length;
  const done = items.filter((i) => i.status !== 'proposed' && i.status !== 'unlabelled').length;
  const inFlight = saving.size ? ` · ${saving.size} saving` : '';
  if (state.mode === 'review') {
    const c = reviewCounts(items, threshold, isSaving);
    const below = c.below ? ` · ${c.below} below the threshold` : '';
    summary.textContent = `${plural(c.open, 'proposal')} at ≥ ${threshold.toFixed(2)}${below} · ${done} reviewed${inFlight}`;
  } else summary.textContent = `${plural(n, 'item')} to label · ${done} labelled${inFlight}`;
}

function renderBatch(): void {
  if (!state || state.mode !== 'review') return;
  const s = batchStats(items, threshold, isSaving);
  slider.value = String(threshold);
  if (document.activeElement !== sliderValue) sliderValue.value = threshold.toFixed(2);
  batchInfo.textContent =
    s.count === 0
      ? 'no open proposals at this confidence'
      : `${plural(s.count, 'proposal')} · expected precision ${formatPrecision(s.expectedPrecision, s.count)} (≈ ${s.expectedErrors.toFixed(1)} wrong)`;
  setButtonLabel(batchButton, `Accept ${s.count}`);
  setEnabled(batchButton, s.count > 0 && !busyBatch && state.trusted);
}

function renderLegend(): void {
  if (!state) return;
  legend.replaceChildren();
  state.classes.forEach((c, i) => {
    const chip = el('button', 'sl-chip');
    chip.type = 'button';
    chip.dataset.testid = `class-chip-${i + 1}`;
    const keys = classKeyLabel(i);
    chip.title = i < 9 ? `Press ${keys}` : `Press ${keys.split(' ').join(' then ')}`;
    chip.dataset.key = keys.replace(/ /g, '');
    chip.append(el('kbd', undefined, keys));
    chip.append(document.createTextNode(` ${c}`));
    chip.addEventListener('click', () => {
      pickClass(i);
      gridBox.focus();
    });
    legend.append(chip);
  });
}

function render(): void {
  if (!state) return;
  const s = state;
  app.dataset.ready = 'true';
  app.dataset.mode = s.mode;
  modeReview.classList.toggle('active', s.mode === 'review');
  modeLabel.classList.toggle('active', s.mode === 'label');
  modeReview.setAttribute('aria-pressed', String(s.mode === 'review'));
  modeLabel.setAttribute('aria-pressed', String(s.mode === 'label'));
  sortButton.hidden = s.mode !== 'review';
  setButtonLabel(sortButton, ascending ? 'Least confident first' : 'Most confident first');
  batch.hidden = s.mode !== 'review' || s.items.length === 0;
  trustNote.hidden = s.trusted;
  const space = s.items.some((i) => i.kind === 'audio') ? ' · Space play/pause' : '';
  help.textContent =
    s.mode === 'review'
      ? `Keys: 1–9 set class · A accept · X reject · U undo${space} · arrows move · Enter open`
      : `Keys: 1–9 label · A accept the prediction · X skip · U undo${space} · arrows move · Enter open`;
  empty.textContent = s.empty ?? (s.items.length === 0 ? 'Nothing to show.' : '');
  empty.hidden = s.items.length > 0;
  gridBox.hidden = s.items.length === 0;
  items = orderItems(s.items, s.mode, ascending);
  rebuildIndex();
  const allImages = items.length > 0 && items.every((i) => i.kind === 'image');
  const anyAudio = items.some((i) => i.kind === 'audio');
  if (allImages) grid.setItems(items, 128, 168, false);
  else grid.setItems(items, anyAudio ? 200 : 260, anyAudio ? 172 : 150, true);
  renderLegend();
  renderSummary();
  renderBatch();
  const keep = saved.focusId !== undefined ? indexById.get(saved.focusId) : undefined;
  grid.focus(keep ?? (items.length > 0 ? 0 : -1));
}

/** Shows the host's (saved) state of items. An update that matches an item's pending action completes it. */
function applyUpdates(updates: ItemUpdate[]): void {
  for (const u of updates) {
    const pending = saving.get(u.id);
    if (pending && pending.status === u.status) saving.delete(u.id);
    const i = indexById.get(u.id);
    if (i === undefined) continue;
    items[i] = { ...items[i], status: u.status, label: u.label ?? items[i].label };
    grid.refreshIndex(i);
  }
  renderSummary();
  renderBatch();
}

// ---- actions ---------------------------------------------------------------------------------------------------
function canAct(): boolean {
  if (!state) return false;
  if (!state.trusted) {
    showToast('Trust this workspace to label (Manage Workspace Trust).', true);
    return false;
  }
  return true;
}

/** Ends the "saving…" state of items (answered or failed) and redraws them. */
function settle(ids: readonly string[]): void {
  for (const id of ids) {
    saving.delete(id);
    const i = indexById.get(id);
    if (i !== undefined) grid.refreshIndex(i);
  }
}

/**
 * Sends an action: the item shows "saving…" and the focus moves on at once; the item shows its new status when the
 * host answers (after the write is durable); on an error it is open again and the error is shown.
 */
function optimistic(index: number, status: ItemStatus, label: string | undefined, send: () => Promise<{ updates: ItemUpdate[] }>): void {
  const id = items[index].id;
  saving.set(id, { status, label: label ?? items[index].label });
  grid.refreshIndex(index);
  renderSummary();
  renderBatch();
  autoPlayNext = state?.autoPlay === true;
  grid.focus(nextOpen(items, index, isSaving));
  autoPlayNext = false;
  send()
    .then((r) => {
      settle([id]);
      applyUpdates(r.updates);
    })
    .catch((e) => {
      settle([id]);
      renderSummary();
      renderBatch();
      showError(e);
    });
}

function pickClass(classIndex: number): void {
  const cls = state?.classes[classIndex];
  const i = grid.focused;
  const it = items[i];
  if (!cls || !it || !canAct()) return;
  if (state?.mode === 'label') {
    optimistic(i, 'labelled', cls, () => host.request('label', { item: it.id, label: cls }));
  } else if (it.status === 'proposed' && it.label === cls) {
    optimistic(i, 'accepted', cls, () => host.request('accept', { items: [it.id] }));
  } else {
    optimistic(i, 'corrected', cls, () => host.request('correct', { item: it.id, label: cls }));
  }
}

function accept(): void {
  const i = grid.focused;
  const it = items[i];
  if (!it || !canAct()) return;
  if (state?.mode === 'label') {
    if (!it.label) return showToast('No prediction to accept: press a number key to label.');
    const cls = it.label;
    optimistic(i, 'labelled', cls, () => host.request('label', { item: it.id, label: cls }));
  } else if (it.status === 'proposed') {
    optimistic(i, 'accepted', it.label, () => host.request('accept', { items: [it.id] }));
  } else {
    grid.focus(nextOpen(items, i, isSaving));
  }
}

function reject(): void {
  const i = grid.focused;
  const it = items[i];
  if (!it) return;
  if (state?.mode === 'label') return grid.focus(i + 1); // skip
  if (!canAct()) return;
  if (it.status === 'proposed') optimistic(i, 'rejected', it.label, () => host.request('reject', { item: it.id }));
  else grid.focus(nextOpen(items, i, isSaving));
}

function undo(): void {
  if (!canAct()) return;
  host
    .request('undo', {})
    .then((r) => {
      applyUpdates(r.updates);
      const first = r.updates[0] ? indexById.get(r.updates[0].id) : undefined;
      if (first !== undefined) grid.focus(first);
      showToast(r.message);
    })
    .catch(showError);
}

function acceptBatch(): void {
  if (!state || busyBatch || !canAct()) return;
  const s = batchStats(items, threshold, isSaving);
  if (s.count === 0) return;
  for (const id of s.ids) {
    const i = indexById.get(id);
    if (i !== undefined) saving.set(id, { status: 'accepted', label: items[i].label });
  }
  busyBatch = true;
  grid.refreshAll();
  renderSummary();
  renderBatch();
  host
    .request('accept', { items: s.ids })
    .then((r) => {
      busyBatch = false;
      settle(s.ids);
      applyUpdates(r.updates);
      showToast(`Accepted ${s.count} proposals.`);
    })
    .catch((e) => {
      busyBatch = false;
      settle(s.ids);
      renderSummary();
      renderBatch();
      showError(e);
    });
}

function setMode(mode: ReviewMode): void {
  if (state?.mode === mode) return;
  host.request('setMode', { mode }).catch(showError);
}

function toggleSort(): void {
  ascending = !ascending;
  host.setState({ ...saved, ascending } satisfies Saved);
  const focusId = items[grid.focused]?.id;
  if (state) {
    state = { ...state, items };
    saved.focusId = focusId;
    render();
  }
}

function setThreshold(v: number): void {
  if (!Number.isFinite(v)) return;
  threshold = Math.min(1, Math.max(0, v));
  // Re-filter at once: every cell's "below threshold" mark and the summary follow the control.
  grid.refreshAll();
  renderSummary();
  renderBatch();
}
slider.addEventListener('input', () => setThreshold(Number(slider.value)));
sliderValue.addEventListener('change', () => setThreshold(Number(sliderValue.value)));

// ---- the player ------------------------------------------------------------------------------------------------
/** Set while an action moves the focus on: the next focused clip plays (setting `selflabel.autoPlayAudio`). */
let autoPlayNext = false;

function refreshItem(id: string | null): void {
  const i = id !== null ? indexById.get(id) : undefined;
  if (i !== undefined) grid.refreshIndex(i);
}

/** Fetches the clip of `id` from the host (by id) and plays it; a later request wins over an earlier one. */
async function playItem(id: string): Promise<void> {
  loadingItem = id;
  try {
    const r: unknown = await host.request('media', { item: id });
    if (loadingItem !== id) return;
    if (!isMediaClip(r) || r.item !== id) throw new Error('malformed media answer');
    const old = playerItem;
    playerItem = id;
    player.dataset.item = id;
    player.src = r.src;
    refreshItem(old);
    await player.play();
  } catch (e) {
    if (loadingItem === id && !isInterrupted(e)) showError(e);
  } finally {
    if (loadingItem === id) loadingItem = null;
  }
}

/** play() cut short by a pause() or a new source (the user moved on): not an error to show. */
function isInterrupted(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

function togglePlay(): void {
  const it = items[grid.focused];
  switch (playAction(it, { item: playerItem, paused: player.paused })) {
    case 'pause':
      return player.pause();
    case 'resume':
      if (player.ended) player.currentTime = 0;
      return void player.play().catch((e: unknown) => isInterrupted(e) || showError(e));
    case 'load':
      return void playItem(it.id);
    case 'none':
      return;
  }
}
for (const ev of ['play', 'pause', 'ended'] as const) player.addEventListener(ev, () => refreshItem(playerItem));

/** Zeros typed so far of a class chord ("0" then "3" = class 12). */
let chord = '';
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  // Keys typed into inputs and buttons belong to them.
  if (t && t !== gridBox && t !== document.body && t.closest('input, textarea, button, vscode-button, vscode-text-field')) return;
  const action = keyAction(e, state?.classes.length ?? 0, chord);
  chord = '';
  legend.dataset.chord = '';
  if (!action || !state || items.length === 0) return;
  e.preventDefault();
  switch (action.type) {
    case 'prefix':
      // Shown on the legend until the chord ends (the next key).
      chord = action.prefix;
      legend.dataset.chord = chord;
      return;
    case 'class':
      return pickClass(action.index);
    case 'accept':
      return accept();
    case 'reject':
      return reject();
    case 'undo':
      return undo();
    case 'play':
      return togglePlay();
    case 'open':
      return grid.focused >= 0 ? void host.request('open', { item: items[grid.focused].id }).catch(showError) : undefined;
    case 'move':
      return grid.move(action.dir);
  }
});

// ---- host messages ---------------------------------------------------------------------------------------------
function load(s: ReviewState): void {
  const modeChanged = state !== null && state.mode !== s.mode;
  state = s;
  thumbs.clear();
  durations.clear();
  // A new list from the host is its saved state; answers still to come update it through applyUpdates.
  if (modeChanged) saved.focusId = undefined;
  threshold = s.threshold;
  render();
  gridBox.focus();
}
host.on('init', (msg) => {
  if (msg.view === 'review') load(msg.state);
});
host.on('review', (s) => load(s));
host.on('updates', (u) => applyUpdates(u.updates));
host.ready('review');
