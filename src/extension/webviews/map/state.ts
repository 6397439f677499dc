/**
 * The embedding map's state as the host sends it, built without `vscode` (tested under Node): one row per item of
 * the layout — its label, open proposal and the model's prediction as class indexes — and the item info hovering a
 * point shows. The layout itself comes from the engine (Project.embeddingMap).
 */
import type { Item, Proposal } from '../../../core/types';
import type { MapItemInfo, MapLayoutMethod, MapState } from '../../../protocol/webview';

/** What the state is built from: the open project's answers (a Project and the session's open proposals). */
export interface MapSources {
  classes: readonly string[];
  labelOf(id: string): { label: string } | undefined;
  proposal(id: string): Proposal | undefined;
  predictionFor(id: string): { label: string; confidence: number } | undefined;
  item(id: string): Item | undefined;
}

/** A state with nothing to draw and a message saying why. */
export function emptyMapState(message: string, classes: readonly string[] = [], trusted = true): MapState {
  return {
    classes: [...classes],
    trusted,
    empty: message,
    method: null,
    computing: null,
    kind: null,
    ids: [],
    xy: [],
    label: [],
    proposal: [],
    predicted: [],
    confidence: [],
  };
}

/** The whole map state of a layout (ids[i] at xy[2i], xy[2i+1]). */
export function buildMapState(
  layout: { method: MapLayoutMethod; ids: readonly string[]; xy: ArrayLike<number> },
  src: MapSources,
  o: { computing: MapLayoutMethod | null; trusted: boolean },
): MapState {
  const classes = [...src.classes];
  const k = new Map(classes.map((c, i) => [c, i]));
  const n = layout.ids.length;
  const label = new Array<number>(n);
  const proposal = new Array<number>(n);
  const predicted = new Array<number>(n);
  const confidence = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const id = layout.ids[i];
    const cur = src.labelOf(id);
    label[i] = cur ? (k.get(cur.label) ?? -1) : -1;
    const q = cur ? undefined : src.proposal(id);
    proposal[i] = q ? (k.get(q.label) ?? -1) : -1;
    const pr = src.predictionFor(id);
    const pk = pr ? (k.get(pr.label) ?? -1) : -1;
    predicted[i] = pk;
    confidence[i] = pk >= 0 && pr ? Math.round(pr.confidence * 1e4) / 1e4 : -1;
  }
  // Four decimals keep sub-pixel precision at 10,000× zoom and halve the message.
  const xy = Array.from(layout.xy, (v) => Math.round(v * 1e5) / 1e5);
  return {
    classes,
    trusted: o.trusted,
    empty: n ? null : 'No items on the map.',
    method: layout.method,
    computing: o.computing,
    kind: n ? (src.item(layout.ids[0])?.kind ?? null) : null,
    ids: [...layout.ids],
    xy,
    label,
    proposal,
    predicted,
    confidence,
  };
}

/** The longest text a hover shows. */
export const HOVER_TEXT_CHARS = 400;

/** What hovering an item shows, besides an image's thumbnail (added by the host, which reads the file). */
export function hoverInfo(id: string, item: Item | undefined): MapItemInfo | null {
  if (!item) return null;
  const info: MapItemInfo = { id, path: item.path, kind: item.kind };
  const text = item.kind === 'audio' ? item.details : item.kind === 'image' ? undefined : item.preview;
  if (text !== undefined) info.text = text.length > HOVER_TEXT_CHARS ? `${text.slice(0, HOVER_TEXT_CHARS)}…` : text;
  return info;
}
