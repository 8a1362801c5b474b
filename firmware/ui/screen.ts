import type { Clock } from '../../hal/clock';
import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { QrScanner } from '../../hal/qr';
import type { AppModel, ModelChange } from '../app/model';
import type { Rect } from './list';
import type { QrEncoder } from './qr';

/**
 * What surrounds a screen's body:
 * - 'full':   status bar and title bar
 * - 'status': status bar only
 * - 'none':   the whole panel is the body (the invitation QR code needs every row)
 */
export type Chrome = 'full' | 'status' | 'none';

/**
 * One screen: a state machine driven by input, model changes and a one-second tick, which draws
 * itself into the body rectangle it is given. `render(full)` repaints everything when `full`,
 * otherwise only what changed since the last render (a typed character repaints one field).
 */
export interface Screen {
  title(): string;
  chrome(): Chrome;
  handleInput(e: InputEvent): void;
  /** A model change, delivered to the top screen only (see onShow). */
  onModelChange(c: ModelChange): void;
  /** The screen is on top again after the one above it closed: re-read what may have changed. */
  onShow(): void;
  /** Once a second while the screen is on top (elapsed times, countdowns). */
  onTick(nowMs: number): void;
  needsRender(): boolean;
  render(d: Display, body: Rect, full: boolean): void;
  /** The screen leaves the stack: stop the camera, drop held text. */
  close(): void;
}

/** What screens may ask of the UI around them. */
export interface Ui {
  readonly display: Display;
  readonly model: AppModel;
  readonly clock: Clock;
  readonly scanner: QrScanner;
  readonly encodeQr: QrEncoder;
  /** Shows `s` on top of the current screen. */
  push(s: Screen): void;
  /** Closes the top screen and shows the one below. */
  pop(): void;
  /** Replaces the top screen by `s`. */
  replace(s: Screen): void;
  /** Closes every screen and shows the contact list. */
  home(): void;
  /** Closes every screen and shows the lock screen. */
  showLock(): void;
  /** A modal message with an OK button; `then` runs when it is dismissed. */
  alert(title: string, text: string, then: (() => void) | null): void;
  /** A modal question; `onYes` runs only when the first button is chosen. */
  confirm(title: string, text: string, yesLabel: string, onYes: () => void): void;
  /** An error from a lower layer, in words (firmware/ui/error-text.ts). */
  showError(title: string, e: unknown): void;
  /** Asks for a frame soon (after an asynchronous result changed what a screen shows). */
  invalidate(): void;
}
