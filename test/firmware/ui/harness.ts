/**
 * The UI under test, built from real parts: the node framebuffer Display (wrapped to record what
 * was drawn), the node Input, Camera and QR scanner, a manual Clock, and the fake model. The
 * notifier and the battery are recorded / fixed values: no node backend for them exists yet.
 */
import type { Display, FontName, Image } from '../../../hal/display';
import type { Notifier, NotifyPattern } from '../../../hal/notifier';
import type { BatteryStatus, Power } from '../../../hal/power';
import { FramebufferDisplay } from '../../../hal/node/display';
import { NodeCamera } from '../../../hal/node/camera';
import { NodeInput } from '../../../hal/node/input';
import { NodeQrScanner } from '../../../hal/node/qr';
import { AppUi } from '../../../firmware/ui/app-ui';
import type { Screen } from '../../../firmware/ui/screen';
import { FakeModel } from './fake-model';
import { ManualClock } from './manual-clock';

export interface DrawOp {
  readonly op: 'fillRect' | 'drawString' | 'drawImage' | 'flip' | 'setBacklight';
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly color: number;
  readonly font: string;
}

/** A real framebuffer Display that also logs every call, so tests can ask what a frame drew. */
export class RecordingDisplay implements Display {
  readonly fb: FramebufferDisplay;
  readonly width: number;
  readonly height: number;
  ops: DrawOp[] = [];

  constructor(fb: FramebufferDisplay = new FramebufferDisplay()) {
    this.fb = fb;
    this.width = fb.width;
    this.height = fb.height;
  }

  private log(op: DrawOp['op'], text: string, x: number, y: number, w: number, h: number, color: number, font: string): void {
    this.ops.push({ op, text, x, y, w, h, color, font });
  }

  fillRect(x: number, y: number, width: number, height: number, color: number): void {
    this.log('fillRect', '', x, y, width, height, color, '');
    this.fb.fillRect(x, y, width, height, color);
  }

  drawString(text: string, x: number, y: number, font: FontName, color: number, bg: number): void {
    this.log('drawString', text, x, y, this.fb.stringWidth(text, font), this.fb.fontHeight(font), color, font);
    this.fb.drawString(text, x, y, font, color, bg);
  }

  stringWidth(text: string, font: FontName): number {
    return this.fb.stringWidth(text, font);
  }

  fontHeight(font: FontName): number {
    return this.fb.fontHeight(font);
  }

  drawImage(image: Image, x: number, y: number, scale: number, color: number, bg: number): void {
    this.log('drawImage', '', x, y, image.width * scale, image.height * scale, color, '');
    this.fb.drawImage(image, x, y, scale, color, bg);
  }

  flip(): void {
    this.log('flip', '', 0, 0, 0, 0, 0, '');
    this.fb.flip();
  }

  setBacklight(level: number): void {
    this.log('setBacklight', '', level, 0, 0, 0, 0, '');
    this.fb.setBacklight(level);
  }

  /** Strings drawn since the last clear(), in order. */
  texts(): string[] {
    return this.ops.filter((o) => o.op === 'drawString').map((o) => o.text);
  }

  /** True when some string drawn since the last clear() contains `part`. */
  drew(part: string): boolean {
    return this.texts().some((t) => t.indexOf(part) >= 0);
  }

  clear(): void {
    this.ops = [];
  }
}

export class RecordingNotifier implements Notifier {
  alerts: NotifyPattern[] = [];
  wakes = 0;
  alert(pattern: NotifyPattern): void {
    this.alerts.push(pattern);
  }
  wakeScreen(): void {
    this.wakes++;
  }
}

export class FixedPower implements Power {
  status: BatteryStatus = { percent: 87, millivolts: 4012, charging: false };
  battery(): BatteryStatus {
    return this.status;
  }
}

export class Harness {
  readonly clock = new ManualClock();
  readonly model = new FakeModel();
  readonly display = new RecordingDisplay();
  readonly input = new NodeInput();
  readonly camera: NodeCamera;
  readonly scanner: NodeQrScanner;
  readonly notifier = new RecordingNotifier();
  readonly power = new FixedPower();
  readonly ui: AppUi;

  constructor(cameraAvailable: boolean = true) {
    this.camera = new NodeCamera(this.clock, cameraAvailable);
    this.scanner = new NodeQrScanner(this.camera);
    this.ui = new AppUi({
      display: this.display,
      input: this.input,
      clock: this.clock,
      model: this.model,
      scanner: this.scanner,
      notifier: this.notifier,
      power: this.power,
      encodeQr: null,
    });
  }

  /** Unlocked, with the contact list showing. */
  startUnlocked(): this {
    this.model.pin = '2468';
    this.model.lock_ = 'unlocked';
    this.ui.start();
    return this;
  }

  top<T extends Screen>(kind: new (...args: never[]) => T): T {
    const s = this.ui.top();
    if (!(s instanceof kind)) throw new Error('top screen is ' + (s === null ? 'none' : s.constructor.name) + ', not ' + kind.name);
    return s;
  }

  /** Runs pending frames (and timers due now), then returns what was drawn meanwhile. */
  frame(): void {
    this.clock.advance(0);
  }

  /** Lets promise callbacks run, then draws. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    this.frame();
  }

  key(k: string): void {
    this.input.key(k);
    this.frame();
  }

  type(text: string): void {
    this.input.typeText(text);
    this.frame();
  }
}
