/** Likely label errors as review grid cells (no `vscode`: tested under Node). */
import type { Disagreement, Item } from '../../core/types';
import type { GridItem } from '../../protocol/webview';

/** A likely label error as a grid cell: the model's class shown as the label to accept, the current label in the reason. */
export function labelErrorCell(d: Disagreement, item: Item | undefined): GridItem {
  const cell: GridItem = {
    id: d.item,
    kind: item?.kind ?? 'image',
    path: item?.path ?? d.item.replace(/#\d+$/, ''),
    label: d.predicted,
    confidence: d.confidence,
    status: 'unlabelled',
    reason: `labelled ${d.label} · model says ${d.predicted} ${Math.round(100 * d.confidence)}%`,
  };
  const text = item?.kind === 'audio' ? item.details : item?.kind === 'image' ? undefined : item?.preview;
  if (text !== undefined) cell.preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return cell;
}
