/**
 * Test pictures of QR codes, drawn with qrcode-generator straight into pixels, as a photo or a
 * screenshot of a code would arrive from the simulator page: coloured, off-centre, with a
 * non-white background, so what reaches the scanner went through the luma conversion.
 */
import { deflateSync } from 'node:zlib';
import qrcode from 'qrcode-generator';
import { crc32 } from '../../../hal/node/display';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** `text` as a QR code (level L), `module` pixels per module, at (left, top) of a width x height picture. */
export function qrRgba(text: string, width: number, height: number, module: number, left: number, top: number): RgbaImage {
  const qr = qrcode(0, 'L');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rgba = new Uint8Array(width * height * 4);
  // Background: a pale beige; the code's light modules and quiet zone: near white; dark modules: navy.
  for (let i = 0; i < width * height; i++) rgba.set([214, 205, 180, 255], i * 4);
  const quiet = 4 * module;
  for (let y = top - quiet; y < top + n * module + quiet; y++) {
    for (let x = left - quiet; x < left + n * module + quiet; x++) {
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const r = Math.floor((y - top) / module);
      const c = Math.floor((x - left) / module);
      const dark = r >= 0 && c >= 0 && r < n && c < n && qr.isDark(r, c);
      rgba.set(dark ? [20, 30, 90, 255] : [250, 248, 240, 255], (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

/** An RGBA picture as a PNG file (8-bit RGBA, no filtering), for the page's file input. */
export function toPng(img: RgbaImage): Uint8Array {
  const raw = new Uint8Array(img.height * (1 + img.width * 4));
  for (let y = 0; y < img.height; y++) raw.set(img.rgba.subarray(y * img.width * 4, (y + 1) * img.width * 4), y * (1 + img.width * 4) + 1);
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    b.set(data, 8);
    b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return new Uint8Array(
    Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]),
  );
}
