import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ContactSummary, ModelChange } from '../app/model';
import { BaseScreen } from './base-screen';
import { ChatScreen } from './chat-screen';
import { ContactInfoScreen } from './contact-info-screen';
import { aboveHint, drawHint } from './draw';
import { navKey } from './keys';
import { ListView, type Rect } from './list';
import { NewContactScreen } from './new-contact-screen';
import type { Ui } from './screen';
import { SettingsScreen } from './settings-screen';
import { fitText, formatTime } from './text';
import { ACCENT, ERROR, FG, MUTED, WARN } from './theme';

/** The second line of a contact row and its colour. */
export interface Preview {
  readonly text: string;
  readonly color: number;
}

/** What the contact list says under a contact's name. */
export function contactPreview(c: ContactSummary): Preview {
  switch (c.state) {
    case 'invited':
      return { text: 'Invitation not used yet', color: WARN };
    case 'connecting':
      return { text: 'Connecting...', color: WARN };
    case 'deleting':
      return { text: 'Deleting...', color: MUTED };
    case 'failed':
      return { text: 'Connection failed', color: ERROR };
    default:
      break;
  }
  if (c.lastText.length === 0) return { text: 'No messages yet', color: MUTED };
  switch (c.lastDelivery) {
    case 'failed':
      return { text: 'Not sent: ' + c.lastText, color: ERROR };
    case 'sending':
      return { text: 'You: ' + c.lastText + ' (sending)', color: MUTED };
    case 'sent':
      return { text: 'You: ' + c.lastText + ' (sent)', color: MUTED };
    case 'delivered':
      return { text: 'You: ' + c.lastText + ' (delivered)', color: MUTED };
    default:
      return { text: c.lastText, color: c.unread > 0 ? FG : MUTED };
  }
}

/**
 * The home screen: "New contact" and then every contact, most recent first, each with its
 * unread count, last message and its delivery state. Rows are read from the model a screenful
 * at a time. The selection follows the contact (by id) when the list reorders.
 */
export class ContactsScreen extends BaseScreen {
  readonly list: ListView;
  private selectedId = '';
  /** The contacts of the last full repaint and the position of the first one. */
  private page: ContactSummary[] = [];
  private pageStart = 0;
  /** The new-contact screen opened from here, until the list is shown again. */
  private adding: NewContactScreen | null = null;

  constructor(ui: Ui) {
    super(ui);
    const d = ui.display;
    this.list = new ListView(d.fontHeight('normal') + d.fontHeight('small') + 8);
    this.list.setCount(ui.model.contactCount() + 1);
  }

  title(): string {
    return 'Chats';
  }

  /** The contact on row `index`, or null for the "New contact" row. */
  contactAt(index: number): ContactSummary | null {
    if (index < 1) return null;
    const i = index - 1;
    if (i >= this.pageStart && i < this.pageStart + this.page.length) return this.page[i - this.pageStart];
    const one = this.ui.model.contactsPage(i, 1);
    return one.length > 0 ? one[0] : null;
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    if (this.list.handleNav(k)) {
      const c = this.contactAt(this.list.selected);
      this.selectedId = c !== null ? c.id : '';
      this.ui.invalidate();
      return;
    }
    if (k === 'enter') {
      const c = this.contactAt(this.list.selected);
      if (c === null) this.openNewContact();
      else this.ui.push(new ChatScreen(this.ui, c.id));
      return;
    }
    if (k === 'right' || k === 'tab' || (k === 'char' && e.key === 'i')) {
      const c = this.contactAt(this.list.selected);
      if (c !== null) this.ui.push(new ContactInfoScreen(this.ui, c.id));
      return;
    }
    if (k === 'char' && e.key === 'n') this.openNewContact();
    else if (k === 'char' && e.key === 's') this.ui.push(new SettingsScreen(this.ui));
  }

  onModelChange(c: ModelChange): void {
    if (c.kind !== 'contacts' && c.kind !== 'contact' && c.kind !== 'messages' && c.kind !== 'received') return;
    this.resync();
  }

  private openNewContact(): void {
    this.adding = new NewContactScreen(this.ui);
    this.ui.push(this.adding);
  }

  onShow(): void {
    // Back from adding a contact: the person's next step is its chat, so select it rather than
    // leave the selection on "New contact" (where Enter would start yet another invitation).
    if (this.adding !== null) {
      if (this.adding.addedContactId.length > 0) this.selectedId = this.adding.addedContactId;
      this.adding = null;
    }
    this.resync();
  }

  /** Re-reads the count and finds the selected contact again (the list may have reordered). */
  private resync(): void {
    this.list.setCount(this.ui.model.contactCount() + 1);
    if (this.selectedId.length > 0) {
      const i = this.ui.model.contactIndexOf(this.selectedId);
      if (i >= 0) this.list.select(i + 1);
      else this.selectedId = '';
    }
    this.list.invalidate();
    this.ui.invalidate();
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const area = aboveHint(d, body);
    if (full || this.dirty || this.list.needsRender()) {
      const range = this.list.visibleRange();
      // Page in the rows about to be painted (one model call per frame, not one per row).
      const first = range.first > 0 ? range.first - 1 : 0;
      const rows = this.list.rowsIn(area.h);
      this.page = this.ui.model.contactsPage(first, rows);
      this.pageStart = first;
    }
    this.list.render(d, area, full || this.dirty, (dd, index, x, y, w, h, selected) => this.paintRow(dd, index, x, y, w, h, selected));
    if (full || this.dirty) drawHint(d, body, 'Enter: open   n: new   i: info   s: settings');
    this.dirty = false;
  }

  private paintRow(d: Display, index: number, x: number, y: number, w: number, _h: number, _selected: boolean): void {
    const nh = d.fontHeight('normal');
    if (index === 0) {
      d.drawString('+ New contact', x + 6, y + 4 + Math.floor(d.fontHeight('small') / 2), 'normal', ACCENT, -1);
      return;
    }
    const c = this.contactAt(index);
    if (c === null) return;
    let right = x + w - 4;
    if (c.unread > 0) {
      const n = c.unread > 99 ? '99+' : '' + c.unread;
      const bw = d.stringWidth(n, 'small') + 6;
      right -= bw;
      d.fillRect(right, y + 3, bw, nh - 1, ACCENT);
      d.drawString(n, right + 3, y + 4, 'small', FG, -1);
      right -= 4;
    }
    const time = formatTime(c.lastTime, this.ui.clock.now(), this.ui.model.settings().utcOffsetMinutes);
    if (time.length > 0) {
      right -= d.stringWidth(time, 'small');
      d.drawString(time, right, y + 4, 'small', MUTED, -1);
      right -= 6;
    }
    const name = (c.muted ? '(muted) ' : '') + c.name;
    d.drawString(fitText(d, name, 'normal', right - x - 6), x + 6, y + 3, 'normal', FG, -1);
    const p = contactPreview(c);
    d.drawString(fitText(d, p.text, 'small', w - 12), x + 6, y + 5 + nh, 'small', p.color, -1);
  }
}
