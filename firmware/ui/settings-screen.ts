import type { Display } from '../../hal/display';
import type { InputEvent } from '../../hal/input';
import type { ModelChange, PrivateRouting, Progress } from '../app/model';
import { BaseScreen } from './base-screen';
import { ChangePinScreen } from './change-pin-screen';
import { aboveHint, drawHint } from './draw';
import { navKey } from './keys';
import type { ListView, Rect } from './list';
import { menuItem, newMenuList, paintMenuItem, type MenuItem } from './menu';
import { ProgressView } from './progress';
import { RoutersScreen } from './routers-screen';
import type { Ui } from './screen';
import { WifiScreen } from './wifi-screen';

const ROUTING_ORDER: PrivateRouting[] = ['always', 'unknown', 'unprotected', 'never'];

export function privateRoutingText(mode: PrivateRouting): { label: string; detail: string } {
  switch (mode) {
    case 'always':
      return { label: 'always', detail: 'Every message goes through a forwarding router' };
    case 'unknown':
      return { label: 'unknown routers', detail: "Forward to routers you don't use yourself" };
    case 'unprotected':
      return { label: 'when IP is exposed', detail: 'Forward unless your IP address is hidden (Tor)' };
    default:
      return { label: 'never', detail: 'Routers of your contacts see your IP address' };
  }
}

/** The mode after `mode` in the order Enter steps through. */
export function nextPrivateRouting(mode: PrivateRouting): PrivateRouting {
  const i = ROUTING_ORDER.indexOf(mode);
  return ROUTING_ORDER[(i + 1) % ROUTING_ORDER.length];
}

const ROUTERS = 0;
const WIFI = 1;
const ROUTING = 2;
const PIN = 3;
const LOCK = 4;
const WIPE = 5;

/** Settings: routers, Wi-Fi, private routing, PIN change, lock now, and wiping the device. */
export class SettingsScreen extends BaseScreen {
  readonly list: ListView;
  private items: MenuItem[] = [];
  private progress: ProgressView | null = null;

  constructor(ui: Ui) {
    super(ui);
    this.list = newMenuList(ui.display, 6);
    this.refresh();
  }

  title(): string {
    return 'Settings';
  }

  private refresh(): void {
    const m = this.ui.model;
    const routers = m.routers();
    let enabled = 0;
    for (let i = 0; i < routers.length; i++) if (routers[i].state === 'ready') enabled++;
    const net = m.networkStatus();
    const routing = privateRoutingText(m.settings().privateRouting);
    this.items = [
      menuItem('Routers', enabled + ' of ' + routers.length + ' in use', true),
      menuItem('Wi-Fi', net.wifi === 'connected' ? 'Connected to ' + net.ssid : net.wifi === 'connecting' ? 'Connecting...' : 'Not connected', true),
      menuItem('Private routing: ' + routing.label, routing.detail, true),
      menuItem('Change PIN', '', true),
      menuItem('Lock now', '', true),
      menuItem('Wipe device', 'Erase all contacts, messages and keys', true),
    ];
    this.list.invalidate();
    this.redraw();
  }

  handleInput(e: InputEvent): void {
    if (this.progress !== null) return;
    const k = navKey(e);
    if (this.list.handleNav(k)) {
      this.ui.invalidate();
      return;
    }
    if (k === 'back' || k === 'left') {
      this.ui.pop();
      return;
    }
    if (k !== 'enter') return;
    switch (this.list.selected) {
      case ROUTERS:
        this.ui.push(new RoutersScreen(this.ui));
        return;
      case WIFI:
        this.ui.push(new WifiScreen(this.ui));
        return;
      case ROUTING:
        this.ui.model.setPrivateRouting(nextPrivateRouting(this.ui.model.settings().privateRouting));
        this.refresh();
        return;
      case PIN:
        this.ui.push(new ChangePinScreen(this.ui));
        return;
      case LOCK:
        this.ui.model.lock();
        this.ui.showLock();
        return;
      case WIPE:
        this.ui.confirm('Wipe device?', 'Erase all contacts, messages and keys from this device?', 'Continue', () =>
          this.ui.confirm('Really wipe?', 'This cannot be undone. Your contacts will have to connect again.', 'Wipe', () => this.wipe()),
        );
        return;
      default:
        return;
    }
  }

  private wipe(): void {
    this.progress = new ProgressView('Wiping', 'Erasing keys and messages', this.ui.clock.monotonic());
    this.redraw();
    this.ui.model
      .wipe((p: Progress) => {
        if (this.closed || this.progress === null) return;
        this.progress.update(p);
        this.ui.invalidate();
      })
      .then(
        () => {
          if (!this.closed) this.ui.showLock();
        },
        (e: unknown) => {
          if (this.closed) return;
          this.progress = null;
          this.refresh();
          this.ui.showError('Wipe failed', e);
        },
      );
  }

  onModelChange(c: ModelChange): void {
    if (c.kind === 'routers' || c.kind === 'network' || c.kind === 'settings') this.refresh();
  }

  onShow(): void {
    this.refresh();
  }

  onTick(nowMs: number): void {
    if (this.progress !== null) {
      this.progress.tick(nowMs);
      if (this.progress.needsRender()) this.ui.invalidate();
    }
  }

  needsRender(): boolean {
    return this.dirty || this.list.needsRender() || (this.progress !== null && this.progress.needsRender());
  }

  render(d: Display, body: Rect, full: boolean): void {
    const all = full || this.dirty;
    if (this.progress !== null) {
      if (all || this.progress.needsRender()) this.progress.render(d, body);
    } else {
      this.list.render(d, aboveHint(d, body), all, (dd, index, x, y, w) => paintMenuItem(dd, this.items[index], x, y, w));
      if (all) drawHint(d, body, 'Enter: choose   Esc: back');
    }
    this.dirty = false;
  }
}
