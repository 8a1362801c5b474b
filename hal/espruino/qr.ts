/**
 * The device QrScanner: the native layer runs camera and decoder together at full resolution
 * (no frame ever reaches JavaScript, which could not afford a per-pixel loop or the memory) and
 * reports payload bytes; this adapter turns them into text and suppresses repeats.
 *
 * Boards without a camera (the T-Deck Plus) get `available: false`: links are pasted or typed.
 */
import { utf8Decode } from '../../firmware/encoding/utf8';
import type { NativeCamera } from '../native-api';
import type { QrScanner } from '../qr';

/** Longest payload accepted (a version-40 QR code holds at most 2953 bytes). */
const MAX_PAYLOAD = 2953;

export function createEspruinoQrScanner(camera: NativeCamera | null): QrScanner {
  let scanning = false;
  let last = '';
  return {
    available: camera !== null,
    start(onResult: (text: string) => void, onError: (message: string) => void): void {
      if (camera === null) {
        onError('this board has no camera: paste or type the link instead');
        return;
      }
      if (scanning) camera.scanStop();
      scanning = true;
      last = '';
      camera.scanStart(
        (payload: Uint8Array) => {
          if (!scanning || !(payload instanceof Uint8Array) || payload.length === 0 || payload.length > MAX_PAYLOAD) return;
          let text: string;
          try {
            text = utf8Decode(payload);
          } catch (e) {
            // Not UTF-8: not a SimpleX link, and nothing a text field could show. Keep scanning.
            return;
          }
          if (text === last) return;
          last = text;
          onResult(text);
        },
        (message: string) => {
          if (!scanning) return;
          scanning = false;
          onError('camera failure: ' + message);
        },
      );
    },
    stop(): void {
      if (!scanning || camera === null) return;
      scanning = false;
      camera.scanStop();
    },
  };
}
