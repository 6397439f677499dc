/**
 * SelfLabel's VS Code entry point. Activation only wires things up — the command groups (./commands/<feature>.ts),
 * the side panel and review webviews (./webviews/<view>/), CodeLens, decorations, the status bar — and must stay
 * under 100 ms: it imports neither the engine (src/core/project, loaded by the first command that needs it) nor
 * tfjs (which only ever runs in worker threads). The time activation took is logged to the "SelfLabel" output
 * channel.
 *
 * `activate` returns a small API: activation time and whether the engine / tfjs were loaded; outside production
 * mode (or with SELFLABEL_TEST_API=1) also `test`, the test-only API of ./testApi.ts.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands/registry';
import { pipelineCommands } from './commands/pipeline';
import { reviewCommands } from './commands/review';
import { labelCommands } from './commands/labels';
import { importExportCommands } from './commands/importExport';
import { statusCommands } from './commands/status';
import { mapCommands } from './commands/map';
import { labelErrorCommands } from './commands/labelErrors';
import { Controller } from './controller';
import { Log } from './log';
import { ActiveItemStatus, ItemCodeLensProvider, ProposalDecorations } from './editorItems';
import { isEngineLoaded } from './session';
import { createTestApi, type SelfLabelTestApi } from './testApi';
import { registerSidePanel } from './webviews/sidePanel/registration';
import { registerReview } from './webviews/review/registration';
import { registerMap } from './webviews/map/registration';
import { ReviewHost } from './webviews/review/host';
import { disposePreviewWorker } from './previewWorker';

export interface SelfLabelApi {
  /** Milliseconds `activate` took. */
  activationMs: number;
  /** True once src/core/project has been evaluated (false right after activation). */
  engineLoaded(): boolean;
  /** True if tfjs has been evaluated in the extension host (it should never be: training runs in workers). */
  tfjsLoaded(): boolean;
  /** Test-only (./testApi.ts): absent in production mode unless SELFLABEL_TEST_API=1. */
  test?: SelfLabelTestApi;
}

/** How much lower than the extension host training threads run (nice, 0-19). */
export const WORKER_NICE = 10;

export function activate(context: vscode.ExtensionContext): SelfLabelApi {
  const t0 = performance.now();
  // Training threads run at a lower priority than the extension host's event loop (src/worker/trainWorker.ts), so
  // the side panel, the review grid and every other extension stay responsive while they use every core.
  if (process.env.SELFLABEL_WORKER_NICE === undefined) process.env.SELFLABEL_WORKER_NICE = String(WORKER_NICE);
  const output = vscode.window.createOutputChannel('SelfLabel');
  const log = new Log(output);
  const controller = new Controller(context, log);
  active = controller;
  const side = registerSidePanel(controller, context.extensionUri, log);
  registerReview(controller, context.extensionUri, log);
  registerMap(controller, context.extensionUri, log);

  context.subscriptions.push(
    output,
    controller,
    ...side.disposables,
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, new ItemCodeLensProvider(controller)),
    new ProposalDecorations(controller),
    new ActiveItemStatus(controller),
    ...registerCommands(
      controller,
      labelCommands(controller),
      pipelineCommands(controller),
      reviewCommands(controller),
      importExportCommands(controller),
      statusCommands(controller),
      mapCommands(controller),
      labelErrorCommands(controller, context.extensionUri),
    ),
  );

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms (engine loaded: ${isEngineLoaded()}, tfjs loaded: ${tfjsLoaded()})`);
  const api: SelfLabelApi = { activationMs, engineLoaded: isEngineLoaded, tfjsLoaded };
  if (context.extensionMode !== vscode.ExtensionMode.Production || process.env.SELFLABEL_TEST_API === '1') {
    const t = createTestApi(controller, async (view, raw) => {
      if (view === 'side') return side.host.receive(raw);
      const rp = ReviewHost.current;
      return rp ? rp.receive(raw) : { ok: false, reason: 'the review panel is not open' };
    });
    context.subscriptions.push(t.disposable);
    api.test = t.api;
  }
  return api;
}

/** tfjs-core registers its engine on the global object when it is first evaluated. */
function tfjsLoaded(): boolean {
  return '_tfengine' in globalThis;
}

let active: Controller | undefined;

/** Stops the worker threads, the project's and the previews' (VS Code waits for the returned promise). */
export function deactivate(): Promise<void> | undefined {
  const c = active;
  active = undefined;
  return Promise.all([c?.shutdown(), disposePreviewWorker()]).then(() => undefined);
}
