import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ModelChange, WifiNetworkInfo } from '../app/model';
import { BaseScreen } from './base-screen';
import { aboveHint, drawHint } from './draw';
import { navKey } from './keys';
import { ListView, type Rect } from './list';
import { ProgressView } from './progress';
import type { Ui } from './screen';
import { TextInput } from './text-input';
import { fitText } from './text';
import { ACCENT, BG, FG, MUTED, OK, WARN } from './theme';

/** Signal strength as 1..4 bars from dBm. */
export function signalBars(rssi: number): number {
  if (rssi >= -55) return 4;
  if (rssi >= -67) return 3;
  if (rssi >= -78) return 2;
  return 1;
}

export type WifiMode = 'scanning' | 'list' | 'password' | 'joining';

/**
 * Wi-Fi: scan, pick a network, type its password (Tab shows it), join with progress; joined
 * networks are remembered, and a remembered one can be forgotten with 'f'. On the simulator
 * the model's Wi-Fi is a fake network list.
 */
export class WifiScreen extends BaseScreen {
  mode: WifiMode = 'scanning';
  readonly list: ListView;
  networks: WifiNetworkInfo[] = [];
  readonly password: TextInput;
  private target = '';
  private progress: ProgressView | null = null;

  constructor(ui: Ui) {
    super(ui);
    const d = ui.display;
    this.list = new ListView(d.fontHeight('normal') + d.fontHeight('small') + 7);
    this.password = new TextInput(63, true, 'normal', 'Password');
    this.scan();
  }

  title(): string {
    return this.mode === 'password' || this.mode === 'joining' ? this.target : 'Wi-Fi';
  }

  private scan(): void {
    this.mode = 'scanning';
    this.progress = new ProgressView('Looking for networks', 'Scanning', this.ui.clock.monotonic());
    this.redraw();
    this.ui.model.scanWifi().then(
      (found: WifiNetworkInfo[]) => {
        if (this.closed) return;
        this.progress = null;
        this.networks = found;
        this.showList();
      },
      (e: unknown) => {
        if (this.closed) return;
        this.progress = null;
        this.networks = [];
        this.showList();
        this.ui.showError('Wi-Fi scan failed', e);
      },
    );
  }

  private showList(): void {
    this.mode = 'list';
    this.list.setCount(this.networks.length + 1);
    this.list.invalidate();
    this.redraw();
  }

  handleInput(e: InputEvent): void {
    const k = navKey(e);
    switch (this.mode) {
      case 'scanning':
      case 'joining':
        if (k === 'back') this.ui.pop();
        return;
      case 'password': {
        if (k === 'tab') {
          this.password.masked = !this.password.masked;
          this.password.invalidate();
          this.ui.invalidate();
          return;
        }
        const r = this.password.handleInput(e);
        if (r === 'submit' && this.password.value.length > 0) this.join(this.target, this.password.value);
        else if (r === 'cancel') {
          this.password.clear();
          this.showList();
        } else if (r === 'changed') this.ui.invalidate();
        return;
      }
      default:
        break;
    }
    if (this.list.handleNav(k)) {
      this.ui.invalidate();
      return;
    }
    if (k === 'back' || k === 'left') {
      this.ui.pop();
      return;
    }
    const n = this.list.selected > 0 ? this.networks[this.list.selected - 1] : null;
    if (k === 'enter') {
      if (n === null) this.scan();
      else if (n.secure && !n.saved) {
        this.target = n.ssid;
        this.password.clear();
        this.password.masked = true;
        this.mode = 'password';
        this.redraw();
      } else this.join(n.ssid, '');
    } else if (k === 'char' && e.key === 'f' && n !== null && n.saved) {
      const ssid = n.ssid;
      this.ui.confirm('Forget network?', 'Forget the password of ' + ssid + '?', 'Forget', () => {
        this.ui.model.forgetWifi(ssid);
        this.scan();
      });
    }
  }

  private join(ssid: string, password: string): void {
    const back: WifiMode = password.length > 0 ? 'password' : 'list';
    this.target = ssid;
    this.mode = 'joining';
    this.progress = new ProgressView('Joining ' + ssid, 'Connecting', this.ui.clock.monotonic());
    this.redraw();
    this.ui.model.joinWifi(ssid, password, true).then(
      () => {
        if (this.closed) return;
        this.progress = null;
        this.password.clear();
        this.scan();
      },
      (e: unknown) => {
        if (this.closed) return;
        this.progress = null;
        if (back === 'password') {
          this.password.clear();
          this.mode = 'password';
          this.redraw();
        } else this.showList();
        this.ui.showError('Not connected', e);
      },
    );
  }

  onModelChange(c: ModelChange): void {
    if (c.kind === 'network' && this.mode === 'list') this.redraw();
  }

  onTick(nowMs: number): void {
    if (this.progress !== null) {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender() || this.password.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  close(): void {
    super.close();
    this.password.clear();
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    const nh = d.fontHeight('normal');
    const sh = d.fontHeight('small');
    if (this.mode === 'scanning' || this.mode === 'joining') {
      if (this.progress !== null && (all || this.progress.needsRender())) this.progress.render(d, body);
      this.dirty = false;
      return;
    }
    if (this.mode === 'password') {
      const field: Rect = { x: body.x + 10, y: body.y + 12 + nh, w: body.w - 20, h: TextInput.height(d, 'normal') };
      if (all) {
        d.fillRect(body.x, body.y, body.w, body.h, BG);
        d.drawString('Password for ' + fitText(d, this.target, 'normal', body.w - 140), body.x + 10, body.y + 6, 'normal', FG, -1);
        drawHint(d, body, 'Enter: join   Tab: show/hide   Esc: back');
      }
      if (all || this.password.needsRender()) this.password.render(d, field, true);
      this.dirty = false;
      return;
    }
    const statusH = sh + 6;
    if (all) {
      d.fillRect(body.x, body.y, body.w, statusH, BG);
      const s = this.ui.model.networkStatus();
      const text = s.wifi === 'connected' ? 'Connected to ' + s.ssid : s.wifi === 'connecting' ? 'Connecting to ' + s.ssid : 'Not connected';
      d.drawString(fitText(d, text, 'small', body.w - 16), body.x + 8, body.y + 3, 'small', s.wifi === 'connected' ? OK : WARN, -1);
    }
    const area = aboveHint(d, { x: body.x, y: body.y + statusH, w: body.w, h: body.h - statusH });
    this.list.render(d, area, all, (dd, index, x, y, w) => this.paintRow(dd, index, x, y, w));
    if (all) drawHint(d, body, 'Enter: join   f: forget   Esc: back');
    this.dirty = false;
  }

  private paintRow(d: Display, index: number, x: number, y: number, w: number): void {
    const nh = d.fontHeight('normal');
    if (index === 0) {
      d.drawString('Scan again', x + 6, y + 3, 'normal', ACCENT, -1);
      d.drawString(this.networks.length + (this.networks.length === 1 ? ' network found' : ' networks found'), x + 6, y + 4 + nh, 'small', MUTED, -1);
      return;
    }
    const n = this.networks[index - 1];
    const bars = signalBars(n.rssi);
    const barW = 4;
    for (let b = 0; b < 4; b++) {
      const bh = 3 + b * 3;
      d.fillRect(x + w - 8 - (4 - b) * (barW + 1), y + 3 + 12 - bh, barW, bh, b < bars ? FG : MUTED);
    }
    d.drawString(fitText(d, n.ssid, 'normal', w - 40), x + 6, y + 3, 'normal', FG, -1);
    const s = this.ui.model.networkStatus();
    const here = s.wifi === 'connected' && s.ssid === n.ssid;
    const detail = (here ? 'connected, ' : '') + (n.secure ? 'password' : 'open') + (n.saved ? ', saved' : '');
    d.drawString(detail, x + 6, y + 4 + nh, 'small', here ? OK : MUTED, -1);
  }
}
