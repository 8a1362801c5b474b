/** A grayscale camera frame: one luma byte per pixel, row-major. */
export interface GrayFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface Camera {
  /** False on boards without a camera (the T-Deck Plus has none); start() then does nothing. */
  readonly available: boolean;
  /** Starts delivering frames (at most `maxFps` per second) until stop(). */
  start(onFrame: (frame: GrayFrame) => void, maxFps: number): void;
  stop(): void;
}
