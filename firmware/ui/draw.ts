import type { Display, FontName } from '../../hal/display';
import type { Rect } from './list';
import { BG, MUTED } from './theme';
import { fitText } from './text';

/** Small drawing helpers every screen uses: all whole primitives, no pixel loops. */

/** Height of the key-hint line at the bottom of a body. */
export function hintHeight(d: Display): number {
  return d.fontHeight('small') + 4;
}

/** The key hint ("Enter open  n new ...") on the bottom line of `body`. */
export function drawHint(d: Display, body: Rect, text: string): void {
  const h = hintHeight(d);
  const y = body.y + body.h - h;
  d.fillRect(body.x, y, body.w, h, BG);
  d.drawString(fitText(d, text, 'small', body.w - 6), body.x + 3, y + 2, 'small', MUTED, -1);
}

/** `body` without its hint line. */
export function aboveHint(d: Display, body: Rect): Rect {
  return { x: body.x, y: body.y, w: body.w, h: body.h - hintHeight(d) };
}

/** A one-pixel outline. */
export function drawFrame(d: Display, r: Rect, color: number): void {
  d.fillRect(r.x, r.y, r.w, 1, color);
  d.fillRect(r.x, r.y + r.h - 1, r.w, 1, color);
  d.fillRect(r.x, r.y, 1, r.h, color);
  d.fillRect(r.x + r.w - 1, r.y, 1, r.h, color);
}

/** One line of text centred horizontally in `r` at height `y`, cut to fit. */
export function drawCentered(d: Display, text: string, r: Rect, y: number, font: FontName, color: number): void {
  const t = fitText(d, text, font, r.w - 4);
  d.drawString(t, r.x + Math.floor((r.w - d.stringWidth(t, font)) / 2), y, font, color, -1);
}
