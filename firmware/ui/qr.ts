import qrcode from 'qrcode-generator';
import type { Display, Image } from '../../hal/display';
import { SimpleGoError } from '../../hal/errors';
import type { Rect } from './list';
import { BLACK, WHITE } from './theme';

/**
 * Link text -> QR module matrix -> one drawImage call.
 *
 * Encoding uses qrcode-generator (Kazuhiko Arase, MIT) in byte mode at error-correction level
 * L: the code is shown on a clean, lit screen, where damage is not the risk but module size is,
 * and level L needs the lowest version, so each module gets the most pixels. Measured with links
 * rendered by firmware/agent (test/firmware/ui/qr.test.ts), in the 240x240 square of the panel:
 * - short invitation link, preset router (~105 characters): version 5, 37 modules, 5 px each
 *   with the standard 4-module quiet zone; with port and key hash (~160): version 8, 4 px;
 * - full invitation link without the PQ key (~460-530 characters): version 15-16, 77-81
 *   modules: 3 px each with a 1.5-module white margin (version 15), or 2 px with 4 modules;
 * - full link with the sntrup761 kem_key (~2,000 characters): version 33, 149 modules, which
 *   does not fit at 2 px: such a link is never the QR text (Invitation.qrText).
 *
 * The matrix becomes a 1-bit Image (rows packed MSB first), drawn scaled in one call: the display
 * never sees per-module or per-pixel drawing. Building the image reads each module once.
 *
 * On the device, qrcode-generator itself is the cost: it builds the matrix as nested JavaScript
 * arrays and scores all eight masks over it, about a million loop iterations for version 15
 * and a quarter million for version 5. The encoder is therefore a parameter of the UI (QrEncoder,
 * AppUiOptions.encodeQr) so a board can supply a native one.
 */

export type QrErrorCode =
  | 'too-long' // more than a version-40 code holds, or more than MAX_QR_TEXT
  | 'bad-text'; // characters outside printable ASCII (links are always escaped ASCII)

export class QrError extends SimpleGoError {
  declare readonly code: QrErrorCode;
  constructor(code: QrErrorCode, message: string) {
    super(code, message);
    this.name = 'QrError';
  }
}

/** A square QR code: `image` is size x size, 1 bpp, a set bit is a dark module. */
export interface QrMatrix {
  readonly size: number;
  readonly image: Image;
}

/** Turns text into a module matrix; throws QrError. */
export type QrEncoder = (text: string) => QrMatrix;

/** Byte-mode capacity of a version-40 code at level L. */
export const MAX_QR_TEXT = 2953;

/** Smallest module size, in pixels, a phone camera reads off a 320x240 panel of this size. */
export const MIN_MODULE_PX = 2;

export function encodeQr(text: string): QrMatrix {
  if (text.length === 0 || text.length > MAX_QR_TEXT) {
    throw new QrError('too-long', 'QR text must be 1..' + MAX_QR_TEXT + ' characters, got ' + text.length);
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // The library's byte mode keeps only the low 8 bits of each character: anything outside
    // ASCII would be encoded wrongly rather than refused, so refuse it here.
    if (c < 0x20 || c > 0x7e) throw new QrError('bad-text', 'QR text has a character outside printable ASCII at position ' + i);
  }
  const qr = qrcode(0, 'L');
  qr.addData(text, 'Byte');
  try {
    qr.make();
  } catch (e) {
    throw new QrError('too-long', 'the text does not fit in a version-40 QR code');
  }
  const n = qr.getModuleCount();
  const stride = (n + 7) >> 3;
  const data = new Uint8Array(stride * n);
  for (let r = 0; r < n; r++) {
    const row = r * stride;
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) data[row + (c >> 3)] |= 0x80 >> (c & 7);
    }
  }
  return { size: n, image: { width: n, height: n, bpp: 1, data } };
}

/** Where and how large a QR code is drawn. */
export interface QrPlacement {
  readonly x: number;
  readonly y: number;
  /** Pixels per module. */
  readonly scale: number;
  /** Light margin around the code in whole modules (at least this much; the white square may be wider). */
  readonly quiet: number;
}

/** Module size a phone camera reads comfortably off the panel (~0.5 mm on a 2.8" 320x240). */
export const COMFORT_MODULE_PX = 3;

/**
 * Where a `size`-module code goes in `area`: with the widest quiet zone (4 modules, the
 * standard, else 2, else 1) that still allows COMFORT_MODULE_PX-pixel modules; failing that,
 * with the widest quiet zone that allows `minScale`; null when nothing does. The margin of a code
 * on a screen is the white square around it, which is at least the stated number of modules.
 */
export function placeQr(size: number, area: Rect, minScale: number): QrPlacement | null {
  const side = area.w < area.h ? area.w : area.h;
  const quiets = [4, 2, 1];
  let fallback: QrPlacement | null = null;
  for (let i = 0; i < quiets.length; i++) {
    const scale = Math.floor(side / (size + 2 * quiets[i]));
    if (scale < minScale) continue;
    const px = size * scale;
    const p: QrPlacement = { x: area.x + Math.floor((area.w - px) / 2), y: area.y + Math.floor((area.h - px) / 2), scale, quiet: quiets[i] };
    if (scale >= COMFORT_MODULE_PX) return p;
    if (fallback === null) fallback = p;
  }
  return fallback;
}

/**
 * Draws the code centred in `area` on a white square filling the area's shorter side (two
 * calls: fillRect, drawImage). Returns the placement, or null, drawing nothing, when it does not
 * fit at `minScale` pixels per module.
 */
export function drawQr(d: Display, m: QrMatrix, area: Rect, minScale: number): QrPlacement | null {
  const p = placeQr(m.size, area, minScale);
  if (p === null) return null;
  const side = area.w < area.h ? area.w : area.h;
  d.fillRect(area.x + Math.floor((area.w - side) / 2), area.y + Math.floor((area.h - side) / 2), side, side, WHITE);
  d.drawImage(m.image, p.x, p.y, p.scale, BLACK, WHITE);
  return p;
}
