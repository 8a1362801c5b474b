import type { Display } from '../../hal/display';
import type { NavKey } from './keys';
import { BG, SELECTED_BG } from './theme';

/** A rectangle on the screen. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Draws row `index` into the given box; `selected` rows get the highlight background first. */
export type RowPainter = (d: Display, index: number, x: number, y: number, w: number, h: number, selected: boolean) => void;

/**
 * A vertical list of fixed-height rows with a selection that scrolls into view. It holds only
 * the count and two indexes: rows are painted on demand from whatever the screen keeps (or
 * pages in from the model), so a long list costs nothing until shown.
 *
 * Redraw: moving the selection within the visible rows repaints just the two rows involved;
 * a scroll, a count change or `invalidate()` repaints all visible rows.
 */
export class ListView {
  count = 0;
  selected = 0;
  top = 0;
  readonly rowHeight: number;
  private visibleRows = 1;
  private fullDirty = true;
  /** Rows to repaint on the next partial render, -1 when none. */
  private dirtyA = -1;
  private dirtyB = -1;

  constructor(rowHeight: number) {
    this.rowHeight = rowHeight;
  }

  /** Sets the row count (clamping the selection) and repaints everything. */
  setCount(count: number): void {
    this.count = count > 0 ? count : 0;
    if (this.selected >= this.count) this.selected = this.count > 0 ? this.count - 1 : 0;
    this.scrollIntoView();
    this.fullDirty = true;
  }

  select(index: number): void {
    if (this.count === 0) return;
    const i = index < 0 ? 0 : index >= this.count ? this.count - 1 : index;
    if (i === this.selected) return;
    const before = this.top;
    const old = this.selected;
    this.selected = i;
    this.scrollIntoView();
    if (this.top !== before) this.fullDirty = true;
    else {
      this.dirtyA = old;
      this.dirtyB = i;
    }
  }

  /** Handles up/down; returns true when the selection moved. */
  handleNav(key: NavKey): boolean {
    const before = this.selected;
    if (key === 'up') this.select(this.selected - 1);
    else if (key === 'down') this.select(this.selected + 1);
    return this.selected !== before;
  }

  invalidate(): void {
    this.fullDirty = true;
  }

  /** Marks one row for repainting (its content changed). */
  invalidateRow(index: number): void {
    if (index < this.top || index >= this.top + this.visibleRows) return;
    if (this.dirtyA < 0 || this.dirtyA === index) this.dirtyA = index;
    else if (this.dirtyB < 0 || this.dirtyB === index) this.dirtyB = index;
    else this.fullDirty = true;
  }

  needsRender(): boolean {
    return this.fullDirty || this.dirtyA >= 0 || this.dirtyB >= 0;
  }

  /** Rows that fit in `height`. */
  rowsIn(height: number): number {
    const n = Math.floor(height / this.rowHeight);
    return n > 0 ? n : 1;
  }

  render(d: Display, area: Rect, full: boolean, paint: RowPainter): void {
    const rows = this.rowsIn(area.h);
    if (rows !== this.visibleRows) {
      this.visibleRows = rows;
      this.scrollIntoView();
      full = true;
    }
    if (full || this.fullDirty) {
      d.fillRect(area.x, area.y, area.w, area.h, BG);
      for (let r = 0; r < rows && this.top + r < this.count; r++) this.paintRow(d, area, this.top + r, paint);
    } else {
      if (this.dirtyA >= 0) this.paintRow(d, area, this.dirtyA, paint);
      if (this.dirtyB >= 0 && this.dirtyB !== this.dirtyA) this.paintRow(d, area, this.dirtyB, paint);
    }
    this.fullDirty = false;
    this.dirtyA = -1;
    this.dirtyB = -1;
  }

  /** Index of the first and one past the last visible row, for screens that page rows in. */
  visibleRange(): { first: number; end: number } {
    const end = this.top + this.visibleRows;
    return { first: this.top, end: end < this.count ? end : this.count };
  }

  private paintRow(d: Display, area: Rect, index: number, paint: RowPainter): void {
    const r = index - this.top;
    if (r < 0 || r >= this.visibleRows || index >= this.count) return;
    const y = area.y + r * this.rowHeight;
    const selected = index === this.selected;
    d.fillRect(area.x, y, area.w, this.rowHeight, selected ? SELECTED_BG : BG);
    paint(d, index, area.x, y, area.w, this.rowHeight, selected);
  }

  private scrollIntoView(): void {
    if (this.selected < this.top) this.top = this.selected;
    else if (this.selected >= this.top + this.visibleRows) this.top = this.selected - this.visibleRows + 1;
    const maxTop = this.count - this.visibleRows;
    if (this.top > maxTop) this.top = maxTop > 0 ? maxTop : 0;
    if (this.top < 0) this.top = 0;
  }
}
