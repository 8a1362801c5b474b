import assert from 'node:assert/strict';
import type { GrayFrame } from '../../../hal/camera';
import { enlarge, grayFromRgba, NodeCamera } from '../../../hal/node/camera';
import { FramebufferDisplay } from '../../../hal/node/display';
import { ManualClock } from '../../firmware/ui/manual-clock';

describe('hal/node/camera', () => {
  it('delivers frames of what it looks at, at most maxFps per second, until stop()', () => {
    const clock = new ManualClock();
    const cam = new NodeCamera(clock, true);
    const d = new FramebufferDisplay({ width: 8, height: 4 });
    d.fillRect(0, 0, 8, 4, 0xffff);
    d.flip();
    cam.setSource({ kind: 'display', display: d, zoom: 1 });
    const frames: GrayFrame[] = [];
    cam.start((f) => frames.push(f), 5);
    assert.equal(cam.running(), true);
    clock.advance(999);
    assert.equal(frames.length, 4, '5 fps: a frame every 200 ms');
    clock.advance(1);
    assert.equal(frames.length, 5);
    assert.equal(frames[0].width, 8);
    assert.equal(frames[0].data[0], 255);
    cam.stop();
    clock.advance(5000);
    assert.equal(frames.length, 5);
    assert.equal(clock.pending(), 0, 'no timer left behind');
  });

  it('sees the panel as of the last flip, enlarged by the zoom', () => {
    const clock = new ManualClock();
    const cam = new NodeCamera(clock, true);
    const d = new FramebufferDisplay({ width: 2, height: 1 });
    d.fillRect(0, 0, 1, 1, 0xffff);
    cam.setSource({ kind: 'display', display: d, zoom: 2 });
    assert.deepEqual(Array.from(cam.capture()!.data), [0, 0, 0, 0, 0, 0, 0, 0], 'not flipped yet');
    d.flip();
    const f = cam.capture()!;
    assert.deepEqual([f.width, f.height], [4, 2]);
    assert.deepEqual(Array.from(f.data), [255, 255, 0, 0, 255, 255, 0, 0]);
    assert.throws(() => cam.setSource({ kind: 'display', display: d, zoom: 0 }), RangeError);
    assert.throws(() => cam.setSource({ kind: 'display', display: d, zoom: 1.5 }), RangeError);
  });

  it('shows an uploaded RGBA image as grey, and rejects data that does not match its size', () => {
    const cam = new NodeCamera(new ManualClock(), true);
    cam.showImage(new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255]), 2, 1);
    assert.deepEqual(Array.from(cam.capture()!.data), [76, 28]);
    assert.throws(() => cam.showImage(new Uint8Array(7), 2, 1), RangeError);
    assert.throws(() => cam.showImage(new Uint8Array(0), 0, 0), RangeError);
    assert.throws(() => cam.showImage(new Uint8Array(8), 2.5, 1), RangeError);
    assert.throws(() => grayFromRgba(new Uint8Array(4), 100000, 100000), RangeError);
    assert.deepEqual(Array.from(cam.capture()!.data), [76, 28], 'a rejected image leaves the last one');
  });

  it('delivers nothing while it looks at nothing, and nothing at all without a camera', () => {
    const clock = new ManualClock();
    const none = new NodeCamera(clock, true);
    let n = 0;
    none.start(() => n++, 10);
    clock.advance(1000);
    assert.equal(n, 0);
    none.stop();
    const absent = new NodeCamera(clock, false);
    assert.equal(absent.available, false);
    absent.setSource({ kind: 'image', frame: { width: 1, height: 1, data: new Uint8Array(1) } });
    absent.start(() => n++, 10);
    clock.advance(1000);
    assert.equal(n, 0);
    assert.equal(absent.running(), false);
  });

  it('may be stopped from inside the frame callback', () => {
    const clock = new ManualClock();
    const cam = new NodeCamera(clock, true);
    cam.setSource({ kind: 'image', frame: { width: 1, height: 1, data: new Uint8Array([9]) } });
    let n = 0;
    cam.start(() => {
      n++;
      cam.stop();
    }, 10);
    clock.advance(2000);
    assert.equal(n, 1);
    assert.equal(clock.pending(), 0);
  });

  it('enlarges by nearest neighbour', () => {
    const f = enlarge({ width: 2, height: 2, data: new Uint8Array([1, 2, 3, 4]) }, 3);
    assert.deepEqual([f.width, f.height], [6, 6]);
    assert.deepEqual(Array.from(f.data.subarray(0, 6)), [1, 1, 1, 2, 2, 2]);
    assert.deepEqual(Array.from(f.data.subarray(30, 36)), [3, 3, 3, 4, 4, 4]);
  });
});
