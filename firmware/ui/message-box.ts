import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import { navKey } from './keys';
import type { Rect } from './list';
import { ACCENT, DIALOG_BG, FG, FRAME, MUTED, PAD, SELECTED_BG } from './theme';
import { fitText, wrapText } from './text';

/** 'ok' for the first button, 'cancel' for the second or Escape. */
export type BoxResult = 'none' | 'ok' | 'cancel';

/**
 * A modal box over the current screen: a title, wrapped text and one or two buttons
 * (e.g. "OK", or "Delete" / "Cancel"). Left/Right choose, Enter confirms, Escape cancels.
 * A confirmation starts on "Cancel", so a stray Enter never deletes or wipes anything.
 */
export class MessageBox {
  readonly title: string;
  readonly text: string;
  readonly buttons: string[];
  private choice: number;
  private dirty = true;
  private lines: string[] | null = null;

  constructor(title: string, text: string, okLabel: string, cancelLabel: string) {
    this.title = title;
    this.text = text;
    this.buttons = cancelLabel.length > 0 ? [okLabel, cancelLabel] : [okLabel];
    this.choice = this.buttons.length - 1;
  }

  handleInput(e: InputEvent): BoxResult {
    const k = navKey(e);
    if (k === 'back') return 'cancel';
    if (k === 'enter') return this.choice === 0 ? 'ok' : 'cancel';
    if ((k === 'left' || k === 'up') && this.choice > 0) {
      this.choice--;
      this.dirty = true;
    } else if ((k === 'right' || k === 'down' || k === 'tab') && this.choice < this.buttons.length - 1) {
      this.choice++;
      this.dirty = true;
    }
    return 'none';
  }

  selected(): number {
    return this.choice;
  }

  needsRender(): boolean {
    return this.dirty;
  }

  render(d: Display, screen: Rect): void {
    const nh = d.fontHeight('normal');
    const w = screen.w - 40;
    const inner = w - 4 * PAD;
    if (this.lines === null) this.lines = wrapText(d, this.text, 'normal', inner, 7);
    const btnH = nh + 2 * PAD;
    const h = 2 * PAD + nh + 6 + this.lines.length * (nh + 2) + 6 + btnH + 2 * PAD;
    const x = screen.x + 20;
    const y = screen.y + Math.floor((screen.h - h) / 2);
    d.fillRect(x, y, w, h, FRAME);
    d.fillRect(x + 1, y + 1, w - 2, h - 2, DIALOG_BG);
    let ty = y + PAD + 1;
    d.drawString(fitText(d, this.title, 'normal', inner), x + 2 * PAD, ty, 'normal', ACCENT, -1);
    ty += nh + 6;
    for (let i = 0; i < this.lines.length; i++) {
      d.drawString(this.lines[i], x + 2 * PAD, ty, 'normal', FG, -1);
      ty += nh + 2;
    }
    ty += 6;
    const bw = Math.floor((inner - PAD * (this.buttons.length - 1)) / this.buttons.length);
    for (let i = 0; i < this.buttons.length; i++) {
      const bx = x + 2 * PAD + i * (bw + PAD);
      const sel = i === this.choice;
      d.fillRect(bx, ty, bw, btnH, sel ? ACCENT : FRAME);
      d.fillRect(bx + 1, ty + 1, bw - 2, btnH - 2, sel ? SELECTED_BG : DIALOG_BG);
      const label = fitText(d, this.buttons[i], 'normal', bw - 2 * PAD);
      const lw = d.stringWidth(label, 'normal');
      d.drawString(label, bx + Math.floor((bw - lw) / 2), ty + PAD, 'normal', sel ? FG : MUTED, -1);
    }
    this.dirty = false;
  }
}
