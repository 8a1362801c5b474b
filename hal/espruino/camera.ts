/**
 * The device Camera: small grey preview frames from the native layer (the native side
 * downscales; a full frame would not fit Espruino's variable space). Scanning does not go
 * through here: see qr.ts.
 */
import type { Camera, GrayFrame } from '../camera';
import type { NativeCamera } from '../native-api';

export function createEspruinoCamera(camera: NativeCamera | null): Camera {
  let running = false;
  return {
    available: camera !== null,
    start(onFrame: (frame: GrayFrame) => void, maxFps: number): void {
      if (camera === null) return;
      if (running) camera.stop();
      running = true;
      const fps = maxFps > 0 ? maxFps : 1;
      camera.start(
        fps,
        (gray: Uint8Array, width: number, height: number) => {
          // A frame of the wrong size would make every consumer read out of bounds: drop it.
          if (running && gray.length === width * height) onFrame({ width, height, data: gray });
        },
        () => {
          running = false;
        },
      );
    },
    stop(): void {
      if (!running || camera === null) return;
      running = false;
      camera.stop();
    },
  };
}
