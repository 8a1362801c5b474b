import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import { BaseScreen } from './base-screen';
import { drawHint } from './draw';
import { navKey } from './keys';
import type { Rect } from './list';
import type { Ui } from './screen';
import { TextInput } from './text-input';
import { wrapText } from './text';
import { BG, FG, WARN } from './theme';

export type AddRouterMode = 'type' | 'scan';

/**
 * Adds a router (or gives a preset its fingerprint) from its smp:// address, typed, pasted or
 * scanned from a QR code (Tab). The model parses and pins it; its typed errors are shown as is.
 */
export class AddRouterScreen extends BaseScreen {
  mode: AddRouterMode = 'type';
  readonly input: TextInput;
  scanNote = '';

  constructor(ui: Ui, initial: string) {
    super(ui);
    this.input = new TextInput(1024, false, 'small', 'smp://fingerprint@host');
    if (initial.length > 0) this.input.setValue(initial);
  }

  title(): string {
    return 'Add router';
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    if (this.mode === 'scan') {
      if (k === 'back' || k === 'left') this.stopScan();
      return;
    }
    if (k === 'tab') {
      if (this.ui.scanner.available) this.startScan();
      else this.ui.alert('No camera', 'This device has no camera. Type or paste the address.', null);
      return;
    }
    const r = this.input.handleInput(e);
    if (r === 'submit') this.submit(this.input.value);
    else if (r === 'cancel') this.ui.pop();
    else if (r === 'changed') this.ui.invalidate();
  }

  private submit(address: string): void {
    const text = address.trim();
    if (text.length === 0) return;
    try {
      this.ui.model.addRouter(text);
    } catch (e) {
      this.ui.showError('Router not added', e);
      return;
    }
    this.ui.pop();
    this.ui.alert('Router added', 'It is enabled. Test it from the router list.', null);
  }

  private startScan(): void {
    this.mode = 'scan';
    this.scanNote = '';
    this.redraw();
    this.ui.scanner.start(
      (text: string) => {
        if (this.closed || this.mode !== 'scan') return;
        if (text.indexOf('smp://') !== 0) {
          this.scanNote = 'That QR code is not a router address.';
          this.redraw();
          return;
        }
        this.stopScan();
        this.input.setValue(text);
        this.submit(text);
      },
      (message: string) => {
        if (this.closed || this.mode !== 'scan') return;
        this.mode = 'type';
        this.redraw();
        this.ui.alert('Camera', message, null);
      },
    );
  }

  private stopScan(): void {
    this.ui.scanner.stop();
    this.mode = 'type';
    this.redraw();
  }

  needsRender(): boolean {
    return this.dirty || this.input.needsRender();
  }

  close(): void {
    if (this.mode === 'scan') this.ui.scanner.stop();
    super.close();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    const nh = d.fontHeight('normal');
    if (all) {
      d.fillRect(body.x, body.y, body.w, body.h, BG);
      const text = this.mode === 'scan' ? "Point the camera at the router's QR code." : "Type or paste the router's address:";
      const lines = wrapText(d, text, 'normal', body.w - 16, 3);
      for (let i = 0; i < lines.length; i++) d.drawString(lines[i], body.x + 8, body.y + 6 + i * (nh + 2), 'normal', FG, -1);
      if (this.mode === 'scan' && this.scanNote.length > 0) d.drawString(this.scanNote, body.x + 8, body.y + 60, 'normal', WARN, -1);
      drawHint(d, body, this.mode === 'scan' ? 'Esc: stop scanning' : 'Enter: add   Tab: scan QR   Esc: cancel');
    }
    if (this.mode === 'type' && (all || this.input.needsRender())) {
      this.input.render(d, { x: body.x + 6, y: body.y + 12 + nh + 8, w: body.w - 12, h: TextInput.height(d, 'small') }, true);
    }
    this.dirty = false;
  }
}
