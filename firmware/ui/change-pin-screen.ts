import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { Progress } from '../app/model';
import { BaseScreen } from './base-screen';
import { drawCentered, drawHint } from './draw';
import { errorText } from './error-text';
import { MAX_PIN_LENGTH, MIN_PIN_LENGTH } from './lock-screen';
import type { Rect } from './list';
import { ProgressView } from './progress';
import type { Ui } from './screen';
import { TextInput } from './text-input';
import { wrapText } from './text';
import { BG, ERROR, FG } from './theme';

export type ChangePinStep = 'old' | 'new' | 'confirm' | 'working';

/** Change the PIN: the current one, the new one twice, then the store re-wraps its key. */
export class ChangePinScreen extends BaseScreen {
  step: ChangePinStep = 'old';
  readonly input: TextInput;
  private oldPin = '';
  private newPin = '';
  note = '';
  private progress: ProgressView | null = null;

  constructor(ui: Ui) {
    super(ui);
    this.input = new TextInput(MAX_PIN_LENGTH, true, 'large', '');
  }

  title(): string {
    return 'Change PIN';
  }

  handleInput(e: InputEvent): void {
    if (this.step === 'working') return;
    const r = this.input.handleInput(e);
    if (r === 'cancel') {
      this.forget();
      this.ui.pop();
    } else if (r === 'submit') this.submit();
    else if (r === 'changed') this.ui.invalidate();
  }

  private forget(): void {
    this.input.clear();
    this.oldPin = '';
    this.newPin = '';
  }

  private submit(): void {
    const pin = this.input.value;
    this.input.clear();
    this.note = '';
    if (this.step === 'old') {
      if (pin.length === 0) return;
      this.oldPin = pin;
      this.step = 'new';
    } else if (this.step === 'new') {
      if (pin.length < MIN_PIN_LENGTH) this.note = 'Use at least ' + MIN_PIN_LENGTH + ' characters.';
      else {
        this.newPin = pin;
        this.step = 'confirm';
      }
    } else if (this.step === 'confirm') {
      if (pin !== this.newPin) {
        this.newPin = '';
        this.step = 'new';
        this.note = 'The two PINs differ. Choose the new PIN again.';
      } else this.run();
    }
    this.redraw();
  }

  private run(): void {
    const oldPin = this.oldPin;
    const newPin = this.newPin;
    this.forget();
    this.step = 'working';
    this.progress = new ProgressView('Changing PIN', 'Protecting your data with the new PIN', this.ui.clock.monotonic());
    this.ui.model
      .changePin(oldPin, newPin, (p: Progress) => {
        if (this.closed || this.progress === null) return;
        this.progress.update(p);
        this.ui.invalidate();
      })
      .then(
        () => {
          if (this.closed) return;
          this.ui.pop();
          this.ui.alert('PIN changed', 'Use the new PIN from now on.', null);
        },
        (e: unknown) => {
          if (this.closed) return;
          this.progress = null;
          this.step = 'old';
          this.note = errorText(e);
          this.redraw();
        },
      );
  }

  onTick(nowMs: number): void {
    if (this.progress !== null) {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
  }

  needsRender(): boolean {
    return this.dirty || this.input.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  close(): void {
    super.close();
    this.forget();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    if (this.step === 'working' && this.progress !== null) {
      if (all || this.progress.needsRender()) this.progress.render(d, body);
      this.dirty = false;
      return;
    }
    const nh = d.fontHeight('normal');
    const field: Rect = { x: body.x + 30, y: body.y + 20 + nh + 10, w: body.w - 60, h: TextInput.height(d, 'large') };
    if (all) {
      d.fillRect(body.x, body.y, body.w, body.h, BG);
      const prompt = this.step === 'old' ? 'Enter your current PIN' : this.step === 'new' ? 'Choose a new PIN' : 'Type the new PIN again';
      drawCentered(d, prompt, body, body.y + 20, 'normal', FG);
      const lines = wrapText(d, this.note, 'small', body.w - 40, 3);
      for (let i = 0; i < lines.length; i++) drawCentered(d, lines[i], body, field.y + field.h + 8 + i * (d.fontHeight('small') + 2), 'small', ERROR);
      drawHint(d, body, 'Enter: OK   Esc: cancel');
    }
    if (all || this.input.needsRender()) this.input.render(d, field, true);
    this.dirty = false;
  }
}
