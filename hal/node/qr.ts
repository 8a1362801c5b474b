/**
 * The simulator's QrScanner: camera frames decoded with jsQR (cozmo/jsQR 1.4.0, Apache-2.0),
 * the JavaScript decoder the simulator can afford (on the device a native decoder does this).
 * Each distinct code is reported once per start(); a frame jsQR cannot read is just a frame
 * without a code.
 */
import jsQR from 'jsqr';
import type { Camera, GrayFrame } from '../camera';
import type { QrScanner } from '../qr';

/** Frames per second to decode: enough to feel instant, little enough for a test machine. */
export const SCAN_FPS = 5;

/** Decodes the first QR code in a grey frame; null when there is none (or the frame is malformed). */
export function decodeQr(frame: GrayFrame): string | null {
  const n = frame.width * frame.height;
  if (!(frame.width > 0 && frame.height > 0) || frame.data.length !== n) return null;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = frame.data[i];
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  let code: ReturnType<typeof jsQR>;
  try {
    // A screen shows dark modules on light: skip the inverted pass, which halves the work.
    code = jsQR(rgba, frame.width, frame.height, { inversionAttempts: 'dontInvert' });
  } catch (e) {
    return null;
  }
  return code !== null && code.data.length > 0 ? code.data : null;
}

export class NodeQrScanner implements QrScanner {
  private readonly camera: Camera;
  private scanning = false;
  private last = '';

  constructor(camera: Camera) {
    this.camera = camera;
  }

  get available(): boolean {
    return this.camera.available;
  }

  start(onResult: (text: string) => void, onError: (message: string) => void): void {
    if (!this.camera.available) {
      onError('this device has no camera: paste or type the link instead');
      return;
    }
    this.stop();
    this.scanning = true;
    this.last = '';
    this.camera.start((frame: GrayFrame) => {
      if (!this.scanning) return;
      const text = decodeQr(frame);
      if (text === null || text === this.last) return;
      this.last = text;
      onResult(text);
    }, SCAN_FPS);
  }

  stop(): void {
    if (!this.scanning) return;
    this.scanning = false;
    this.camera.stop();
  }
}

export function createNodeQrScanner(camera: Camera): NodeQrScanner {
  return new NodeQrScanner(camera);
}
