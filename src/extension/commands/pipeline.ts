/**
 * The pipeline commands: scan, pretrain, train and propose, each run inside a cancellable progress notification
 * (percentage, ETA, loss) mirrored to the webviews; cancel; and the "done — next step" announcement with a button for
 * the suggested next action.
 */
import * as vscode from 'vscode';
import type { PanelCommand, RunnableStage } from '../../protocol/webview';
import { formatCount, formatEta } from '../../shared/format';
import type { Controller } from '../controller';
import { startStageMonitor } from '../hostMonitor';
import { errorMessage } from '../log';
import { STAGE_TITLES, type Session, type StageOutcome } from '../session';
import { showUntrusted, TRUSTED_ACTIONS, untrustedMessage } from '../trust';
import { emptyScanMessage, nextAction } from '../viewState';
import { COMMANDS, PANEL_TO_COMMAND } from './ids';
import type { CommandTable } from './registry';

const STAGE_BUTTON: Record<RunnableStage, string> = { scan: 'Scan', pretrain: 'Pretrain', train: 'Train', propose: 'Propose' };
const COMMAND_BUTTON: Partial<Record<PanelCommand, string>> = {
  setClasses: 'Set Classes',
  reviewProposals: 'Review Proposals',
  labelNext: 'Label Items',
  export: 'Export',
};

export function pipelineCommands(c: Controller): CommandTable {
  return {
    [COMMANDS.scan]: () => runStage(c, 'scan'),
    [COMMANDS.pretrain]: () => runStage(c, 'pretrain'),
    [COMMANDS.pretrainFromScratch]: () => pretrainFromScratch(c),
    [COMMANDS.train]: () => runStage(c, 'train'),
    [COMMANDS.propose]: () => runStage(c, 'propose'),
    [COMMANDS.cancel]: () => cancel(c),
  };
}

/**
 * Starts a stage in a cancellable progress notification. Resolves when the stage ends (the command's result), so
 * tests can await it; webviews call {@link startStage}, which does not wait.
 */
export async function runStage(c: Controller, stage: RunnableStage, opts: { fresh?: boolean } = {}): Promise<StageOutcome | undefined> {
  const start = startStage(c, stage, opts);
  if (!start.started) return undefined;
  return start.done;
}

export function startStage(
  c: Controller,
  stage: RunnableStage,
  opts: { fresh?: boolean } = {},
): { started: true; done: Promise<StageOutcome | undefined> } | { started: false; message: string } {
  if (!c.trusted) {
    const message = untrustedMessage(stage);
    void showUntrusted(message, (t, ...a) => c.warn(t, ...a));
    return { started: false, message };
  }
  const s = c.getSession();
  if (!s) {
    const message = 'SelfLabel: open a folder first.';
    void vscode.window.showWarningMessage(message);
    return { started: false, message };
  }
  if (s.runningStage) {
    const message = `SelfLabel: ${STAGE_TITLES[s.runningStage].toLowerCase()} is still running. Wait for it to finish or cancel it first.`;
    void vscode.window.showInformationMessage(message, 'Cancel It').then((a) => {
      if (a) s.cancel();
    });
    return { started: false, message };
  }
  if (!c.hasStore()) {
    const message = 'SelfLabel: set the classes first (SelfLabel: Set Classes).';
    void vscode.window.showWarningMessage(message, 'Set Classes').then((a) => {
      if (a) void vscode.commands.executeCommand(COMMANDS.setClasses);
    });
    return { started: false, message };
  }
  // After a scan that found nothing, say so (the engine would say "run scan first", which the user just did).
  if (stage !== 'scan' && s.current && s.current.getItems().length === 0 && c.scanned()) {
    const message = `SelfLabel: ${TRUSTED_ACTIONS[stage]} needs items. ${emptyScanMessage(s.current.getSkipped().length)}`;
    void vscode.window.showWarningMessage(message, 'Scan Again').then((a) => {
      if (a) void runStage(c, 'scan');
    });
    return { started: false, message };
  }
  const done = withStageProgress(c, s, stage, opts);
  return { started: true, done };
}

async function withStageProgress(
  c: Controller,
  s: Session,
  stage: RunnableStage,
  opts: { fresh?: boolean },
): Promise<StageOutcome | undefined> {
  const title = `SelfLabel: ${STAGE_TITLES[stage]}`;
  let outcome: StageOutcome | undefined;
  const monitor = startStageMonitor(stage);
  try {
    outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        let reported = 0;
        try {
          progress.report({ message: 'starting…' });
          return await s.runStage(stage, {
            fresh: opts.fresh,
            signal: controller.signal,
            onProgress: (p) => {
              const pct = p.fraction !== undefined ? Math.floor(p.fraction * 100) : undefined;
              const parts: string[] = [];
              // Pretraining's first phase (reading every item) is reported as 'embed' too.
              if (p.stage !== stage) parts.push(p.stage === 'embed' ? (stage === 'pretrain' ? 'reading items' : 'embedding') : p.stage);
              if (pct !== undefined) parts.push(`${pct}%`);
              else if (p.done > 0) parts.push(formatCount(p.done));
              if (p.etaSeconds !== undefined) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
              if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
              if (p.message) parts.push(p.message);
              const increment = pct !== undefined && pct > reported ? pct - reported : undefined;
              if (increment !== undefined) reported = pct as number;
              progress.report({ message: parts.join(' · '), increment });
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    void stopMonitor(c, monitor);
    c.reportProgress(null);
    const reason = errorMessage(e);
    const action = await vscode.window.showErrorMessage(`SelfLabel: ${STAGE_TITLES[stage].toLowerCase()} failed: ${reason}`, 'Show Log');
    if (action) c.log.show();
    return undefined;
  }
  void stopMonitor(c, monitor);
  c.reportProgress(null);
  if (outcome.cancelled) {
    void vscode.window.showInformationMessage(`SelfLabel: ${outcome.summary}`);
  } else {
    void announce(c, outcome);
  }
  return outcome;
}

async function stopMonitor(c: Controller, m: ReturnType<typeof startStageMonitor>): Promise<void> {
  const st = await m.stop();
  if (st)
    c.log.info(`event loop during ${st.stage} (${st.seconds.toFixed(0)} s): delay p50 ${st.p50} ms, p95 ${st.p95} ms, max ${st.max} ms`);
}

/** "Scan done: found 1,024 items" with a button for the suggested next step. */
async function announce(c: Controller, outcome: StageOutcome): Promise<void> {
  const s = c.openSession;
  let next: ReturnType<typeof nextAction> | undefined;
  try {
    const status = s ? await s.status() : null;
    next = nextAction(status, { folder: true, trusted: c.trusted, running: null });
  } catch {
    next = undefined;
  }
  const button = next?.stage ? STAGE_BUTTON[next.stage] : next?.command ? COMMAND_BUTTON[next.command] : undefined;
  const text = `SelfLabel: ${outcome.stage} done — ${outcome.summary}.`;
  const pick = button ? await vscode.window.showInformationMessage(text, button) : await vscode.window.showInformationMessage(text);
  if (pick && next) {
    if (next.stage) void runStage(c, next.stage);
    else if (next.command) void runPanelCommand(next.command);
  }
}

/** Pretrain from scratch: discards the pretrained encoders (after a confirmation) and pretrains again. */
async function pretrainFromScratch(c: Controller): Promise<StageOutcome | undefined> {
  if (!c.trusted) return runStage(c, 'pretrain'); // refused with the trust message
  const go = await vscode.window.showWarningMessage(
    'SelfLabel: pretrain the encoder from scratch? The pretrained encoders are discarded and pretraining starts again from epoch 1 (train again afterwards).',
    { modal: true },
    'Pretrain from Scratch',
  );
  if (!go) return undefined;
  return runStage(c, 'pretrain', { fresh: true });
}

export function cancel(c: Controller): boolean {
  const ok = c.openSession?.cancel() ?? false;
  if (!ok) void vscode.window.showInformationMessage('SelfLabel: nothing is running.');
  return ok;
}

/** Runs the command behind a side panel button. */
export async function runPanelCommand(command: PanelCommand): Promise<void> {
  await vscode.commands.executeCommand(PANEL_TO_COMMAND[command]);
}
