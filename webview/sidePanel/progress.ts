/**
 * Which row of the side panel's pipeline shows a running stage's progress, and what its phase is called. No DOM,
 * so it is tested under Node (src/extension/test/webviewLogic.test.ts).
 */
import type { RunnableStage, StageProgress } from '../../src/protocol/webview';

const RUNNABLE: readonly string[] = ['scan', 'pretrain', 'train', 'propose'];

/**
 * The row of the stage the user started: `run` when the host says it. The engine's phase name is not enough —
 * pretraining first reads every item and reports that as `embed`, which is also training's first phase. Without
 * `run` (an older host), `embed` is taken as training's.
 */
export function progressRow(p: StageProgress | null): RunnableStage | null {
  if (!p) return null;
  if (p.run) return p.run;
  if (p.stage === 'embed') return 'train';
  return RUNNABLE.includes(p.stage) ? (p.stage as RunnableStage) : null;
}

/** The phase shown before the numbers when it is not the stage itself ("reading items", "embedding"), else ''. */
export function phaseLabel(p: StageProgress): string {
  const row = progressRow(p);
  if (row === null || p.stage === row) return '';
  if (p.stage === 'embed') return row === 'pretrain' ? 'reading items' : 'embedding';
  return p.stage;
}
