import type { Display } from '../../hal/display';
import type { BatteryStatus } from '../../hal/power';
import type { NetworkStatus } from '../app/model';
import type { Rect } from './list';
import { ACCENT, BAR_BG, ERROR, FG, MUTED, OK, WARN } from './theme';

/**
 * The top line: Wi-Fi and router connectivity on the left, unread count and battery on the
 * right. Its content is reduced to one string, and the bar repaints only when that string
 * changes, so the once-a-second refresh costs a comparison.
 */

/** Battery below this percentage is shown in the warning colour. */
export const LOW_BATTERY = 15;

export interface StatusInfo {
  readonly network: NetworkStatus;
  readonly unread: number;
  readonly battery: BatteryStatus;
}

function wifiPart(n: NetworkStatus): string {
  switch (n.wifi) {
    case 'off':
      return 'Wi-Fi off';
    case 'disconnected':
      return 'No Wi-Fi';
    case 'connecting':
      return 'Wi-Fi...';
    default:
      return n.ssid.length > 12 ? n.ssid.substring(0, 11) + '.' : n.ssid;
  }
}

function routerPart(n: NetworkStatus): string {
  if (n.wifi !== 'connected') return '';
  if (n.routersEnabled === 0) return 'no routers';
  return 'routers ' + n.routersConnected + '/' + n.routersEnabled;
}

function batteryPart(b: BatteryStatus): string {
  // -1: the board cannot measure it; show that rather than a made-up number.
  const pct = b.percent >= 0 ? b.percent + '%' : '--%';
  return (b.charging ? '+' : '') + pct;
}

/** Everything the bar shows, as one string: equal strings draw the same bar. */
export function statusKey(s: StatusInfo): string {
  return wifiPart(s.network) + '|' + routerPart(s.network) + '|' + s.unread + '|' + batteryPart(s.battery) + '|' + s.network.wifi +
    '|' + s.network.routersConnected;
}

export function renderStatusBar(d: Display, bar: Rect, s: StatusInfo): void {
  const y = bar.y + 1;
  d.fillRect(bar.x, bar.y, bar.w, bar.h, BAR_BG);
  const n = s.network;
  const wifiColor = n.wifi === 'connected' ? FG : n.wifi === 'connecting' ? WARN : ERROR;
  const wifi = wifiPart(n);
  let x = bar.x + 3;
  d.drawString(wifi, x, y, 'small', wifiColor, -1);
  x += d.stringWidth(wifi, 'small') + 8;
  const routers = routerPart(n);
  if (routers.length > 0) {
    const c = n.routersEnabled === 0 || n.routersConnected === 0 ? ERROR : n.routersConnected < n.routersEnabled ? WARN : OK;
    d.drawString(routers, x, y, 'small', c, -1);
  }
  const battery = batteryPart(s.battery);
  let rx = bar.x + bar.w - 3 - d.stringWidth(battery, 'small');
  const low = s.battery.percent >= 0 && s.battery.percent < LOW_BATTERY && !s.battery.charging;
  d.drawString(battery, rx, y, 'small', low ? ERROR : MUTED, -1);
  if (s.unread > 0) {
    const unread = s.unread > 999 ? '999+ new' : s.unread + ' new';
    rx -= d.stringWidth(unread, 'small') + 8;
    d.drawString(unread, rx, y, 'small', ACCENT, -1);
  }
}
