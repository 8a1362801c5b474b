/**
 * QR codes decoded from the camera. On the simulator frames are decoded in JavaScript;
 * on the device the native layer decodes them (no per-pixel JavaScript there).
 */
export interface QrScanner {
  /** False when there is no camera to scan with. */
  readonly available: boolean;
  /**
   * Scans until a code is found or stop() is called; `onResult` receives the decoded text
   * once per distinct code. `onError` reports a camera failure, after which scanning stops.
   */
  start(onResult: (text: string) => void, onError: (message: string) => void): void;
  stop(): void;
}
