import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ChatMessage, ContactSummary, ModelChange } from '../app/model';
import { BaseScreen } from './base-screen';
import { ContactInfoScreen } from './contact-info-screen';
import { drawFrame } from './draw';
import { errorTextFor } from './error-text';
import { navKey } from './keys';
import type { Rect } from './list';
import type { Ui } from './screen';
import { TextInput } from './text-input';
import { fitText, formatTime, wrapText } from './text';
import { ACCENT, BG, BUBBLE_IN, BUBBLE_OUT, ERROR, FG, MUTED, PAD } from './theme';

/** Messages read from the model per scroll step past the loaded ones. */
export const CHAT_PAGE = 12;
/** Most messages held at once; scrolling further drops them from the other end. */
export const CHAT_WINDOW = 36;
/** Lines shown of one message (the rest is cut with "..."): bounds layout work and memory. */
export const MAX_BUBBLE_LINES = 30;
/** Longest message the compose field takes. */
export const MAX_COMPOSE = 2000;

const GAP = 4;

/** The status line under a bubble. */
export function deliveryText(m: ChatMessage, selected: boolean): string {
  switch (m.delivery) {
    case 'sending':
      return 'sending...';
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'failed': {
      if (!selected) return 'not sent - Enter: resend';
      const why = errorTextFor(m.errorName, m.errorCode);
      return 'not sent' + (why !== null ? ': ' + why : '') + ' - Enter: resend';
    }
    default:
      return '';
  }
}

/**
 * One conversation: bubbles (mine on the right), each with its time and delivery state, and a
 * compose field. Up/Down (keys or trackball) move a selection through the history; the selected
 * message is drawn at the bottom, so scrolling up walks back one message at a time.
 *
 * Only a window of at most CHAT_WINDOW messages is held: scrolling past either end pages
 * CHAT_PAGE more in from the model and drops as many from the other end. Enter sends the typed
 * text; with nothing typed, Enter resends the selected failed message, or the newest failed one
 * in view (the one-key resend). Esc goes back, Tab opens the contact's details.
 */
export class ChatScreen extends BaseScreen {
  readonly contactId: string;
  messages: ChatMessage[] = [];
  /** Wrapped lines per message, null until laid out. */
  private lines: Array<string[] | null> = [];
  /** Index of the selected message, -1 when following the newest. */
  selected = -1;
  /** The window ends at the newest message. */
  private atNewest = true;
  readonly input: TextInput;
  private contact: ContactSummary | null;
  private messagesDirty = true;

  constructor(ui: Ui, contactId: string) {
    super(ui);
    this.contactId = contactId;
    this.contact = ui.model.contact(contactId);
    this.input = new TextInput(MAX_COMPOSE, false, 'normal', '');
    this.updatePlaceholder();
    this.loadNewest();
    ui.model.markRead(contactId);
  }

  title(): string {
    if (this.contact === null) return 'Chat';
    return this.contact.name + (this.contact.verified ? ' (verified)' : '');
  }

  private updatePlaceholder(): void {
    const c = this.contact;
    this.input.placeholder = c === null || c.state === 'ready' ? 'Message' : c.state === 'failed' ? 'Connection failed' : 'Not connected yet';
    this.input.invalidate();
  }

  private loadNewest(): void {
    this.messages = this.ui.model.messagesBefore(this.contactId, -1, CHAT_PAGE);
    this.lines = [];
    for (let i = 0; i < this.messages.length; i++) this.lines.push(null);
    this.atNewest = true;
    this.selected = -1;
    this.messagesDirty = true;
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    switch (k) {
      case 'up':
        this.scrollUp();
        return;
      case 'down':
        this.scrollDown();
        return;
      case 'back':
        this.ui.pop();
        return;
      case 'tab':
        this.ui.push(new ContactInfoScreen(this.ui, this.contactId));
        return;
      case 'enter':
        if (this.input.value.length > 0) this.send();
        else this.resend();
        return;
      default:
        break;
    }
    if (this.input.handleInput(e) === 'changed') this.ui.invalidate();
  }

  private send(): void {
    try {
      this.ui.model.send(this.contactId, this.input.value);
    } catch (err) {
      this.ui.showError('Not sent', err);
      return;
    }
    this.input.clear();
    if (!this.atNewest || this.selected >= 0) this.loadNewest();
    else this.appendNewer();
    this.ui.invalidate();
  }

  /** The message Enter resends: the selected one if it failed, else the newest failed one. */
  resendTarget(): ChatMessage | null {
    if (this.selected >= 0) {
      const m = this.messages[this.selected];
      return m.delivery === 'failed' ? m : null;
    }
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].delivery === 'failed') return this.messages[i];
    return null;
  }

  private resend(): void {
    const m = this.resendTarget();
    if (m === null) return;
    try {
      this.ui.model.resend(this.contactId, m.seq);
    } catch (err) {
      this.ui.showError('Not sent', err);
    }
  }

  private scrollUp(): void {
    if (this.messages.length === 0) return;
    const anchor = this.selected < 0 ? this.messages.length - 1 : this.selected;
    if (anchor > 0) {
      this.selected = anchor - 1;
    } else {
      const older = this.ui.model.messagesBefore(this.contactId, this.messages[0].seq, CHAT_PAGE);
      if (older.length === 0) {
        this.selected = 0;
      } else {
        const lines: Array<string[] | null> = [];
        for (let i = 0; i < older.length; i++) lines.push(null);
        this.messages = older.concat(this.messages);
        this.lines = lines.concat(this.lines);
        this.selected = older.length - 1;
        this.trimNewest();
      }
    }
    this.messagesDirty = true;
    this.ui.invalidate();
  }

  private scrollDown(): void {
    if (this.selected < 0) return;
    if (this.selected < this.messages.length - 1) {
      this.selected++;
    } else if (!this.atNewest) {
      const got = this.appendNewer();
      if (got > 0) this.selected++;
      else this.selected = -1;
    } else {
      this.selected = -1;
    }
    this.messagesDirty = true;
    this.ui.invalidate();
  }

  /** Reads the messages after the last one held; returns how many arrived. */
  private appendNewer(): number {
    if (this.messages.length === 0) {
      this.loadNewest();
      return this.messages.length;
    }
    const newer = this.ui.model.messagesAfter(this.contactId, this.messages[this.messages.length - 1].seq, CHAT_PAGE);
    this.atNewest = newer.length < CHAT_PAGE;
    for (let i = 0; i < newer.length; i++) {
      this.messages.push(newer[i]);
      this.lines.push(null);
    }
    this.trimOldest();
    this.messagesDirty = true;
    return newer.length;
  }

  private trimNewest(): void {
    const extra = this.messages.length - CHAT_WINDOW;
    if (extra <= 0) return;
    this.messages = this.messages.slice(0, CHAT_WINDOW);
    this.lines = this.lines.slice(0, CHAT_WINDOW);
    this.atNewest = false;
  }

  private trimOldest(): void {
    const extra = this.messages.length - CHAT_WINDOW;
    if (extra <= 0) return;
    this.messages = this.messages.slice(extra);
    this.lines = this.lines.slice(extra);
    if (this.selected >= 0) this.selected = this.selected >= extra ? this.selected - extra : 0;
  }

  onModelChange(c: ModelChange): void {
    if (c.kind === 'contact' || c.kind === 'contacts') {
      this.refreshContact();
      return;
    }
    if ((c.kind !== 'messages' && c.kind !== 'received') || c.contactId !== this.contactId) return;
    if (c.kind === 'received') this.ui.model.markRead(this.contactId);
    const i = c.seq >= 0 ? this.indexOfSeq(c.seq) : -1;
    if (i >= 0) {
      // A message we hold changed (its delivery state): read just that one back.
      const fresh = this.ui.model.messagesAfter(this.contactId, c.seq - 1, 1);
      if (fresh.length === 1 && fresh[0].seq === c.seq) {
        this.messages[i] = fresh[0];
        this.lines[i] = null;
      }
    } else if (this.atNewest) {
      this.appendNewer();
    }
    this.messagesDirty = true;
    this.ui.invalidate();
  }

  onShow(): void {
    this.refreshContact();
    if (this.atNewest && this.selected < 0) this.loadNewest();
    this.ui.model.markRead(this.contactId);
    this.dirty = true;
  }

  private refreshContact(): void {
    this.contact = this.ui.model.contact(this.contactId);
    if (this.contact === null) {
      // Deleted (from the details screen or by the model): nothing left to show.
      if (!this.closed) this.ui.home();
      return;
    }
    this.updatePlaceholder();
    this.redraw();
  }

  private indexOfSeq(seq: number): number {
    for (let i = 0; i < this.messages.length; i++) if (this.messages[i].seq === seq) return i;
    return -1;
  }

  needsRender(): boolean {
    return this.dirty || this.messagesDirty || this.input.needsRender();
  }

  close(): void {
    super.close();
    // Drop the plaintext we held; the model keeps the history.
    this.messages = [];
    this.lines = [];
    this.input.clear();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const fieldH = TextInput.height(d, 'normal');
    const field: Rect = { x: body.x + 2, y: body.y + body.h - fieldH - 2, w: body.w - 4, h: fieldH };
    const area: Rect = { x: body.x, y: body.y, w: body.w, h: body.h - fieldH - 4 };
    if (full || this.dirty || this.messagesDirty) {
      this.renderMessages(d, area);
      d.fillRect(body.x, area.y + area.h, body.w, body.h - area.h, BG);
      this.input.render(d, field, true);
    } else if (this.input.needsRender()) {
      this.input.render(d, field, true);
    }
    this.dirty = false;
    this.messagesDirty = false;
  }

  private renderMessages(d: Display, area: Rect): void {
    d.fillRect(area.x, area.y, area.w, area.h, BG);
    if (this.messages.length === 0) {
      const text = this.contact !== null && this.contact.state !== 'ready' ? 'Waiting for the contact to connect.' : 'No messages yet.';
      d.drawString(text, area.x + 8, area.y + 8, 'normal', MUTED, -1);
      return;
    }
    const nh = d.fontHeight('normal');
    const sh = d.fontHeight('small');
    const maxText = Math.floor(area.w * 0.8) - 2 * PAD;
    const now = this.ui.clock.now();
    const offset = this.ui.model.settings().utcOffsetMinutes;
    let bottom = area.y + area.h - 2;
    const anchor = this.selected < 0 ? this.messages.length - 1 : this.selected;
    for (let i = anchor; i >= 0 && bottom > area.y; i--) {
      const m = this.messages[i];
      let lines = this.lines[i];
      if (lines === null) {
        lines = wrapText(d, m.text, 'normal', maxText, MAX_BUBBLE_LINES);
        this.lines[i] = lines;
      }
      let textW = 0;
      for (let j = 0; j < lines.length; j++) {
        const lw = d.stringWidth(lines[j], 'normal');
        if (lw > textW) textW = lw;
      }
      const bw = textW + 2 * PAD;
      const bh = lines.length * (nh + 1) + 2 * PAD;
      const statusY = bottom - sh;
      const top = statusY - 2 - bh;
      const x = m.outgoing ? area.x + area.w - 4 - bw : area.x + 4;
      const sel = i === this.selected;
      // Status line: time and delivery state, under the bubble on its side.
      const status = formatTime(m.time, now, offset) + (m.outgoing ? '  ' + deliveryText(m, sel) : '');
      const st = fitText(d, status, 'small', area.w - 8);
      const sx = m.outgoing ? area.x + area.w - 4 - d.stringWidth(st, 'small') : area.x + 4;
      if (statusY >= area.y) d.drawString(st, sx, statusY, 'small', m.delivery === 'failed' ? ERROR : MUTED, -1);
      // The bubble, cut at the top of the area when it does not fit.
      const visibleTop = top > area.y ? top : area.y;
      if (statusY - 2 > visibleTop) d.fillRect(x, visibleTop, bw, statusY - 2 - visibleTop, m.outgoing ? BUBBLE_OUT : BUBBLE_IN);
      for (let j = 0; j < lines.length; j++) {
        const ly = top + PAD + j * (nh + 1);
        if (ly >= area.y) d.drawString(lines[j], x + PAD, ly, 'normal', FG, -1);
      }
      if (sel && top >= area.y) drawFrame(d, { x: x - 1, y: top - 1, w: bw + 2, h: bh + 2 }, ACCENT);
      bottom = top - GAP;
    }
  }
}
