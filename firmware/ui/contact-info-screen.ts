import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ContactSummary, ModelChange, Progress } from '../app/model';
import { BaseScreen } from './base-screen';
import { aboveHint, drawHint } from './draw';
import { navKey } from './keys';
import type { ListView, Rect } from './list';
import { menuItem, newMenuList, paintMenuItem, type MenuItem } from './menu';
import { ProgressView } from './progress';
import type { Ui } from './screen';
import { TextInput } from './text-input';
import { wrapText } from './text';
import { ACCENT, BG, FG, MUTED, OK } from './theme';

/** The status line of the details screen. */
export function contactStateText(c: ContactSummary): string {
  const state = c.state === 'ready' ? 'Connected' : c.state === 'invited' ? 'Invitation not used yet' : c.state === 'connecting' ? 'Connecting' :
    c.state === 'deleting' ? 'Deleting' : 'Connection failed';
  return state + (c.verified ? ', verified' : ', not verified') + (c.muted ? ', muted' : '');
}

export type InfoMode = 'main' | 'scan' | 'type' | 'deleting';

const ACTION_VERIFY = 0;
const ACTION_SCAN = 1;
const ACTION_TYPE = 2;
const ACTION_MUTE = 3;
const ACTION_DELETE = 4;

/**
 * A contact's details: connection state, the security code to compare with the contact's
 * screen (or to scan from it, or to type in), the verified flag, mute, and delete, which also
 * deletes the contact's queues on the routers.
 */
export class ContactInfoScreen extends BaseScreen {
  readonly contactId: string;
  mode: InfoMode = 'main';
  private contact: ContactSummary | null;
  private code = '';
  readonly list: ListView;
  private items: MenuItem[] = [];
  readonly input: TextInput;
  private progress: ProgressView | null = null;

  constructor(ui: Ui, contactId: string) {
    super(ui);
    this.contactId = contactId;
    this.contact = ui.model.contact(contactId);
    this.input = new TextInput(200, false, 'normal', 'Their security code');
    this.list = newMenuList(ui.display, 5);
    this.refresh();
  }

  title(): string {
    return this.contact !== null ? this.contact.name : 'Contact';
  }

  private refresh(): void {
    const c = this.contact;
    const ready = c !== null && c.state === 'ready';
    this.code = ready ? this.ui.model.securityCode(this.contactId) : '';
    const verified = c !== null && c.verified;
    const muted = c !== null && c.muted;
    this.items = [
      menuItem(verified ? 'Mark as not verified' : 'Mark as verified', 'After comparing the code with your contact', ready),
      menuItem('Scan their security code', this.ui.scanner.available ? 'From the screen of their device' : 'This device has no camera', ready && this.ui.scanner.available),
      menuItem('Type their security code', 'As they read it out', ready),
      menuItem(muted ? 'Unmute notifications' : 'Mute notifications', muted ? 'No sound or wake-up now' : 'Sound and wake-up on new messages', c !== null),
      menuItem('Delete contact', 'Also deletes its queues on the routers', c !== null && c.state !== 'deleting'),
    ];
    this.list.invalidate();
    this.redraw();
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    if (this.mode === 'deleting') return;
    if (this.mode === 'scan') {
      if (k === 'back' || k === 'left') this.stopScan();
      return;
    }
    if (this.mode === 'type') {
      const r = this.input.handleInput(e);
      if (r === 'submit') this.compare(this.input.value);
      else if (r === 'cancel') {
        this.mode = 'main';
        this.redraw();
      } else if (r === 'changed') this.ui.invalidate();
      return;
    }
    if (this.list.handleNav(k)) {
      this.ui.invalidate();
      return;
    }
    if (k === 'back' || k === 'left') {
      this.ui.pop();
      return;
    }
    if (k === 'enter') this.activate(this.list.selected);
  }

  private activate(index: number): void {
    const item = this.items[index];
    if (!item.enabled || this.contact === null) {
      if (index === ACTION_SCAN && !this.ui.scanner.available) this.ui.alert('No camera', 'This device has no camera. Compare the code by eye or type it in.', null);
      return;
    }
    switch (index) {
      case ACTION_VERIFY:
        this.ui.model.setVerified(this.contactId, !this.contact.verified);
        this.contact = this.ui.model.contact(this.contactId);
        this.refresh();
        return;
      case ACTION_SCAN:
        this.startScan();
        return;
      case ACTION_TYPE:
        this.mode = 'type';
        this.input.clear();
        this.redraw();
        return;
      case ACTION_MUTE:
        this.ui.model.setMuted(this.contactId, !this.contact.muted);
        this.contact = this.ui.model.contact(this.contactId);
        this.refresh();
        return;
      case ACTION_DELETE:
        this.ui.confirm('Delete contact?', 'Delete ' + this.contact.name + ' and all messages? This cannot be undone.', 'Delete', () => this.deleteContact());
        return;
      default:
        return;
    }
  }

  private startScan(): void {
    this.mode = 'scan';
    this.redraw();
    this.ui.scanner.start(
      (text: string) => {
        if (this.closed || this.mode !== 'scan') return;
        this.ui.scanner.stop();
        this.compare(text);
      },
      (message: string) => {
        if (this.closed || this.mode !== 'scan') return;
        this.mode = 'main';
        this.redraw();
        this.ui.alert('Camera', message, null);
      },
    );
  }

  private stopScan(): void {
    this.ui.scanner.stop();
    this.mode = 'main';
    this.redraw();
  }

  private compare(theirs: string): void {
    this.mode = 'main';
    this.input.clear();
    const same = this.ui.model.compareSecurityCode(this.contactId, theirs);
    this.contact = this.ui.model.contact(this.contactId);
    this.refresh();
    if (same) this.ui.alert('Codes match', 'The contact is now marked as verified.', null);
    else this.ui.alert('Codes differ', 'The security codes do not match. Your connection may not be private: check with your contact in person.', null);
  }

  private deleteContact(): void {
    this.mode = 'deleting';
    this.progress = new ProgressView('Deleting contact', 'Deleting queues on the routers', this.ui.clock.monotonic());
    this.redraw();
    this.ui.model
      .deleteContact(this.contactId, (p: Progress) => {
        if (this.closed || this.progress === null) return;
        this.progress.update(p);
        this.ui.invalidate();
      })
      .then(
        () => {
          if (this.closed) return;
          this.ui.home();
        },
        (e: unknown) => {
          if (this.closed) return;
          this.mode = 'main';
          this.progress = null;
          this.contact = this.ui.model.contact(this.contactId);
          this.refresh();
          this.ui.showError('Not deleted', e);
        },
      );
  }

  onModelChange(c: ModelChange): void {
    if ((c.kind === 'contact' || c.kind === 'contacts') && this.mode !== 'deleting') {
      this.contact = this.ui.model.contact(this.contactId);
      if (this.contact === null) {
        this.ui.home();
        return;
      }
      this.refresh();
    }
  }

  onTick(nowMs: number): void {
    if (this.progress !== null) {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender() || this.input.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  close(): void {
    if (this.mode === 'scan') this.ui.scanner.stop();
    super.close();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    if (this.mode === 'deleting' && this.progress !== null) {
      if (all || this.progress.needsRender()) this.progress.render(d, body);
      this.dirty = false;
      return;
    }
    const nh = d.fontHeight('normal');
    const sh = d.fontHeight('small');
    if (this.mode === 'scan') {
      if (all) {
        d.fillRect(body.x, body.y, body.w, body.h, BG);
        const lines = wrapText(d, "Point the camera at the security code on your contact's screen.", 'normal', body.w - 16, 4);
        for (let i = 0; i < lines.length; i++) d.drawString(lines[i], body.x + 8, body.y + 10 + i * (nh + 2), 'normal', FG, -1);
        drawHint(d, body, 'Esc: stop scanning');
      }
      this.dirty = false;
      return;
    }
    // Header block: state, then the code.
    let y = body.y + 4;
    const headerLines: string[] = this.code.length > 0 ? wrapText(d, this.code, 'normal', body.w - 16, 4) : [];
    const headerH = 4 + sh + 4 + sh + 2 + (headerLines.length > 0 ? headerLines.length * (nh + 1) : nh) + 6;
    if (all) {
      d.fillRect(body.x, body.y, body.w, headerH, BG);
      if (this.contact !== null) {
        d.drawString(contactStateText(this.contact), body.x + 8, y, 'small', this.contact.verified ? OK : MUTED, -1);
      }
      y += sh + 4;
      d.drawString('Security code', body.x + 8, y, 'small', MUTED, -1);
      y += sh + 2;
      if (headerLines.length === 0) d.drawString('Shown once connected', body.x + 8, y, 'normal', MUTED, -1);
      for (let i = 0; i < headerLines.length; i++) d.drawString(headerLines[i], body.x + 8, y + i * (nh + 1), 'normal', ACCENT, -1);
    }
    const rest: Rect = { x: body.x, y: body.y + headerH, w: body.w, h: body.h - headerH };
    if (this.mode === 'type') {
      if (all) {
        d.fillRect(rest.x, rest.y, rest.w, rest.h, BG);
        d.drawString('Type the code shown on their device:', rest.x + 8, rest.y + 2, 'small', FG, -1);
        drawHint(d, body, 'Enter: compare   Esc: cancel');
      }
      if (all || this.input.needsRender()) this.input.render(d, { x: rest.x + 6, y: rest.y + sh + 6, w: rest.w - 12, h: TextInput.height(d, 'normal') }, true);
      this.dirty = false;
      return;
    }
    this.list.render(d, aboveHint(d, rest), all, (dd, index, x, yy, w) => paintMenuItem(dd, this.items[index], x, yy, w));
    if (all) drawHint(d, body, 'Enter: choose   Esc: back');
    this.dirty = false;
  }
}
