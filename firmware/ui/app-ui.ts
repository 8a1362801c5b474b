import type { Clock, TimerHandle } from '../../hal/clock';
import type { Display } from '../../hal/display';
import type { Input, InputEvent } from '../../hal/input';
import type { Notifier } from '../../hal/notifier';
import type { Power } from '../../hal/power';
import type { QrScanner } from '../../hal/qr';
import type { AppModel, ModelChange } from '../app/model';
import { ContactsScreen } from './contacts-screen';
import { errorText } from './error-text';
import type { Rect } from './list';
import { LockScreen } from './lock-screen';
import { MessageBox } from './message-box';
import { encodeQr, type QrEncoder } from './qr';
import type { Chrome, Screen, Ui } from './screen';
import { renderStatusBar, statusKey, type StatusInfo } from './status-bar';
import { fitText } from './text';
import { ACCENT, BAR_BG, FG } from './theme';

export interface AppUiOptions {
  readonly display: Display;
  readonly input: Input;
  readonly clock: Clock;
  readonly model: AppModel;
  readonly scanner: QrScanner;
  readonly notifier: Notifier;
  readonly power: Power;
  /** QR encoder; defaults to qrcode-generator (firmware/ui/qr.ts). A board may pass a native one. */
  readonly encodeQr: QrEncoder | null;
}

/** The UI's clock: status refresh, elapsed times, screen-off and auto-lock checks. */
export const TICK_MS = 1000;
/** Deepest screen stack (contacts, chat, details, one dialog-like screen): bounds memory. */
export const MAX_STACK = 6;

interface PendingBox {
  readonly box: MessageBox;
  readonly onOk: (() => void) | null;
  readonly onCancel: (() => void) | null;
}

/**
 * The screen router: a small stack of screens under a status bar and a title bar, one modal box
 * at a time (further ones queue), input and model changes routed to the top screen, and one
 * frame per batch of changes (scheduled on the Clock, so a burst of events draws once).
 *
 * A frame repaints the bars only when their text changed and asks the top screen for a full
 * repaint only when the screen or its chrome changed or a box closed; otherwise the screen
 * repaints what it marked dirty. Nothing is drawn while the screen is off.
 *
 * It also owns what no single screen does: notifications for new messages (unless the contact
 * is muted), turning the screen off and locking after the configured idle times, and going to
 * the lock screen whenever the model reports it is locked. Locking closes every screen, which
 * drops whatever message text they held.
 */
export class AppUi implements Ui {
  readonly display: Display;
  readonly model: AppModel;
  readonly clock: Clock;
  readonly scanner: QrScanner;
  readonly encodeQr: QrEncoder;
  private readonly input: Input;
  private readonly notifier: Notifier;
  private readonly power: Power;
  private stack: Screen[] = [];
  private boxes: PendingBox[] = [];
  private frameTimer: TimerHandle | null = null;
  private tickTimer: TimerHandle | null = null;
  private fullDirty = true;
  private lastChrome: Chrome | '' = '';
  private lastStatus = '';
  private lastTitle = '';
  private lastInputMs = 0;
  private asleep = false;
  private running = false;
  /** Frames drawn (flips): lets tests and the simulator see that something was shown. */
  frames = 0;

  constructor(o: AppUiOptions) {
    this.display = o.display;
    this.model = o.model;
    this.clock = o.clock;
    this.scanner = o.scanner;
    this.encodeQr = o.encodeQr !== null ? o.encodeQr : encodeQr;
    this.input = o.input;
    this.notifier = o.notifier;
    this.power = o.power;
  }

  start(): void {
    this.running = true;
    this.lastInputMs = this.clock.monotonic();
    this.input.setHandler((e: InputEvent) => this.onInput(e));
    this.model.setListener((c: ModelChange) => this.onChange(c));
    this.display.setBacklight(1);
    if (this.model.lockState() === 'unlocked') this.home();
    else this.showLock();
    this.scheduleTick();
    this.frame();
  }

  stop(): void {
    this.running = false;
    this.model.setListener(null);
    this.input.setHandler(() => undefined);
    if (this.frameTimer !== null) this.clock.cancelTimer(this.frameTimer);
    if (this.tickTimer !== null) this.clock.cancelTimer(this.tickTimer);
    this.frameTimer = null;
    this.tickTimer = null;
    this.closeAll();
  }

  /** The screen on top (tests and the simulator inspect it). */
  top(): Screen | null {
    return this.stack.length > 0 ? this.stack[this.stack.length - 1] : null;
  }

  depth(): number {
    return this.stack.length;
  }

  /** The box being shown, or null. */
  box(): MessageBox | null {
    return this.boxes.length > 0 ? this.boxes[0].box : null;
  }

  isAsleep(): boolean {
    return this.asleep;
  }

  // --- Ui ---------------------------------------------------------------------------------------

  push(s: Screen): void {
    if (this.stack.length >= MAX_STACK) {
      // Never grow without bound: drop the screen just above home to make room.
      const dropped = this.stack.splice(1, 1);
      if (dropped.length > 0) dropped[0].close();
    }
    this.stack.push(s);
    this.fullDirty = true;
    this.invalidate();
  }

  pop(): void {
    if (this.stack.length <= 1) return;
    const s = this.stack.pop();
    if (s !== undefined) s.close();
    const top = this.top();
    if (top !== null) top.onShow();
    this.fullDirty = true;
    this.invalidate();
  }

  replace(s: Screen): void {
    const old = this.stack.pop();
    if (old !== undefined) old.close();
    this.push(s);
  }

  home(): void {
    this.closeAll();
    this.stack.push(new ContactsScreen(this));
    this.fullDirty = true;
    this.invalidate();
  }

  showLock(): void {
    this.closeAll();
    this.boxes = [];
    this.stack.push(new LockScreen(this));
    this.fullDirty = true;
    this.invalidate();
  }

  alert(title: string, text: string, then: (() => void) | null): void {
    this.openBox(new MessageBox(title, text, 'OK', ''), then, then);
  }

  confirm(title: string, text: string, yesLabel: string, onYes: () => void): void {
    this.openBox(new MessageBox(title, text, yesLabel, 'Cancel'), onYes, null);
  }

  showError(title: string, e: unknown): void {
    this.notifier.alert('error');
    this.alert(title, errorText(e), null);
  }

  invalidate(): void {
    if (this.frameTimer !== null || !this.running) return;
    this.frameTimer = this.clock.setTimer(() => {
      this.frameTimer = null;
      this.frame();
    }, 0);
  }

  // --- events -----------------------------------------------------------------------------------

  private closeAll(): void {
    while (this.stack.length > 0) {
      const s = this.stack.pop();
      if (s !== undefined) s.close();
    }
  }

  private openBox(box: MessageBox, onOk: (() => void) | null, onCancel: (() => void) | null): void {
    this.boxes.push({ box, onOk, onCancel });
    if (this.boxes.length === 1) this.invalidate();
  }

  private onInput(e: InputEvent): void {
    this.lastInputMs = this.clock.monotonic();
    if (this.asleep) {
      // The key that wakes the screen does nothing else: the user cannot see what it would hit.
      this.wake();
      return;
    }
    if (this.boxes.length > 0) {
      const pending = this.boxes[0];
      const r = pending.box.handleInput(e);
      if (r !== 'none') {
        this.boxes.shift();
        this.fullDirty = true;
        const then = r === 'ok' ? pending.onOk : pending.onCancel;
        if (then !== null) then();
      }
      this.invalidate();
      return;
    }
    const top = this.top();
    if (top !== null) top.handleInput(e);
    this.invalidate();
  }

  private onChange(c: ModelChange): void {
    if (c.kind === 'lock' && this.model.lockState() !== 'unlocked') {
      if (!(this.top() instanceof LockScreen)) this.showLock();
    }
    if (c.kind === 'received') this.notifyMessage(c.contactId);
    const top = this.top();
    if (top !== null) top.onModelChange(c);
    this.invalidate();
  }

  private notifyMessage(contactId: string): void {
    const contact = this.model.contact(contactId);
    if (contact === null || contact.muted) return;
    this.notifier.alert('message');
    this.wake();
  }

  private wake(): void {
    if (this.asleep) {
      this.asleep = false;
      this.display.setBacklight(1);
      this.fullDirty = true;
    }
    this.notifier.wakeScreen();
    this.lastInputMs = this.clock.monotonic();
    this.invalidate();
  }

  private scheduleTick(): void {
    this.tickTimer = this.clock.setTimer(() => {
      this.tickTimer = null;
      if (!this.running) return;
      this.tick();
      this.scheduleTick();
    }, TICK_MS);
  }

  private tick(): void {
    const now = this.clock.monotonic();
    const top = this.top();
    if (top !== null) top.onTick(now);
    const s = this.model.settings();
    const idle = now - this.lastInputMs;
    if (s.lockAfterMs > 0 && idle >= s.lockAfterMs && this.model.lockState() === 'unlocked') {
      this.model.lock();
      this.showLock();
    }
    if (!this.asleep && s.screenOffMs > 0 && idle >= s.screenOffMs) {
      this.asleep = true;
      this.display.setBacklight(0);
    }
    // The status bar (battery, connectivity) repaints only if its text changed.
    this.invalidate();
  }

  // --- drawing ----------------------------------------------------------------------------------

  private statusInfo(): StatusInfo {
    return { network: this.model.networkStatus(), unread: this.model.unreadTotal(), battery: this.power.battery() };
  }

  /** Draws whatever changed and flips; does nothing while the screen is off. */
  renderNow(): void {
    this.frame();
  }

  private frame(): void {
    const top = this.top();
    if (top === null || this.asleep) return;
    const d = this.display;
    const chrome = top.chrome();
    let full = this.fullDirty || chrome !== this.lastChrome;
    this.fullDirty = false;
    this.lastChrome = chrome;
    let drew = false;
    const statusH = chrome === 'none' ? 0 : d.fontHeight('small') + 3;
    const titleH = chrome === 'full' ? d.fontHeight('normal') + 5 : 0;
    if (chrome !== 'none') {
      const info = this.statusInfo();
      const key = statusKey(info);
      if (full || key !== this.lastStatus) {
        renderStatusBar(d, { x: 0, y: 0, w: d.width, h: statusH }, info);
        this.lastStatus = key;
        drew = true;
      }
    }
    if (chrome === 'full') {
      const title = top.title();
      if (full || title !== this.lastTitle) {
        d.fillRect(0, statusH, d.width, titleH, BAR_BG);
        d.fillRect(0, statusH + titleH - 1, d.width, 1, ACCENT);
        d.drawString(fitText(d, title, 'normal', d.width - 8), 4, statusH + 2, 'normal', FG, -1);
        this.lastTitle = title;
        drew = true;
      }
    }
    const body: Rect = { x: 0, y: statusH + titleH, w: d.width, h: d.height - statusH - titleH };
    const box = this.box();
    // Under a box the screen repaints only in a full frame (then the box is drawn on top).
    if (full || (box === null && top.needsRender())) {
      top.render(d, body, full);
      drew = true;
      // A screen may change its chrome while rendering (a QR code that does not fit).
      if (top.chrome() !== chrome) this.invalidate();
    }
    if (box !== null && (full || drew || box.needsRender())) {
      box.render(d, { x: 0, y: 0, w: d.width, h: d.height });
      drew = true;
    }
    if (drew) {
      d.flip();
      this.frames++;
    }
  }
}
