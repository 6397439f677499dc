/** Status (a one-line summary with the details in the log) and Show Log. */
import * as vscode from 'vscode';
import type { SideState } from '../../protocol/webview';
import { formatPercent, plural } from '../../shared/format';
import type { Controller } from '../controller';
import { COMMANDS } from './ids';
import type { CommandTable } from './registry';

export function statusCommands(c: Controller): CommandTable {
  return {
    [COMMANDS.status]: () => showStatus(c),
    [COMMANDS.showLog]: () => c.log.show(),
  };
}

export async function showStatus(c: Controller): Promise<SideState> {
  const state = await c.sideState();
  const s = c.openSession;
  const status = s && c.hasStore() ? await s.status().catch(() => null) : null;
  const lines = [
    `folder: ${state.folder ?? '(none)'}${c.trusted ? '' : ' (untrusted)'}`,
    `classes: ${state.classes.map((k) => `${k.name} ${k.labelled}${k.proposed ? ` (+${k.proposed} proposed)` : ''}`).join(', ') || '(none)'}`,
    `items: ${state.items}, labelled: ${state.labelled}, open proposals: ${state.proposals}, skipped: ${state.skipped}`,
    `pretrained: ${status?.pretrained.map((t) => `${t.task} ${plural(t.epochs, 'epoch')}`).join(', ') || 'no'}`,
    `model: ${status?.model ? `${status.model.version}${status.model.estimatedAccuracy !== undefined ? `, estimated accuracy ${formatPercent(status.model.estimatedAccuracy)}` : ''}` : 'none'}`,
    `backend: ${state.backend ?? 'not started'}`,
    `running: ${state.running ? state.running.stage : 'nothing'}`,
    `next: ${state.next.text}`,
  ];
  c.log.info(`status\n  ${lines.join('\n  ')}`);
  const pick = await vscode.window.showInformationMessage(
    `SelfLabel: ${plural(state.items, 'item')}, ${state.labelled} labelled, ${plural(state.proposals, 'proposal')}${state.accuracy !== null ? `, est. accuracy ${formatPercent(state.accuracy)}` : ''}. Next: ${state.next.text}`,
    'Show Details',
  );
  if (pick) c.log.show();
  return state;
}
