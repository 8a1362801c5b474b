import assert from 'node:assert/strict';
import { NodeCamera } from '../../../hal/node/camera';
import { FramebufferDisplay } from '../../../hal/node/display';
import { decodeQr, NodeQrScanner, SCAN_FPS } from '../../../hal/node/qr';
import { drawQr, encodeQr } from '../../../firmware/ui/qr';
import { ManualClock } from '../../firmware/ui/manual-clock';

function screenWithCode(text: string): FramebufferDisplay {
  const d = new FramebufferDisplay();
  d.fillRect(0, 0, 320, 240, 0x1082);
  assert.notEqual(drawQr(d, encodeQr(text), { x: 0, y: 0, w: 240, h: 240 }, 2), null);
  d.flip();
  return d;
}

describe('hal/node/qr', () => {
  it('decodes a code shown on a simulated screen', () => {
    assert.equal(decodeQr(screenWithCode('simplex:/contact#/?v=2-7').grayFrame()), 'simplex:/contact#/?v=2-7');
  });

  it('finds nothing in frames without a code, and nothing (no exception) in malformed frames', () => {
    const blank = new FramebufferDisplay();
    blank.flip();
    assert.equal(decodeQr(blank.grayFrame()), null);
    const noise = new Uint8Array(320 * 240);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      noise[i] = x & 0xff;
    }
    assert.equal(decodeQr({ width: 320, height: 240, data: noise }), null);
    assert.equal(decodeQr({ width: 320, height: 240, data: new Uint8Array(100) }), null);
    assert.equal(decodeQr({ width: 0, height: 0, data: new Uint8Array(0) }), null);
    assert.equal(decodeQr({ width: -1, height: -1, data: new Uint8Array(1) }), null);
  });

  it('scans through the camera and reports each distinct code once', () => {
    const clock = new ManualClock();
    const camera = new NodeCamera(clock, true);
    const scanner = new NodeQrScanner(camera);
    const found: string[] = [];
    const errors: string[] = [];
    camera.setSource({ kind: 'display', display: screenWithCode('first code'), zoom: 1 });
    scanner.start((t) => found.push(t), (m) => errors.push(m));
    clock.advance(3000);
    assert.deepEqual(found, ['first code'], 'seen in many frames, reported once');
    camera.setSource({ kind: 'display', display: screenWithCode('second code'), zoom: 1 });
    clock.advance(1000);
    assert.deepEqual(found, ['first code', 'second code']);
    scanner.stop();
    camera.setSource({ kind: 'display', display: screenWithCode('third code'), zoom: 1 });
    clock.advance(1000);
    assert.deepEqual(found, ['first code', 'second code'], 'nothing after stop()');
    assert.deepEqual(errors, []);
    assert.equal(clock.pending(), 0);
    assert.ok(camera.frames >= 4 * SCAN_FPS - 1);
  });

  it('reports a code again after a restart', () => {
    const clock = new ManualClock();
    const camera = new NodeCamera(clock, true);
    const scanner = new NodeQrScanner(camera);
    camera.setSource({ kind: 'display', display: screenWithCode('again'), zoom: 1 });
    const found: string[] = [];
    scanner.start((t) => found.push(t), () => undefined);
    clock.advance(500);
    scanner.start((t) => found.push(t), () => undefined);
    clock.advance(500);
    assert.deepEqual(found, ['again', 'again']);
    scanner.stop();
  });

  it('fails at once, with a sentence, on a device without a camera', () => {
    const scanner = new NodeQrScanner(new NodeCamera(new ManualClock(), false));
    assert.equal(scanner.available, false);
    const errors: string[] = [];
    scanner.start(() => assert.fail('no result expected'), (m) => errors.push(m));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /no camera/);
    scanner.stop();
  });
});
