/**
 * The SelfLabel side panel (a WebviewView in the activity bar): classes with counts, one button per stage with
 * progress and cancel, the model's estimated accuracy with a learning curve, the next suggested action and the
 * backend in use. It holds no state of its own: it renders the host's `SideState` and sends requests back.
 *
 * Stable hooks for tests: every interactive element has an id and a `data-testid` (listed in the extension report).
 */
import type { LastRun, PanelCommand, RunnableStage, SideState, StageProgress } from '../../src/protocol/webview';
import { HostClient, HostError } from '../shared/rpc';
import { describeProgress, el, formatPercent, injectStyle, plural } from '../shared/format';
import { badge, button, divider, registerToolkit, ring, setEnabled } from '../ui/toolkit';
import { renderCurve } from './chart';
import { phaseLabel, progressRow } from './progress';
import css from './style.css';

const STAGE_INFO: Record<RunnableStage, { label: string; icon: string; help: string }> = {
  scan: { label: 'Scan', icon: 'search', help: 'Find the images, text files, JSONL/CSV rows and audio clips of the workspace' },
  pretrain: { label: 'Pretrain', icon: 'beaker', help: 'Self-supervised pretraining of the encoder on all items (no labels needed)' },
  train: { label: 'Train', icon: 'mortar-board', help: 'Fine-tune on your labels and calibrate' },
  propose: { label: 'Propose', icon: 'lightbulb', help: 'Propose labels for unlabelled items, with calibrated confidence' },
};
const STAGES = Object.keys(STAGE_INFO) as RunnableStage[];

injectStyle(css);
registerToolkit();
const host = new HostClient();

let state: SideState | null = null;
let progress: StageProgress | null = null;

// ---- static skeleton -------------------------------------------------------------------------------------------
const root = el('main', 'sl-side');
root.id = 'sl-side';
root.dataset.ready = 'false';
document.body.append(root);

const header = el('div', 'sl-header');
const folder = el('span', 'sl-folder');
folder.id = 'sl-folder';
folder.dataset.testid = 'folder';
const backend = el('span', 'sl-backend');
backend.id = 'sl-backend';
backend.dataset.testid = 'backend';
header.append(folder, backend);

const trust = el('section', 'sl-trust');
trust.id = 'sl-trust';
trust.dataset.testid = 'trust';
trust.append(
  el(
    'p',
    undefined,
    'This workspace is not trusted. SelfLabel can show labels but scanning, training and labelling are disabled until you trust it.',
  ),
  button({
    label: 'Manage Workspace Trust',
    id: 'sl-manage-trust',
    testId: 'manage-trust',
    appearance: 'secondary',
    icon: 'shield',
    onClick: () => command('manageTrust'),
  }),
);

const problem = el('div', 'sl-problem');
problem.id = 'sl-problem';
problem.dataset.testid = 'problem';
problem.setAttribute('role', 'alert');

const nextBox = el('section', 'sl-next');
const nextText = el('span', 'sl-next-text');
nextText.id = 'sl-next-text';
nextText.dataset.testid = 'next-text';
const nextButton = button({
  label: 'Do it',
  id: 'sl-next',
  testId: 'next',
  appearance: 'primary',
  icon: 'arrow-right',
  onClick: () => doNext(),
});
nextBox.append(el('h3', undefined, 'Next'), nextText, nextButton);

// classes
const classesBox = el('section', 'sl-classes-box');
const classList = el('ul', 'sl-classes');
classList.id = 'sl-classes';
classList.dataset.testid = 'classes';
const counts = el('p', 'sl-counts');
counts.id = 'sl-counts';
counts.dataset.testid = 'counts';
classesBox.append(
  el('h3', undefined, 'Classes'),
  classList,
  counts,
  button({
    label: 'Set classes…',
    id: 'sl-set-classes',
    testId: 'set-classes',
    appearance: 'secondary',
    icon: 'tag',
    onClick: () => command('setClasses'),
  }),
);

// stages
const stagesBox = el('section', 'sl-stages-box');
stagesBox.append(el('h3', undefined, 'Pipeline'));
const stageRows = new Map<
  RunnableStage,
  { row: HTMLElement; button: HTMLElement; status: HTMLElement; bar: HTMLElement; fill: HTMLElement }
>();
for (const s of STAGES) {
  const info = STAGE_INFO[s];
  const row = el('div', 'sl-stage');
  row.id = `sl-stage-${s}`;
  row.dataset.testid = `stage-${s}`;
  const b = button({
    label: info.label,
    id: `sl-run-${s}`,
    testId: `run-${s}`,
    appearance: 'secondary',
    icon: info.icon,
    title: info.help,
    onClick: () => run(s),
  });
  const status = el('span', 'sl-stage-status');
  status.id = `sl-status-${s}`;
  status.dataset.testid = `status-${s}`;
  const bar = el('div', 'sl-bar');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  const fill = el('div', 'sl-bar-fill');
  bar.append(fill);
  row.append(b, status, bar);
  stagesBox.append(row);
  stageRows.set(s, { row, button: b, status, bar, fill });
}
const cancelButton = button({
  label: 'Cancel',
  id: 'sl-cancel',
  testId: 'cancel',
  appearance: 'secondary',
  icon: 'debug-stop',
  onClick: () => host.notify('cancel', {}),
});
stagesBox.append(cancelButton);

// model
const modelBox = el('section', 'sl-model');
const accuracy = el('p', 'sl-accuracy');
accuracy.id = 'sl-accuracy';
accuracy.dataset.testid = 'accuracy';
const chart = el('div', 'sl-chart-box');
chart.id = 'sl-chart';
chart.dataset.testid = 'chart';
modelBox.append(el('h3', undefined, 'Model'), accuracy, chart);

// review actions
const actions = el('section', 'sl-actions');
const reviewButton = button({
  label: 'Review proposals',
  id: 'sl-review',
  testId: 'review',
  appearance: 'primary',
  icon: 'checklist',
  onClick: () => command('reviewProposals'),
});
const labelButton = button({
  label: 'Label next uncertain',
  id: 'sl-label-next',
  testId: 'label-next',
  appearance: 'secondary',
  icon: 'tag',
  onClick: () => command('labelNext'),
});
const undoButton = button({
  label: 'Undo',
  id: 'sl-undo',
  testId: 'undo',
  appearance: 'secondary',
  icon: 'discard',
  onClick: () => command('undo'),
});
const redoButton = button({
  label: 'Redo',
  id: 'sl-redo',
  testId: 'redo',
  appearance: 'secondary',
  icon: 'redo',
  onClick: () => command('redo'),
});
const exportButton = button({
  label: 'Export…',
  id: 'sl-export',
  testId: 'export',
  appearance: 'secondary',
  icon: 'export',
  onClick: () => command('export'),
});
const importButton = button({
  label: 'Import…',
  id: 'sl-import',
  testId: 'import',
  appearance: 'secondary',
  icon: 'cloud-download',
  onClick: () => command('import'),
});
actions.append(el('h3', undefined, 'Labels'), reviewButton, labelButton, undoButton, redoButton, exportButton, importButton);

root.append(header, trust, problem, nextBox, divider(), classesBox, divider(), stagesBox, divider(), modelBox, divider(), actions);

// ---- behaviour -------------------------------------------------------------------------------------------------
function showError(e: unknown): void {
  problem.textContent = e instanceof HostError || e instanceof Error ? e.message : String(e);
  problem.hidden = false;
}

function run(stage: RunnableStage): void {
  host
    .request('run', { stage })
    .then((r) => {
      if (!r.started && r.message) showError(r.message);
    })
    .catch(showError);
}

function command(c: PanelCommand): void {
  host.request('command', { command: c }).catch(showError);
}

function doNext(): void {
  const next = state?.next;
  if (!next) return;
  if (next.stage) run(next.stage);
  else if (next.command) command(next.command);
}

function renderProgress(): void {
  const running = progress ?? state?.running ?? null;
  // The row of the stage the user started (pretraining's first phase is also called 'embed').
  const runningStage = progressRow(running);
  const ready = state !== null && state.trusted && state.folder !== null;
  for (const [s, r] of stageRows) {
    const active = s === runningStage && running !== null;
    r.row.classList.toggle('running', active);
    r.bar.hidden = !active;
    setEnabled(r.button, ready && running === null);
    if (active && running) {
      const pct = running.fraction !== undefined ? Math.round(running.fraction * 100) : undefined;
      r.fill.classList.toggle('indeterminate', pct === undefined);
      r.fill.style.width = pct === undefined ? '30%' : `${pct}%`;
      if (pct !== undefined) r.bar.setAttribute('aria-valuenow', String(pct));
      const phase = phaseLabel(running);
      r.status.textContent = `${phase ? `${phase} · ` : ''}${describeProgress(running)}`;
      if (!r.status.querySelector('.sl-ring')) r.status.prepend(ring());
    } else {
      r.status.textContent = stageSummary(s);
    }
  }
  cancelButton.hidden = running === null;
}

/**
 * Each row keeps how its stage's last run ended: a tooltip on its status ("done at 14:03 — found 41 items …"), and
 * `data-last-run` (the run's sequence number) with `data-last-outcome`, so a run that ended between two looks is told
 * from the run before it without its notification (VS Code drops toasts that come too fast).
 */
function renderLastRuns(runs: readonly LastRun[]): void {
  for (const [s, r] of stageRows) {
    const last = runs.find((x) => x.stage === s);
    if (!last) {
      delete r.row.dataset.lastRun;
      delete r.row.dataset.lastOutcome;
      r.status.removeAttribute('title');
      continue;
    }
    r.row.dataset.lastRun = String(last.seq);
    r.row.dataset.lastOutcome = last.outcome;
    const at = new Date(last.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    r.status.title = `Last run: ${last.outcome} at ${at} — ${last.summary}`;
  }
}

function stageSummary(s: RunnableStage): string {
  if (!state) return '';
  switch (s) {
    case 'scan':
      return state.items > 0
        ? `${plural(state.items, 'item')}${state.skipped ? `, ${state.skipped} skipped` : ''}`
        : state.scanned
          ? `found 0 items${state.skipped ? `, ${state.skipped} skipped` : ''}`
          : 'not scanned yet';
    case 'pretrain':
      return state.pretrained ?? 'not pretrained yet';
    case 'train':
      return state.accuracy !== null ? `est. accuracy ${formatPercent(state.accuracy)}` : 'not trained yet';
    case 'propose':
      return state.proposals > 0 ? `${state.proposals} open proposals` : '';
  }
}

function render(): void {
  if (!state) return;
  const s = state;
  // Tests wait for this before reading the panel (until the host's `init` arrives it shows "Loading…").
  root.dataset.ready = 'true';
  folder.textContent = s.folder ?? 'No folder open';
  backend.replaceChildren();
  if (s.backend) backend.append(badge(s.backend, 'backend-badge'));
  backend.title = s.backend ? `tfjs backend used by the last stage: ${s.backend}` : 'No stage has run yet';
  trust.hidden = s.trusted;
  problem.textContent = s.problem ?? '';
  problem.hidden = !s.problem;

  nextText.textContent = s.next.text;
  nextButton.hidden = !s.next.stage && !s.next.command;

  classList.replaceChildren();
  const max = Math.max(1, ...s.classes.map((c) => c.labelled + c.proposed));
  for (const [i, c] of s.classes.entries()) {
    const li = el('li', 'sl-class');
    li.dataset.testid = `class-${c.name}`;
    const key = el('span', 'sl-key', i < 9 ? String(i + 1) : '');
    key.title = i < 9 ? `Key ${i + 1} in the review grid` : '';
    const name = el('span', 'sl-class-name', c.name);
    const num = el('span', 'sl-class-count', c.proposed > 0 ? `${c.labelled} + ${c.proposed}?` : String(c.labelled));
    num.title = `${c.labelled} labelled, ${c.proposed} proposed`;
    const bar = el('span', 'sl-class-bar');
    const fillL = el('span', 'sl-class-bar-labelled');
    fillL.style.width = `${(100 * c.labelled) / max}%`;
    const fillP = el('span', 'sl-class-bar-proposed');
    fillP.style.width = `${(100 * c.proposed) / max}%`;
    bar.append(fillL, fillP);
    li.append(key, name, num, bar);
    classList.append(li);
  }
  if (s.classes.length === 0) classList.append(el('li', 'sl-empty', 'No classes yet.'));
  counts.textContent = `${plural(s.items, 'item')} · ${s.labelled} labelled · ${plural(s.proposals, 'proposal')}${s.skipped ? ` · ${s.skipped} skipped` : ''}`;

  accuracy.textContent =
    s.accuracy === null ? 'Not trained yet.' : `Estimated accuracy ${formatPercent(s.accuracy)} (${plural(s.history.length, 'round')})`;
  chart.replaceChildren(renderCurve(s.history));
  chart.hidden = s.history.length === 0;

  const can = s.trusted && s.folder !== null;
  for (const b of [labelButton, undoButton, redoButton, importButton]) setEnabled(b, can);
  setEnabled(reviewButton, s.folder !== null);
  setEnabled(exportButton, s.folder !== null);
  renderLastRuns(s.lastRuns);
  renderProgress();
}

host.on('init', (msg) => {
  if (msg.view !== 'side') return;
  state = msg.state;
  progress = msg.state.running;
  render();
});
host.on('state', (s) => {
  state = s;
  progress = s.running;
  render();
});
host.on('progress', (p) => {
  progress = p;
  renderProgress();
});
cancelButton.hidden = true;
problem.hidden = true;
trust.hidden = true;
folder.textContent = 'Loading…';
host.ready('side');
