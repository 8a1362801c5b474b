import { SimpleGoError } from './errors';

export interface WifiNetwork {
  readonly ssid: string;
  /** Signal strength in dBm (e.g. -40 strong, -85 weak). */
  readonly rssi: number;
  /** True when the network needs a password. */
  readonly secure: boolean;
}

export type WifiState = 'off' | 'disconnected' | 'connecting' | 'connected';

export interface WifiStatus {
  readonly state: WifiState;
  /** The network joined or being joined, "" when none. */
  readonly ssid: string;
  /** IPv4 address when connected, "" otherwise. */
  readonly ip: string;
}

export interface Wifi {
  scan(): Promise<WifiNetwork[]>;
  /** Joins a network; rejects with WifiError('auth') on a wrong password. */
  join(ssid: string, password: string): Promise<void>;
  leave(): void;
  status(): WifiStatus;
  /** Called on every state change (including a drop by the access point). */
  setHandler(onChange: (status: WifiStatus) => void): void;
}

export type WifiErrorCode = 'not-found' | 'auth' | 'timeout' | 'io';

export class WifiError extends SimpleGoError {
  constructor(code: WifiErrorCode, message: string) {
    super(code, message);
    this.name = 'WifiError';
  }
}
