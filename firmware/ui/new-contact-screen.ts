import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { Invitation, Progress } from '../app/model';
import { BaseScreen } from './base-screen';
import { ChatScreen } from './chat-screen';
import { aboveHint, drawHint } from './draw';
import { errorText } from './error-text';
import { navKey } from './keys';
import type { ListView, Rect } from './list';
import { menuItem, newMenuList, paintMenuItem, type MenuItem } from './menu';
import { ProgressView } from './progress';
import { drawQr, MIN_MODULE_PX, placeQr, type QrMatrix } from './qr';
import type { Chrome, Ui } from './screen';
import { TextInput } from './text-input';
import { wrapText } from './text';
import { BG, FG, MUTED, WARN } from './theme';

/** Longest link the paste field takes (a full link with the PQ key is about 2,000 characters). */
export const MAX_LINK_INPUT = 8192;

/** A scanned text worth handing to the agent: the link forms SimpleX uses. */
export function looksLikeLink(text: string): boolean {
  return text.indexOf('simplex:') === 0 || text.indexOf('https://') === 0;
}

export type NewContactMode = 'menu' | 'creating' | 'qr' | 'text' | 'scan' | 'type' | 'joining';

const SHOW = 0;
const SCAN = 1;
const TYPE = 2;

/**
 * Adding a contact, three ways:
 * - show my one-time invitation: made by the agent (with progress), then shown as a QR code on
 *   the whole panel, or as text (Enter switches);
 * - scan their QR code with the camera;
 * - paste or type their link.
 * Joining shows progress and then opens the new chat.
 */
export class NewContactScreen extends BaseScreen {
  mode: NewContactMode = 'menu';
  readonly list: ListView;
  private readonly items: MenuItem[];
  readonly input: TextInput;
  private progress: ProgressView | null = null;
  invitation: Invitation | null = null;
  private matrix: QrMatrix | null = null;
  /** Why the invitation is shown as text only, "" when the QR code is shown. */
  private qrProblem = '';
  private textLines: string[] | null = null;
  private textTop = 0;
  /** Shown while scanning: the last code seen was not a link. */
  scanNote = '';
  /**
   * The contact this screen added (invitation made or link joined), '' when none. Unlike the
   * invitation it survives close(): the contact list reads it to select the new contact.
   */
  addedContactId = '';

  constructor(ui: Ui) {
    super(ui);
    const camera = ui.scanner.available;
    this.items = [
      menuItem('Show my invitation', 'A one-time QR code for your contact to scan', true),
      menuItem('Scan a QR code', camera ? "Your contact's invitation, with the camera" : 'This device has no camera', camera),
      menuItem('Paste or type a link', 'simplex:/... or https://...', true),
    ];
    this.list = newMenuList(ui.display, this.items.length);
    this.input = new TextInput(MAX_LINK_INPUT, false, 'small', 'Their link');
  }

  title(): string {
    switch (this.mode) {
      case 'text':
        return 'My one-time link';
      case 'scan':
        return 'Scan their QR code';
      case 'type':
        return 'Their link';
      default:
        return 'New contact';
    }
  }

  chrome(): Chrome {
    return this.mode === 'qr' ? 'none' : 'full';
  }

  private setMode(m: NewContactMode): void {
    this.mode = m;
    this.list.invalidate();
    this.redraw();
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    switch (this.mode) {
      case 'menu':
        if (this.list.handleNav(k)) this.ui.invalidate();
        else if (k === 'enter') this.choose(this.list.selected);
        else if (k === 'back' || k === 'left') this.ui.pop();
        return;
      case 'creating':
      case 'joining':
        // The operation goes on in the model; leaving only stops showing it.
        if (k === 'back') this.ui.pop();
        return;
      case 'qr':
        if (k === 'enter' || k === 'tab') this.setMode('text');
        else if (k === 'back' || k === 'left') this.ui.pop();
        return;
      case 'text':
        if (k === 'up' && this.textTop > 0) {
          this.textTop--;
          this.redraw();
        } else if (k === 'down' && this.textLines !== null && this.textTop < this.textLines.length - 1) {
          this.textTop++;
          this.redraw();
        } else if ((k === 'enter' || k === 'tab') && this.matrix !== null) this.setMode('qr');
        else if (k === 'back' || k === 'left') this.ui.pop();
        return;
      case 'scan':
        if (k === 'back' || k === 'left') {
          this.ui.scanner.stop();
          this.setMode('menu');
        }
        return;
      case 'type': {
        const r = this.input.handleInput(e);
        if (r === 'submit' && this.input.value.length > 0) this.join(this.input.value);
        else if (r === 'cancel') this.setMode('menu');
        else if (r === 'changed') this.ui.invalidate();
        return;
      }
      default:
        return;
    }
  }

  private choose(index: number): void {
    if (index === SHOW) this.create();
    else if (index === SCAN) {
      if (this.ui.scanner.available) this.startScan();
      else this.ui.alert('No camera', 'This device has no camera. Paste or type the link instead.', null);
    } else if (index === TYPE) {
      this.input.clear();
      this.setMode('type');
    }
  }

  private progressListener(): (p: Progress) => void {
    return (p: Progress): void => {
      if (this.closed || this.progress === null) return;
      this.progress.update(p);
      this.ui.invalidate();
    };
  }

  private create(): void {
    this.progress = new ProgressView('Creating invitation', 'Connecting to the router', this.ui.clock.monotonic());
    this.setMode('creating');
    this.ui.model.createInvitation(this.progressListener()).then(
      (inv: Invitation) => {
        if (this.closed) return;
        this.progress = null;
        this.addedContactId = inv.contactId;
        this.showInvitation(inv);
      },
      (e: unknown) => {
        if (this.closed) return;
        this.progress = null;
        this.setMode('menu');
        this.ui.showError('No invitation', e);
      },
    );
  }

  private showInvitation(inv: Invitation): void {
    this.invitation = inv;
    this.textLines = null;
    this.textTop = 0;
    this.qrProblem = '';
    try {
      this.matrix = this.ui.encodeQr(inv.qrText);
    } catch (e) {
      this.matrix = null;
      this.qrProblem = errorText(e);
    }
    // The QR mode uses the whole panel; its left square holds the code.
    const d = this.ui.display;
    const side = d.height < d.width ? d.height : d.width;
    if (this.matrix !== null && placeQr(this.matrix.size, { x: 0, y: 0, w: side, h: side }, MIN_MODULE_PX) === null) {
      this.matrix = null;
      this.qrProblem = 'The link is too long for a QR code on this screen.';
    }
    this.setMode(this.matrix !== null ? 'qr' : 'text');
  }

  private startScan(): void {
    this.scanNote = '';
    this.setMode('scan');
    this.ui.scanner.start(
      (text: string) => {
        if (this.closed || this.mode !== 'scan') return;
        if (!looksLikeLink(text)) {
          this.scanNote = 'That QR code is not a SimpleX link.';
          this.redraw();
          return;
        }
        this.ui.scanner.stop();
        this.join(text);
      },
      (message: string) => {
        if (this.closed || this.mode !== 'scan') return;
        this.setMode('menu');
        this.ui.alert('Camera', message, null);
      },
    );
  }

  private join(link: string): void {
    const back: NewContactMode = this.mode === 'type' ? 'type' : 'menu';
    this.progress = new ProgressView('Connecting', 'Reading the link', this.ui.clock.monotonic());
    this.setMode('joining');
    this.ui.model.joinLink(link, this.progressListener()).then(
      (contactId: string) => {
        if (this.closed) return;
        this.progress = null;
        this.input.clear();
        this.addedContactId = contactId;
        this.ui.replace(new ChatScreen(this.ui, contactId));
      },
      (e: unknown) => {
        if (this.closed) return;
        this.progress = null;
        this.setMode(back);
        this.ui.showError('Could not connect', e);
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
    return this.dirty || this.list.needsRender() || this.input.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  close(): void {
    if (this.mode === 'scan') this.ui.scanner.stop();
    super.close();
    this.input.clear();
    this.invitation = null;
    this.matrix = null;
    this.textLines = null;
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    switch (this.mode) {
      case 'creating':
      case 'joining':
        if (this.progress !== null && (all || this.progress.needsRender())) this.progress.render(d, body);
        break;
      case 'qr':
        if (all) this.renderQr(d, body);
        break;
      case 'text':
        if (all) this.renderText(d, body);
        break;
      case 'scan':
        if (all) this.renderScan(d, body);
        break;
      case 'type':
        if (all) {
          d.fillRect(body.x, body.y, body.w, body.h, BG);
          const lines = wrapText(d, 'Paste or type the link your contact shared (simplex:/... or https://...).', 'normal', body.w - 16, 3);
          for (let i = 0; i < lines.length; i++) d.drawString(lines[i], body.x + 8, body.y + 6 + i * (d.fontHeight('normal') + 2), 'normal', FG, -1);
          drawHint(d, body, 'Enter: connect   Esc: cancel');
        }
        if (all || this.input.needsRender()) this.input.render(d, { x: body.x + 6, y: body.y + 60, w: body.w - 12, h: TextInput.height(d, 'small') }, true);
        break;
      default:
        this.list.render(d, aboveHint(d, body), all, (dd, index, x, y, w) => paintMenuItem(dd, this.items[index], x, y, w));
        if (all) drawHint(d, body, 'Enter: choose   Esc: back');
        break;
    }
    this.dirty = false;
  }

  private renderQr(d: Display, body: Rect): void {
    d.fillRect(body.x, body.y, body.w, body.h, BG);
    const side = body.h < body.w ? body.h : body.w;
    const placed = this.matrix !== null ? drawQr(d, this.matrix, { x: body.x, y: body.y, w: side, h: side }, MIN_MODULE_PX) : null;
    if (placed === null) {
      // Too large for this panel: fall back to the text.
      this.qrProblem = 'The link is too long for a QR code on this screen.';
      this.matrix = null;
      this.mode = 'text';
      this.redraw();
      return;
    }
    const x = body.x + side + 4;
    const w = body.w - side - 8;
    if (w < 30) return;
    const sh = d.fontHeight('small');
    let y = body.y + 6;
    const lines = wrapText(d, 'Show this to your contact. It works once.', 'small', w, 8);
    for (let i = 0; i < lines.length; i++) {
      d.drawString(lines[i], x, y, 'small', FG, -1);
      y += sh + 2;
    }
    y = body.y + body.h - 4 * (sh + 2);
    const hints = ['Enter: text', 'Esc: done'];
    for (let i = 0; i < hints.length; i++) {
      d.drawString(hints[i], x, y, 'small', MUTED, -1);
      y += sh + 2;
    }
  }

  private renderText(d: Display, body: Rect): void {
    d.fillRect(body.x, body.y, body.w, body.h, BG);
    const area = aboveHint(d, body);
    const sh = d.fontHeight('small');
    let y = area.y + 4;
    if (this.qrProblem.length > 0) {
      const note = wrapText(d, this.qrProblem, 'small', area.w - 12, 2);
      for (let i = 0; i < note.length; i++) {
        d.drawString(note[i], area.x + 6, y, 'small', WARN, -1);
        y += sh + 2;
      }
      y += 4;
    }
    if (this.invitation !== null) {
      if (this.textLines === null) this.textLines = wrapText(d, this.invitation.linkText, 'small', area.w - 12, 400);
      for (let i = this.textTop; i < this.textLines.length && y + sh <= area.y + area.h; i++) {
        d.drawString(this.textLines[i], area.x + 6, y, 'small', FG, -1);
        y += sh + 1;
      }
    }
    drawHint(d, body, this.matrix !== null ? 'Up/Down: scroll   Enter: QR code   Esc: done' : 'Up/Down: scroll   Esc: done');
  }

  private renderScan(d: Display, body: Rect): void {
    d.fillRect(body.x, body.y, body.w, body.h, BG);
    const nh = d.fontHeight('normal');
    const lines = wrapText(d, "Point the camera at your contact's invitation QR code.", 'normal', body.w - 16, 4);
    let y = body.y + 10;
    for (let i = 0; i < lines.length; i++) {
      d.drawString(lines[i], body.x + 8, y, 'normal', FG, -1);
      y += nh + 2;
    }
    if (this.scanNote.length > 0) d.drawString(this.scanNote, body.x + 8, y + 10, 'normal', WARN, -1);
    drawHint(d, body, 'Esc: stop scanning');
  }
}
