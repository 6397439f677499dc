/**
 * A virtualised grid: only the cells of the visible rows (plus a few rows of overscan) exist in the DOM, recycled
 * from a pool as the user scrolls, so 10,000 items scroll as smoothly as 10. The container is a focusable listbox
 * (`aria-activedescendant` names the focused cell); the caller renders cell contents and handles keys.
 */
import { cellPosition, gridLayout, moveIndex, scrollToReveal, visibleRange, type Direction, type GridLayout } from './layout';

export interface GridCallbacks<T> {
  /** Makes an empty cell (called only when the pool is empty). */
  createCell(): HTMLElement;
  /** Fills a cell for `item` (use textContent for any item text). */
  renderCell(cell: HTMLElement, item: T, index: number, focused: boolean): void;
  onFocusChange(index: number): void;
  onOpen(index: number): void;
}

export class VirtualGrid<T> {
  private items: readonly T[] = [];
  private layout: GridLayout;
  private readonly spacer: HTMLElement;
  private readonly live = new Map<number, HTMLElement>();
  private readonly pool: HTMLElement[] = [];
  private focusedIndex = -1;
  private frame = 0;
  private cellWidth = 160;
  private cellHeight = 160;
  private stretch = false;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly cb: GridCallbacks<T>,
  ) {
    this.viewport.setAttribute('role', 'listbox');
    this.viewport.tabIndex = 0;
    this.spacer = document.createElement('div');
    this.spacer.className = 'sl-grid-spacer';
    this.viewport.append(this.spacer);
    this.layout = gridLayout(this.viewport.clientWidth, 0, this.cellWidth, this.cellHeight);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.relayout()).observe(this.viewport);
    this.viewport.addEventListener('click', (e) => {
      const index = this.indexOfEvent(e);
      if (index >= 0) this.focus(index, false);
    });
    this.viewport.addEventListener('dblclick', (e) => {
      const index = this.indexOfEvent(e);
      if (index >= 0) this.cb.onOpen(index);
    });
  }

  /** Replaces the items and the cell size (`stretch`: cellWidth is a minimum, cells fill the row); keeps the focus index when in range. */
  setItems(items: readonly T[], cellWidth: number, cellHeight: number, stretch = false): void {
    this.items = items;
    this.cellWidth = cellWidth;
    this.cellHeight = cellHeight;
    this.stretch = stretch;
    for (const [, cell] of this.live) this.release(cell);
    this.live.clear();
    if (this.focusedIndex >= items.length) this.focusedIndex = items.length - 1;
    this.relayout();
  }

  get focused(): number {
    return this.focusedIndex;
  }

  get columns(): number {
    return this.layout.columns;
  }

  /** True if item `index` has a cell in the DOM now (on screen or in the overscan). */
  isRendered(index: number): boolean {
    return this.live.has(index);
  }

  /** Number of cells in the DOM right now (for tests and diagnostics). */
  get renderedCount(): number {
    return this.live.size;
  }

  /** Moves the focus to `index` and scrolls it into view. */
  focus(index: number, reveal = true): void {
    if (this.items.length === 0) {
      this.focusedIndex = -1;
      this.viewport.removeAttribute('aria-activedescendant');
      return;
    }
    const i = Math.min(this.items.length - 1, Math.max(0, index));
    const old = this.focusedIndex;
    this.focusedIndex = i;
    if (reveal) {
      const top = scrollToReveal(this.layout, i, this.viewport.scrollTop, this.viewport.clientHeight);
      if (top !== this.viewport.scrollTop) this.viewport.scrollTop = top;
    }
    this.update();
    if (old !== i && old >= 0) this.refreshIndex(old);
    this.refreshIndex(i);
    this.viewport.setAttribute('aria-activedescendant', `sl-cell-${i}`);
    if (old !== i) this.cb.onFocusChange(i);
  }

  move(dir: Direction): void {
    const pageRows = Math.max(1, Math.floor(this.viewport.clientHeight / (this.layout.cellHeight + this.layout.gap)));
    this.focus(moveIndex(this.focusedIndex, dir, this.layout.columns, this.items.length, pageRows));
  }

  /** Re-renders one item if it is on screen. */
  refreshIndex(index: number): void {
    const cell = this.live.get(index);
    if (cell && index < this.items.length) this.cb.renderCell(cell, this.items[index], index, index === this.focusedIndex);
  }

  /** Re-renders every visible cell. */
  refreshAll(): void {
    for (const [i, cell] of this.live) this.cb.renderCell(cell, this.items[i], i, i === this.focusedIndex);
  }

  private indexOfEvent(e: Event): number {
    const cell = (e.target as HTMLElement | null)?.closest<HTMLElement>('.sl-cell');
    return cell?.dataset.index ? Number(cell.dataset.index) : -1;
  }

  private relayout(): void {
    this.layout = gridLayout(this.viewport.clientWidth - 16, this.items.length, this.cellWidth, this.cellHeight, 8, this.stretch);
    this.spacer.style.height = `${this.layout.totalHeight}px`;
    for (const [i, cell] of this.live) this.place(cell, i);
    this.update();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update();
    });
  }

  private place(cell: HTMLElement, index: number): void {
    const { x, y } = cellPosition(this.layout, index);
    cell.style.transform = `translate(${x}px, ${y}px)`;
    const w = `${this.layout.cellWidth}px`;
    const h = `${this.layout.cellHeight}px`;
    if (cell.style.width !== w) cell.style.width = w;
    if (cell.style.height !== h) cell.style.height = h;
  }

  private release(cell: HTMLElement): void {
    cell.hidden = true;
    this.pool.push(cell);
  }

  /**
   * Renders exactly the cells of the visible range, recycling the others: a cell that leaves the range is moved
   * straight to an index that enters it (no hide/show, no new element); only cells left over are hidden.
   */
  private update(): void {
    const { start, end } = visibleRange(this.layout, this.items.length, this.viewport.scrollTop, this.viewport.clientHeight, 2);
    const freed: HTMLElement[] = [];
    for (const [i, cell] of this.live) {
      if (i < start || i >= end) {
        this.live.delete(i);
        freed.push(cell);
      }
    }
    for (let i = start; i < end; i++) {
      if (this.live.has(i)) continue;
      let cell = freed.pop() ?? this.pool.pop();
      if (!cell) {
        cell = this.cb.createCell();
        cell.classList.add('sl-cell');
        this.spacer.append(cell);
      }
      if (cell.hidden) cell.hidden = false;
      cell.id = `sl-cell-${i}`;
      cell.dataset.index = String(i);
      this.place(cell, i);
      this.live.set(i, cell);
      this.cb.renderCell(cell, this.items[i], i, i === this.focusedIndex);
    }
    for (const cell of freed) this.release(cell);
  }
}
