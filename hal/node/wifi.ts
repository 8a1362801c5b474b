/**
 * The simulator's Wi-Fi: a fixed list of made-up networks. Joining checks the password and
 * takes a short while on the Clock, as a real association does; the host's own network is what
 * actually carries the traffic.
 */
import type { Clock } from '../clock';
import { WifiError, type Wifi, type WifiNetwork, type WifiStatus } from '../wifi';

export interface FakeNetwork {
  readonly ssid: string;
  readonly rssi: number;
  /** "" for an open network. */
  readonly password: string;
}

export const DEFAULT_FAKE_NETWORKS: readonly FakeNetwork[] = [
  { ssid: 'simplego-lab', rssi: -45, password: 'correct horse' },
  { ssid: 'cafe-guest', rssi: -68, password: '' },
  { ssid: 'neighbour', rssi: -84, password: 'not yours' },
];

export class FakeWifi implements Wifi {
  private readonly clock: Clock;
  private readonly networks: readonly FakeNetwork[];
  private current: WifiStatus;
  private handler: ((status: WifiStatus) => void) | null = null;

  /** `joined`: the network the device is on at start (as if remembered), or "" for none. */
  constructor(clock: Clock, networks: readonly FakeNetwork[] = DEFAULT_FAKE_NETWORKS, joined: string = networks.length > 0 ? networks[0].ssid : '') {
    this.clock = clock;
    this.networks = networks;
    this.current = joined === '' ? { state: 'disconnected', ssid: '', ip: '' } : { state: 'connected', ssid: joined, ip: '10.0.0.2' };
  }

  scan(): Promise<WifiNetwork[]> {
    const out: WifiNetwork[] = [];
    for (const n of this.networks) out.push({ ssid: n.ssid, rssi: n.rssi, secure: n.password !== '' });
    return new Promise((resolve) => this.clock.setTimer(() => resolve(out), 200));
  }

  join(ssid: string, password: string): Promise<void> {
    const n = this.networks.find((x) => x.ssid === ssid);
    this.set({ state: 'connecting', ssid, ip: '' });
    return new Promise<void>((resolve, reject) => {
      this.clock.setTimer(() => {
        if (n === undefined) {
          this.set({ state: 'disconnected', ssid: '', ip: '' });
          reject(new WifiError('not-found', 'no network named "' + ssid + '" is in range'));
        } else if (n.password !== password) {
          this.set({ state: 'disconnected', ssid: '', ip: '' });
          reject(new WifiError('auth', 'the password for "' + ssid + '" is wrong'));
        } else {
          this.set({ state: 'connected', ssid, ip: '10.0.0.2' });
          resolve();
        }
      }, 300);
    });
  }

  leave(): void {
    this.set({ state: 'disconnected', ssid: '', ip: '' });
  }

  status(): WifiStatus {
    return this.current;
  }

  setHandler(onChange: (status: WifiStatus) => void): void {
    this.handler = onChange;
  }

  private set(s: WifiStatus): void {
    this.current = s;
    if (this.handler !== null) this.handler(s);
  }
}
