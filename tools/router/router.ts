/**
 * The local SMP router as a library: startRouter() recovers the store, loads or creates the
 * identity, listens, and returns the address clients use. The CLI (main.ts), the tests and the
 * desktop simulator all start routers through here, several per process if they like.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Crypto } from '../../hal/crypto';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import { createNodeCrypto } from '../../hal/node/crypto';
import { createNodeLog } from '../../hal/node/log';
import { createNodeRandom } from '../../hal/node/random';
import { createNodeStorage } from '../../hal/node/storage';
import { StorageError } from '../../hal/storage';
import { AddressError, isValidBasicAuth, parseTransportHost, printSmpServer, type SmpServer } from '../../firmware/smp/address';
import type { SignatureAlgorithm } from '../../firmware/x509/certificate';
import { createDummyKeys } from './auth';
import type { RouterContext, TransmissionObserver } from './context';
import { RouterError } from './errors';
import { loadOrCreateIdentity } from './identity';
import { PendingNotifications } from './notifications';
import { ProxyAgent } from './proxy';
import { RouterListener } from './server';
import { openStore, type Recovery } from './store-log';
import { SubscriptionRegistry } from './subscriptions';

export interface RouterOptions {
  /** Where the identity, the store log and the message journal live; created if missing. */
  readonly storeDir: string;
  /** Listen address, also the host in the printed address. Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Server password for NEW and PRXY (`create_password`); default none. */
  readonly password?: string | null;
  /** Default 21 days, as the reference. */
  readonly messageTtlSeconds?: number;
  /** Messages a queue holds before SEND gets QUOTA; default 128. */
  readonly quota?: number;
  /** How often expired messages are dropped; default 1 hour. */
  readonly expiryIntervalMs?: number;
  /** TCP accept to TLS established; default 60 s. */
  readonly tlsSetupTimeoutMs?: number;
  /** TLS established to client hello; default 120 s. */
  readonly handshakeTimeoutMs?: number;
  /** Per connection: replies waiting before the router stops reading it; default 128. */
  readonly maxPendingReplies?: number;
  /** Per connection: bytes queued for sending before the router stops reading it; default 1 MiB. */
  readonly maxWriteBuffer?: number;
  /** Whether clients may use this router as their proxy; default true. */
  readonly allowProxy?: boolean;
  /** Relay connect and forwarded command timeout; default 30 s. */
  readonly relayTimeoutMs?: number;
  /** Identity key algorithm when a new identity is created; default ed25519 (as `smp-server init`). */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /** fdatasync before answering; default true. Only benchmarks turn it off. */
  readonly sync?: boolean;
  /** Runtime compaction threshold per file, bytes; default 64 MiB. */
  readonly compactAfterBytes?: number;
  /** Wall clock in ms; default Date.now (tests move it to expire messages). */
  readonly now?: () => number;
  /** Default: JSON lines on stderr at 'info'. */
  readonly log?: Log;
  readonly crypto?: Crypto;
  readonly random?: Random;
  /**
   * Test-only: called synchronously with every transmission that parsed, including those inside
   * RFWD. Lets tests check what each router of a private route sees. Default none (no cost).
   */
  readonly onTransmission?: TransmissionObserver;
}

export interface Router {
  /** `smp://<fingerprint>[:<password>]@<host>:<port>` */
  readonly address: string;
  readonly server: SmpServer;
  readonly port: number;
  readonly recovery: Recovery;
  /** Open client connections. */
  readonly connectionCount: number;
  /** Drops expired messages now (also done every expiryIntervalMs and on SEND); returns how many. */
  expireMessages(): number;
  /** Stops listening, closes every connection, waits for the store to be on disk. */
  close(): Promise<void>;
}

const DAY_SECONDS = 86400;
const LOCK_FILE = 'router.lock';

export async function startRouter(options: RouterOptions): Promise<Router> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const password = options.password ?? null;
  if (password !== null && !isValidBasicAuth(password)) {
    throw new RouterError('bad-option', 'the password must be printable ASCII without spaces, "@", ":" or "/"');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RouterError('bad-option', 'the port must be 0..65535');
  let transportHost;
  try {
    transportHost = parseTransportHost(host);
  } catch (e) {
    if (e instanceof AddressError) throw new RouterError('bad-option', 'the host is not usable in an SMP address: ' + e.message);
    throw e;
  }
  const quota = positive(options.quota ?? 128, 'quota');
  const ttl = positive(options.messageTtlSeconds ?? 21 * DAY_SECONDS, 'messageTtlSeconds');
  const random = options.random ?? createNodeRandom();
  const crypto = options.crypto ?? createNodeCrypto(random);
  const log = options.log ?? createNodeLog();
  const now = options.now ?? Date.now;

  const dir = path.resolve(options.storeDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new RouterError('store-io', 'cannot create the store directory ' + dir);
  }
  const unlock = lockStore(dir);
  let opened;
  let identity;
  try {
    identity = loadOrCreateIdentity(createNodeStorage(dir), crypto, random, {
      algorithm: options.signatureAlgorithm ?? 'ed25519',
      commonName: host,
      now: now(),
    });
    opened = openStore({ dir: dir, sync: options.sync ?? true, quota: quota, compactAfterBytes: options.compactAfterBytes ?? 64 * 1048576 });
  } catch (e) {
    unlock();
    if (e instanceof StorageError) throw new RouterError('store-io', 'the store directory ' + dir + ' cannot be used: ' + e.message);
    throw e;
  }
  const store = opened.store;
  const proxy = new ProxyAgent({ crypto: crypto, random: random, log: log, timeoutMs: options.relayTimeoutMs ?? 30000 });
  const ctx: RouterContext = {
    crypto: crypto,
    random: random,
    log: log,
    now: now,
    config: { basicAuth: password, messageTtlSeconds: ttl, allowProxy: options.allowProxy ?? true },
    store: store,
    subscribers: new SubscriptionRegistry(),
    notifierSubscribers: new SubscriptionRegistry(),
    notifications: new PendingNotifications(),
    dummy: createDummyKeys(crypto),
    forwarder: proxy,
    onTransmission: options.onTransmission ?? null,
  };
  const expireMessages = (): number => {
    const old = Math.floor(now() / 1000) - ttl;
    let n = 0;
    for (const q of store.queues()) n += store.expire(q, old);
    return n;
  };
  expireMessages();

  let listener: RouterListener;
  try {
    listener = await RouterListener.listen({
      host: host,
      port: port,
      tlsSetupTimeoutMs: options.tlsSetupTimeoutMs ?? 60000,
      connectionHost: {
        ctx: ctx,
        identity: identity,
        limits: {
          handshakeTimeoutMs: options.handshakeTimeoutMs ?? 120000,
          maxPendingReplies: options.maxPendingReplies ?? 128,
          maxWriteBuffer: options.maxWriteBuffer ?? 1048576,
        },
      },
    });
  } catch (e) {
    await opened.log.close();
    unlock();
    throw e;
  }
  const expiryTimer = setInterval(expireMessages, options.expiryIntervalMs ?? 3600000);
  expiryTimer.unref();

  const server: SmpServer = { hosts: [transportHost], port: listener.port, keyHash: identity.keyHash };
  const address = printSmpServer(server, password);
  log.write('info', 'router.started', { port: listener.port, queues: opened.recovery.queues, messages: opened.recovery.messages, tornBytes: opened.recovery.tornBytes });
  let closing: Promise<void> | null = null;
  return {
    address: address,
    server: server,
    port: listener.port,
    recovery: opened.recovery,
    get connectionCount(): number {
      return listener.connectionCount;
    },
    expireMessages: expireMessages,
    close(): Promise<void> {
      if (closing === null) {
        closing = (async () => {
          clearInterval(expiryTimer);
          proxy.close();
          await listener.close();
          await opened.log.close();
          unlock();
        })();
      }
      return closing;
    },
  };
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RouterError('bad-option', name + ' must be a positive integer');
  return n;
}

/**
 * One router per store: two would interleave their appends. The lock names the owner's pid; a
 * lock whose process is gone (a crash, kill -9) is taken over.
 */
function lockStore(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch (e) {
          // already gone
        }
      };
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EEXIST') throw new RouterError('store-io', 'cannot create ' + file);
    }
    let owner = NaN;
    try {
      owner = parseInt(readFileSync(file, 'latin1'), 10);
    } catch (e) {
      // unreadable: treated as stale
    }
    if (Number.isInteger(owner) && owner !== process.pid && processAlive(owner)) {
      throw new RouterError('store-locked', 'the store ' + dir + ' is in use by process ' + owner);
    }
    if (owner === process.pid) throw new RouterError('store-locked', 'the store ' + dir + ' is already in use by a router in this process');
    try {
      unlinkSync(file);
    } catch (e) {
      // raced with another starter; the next attempt decides
    }
  }
  throw new RouterError('store-locked', 'cannot lock the store ' + dir);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}
