/**
 * SelfLabel's VS Code entry point. Activation only wires things up — commands, the side panel view, CodeLens,
 * decorations, the status bar — and must stay under 100 ms: it imports neither the engine (src/core/project, loaded
 * by the first command that needs it) nor tfjs (which only ever runs in worker threads). The time activation took
 * is logged to the "SelfLabel" output channel.
 *
 * `activate` returns a small API used by the integration tests (activation time, whether the engine / tfjs were
 * loaded, and a way to feed raw messages to the webview channels).
 */
import * as vscode from 'vscode';
import { Controller, COMMANDS, UntrustedError } from './controller';
import { Log, errorMessage } from './log';
import { ReviewPanel, SidePanelProvider } from './panels';
import { ActiveItemStatus, ItemCodeLensProvider, ProposalDecorations } from './editorItems';
import { isEngineLoaded } from './session';
import type { Handled } from './webviewHost';
import type { RunnableStage } from '../protocol/webview';

export interface SelfLabelApi {
  /** Milliseconds `activate` took. */
  activationMs: number;
  /** True once src/core/project has been evaluated (false right after activation). */
  engineLoaded(): boolean;
  /** True if tfjs has been evaluated in the extension host (it should never be: training runs in workers). */
  tfjsLoaded(): boolean;
  controller: Controller;
  /** Feeds a raw message to a webview's channel as if the webview had posted it (validation included). */
  postFromWebview(view: 'side' | 'review', raw: unknown): Promise<Handled>;
}

/** How much lower than the extension host training threads run (nice, 0-19). */
export const WORKER_NICE = 10;

const isUserError = (e: unknown) => e instanceof Error && ['UserError', 'BusyError', 'UntrustedError', 'ProjectError', 'OutsideWorkspaceError'].includes(e.name);

export function activate(context: vscode.ExtensionContext): SelfLabelApi {
  const t0 = performance.now();
  // Training threads run at a lower priority than the extension host's event loop (src/worker/trainWorker.ts), so
  // the side panel, the review grid and every other extension stay responsive while they use every core.
  if (process.env.SELFLABEL_WORKER_NICE === undefined) process.env.SELFLABEL_WORKER_NICE = String(WORKER_NICE);
  const output = vscode.window.createOutputChannel('SelfLabel');
  const log = new Log(output);
  const controller = new Controller(context, log);
  active = controller;
  const sidePanel = new SidePanelProvider(controller, context.extensionUri, log);
  controller.openReview = async (mode) => {
    await ReviewPanel.show(controller, context.extensionUri, log, mode);
  };

  /** Registers a command whose errors become messages (user errors as warnings, others as errors with the log). */
  const command = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (e instanceof UntrustedError) {
          log.warn(`${id}: ${errorMessage(e)}`);
          void controller.showUntrusted(`SelfLabel: ${errorMessage(e)}`);
        } else if (isUserError(e)) {
          log.warn(`${id}: ${errorMessage(e)}`);
          void controller.warn(`SelfLabel: ${errorMessage(e)}`);
        } else {
          log.error(`${id} failed`, e);
          void vscode.window.showErrorMessage(`SelfLabel: ${errorMessage(e)}`, 'Show Log').then((a) => a && log.show());
        }
        return undefined;
      }
    });
  const stage = (s: RunnableStage) => () => controller.runStage(s);

  context.subscriptions.push(
    output,
    controller,
    sidePanel,
    vscode.window.registerWebviewViewProvider(SidePanelProvider.viewType, sidePanel),
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, new ItemCodeLensProvider(controller)),
    new ProposalDecorations(controller),
    new ActiveItemStatus(controller),
    command(COMMANDS.setClasses, (classes) => controller.setClasses(classes)),
    command(COMMANDS.scan, stage('scan')),
    command(COMMANDS.pretrain, stage('pretrain')),
    command(COMMANDS.train, stage('train')),
    command(COMMANDS.propose, stage('propose')),
    command(COMMANDS.reviewProposals, () => controller.openReview('review')),
    command(COMMANDS.labelNext, async () => {
      controller.requireTrust('labelling');
      await controller.openReview('label');
    }),
    command(COMMANDS.acceptCurrent, (arg) => controller.acceptCurrent(arg)),
    command(COMMANDS.rejectCurrent, (arg) => controller.rejectCurrent(arg)),
    command(COMMANDS.correctCurrent, (arg, label) => controller.correctCurrent(arg, label)),
    command(COMMANDS.undo, async () => {
      const r = await controller.undo();
      void vscode.window.showInformationMessage(`SelfLabel: ${r.message}`);
      return r;
    }),
    command(COMMANDS.export, (opts) => controller.exportLabels(opts)),
    command(COMMANDS.import, (uri) => controller.importLabels(uri)),
    command(COMMANDS.status, () => controller.showStatus()),
    command(COMMANDS.cancel, () => controller.cancel()),
    command(COMMANDS.showLog, () => log.show()),
    command(COMMANDS.openItem, (id) => controller.openItem(String(id))),
  );

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms (engine loaded: ${isEngineLoaded()}, tfjs loaded: ${tfjsLoaded()})`);
  return {
    activationMs,
    engineLoaded: isEngineLoaded,
    tfjsLoaded,
    controller,
    postFromWebview: async (view, raw) => {
      if (view === 'side') return sidePanel.receive(raw);
      const rp = ReviewPanel.current;
      return rp ? rp.receive(raw) : { ok: false, reason: 'the review panel is not open' };
    },
  };
}

/** tfjs-core registers its engine on the global object when it is first evaluated. */
function tfjsLoaded(): boolean {
  return '_tfengine' in globalThis;
}

let active: Controller | undefined;

/** Stops the worker threads (VS Code waits for the returned promise). */
export function deactivate(): Promise<void> | undefined {
  const c = active;
  active = undefined;
  return c?.shutdown();
}
