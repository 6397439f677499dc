/**
 * Kills the real VS Code extension host (code-server's `bootstrap-fork --type=extensionHost` process) with SIGKILL at
 * random moments while a user labels in the review grid — by keyboard in review mode (A accept, X reject, 1–3
 * correct) or label mode (1–3 label), or through the palette commands "Accept Proposal" / "Reject Proposal" on the
 * focused cell — and, in the background, while the host pretrains or trains (started from the side panel), exports
 * (palette → CSV → save dialog) or while another process compacts the journal. After each kill it checks from
 * outside, then reloads the window (a fresh extension host) and checks what the reloaded UI shows.
 *
 * "Acknowledged" (what must survive): an item the review grid showed as done. The grid shows an action as done only
 * when the host's answer (a `response` to the request, or an `updates` notification) has arrived, and the host sends
 * both only after the label store's write() + fdatasync returned (src/extension/webviews/shared.ts → commands/review.ts → Session → Project →
 * LabelStore.record). A hook in the webview records every such message the moment it arrives; right before the kill
 * the test also reads every cell the grid shows as done and checks each is among those acknowledgements (so the grid
 * cannot show "done" early). After the kill:
 *   - the store opens with the engine's own replay (test/fixtures/stress/storeCheck.ts) without warnings;
 *   - every acknowledged action of this and all earlier trials is the item's current state (label and source, or
 *     a rejection), unless a later action on the same item was in flight — then either state is accepted;
 *   - no item changed that the test did not act on;
 *   - an export, if one ran, is either not there or a complete CSV;
 *   - after the reload the side panel shows exactly the store's number of labelled items.
 *
 * Used by test/e2e/hostKill.e2e.ts (a couple of trials in `npm test`) and scripts/stress/hostKill.mjs (many).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { ROOT, Session, waitFor } from './harness';
import { rng, writeMnistWorkspace } from './mnist';

export const CLASSES = ['0', '1', '7'];
export type Surface = 'review-keys' | 'label-keys' | 'palette';
export type Background = 'none' | 'pretrain' | 'train' | 'export' | 'compact';
export const SURFACES: Surface[] = ['review-keys', 'review-keys', 'label-keys', 'palette'];
export const BACKGROUNDS: Background[] = ['none', 'pretrain', 'train', 'export', 'compact'];

type Status = 'accepted' | 'rejected' | 'corrected' | 'labelled';
interface State {
  status: Status;
  label: string;
}
interface Ack extends State {
  id: string;
  via: string;
}

export interface TrialResult {
  trial: number;
  surface: Surface;
  background: Background;
  /** ms after the user's first action (sent) when the host was killed. */
  killAfterMs: number;
  /** The process that was killed (pid), and whether it was gone afterwards. */
  killedPid: number;
  /** Actions sent (key presses or commands that acted on an item). */
  sent: number;
  /** Actions acknowledged to the user before the kill. */
  acked: number;
  /** Sent but not acknowledged when the host died. */
  inFlight: number;
  /** Acknowledged states checked on disk (this trial's and earlier ones'). */
  checked: number;
  /** The background stage the side panel showed running at the kill (if any). */
  runningAtKill: string | null;
  failures: string[];
  seconds: number;
}

export interface HostKillOptions {
  trials: number;
  /** Only this surface / background (default: random per trial). */
  surface?: Surface;
  background?: Background;
  seed?: number;
  perClass?: number;
  log?: (line: string) => void;
  /** Longest time between the first action and the kill (ms). */
  maxKillMs?: number;
}

const CLI = path.join(ROOT, 'dist', 'cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`selflabel ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A workspace of real MNIST digits with classes, a scan, a pretrained encoder, 4 seeds per class, a model and proposals. */
export function prepareWorkspace(dir: string, perClass: number): Map<string, string> {
  const { truth } = writeMnistWorkspace(dir, { classes: CLASSES, perClass, seed: 11 });
  cli(['init', '--workspace', dir, '--classes', CLASSES.join(','), '--quiet']);
  cli(['scan', '--workspace', dir, '--quiet']);
  cli(['pretrain', '--workspace', dir, '--epochs', '1', '--workers', '1', '--quiet']);
  const per = new Map<string, number>();
  const rows = ['path,label'];
  for (const [f, l] of truth) {
    const n = per.get(l) ?? 0;
    if (n < 4) {
      rows.push(`${f},${l}`);
      per.set(l, n + 1);
    }
  }
  const seeds = path.join(path.dirname(dir), 'seeds.csv');
  fs.writeFileSync(seeds, rows.join('\n') + '\n');
  cli(['import', '--workspace', dir, seeds, '--quiet']);
  cli(['train', '--workspace', dir, '--workers', '1', '--quiet']);
  cli(['propose', '--workspace', dir, '--threshold', '0', '--quiet']);
  return truth;
}

interface StoreView {
  warnings: string[];
  events: number;
  current: Record<string, { label: string; source: string }>;
  rejected: Record<string, string[]>;
}

/** The store as the engine replays it, in a separate process. Throws if it does not open. */
function readStore(ws: string): StoreView {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/stress/storeCheck.ts'), ws], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the store does not open: ${r.stderr.trim().split('\n')[0]}`);
  return JSON.parse(r.stdout) as StoreView;
}

const SOURCE_OF: Record<Exclude<Status, 'rejected'>, string> = { accepted: 'accepted', corrected: 'corrected', labelled: 'human' };

/** Does the store hold this state for the item? */
function holds(store: StoreView, item: string, st: State | undefined): boolean {
  const cur = store.current[item];
  if (!st) return !cur;
  if (st.status === 'rejected') return !cur && (store.rejected[item] ?? []).includes(st.label);
  return !!cur && cur.label === st.label && cur.source === SOURCE_OF[st.status];
}

const show = (st: State | undefined) => (st ? `${st.status} ${st.label}` : 'nothing');
const showStore = (store: StoreView, item: string) => {
  const c = store.current[item];
  const r = store.rejected[item];
  return `${c ? `${c.source} ${c.label}` : 'no label'}${r?.length ? ` (rejected ${r.join(',')})` : ''}`;
};

// ---- processes -------------------------------------------------------------------------------------------------------

/** pid → {ppid, start time, cmdline} of every process (Linux /proc). */
function processes(): Map<number, { ppid: number; start: number; cmd: string }> {
  const out = new Map<number, { ppid: number; start: number; cmd: string }>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(Number(d), { ppid: Number(rest[1]), start: Number(rest[19]), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** True while `pid` is a running extension host process (still the same process: it has not been restarted). */
export function isExtensionHost(pid: number): boolean {
  return processes().get(pid)?.cmd.includes('--type=extensionHost') ?? false;
}

/** Every process under `root` (pid, parent, command line cut to 160 characters): for failure messages. */
export function processTree(root: number): string {
  const ps = processes();
  const under = (pid: number) => {
    for (let p = pid, n = 0; p > 1 && n < 50; n++) {
      if (p === root) return true;
      p = ps.get(p)?.ppid ?? 0;
    }
    return false;
  };
  return [...ps]
    .filter(([pid]) => under(pid))
    .map(([pid, p]) => `${pid} (parent ${p.ppid}) ${p.cmd.slice(0, 160)}`)
    .join('\n');
}

/** The newest extension host process started by the code-server whose pid is `root`. */
export function findExtensionHost(root: number): number | undefined {
  const ps = processes();
  const isUnder = (pid: number) => {
    for (let p = pid, n = 0; p > 1 && n < 50; n++) {
      if (p === root) return true;
      p = ps.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let best: { pid: number; start: number } | undefined;
  for (const [pid, p] of ps) {
    if (!p.cmd.includes('--type=extensionHost') || !isUnder(pid)) continue;
    if (!best || p.start > best.start) best = { pid, start: p.start };
  }
  return best?.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- the webview -----------------------------------------------------------------------------------------------------

/** Records, in the review webview, every acknowledgement from the host as it arrives. Idempotent per page load. */
const HOOK = `(() => {
  if (window.__slAcks) return true;
  window.__slAcks = [];
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    let ups = null, via = '';
    if (d.kind === 'response' && d.ok && d.result && Array.isArray(d.result.updates)) { ups = d.result.updates; via = 'response'; }
    else if (d.kind === 'notify' && d.method === 'updates' && d.params && Array.isArray(d.params.updates)) { ups = d.params.updates; via = 'updates'; }
    if (!ups) return;
    for (const u of ups) window.__slAcks.push({ id: u.id, status: u.status, label: u.label, via });
  }, true);
  return true;
})()`;

/** Cells the grid shows as done (saved status, not "saving…"), and every acknowledgement so far — in one JS turn. */
const SNAPSHOT = `(() => ({
  shown: [...document.querySelectorAll('[data-testid="cell"]')]
    .filter((c) => c.dataset.saving !== 'true' && ['accepted', 'rejected', 'corrected', 'labelled'].includes(c.dataset.status))
    .map((c) => ({ id: c.dataset.item, status: c.dataset.status })),
  acks: window.__slAcks || [],
}))()`;

interface Snapshot {
  shown: { id: string; status: string }[];
  acks: Ack[];
}

async function snapshot(f: Frame, timeoutMs = 3000): Promise<Snapshot | undefined> {
  const t = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs));
  return Promise.race([
    f
      .evaluate(SNAPSHOT)
      .then((v) => v as Snapshot)
      .catch(() => undefined),
    t,
  ]);
}

// ---- the run ---------------------------------------------------------------------------------------------------------

export interface HostKillSummary {
  trials: TrialResult[];
  failures: string[];
  kills: number;
  acked: number;
  inFlight: number;
  checked: number;
  seconds: number;
}

/**
 * Starts code-server on a fresh digits workspace and runs `trials` kill trials in it (labels accumulate from trial
 * to trial, so each trial also re-checks every earlier acknowledgement).
 */
export async function runHostKillTrials(opts: HostKillOptions): Promise<HostKillSummary> {
  const log = opts.log ?? (() => undefined);
  const rand = rng(opts.seed ?? 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const t0 = Date.now();
  let truth = new Map<string, string>();
  const s = await Session.start(
    'hostkill',
    (dir) => {
      truth = prepareWorkspace(dir, opts.perClass ?? 150);
    },
    {
      'selflabel.confidenceThreshold': 0,
      'selflabel.pretrainEpochs': 1,
      'selflabel.pretrainMaxSeconds': 30,
      'selflabel.labelBatchSize': 60,
    },
  );
  log(`workspace ready: ${truth.size} digits, ${Object.keys(readStore(s.workspace).current).length} seed labels`);
  /** What every acknowledged action left behind (item → state); checked after every kill. */
  const expected = new Map<string, State>();
  const results: TrialResult[] = [];
  try {
    for (let trial = 1; trial <= opts.trials; trial++) {
      const surface = opts.surface ?? pick(SURFACES);
      const background = opts.background ?? pick(BACKGROUNDS);
      const killAfterMs = Math.round(200 + rand() * ((opts.maxKillMs ?? 6000) - 200));
      const r = await runTrial(s, {
        trial,
        surface,
        background,
        killAfterMs,
        // The first trial counts from the first acknowledged action, so that every run checks acknowledged labels
        // even where the first answer takes longer than killAfterMs (a loaded machine); the others from the first
        // action sent, which kills with actions in flight more often.
        fromFirstAck: trial === 1,
        rand,
        expected,
        log,
      });
      results.push(r);
      log(
        `trial ${trial}: ${surface} + ${background}, kill after ${r.killAfterMs} ms${r.runningAtKill ? ` (${r.runningAtKill} running)` : ''}: ` +
          `${r.sent} sent, ${r.acked} acknowledged, ${r.inFlight} in flight, ${r.checked} checked, ${r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'ok'} (${r.seconds.toFixed(0)} s)`,
      );
    }
  } finally {
    await s.close();
  }
  const failures = results.flatMap((r) => r.failures.map((f) => `trial ${r.trial} (${r.surface} + ${r.background}): ${f}`));
  return {
    trials: results,
    failures,
    kills: results.filter((r) => r.killedPid > 0).length,
    acked: results.reduce((a, r) => a + r.acked, 0),
    inFlight: results.reduce((a, r) => a + r.inFlight, 0),
    checked: results.reduce((a, r) => a + r.checked, 0),
    seconds: (Date.now() - t0) / 1000,
  };
}

interface TrialContext {
  trial: number;
  surface: Surface;
  background: Background;
  killAfterMs: number;
  /** Time the kill from the first acknowledged action instead of the first one sent. */
  fromFirstAck: boolean;
  rand: () => number;
  expected: Map<string, State>;
  log: (line: string) => void;
}

/**
 * The frame of one of SelfLabel's webviews, visible: Session.webview, else the last of the page's frames that
 * shows the view's root element.
 */
export async function findWebview(s: Session, which: 'side' | 'review', timeoutMs = 30_000): Promise<Frame> {
  const viaHarness = await s.webview(which, timeoutMs).catch(() => undefined);
  if (viaHarness) return viaHarness;
  const marker = which === 'side' ? '#sl-side' : '#sl-review';
  return waitFor(
    `the ${which} webview's content`,
    async () => {
      const found: Frame[] = [];
      for (const f of s.page.frames()) {
        if (f.isDetached()) continue;
        if (
          await f
            .locator(marker)
            .isVisible()
            .catch(() => false)
        )
          found.push(f);
      }
      return found.length ? found[found.length - 1] : undefined;
    },
    timeoutMs,
    250,
  );
}

/** The side panel, open and filled with the host's state (after a reload the side bar may come back hidden). */
async function sideReady(s: Session): Promise<Frame> {
  // The palette command only ever shows the view (never toggles it), and the frame is looked up first, so a side
  // panel that survived the reload is used as it is. (Written when Session.openSidePanel could close an open panel;
  // it no longer can, but this path is what the 40 measured kill trials ran.)
  let f = await findWebview(s, 'side', 3_000).catch(() => undefined);
  for (let attempt = 0; attempt < 3 && !f; attempt++) {
    await s.command('View: Show SelfLabel', 20_000).catch(() => undefined);
    f = await findWebview(s, 'side', 10_000).catch(() => undefined);
  }
  if (!f) f = await findWebview(s, 'side', 30_000);
  await f.locator('#sl-side[data-ready="true"]').waitFor({ timeout: 120_000 });
  return f;
}

async function countsOf(f: Frame): Promise<{ items: number; labelled: number; proposals: number }> {
  const t = (await f.locator('[data-testid="counts"]').innerText()).trim();
  const m = /(\d[\d,]*) items · (\d[\d,]*) labelled · (\d[\d,]*) proposals/.exec(t);
  if (!m) throw new Error(`side panel counts "${t}"`);
  const n = (x: string) => Number(x.replace(/,/g, ''));
  return { items: n(m[1]), labelled: n(m[2]), proposals: n(m[3]) };
}

async function runTrial(s: Session, c: TrialContext): Promise<TrialResult> {
  const t0 = Date.now();
  const failures: string[] = [];
  const result: TrialResult = {
    trial: c.trial,
    surface: c.surface,
    background: c.background,
    killAfterMs: c.killAfterMs,
    killedPid: 0,
    sent: 0,
    acked: 0,
    inFlight: 0,
    checked: 0,
    runningAtKill: null,
    failures,
    seconds: 0,
  };
  const csPid = (s.cs as unknown as { pid: number }).pid;
  let compactor: ChildProcess | undefined;
  const exportFile = path.join(s.scratch, `export-${c.trial}.csv`);
  let step = 'open the side panel';
  try {
    let side = await sideReady(s);
    // Keep enough open proposals for review mode.
    step = 'propose';
    if (c.surface !== 'label-keys' && (await countsOf(side)).proposals < 40) {
      await s.runStage('propose', () => side.locator('[data-testid="run-propose"]').click(), 180_000);
    }
    const before = readStore(s.workspace);

    // Open the grid in the mode the surface needs.
    step = 'open the grid';
    await side.locator(`[data-testid="${c.surface === 'label-keys' ? 'label-next' : 'review'}"]`).click();
    const grid = await findWebview(s, 'review', 60_000);
    const mode = c.surface === 'label-keys' ? 'label' : 'review';
    await waitFor(
      `the grid in ${mode} mode`,
      async () => (await grid.locator(`#sl-mode-${mode}`).getAttribute('aria-pressed')) === 'true',
      120_000,
    );
    await grid.locator('[data-testid="cell"]').first().waitFor({ timeout: 120_000 });
    await grid.evaluate(HOOK);

    // The background activity, started before the user's first action.
    step = `start ${c.background}`;
    if (c.background === 'pretrain' || c.background === 'train') {
      await side.locator(`[data-testid="run-${c.background}"]`).click();
      // The side panel shows Cancel exactly while a stage runs.
      await waitFor(`${c.background} to start`, () => side.locator('[data-testid="cancel"]').isVisible(), 30_000).catch(() => undefined);
    } else if (c.background === 'compact') {
      compactor = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/stress/compactLoop.ts'), s.workspace, '100'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
    } else if (c.background === 'export') {
      await startExport(s, exportFile).catch((e) => c.log(`  export did not start: ${(e as Error).message.split('\n')[0]}`));
    }

    // The user labels until the host is killed.
    const sent = new Map<string, State>(); // item → what the last action sent for it asks for
    let stop = false;
    const focusGrid = async () => {
      const cell = grid.locator('[data-testid="cell"].focused').first();
      await cell.click({ timeout: 5000 });
    };
    step = 'label';
    await focusGrid().catch(() => undefined);
    const user = (async () => {
      while (!stop) {
        if (c.surface === 'palette') {
          const first = grid.locator('[data-testid="cell"][data-status="proposed"][data-saving="false"]').first();
          const id = await first.getAttribute('data-item', { timeout: 3000 }).catch(() => null);
          if (!id || stop) break;
          // The cell of that id (`first` re-resolves on every use: once an update lands it is another cell).
          const target = grid.locator(`[data-testid="cell"][data-item=${JSON.stringify(id)}]`);
          const label = (
            await target
              .locator('[data-testid="cell-label"]')
              .innerText()
              .catch(() => '')
          ).trim();
          await target.click({ timeout: 3000 }).catch(() => undefined);
          // The palette command acts on the focused item: send it only when that is the item recorded as sent.
          const focused = await grid
            .locator('[data-testid="cell"].focused')
            .first()
            .getAttribute('data-item', { timeout: 3000 })
            .catch(() => null);
          if (focused !== id) {
            await sleep(50);
            continue;
          }
          const accept = c.rand() < 0.7;
          sent.set(id, { status: accept ? 'accepted' : 'rejected', label });
          await s.command(accept ? 'SelfLabel: Accept Proposal' : 'SelfLabel: Reject Proposal', 10_000).catch(() => sent.delete(id));
        } else {
          const cell = grid.locator('[data-testid="cell"].focused').first();
          const info = await cell
            .evaluate(
              (node) => {
                const el = node as unknown as {
                  dataset: Record<string, string | undefined>;
                  querySelector(sel: string): { textContent: string | null } | null;
                };
                return {
                  id: el.dataset.item ?? '',
                  status: el.dataset.status ?? '',
                  saving: el.dataset.saving,
                  label: (el.querySelector('[data-testid="cell-label"]')?.textContent ?? '').trim(),
                };
              },
              undefined,
              { timeout: 3000 },
            )
            .catch(() => undefined);
          if (!info || stop) break;
          const open = (info.status === 'proposed' || info.status === 'unlabelled') && info.saving !== 'true';
          if (!open) {
            await s.page.keyboard.press('ArrowRight').catch(() => undefined);
          } else if (c.surface === 'label-keys') {
            const k = Math.floor(c.rand() * CLASSES.length);
            sent.set(info.id, { status: 'labelled', label: CLASSES[k] });
            await s.page.keyboard.press(String(k + 1));
          } else {
            const x = c.rand();
            if (x < 0.6) {
              sent.set(info.id, { status: 'accepted', label: info.label });
              await s.page.keyboard.press('a');
            } else if (x < 0.75) {
              sent.set(info.id, { status: 'rejected', label: info.label });
              await s.page.keyboard.press('x');
            } else {
              const k = Math.floor(c.rand() * CLASSES.length);
              sent.set(
                info.id,
                CLASSES[k] === info.label ? { status: 'accepted', label: info.label } : { status: 'corrected', label: CLASSES[k] },
              );
              await s.page.keyboard.press(String(k + 1));
            }
          }
        }
        await sleep(20 + Math.floor(c.rand() * 150));
      }
    })().catch((e) => c.log(`  user loop: ${(e as Error).message.split('\n')[0]}`));

    // Kill the extension host, killAfterMs after the first action was sent (or acknowledged: fromFirstAck).
    await waitFor('the first action', () => sent.size > 0, 60_000).catch(() => undefined);
    if (c.fromFirstAck) {
      await waitFor('the first acknowledged action', async () => ((await snapshot(grid))?.acks.length ?? 0) > 0, 60_000).catch(() =>
        c.log('  no action was acknowledged within 60 s'),
      );
    }
    const firstAt = Date.now();
    await sleep(c.killAfterMs);
    const running =
      c.background === 'pretrain' || c.background === 'train'
        ? await side
            .locator('[data-testid="cancel"]')
            .isVisible()
            .catch(() => false)
        : false;
    result.runningAtKill = running ? c.background : null;
    const host = findExtensionHost(csPid);
    const snap = await snapshot(grid);
    if (!host) {
      failures.push('no extension host process found');
    } else {
      process.kill(host, 'SIGKILL');
      result.killedPid = host;
    }
    result.killAfterMs = Date.now() - firstAt;
    stop = true;
    compactor?.kill('SIGKILL');
    await user;
    // Messages that arrived between the snapshot and the kill: read again if the webview is still there.
    const after = (await snapshot(grid, 2000)) ?? snap;
    if (host)
      await waitFor('the extension host to be gone', () => !alive(host), 10_000).catch(() =>
        failures.push(`extension host ${host} still alive after SIGKILL`),
      );

    // ---- checks on disk ----
    step = 'check the store';
    if (!snap) failures.push('could not read the review grid before the kill');
    const acks = new Map<string, State>();
    for (const a of after?.acks ?? []) {
      // A rejected item's update carries no label (it has none): the rejected label is the one the test sent.
      const label = a.label ?? (a.status === 'rejected' ? sent.get(a.id)?.label : undefined);
      if (['accepted', 'rejected', 'corrected', 'labelled'].includes(a.status) && label !== undefined)
        acks.set(a.id, { status: a.status as Status, label });
      else acks.delete(a.id);
    }
    // The grid must not show as done anything the host had not acknowledged.
    const ackedAtSnap = new Set((snap?.acks ?? []).map((a) => a.id));
    for (const cell of snap?.shown ?? []) {
      if (sent.has(cell.id) && !ackedAtSnap.has(cell.id))
        failures.push(`the grid showed ${cell.id} as ${cell.status} before the host acknowledged it`);
    }
    const ackedSent = [...sent.keys()].filter((id) => acks.has(id));
    result.sent = sent.size;
    result.acked = ackedSent.length;
    result.inFlight = sent.size - ackedSent.length;

    let store: StoreView | undefined;
    try {
      store = readStore(s.workspace);
    } catch (e) {
      failures.push((e as Error).message);
    }
    if (store) {
      if (store.warnings.length) failures.push(`replay warnings: ${store.warnings.slice(0, 3).join(' | ')}`);
      for (const [id, want] of acks) {
        if (!sent.has(id)) continue; // an update about an item the test did not touch (e.g. a reload)
        result.checked++;
        if (!holds(store, id, want)) failures.push(`acknowledged ${id} = ${show(want)}, store has ${showStore(store, id)}`);
      }
      for (const [id, want] of sent) {
        if (acks.has(id)) continue;
        const old = c.expected.get(id) ?? stateOf(before, id);
        if (!holds(store, id, want) && !holds(store, id, old))
          failures.push(`in-flight ${id}: store has ${showStore(store, id)}, neither the old ${show(old)} nor the sent ${show(want)}`);
      }
      for (const [id, want] of c.expected) {
        if (sent.has(id)) continue;
        result.checked++;
        if (!holds(store, id, want)) failures.push(`acknowledged earlier: ${id} = ${show(want)}, store has ${showStore(store, id)}`);
      }
      // Nothing else changed.
      for (const id of new Set([...Object.keys(before.current), ...Object.keys(store.current)])) {
        if (sent.has(id)) continue;
        const a = before.current[id];
        const b = store.current[id];
        if (a?.label !== b?.label || a?.source !== b?.source)
          failures.push(
            `${id} changed without an action: ${a ? `${a.source} ${a.label}` : 'none'} → ${b ? `${b.source} ${b.label}` : 'none'}`,
          );
      }
      // What the store holds now is the new truth for the items acted on.
      for (const id of sent.keys()) {
        const st = stateOf(store, id);
        if (st) c.expected.set(id, st);
        else c.expected.delete(id);
      }
    }
    if (c.background === 'export' && fs.existsSync(exportFile)) {
      const lines = fs.readFileSync(exportFile, 'utf8').split(/\r?\n/);
      const complete =
        lines[0] === 'path,label' && lines[lines.length - 1] === '' && lines.slice(1, -1).every((l) => /^[^,]+,[^,]+$/.test(l));
      if (!complete) failures.push(`export ${path.basename(exportFile)} is incomplete (${lines.length} lines)`);
    }

    // ---- restart: reload the window (a new extension host) and look at what it shows ----
    step = 'reload';
    await s.page.reload({ waitUntil: 'domcontentloaded', timeout: 120_000 });
    await s.page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await s.page.locator('.statusbar').waitFor({ timeout: 120_000 });
    const fresh = await waitFor(
      'a new extension host',
      () => {
        const p = findExtensionHost(csPid);
        return p && p !== host ? p : undefined;
      },
      120_000,
    ).catch(() => undefined);
    if (!fresh) failures.push('no new extension host after the reload');
    step = 'side panel after the reload';
    side = await sideReady(s);
    if (store) {
      const want = Object.keys(store.current).length;
      const got = await waitFor(
        `the side panel to show ${want} labelled`,
        async () => {
          const n = (await countsOf(side)).labelled;
          return n === want ? n : undefined;
        },
        60_000,
      ).catch(async () => (await countsOf(side).catch(() => ({ labelled: -1 }))).labelled);
      if (got !== want) failures.push(`after the reload the side panel shows ${got} labelled, the store has ${want}`);
    }
  } catch (e) {
    failures.push(`trial did not run to the end (${step}): ${(e as Error).message.split('\n')[0]}`);
    await s.screenshot(`hostkill-trial-${c.trial}-error`, undefined, { hideToasts: false }).catch(() => undefined);
    // Leave a usable window for the next trial.
    compactor?.kill('SIGKILL');
    await s.page.reload({ waitUntil: 'domcontentloaded', timeout: 120_000 }).catch(() => undefined);
  }
  result.seconds = (Date.now() - t0) / 1000;
  return result;
}

function stateOf(store: StoreView, id: string): State | undefined {
  const cur = store.current[id];
  if (cur) {
    const status: Status = cur.source === 'accepted' ? 'accepted' : cur.source === 'corrected' ? 'corrected' : 'labelled';
    return { status, label: cur.label };
  }
  const r = store.rejected[id];
  return r?.length ? { status: 'rejected', label: r[r.length - 1] } : undefined;
}

/** Export Labels… from the palette: CSV, then the save dialog (code-server's simple dialog: a path in a quick input). */
async function startExport(s: Session, file: string): Promise<void> {
  await s.command('SelfLabel: Export Labels…', 15_000);
  const input = s.page.locator('.quick-input-widget input');
  await s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'CSV' }).first().waitFor({ timeout: 10_000 });
  await input.fill('CSV');
  await s.page.keyboard.press('Enter');
  // The save dialog: the same quick input, prefilled with a path.
  await waitFor('the save dialog', async () => /labels\.csv/.test(await input.inputValue().catch(() => '')), 10_000);
  await input.fill(file);
  await s.page.keyboard.press('Enter');
}
