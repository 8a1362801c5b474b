import assert from 'node:assert/strict';
import { parseSimplexLink } from '../../../firmware/agent/links';
import { drawQr, encodeQr, MAX_QR_TEXT, MIN_MODULE_PX, placeQr, QrError, type QrMatrix } from '../../../firmware/ui/qr';
import { FramebufferDisplay } from '../../../hal/node/display';
import { decodeQr } from '../../../hal/node/qr';
import { RecordingDisplay } from './harness';
import {
  FULL_LINK,
  FULL_LINK_HTTPS,
  FULL_LINK_ONION,
  PQ_LINK,
  SHORT_LINK_FULL_SERVER,
  SHORT_LINK_PRESET,
  SHORT_LINK_SIMPLEX,
} from './real-links';

const PANEL = { x: 0, y: 0, w: 240, h: 240 };

function version(m: QrMatrix): number {
  return (m.size - 17) / 4;
}

function isDark(m: QrMatrix, r: number, c: number): boolean {
  const stride = (m.size + 7) >> 3;
  return ((m.image.data[r * stride + (c >> 3)] >> (7 - (c & 7))) & 1) === 1;
}

function expectQrError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof QrError && e.code === code && e.name === 'QrError' && e.message.length > 10);
}

/** Shows `m` on a 320x240 framebuffer and reads it back through jsQR, as a camera would see it. */
function roundTrip(m: QrMatrix): string | null {
  const d = new FramebufferDisplay();
  d.fillRect(0, 0, 320, 240, 0x18c3);
  if (drawQr(d, m, PANEL, MIN_MODULE_PX) === null) return null;
  d.flip();
  return decodeQr(d.grayFrame());
}

describe('firmware/ui/qr encoding', () => {
  it('makes a square 1-bit image of 17+4v modules with the three finder patterns', () => {
    const m = encodeQr(SHORT_LINK_PRESET);
    assert.equal(m.image.width, m.size);
    assert.equal(m.image.height, m.size);
    assert.equal(m.image.bpp, 1);
    assert.equal(m.image.data.length, ((m.size + 7) >> 3) * m.size);
    assert.equal((m.size - 17) % 4, 0);
    // Finder pattern corners: dark 7x7 ring at top-left, top-right, bottom-left.
    for (const [r, c] of [[0, 0], [0, m.size - 7], [m.size - 7, 0]]) {
      for (let i = 0; i < 7; i++) {
        assert.ok(isDark(m, r, c + i) && isDark(m, r + 6, c + i) && isDark(m, r + i, c) && isDark(m, r + i, c + 6));
      }
      assert.ok(!isDark(m, r + 1, c + 1) && isDark(m, r + 3, c + 3));
    }
    // Padding bits past the last column are clear.
    const stride = (m.size + 7) >> 3;
    const pad = stride * 8 - m.size;
    for (let r = 0; r < m.size; r++) assert.equal(m.image.data[r * stride + stride - 1] & ((1 << pad) - 1), 0);
  });

  it('reads back exactly through the framebuffer and jsQR: short links, full links with and without https', () => {
    for (const link of [SHORT_LINK_PRESET, SHORT_LINK_SIMPLEX, SHORT_LINK_FULL_SERVER, FULL_LINK, FULL_LINK_HTTPS, FULL_LINK_ONION]) {
      assert.equal(roundTrip(encodeQr(link)), link, link.substring(0, 40));
      parseSimplexLink(link); // they are real links
    }
  });

  it('refuses empty, oversized and non-ASCII text with a QrError', () => {
    expectQrError(() => encodeQr(''), 'too-long');
    expectQrError(() => encodeQr('a'.repeat(MAX_QR_TEXT + 1)), 'too-long');
    expectQrError(() => encodeQr('simplex:/caf\u00e9'), 'bad-text');
    expectQrError(() => encodeQr('line\nbreak'), 'bad-text');
    expectQrError(() => encodeQr('\u20ac'), 'bad-text');
  });
});

describe('firmware/ui/qr on a 240-pixel screen (measured with real links)', () => {
  /** Version, module count and pixels per module of `link` in the 240x240 square. */
  function measure(link: string): { length: number; version: number; modules: number; scale: number; quiet: number } {
    const m = encodeQr(link);
    const p = placeQr(m.size, PANEL, 1);
    assert.ok(p !== null);
    return { length: link.length, version: version(m), modules: m.size, scale: p.scale, quiet: p.quiet };
  }

  it('short invitation links: version 5-8, 4-5 px per module with the full 4-module quiet zone', () => {
    const preset = measure(SHORT_LINK_PRESET);
    assert.ok(preset.length >= 100 && preset.length <= 110, 'length ' + preset.length);
    assert.equal(preset.version, 5);
    assert.equal(preset.scale, 5);
    assert.equal(preset.quiet, 4);
    assert.equal(measure(SHORT_LINK_SIMPLEX).version, 5);
    const any = measure(SHORT_LINK_FULL_SERVER);
    assert.equal(any.version, 8);
    assert.equal(any.scale, 4);
    assert.equal(any.quiet, 4);
  });

  it('full invitation links without the PQ key: version 15-16, 3 px per module (1-module margin) or 2 px with 4', () => {
    for (const link of [FULL_LINK, FULL_LINK_HTTPS]) {
      const m = measure(link);
      assert.ok(m.length >= 455 && m.length <= 480, 'length ' + m.length);
      assert.equal(m.version, 15);
      assert.equal(m.scale, 3);
      assert.equal(m.quiet, 1);
      const safe = placeQr(m.modules, { x: 0, y: 0, w: (m.modules + 8) * 2, h: (m.modules + 8) * 2 }, 2);
      assert.ok(safe !== null && safe.scale === 2 && safe.quiet === 4);
    }
    const onion = measure(FULL_LINK_ONION);
    assert.equal(onion.version, 16);
    assert.equal(onion.scale, 2);
  });

  it('a full link with the sntrup761 key (about 2,000 characters) does not fit at 2 px per module', () => {
    assert.ok(PQ_LINK.length > 1900 && PQ_LINK.length < 2100, 'length ' + PQ_LINK.length);
    const m = encodeQr(PQ_LINK);
    assert.equal(version(m), 33);
    assert.equal(placeQr(m.size, PANEL, MIN_MODULE_PX), null);
    assert.equal(drawQr(new RecordingDisplay(), m, PANEL, MIN_MODULE_PX), null);
  });
});

describe('firmware/ui/qr placement and drawing', () => {
  it('takes the widest quiet zone that still allows 3-pixel modules, else 2-pixel ones, and centres the code', () => {
    assert.deepEqual(placeQr(37, PANEL, 2), { x: 27, y: 27, scale: 5, quiet: 4 });
    assert.deepEqual(placeQr(77, PANEL, 2), { x: 4, y: 4, scale: 3, quiet: 1 });
    assert.deepEqual(placeQr(77, { x: 10, y: 0, w: 300, h: 200 }, 2), { x: 83, y: 23, scale: 2, quiet: 4 });
    assert.equal(placeQr(121, PANEL, 2), null);
    assert.deepEqual(placeQr(121, PANEL, 1), { x: 59, y: 59, scale: 1, quiet: 4 });
    assert.deepEqual(placeQr(81, PANEL, 2), { x: 39, y: 39, scale: 2, quiet: 4 }, 'no quiet zone allows 3 px: 2 px with the widest');
  });

  it('draws with two calls: the white square, then one scaled image', () => {
    const d = new RecordingDisplay();
    const p = drawQr(d, encodeQr(SHORT_LINK_PRESET), PANEL, 2);
    assert.ok(p !== null);
    assert.deepEqual(d.ops.map((o) => o.op), ['fillRect', 'drawImage']);
    assert.deepEqual([d.ops[0].w, d.ops[0].h, d.ops[0].color], [240, 240, 0xffff]);
    assert.deepEqual([d.ops[1].x, d.ops[1].y, d.ops[1].w, d.ops[1].color], [27, 27, 185, 0x0000]);
  });
});
