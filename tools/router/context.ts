/**
 * What the command handlers share: the router-wide state and services, and the view of one
 * client connection they act on. Types only; router.ts builds the context, connection.ts is
 * the session.
 */
import type { Crypto } from '../../hal/crypto';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import type { PublicKey } from '../../firmware/crypto/keys';
import type { SmpServer } from '../../firmware/smp/address';
import type { BrokerMsg } from '../../firmware/smp/responses';
import type { DummyKeys } from './auth';
import type { PendingNotifications } from './notifications';
import type { QueueStore } from './queues';
import type { SubscriptionRegistry } from './subscriptions';

export interface RouterConfig {
  /** The server password NEW and PRXY must carry, or null for none. */
  readonly basicAuth: string | null;
  /** Messages older than this are dropped (`messageExpiration`; default 21 days). */
  readonly messageTtlSeconds: number;
  /** Whether this router forwards for clients (PRXY/PFWD). */
  readonly allowProxy: boolean;
}

/** One server message to a client: a response (echoing corrId) or a push (empty corrId). */
export interface Reply {
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly msg: BrokerMsg;
}

/**
 * A queue subscription of one connection (the reference's `Sub`): 'subscribed' after SUB (the
 * router pushes messages), 'get' after GET (the connection polls and may not SUB). `delivered`
 * is the id of the message sent and not yet acknowledged: at most one at a time.
 */
export interface Sub {
  readonly mode: 'subscribed' | 'get';
  delivered: Uint8Array | null;
}

/**
 * One transmission as this router parsed it, for RouterOptions.onTransmission: what a test may
 * observe of a router's view (private routing: which router sees which queue and which client).
 */
export interface ObservedTransmission {
  /** This router's number for the connection, unique while the router runs. */
  readonly connectionId: number;
  /** The peer's address and port as this router's socket sees them. */
  readonly remoteAddress: string;
  readonly entityId: Uint8Array;
  /** The command tag (SEND, PFWD, RFWD, ...). */
  readonly command: string;
  /** Whether the transmission arrived inside an RFWD (from a forwarding router). */
  readonly forwarded: boolean;
  /** The transmission bytes in the clear as this router parsed them; a view, valid only during the call. */
  readonly transmission: Uint8Array;
}

/** Test-only observation; must not throw or change anything. */
export type TransmissionObserver = (t: ObservedTransmission) => void;

/** A client connection as the handlers see it, after the handshake. */
export interface Session {
  /** See ObservedTransmission. */
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly version: number;
  /** tls-unique: prefixed to authorized bytes; the proxy session id when the client is a proxy. */
  readonly sessionId: Uint8Array;
  /** The router's X25519 hello private key of this connection (authenticators, RFWD). */
  readonly helloPrivateKey: Uint8Array;
  /** X25519(client hello key, router hello key), or null when the client sent no key. */
  readonly sessionSecret: Uint8Array | null;
  /** Queue subscriptions by recipient id key. */
  readonly subs: Map<string, Sub>;
  /** Notifier subscriptions (NSUB) by notifier id key. */
  readonly notifierSubs: Set<string>;
  /** Sends a server-initiated message (MSG, END, DELD, NMSG). Ignored after the connection closed. */
  push(reply: Reply): void;
}

/** The forwarding half of private routing (proxy.ts), as the handlers call it. */
export interface Forwarder {
  /** PRXY: PKEY for the relay, or ERR (already a PROXY … error). */
  prxy(server: SmpServer): Promise<BrokerMsg>;
  /** PFWD: PRES with the relay's answer, or ERR. */
  pfwd(sessionId: Uint8Array, corrId: Uint8Array, version: number, ephemeralKey: PublicKey, encTransmission: Uint8Array): Promise<BrokerMsg>;
}

export interface RouterContext {
  readonly crypto: Crypto;
  readonly random: Random;
  readonly log: Log;
  /** Wall clock, ms since the epoch (tests move it to expire messages). */
  now(): number;
  readonly config: RouterConfig;
  readonly store: QueueStore;
  readonly subscribers: SubscriptionRegistry<Session>;
  readonly notifierSubscribers: SubscriptionRegistry<Session>;
  readonly notifications: PendingNotifications;
  readonly dummy: DummyKeys;
  readonly forwarder: Forwarder;
  /** Test-only: called with every transmission that parsed (off, null, by default). */
  readonly onTransmission: TransmissionObserver | null;
}

/**
 * What handling one transmission produced:
 * - 'now': replies to send in order with the others;
 * - 'after': replies to send in order once `durable` settles (on failure the first becomes
 *   ERR INTERNAL: the change may not be on disk, so it must not be confirmed);
 * - 'forked': one reply that comes when the work is done, out of order (private routing, which
 *   waits for another router).
 */
export type Outcome =
  | { readonly kind: 'now'; readonly replies: Reply[] }
  | { readonly kind: 'after'; readonly replies: Reply[]; readonly durable: Promise<void> }
  | { readonly kind: 'forked'; readonly reply: Promise<Reply> };
