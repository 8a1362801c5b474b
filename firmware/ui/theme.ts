/**
 * Colours and spacing shared by every screen. Colours are RGB565 (hal/display.ts), computed
 * once at load from 8-bit components so the source says which colour is meant.
 */

/** RGB565 from 8-bit red, green and blue. */
export function rgb565(r: number, g: number, b: number): number {
  return ((r & 0xf8) << 8) | ((g & 0xfc) << 3) | (b >> 3);
}

export const BLACK = 0x0000;
export const WHITE = 0xffff;

/** Screen background and normal text. */
export const BG = rgb565(0x10, 0x12, 0x16);
export const FG = rgb565(0xee, 0xee, 0xee);
/** Secondary text: hints, times, previews. */
export const MUTED = rgb565(0x98, 0x9c, 0xa4);
/** Status bar and title bar. */
export const BAR_BG = rgb565(0x24, 0x28, 0x30);
/** Highlight: selection, unread counts, the cursor. */
export const ACCENT = rgb565(0x20, 0x90, 0xff);
export const SELECTED_BG = rgb565(0x1c, 0x3a, 0x60);
export const OK = rgb565(0x40, 0xc8, 0x60);
export const WARN = rgb565(0xf0, 0xc0, 0x20);
export const ERROR = rgb565(0xf0, 0x50, 0x48);
/** Chat bubbles: mine and theirs. */
export const BUBBLE_OUT = rgb565(0x1f, 0x4f, 0x8f);
export const BUBBLE_IN = rgb565(0x34, 0x38, 0x40);
/** Frames of text fields and dialogs. */
export const FRAME = rgb565(0x60, 0x66, 0x70);
export const DIALOG_BG = rgb565(0x2c, 0x30, 0x3a);

/** Inner padding of boxes, bubbles and rows. */
export const PAD = 3;
