import type { Display } from '../../hal/display';
import { SimpleGoError } from '../../hal/errors';
import type { InputEvent } from '../../hal/input';
import type { Progress } from '../app/model';
import { BaseScreen } from './base-screen';
import { drawCentered, drawHint } from './draw';
import { errorText } from './error-text';
import type { Rect } from './list';
import { ProgressView } from './progress';
import type { Chrome, Ui } from './screen';
import { TextInput } from './text-input';
import { formatDuration, wrapText } from './text';
import { ACCENT, BG, ERROR, FG, MUTED } from './theme';

/** Shortest PIN accepted (firmware/store requires 4 bytes). */
export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 64;

/**
 * The lock screen, shown at boot and whenever the device locks:
 * - 'new' -> 'confirm': first boot, choose a PIN and type it again;
 * - 'enter': unlock with the PIN;
 * - 'working': the store derives the key (slow on purpose), with progress;
 * - 'wait': too many wrong PINs, counting down until the next attempt is accepted.
 * Nothing else is reachable from here. The typed PIN is cleared from the field as soon as it
 * is submitted.
 */
export type LockMode = 'new' | 'confirm' | 'enter' | 'working' | 'wait';

export class LockScreen extends BaseScreen {
  mode: LockMode;
  readonly input: TextInput;
  private firstPin = '';
  /** A line under the field: why the last attempt failed, or what to do. */
  note = '';
  private noteIsError = false;
  private progress: ProgressView | null = null;
  private waitUntil = 0;
  private lastCountdown = '';

  constructor(ui: Ui) {
    super(ui);
    this.mode = ui.model.lockState() === 'no-pin' ? 'new' : 'enter';
    this.input = new TextInput(MAX_PIN_LENGTH, true, 'large', '');
  }

  title(): string {
    return this.mode === 'new' || this.mode === 'confirm' ? 'Set up SimpleGo' : 'SimpleGo is locked';
  }

  chrome(): Chrome {
    return 'status';
  }

  handleInput(e: InputEvent): void {
    if (this.mode === 'working' || this.mode === 'wait') return;
    const r = this.input.handleInput(e);
    if (r === 'submit') this.submit();
    else if (r === 'cancel') {
      this.input.clear();
      this.ui.invalidate();
    } else if (r === 'changed') this.ui.invalidate();
  }

  onTick(nowMs: number): void {
    if (this.progress !== null) {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
    if (this.mode === 'wait') {
      const left = this.waitUntil - this.ui.clock.monotonic();
      if (left <= 0) {
        this.mode = 'enter';
        this.setNote('Enter your PIN.', false);
        return;
      }
      const text = formatDuration(left);
      if (text !== this.lastCountdown) {
        this.lastCountdown = text;
        this.redraw();
      }
    }
  }

  needsRender(): boolean {
    return this.dirty || this.input.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  close(): void {
    super.close();
    this.input.clear();
    this.firstPin = '';
  }

  private setNote(text: string, isError: boolean): void {
    this.note = text;
    this.noteIsError = isError;
    this.redraw();
  }

  private submit(): void {
    const pin = this.input.value;
    this.input.clear();
    if (this.mode === 'new') {
      if (pin.length < MIN_PIN_LENGTH) {
        this.setNote('Use at least ' + MIN_PIN_LENGTH + ' characters.', true);
        return;
      }
      this.firstPin = pin;
      this.mode = 'confirm';
      this.setNote('', false);
      return;
    }
    if (this.mode === 'confirm') {
      const first = this.firstPin;
      this.firstPin = '';
      if (pin !== first) {
        this.mode = 'new';
        this.setNote('The two PINs differ. Choose a PIN again.', true);
        return;
      }
      this.run('Setting up', 'Protecting your data with the PIN', false, pin);
      return;
    }
    if (pin.length === 0) return;
    this.run('Unlocking', 'Checking the PIN', true, pin);
  }

  private run(title: string, label: string, unlocking: boolean, pin: string): void {
    const back: LockMode = unlocking ? 'enter' : 'new';
    this.mode = 'working';
    this.progress = new ProgressView(title, label, this.ui.clock.monotonic());
    this.redraw();
    const onProgress = (p: Progress): void => {
      if (this.closed || this.progress === null) return;
      this.progress.update(p);
      this.ui.invalidate();
    };
    const op = unlocking ? this.ui.model.unlock(pin, onProgress) : this.ui.model.setPin(pin, onProgress);
    op.then(
      () => {
        if (this.closed) return;
        this.progress = null;
        this.ui.home();
      },
      (e: unknown) => {
        if (this.closed) return;
        this.progress = null;
        this.failed(e, back, unlocking);
      },
    );
  }

  private failed(e: unknown, back: LockMode, unlocking: boolean): void {
    const code = e instanceof SimpleGoError ? e.code : '';
    if (code === 'locked-out') {
      const detail = e as SimpleGoError & { readonly retryAfterMs?: unknown };
      const wait = typeof detail.retryAfterMs === 'number' ? detail.retryAfterMs : 30000;
      this.mode = 'wait';
      this.waitUntil = this.ui.clock.monotonic() + wait;
      this.lastCountdown = formatDuration(wait);
      this.setNote(errorText(e), true);
      return;
    }
    // 'wiped': that was the last attempt and the store erased itself; start over as new.
    if (code === 'wiped' || (unlocking && this.ui.model.lockState() === 'no-pin')) {
      this.mode = 'new';
      this.setNote('', false);
      this.ui.alert('Device erased', errorText(e), null);
      return;
    }
    this.mode = back;
    this.setNote(errorText(e), true);
  }

  render(d: Display, body: Rect, full: boolean): void {
    if (this.mode === 'working' && this.progress !== null) {
      if (full || this.dirty || this.progress.needsRender()) this.progress.render(d, body);
      this.dirty = false;
      return;
    }
    const lh = d.fontHeight('large');
    const nh = d.fontHeight('normal');
    const fieldH = TextInput.height(d, 'large');
    const fieldY = body.y + 28 + lh + 10 + nh + 8;
    const field: Rect = { x: body.x + 30, y: fieldY, w: body.w - 60, h: fieldH };
    if (full || this.dirty) {
      d.fillRect(body.x, body.y, body.w, body.h, BG);
      drawCentered(d, 'SimpleGo', body, body.y + 20, 'large', ACCENT);
      drawCentered(d, this.prompt(), body, body.y + 28 + lh + 10, 'normal', FG);
      let y = fieldY + fieldH + 8;
      let note = this.note;
      if (this.mode === 'wait') note = 'Too many wrong PINs. Try again in ' + this.lastCountdown + '.';
      if (note.length > 0) {
        const lines = wrapText(d, note, 'small', body.w - 40, 3);
        for (let i = 0; i < lines.length; i++) {
          drawCentered(d, lines[i], body, y, 'small', this.noteIsError || this.mode === 'wait' ? ERROR : MUTED);
          y += d.fontHeight('small') + 2;
        }
      }
      drawHint(d, body, this.mode === 'wait' ? 'Please wait' : 'Enter: OK   Esc: clear');
      this.input.render(d, field, this.mode !== 'wait');
    } else if (this.input.needsRender()) {
      this.input.render(d, field, this.mode !== 'wait');
    }
    this.dirty = false;
  }

  private prompt(): string {
    switch (this.mode) {
      case 'new':
        return 'Choose a PIN (at least ' + MIN_PIN_LENGTH + ' characters)';
      case 'confirm':
        return 'Type the same PIN again';
      default:
        return 'Enter your PIN';
    }
  }
}
