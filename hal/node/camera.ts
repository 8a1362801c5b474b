/**
 * The simulator's camera. What it "sees" is chosen at run time:
 * - another simulated device's screen (its FramebufferDisplay panel, optionally enlarged as a
 *   camera held close would see it): how device B scans the QR code device A shows;
 * - an image the user uploaded to the simulator page, or the latest frame of the computer's
 *   webcam as the page samples it (RGBA or grey, from the page's canvas);
 * - nothing (frames stop; scanning simply finds no code).
 * Frames are delivered on the HAL Clock at most `maxFps` per second, so tests can drive it.
 */
import type { Camera, GrayFrame } from '../camera';
import type { Clock, TimerHandle } from '../clock';
import type { FramebufferDisplay } from './display';

export type CameraSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'display'; readonly display: FramebufferDisplay; readonly zoom: number }
  | { readonly kind: 'image'; readonly frame: GrayFrame };

/** Largest frame accepted from the page, in pixels (a 4K image). */
export const MAX_FRAME_PIXELS = 3840 * 2160;

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width * height > MAX_FRAME_PIXELS) {
    throw new RangeError('image size must be positive whole numbers, at most ' + MAX_FRAME_PIXELS + ' pixels');
  }
}

/** Luma of an RGBA image, as a grey frame; throws RangeError when the sizes do not agree. */
export function grayFromRgba(rgba: Uint8Array, width: number, height: number): GrayFrame {
  checkSize(width, height);
  if (rgba.length !== width * height * 4) throw new RangeError('RGBA data must be width * height * 4 = ' + width * height * 4 + ' bytes, got ' + rgba.length);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (77 * rgba[i * 4] + 150 * rgba[i * 4 + 1] + 29 * rgba[i * 4 + 2]) >> 8;
  return { width, height, data };
}

/** A grey frame over a copy of `gray` (one luma byte per pixel); throws RangeError when the sizes do not agree. */
export function grayFrameOf(gray: Uint8Array, width: number, height: number): GrayFrame {
  checkSize(width, height);
  if (gray.length !== width * height) throw new RangeError('grey data must be width * height = ' + width * height + ' bytes, got ' + gray.length);
  // A copy: the caller's buffer (a request body) may be reused after this returns.
  return { width, height, data: new Uint8Array(gray) };
}

/** `frame` enlarged `zoom` times in each direction (nearest neighbour). */
export function enlarge(frame: GrayFrame, zoom: number): GrayFrame {
  if (zoom === 1) return frame;
  const w = frame.width * zoom;
  const h = frame.height * zoom;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = Math.floor(y / zoom) * frame.width;
    for (let x = 0; x < w; x++) data[y * w + x] = frame.data[src + Math.floor(x / zoom)];
  }
  return { width: w, height: h, data };
}

export class NodeCamera implements Camera {
  readonly available: boolean;
  private readonly clock: Clock;
  private source: CameraSource = { kind: 'none' };
  private timer: TimerHandle | null = null;
  private onFrame: ((frame: GrayFrame) => void) | null = null;
  private intervalMs = 1000;
  /** Frames delivered since creation. */
  frames = 0;

  constructor(clock: Clock, available: boolean) {
    this.clock = clock;
    this.available = available;
  }

  setSource(source: CameraSource): void {
    if (source.kind === 'display' && !(Number.isInteger(source.zoom) && source.zoom >= 1 && source.zoom <= 4)) {
      throw new RangeError('zoom must be 1, 2, 3 or 4');
    }
    this.source = source;
  }

  /** Points the camera at an uploaded image (RGBA, as a canvas gives it). */
  showImage(rgba: Uint8Array, width: number, height: number): void {
    this.source = { kind: 'image', frame: grayFromRgba(rgba, width, height) };
  }

  /** Points the camera at an uploaded grey image (one luma byte per pixel, as the page sends webcam frames). */
  showGray(gray: Uint8Array, width: number, height: number): void {
    this.source = { kind: 'image', frame: grayFrameOf(gray, width, height) };
  }

  /** What the camera sees now, or null when it sees nothing. */
  capture(): GrayFrame | null {
    const s = this.source;
    if (s.kind === 'display') return enlarge(s.display.grayFrame(), s.zoom);
    if (s.kind === 'image') return s.frame;
    return null;
  }

  start(onFrame: (frame: GrayFrame) => void, maxFps: number): void {
    if (!this.available) return;
    this.stop();
    const fps = maxFps > 0 && maxFps <= 60 ? maxFps : 1;
    this.intervalMs = Math.ceil(1000 / fps);
    this.onFrame = onFrame;
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) this.clock.cancelTimer(this.timer);
    this.timer = null;
    this.onFrame = null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      const deliver = this.onFrame;
      if (deliver === null) return;
      const frame = this.capture();
      // Schedule the next frame first: the consumer may stop the camera from inside onFrame.
      this.schedule();
      if (frame !== null) {
        this.frames++;
        deliver(frame);
      }
    }, this.intervalMs);
  }

  /** True while frames are being delivered. */
  running(): boolean {
    return this.onFrame !== null;
  }
}

export function createNodeCamera(clock: Clock, available: boolean = true): NodeCamera {
  return new NodeCamera(clock, available);
}
