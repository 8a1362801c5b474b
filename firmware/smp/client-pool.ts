import type { Clock, TimerHandle } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import { toHex } from '../encoding/bytes';
import { effectivePort, type SmpServer, type SmpServerAddress } from './address';
import { SmpClient, type SmpClientConfig, type SmpClientState } from './client';
import { SmpClientError } from './client-errors';
import type { SmpTransport, SmpTransportHandlers } from './transport-api';

/**
 * One SmpClient per router, for a device that talks to several at once (its own queues on some,
 * its contacts' queues on others). A client is made on first use (and connects on its first
 * command), and closed once it has had no subscriptions and no pending commands for
 * `idleCloseMs`. Get the client from the pool for each piece of work rather than keeping it: a
 * client the pool closed stays closed, and the next `client()` call makes a new one.
 */

export interface SmpClientPoolOptions {
  /** Opens one connection to `server` (e.g. connectSmpTransport with the HAL). */
  readonly connect: (server: SmpServer, handlers: SmpTransportHandlers) => Promise<SmpTransport>;
  readonly crypto: Crypto;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Log;
  readonly clientConfig?: Partial<SmpClientConfig>;
  /** Close a client idle this long (no subscriptions, no pending commands). */
  readonly idleCloseMs?: number;
  /** Told of every client's state changes, with the router key. */
  readonly onStateChange?: (key: string, state: SmpClientState) => void;
}

/** Five minutes: long enough to keep a connection across a conversation's bursts of commands. */
export const DEFAULT_IDLE_CLOSE_MS = 300000;

/**
 * The pool's key for a router: fingerprint, hosts and port. Two addresses differing only in
 * password share the client; the password the client was made with is its default for NEW.
 */
export function routerKey(server: SmpServer): string {
  let hosts = '';
  for (let i = 0; i < server.hosts.length; i++) hosts += (i > 0 ? ',' : '') + server.hosts[i].host;
  return toHex(server.keyHash) + '@' + hosts + ':' + effectivePort(server);
}

interface Entry {
  readonly key: string;
  readonly client: SmpClient;
  timer: TimerHandle | null;
}

export class SmpClientPool {
  private readonly options: SmpClientPoolOptions;
  private readonly idleCloseMs: number;
  private entries: { [key: string]: Entry } = {};
  private count = 0;
  private closed = false;

  constructor(options: SmpClientPoolOptions) {
    this.options = options;
    this.idleCloseMs = options.idleCloseMs === undefined ? DEFAULT_IDLE_CLOSE_MS : options.idleCloseMs;
  }

  /** The client for the router of `address`, made now if there is none. Throws SmpClientError('closed') after close(). */
  client(address: SmpServerAddress): SmpClient {
    if (this.closed) throw new SmpClientError('closed', 'the SMP client pool was closed');
    const key = routerKey(address.server);
    const existing = this.entries[key];
    if (existing !== undefined) return existing.client;
    const o = this.options;
    const server = address.server;
    const onStateChange = o.onStateChange;
    const client = new SmpClient({
      server: server,
      basicAuth: address.basicAuth,
      connect: (handlers) => o.connect(server, handlers),
      crypto: o.crypto,
      clock: o.clock,
      random: o.random,
      log: o.log,
      config: o.clientConfig,
      onStateChange: onStateChange === undefined ? undefined : (state) => onStateChange(key, state),
    });
    const entry: Entry = { key: key, client: client, timer: null };
    this.entries[key] = entry;
    this.count++;
    this.armIdleCheck(entry, this.idleCloseMs);
    return client;
  }

  /** The client for this router if the pool holds one, without making it. */
  existing(server: SmpServer): SmpClient | null {
    const entry = this.entries[routerKey(server)];
    return entry === undefined ? null : entry.client;
  }

  size(): number {
    return this.count;
  }

  /** Closes every client; the pool cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const keys = Object.keys(this.entries);
    for (let i = 0; i < keys.length; i++) this.drop(this.entries[keys[i]]);
  }

  private armIdleCheck(entry: Entry, ms: number): void {
    entry.timer = this.options.clock.setTimer(() => this.checkIdle(entry), ms);
  }

  /** Polls at most once per idleCloseMs while busy, and wakes exactly when an idle client is due. */
  private checkIdle(entry: Entry): void {
    entry.timer = null;
    if (this.entries[entry.key] !== entry) return;
    if (entry.client.state === 'closed') {
      this.drop(entry);
      return;
    }
    const since = entry.client.idleSince();
    if (since === null) {
      this.armIdleCheck(entry, this.idleCloseMs);
      return;
    }
    const idleFor = this.options.clock.monotonic() - since;
    if (idleFor >= this.idleCloseMs) {
      this.options.log.write('info', 'smp.pool.idle-close', { idleMs: idleFor });
      this.drop(entry);
      return;
    }
    this.armIdleCheck(entry, this.idleCloseMs - idleFor);
  }

  private drop(entry: Entry): void {
    if (entry.timer !== null) this.options.clock.cancelTimer(entry.timer);
    entry.timer = null;
    if (this.entries[entry.key] === entry) {
      delete this.entries[entry.key];
      this.count--;
    }
    entry.client.close();
  }
}
