/**
 * Pure geometry of the review grid's virtualisation and keyboard movement: how many columns fit, which rows are
 * visible for a scroll position, where a cell goes, and which index an arrow key moves to. No DOM here, so it is
 * tested under Node (src/extension/test/webviewLogic.test.ts).
 */

export interface GridLayout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  /** Height of the whole scrollable content in pixels. */
  totalHeight: number;
}

/**
 * Lays out `count` cells of `cellWidth`×`cellHeight` (plus `gap`) in a viewport `width` wide: at least one column.
 * With `stretch`, `cellWidth` is a minimum and the cells widen to fill the row.
 */
export function gridLayout(width: number, count: number, cellWidth: number, cellHeight: number, gap = 8, stretch = false): GridLayout {
  const columns = Math.max(1, Math.floor((Math.max(0, width) + gap) / (cellWidth + gap)));
  if (stretch) cellWidth = Math.max(cellWidth, Math.floor((Math.max(0, width) - gap * (columns - 1)) / columns));
  const rows = Math.ceil(Math.max(0, count) / columns);
  const totalHeight = rows === 0 ? 0 : rows * (cellHeight + gap) - gap;
  return { columns, rows, cellWidth, cellHeight, gap, totalHeight };
}

/**
 * The cells to render for a scroll position: rows intersecting [scrollTop, scrollTop + viewportHeight], widened
 * by `overscan` rows on each side. Returns a half-open index range [start, end) clamped to [0, count).
 */
export function visibleRange(
  layout: GridLayout,
  count: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 2,
): { start: number; end: number } {
  if (count <= 0 || layout.rows === 0) return { start: 0, end: 0 };
  const pitch = layout.cellHeight + layout.gap;
  const firstRow = Math.max(0, Math.floor(Math.max(0, scrollTop) / pitch) - overscan);
  const lastRow = Math.min(layout.rows - 1, Math.floor((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / pitch) + overscan);
  const start = Math.min(count, firstRow * layout.columns);
  const end = Math.min(count, (lastRow + 1) * layout.columns);
  return { start, end };
}

/** Top-left pixel position of cell `index`. */
export function cellPosition(layout: GridLayout, index: number): { x: number; y: number } {
  const row = Math.floor(index / layout.columns);
  const col = index % layout.columns;
  return { x: col * (layout.cellWidth + layout.gap), y: row * (layout.cellHeight + layout.gap) };
}

/** The scrollTop that brings cell `index` fully into view with the least movement (unchanged if already visible). */
export function scrollToReveal(layout: GridLayout, index: number, scrollTop: number, viewportHeight: number): number {
  const { y } = cellPosition(layout, index);
  if (y < scrollTop) return y;
  if (y + layout.cellHeight > scrollTop + viewportHeight) return Math.max(0, y + layout.cellHeight - viewportHeight);
  return scrollTop;
}

export type Direction = 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'pageUp' | 'pageDown';

/** The index an arrow/navigation key moves to, clamped to the items; `pageRows` rows per page. */
export function moveIndex(index: number, dir: Direction, columns: number, count: number, pageRows = 5): number {
  if (count <= 0) return -1;
  if (index < 0) return 0;
  let next = index;
  switch (dir) {
    case 'left':
      next = index - 1;
      break;
    case 'right':
      next = index + 1;
      break;
    case 'up':
      next = index - columns;
      break;
    case 'down':
      next = index + columns;
      break;
    case 'pageUp':
      next = index - columns * pageRows;
      break;
    case 'pageDown':
      next = index + columns * pageRows;
      break;
    case 'home':
      next = 0;
      break;
    case 'end':
      next = count - 1;
      break;
  }
  if (dir === 'up' || dir === 'pageUp') return next < 0 ? index % columns : next;
  if (dir === 'down' || dir === 'pageDown') {
    if (next < count) return next;
    const lastRow = Math.floor((count - 1) / columns);
    if (Math.floor(index / columns) === lastRow) return index;
    // Same column in the last row, or the last item when that row is shorter.
    return Math.min(count - 1, lastRow * columns + (index % columns));
  }
  return Math.min(count - 1, Math.max(0, next));
}
