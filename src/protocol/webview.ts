/**
 * The typed message protocol between the extension host (src/extension) and SelfLabel's webviews
 * (webview/sidePanel, webview/review, webview/map). Both sides import this file, so it must stay browser-safe: no Node, no vscode.
 *
 * Three envelopes travel over `postMessage`:
 *  - request       `{kind:'request', id, method, params}`   → answered by exactly one response with the same `id`
 *  - response      `{kind:'response', id, ok:true, result}` or `{kind:'response', id, ok:false, error}`
 *  - notification  `{kind:'notify', method, params}`        → no answer
 *
 * Handshake: a webview sends the notification `ready` once its script has loaded; the host answers with the `init`
 * notification carrying the full state of that view. Until `ready` arrives the host sends nothing (messages posted
 * to a webview that has not loaded its script yet are lost).
 *
 * Every message is checked at runtime with `parseFromWebview` / `parseFromHost` before it is used: webview content
 * is untrusted (it renders file contents), so the host treats its messages like network input. Paths never travel
 * from a webview to the host: a webview names items by id only, and the host resolves ids itself.
 */
import type { ItemKind, Stage } from '../core/types';
import { ITEM_KINDS, STAGES as STAGE_NAMES } from '../shared/enums';
import {
  describe,
  hasShape,
  isArrayOf,
  isBoolean as isBool,
  isFiniteNumber as isNumber,
  isNonNegativeInteger as isRequestId,
  isNullable,
  isOneOf,
  isOptional,
  isRecord,
  isString,
  type Guard,
} from './validate';

// ---------------------------------------------------------------------------------------------------------------
// View models (what the webviews display). They are the host's own summaries, not engine objects.

/** The stages a user can start from the UI. */
export type RunnableStage = 'scan' | 'pretrain' | 'train' | 'propose';
export const RUNNABLE_STAGES: readonly RunnableStage[] = ['scan', 'pretrain', 'train', 'propose'];

/** Progress of the running stage, mirrored from the host's progress notification. */
export interface StageProgress {
  /**
   * The engine's phase: a stage runs phases of other names (pretraining first reads every item, reported as
   * `embed`; training embeds, then trains). The side panel shows progress on the row of `run`, not of `stage`.
   */
  stage: Stage;
  /** The stage the user started (whose row shows this progress); absent from older hosts. */
  run?: RunnableStage;
  /** 0..1 when the total is known. */
  fraction?: number;
  done: number;
  total?: number;
  etaSeconds?: number;
  message?: string;
  loss?: number;
}

/** How the last run of a stage ended, kept by the host for the side panel's row (its tooltip) and for tests. */
export interface LastRun {
  stage: RunnableStage;
  outcome: 'done' | 'failed' | 'cancelled';
  /** The closing message's text: the summary, the error or the cancellation. */
  summary: string;
  /** Increases with every finished run of any stage in this window, so a run is told from the one before it. */
  seq: number;
  /** When it ended (ms since the epoch). */
  at: number;
}
export const LAST_RUN_OUTCOMES: readonly LastRun['outcome'][] = ['done', 'failed', 'cancelled'];

export interface ClassCount {
  name: string;
  /** Items carrying this label now (human, accepted, corrected or imported). */
  labelled: number;
  /** Open proposals for this class. */
  proposed: number;
}

/** One point of the learning curve: the model's estimated accuracy after a training round. */
export interface RoundPoint {
  round: number;
  labels: number;
  accuracy: number;
}

/** Commands the side panel's buttons can ask the host to run (each maps to a `selflabel.*` command). */
export type PanelCommand =
  'setClasses' | 'reviewProposals' | 'labelNext' | 'export' | 'import' | 'status' | 'undo' | 'redo' | 'manageTrust';
export const PANEL_COMMANDS: readonly PanelCommand[] = [
  'setClasses',
  'reviewProposals',
  'labelNext',
  'export',
  'import',
  'status',
  'undo',
  'redo',
  'manageTrust',
];

export interface NextAction {
  text: string;
  /** A stage to run or a command to invoke when the user clicks the suggestion. */
  stage?: RunnableStage;
  command?: PanelCommand;
}

/** Everything the side panel shows. */
export interface SideState {
  trusted: boolean;
  /** Name of the workspace folder in use, null when no folder is open. */
  folder: string | null;
  classes: ClassCount[];
  items: number;
  /** A scan has run (so 0 items means the scan found nothing, not that there was no scan). */
  scanned: boolean;
  labelled: number;
  proposals: number;
  skipped: number;
  /** The model's estimated accuracy (0..1) or null before the first training. */
  accuracy: number | null;
  /** What pretraining produced so far, e.g. "simclr 8 epochs, rotation 8 epochs"; null before any. */
  pretrained: string | null;
  history: RoundPoint[];
  /** Backend that ran the last stage (tensorflow / wasm / cpu), null if none ran yet. */
  backend: string | null;
  running: StageProgress | null;
  /** The last finished run of each stage that ran in this window (at most one per stage). */
  lastRuns: LastRun[];
  next: NextAction;
  /** A problem to show (e.g. the last stage's error), null when there is none. */
  problem: string | null;
}

/** What happened to an item in the grid. */
export type ItemStatus = 'proposed' | 'accepted' | 'rejected' | 'corrected' | 'labelled' | 'unlabelled';
export const ITEM_STATUSES: readonly ItemStatus[] = ['proposed', 'accepted', 'rejected', 'corrected', 'labelled', 'unlabelled'];

/** One cell of the review grid. */
export interface GridItem {
  id: string;
  kind: ItemKind;
  /** Workspace-relative POSIX path of the file (for image thumbnails and the tooltip). */
  path: string;
  /** Proposed label (review mode), predicted label (label mode) or the current label once labelled. */
  label?: string;
  confidence?: number;
  alternatives?: { label: string; confidence: number }[];
  /** Text snippet for text files and rows; for audio clips, the details line (duration, rate, channels). Display with textContent only. */
  preview?: string;
  status: ItemStatus;
  /** Why the item is suggested (label mode). */
  reason?: string;
  /**
   * Review mode: a candidate under the proposal threshold (not a pending proposal). The grid shows it marked as
   * below the threshold; accepting it records a human label of its class.
   */
  below?: boolean;
}

export type ReviewMode = 'review' | 'label';
export const REVIEW_MODES: readonly ReviewMode[] = ['review', 'label'];

/** Everything the review webview shows. */
export interface ReviewState {
  mode: ReviewMode;
  classes: string[];
  items: GridItem[];
  /** Webview URI of the workspace folder; image thumbnails are `${imageBase}/${encoded path}`. */
  imageBase: string | null;
  /** Default of the "accept all above" slider. */
  threshold: number;
  trusted: boolean;
  /** Shown instead of the grid when there is nothing to show (e.g. "run Propose first"). */
  empty: string | null;
  /** Audio clips: play the next clip after a label, accept or reject (setting `selflabel.autoPlayAudio`). */
  autoPlay?: boolean;
}

/** A change to one grid item, pushed by the host after a label changed elsewhere (CodeLens, command, undo). */
export interface ItemUpdate {
  id: string;
  status: ItemStatus;
  label?: string;
}

/** The embedding map's layouts: PCA (shown at once) and UMAP (replacing it when computed). */
export type MapLayoutMethod = 'pca' | 'umap';
export const MAP_LAYOUT_METHODS: readonly MapLayoutMethod[] = ['pca', 'umap'];

/**
 * Everything the embedding map shows: one point per pool item, as parallel arrays (row i of each is item ids[i]) so
 * that 60,000 points stay one compact message. Class values are indexes into `classes`, -1 for none.
 */
export interface MapState {
  classes: string[];
  trusted: boolean;
  /** Shown instead of the map when there is nothing to show (e.g. "pretrain first"). */
  empty: string | null;
  /** The layout of `xy`, null when there are no points. */
  method: MapLayoutMethod | null;
  /** A layout being computed in the background (UMAP while PCA is shown), null when none. */
  computing: MapLayoutMethod | null;
  /** The kind of the pool's items (one modality per pool). */
  kind: ItemKind | null;
  ids: string[];
  /** n × 2 coordinates in [-1, 1]. */
  xy: number[];
  /** Current label (human, accepted, corrected, imported). */
  label: number[];
  /** Pending proposal's class. */
  proposal: number[];
  /** The model's predicted class (labelled or not). */
  predicted: number[];
  /** The model's confidence in `predicted`, -1 when there is no prediction. */
  confidence: number[];
}

/** A new layout of the map's points (same ids, same order). */
export interface MapLayout {
  method: MapLayoutMethod;
  xy: number[];
  computing: MapLayoutMethod | null;
}

/** What hovering a point of the map shows: the image's thumbnail or the text. */
export interface MapItemInfo {
  id: string;
  path: string;
  kind: ItemKind;
  /** A data: URL or webview URL of the image. */
  thumbnail?: string;
  /** Text of a text item or row, details of an audio clip (display with textContent only). */
  text?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

/** Requests a webview sends to the host, with their params and results. */
export interface HostRequests {
  /** Start a stage. `started:false` with a message when another stage runs or the workspace is untrusted. */
  run: { params: { stage: RunnableStage }; result: { started: boolean; message?: string } };
  /** Run one of the panel commands. */
  command: { params: { command: PanelCommand }; result: null };
  accept: { params: { items: string[] }; result: { updates: ItemUpdate[] } };
  reject: { params: { item: string }; result: { updates: ItemUpdate[] } };
  correct: { params: { item: string; label: string }; result: { updates: ItemUpdate[] } };
  label: { params: { item: string; label: string }; result: { updates: ItemUpdate[] } };
  undo: { params: Record<string, never>; result: { updates: ItemUpdate[]; message: string } };
  /** Open the item in an editor. */
  open: { params: { item: string }; result: null };
  /** Switch the review webview between modes (reloads its items). */
  setMode: { params: { mode: ReviewMode }; result: null };
  /**
   * Review grid: thumbnails of image items, asked for in batches (at most {@link MAX_THUMBNAILS}) for the cells on
   * screen. Unknown or non-image items are left out of the answer.
   */
  thumbnails: { params: { items: string[] }; result: { thumbnails: Thumbnail[] } };
  /** Map: label every item of a selection as one class (one journal batch). */
  labelMany: { params: { items: string[]; label: string }; result: { updates: ItemUpdate[] } };
  /** Map: open the selected items in the review grid. */
  openInGrid: { params: { items: string[] }; result: null };
  /** Map: what hovering a point shows. */
  itemInfo: { params: { item: string }; result: MapItemInfo | null };
  /**
   * Review grid: an item to play (audio: a 16 kHz mono WAV of the clip's window, at most a minute), as a
   * `data:audio/wav;base64,` URL — media reach the webview by item id, never by path (CSP: `media-src data:`).
   */
  media: { params: { item: string }; result: MediaClip };
}

/** A playable item: its id, a `data:audio/…;base64,` URL and the seconds it plays. */
export interface MediaClip {
  item: string;
  src: string;
  duration: number;
}

/**
 * One image thumbnail: a small file inlined as a `data:image/…;base64,` URL (one message per batch, no request per
 * image), or the webview URL of a file too big to inline (`imageBase` + path, loaded by the webview itself).
 */
export interface Thumbnail {
  id: string;
  src: string;
  /** Audio clips: seconds of the clip the picture (a spectrogram) shows. */
  duration?: number;
}
export type HostMethod = keyof HostRequests;

/** Notifications a webview sends to the host. */
export interface HostNotifications {
  ready: { view: 'side' | 'review' | 'map' };
  /** Cancel the running stage. */
  cancel: Record<string, never>;
  /** The review grid's focused item changed (used by the "accept current" commands); null = none. */
  focus: { item: string | null };
}
export type HostNotifyMethod = keyof HostNotifications;

/** Notifications the host sends to a webview. */
export interface WebviewNotifications {
  /** Answer to `ready`: the view's whole state. */
  init: { view: 'side'; state: SideState } | { view: 'review'; state: ReviewState } | { view: 'map'; state: MapState };
  /** Side panel: new state. */
  state: SideState;
  /** Progress of the running stage (null when it ends); sent to both views. */
  progress: StageProgress | null;
  /** Review: replace everything (new proposals, mode switch). */
  review: ReviewState;
  /** Review: some items changed elsewhere. */
  updates: { updates: ItemUpdate[] };
  /** Map: replace everything (new embeddings, new model, new classes). */
  mapState: MapState;
  /** Map: a new layout of the same points (UMAP replacing PCA). */
  mapLayout: MapLayout;
}
export type WebviewNotifyMethod = keyof WebviewNotifications;

export interface RequestMessage<M extends HostMethod = HostMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: HostRequests[M]['params'];
}
export interface HostNotifyMessage<M extends HostNotifyMethod = HostNotifyMethod> {
  kind: 'notify';
  method: M;
  params: HostNotifications[M];
}
export type FromWebview =
  { [M in HostMethod]: RequestMessage<M> }[HostMethod] | { [M in HostNotifyMethod]: HostNotifyMessage<M> }[HostNotifyMethod];

export type ResponseMessage =
  { kind: 'response'; id: number; ok: true; result: unknown } | { kind: 'response'; id: number; ok: false; error: string };
export interface WebviewNotifyMessage<M extends WebviewNotifyMethod = WebviewNotifyMethod> {
  kind: 'notify';
  method: M;
  params: WebviewNotifications[M];
}
export type FromHost = ResponseMessage | { [M in WebviewNotifyMethod]: WebviewNotifyMessage<M> }[WebviewNotifyMethod];

// ---------------------------------------------------------------------------------------------------------------
// Runtime validation (built from the dependency-free, browser-safe helpers of ./validate)

/** Longest item id accepted from a webview (ids are workspace paths plus `#row`). */
export const MAX_ID_LENGTH = 4096;
/** Most items one `accept` request may carry. */
export const MAX_BATCH = 100_000;
/** Most thumbnails one `thumbnails` request may ask for. */
export const MAX_THUMBNAILS = 256;
/** Longest class name accepted. */
export const MAX_CLASS_LENGTH = 200;

/** An item id: a non-empty string without control characters, not absolute, no `..` segment. */
export function isItemId(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) return false;
  if (/[\u0000-\u001f]/.test(v)) return false;
  const file = v.replace(/#\d+$/, '');
  if (file.startsWith('/') || /^[a-zA-Z]:/.test(file) || file.includes('\\')) return false;
  return !file.split('/').some((seg) => seg === '..' || seg === '');
}

/** A class name: non-empty, trimmed, no control characters, not too long. */
export function isClassName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_CLASS_LENGTH && v.trim() === v && !/[\u0000-\u001f]/.test(v);
}

const STAGES: readonly Stage[] = STAGE_NAMES;
const isEmpty = (v: unknown): v is Record<string, never> => v === undefined || isRecord(v);

export const isStageProgress = hasShape<StageProgress>({
  stage: isOneOf(STAGES),
  run: isOptional(isOneOf(RUNNABLE_STAGES)),
  fraction: isOptional(isNumber),
  done: isNumber,
  total: isOptional(isNumber),
  etaSeconds: isOptional(isNumber),
  message: isOptional(isString),
  loss: isOptional(isNumber),
});
const isItemUpdate = hasShape<ItemUpdate>({ id: isString, status: isOneOf(ITEM_STATUSES), label: isOptional(isString) });
const isUpdates = hasShape<{ updates: ItemUpdate[] }>({ updates: isArrayOf(isItemUpdate) });
const isNextAction = hasShape<NextAction>({
  text: isString,
  stage: isOptional(isOneOf(RUNNABLE_STAGES)),
  command: isOptional(isOneOf(PANEL_COMMANDS)),
});
export const isSideState = hasShape<SideState>({
  trusted: isBool,
  folder: isNullable(isString),
  classes: isArrayOf(hasShape<ClassCount>({ name: isString, labelled: isNumber, proposed: isNumber })),
  items: isNumber,
  scanned: isBool,
  labelled: isNumber,
  proposals: isNumber,
  skipped: isNumber,
  accuracy: isNullable(isNumber),
  pretrained: isNullable(isString),
  history: isArrayOf(hasShape<RoundPoint>({ round: isNumber, labels: isNumber, accuracy: isNumber })),
  backend: isNullable(isString),
  running: isNullable(isStageProgress),
  lastRuns: isArrayOf(
    hasShape<LastRun>({
      stage: isOneOf(RUNNABLE_STAGES),
      outcome: isOneOf(LAST_RUN_OUTCOMES),
      summary: isString,
      seq: isNumber,
      at: isNumber,
    }),
  ),
  next: isNextAction,
  problem: isNullable(isString),
});
const isGridItem = hasShape<GridItem>({
  id: isString,
  kind: isOneOf<ItemKind>(ITEM_KINDS),
  path: isString,
  label: isOptional(isString),
  confidence: isOptional(isNumber),
  alternatives: isOptional(isArrayOf(hasShape<{ label: string; confidence: number }>({ label: isString, confidence: isNumber }))),
  preview: isOptional(isString),
  status: isOneOf(ITEM_STATUSES),
  reason: isOptional(isString),
  below: isOptional(isBool),
});
export const isReviewState = hasShape<ReviewState>({
  mode: isOneOf(REVIEW_MODES),
  classes: isArrayOf(isString),
  items: isArrayOf(isGridItem),
  imageBase: isNullable(isString),
  threshold: isNumber,
  trusted: isBool,
  empty: isNullable(isString),
  autoPlay: isOptional(isBool),
});

const isNumbers = isArrayOf(isNumber);
const isClassIndexes = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= -1);
const isMethod = isOneOf(MAP_LAYOUT_METHODS);
const isMapStateShape = hasShape<MapState>({
  classes: isArrayOf(isString),
  trusted: isBool,
  empty: isNullable(isString),
  method: isNullable(isMethod),
  computing: isNullable(isMethod),
  kind: isNullable(isOneOf<ItemKind>(ITEM_KINDS)),
  ids: isArrayOf(isString),
  xy: isNumbers,
  label: isClassIndexes,
  proposal: isClassIndexes,
  predicted: isClassIndexes,
  confidence: isNumbers,
});
/** A map state whose arrays all have one row per id, and whose class indexes name classes. */
export const isMapState = (v: unknown): v is MapState => {
  if (!isMapStateShape(v)) return false;
  const n = v.ids.length;
  const C = v.classes.length;
  const inRange = (a: number[]) => a.length === n && a.every((x) => x < C);
  return v.xy.length === 2 * n && inRange(v.label) && inRange(v.proposal) && inRange(v.predicted) && v.confidence.length === n;
};
export const isMapLayout = hasShape<MapLayout>({ method: isMethod, xy: isNumbers, computing: isNullable(isMethod) });
const isMapItemInfo = hasShape<MapItemInfo>({
  id: isString,
  path: isString,
  kind: isOneOf<ItemKind>(ITEM_KINDS),
  thumbnail: isOptional(isString),
  text: isOptional(isString),
});
export { isMapItemInfo };

/** Params validators of the requests a webview may send. */
export const HOST_REQUEST_PARAMS: { [M in HostMethod]: Guard<HostRequests[M]['params']> } = {
  run: hasShape<{ stage: RunnableStage }>({ stage: isOneOf(RUNNABLE_STAGES) }),
  command: hasShape<{ command: PanelCommand }>({ command: isOneOf(PANEL_COMMANDS) }),
  accept: hasShape<{ items: string[] }>({ items: (v: unknown): v is string[] => isArrayOf(isItemId, MAX_BATCH)(v) && v.length > 0 }),
  reject: hasShape<{ item: string }>({ item: isItemId }),
  correct: hasShape<{ item: string; label: string }>({ item: isItemId, label: isClassName }),
  label: hasShape<{ item: string; label: string }>({ item: isItemId, label: isClassName }),
  undo: isEmpty,
  open: hasShape<{ item: string }>({ item: isItemId }),
  setMode: hasShape<{ mode: ReviewMode }>({ mode: isOneOf(REVIEW_MODES) }),
  thumbnails: hasShape<{ items: string[] }>({
    items: (v: unknown): v is string[] => isArrayOf(isItemId, MAX_THUMBNAILS)(v) && v.length > 0,
  }),
  labelMany: hasShape<{ items: string[]; label: string }>({
    items: (v: unknown): v is string[] => isArrayOf(isItemId, MAX_BATCH)(v) && v.length > 0,
    label: isClassName,
  }),
  openInGrid: hasShape<{ items: string[] }>({ items: (v: unknown): v is string[] => isArrayOf(isItemId, MAX_BATCH)(v) && v.length > 0 }),
  itemInfo: hasShape<{ item: string }>({ item: isItemId }),
  media: hasShape<{ item: string }>({ item: isItemId }),
};

/** Largest media answer (characters of its data: URL): a minute of 16 kHz 16-bit mono, base64. */
export const MAX_MEDIA_CHARS = 3_000_000;

/** A thumbnail in the host's answer (webview side: only these are shown). */
export const isThumbnail = hasShape<Thumbnail>({ id: isString, src: isString, duration: isOptional(isNumber) });
export const isThumbnailsResult = hasShape<{ thumbnails: Thumbnail[] }>({ thumbnails: isArrayOf(isThumbnail, MAX_THUMBNAILS) });

/** A media answer (webview side): a base64 `data:audio/wav` or `data:audio/mpeg`… URL, nothing else (never a path). */
export function isMediaClip(v: unknown): v is MediaClip {
  return (
    hasShape<MediaClip>({ item: isItemId, src: isString, duration: isNumber })(v) &&
    v.src.length <= MAX_MEDIA_CHARS &&
    /^data:audio\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/]*={0,2}$/.test(v.src) &&
    v.duration >= 0
  );
}

/** Params validators of the notifications a webview may send. */
export const HOST_NOTIFY_PARAMS: { [M in HostNotifyMethod]: Guard<HostNotifications[M]> } = {
  ready: hasShape<{ view: 'side' | 'review' | 'map' }>({ view: isOneOf(['side', 'review', 'map'] as const) }),
  cancel: isEmpty,
  focus: hasShape<{ item: string | null }>({ item: isNullable(isItemId) }),
};

/** Params validators of the notifications the host may send. */
export const WEBVIEW_NOTIFY_PARAMS: { [M in WebviewNotifyMethod]: Guard<WebviewNotifications[M]> } = {
  init: (v: unknown): v is WebviewNotifications['init'] =>
    isRecord(v) &&
    ((v.view === 'side' && isSideState(v.state)) ||
      (v.view === 'review' && isReviewState(v.state)) ||
      (v.view === 'map' && isMapState(v.state))),
  state: isSideState,
  progress: isNullable(isStageProgress),
  review: isReviewState,
  updates: isUpdates,
  mapState: isMapState,
  mapLayout: isMapLayout,
};

const hasKey = <T extends object>(o: T, k: unknown): k is keyof T => typeof k === 'string' && Object.prototype.hasOwnProperty.call(o, k);

/** The outcome of checking one incoming message: the typed message, or why it was refused. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

/** Checks a message received from a webview (host side). */
export function parseFromWebview(raw: unknown): Parsed<FromWebview> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  const { kind, method, params } = raw;
  if (kind === 'request') {
    if (!isRequestId(raw.id)) return { ok: false, reason: 'request without a valid id' };
    if (!hasKey(HOST_REQUEST_PARAMS, method)) return { ok: false, reason: `unknown request ${describe(method)}` };
    if (!HOST_REQUEST_PARAMS[method](params)) return { ok: false, reason: `invalid params for "${method}"` };
    return { ok: true, message: { kind, id: raw.id, method, params: params ?? {} } as FromWebview };
  }
  if (kind === 'notify') {
    if (!hasKey(HOST_NOTIFY_PARAMS, method)) return { ok: false, reason: `unknown notification ${describe(method)}` };
    if (!HOST_NOTIFY_PARAMS[method](params)) return { ok: false, reason: `invalid params for "${method}"` };
    return { ok: true, message: { kind, method, params: params ?? {} } as FromWebview };
  }
  return { ok: false, reason: `unknown kind ${describe(kind)}` };
}

/** Checks a message received from the host (webview side). */
export function parseFromHost(raw: unknown): Parsed<FromHost> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  if (raw.kind === 'response') {
    if (!isRequestId(raw.id)) return { ok: false, reason: 'response without a valid id' };
    if (raw.ok === true) return { ok: true, message: { kind: 'response', id: raw.id, ok: true, result: raw.result } };
    if (raw.ok === false && isString(raw.error))
      return { ok: true, message: { kind: 'response', id: raw.id, ok: false, error: raw.error } };
    return { ok: false, reason: 'malformed response' };
  }
  if (raw.kind === 'notify') {
    const { method, params } = raw;
    if (!hasKey(WEBVIEW_NOTIFY_PARAMS, method)) return { ok: false, reason: `unknown notification ${describe(method)}` };
    if (!WEBVIEW_NOTIFY_PARAMS[method](params)) return { ok: false, reason: `invalid params for "${method}"` };
    return { ok: true, message: { kind: 'notify', method, params } as FromHost };
  }
  return { ok: false, reason: `unknown kind ${describe(raw.kind)}` };
}
