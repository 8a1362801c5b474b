import type { Display, FontName } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import { navKey } from './keys';
import type { Rect } from './list';
import { ACCENT, BG, FG, FRAME, MUTED, PAD } from './theme';
import { repeatChar } from './text';

/** What a key did to a text field. */
export type InputResult = 'none' | 'changed' | 'submit' | 'cancel';

/**
 * A one-line text field with a cursor: typing inserts at the cursor, Backspace deletes before
 * it, Left/Right move it, Enter submits, Escape cancels. Long text scrolls sideways so the cursor
 * stays visible (a pasted link is hundreds of characters). `masked` draws '*' for PINs and
 * passwords. Rendering repaints only the field's own box.
 */
export class TextInput {
  value = '';
  cursor = 0;
  readonly maxLength: number;
  /** Draw "*" instead of the text (PINs, passwords); may be switched to let the user check a password. */
  masked: boolean;
  readonly font: FontName;
  placeholder: string;
  /** First character shown (horizontal scroll). */
  private scroll = 0;
  private dirty = true;

  constructor(maxLength: number, masked: boolean, font: FontName, placeholder: string) {
    this.maxLength = maxLength;
    this.masked = masked;
    this.font = font;
    this.placeholder = placeholder;
  }

  /** Height of the field's box for its font. */
  static height(d: Display, font: FontName): number {
    return d.fontHeight(font) + 2 * PAD + 2;
  }

  setValue(text: string): void {
    this.value = text.length > this.maxLength ? text.substring(0, this.maxLength) : text;
    this.cursor = this.value.length;
    this.scroll = 0;
    this.dirty = true;
  }

  /** Empties the field (and drops the reference to a PIN or password). */
  clear(): void {
    this.setValue('');
  }

  /** Inserts text at the cursor (paste), as far as maxLength allows. */
  insert(text: string): boolean {
    const room = this.maxLength - this.value.length;
    if (room <= 0 || text.length === 0) return false;
    const t = text.length > room ? text.substring(0, room) : text;
    this.value = this.value.substring(0, this.cursor) + t + this.value.substring(this.cursor);
    this.cursor += t.length;
    this.dirty = true;
    return true;
  }

  handleInput(e: InputEvent): InputResult {
    const k = navKey(e);
    switch (k) {
      case 'char':
        return this.insert(e.key) ? 'changed' : 'none';
      case 'backspace':
        if (this.cursor === 0) return 'none';
        this.value = this.value.substring(0, this.cursor - 1) + this.value.substring(this.cursor);
        this.cursor--;
        this.dirty = true;
        return 'changed';
      case 'left':
        if (e.type !== 'key' || this.cursor === 0) return 'none';
        this.cursor--;
        this.dirty = true;
        return 'changed';
      case 'right':
        if (e.type !== 'key' || this.cursor >= this.value.length) return 'none';
        this.cursor++;
        this.dirty = true;
        return 'changed';
      case 'enter':
        return 'submit';
      case 'back':
        return 'cancel';
      default:
        return 'none';
    }
  }

  invalidate(): void {
    this.dirty = true;
  }

  needsRender(): boolean {
    return this.dirty;
  }

  render(d: Display, box: Rect, focused: boolean): void {
    const h = d.fontHeight(this.font);
    d.fillRect(box.x, box.y, box.w, box.h, focused ? ACCENT : FRAME);
    d.fillRect(box.x + 1, box.y + 1, box.w - 2, box.h - 2, BG);
    const inner = box.w - 2 * PAD - 2;
    const tx = box.x + 1 + PAD;
    const ty = box.y + 1 + Math.floor((box.h - 2 - h) / 2);
    if (this.value.length === 0) {
      if (this.placeholder.length > 0) d.drawString(this.placeholder, tx + 4, ty, this.font, MUTED, -1);
      if (focused) d.fillRect(tx, ty, 2, h, ACCENT);
      this.dirty = false;
      return;
    }
    const shown = this.masked ? repeatChar('*', this.value.length) : this.value;
    if (this.cursor < this.scroll) this.scroll = this.cursor;
    // Keep the cursor in view: the smallest window start from which the text up to the cursor
    // fits (binary search: the width only shrinks as the start moves right).
    if (d.stringWidth(shown.substring(this.scroll, this.cursor), this.font) > inner - 2) {
      let lo = this.scroll + 1;
      let hi = this.cursor;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (d.stringWidth(shown.substring(mid, this.cursor), this.font) > inner - 2) lo = mid + 1;
        else hi = mid;
      }
      this.scroll = lo;
    }
    // And the most text after the cursor that still fits.
    let lo = this.cursor;
    let hi = shown.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (d.stringWidth(shown.substring(this.scroll, mid), this.font) <= inner) lo = mid;
      else hi = mid - 1;
    }
    const end = lo;
    d.drawString(shown.substring(this.scroll, end), tx, ty, this.font, FG, -1);
    if (focused) {
      const cx = tx + d.stringWidth(shown.substring(this.scroll, this.cursor), this.font);
      d.fillRect(cx, ty, 2, h, ACCENT);
    }
    this.dirty = false;
  }
}
