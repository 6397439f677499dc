/** The ids of SelfLabel's commands (package.json `contributes.commands`) and the side panel's command buttons. */
import type { PanelCommand } from '../../protocol/webview';

export const COMMANDS = {
  setClasses: 'selflabel.setClasses',
  changeClasses: 'selflabel.changeClasses',
  scan: 'selflabel.scan',
  pretrain: 'selflabel.pretrain',
  pretrainFromScratch: 'selflabel.pretrainFromScratch',
  train: 'selflabel.train',
  propose: 'selflabel.propose',
  reviewProposals: 'selflabel.reviewProposals',
  labelNext: 'selflabel.labelNext',
  acceptCurrent: 'selflabel.acceptCurrent',
  rejectCurrent: 'selflabel.rejectCurrent',
  correctCurrent: 'selflabel.correctCurrent',
  undo: 'selflabel.undo',
  redo: 'selflabel.redo',
  export: 'selflabel.export',
  import: 'selflabel.import',
  status: 'selflabel.status',
  cancel: 'selflabel.cancel',
  showLog: 'selflabel.showLog',
  openItem: 'selflabel.openItem',
  showSimilar: 'selflabel.showSimilar',
  reviewLabelErrors: 'selflabel.reviewLabelErrors',
  showMap: 'selflabel.showMap',
  reviewLabelErrorsInGrid: 'selflabel.reviewLabelErrorsInGrid',
} as const;

/** The command a side panel button runs. */
export const PANEL_TO_COMMAND: Record<PanelCommand, string> = {
  setClasses: COMMANDS.setClasses,
  reviewProposals: COMMANDS.reviewProposals,
  labelNext: COMMANDS.labelNext,
  export: COMMANDS.export,
  import: COMMANDS.import,
  status: COMMANDS.status,
  undo: COMMANDS.undo,
  redo: COMMANDS.redo,
  manageTrust: 'workbench.trust.manage',
};
