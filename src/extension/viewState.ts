/**
 * Pure builders of what the webviews, CodeLens and status bar show, from the engine's objects: the side panel's
 * state and its "next suggested action", review grid items, item statuses, and progress fractions. No `vscode`
 * import and no I/O, so it is tested under Node (src/extension/test/viewState.test.ts).
 */
import type { CurrentLabel, Item, Progress, Proposal, Suggestion } from '../core/types';
import type { NextStep, ProjectStatus } from '../core/project/types';
import { nextStep, SEEDS_PER_CLASS } from '../core/project/nextStep';
import { formatConfidence, plural } from '../shared/format';
import type { GridItem, ItemStatus, LastRun, NextAction, RoundPoint, RunnableStage, SideState, StageProgress } from '../protocol/webview';

/** Seeds per class the UI asks for before suggesting training. */
export { SEEDS_PER_CLASS };
/** Longest text snippet sent to the review grid. */
export const PREVIEW_CHARS = 400;

/** 0..1 when the total is known and positive. */
export function progressFraction(p: Progress): number | undefined {
  if (p.total === undefined || !(p.total > 0)) return undefined;
  return Math.min(1, Math.max(0, p.done / p.total));
}

/** The engine's progress as the webviews see it; `run` is the stage the user started (the row that shows it). */
export function toStageProgress(p: Progress, run?: RunnableStage): StageProgress {
  const out: StageProgress = { stage: p.stage, done: Number.isFinite(p.done) ? p.done : 0 };
  if (run) out.run = run;
  const fraction = progressFraction(p);
  if (fraction !== undefined) out.fraction = fraction;
  if (p.total !== undefined && Number.isFinite(p.total)) out.total = p.total;
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) out.etaSeconds = p.etaSeconds;
  if (p.message) out.message = p.message;
  if (p.loss !== undefined && Number.isFinite(p.loss)) out.loss = p.loss;
  return out;
}

/**
 * What to say when the last scan found nothing to label (instead of "not scanned yet" / "run scan first"): what the
 * scan saw and what to do about it.
 */
export function emptyScanMessage(skipped: number): string {
  const seen = skipped > 0 ? ` (${plural(skipped, 'file')} skipped: see the SelfLabel log)` : '';
  return `The scan found no items to label${seen}. Add images or text files (.txt, .jsonl, .csv) to the folder, or check the selflabel.include / selflabel.exclude settings, then scan again.`;
}

/**
 * Where the review grid's threshold control starts: the setting, or the threshold the proposal set was made with
 * when that is lower (a `selflabel propose --threshold 0` from the CLI), so no pending proposal starts out marked as
 * below the threshold; candidates under the set's threshold do.
 */
export function gridThreshold(setting: number, madeWith: number | undefined): number {
  return madeWith !== undefined && Number.isFinite(madeWith) ? Math.min(setting, Math.max(0, madeWith)) : setting;
}

/** The review grid's message when it has nothing to show. */
export function reviewEmptyMessage(proposed: boolean): string {
  return proposed
    ? 'No open proposals and no candidates: everything proposed has been reviewed. Train again with the new labels, then propose.'
    : 'No proposals yet: train the model, then propose (the side panel shows the next step).';
}

/**
 * Progress of a stage that runs several tasks at once (pretraining's pretext tasks in parallel workers): each report
 * carries one task's loss and epoch ("simclr: epoch 2/8"), so showing the latest report alternates between the
 * tasks. `seen` keeps the latest line per task for the run; the result shows every task's line and no single loss.
 */
export function withTaskLines(seen: Map<string, string>, p: StageProgress): StageProgress {
  const m = p.message !== undefined ? /^([\w-]+): (.*)$/.exec(p.message) : null;
  if (!m) return p;
  seen.set(m[1], `${m[1]}: ${m[2]}${p.loss !== undefined ? `, loss ${p.loss.toFixed(3)}` : ''}`);
  if (seen.size < 2) return p;
  const out: StageProgress = { ...p, message: [...seen.values()].join(' · ') };
  delete out.loss;
  return out;
}

/**
 * The summary of a pretraining run: each task's own rate (items of that task per second of its own training) and the
 * stage's wall-clock rate (tasks side by side do not add up). `before`: the epochs of each task before it. When no
 * task gained an epoch (the encoder was already pretrained for the configured epochs) say so, instead of a rate over
 * a run that did nothing.
 */
export function pretrainSummary(
  before: readonly { task: string; epochs: number }[],
  r: {
    tasks: readonly { task: string; epochs: number; finalLoss: number; itemsPerSecond?: number; input?: string }[];
    seconds: number;
    itemsPerSecond: number;
    backend: string;
  },
): string {
  const had = new Map(before.map((t) => [t.task, t.epochs]));
  if (r.tasks.length > 0 && r.tasks.every((t) => (had.get(t.task) ?? -1) >= t.epochs)) {
    return `already pretrained (${r.tasks.map((t) => `${t.task} ${plural(t.epochs, 'epoch')}`).join(', ')}): nothing to do. To start over, run SelfLabel: Pretrain Encoder from Scratch; for more epochs, raise selflabel.pretrainEpochs`;
  }
  const task = (t: (typeof r.tasks)[number]) =>
    `${t.task} (${plural(t.epochs, 'epoch')}${t.input ? ` on ${t.input}` : ''}, loss ${t.finalLoss.toFixed(3)}${t.itemsPerSecond !== undefined ? `, ${t.itemsPerSecond.toFixed(0)} items/s` : ''})`;
  return `pretrained ${r.tasks.map(task).join(', ')} in ${r.seconds.toFixed(0)} s: ${r.itemsPerSecond.toFixed(0)} items/s wall clock for the stage, on ${r.backend}`;
}

/** What the user should do next, with the button that does it. `scanned`: a scan has run (its item list exists). */
export function nextAction(
  status: ProjectStatus | null,
  ctx: { folder: boolean; trusted: boolean; running: StageProgress | null; scanned?: boolean },
): NextAction {
  if (!ctx.folder) return { text: 'Open a folder with images or text files to start.' };
  if (ctx.running) return { text: `${ctx.running.stage} is running…` };
  if (!ctx.trusted) return { text: 'Trust this workspace to scan, train and label.', command: 'manageTrust' };
  if (!status) return { text: 'Set the classes to label (at least two).', command: 'setClasses' };
  if (status.items === 0 && status.classes.length >= 2 && ctx.scanned) return { text: emptyScanMessage(status.skipped), stage: 'scan' };
  // The step itself is the engine's (the CLI prints the same sentence); this door adds the button that does it.
  const step = nextStep(status);
  return { text: step.text, ...STEP_BUTTONS[step.kind] };
}

/** The side panel's button for each next step of the loop. */
const STEP_BUTTONS: Record<NextStep['kind'], Pick<NextAction, 'command' | 'stage'>> = {
  'set-classes': { command: 'setClasses' },
  scan: { stage: 'scan' },
  pretrain: { stage: 'pretrain' },
  'label-seeds': { command: 'labelNext' },
  train: { stage: 'train' },
  review: { command: 'reviewProposals' },
  propose: { stage: 'propose' },
  retrain: { stage: 'train' },
  'label-uncertain': { command: 'labelNext' },
  export: { command: 'export' },
};

/** The learning curve: rounds that have an accuracy estimate. */
export function learningCurve(status: ProjectStatus | null): RoundPoint[] {
  if (!status) return [];
  return status.history
    .filter((r) => typeof r.estimatedAccuracy === 'number' && Number.isFinite(r.estimatedAccuracy))
    .map((r) => ({ round: r.round, labels: r.labelled, accuracy: r.estimatedAccuracy as number }));
}

export function buildSideState(input: {
  status: ProjectStatus | null;
  folder: string | null;
  trusted: boolean;
  running: StageProgress | null;
  /** How the last run of each stage ended (Session.lastRuns); none before any ran. */
  lastRuns?: LastRun[];
  problem: string | null;
  /** Open proposals per class. */
  proposedByClass: ReadonlyMap<string, number>;
  /** Backend known to the host when the status has none yet. */
  backend?: string;
  /** A scan has run (even one that found nothing). */
  scanned?: boolean;
}): SideState {
  const s = input.status;
  const classes = (s?.classes ?? []).map((name) => ({
    name,
    labelled: s?.counts[name] ?? 0,
    proposed: input.proposedByClass.get(name) ?? 0,
  }));
  const warnings = s?.warnings.length ? s.warnings.join('\n') : null;
  return {
    trusted: input.trusted,
    folder: input.folder,
    classes,
    items: s?.items ?? 0,
    labelled: s?.labelled ?? 0,
    proposals: s?.proposals ?? 0,
    skipped: s?.skipped ?? 0,
    accuracy: s?.model?.estimatedAccuracy ?? null,
    pretrained: s?.pretrained.length ? s.pretrained.map((t) => `${t.task} ${plural(t.epochs, 'epoch')}`).join(', ') : null,
    history: learningCurve(s),
    backend: s?.backend ?? input.backend ?? null,
    running: input.running,
    lastRuns: input.lastRuns ?? [],
    scanned: input.scanned === true,
    next: nextAction(s, { folder: input.folder !== null, trusted: input.trusted, running: input.running, scanned: input.scanned }),
    problem: input.problem ?? warnings,
  };
}

/** Status of an item for the grid and the editor, from its current label, open proposal and rejections. */
export function itemStatus(
  current: CurrentLabel | undefined,
  proposal: Proposal | undefined,
  rejected: boolean,
): { status: ItemStatus; label?: string } {
  if (current) {
    const status: ItemStatus = current.source === 'accepted' ? 'accepted' : current.source === 'corrected' ? 'corrected' : 'labelled';
    return { status, label: current.label };
  }
  if (proposal) return { status: 'proposed', label: proposal.label };
  return { status: rejected ? 'rejected' : 'unlabelled' };
}

function preview(item: Item | undefined): string | undefined {
  if (item?.kind === 'audio') return item.details;
  if (!item || item.kind === 'image' || item.preview === undefined) return undefined;
  return item.preview.length > PREVIEW_CHARS ? `${item.preview.slice(0, PREVIEW_CHARS)}…` : item.preview;
}

function kindOf(id: string, item: Item | undefined): GridItem['kind'] {
  if (item) return item.kind;
  if (/\.(wav|flac|mp3|ogg|opus)(#\d+)?$/i.test(id)) return 'audio';
  return /#\d+$/.test(id) ? 'row' : /\.(png|jpe?g|gif|bmp|webp)$/i.test(id) ? 'image' : 'text';
}

/** A proposal as a review grid cell. */
export function proposalCell(p: Proposal, item: Item | undefined): GridItem {
  const cell: GridItem = {
    id: p.item,
    kind: kindOf(p.item, item),
    path: item?.path ?? p.item.replace(/#\d+$/, ''),
    label: p.label,
    confidence: p.confidence,
    status: 'proposed',
  };
  if (p.alternatives?.length) cell.alternatives = p.alternatives.slice(0, 3);
  const text = preview(item);
  if (text !== undefined) cell.preview = text;
  return cell;
}

const REASONS: Record<Suggestion['reason'], string> = {
  uncertain: 'model unsure',
  disagreement: 'model disagrees',
  diverse: 'seed',
};

/** An item to label (label mode) as a grid cell; `current` marks it done when it was labelled meanwhile. */
export function suggestionCell(s: Suggestion, item: Item | undefined, current: CurrentLabel | undefined): GridItem {
  const cell: GridItem = {
    id: s.item,
    kind: kindOf(s.item, item),
    path: item?.path ?? s.item.replace(/#\d+$/, ''),
    status: current ? 'labelled' : 'unlabelled',
    reason: REASONS[s.reason] ?? s.reason,
  };
  const label = current?.label ?? s.predicted;
  if (label !== undefined) cell.label = label;
  if (!current && s.confidence !== undefined) cell.confidence = s.confidence;
  const text = preview(item);
  if (text !== undefined) cell.preview = text;
  return cell;
}

/** Open proposals per class. */
export function countByClass(proposals: Iterable<Proposal>): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of proposals) m.set(p.label, (m.get(p.label) ?? 0) + 1);
  return m;
}

/** A confidence with two decimals, rounded down (0.999 → "0.99": a "1.00" would claim certainty). */

/** The CodeLens / status bar text of an item: "spam 0.97" for a proposal, "labelled: spam" for a label. */
export function describeItem(current: CurrentLabel | undefined, proposal: Proposal | undefined): string | undefined {
  if (current) return `labelled: ${current.label}`;
  if (proposal) return `${proposal.label} ${formatConfidence(proposal.confidence)}`;
  return undefined;
}

/** Validates and normalises a comma-separated list of class names typed by the user. */
export function parseClassList(text: string): { classes: string[] } | { error: string } {
  const classes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (classes.length < 2) return { error: 'Give at least two classes, separated by commas (e.g. cat, dog).' };
  // The same rules as the label store's classNameProblem / validateClasses (src/core/store/labelStore.ts), so a
  // list this box accepts is never refused after Enter.
  const seen = new Map<string, string>();
  for (const c of classes) {
    if (/[\u0000-\u001f\u007f]/.test(c)) return { error: `Class "${c}" contains a control character.` };
    if (c.length > 100) return { error: `Class "${c.slice(0, 20)}…" is longer than 100 characters.` };
    if (/[/\\]/.test(c)) return { error: `Class "${c}" contains a slash (class names become folder names when exporting).` };
    if (c === '.' || c === '..') return { error: `Class "${c}" is not a usable folder name.` };
    const prev = seen.get(c.toLowerCase());
    if (prev === c) return { error: `Class "${c}" is listed twice.` };
    if (prev !== undefined) return { error: `Classes "${prev}" and "${c}" differ only in case.` };
    seen.set(c.toLowerCase(), c);
  }
  return { classes };
}
