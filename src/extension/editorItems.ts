/**
 * Inline review in editors:
 *  - a CodeLens above each proposed or labelled item of a text file (line 1) or JSONL/CSV row (its line):
 *    "$(tag) spam 0.97 — Accept · Reject · Change…" for proposals, "$(check) labelled: spam" for labels;
 *  - a decoration marking proposed lines (left border + overview ruler, theme colours);
 *  - a status bar item and context keys for the item in the active tab — including images opened in the image
 *    preview and audio clips in VS Code's media player — which drive the editor/title accept / reject / change actions.
 * Everything reads the Session's in-memory indexes; nothing here loads the engine.
 */
import * as vscode from 'vscode';
import type { Item } from '../core/types';
import type { Controller } from './controller';
import { COMMANDS } from './commands/ids';
import { itemAt } from './currentItem';
import { toWorkspaceRelative } from './itemPaths';
import { formatConfidence } from '../shared/format';

/** The 0-based line a CodeLens/decoration for `item` goes on. */
export function itemLine(item: Item, lineCount: number): number {
  const line = item.kind === 'row' ? (item.line ?? 1) - 1 : 0;
  return Math.max(0, Math.min(Math.max(0, lineCount - 1), line));
}

type LensAction = 'title' | 'accept' | 'reject' | 'change' | 'labelled';

class ItemLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly itemId: string,
    readonly action: LensAction,
  ) {
    super(range);
  }
}

export class ItemCodeLensProvider implements vscode.CodeLensProvider<ItemLens>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly c: Controller) {
    this.subs = [this.emitter, c.onDidChangeLabels(() => this.emitter.fire()), c.onDidChangeProposals(() => this.emitter.fire())];
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<ItemLens[]> {
    const s = this.c.getSession();
    if (!s || doc.uri.scheme !== 'file') return [];
    // Open the project on first need (loads the engine module, not tfjs; never during activation).
    if (!s.current && this.c.hasStore()) await s.getProject().catch(() => undefined);
    if (!s.current) return [];
    const rel = toWorkspaceRelative(s.root, doc.uri.fsPath);
    if (!rel) return [];
    const lenses: ItemLens[] = [];
    for (const item of s.itemsOfFile(rel)) {
      if (item.kind === 'image') continue;
      const d = s.describe(item.id);
      const line = itemLine(item, doc.lineCount);
      const range = new vscode.Range(line, 0, line, 0);
      if (d.proposal) {
        lenses.push(new ItemLens(range, item.id, 'accept'), new ItemLens(range, item.id, 'reject'), new ItemLens(range, item.id, 'change'));
      } else if (d.status.label !== undefined && d.status.status !== 'rejected') {
        lenses.push(new ItemLens(range, item.id, 'labelled'));
      }
    }
    return lenses;
  }

  /** Commands are filled in only for the lenses VS Code shows (matters for files with thousands of rows). */
  resolveCodeLens(lens: ItemLens): ItemLens {
    const s = this.c.getSession();
    const d = s?.describe(lens.itemId);
    const p = d?.proposal;
    switch (lens.action) {
      case 'accept':
        lens.command = p
          ? {
              title: `$(tag) ${p.label} ${formatConfidence(p.confidence)} — Accept`,
              command: COMMANDS.acceptCurrent,
              arguments: [lens.itemId],
              tooltip: `Accept the proposed label "${p.label}" (calibrated confidence ${p.confidence.toFixed(3)})`,
            }
          : { title: '$(check) reviewed', command: '' };
        break;
      case 'reject':
        lens.command = { title: 'Reject', command: COMMANDS.rejectCurrent, arguments: [lens.itemId], tooltip: 'Reject this proposal' };
        break;
      case 'change':
        lens.command = { title: 'Change…', command: COMMANDS.correctCurrent, arguments: [lens.itemId], tooltip: 'Pick the right class' };
        break;
      case 'labelled':
      case 'title':
        lens.command = {
          title: `$(check) labelled: ${d?.status.label ?? '?'}`,
          command: COMMANDS.correctCurrent,
          arguments: [lens.itemId],
          tooltip: `${d?.status.status ?? 'labelled'}: click to change`,
        };
        break;
    }
    return lens;
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
  }
}

/** Marks lines that carry an open proposal in visible editors. */
export class ProposalDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderWidth: '0 0 0 2px',
    borderStyle: 'solid',
    borderColor: new vscode.ThemeColor('editorInfo.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.infoForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly subs: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly c: Controller) {
    this.subs = [
      this.type,
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      c.onDidChangeLabels(() => this.schedule()),
      c.onDidChangeProposals(() => this.schedule()),
    ];
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), 50);
  }

  private update(): void {
    this.timer = undefined;
    const s = this.c.getSession();
    for (const ed of vscode.window.visibleTextEditors) {
      const ranges: vscode.Range[] = [];
      const rel = s?.current && ed.document.uri.scheme === 'file' ? toWorkspaceRelative(s.root, ed.document.uri.fsPath) : undefined;
      if (s && rel) {
        for (const item of s.itemsOfFile(rel)) {
          if (item.kind === 'image' || !s.openProposals.has(item.id)) continue;
          const line = itemLine(item, ed.document.lineCount);
          ranges.push(new vscode.Range(line, 0, line, 0));
        }
      }
      ed.setDecorations(this.type, ranges);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.subs) d.dispose();
  }
}

/** The status bar item and context keys for the item in the active tab (image preview, media player or text editor). */
export class ActiveItemStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('selflabel.activeItem', vscode.StatusBarAlignment.Right, 100);
  private readonly subs: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastKeys = '';

  constructor(private readonly c: Controller) {
    this.item.name = 'SelfLabel: current item';
    this.subs = [
      this.item,
      vscode.window.tabGroups.onDidChangeTabs(() => this.schedule()),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.window.onDidChangeTextEditorSelection(() => this.schedule()),
      c.onDidChangeLabels(() => this.schedule()),
      c.onDidChangeProposals(() => this.schedule()),
    ];
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), 30);
  }

  /** The item of the active tab (not the review grid's focus: that has its own UI). */
  private activeId(): string | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
    return uri ? itemAt(this.c, uri) : undefined;
  }

  private update(): void {
    this.timer = undefined;
    const s = this.c.getSession();
    const id = s?.current ? this.activeId() : undefined;
    const d = id && s ? s.describe(id) : undefined;
    const hasProposal = !!d?.proposal;
    const labelled = !!d && d.status.label !== undefined && d.status.status !== 'rejected' && !hasProposal;
    if (id && d && d.proposal) {
      this.item.text = `$(tag) ${d.proposal.label} ${formatConfidence(d.proposal.confidence)}`;
      this.item.tooltip = `SelfLabel proposal for ${id}: ${d.proposal.label} (confidence ${d.proposal.confidence.toFixed(3)}). Click to change.`;
      this.item.command = { title: 'Change label', command: COMMANDS.correctCurrent, arguments: [id] };
      this.item.show();
    } else if (id && d && labelled) {
      this.item.text = `$(check) ${d.status.label}`;
      this.item.tooltip = `SelfLabel: ${id} is ${d.status.status} as ${d.status.label}. Click to change.`;
      this.item.command = { title: 'Change label', command: COMMANDS.correctCurrent, arguments: [id] };
      this.item.show();
    } else if (id) {
      this.item.text = '$(tag) unlabelled';
      this.item.tooltip = `SelfLabel: ${id} has no label yet. Click to label it.`;
      this.item.command = { title: 'Label', command: COMMANDS.correctCurrent, arguments: [id] };
      this.item.show();
    } else {
      this.item.hide();
    }
    const keys = `${!!id}|${hasProposal}|${labelled}`;
    if (keys !== this.lastKeys) {
      this.lastKeys = keys;
      void vscode.commands.executeCommand('setContext', 'selflabel.activeItem', !!id);
      void vscode.commands.executeCommand('setContext', 'selflabel.activeItemHasProposal', hasProposal);
      void vscode.commands.executeCommand('setContext', 'selflabel.activeItemLabelled', labelled);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.subs) d.dispose();
  }
}
