/**
 * A small Graphics-like drawing surface (320x240 on the T-Deck family).
 *
 * Shaped after Espruino's native Graphics object so the device backend is a thin
 * wrapper: every call draws a whole primitive natively, firmware/ never loops over
 * pixels. Drawing goes to an off-screen buffer; flip() shows it.
 * Colours are RGB565 numbers (0xF800 red, 0x07E0 green, 0x001F blue).
 */
export type FontName = 'small' | 'normal' | 'large';

export interface Image {
  readonly width: number;
  readonly height: number;
  /** 1: one bit per pixel, MSB first, rows padded to whole bytes; 16: RGB565 big-endian. */
  readonly bpp: 1 | 16;
  readonly data: Uint8Array;
}

export interface Display {
  readonly width: number;
  readonly height: number;
  fillRect(x: number, y: number, width: number, height: number, color: number): void;
  /**
   * Draws one line of text with its top-left corner at (x, y). `bg` < 0 means transparent.
   * Text is a JavaScript string; characters the font lacks are drawn as '?'.
   */
  drawString(text: string, x: number, y: number, font: FontName, color: number, bg: number): void;
  /** Width in pixels `text` would take in `font`. */
  stringWidth(text: string, font: FontName): number;
  fontHeight(font: FontName): number;
  /**
   * Draws an image scaled by an integer factor. For 1 bpp images set bits are drawn in
   * `color` and clear bits in `bg` (bg < 0: transparent): a QR code is one call.
   */
  drawImage(image: Image, x: number, y: number, scale: number, color: number, bg: number): void;
  /** Pushes the off-screen buffer to the panel. */
  flip(): void;
  /** Backlight 0 (off) .. 1 (full). */
  setBacklight(level: number): void;
}
