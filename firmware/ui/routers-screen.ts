import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ModelChange, RouterInfo } from '../app/model';
import { AddRouterScreen } from './add-router-screen';
import { BaseScreen } from './base-screen';
import { aboveHint, drawHint } from './draw';
import { navKey } from './keys';
import { ListView, type Rect } from './list';
import { RouterScreen } from './router-screen';
import type { Ui } from './screen';
import { fitText } from './text';
import { ACCENT, ERROR, FG, MUTED, OK, WARN } from './theme';

/** The second line of a router row and its colour. */
export function routerStateText(r: RouterInfo): { text: string; color: number } {
  const role = r.storage ? '' : ', forwarding only';
  if (r.state === 'awaiting-fingerprint') return { text: 'awaiting fingerprint: add its full address', color: WARN };
  if (r.state === 'disabled') return { text: 'disabled' + role, color: MUTED };
  switch (r.connection) {
    case 'connected':
      return { text: 'in use, connected' + role, color: OK };
    case 'connecting':
      return { text: 'in use, connecting...' + role, color: WARN };
    case 'failed':
      return { text: 'in use, connection failed' + role, color: ERROR };
    default:
      return { text: 'in use' + role, color: MUTED };
  }
}

/**
 * The router list: the ten SimpleGo presets (some still awaiting their fingerprint), the
 * official ones if provisioned, and the user's own, each with its state. Enter opens a router
 * (enable, disable, test, remove); the first row adds one by address or QR code.
 */
export class RoutersScreen extends BaseScreen {
  readonly list: ListView;
  routers: RouterInfo[] = [];

  constructor(ui: Ui) {
    super(ui);
    const d = ui.display;
    this.list = new ListView(d.fontHeight('normal') + d.fontHeight('small') + 7);
    this.refresh();
  }

  title(): string {
    return 'Routers';
  }

  private refresh(): void {
    this.routers = this.ui.model.routers();
    this.list.setCount(this.routers.length + 1);
    this.list.invalidate();
    this.redraw();
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    if (this.list.handleNav(k)) {
      this.ui.invalidate();
      return;
    }
    if (k === 'back' || k === 'left') this.ui.pop();
    else if (k === 'char' && e.key === 'a') this.ui.push(new AddRouterScreen(this.ui, ''));
    else if (k === 'enter') {
      const i = this.list.selected;
      if (i === 0) this.ui.push(new AddRouterScreen(this.ui, ''));
      else this.ui.push(new RouterScreen(this.ui, this.routers[i - 1].id));
    }
  }

  onModelChange(c: ModelChange): void {
    if (c.kind === 'routers' || c.kind === 'network') this.refresh();
  }

  onShow(): void {
    this.refresh();
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    this.list.render(d, aboveHint(d, body), all, (dd, index, x, y, w) => this.paintRow(dd, index, x, y, w));
    if (all) drawHint(d, body, 'Enter: open   a: add   Esc: back');
    this.dirty = false;
  }

  private paintRow(d: Display, index: number, x: number, y: number, w: number): void {
    const nh = d.fontHeight('normal');
    if (index === 0) {
      d.drawString('+ Add router', x + 6, y + 3, 'normal', ACCENT, -1);
      d.drawString('smp:// address, typed or scanned', x + 6, y + 4 + nh, 'small', MUTED, -1);
      return;
    }
    const r = this.routers[index - 1];
    const op = r.operator === 'user' ? 'yours' : r.operator;
    const opW = d.stringWidth(op, 'small');
    d.drawString(op, x + w - 6 - opW, y + 4, 'small', MUTED, -1);
    d.drawString(fitText(d, r.host, 'normal', w - opW - 18), x + 6, y + 3, 'normal', r.state === 'disabled' ? MUTED : FG, -1);
    const s = routerStateText(r);
    d.drawString(fitText(d, s.text, 'small', w - 12), x + 6, y + 4 + nh, 'small', s.color, -1);
  }
}
