/**
 * The device Wifi over Espruino's ESP32 `require("Wifi")`. Passwords are passed straight to
 * the Wi-Fi driver and never logged or kept here (Wifi.getDetails() would return the stored
 * password, so it is never called).
 */
import type { Wifi, WifiNetwork, WifiState, WifiStatus } from '../wifi';
import { WifiError } from '../wifi';
import type { EspruinoWifi } from './builtins';

/** Disconnect reasons (Espruino's wifiReasonToString) that mean a wrong password. */
const AUTH_REASONS = ['AUTH_FAIL', '4WAY_HANDSHAKE_TIMEOUT', 'HANDSHAKE_TIMEOUT', '802_1X_AUTH_FAILED', 'MIC_FAILURE', 'AUTH_EXPIRE'];

/** Espruino's reason string for a failed connect as the interface's error. */
export function wifiErrorOf(reason: string): WifiError {
  if (reason === 'NO_AP_FOUND') return new WifiError('not-found', 'no network with that name is in range');
  for (let i = 0; i < AUTH_REASONS.length; i++) {
    if (reason === AUTH_REASONS[i]) return new WifiError('auth', 'the network refused the password');
  }
  if (reason === 'BEACON_TIMEOUT' || reason === 'ASSOC_EXPIRE') return new WifiError('timeout', 'the network stopped answering');
  return new WifiError('io', 'Wi-Fi connection failed (' + reason + ')');
}

export function createEspruinoWifi(wifi: EspruinoWifi | null): Wifi {
  let state: WifiState = wifi === null ? 'off' : 'disconnected';
  let ssid = '';
  let onChange: ((status: WifiStatus) => void) | null = null;

  function status(): WifiStatus {
    let ip = '';
    if (state === 'connected' && wifi !== null) {
      const info = wifi.getIP();
      ip = info && typeof info.ip === 'string' && info.ip !== '0.0.0.0' ? info.ip : '';
    }
    return { state, ssid: state === 'disconnected' || state === 'off' ? '' : ssid, ip };
  }

  function set(next: WifiState): void {
    if (next === state) return;
    state = next;
    if (onChange !== null) onChange(status());
  }

  if (wifi !== null) {
    wifi.on('connected', () => set('connected'));
    wifi.on('disconnected', () => set('disconnected'));
  }

  return {
    scan(): Promise<WifiNetwork[]> {
      return new Promise<WifiNetwork[]>((resolve, reject) => {
        if (wifi === null) {
          reject(new WifiError('io', 'this board has no Wi-Fi'));
          return;
        }
        try {
          wifi.scan((aps) => {
            const out: WifiNetwork[] = [];
            const list = aps || [];
            for (let i = 0; i < list.length; i++) {
              if (typeof list[i].ssid === 'string' && list[i].ssid.length > 0) {
                out.push({ ssid: list[i].ssid, rssi: list[i].rssi, secure: list[i].authMode !== 'open' });
              }
            }
            out.sort((a, b) => b.rssi - a.rssi);
            resolve(out);
          });
        } catch (e) {
          reject(new WifiError('io', 'Wi-Fi scan failed: ' + (e instanceof Error ? e.message : 'unknown error')));
        }
      });
    },
    join(network: string, password: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (wifi === null) {
          reject(new WifiError('io', 'this board has no Wi-Fi'));
          return;
        }
        ssid = network;
        set('connecting');
        try {
          wifi.connect(network, { password }, (error: string | null) => {
            if (error) {
              set('disconnected');
              reject(wifiErrorOf(error));
              return;
            }
            set('connected');
            resolve();
          });
        } catch (e) {
          set('disconnected');
          reject(new WifiError('io', 'Wi-Fi connect failed: ' + (e instanceof Error ? e.message : 'unknown error')));
        }
      });
    },
    leave(): void {
      if (wifi === null) return;
      wifi.disconnect();
      set('disconnected');
    },
    status,
    setHandler(handler: (status: WifiStatus) => void): void {
      onChange = handler;
    },
  };
}
