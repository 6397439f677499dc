/**
 * Types shared by every part of the engine (src/core) and by its doors (CLI, worker, extension, webview).
 * It imports only types from the shared enums and the modalities' names (src/protocol/modalities.ts), which import
 * nothing: safe to import from anywhere, including the webview bundle.
 */
import type { BackendName, ItemKind, LabelSource, Stage, SuggestionReason } from '../shared/enums';
import type { Modality } from '../protocol/modalities';

export type { BackendName, ItemKind, LabelSource, Modality, Stage, SuggestionReason };

/**
 * One unit to label. `id` is stable across runs: the workspace-relative POSIX path, plus `#<row>` for rows
 * (row = 1-based index of the data row: for CSV the header is not counted, for JSONL blank lines are not counted).
 */
export interface Item {
  id: string;
  /** Workspace-relative POSIX path of the file holding the item. */
  path: string;
  /** 1-based data row for JSONL/CSV rows. */
  row?: number;
  kind: ItemKind;
  modality: Modality;
  /** Content hash (hex, sha256 truncated to 32 chars) of the file bytes or of the row's text. */
  hash: string;
  /** Bytes of the file (or of the row's text). */
  size: number;
  /** The file's mtime in ms (for rows: the file's). */
  mtimeMs: number;
  /** For text and rows: the first ~200 characters of the text, for previews. */
  preview?: string;
  /** For line-based files: 1-based line number of the row in the file (for CodeLens). */
  line?: number;
  /** For images, from the file header: pixel size and channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
  width?: number;
  height?: number;
  channels?: number;
  /** For audio: seconds of the clip, where it starts in the file (windows of long recordings), the file's rate. */
  duration?: number;
  start?: number;
  sampleRate?: number;
  /** For audio: the details line ("2.50 s · 44.1 kHz · stereo · WAV 16-bit"). */
  details?: string;
}

/** An item or file the scan could not use, with a reason a user can read. */
export interface Skipped {
  path: string;
  row?: number;
  reason: string;
}

export interface ScanOptions {
  /** Globs (picomatch, relative to the workspace root) of files to include. Default: all supported files. */
  include?: string[];
  /** Globs to exclude, added to the built-in ones (.git, node_modules, .selflabel). */
  exclude?: string[];
  /** For JSONL/CSV rows: the field holding the text. Default: "text". */
  textField?: string;
  /** Files larger than this are skipped with a reason. Default 50 MB (JSONL/CSV: 200 MB). */
  maxFileBytes?: number;
  /** Audio: how long recordings are split into windows (seconds). */
  audioWindows?: { maxItemSeconds?: number; windowSeconds?: number };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ScanResult {
  items: Item[];
  skipped: Skipped[];
  /** Files looked at (including skipped ones). */
  filesSeen: number;
  seconds: number;
}

/** Where a label came from. */

/** One line of the journal `.selflabel/labels.jsonl`. */
export interface LabelEvent {
  /** Unique id of the event (used by undo and to de-duplicate replays). */
  id: string;
  /** Item id (see Item.id). */
  item: string;
  /** The class; for 'rejected' the class that was rejected; null for 'removed'. */
  label: string | null;
  source: LabelSource;
  /** ISO time. */
  time: string;
  /** Model version that made the proposal (accepted/corrected/rejected). */
  model?: string;
  /** Confidence of the proposal that was accepted/corrected/rejected. */
  confidence?: number;
  /** Content hash of the item when labelled. */
  hash?: string;
  /** Set on an 'undo' event: id of the event it undoes. */
  undoes?: string;
}

/** The effective label of one item after replaying the journal. */
export interface CurrentLabel {
  item: string;
  label: string;
  source: Exclude<LabelSource, 'rejected' | 'removed' | 'undo'>;
  time: string;
  eventId: string;
}

/** A proposed pseudo-label for an unlabelled item. */
export interface Proposal {
  item: string;
  label: string;
  /** Calibrated probability that `label` is right. */
  confidence: number;
  /** Second choice, for "change…" menus. */
  alternatives?: { label: string; confidence: number }[];
  model: string;
}

/** An item worth a human's label (active learning), with why. */
export interface Suggestion {
  item: string;
  /** Higher = more useful to label. */
  score: number;
  reason: SuggestionReason;
  predicted?: string;
  confidence?: number;
}

/** A human label the model strongly disagrees with (likely a label error). */
export interface Disagreement {
  item: string;
  label: string;
  predicted: string;
  /** Out-of-fold probability of `predicted`. */
  confidence: number;
  /** Out-of-fold probability of the given label (confident learning). */
  selfConfidence?: number;
  /** Higher = more likely wrong (confident learning: 1 − selfConfidence). */
  score?: number;
}

/** Progress of a long stage; `total` may be unknown. */
export interface Progress {
  stage: Stage;
  done: number;
  total?: number;
  /** Seconds left, estimated. */
  etaSeconds?: number;
  message?: string;
  /** Last loss value, where the stage trains. */
  loss?: number;
}
