import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { crc32, FONTS, FramebufferDisplay, GLYPH_COUNT, glyphIndex, rgb565ToRgb, type BitmapFont } from '../../../hal/node/display';

/** The glyph of `code` as rows of '#' and '.', for readable assertions. */
function glyphRows(f: BitmapFont, code: number): string[] {
  const g = glyphIndex(code);
  const rows: string[] = [];
  for (let r = 0; r < f.height; r++) {
    let bits = 0;
    for (let b = 0; b < f.bytesPerRow; b++) bits = (bits << 8) | f.glyphs[(g * f.height + r) * f.bytesPerRow + b];
    let s = '';
    for (let c = 0; c < f.width; c++) s += (bits >> (f.bytesPerRow * 8 - 1 - c)) & 1 ? '#' : '.';
    rows.push(s);
  }
  return rows;
}

/** Rows of the glyph that have ink. */
function inkHeight(f: BitmapFont, code: number): number {
  const rows = glyphRows(f, code);
  let first = -1;
  let last = -1;
  rows.forEach((r, i) => {
    if (r.indexOf('#') >= 0) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return first < 0 ? 0 : last - first + 1;
}

const LATIN1: number[] = [];
for (let c = 0x20; c <= 0x7e; c++) LATIN1.push(c);
for (let c = 0xa0; c <= 0xff; c++) LATIN1.push(c);

describe('hal/node/display fonts', () => {
  it('has the three fonts at readable sizes for a 320x240 panel', () => {
    const d = new FramebufferDisplay();
    assert.deepEqual([d.stringWidth('x', 'small'), d.fontHeight('small')], [6, 10]);
    assert.deepEqual([d.stringWidth('x', 'normal'), d.fontHeight('normal')], [8, 13]);
    assert.deepEqual([d.stringWidth('x', 'large'), d.fontHeight('large')], [10, 20]);
    // Capital letters: at least 7 pixels tall in the small font, 9 in normal, 13 in large.
    assert.ok(inkHeight(FONTS.small, 0x48) >= 7, 'small H ' + inkHeight(FONTS.small, 0x48));
    assert.ok(inkHeight(FONTS.normal, 0x48) >= 9, 'normal H ' + inkHeight(FONTS.normal, 0x48));
    assert.ok(inkHeight(FONTS.large, 0x48) >= 13, 'large H ' + inkHeight(FONTS.large, 0x48));
    // Columns per line: the chat needs room for ~40 characters, the status bar for ~50.
    assert.equal(Math.floor(320 / FONTS.normal.width), 40);
    assert.equal(Math.floor(320 / FONTS.small.width), 53);
  });

  it('covers Latin-1: every printable character has ink, and no two ASCII glyphs are the same', () => {
    for (const name of ['small', 'normal', 'large']) {
      const f = FONTS[name];
      assert.equal(f.glyphs.length, GLYPH_COUNT * f.height * f.bytesPerRow);
      const seen: { [rows: string]: number } = {};
      for (const c of LATIN1) {
        const rows = glyphRows(f, c).join('/');
        const blank = c === 0x20 || c === 0xa0 || c === 0xad;
        if (!blank) assert.ok(rows.indexOf('#') >= 0, name + ': U+' + c.toString(16) + ' has no ink');
        if (c < 0x7f && !blank) {
          assert.equal(seen[rows], undefined, name + ': U+' + c.toString(16) + ' looks like U+' + (seen[rows] ?? 0).toString(16));
          seen[rows] = c;
        }
      }
    }
  });

  it('draws the glyphs of the public-domain misc-fixed 8x13 font (spot check: "A")', () => {
    assert.deepEqual(glyphRows(FONTS.normal, 0x41), [
      '........', '........', '...##...', '..#..#..', '.#....#.', '.#....#.', '.#....#.', '.######.', '.#....#.', '.#....#.', '.#....#.',
      '........', '........',
    ]);
  });

  it("draws characters the fonts lack as '?'", () => {
    const a = new FramebufferDisplay();
    const b = new FramebufferDisplay();
    a.drawString('\u20ac\u0001', 0, 0, 'normal', 0xffff, -1);
    b.drawString('??', 0, 0, 'normal', 0xffff, -1);
    a.flip();
    b.flip();
    assert.deepEqual(a.panel, b.panel);
    assert.equal(glyphIndex(0x7f), -1);
    assert.equal(glyphIndex(0x9f), -1);
    assert.equal(glyphIndex(0x100), -1);
  });
});

describe('hal/node/display drawing', () => {
  it('fills rectangles, clipped to the panel, in the off-screen buffer until flip()', () => {
    const d = new FramebufferDisplay();
    d.fillRect(-5, -5, 10, 10, 0xf800);
    d.fillRect(315, 235, 100, 100, 0x07e0);
    assert.equal(d.pixel(0, 0), 0, 'nothing reaches the panel before flip');
    d.flip();
    assert.equal(d.pixel(0, 0), 0xf800);
    assert.equal(d.pixel(4, 4), 0xf800);
    assert.equal(d.pixel(5, 5), 0);
    assert.equal(d.pixel(319, 239), 0x07e0);
    assert.equal(d.pixel(314, 239), 0);
    d.fillRect(10, 10, 0, 5, 0xffff);
    d.fillRect(10, 10, -3, 5, 0xffff);
    d.flip();
    assert.equal(d.pixel(10, 10), 0);
  });

  it('keeps the buffer after flip (partial redraws build on it) and counts only changing flips', () => {
    const d = new FramebufferDisplay();
    d.fillRect(0, 0, 1, 1, 0x001f);
    d.flip();
    assert.equal(d.changes, 1);
    d.flip();
    assert.equal(d.changes, 1, 'an identical frame is not a change');
    assert.equal(d.flips, 2);
    d.fillRect(1, 0, 1, 1, 0x001f);
    d.flip();
    assert.equal(d.changes, 2);
    assert.equal(d.pixel(0, 0), 0x001f);
  });

  it('draws text with a background box and clips it at the edges', () => {
    const d = new FramebufferDisplay();
    d.drawString('Hi', 316, 235, 'normal', 0xffff, 0x001f);
    d.drawString('x', -4, -6, 'large', 0xffff, -1);
    d.flip();
    assert.equal(d.pixel(319, 239), 0x001f, 'background fills the cell');
  });

  it('draws 1-bit images scaled, with transparent or filled background', () => {
    const d = new FramebufferDisplay();
    // 3x2 image: row 0 = 101, row 1 = 010
    const img = { width: 3, height: 2, bpp: 1 as const, data: new Uint8Array([0b10100000, 0b01000000]) };
    d.fillRect(0, 0, 20, 20, 0x1234);
    d.drawImage(img, 2, 2, 3, 0x0000, -1);
    d.drawImage(img, 12, 2, 2, 0xf800, 0xffff);
    d.flip();
    assert.equal(d.pixel(2, 2), 0x0000);
    assert.equal(d.pixel(4, 4), 0x0000);
    assert.equal(d.pixel(5, 2), 0x1234, 'clear bit, transparent');
    assert.equal(d.pixel(8, 2), 0x0000);
    assert.equal(d.pixel(5, 5), 0x0000);
    assert.equal(d.pixel(12, 2), 0xf800);
    assert.equal(d.pixel(14, 2), 0xffff, 'clear bit, background');
  });

  it('draws RGB565 images (big-endian) and rejects image data shorter than the image', () => {
    const d = new FramebufferDisplay();
    d.drawImage({ width: 2, height: 1, bpp: 16, data: new Uint8Array([0xf8, 0x00, 0x07, 0xe0]) }, 0, 0, 1, 0, 0);
    d.flip();
    assert.equal(d.pixel(0, 0), 0xf800);
    assert.equal(d.pixel(1, 0), 0x07e0);
    assert.throws(() => d.drawImage({ width: 9, height: 2, bpp: 1, data: new Uint8Array(3) }, 0, 0, 1, 0, 0), RangeError);
    assert.throws(() => d.drawImage({ width: 2, height: 2, bpp: 16, data: new Uint8Array(7) }, 0, 0, 1, 0, 0), RangeError);
  });

  it('refuses impossible sizes', () => {
    assert.throws(() => new FramebufferDisplay({ width: 0, height: 240 }), RangeError);
    assert.throws(() => new FramebufferDisplay({ width: 320, height: 1e9 }), RangeError);
  });
});

describe('hal/node/display frames for the simulator page', () => {
  it('converts RGB565 to 8-bit colour exactly at the extremes', () => {
    assert.deepEqual(rgb565ToRgb(0xffff), [255, 255, 255]);
    assert.deepEqual(rgb565ToRgb(0xf800), [255, 0, 0]);
    assert.deepEqual(rgb565ToRgb(0x07e0), [0, 255, 0]);
    assert.deepEqual(rgb565ToRgb(0x001f), [0, 0, 255]);
    assert.deepEqual(rgb565ToRgb(0), [0, 0, 0]);
  });

  it('gives RGBA and grey frames of the panel, dark when the backlight is off', () => {
    const d = new FramebufferDisplay({ width: 4, height: 2 });
    d.fillRect(0, 0, 1, 1, 0xffff);
    d.fillRect(1, 0, 1, 1, 0xf800);
    d.flip();
    const rgba = d.toRgba();
    assert.equal(rgba.length, 4 * 2 * 4);
    assert.deepEqual(Array.from(rgba.subarray(0, 8)), [255, 255, 255, 255, 255, 0, 0, 255]);
    const g = d.grayFrame();
    assert.equal(g.width, 4);
    assert.equal(g.data[0], 255);
    assert.equal(g.data[1], 76);
    assert.equal(g.data[2], 0);
    const before = d.changes;
    d.setBacklight(0);
    assert.equal(d.changes, before + 1, 'the page must notice the screen going dark');
    assert.equal(d.toRgba()[0], 0);
    assert.equal(d.grayFrame().data[0], 0);
  });

  it('writes a valid PNG of the panel', () => {
    const d = new FramebufferDisplay({ width: 3, height: 2 });
    d.fillRect(0, 0, 3, 1, 0x001f);
    d.flip();
    const png = d.toPng();
    assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const v = new DataView(png.buffer, png.byteOffset);
    let pos = 8;
    const chunks: string[] = [];
    let idat: Uint8Array = new Uint8Array(0);
    while (pos < png.length) {
      const len = v.getUint32(pos);
      const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
      const crc = v.getUint32(pos + 8 + len);
      assert.equal(crc, crc32(png.subarray(pos + 4, pos + 8 + len)), type + ' CRC');
      if (type === 'IHDR') {
        assert.equal(v.getUint32(pos + 8), 3);
        assert.equal(v.getUint32(pos + 12), 2);
      }
      if (type === 'IDAT') idat = png.subarray(pos + 8, pos + 8 + len);
      chunks.push(type);
      pos += 12 + len;
    }
    assert.deepEqual(chunks, ['IHDR', 'IDAT', 'IEND']);
    const raw = new Uint8Array(inflateSync(idat));
    assert.equal(raw.length, 2 * (1 + 3 * 3));
    assert.deepEqual(Array.from(raw.subarray(0, 4)), [0, 0, 0, 255]);
    assert.deepEqual(Array.from(raw.subarray(10, 14)), [0, 0, 0, 0]);
  });

  it('computes the CRC-32 of the standard check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });
});
