import type { Display } from '../../hal/display';
import type { Progress } from '../app/model';
import type { Rect } from './list';
import { ACCENT, BG, FG, FRAME, MUTED } from './theme';
import { fitText, wrapText } from './text';

/**
 * What a screen shows while a long operation runs (connecting, key generation, a router test):
 * the operation, the current step in words, a bar, and the seconds elapsed. The elapsed time
 * advances on the UI's one-second tick even when no progress arrives, so the screen is never
 * frozen; with an unknown step count the bar shows a moving block instead of a fraction.
 */
export class ProgressView {
  readonly title: string;
  private label: string;
  private step = 0;
  private steps = 0;
  private readonly startedMs: number;
  private shownSeconds = 0;
  private dirty = true;

  constructor(title: string, firstLabel: string, nowMs: number) {
    this.title = title;
    this.label = firstLabel;
    this.startedMs = nowMs;
  }

  update(p: Progress): void {
    this.label = p.label;
    this.step = p.step;
    this.steps = p.steps;
    this.dirty = true;
  }

  /** Called once a second; marks the view dirty when the elapsed seconds changed. */
  tick(nowMs: number): void {
    const s = Math.floor((nowMs - this.startedMs) / 1000);
    if (s !== this.shownSeconds) {
      this.shownSeconds = s;
      this.dirty = true;
    }
  }

  needsRender(): boolean {
    return this.dirty;
  }

  currentLabel(): string {
    return this.label;
  }

  currentStep(): number {
    return this.step;
  }

  render(d: Display, area: Rect): void {
    d.fillRect(area.x, area.y, area.w, area.h, BG);
    const nh = d.fontHeight('normal');
    const sh = d.fontHeight('small');
    const w = area.w - 24;
    const x = area.x + 12;
    let y = area.y + Math.floor(area.h / 2) - nh - sh - 12;
    if (y < area.y + 4) y = area.y + 4;
    d.drawString(fitText(d, this.title, 'normal', w), x, y, 'normal', FG, -1);
    y += nh + 6;
    const lines = wrapText(d, this.label, 'small', w, 2);
    for (let i = 0; i < lines.length; i++) d.drawString(lines[i], x, y + i * (sh + 2), 'small', MUTED, -1);
    y += 2 * (sh + 2) + 4;
    const barH = 8;
    d.fillRect(x, y, w, barH, FRAME);
    d.fillRect(x + 1, y + 1, w - 2, barH - 2, BG);
    const inner = w - 4;
    if (this.steps > 0) {
      // Steps before the running one are full; the running one counts as half done.
      const running = this.step > this.steps ? this.steps : this.step;
      const fill = running > 0 ? Math.floor((inner * (2 * running - 1)) / (2 * this.steps)) : 0;
      if (fill > 0) d.fillRect(x + 2, y + 2, fill, barH - 4, ACCENT);
    } else {
      // Unknown length: a block that moves one position per second.
      const block = Math.floor(inner / 5);
      const pos = (this.shownSeconds % 5) * block;
      d.fillRect(x + 2 + pos, y + 2, block, barH - 4, ACCENT);
    }
    y += barH + 4;
    let status = this.shownSeconds + ' s';
    if (this.steps > 0 && this.step > 0) status = 'Step ' + this.step + ' of ' + this.steps + '   ' + status;
    d.drawString(status, x, y, 'small', MUTED, -1);
    this.dirty = false;
  }
}
