import type { Clock, TimerHandle } from '../../hal/clock';
import type { Crypto, KeyPair } from '../../hal/crypto';
import type { Log, LogFields, LogLevel } from '../../hal/log';
import type { Random } from '../../hal/random';
import { cbAuthenticate, cbDecrypt, cbNonce } from '../crypto/box';
import type { PublicKey } from '../crypto/keys';
import { copyBytes, equalBytes, toHex } from '../encoding/bytes';
import type { SmpServer } from './address';
import { errorTypeText, SmpClientError, SmpCommandError } from './client-errors';
import {
  encodeCommand,
  type Command,
  type CommandType,
  type MsgFlags,
  type NewNtfCreds,
  type QueueMode,
  type QueueReqData,
} from './commands';
import type { ErrorType } from './errors';
import { decodeRcvMsgBody, MAX_MESSAGE_LENGTH, NONCE_LENGTH } from './message';
import { decodeResponse, type BrokerMsg, type ServerNtfCreds } from './responses';
import {
  authorizedBytes,
  encodeTransmission,
  newNtfCredsSMPVersion,
  parseTransmission,
  shortLinksSMPVersion,
  sndAuthKeySMPVersion,
  type RawTransmission,
} from './transmission';
import { SmpTransportError, type SmpSessionParams, type SmpTransport, type SmpTransportHandlers } from './transport-api';

/**
 * The SMP client for one router (smp.md §6–§9): commands with their authorization, responses
 * matched to them, pushed messages decrypted and handed to the queue's subscriber, keep-alive,
 * and reconnection with resubscription. It sits on an SmpTransport (transport-api.ts) and sees
 * only transmissions.
 *
 * Matching. Every command gets a fresh random 24-byte corrId (it doubles as the nonce of X25519
 * authenticators, smp.md §6.3). A response is matched by corrId AND entityId, never by order
 * (§7.5): a response whose corrId is unknown, or whose entityId is not the command's, is counted,
 * logged and dropped, and the command keeps waiting. The one exception is ERR with an empty
 * entityId, which is how the router answers a transmission it could not parse (§6.5).
 *
 * Flow control. The router delivers at most one unacknowledged message per subscription (§7.5).
 * The client never acknowledges on its own: the subscriber stores the message durably and then
 * calls ack(). A message that cannot be decrypted is reported to the subscriber as
 * 'undecryptable' with its msgId, so it can be acknowledged too; dropping it would stall the queue.
 *
 * Connection life. The connection is opened on first use. While it is up and nothing is received
 * for `pingIntervalMs`, a PING is sent; no answer within `pingTimeoutMs` means the connection is
 * dead. A lost connection is re-opened after an exponential backoff with jitter (bounded by
 * `reconnectMaxMs`) as long as there are subscriptions or commands; every queue that was
 * subscribed is subscribed again BEFORE any other command is sent (see resubscribeAll), and
 * commands that were in flight are sent again with the same inputs, subject to `maxAttempts`.
 *
 * Retrying after a lost response. Whether a command may be sent twice, and what the second answer
 * means when the first attempt did go through, is decided per command from the reference router
 * (simplexmq Server.hs, QueueStore) and agent (Agent.hs, Agent/Client.hs); each public method
 * documents its case.
 */

// ---------------------------------------------------------------------------------------------
// Public types

export type AuthAlgorithm = 'ed25519' | 'ed448' | 'x25519';

/**
 * A key that authorizes commands: Ed25519 and Ed448 keys sign, an X25519 key makes an 80-byte
 * authenticator with the router's session key (smp.md §1.3, §6.2; needs SMP v7+).
 */
export interface AuthPrivateKey {
  readonly alg: AuthAlgorithm;
  /** Raw private key: 32 bytes (Ed25519, X25519) or 57 (Ed448). */
  readonly privateKey: Uint8Array;
}

/** An authorization key pair, for commands that install the public half (NEW, SKEY). */
export interface AuthKeyPair extends AuthPrivateKey {
  /** Raw public key: 32 bytes (Ed25519, X25519) or 57 (Ed448). */
  readonly publicKey: Uint8Array;
}

/** What recipient commands need: the queue's recipient ID and key. */
export interface RecipientAuth {
  readonly rcvId: Uint8Array;
  readonly rcvKey: AuthPrivateKey;
}

/** A queue as its recipient holds it: also the secret that opens delivered messages (smp.md §8.2). */
export interface RecipientQueue extends RecipientAuth {
  /** X25519(IDS srvDhKey, rcvDhKey private), 32 bytes. */
  readonly rcvDhSecret: Uint8Array;
}

/** Link data for NEW (v15+), with the corrId its sender ID was derived from (smp.md §6.3, §7.1). */
export interface QueueLink {
  /** 24 bytes; NEW is sent with exactly this corrId. */
  readonly corrId: Uint8Array;
  /** SHA3-384(corrId)[0..24]; the router refuses any other with CMD PROHIBITED. */
  readonly senderId: Uint8Array;
  /** A contact queue names its link ID; a messaging queue gets one from the router (null here). */
  readonly linkId: Uint8Array | null;
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

/** LNK (§7.2): a short link's queue sender ID and its two encrypted parts, as the router stores them. */
export interface QueueLinkReply {
  readonly senderId: Uint8Array;
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

export interface CreateQueueRequest {
  /** The recipient key pair; NEW carries the public key and is authorized by the private one. */
  readonly rcvAuthKey: AuthKeyPair;
  /** X25519 raw key pair for the server-to-recipient layer. */
  readonly rcvDhKey: KeyPair;
  /**
   * 'messaging': the sender may secure the queue itself with SKEY (v9+); 'contact': a contact
   * address. Below v9 neither can be asked for, and the queue is a legacy one the recipient
   * secures with KEY: the result's queueMode is then null.
   */
  readonly queueMode: QueueMode | null;
  /** Short-link data (v15+; refused with 'unsupported-version' below). Needs a queueMode. */
  readonly link: QueueLink | null;
  /** Notifier credentials created with the queue (v17+). Below v17 they are left out and the result's serverNtfCreds is null: use enableNotifications. */
  readonly ntfCreds: NewNtfCreds | null;
  /** The router password; when absent, the one the client was configured with. */
  readonly basicAuth?: string | null;
  /** When given, NEW subscribes on this connection ('S') and this receives the queue's events. */
  readonly onEvent?: QueueEventHandler;
}

export interface CreatedQueue extends RecipientQueue {
  readonly sndId: Uint8Array;
  /** The router's X25519 queue key (rcvDhSecret is already derived from it). */
  readonly srvDhKey: PublicKey;
  /** v9+: what the router made of the queue mode; null below v9 or for a legacy queue. */
  readonly queueMode: QueueMode | null;
  readonly linkId: Uint8Array | null;
  readonly serviceId: Uint8Array | null;
  readonly serverNtfCreds: ServerNtfCreds | null;
  /** True when the queue is subscribed on this client (onEvent was given). */
  readonly subscribed: boolean;
}

/** A message delivered by the router (pushed, or in answer to SUB, ACK or GET). */
export type QueueMessage =
  | {
      readonly type: 'message';
      readonly msgId: Uint8Array;
      /** The router's receive time, seconds since the epoch. */
      readonly timestamp: number;
      readonly flags: MsgFlags;
      /** The sender's SEND body (a ClientMsgEnvelope, smp.md §8.3). */
      readonly body: Uint8Array;
    }
  /** The quota marker (§7.5): the sender hit the queue quota. Acknowledge it like a message. */
  | { readonly type: 'quota'; readonly msgId: Uint8Array; readonly timestamp: number }
  /** A message that did not decrypt or parse. Acknowledge it, or the queue stalls. */
  | { readonly type: 'undecryptable'; readonly msgId: Uint8Array; readonly error: SmpClientError };

export type QueueEvent =
  | QueueMessage
  /** Another connection subscribed to the queue (END): this subscription is over. */
  | { readonly type: 'end' }
  /** The queue was deleted (DELD, v10+): this subscription is over. */
  | { readonly type: 'deleted' }
  /**
   * After a reconnect the queue could not be subscribed again: the router refused the SUB
   * (SmpCommandError), or it cannot be sent or understood on the new connection (SmpClientError).
   * This subscription is over.
   */
  | { readonly type: 'resubscribe-failed'; readonly error: SmpCommandError | SmpClientError };

/** Receives a queue's events; it is called synchronously from the transport and must not throw. */
export type QueueEventHandler = (event: QueueEvent) => void;

export interface SendMessageRequest {
  readonly sndId: Uint8Array;
  /** The sender key once the queue is secured; null for an unsecured queue (SEND then carries no authorization). */
  readonly senderKey: AuthPrivateKey | null;
  /** The ClientMsgEnvelope; at most maxMessageLength(v) bytes. Not copied: do not change it before the promise settles. */
  readonly body: Uint8Array;
  /** Ask the router to notify the recipient's notification server. */
  readonly notification: boolean;
}

/**
 * One attempt of a command sent with sendProxyCommand: the caller makes both afresh for every
 * attempt, because in private routing the corrId is also the nonce of a box (smp.md §10.2).
 */
export interface CommandAttempt {
  /** Must not repeat any corrId in flight on this client. */
  readonly corrId: Uint8Array;
  readonly command: Command;
}

/** The router's answer to sendProxyCommand, as received. */
export interface CommandAnswer {
  readonly msg: BrokerMsg;
  /** The corrId of the attempt that was answered. */
  readonly corrId: Uint8Array;
  /** The connection that carried the answer (see SmpClient.connectionId). */
  readonly connectionId: number;
}

export interface SubscribeResult {
  /** The service ID in SOK (v16+); null for an ordinary client. */
  readonly serviceId: Uint8Array | null;
}

export interface AckResult {
  /** True when the router answered NO_MSG: no delivered message has that ID any more. */
  readonly alreadyAcknowledged: boolean;
}

export interface DeleteResult {
  /** True when a retried DEL found the queue gone: the first attempt deleted it. */
  readonly alreadyDeleted: boolean;
}

export interface NotifierIds {
  readonly notifierId: Uint8Array;
  /** The router's X25519 key for the notification secret. */
  readonly srvNtfDhKey: PublicKey;
}

export type SmpClientState = 'idle' | 'connecting' | 'connected' | 'reconnect-wait' | 'closed';

export interface SmpClientConfig {
  /** How long one attempt of a command may wait for its answer, or for a connection to send it on. */
  readonly commandTimeoutMs: number;
  /** How many times one command is sent at most (after timeouts and lost connections). */
  readonly maxAttempts: number;
  /** Commands waiting for an answer or a connection; more are refused with 'too-many-pending'. */
  readonly maxPending: number;
  /** PING after this long without receiving anything; 0 turns keep-alive off. */
  readonly pingIntervalMs: number;
  /** A PING unanswered this long means the connection is dead. */
  readonly pingTimeoutMs: number;
  /** First reconnection delay; it doubles per failure up to reconnectMaxMs (then halved at random by jitter). */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** This many undecryptable or malformed blocks in a row close the connection. */
  readonly maxBadBlocks: number;
}

/**
 * Defaults follow the reference client where it has one: 30 s network timeout (`tcpTimeout`),
 * PING after 10 minutes (`smpPingInterval`), reconnection from 2 s up to 180 s
 * (`defaultReconnectInterval`).
 */
export const DEFAULT_SMP_CLIENT_CONFIG: SmpClientConfig = {
  commandTimeoutMs: 30000,
  maxAttempts: 3,
  maxPending: 64,
  pingIntervalMs: 600000,
  pingTimeoutMs: 30000,
  reconnectBaseMs: 2000,
  reconnectMaxMs: 180000,
  maxBadBlocks: 3,
};

export interface SmpClientOptions {
  readonly server: SmpServer;
  /** The router password from its address, used for NEW; null when it has none. */
  readonly basicAuth: string | null;
  /** Opens one connection (e.g. connectSmpTransport bound to the server); called again on every reconnect. */
  readonly connect: (handlers: SmpTransportHandlers) => Promise<SmpTransport>;
  readonly crypto: Crypto;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Log;
  readonly config?: Partial<SmpClientConfig>;
  readonly onStateChange?: (state: SmpClientState) => void;
}

/** Counts of what went wrong or was worked around; never contents. */
export interface SmpClientStats {
  /** Responses whose corrId matches no command. */
  readonly unknownCorrId: number;
  /** Responses whose corrId matched but whose entityId did not. */
  readonly wrongEntity: number;
  /** Responses to an attempt that had already timed out. */
  readonly lateResponses: number;
  /** Transmissions that did not parse, carried an authorization or (v6) another session ID. */
  readonly badTransmissions: number;
  readonly badBlocks: number;
  /** Server messages nobody waits for: pushes for unknown queues, unexpected tags. */
  readonly strayMessages: number;
  /** ERR without a corrId. */
  readonly serverErrors: number;
  readonly undecryptable: number;
  /** Attempts that timed out (commands and PINGs). */
  readonly timeouts: number;
  /** Commands sent again after a timeout or a lost connection. */
  readonly retries: number;
  /** Connection attempts after the first. */
  readonly reconnects: number;
  /** Exceptions thrown by subscriber callbacks (caught). */
  readonly subscriberErrors: number;
}

// ---------------------------------------------------------------------------------------------
// Internal types

const EMPTY = new Uint8Array(0);
/** How many timed-out corrIds are remembered, to tell a late answer from a stray one. */
const MAX_EXPIRED = 32;
/** The most bytes of an entity ID a log record shows: enough to correlate, too few to act on. */
const LOG_TAG_BYTES = 4;

type Done = (error: Error | null, value: unknown) => void;

/** What a public method asks of the request machinery. */
interface RequestSpec<T> {
  readonly type: CommandType;
  readonly entityId: Uint8Array;
  readonly key: AuthPrivateKey | null;
  /** The command at the connection's version; called once per attempt. */
  readonly build: (v: number) => Command;
  /** Null: a fresh random corrId per attempt. */
  readonly fixedCorrId?: Uint8Array | null;
  /** When given, makes each attempt's corrId and command in place of fixedCorrId and build. */
  readonly attempt?: (v: number) => CommandAttempt;
  /** Turns the answer into the result, or throws an SmpClientError. */
  readonly onResponse: (msg: BrokerMsg) => T;
  /** An ERR the command treats as a result (`retried`: this was not the first attempt); null: a failure. */
  readonly onError?: (error: ErrorType, retried: boolean) => { value: T } | null;
  /** Called synchronously when the command finally fails, before the promise rejects. */
  readonly onFailed?: () => void;
}

interface Request {
  readonly seq: number;
  readonly type: CommandType;
  readonly entityId: Uint8Array;
  readonly key: AuthPrivateKey | null;
  readonly build: (v: number) => Command;
  readonly fixedCorrId: Uint8Array | null;
  readonly attempt: ((v: number) => CommandAttempt) | null;
  readonly onResponse: (msg: BrokerMsg) => unknown;
  readonly onError: ((error: ErrorType, retried: boolean) => { value: unknown } | null) | null;
  readonly onFailed: (() => void) | null;
  /** PING and resubscriptions: not counted against maxPending, never retried. */
  readonly internal: boolean;
  readonly timeoutMs: number;
  readonly done: Done;
  attempts: number;
  /** Hex of the corrId while in flight; null while queued. */
  corrHex: string | null;
  timer: TimerHandle | null;
  /** Bumped whenever the timer changes, so a stale timer callback recognises itself. */
  timerToken: number;
  finished: boolean;
}

type SubscriptionState =
  | 'subscribing' // the caller's SUB (or NEW 'S') is on its way
  | 'active' // confirmed on the current connection
  | 'lost' // was active; the connection died; will be resubscribed
  | 'resubscribing'; // the client's own SUB after a reconnect is on its way

interface Subscription {
  readonly rcvId: Uint8Array;
  readonly rcvKey: AuthPrivateKey;
  readonly rcvDhSecret: Uint8Array;
  readonly onEvent: QueueEventHandler;
  state: SubscriptionState;
}

interface Counters {
  unknownCorrId: number;
  wrongEntity: number;
  lateResponses: number;
  badTransmissions: number;
  badBlocks: number;
  strayMessages: number;
  serverErrors: number;
  undecryptable: number;
  timeouts: number;
  retries: number;
  reconnects: number;
  subscriberErrors: number;
}

// ---------------------------------------------------------------------------------------------

export class SmpClient {
  readonly server: SmpServer;
  private readonly basicAuth: string | null;
  private readonly connectTransport: (handlers: SmpTransportHandlers) => Promise<SmpTransport>;
  private readonly crypto: Crypto;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly log: Log;
  private readonly config: SmpClientConfig;
  private readonly onStateChange: ((state: SmpClientState) => void) | null;

  private stateValue: SmpClientState = 'idle';
  /** Bumped whenever a connection ends or a new one starts: callbacks of older ones are ignored. */
  private generation = 0;
  /** Why the last connection attempt failed (cleared on success), to explain commands that found no connection. */
  private lastConnectError: Error | null = null;
  private connections = 0;
  private transport: SmpTransport | null = null;
  private params: SmpSessionParams | null = null;

  /** Commands waiting to be sent, in submission order. */
  private outbox: Request[] = [];
  private inFlight: { [corrHex: string]: Request } = {};
  private inFlightCount = 0;
  /** Caller commands queued or in flight (the maxPending bound). */
  private userPending = 0;
  private expired: { [corrHex: string]: true } = {};
  private expiredOrder: string[] = [];
  private nextSeq = 1;

  private subs: { [rcvHex: string]: Subscription } = {};
  private subCount = 0;
  /** Resubscriptions of the current connection not yet answered; nothing else is sent meanwhile. */
  private resubscribing = 0;

  private failures = 0;
  private reconnectTimer: TimerHandle | null = null;
  private pingTimer: TimerHandle | null = null;
  private pingInFlight = false;
  private lastReceived = 0;
  private consecutiveBadBlocks = 0;
  private idleSinceValue: number | null;
  private readonly counters: Counters = {
    unknownCorrId: 0,
    wrongEntity: 0,
    lateResponses: 0,
    badTransmissions: 0,
    badBlocks: 0,
    strayMessages: 0,
    serverErrors: 0,
    undecryptable: 0,
    timeouts: 0,
    retries: 0,
    reconnects: 0,
    subscriberErrors: 0,
  };

  constructor(options: SmpClientOptions) {
    this.server = options.server;
    this.basicAuth = options.basicAuth;
    this.connectTransport = options.connect;
    this.crypto = options.crypto;
    this.clock = options.clock;
    this.random = options.random;
    this.log = options.log;
    this.config = mergeConfig(options.config);
    this.onStateChange = options.onStateChange === undefined ? null : options.onStateChange;
    this.idleSinceValue = this.clock.monotonic();
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /**
   * NEW (smp.md §7.1): creates a queue with the caller's keys (nothing is generated here, so a
   * retry reuses them) and the router password.
   *
   * Retry: the router creates a new queue with fresh random IDs for every NEW it executes
   * (Server.hs createQueue), so NEW is not idempotent. Without link data it is retried with the
   * same keys and a fresh corrId; if the lost attempt had gone through, its queue is orphaned:
   * nobody learns its sender ID, so it never receives anything. The reference agent accepts the
   * same outcome: its asynchronous NEW is retried on temporary errors (Agent.hs,
   * runCommandProcessing). With link data the sender ID is bound to the corrId, so every attempt
   * uses the caller's corrId; if a lost attempt had gone through, the router refuses the repeated
   * client-chosen sender ID with ERR AUTH, and the caller must create the queue with new link data.
   * (Reusing the corrId as the X25519 authenticator nonce is safe: on a new connection the
   * router's session key differs, and on the same one the authenticated bytes are identical.)
   */
  createQueue(req: CreateQueueRequest): Promise<CreatedQueue> {
    const bad = this.checkCreateQueue(req);
    if (bad !== null) return Promise.reject(bad);
    const basicAuth = req.basicAuth === undefined ? this.basicAuth : req.basicAuth;
    const onEvent = req.onEvent === undefined ? null : req.onEvent;
    return this.call<CreatedQueue>({
      type: 'NEW',
      entityId: EMPTY,
      key: req.rcvAuthKey,
      fixedCorrId: req.link === null ? null : copyBytes(req.link.corrId),
      build: (v) => newCommand(v, req, basicAuth, onEvent !== null),
      onResponse: (msg) => this.queueCreated(req, onEvent, msg),
    });
  }

  /**
   * SUB (§7.1): subscribes to a queue; its messages and END/DELD go to `onEvent`. A waiting message
   * arrives as a push, or (older routers) in place of OK. One subscription per queue per client.
   *
   * Retry: safe. A repeated SUB on the same connection re-delivers the unacknowledged message; on
   * a new connection it is a first SUB (subscribeQueueAndDeliver).
   */
  subscribe(queue: RecipientQueue, onEvent: QueueEventHandler): Promise<SubscribeResult> {
    const bad = checkRecipient(queue, 'SUB') || checkSecret(queue.rcvDhSecret);
    if (bad !== null) return Promise.reject(bad);
    const hex = toHex(queue.rcvId);
    if (this.subs[hex] !== undefined) {
      return Promise.reject(new SmpClientError('already-subscribed', 'SUB: the queue is already subscribed on this client'));
    }
    if (this.stateValue === 'closed') return Promise.reject(closedError('SUB'));
    const sub: Subscription = {
      rcvId: copyBytes(queue.rcvId),
      rcvKey: queue.rcvKey,
      rcvDhSecret: copyBytes(queue.rcvDhSecret),
      onEvent: onEvent,
      state: 'subscribing',
    };
    this.addSub(hex, sub);
    return this.call<SubscribeResult>({
      type: 'SUB',
      entityId: sub.rcvId,
      key: sub.rcvKey,
      build: () => ({ type: 'SUB' }),
      onResponse: (msg) => this.subscribed(sub, msg),
      onFailed: () => this.removeSubIf(hex, sub),
    });
  }

  /**
   * Forgets a subscription locally: it is not resubscribed after a reconnect, and messages the
   * router still pushes for it are dropped as stray. SMP has no unsubscribe command. Returns
   * whether there was one.
   */
  unsubscribe(rcvId: Uint8Array): boolean {
    const hex = toHex(rcvId);
    if (this.subs[hex] === undefined) return false;
    this.removeSub(hex);
    return true;
  }

  /**
   * KEY (§7.1): the recipient secures the queue with the sender's key (legacy flow).
   *
   * Retry: safe. The same key again answers OK; a different one AUTH (QueueStore secureQueue).
   */
  secureQueue(queue: RecipientAuth, senderKey: PublicKey): Promise<void> {
    const bad = checkRecipient(queue, 'KEY') || checkPublicAuthKey(senderKey, 'KEY sender key');
    if (bad !== null) return Promise.reject(bad);
    return this.call<void>({
      type: 'KEY',
      entityId: copyBytes(queue.rcvId),
      key: queue.rcvKey,
      build: () => ({ type: 'KEY', senderKey: senderKey }),
      onResponse: (msg) => expectOk(msg, 'KEY'),
    });
  }

  /**
   * SKEY (§7.2): the sender secures a messaging queue with its key; the command is authorized by
   * that same key.
   *
   * Retry: safe, as KEY: the same key again answers OK (QueueStore secureQueue).
   */
  secureQueueBySender(sndId: Uint8Array, senderKey: AuthKeyPair): Promise<void> {
    const bad = checkId(sndId, 'SKEY sender ID') || checkKeyPair(senderKey, 'SKEY sender key');
    if (bad !== null) return Promise.reject(bad);
    const pub: PublicKey = { alg: senderKey.alg, raw: senderKey.publicKey };
    return this.call<void>({
      type: 'SKEY',
      entityId: copyBytes(sndId),
      key: senderKey,
      build: () => ({ type: 'SKEY', senderKey: pub }),
      onResponse: (msg) => expectOk(msg, 'SKEY'),
    });
  }

  /**
   * LKEY (§7.2): on a one-time invitation's short-link queue, installs `senderKey` as the sender
   * key (the command is authorized by it, as SKEY) and answers with the encrypted link data.
   *
   * Retry: safe with the same key: the router secures a queue once and answers the same key again
   * with the data (QueueStore secureQueue); a different key is AUTH.
   */
  secureGetLink(linkId: Uint8Array, senderKey: AuthKeyPair): Promise<QueueLinkReply> {
    const bad = checkId(linkId, 'LKEY link ID') || checkKeyPair(senderKey, 'LKEY sender key');
    if (bad !== null) return Promise.reject(bad);
    const pub: PublicKey = { alg: senderKey.alg, raw: senderKey.publicKey };
    return this.call<QueueLinkReply>({
      type: 'LKEY',
      entityId: copyBytes(linkId),
      key: senderKey,
      build: () => ({ type: 'LKEY', senderKey: pub }),
      onResponse: (msg) => linkReplyOf(msg, 'LKEY'),
    });
  }

  /** LGET (§7.2): a contact address's encrypted link data, unauthorized. Retry: safe; it changes nothing. */
  getLink(linkId: Uint8Array): Promise<QueueLinkReply> {
    const bad = checkId(linkId, 'LGET link ID');
    if (bad !== null) return Promise.reject(bad);
    return this.call<QueueLinkReply>({
      type: 'LGET',
      entityId: copyBytes(linkId),
      key: null,
      build: () => ({ type: 'LGET' }),
      onResponse: (msg) => linkReplyOf(msg, 'LGET'),
    });
  }

  /**
   * SEND (§7.2).
   *
   * Retry: at least once. The router stores every SEND it executes as a new message with a new
   * msgId (Server.hs sendMessage), so if a lost attempt had gone through the recipient gets the
   * body twice. The reference agent retries SEND the same way and the receiving agent drops the
   * duplicate (the ratchet refuses a message it has already decrypted).
   */
  sendMessage(req: SendMessageRequest): Promise<void> {
    const bad = checkId(req.sndId, 'SEND sender ID') || (req.senderKey === null ? null : checkPrivateKey(req.senderKey, 'SEND sender key')) ||
      (req.body instanceof Uint8Array && req.body.length <= MAX_MESSAGE_LENGTH ? null : badRequest('SEND body must be at most ' + MAX_MESSAGE_LENGTH + ' bytes (16048 from SMP v11)'));
    if (bad !== null) return Promise.reject(bad);
    const flags: MsgFlags = { notification: req.notification };
    return this.call<void>({
      type: 'SEND',
      entityId: copyBytes(req.sndId),
      key: req.senderKey,
      build: () => ({ type: 'SEND', flags: flags, body: req.body }),
      onResponse: (msg) => expectOk(msg, 'SEND'),
    });
  }

  /**
   * ACK (§7.1): acknowledges a delivered message, after the caller stored it. When subscribed, the
   * router may answer with the next message, which goes to the subscriber before this resolves.
   *
   * Retry: safe. If a lost attempt had gone through, the message is gone and the router answers
   * NO_MSG (acknowledgeMsg), which resolves with alreadyAcknowledged: the reference agent treats
   * NO_MSG on ACK as done too (Agent.hs ackQueueMessage). The next message the lost attempt
   * carried is re-delivered by the resubscription, or dispatched if its answer arrives late.
   */
  ack(queue: RecipientAuth, msgId: Uint8Array): Promise<AckResult> {
    const bad = checkRecipient(queue, 'ACK') || checkId(msgId, 'ACK message ID', true);
    if (bad !== null) return Promise.reject(bad);
    const rcvId = copyBytes(queue.rcvId);
    const id = copyBytes(msgId);
    return this.call<AckResult>({
      type: 'ACK',
      entityId: rcvId,
      key: queue.rcvKey,
      build: () => ({ type: 'ACK', msgId: id }),
      onResponse: (msg) => {
        if (msg.type === 'MSG') this.deliverToSubscriber(rcvId, msg);
        else expectOk(msg, 'ACK');
        return { alreadyAcknowledged: false };
      },
      onError: (error) => (error.type === 'NO_MSG' ? { value: { alreadyAcknowledged: true } } : null),
    });
  }

  /**
   * OFF (§7.1): suspends the queue; senders then get AUTH.
   *
   * Retry: safe. Suspending a suspended queue answers OK (QueueStore suspendQueue sets the status).
   */
  suspendQueue(queue: RecipientAuth): Promise<void> {
    const bad = checkRecipient(queue, 'OFF');
    if (bad !== null) return Promise.reject(bad);
    return this.call<void>({
      type: 'OFF',
      entityId: copyBytes(queue.rcvId),
      key: queue.rcvKey,
      build: () => ({ type: 'OFF' }),
      onResponse: (msg) => expectOk(msg, 'OFF'),
    });
  }

  /**
   * DEL (§7.1): deletes the queue and its messages; its subscription here ends silently.
   *
   * Retry: safe. If a lost attempt had deleted the queue, the repeated DEL finds no queue and the
   * router answers AUTH (it cannot tell a deleted queue from a wrong key, by design: Server.hs
   * verifies against a dummy key). AUTH on a retry therefore resolves with alreadyDeleted; AUTH on
   * the first attempt is an error. The reference agent also removes a queue whose DEL failed
   * permanently (Agent.hs deleteConnQueues).
   */
  deleteQueue(queue: RecipientAuth): Promise<DeleteResult> {
    const bad = checkRecipient(queue, 'DEL');
    if (bad !== null) return Promise.reject(bad);
    const rcvId = copyBytes(queue.rcvId);
    const forget = (): void => {
      const hex = toHex(rcvId);
      if (this.subs[hex] !== undefined) this.removeSub(hex);
    };
    return this.call<DeleteResult>({
      type: 'DEL',
      entityId: rcvId,
      key: queue.rcvKey,
      build: () => ({ type: 'DEL' }),
      onResponse: (msg) => {
        expectOk(msg, 'DEL');
        forget();
        return { alreadyDeleted: false };
      },
      onError: (error, retried) => {
        if (error.type !== 'AUTH' || !retried) return null;
        forget();
        return { value: { alreadyDeleted: true } };
      },
    });
  }

  /**
   * GET (§7.1): fetches one message without subscribing; null when the queue is empty. Not allowed
   * on a queue subscribed on this connection (CMD PROHIBITED). The message must be acknowledged.
   *
   * Retry: safe. GET returns the first unacknowledged message again (getMessage peeks).
   */
  getMessage(queue: RecipientQueue): Promise<QueueMessage | null> {
    const bad = checkRecipient(queue, 'GET') || checkSecret(queue.rcvDhSecret);
    if (bad !== null) return Promise.reject(bad);
    const secret = copyBytes(queue.rcvDhSecret);
    return this.call<QueueMessage | null>({
      type: 'GET',
      entityId: copyBytes(queue.rcvId),
      key: queue.rcvKey,
      build: () => ({ type: 'GET' }),
      onResponse: (msg) => {
        if (msg.type === 'MSG') return this.openMessage(secret, msg.msgId, msg.encBody);
        expectOk(msg, 'GET');
        return null;
      },
    });
  }

  /**
   * NKEY (§7.1): adds notifier credentials to the queue.
   *
   * Retry: safe. A repeated NKEY replaces the notifier with a new notifier ID
   * (addQueueNotifier removes the old one), so the answer that arrives is the one in force.
   */
  enableNotifications(queue: RecipientAuth, notifierKey: PublicKey, rcvNtfDhKey: PublicKey): Promise<NotifierIds> {
    const bad = checkRecipient(queue, 'NKEY') || checkPublicAuthKey(notifierKey, 'NKEY notifier key') ||
      (rcvNtfDhKey.alg === 'x25519' && rcvNtfDhKey.raw.length === 32 ? null : badRequest('NKEY notifier DH key must be a 32-byte X25519 key'));
    if (bad !== null) return Promise.reject(bad);
    return this.call<NotifierIds>({
      type: 'NKEY',
      entityId: copyBytes(queue.rcvId),
      key: queue.rcvKey,
      build: () => ({ type: 'NKEY', notifierKey: notifierKey, rcvNtfDhKey: rcvNtfDhKey }),
      onResponse: (msg) => {
        if (msg.type !== 'NID') throw unexpected('NKEY', msg);
        return { notifierId: copyBytes(msg.notifierId), srvNtfDhKey: msg.srvNtfDhKey };
      },
    });
  }

  /**
   * NDEL (§7.1): removes the queue's notifier credentials.
   *
   * Retry: safe. With no notifier the router answers OK (deleteQueueNotifier).
   */
  disableNotifications(queue: RecipientAuth): Promise<void> {
    const bad = checkRecipient(queue, 'NDEL');
    if (bad !== null) return Promise.reject(bad);
    return this.call<void>({
      type: 'NDEL',
      entityId: copyBytes(queue.rcvId),
      key: queue.rcvKey,
      build: () => ({ type: 'NDEL' }),
      onResponse: (msg) => expectOk(msg, 'NDEL'),
    });
  }

  /** PING (§7.2): answered by PONG. Retry: safe; it changes nothing. */
  ping(): Promise<void> {
    return this.call<void>({
      type: 'PING',
      entityId: EMPTY,
      key: null,
      build: () => ({ type: 'PING' }),
      onResponse: (msg) => {
        if (msg.type !== 'PONG') throw unexpected('PING', msg);
      },
    });
  }

  /**
   * The extension point for private routing (proxy-client.ts): PRXY or PFWD, sent without
   * authorization, answered with the router's message as it came (ERR still rejects with
   * SmpCommandError, and the client's own failures with SmpClientError, as for every command).
   * `attempt` is called once per attempt, so a caller whose corrId is a nonce never reuses it.
   *
   * Retry: as configured for every command, each attempt made anew by `attempt`. PRXY changes
   * nothing at the router. A repeated PFWD is a new forwarded command: for a forwarded SEND that is
   * at-least-once delivery, as for a direct SEND.
   */
  sendProxyCommand(type: 'PRXY' | 'PFWD', entityId: Uint8Array, attempt: (v: number) => CommandAttempt): Promise<CommandAnswer> {
    const bad = checkId(entityId, type + ' entity ID', true);
    if (bad !== null) return Promise.reject(bad);
    const id = copyBytes(entityId);
    let last: Uint8Array = EMPTY;
    return this.call<CommandAnswer>({
      type: type,
      entityId: id,
      key: null,
      build: () => {
        throw badRequest(type + ' is built by its attempt function');
      },
      attempt: (v) => {
        const a = attempt(v);
        last = a.corrId;
        return a;
      },
      // Only the latest attempt is in flight, so the answer is always to `last`.
      onResponse: (msg) => ({ msg: msg, corrId: last, connectionId: this.generation }),
    });
  }

  /**
   * Closes the connection for good: every waiting command fails with 'closed', subscriptions are
   * forgotten (no events), no reconnection follows. Idempotent.
   */
  close(): void {
    if (this.stateValue === 'closed') return;
    const transport = this.transport;
    this.generation++;
    this.transport = null;
    this.params = null;
    this.cancelTimers();
    this.setState('closed');
    const reqs = this.takeAllRequests();
    for (let i = 0; i < reqs.length; i++) this.finish(reqs[i], closedError(reqs[i].type), undefined);
    this.subs = {};
    this.subCount = 0;
    this.updateIdle();
    if (transport !== null) transport.close();
  }

  // -------------------------------------------------------------------------------------------
  // Observation

  get state(): SmpClientState {
    return this.stateValue;
  }

  /**
   * Names the current connection while connected (a new number for every connection), else null.
   * State a router keeps per connection (a proxy session, smp.md §10.1) is tied to it.
   */
  get connectionId(): number | null {
    return this.transport === null ? null : this.generation;
  }

  /** The negotiated version while connected, else null. */
  get version(): number | null {
    return this.params === null ? null : this.params.version;
  }

  stats(): SmpClientStats {
    const c = this.counters;
    return {
      unknownCorrId: c.unknownCorrId,
      wrongEntity: c.wrongEntity,
      lateResponses: c.lateResponses,
      badTransmissions: c.badTransmissions,
      badBlocks: c.badBlocks,
      strayMessages: c.strayMessages,
      serverErrors: c.serverErrors,
      undecryptable: c.undecryptable,
      timeouts: c.timeouts,
      retries: c.retries,
      reconnects: c.reconnects,
      subscriberErrors: c.subscriberErrors,
    };
  }

  subscriptionCount(): number {
    return this.subCount;
  }

  /** Caller commands queued or waiting for an answer. */
  pendingCount(): number {
    return this.userPending;
  }

  /**
   * The monotonic time since which the client has had no subscriptions and no pending commands,
   * or null while it has some (the pool closes clients idle for long enough).
   */
  idleSince(): number | null {
    return this.idleSinceValue;
  }

  // -------------------------------------------------------------------------------------------
  // Answers

  private checkCreateQueue(req: CreateQueueRequest): SmpClientError | null {
    const bad = checkKeyPair(req.rcvAuthKey, 'NEW recipient key');
    if (bad !== null) return bad;
    const dh = req.rcvDhKey;
    if (!(dh.publicKey instanceof Uint8Array) || dh.publicKey.length !== 32 || !(dh.privateKey instanceof Uint8Array) || dh.privateKey.length !== 32) {
      return badRequest('NEW DH key must be an X25519 key pair of 32-byte keys');
    }
    if (req.ntfCreds !== null) {
      const nbad = checkPublicAuthKey(req.ntfCreds.notifierKey, 'NEW notifier key');
      if (nbad !== null) return nbad;
      if (req.ntfCreds.rcvNtfDhKey.alg !== 'x25519') return badRequest('NEW notifier DH key must be an X25519 key');
    }
    if (req.link === null) return null;
    if (req.queueMode === null) return badRequest('NEW with link data needs a queue mode');
    const link = req.link;
    if ((link.linkId !== null) !== (req.queueMode === 'contact')) {
      return badRequest('NEW link data must name a link ID exactly when the queue is a contact queue');
    }
    const corrId = link.corrId;
    if (!(corrId instanceof Uint8Array) || corrId.length !== NONCE_LENGTH) return badRequest('NEW link corrId must be 24 bytes');
    // The router refuses any other sender ID with CMD PROHIBITED (smp.md §6.3); say so before sending.
    if (!equalBytes(this.crypto.sha3_384(corrId).subarray(0, NONCE_LENGTH), link.senderId)) {
      return badRequest('NEW link data: the sender ID must be SHA3-384(corrId)[0..24]');
    }
    return null;
  }

  private queueCreated(req: CreateQueueRequest, onEvent: QueueEventHandler | null, msg: BrokerMsg): CreatedQueue {
    if (msg.type !== 'IDS') throw unexpected('NEW', msg);
    if (req.link !== null) {
      // The router must use the IDs the link data was made for (as the reference agent checks in mkShortLinkCreds).
      const link = req.link;
      if (!equalBytes(msg.sndId, link.senderId)) throw new SmpClientError('unexpected-response', 'NEW: the router answered with another sender ID than the link data names');
      if (link.linkId !== null && (msg.linkId === null || !equalBytes(msg.linkId, link.linkId))) {
        throw new SmpClientError('unexpected-response', 'NEW: the router answered with another link ID than the link data names');
      }
    }
    let rcvDhSecret: Uint8Array;
    try {
      rcvDhSecret = this.crypto.x25519(req.rcvDhKey.privateKey, msg.rcvPublicDhKey.raw);
    } catch (e) {
      throw new SmpClientError('unexpected-response', 'NEW: the router queue key is unusable (' + errorName(e) + ')');
    }
    const rcvId = copyBytes(msg.rcvId);
    const rcvKey: AuthPrivateKey = { alg: req.rcvAuthKey.alg, privateKey: req.rcvAuthKey.privateKey };
    if (onEvent !== null) {
      // NEW 'S' subscribed the queue on this connection (Server.hs subscribeNewQueue).
      const hex = toHex(rcvId);
      if (this.subs[hex] !== undefined) this.removeSub(hex);
      this.addSub(hex, { rcvId: rcvId, rcvKey: rcvKey, rcvDhSecret: rcvDhSecret, onEvent: onEvent, state: 'active' });
    }
    return {
      rcvId: rcvId,
      rcvKey: rcvKey,
      rcvDhSecret: rcvDhSecret,
      sndId: copyBytes(msg.sndId),
      srvDhKey: msg.rcvPublicDhKey,
      queueMode: msg.queueMode,
      linkId: msg.linkId === null ? null : copyBytes(msg.linkId),
      serviceId: msg.serviceId === null ? null : copyBytes(msg.serviceId),
      serverNtfCreds: msg.serverNtfCreds === null ? null : { notifierId: copyBytes(msg.serverNtfCreds.notifierId), rcvNtfDhKey: msg.serverNtfCreds.rcvNtfDhKey },
      subscribed: onEvent !== null,
    };
  }

  /** SUB answered: OK (below v16), SOK (v16+), or the waiting message in place of OK. */
  private subscribed(sub: Subscription, msg: BrokerMsg): SubscribeResult {
    if (msg.type !== 'OK' && msg.type !== 'SOK' && msg.type !== 'MSG') throw unexpected('SUB', msg);
    const hex = toHex(sub.rcvId);
    if (this.subs[hex] === sub) sub.state = 'active';
    if (msg.type === 'MSG') this.deliverToSubscriber(sub.rcvId, msg);
    return { serviceId: msg.type === 'SOK' && msg.serviceId !== null ? copyBytes(msg.serviceId) : null };
  }

  private deliverToSubscriber(rcvId: Uint8Array, msg: Extract<BrokerMsg, { type: 'MSG' }>): void {
    const sub = this.subs[toHex(rcvId)];
    if (sub === undefined) {
      this.stray('MSG for a queue with no subscription', rcvId);
      return;
    }
    this.emit(sub, this.openMessage(sub.rcvDhSecret, msg.msgId, msg.encBody));
  }

  /** The server-to-recipient layer (smp.md §8.2): cbDecrypt(rcvDhSecret, cbNonce(msgId), encBody). */
  private openMessage(rcvDhSecret: Uint8Array, msgIdView: Uint8Array, encBody: Uint8Array): QueueMessage {
    const msgId = copyBytes(msgIdView);
    let plaintext: Uint8Array | null;
    try {
      plaintext = cbDecrypt(this.crypto, rcvDhSecret, cbNonce(msgId), encBody);
    } catch (e) {
      // An authentic box with an impossible padding length: only a key holder could make it.
      return this.undecryptable(msgId, 'its padding is invalid');
    }
    if (plaintext === null) return this.undecryptable(msgId, 'it does not open with the queue secret');
    try {
      const body = decodeRcvMsgBody(plaintext);
      if (body.type === 'quota') return { type: 'quota', msgId: msgId, timestamp: body.ts };
      return { type: 'message', msgId: msgId, timestamp: body.ts, flags: body.flags, body: body.body };
    } catch (e) {
      return this.undecryptable(msgId, 'its plaintext is malformed');
    }
  }

  private undecryptable(msgId: Uint8Array, why: string): QueueMessage {
    this.counters.undecryptable++;
    this.note('warn', 'smp.client.undecryptable', { why: why });
    return {
      type: 'undecryptable',
      msgId: msgId,
      error: new SmpClientError('undecryptable', 'a delivered message could not be read: ' + why + '; acknowledge it so the queue continues'),
    };
  }

  private emit(sub: Subscription, event: QueueEvent): void {
    try {
      sub.onEvent(event);
    } catch (e) {
      this.counters.subscriberErrors++;
      this.note('error', 'smp.client.subscriber-threw', { event: event.type, error: errorName(e) });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Subscriptions

  private addSub(hex: string, sub: Subscription): void {
    this.subs[hex] = sub;
    this.subCount++;
    this.updateIdle();
  }

  private removeSub(hex: string): void {
    delete this.subs[hex];
    this.subCount--;
    this.updateIdle();
  }

  private removeSubIf(hex: string, sub: Subscription): void {
    if (this.subs[hex] === sub) this.removeSub(hex);
  }

  /**
   * After a reconnect: SUB again every queue that was subscribed, all in one batch, and hold every
   * other command until they are answered. The reference router runs the transmissions of one
   * block last-first (a foldrM in Server.hs `client`), so an ACK retried in the same block as its
   * queue's SUB would run on a connection without the subscription, get NO_MSG, and pass for done
   * while the message stays unacknowledged.
   */
  private resubscribeAll(): void {
    const gen = this.generation;
    const keys = Object.keys(this.subs);
    const reqs: Request[] = [];
    const batch: Uint8Array[] = [];
    // Held while the batch is built, so a SUB that fails to encode cannot release the outbox early.
    this.resubscribing++;
    for (let i = 0; i < keys.length; i++) {
      if (gen !== this.generation) return; // a subscriber told of a failure closed the client
      const sub = this.subs[keys[i]];
      if (sub === undefined || sub.state !== 'lost') continue;
      sub.state = 'resubscribing';
      this.resubscribing++;
      const req = this.makeRequest(this.resubscribeSpec(sub), true, this.config.commandTimeoutMs, this.resubscribed(gen, sub));
      const bytes = this.prepare(req);
      if (bytes !== null) {
        reqs.push(req);
        batch.push(bytes);
      }
    }
    if (batch.length > 0) this.transmit(reqs, batch);
    if (gen !== this.generation) return;
    this.resubscribing--;
    if (this.resubscribing === 0) this.pump();
  }

  private resubscribed(gen: number, sub: Subscription): Done {
    return (error: Error | null): void => {
      if (gen !== this.generation) return;
      const hex = toHex(sub.rcvId);
      if (error instanceof SmpCommandError || (error instanceof SmpClientError && error.code !== 'timeout')) {
        // Refused, or impossible on this connection (e.g. an X25519 key after a downgrade to v6):
        // asking again would only loop.
        if (this.subs[hex] === sub) {
          this.removeSub(hex);
          this.emit(sub, { type: 'resubscribe-failed', error: error });
        }
      } else if (error !== null) {
        // No answer to a SUB: the connection is not working. Start over.
        this.killConnection('resubscription timed out');
        return;
      }
      this.resubscribing--;
      if (this.resubscribing === 0) this.pump();
    };
  }

  private resubscribeSpec(sub: Subscription): RequestSpec<SubscribeResult> {
    return {
      type: 'SUB',
      entityId: sub.rcvId,
      key: sub.rcvKey,
      build: () => ({ type: 'SUB' }),
      onResponse: (msg) => this.subscribed(sub, msg),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  private call<T>(spec: RequestSpec<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.submit(spec, (error, value) => {
        if (error !== null) reject(error);
        else resolve(value as T);
      });
    });
  }

  private submit<T>(spec: RequestSpec<T>, done: Done): void {
    if (this.stateValue === 'closed') {
      if (spec.onFailed !== undefined) spec.onFailed();
      done(closedError(spec.type), undefined);
      return;
    }
    if (this.userPending >= this.config.maxPending) {
      if (spec.onFailed !== undefined) spec.onFailed();
      done(new SmpClientError('too-many-pending', spec.type + ': ' + this.userPending + ' commands are already waiting for this router; retry when some have finished'), undefined);
      return;
    }
    const req = this.makeRequest(spec, false, this.config.commandTimeoutMs, done);
    this.userPending++;
    this.updateIdle();
    this.enqueue(req);
    if (this.stateValue === 'idle') this.startConnect();
    else this.pump();
  }

  private makeRequest<T>(spec: RequestSpec<T>, internal: boolean, timeoutMs: number, done: Done): Request {
    return {
      seq: this.nextSeq++,
      type: spec.type,
      entityId: spec.entityId,
      key: spec.key,
      build: spec.build,
      fixedCorrId: spec.fixedCorrId === undefined ? null : spec.fixedCorrId,
      attempt: spec.attempt === undefined ? null : spec.attempt,
      onResponse: spec.onResponse,
      onError: spec.onError === undefined ? null : spec.onError,
      onFailed: spec.onFailed === undefined ? null : spec.onFailed,
      internal: internal,
      timeoutMs: timeoutMs,
      done: done,
      attempts: 0,
      corrHex: null,
      timer: null,
      timerToken: 0,
      finished: false,
    };
  }

  /** Queues a request in submission order (a retried one goes back before later ones). */
  private enqueue(req: Request): void {
    let i = this.outbox.length;
    this.outbox.push(req);
    while (i > 0 && this.outbox[i - 1].seq > req.seq) {
      this.outbox[i] = this.outbox[i - 1];
      i--;
    }
    this.outbox[i] = req;
    this.armTimer(req, req.timeoutMs);
  }

  /** Sends queued requests, one transmission per block so the router runs them in order. */
  private pump(): void {
    while (this.outbox.length > 0 && this.stateValue === 'connected' && this.resubscribing === 0) {
      const req = this.outbox.shift() as Request;
      const bytes = this.prepare(req);
      if (bytes !== null) this.transmit([req], [bytes]);
    }
  }

  /**
   * Encodes and authorizes one attempt and registers it in flight, BEFORE anything is written, so
   * an answer delivered synchronously by the transport finds it. Null when the request cannot be
   * encoded (it has then failed with 'bad-request').
   */
  private prepare(req: Request): Uint8Array | null {
    const params = this.params as SmpSessionParams;
    let corrId: Uint8Array;
    let made: Command | null = null;
    if (req.attempt !== null) {
      try {
        const a = req.attempt(params.version);
        corrId = a.corrId;
        made = a.command;
      } catch (e) {
        this.finish(req, e instanceof SmpClientError ? e : badRequest(req.type + ' cannot be sent: ' + errorMessage(e)), undefined);
        return null;
      }
      if (made.type !== req.type) {
        this.finish(req, badRequest(req.type + ': the attempt made a ' + made.type + ' command'), undefined);
        return null;
      }
    } else {
      corrId = req.fixedCorrId !== null ? req.fixedCorrId : this.random.bytes(NONCE_LENGTH);
    }
    const corrHex = toHex(corrId);
    if (this.inFlight[corrHex] !== undefined) {
      this.finish(req, badRequest(req.type + ': its corrId is already in use by a command in flight'), undefined);
      return null;
    }
    let bytes: Uint8Array;
    try {
      const v = params.version;
      const command = encodeCommand(v, made !== null ? made : req.build(v));
      const authorization = this.authorize(params, req.key, corrId, req.entityId, command);
      bytes = encodeTransmission(params, { authorization: authorization, corrId: corrId, entityId: req.entityId, command: command });
    } catch (e) {
      this.finish(req, e instanceof SmpClientError ? e : badRequest(req.type + ' cannot be sent: ' + errorMessage(e)), undefined);
      return null;
    }
    req.attempts++;
    req.corrHex = corrHex;
    this.inFlight[corrHex] = req;
    this.inFlightCount++;
    this.armTimer(req, req.timeoutMs);
    return bytes;
  }

  private transmit(reqs: Request[], batch: Uint8Array[]): void {
    // A callback run while preparing (a subscriber told of a failed resubscription) may have
    // closed the client or the connection; the requests were then taken care of with it.
    const transport = this.transport;
    if (transport === null) return;
    try {
      transport.send(batch);
    } catch (e) {
      // TransmissionError('large-message'): nothing was sent. The batch holds either one command
      // (which can therefore never be sent) or resubscriptions (each far below the limit).
      for (let i = 0; i < reqs.length; i++) {
        this.retire(reqs[i], false);
        this.finish(reqs[i], badRequest(reqs[i].type + ' does not fit an SMP block: ' + errorMessage(e)), undefined);
      }
    }
  }

  /**
   * X25519 keys need the router's session key (v7+; upstream fails with TENoServerAuth without it).
   * The authorized bytes are the same for the v6 layout, where the session ID is also sent.
   */
  private authorize(params: SmpSessionParams, key: AuthPrivateKey | null, corrId: Uint8Array, entityId: Uint8Array, command: Uint8Array): Uint8Array {
    if (key === null) return EMPTY;
    const authorized = authorizedBytes(params.sessionId, corrId, entityId, command);
    switch (key.alg) {
      case 'ed25519':
        return this.crypto.ed25519Sign(key.privateKey, authorized);
      case 'ed448':
        return this.crypto.ed448Sign(key.privateKey, authorized);
      case 'x25519':
        if (params.serverDhKey === null) {
          throw new SmpClientError('no-server-key', 'an X25519 command key needs the router session key of SMP v7+, and this router speaks v' + params.version);
        }
        return cbAuthenticate(this.crypto, params.serverDhKey, key.privateKey, corrId, authorized);
      default:
        throw badRequest('unknown command key algorithm');
    }
  }

  private armTimer(req: Request, ms: number): void {
    if (req.timer !== null) this.clock.cancelTimer(req.timer);
    const token = ++req.timerToken;
    req.timer = this.clock.setTimer(() => this.onRequestTimer(req, token), ms);
  }

  private onRequestTimer(req: Request, token: number): void {
    if (req.finished || token !== req.timerToken) return;
    req.timer = null;
    if (req.corrHex === null) {
      // Still queued: no connection (or none free of resubscriptions) came up in time.
      const i = this.outbox.indexOf(req);
      if (i >= 0) this.outbox.splice(i, 1);
      this.counters.timeouts++;
      const why = this.lastConnectError;
      this.finish(
        req,
        why !== null
          ? new SmpClientError('connect-failed', req.type + ': could not connect to the router: ' + why.message, why)
          : new SmpClientError('timeout', req.type + ': no working connection to the router within ' + req.timeoutMs + ' ms'),
        undefined,
      );
      this.afterQueueChange();
      return;
    }
    this.counters.timeouts++;
    this.retire(req, true);
    if (!req.internal && req.attempts < this.config.maxAttempts) {
      this.counters.retries++;
      this.note('info', 'smp.client.retry', { command: req.type, attempt: req.attempts + 1 });
      this.enqueue(req);
      this.pump();
      return;
    }
    this.finish(req, new SmpClientError('timeout', req.type + ': no answer from the router after ' + req.attempts + ' attempt(s) of ' + req.timeoutMs + ' ms'), undefined);
  }

  /** Takes a request out of flight; `expired` remembers its corrId to recognise a late answer. */
  private retire(req: Request, expired: boolean): void {
    const hex = req.corrHex;
    if (hex === null) return;
    if (this.inFlight[hex] === req) {
      delete this.inFlight[hex];
      this.inFlightCount--;
    }
    req.corrHex = null;
    if (expired && this.expired[hex] !== true) {
      this.expired[hex] = true;
      this.expiredOrder.push(hex);
      if (this.expiredOrder.length > MAX_EXPIRED) delete this.expired[this.expiredOrder.shift() as string];
    }
  }

  private finish(req: Request, error: Error | null, value: unknown): void {
    if (req.finished) return;
    req.finished = true;
    if (req.timer !== null) {
      this.clock.cancelTimer(req.timer);
      req.timer = null;
    }
    if (!req.internal) this.userPending--;
    if (error !== null && req.onFailed !== null) req.onFailed();
    this.updateIdle();
    try {
      req.done(error, value);
    } catch (e) {
      this.note('error', 'smp.client.callback-threw', { command: req.type, error: errorName(e) });
    }
  }

  private answer(req: Request, msg: BrokerMsg): void {
    if (msg.type === 'ERR') {
      if (req.onError !== null) {
        const handled = req.onError(msg.error, req.attempts > 1);
        if (handled !== null) {
          this.finish(req, null, handled.value);
          return;
        }
      }
      this.finish(req, new SmpCommandError(req.type, msg.error), undefined);
      return;
    }
    let value: unknown;
    try {
      value = req.onResponse(msg);
    } catch (e) {
      this.finish(req, e instanceof SmpClientError ? e : new SmpClientError('unexpected-response', req.type + ': ' + errorMessage(e)), undefined);
      return;
    }
    this.finish(req, null, value);
  }

  /** Queued and in-flight requests, in submission order, removed from both. */
  private takeAllRequests(): Request[] {
    const reqs = this.takeSorted(this.inFlight).concat(this.outbox);
    reqs.sort(bySeq);
    this.inFlight = {};
    this.inFlightCount = 0;
    this.outbox = [];
    this.expired = {};
    this.expiredOrder = [];
    for (let i = 0; i < reqs.length; i++) reqs[i].corrHex = null;
    return reqs;
  }

  private takeSorted(table: { [hex: string]: Request }): Request[] {
    const keys = Object.keys(table);
    const out: Request[] = [];
    for (let i = 0; i < keys.length; i++) out.push(table[keys[i]]);
    out.sort(bySeq);
    return out;
  }

  private afterQueueChange(): void {
    if (this.stateValue === 'reconnect-wait' && !this.needsConnection()) {
      if (this.reconnectTimer !== null) this.clock.cancelTimer(this.reconnectTimer);
      this.reconnectTimer = null;
      this.setState('idle');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private onTransmission(gen: number, bytes: Uint8Array): void {
    if (gen !== this.generation || this.params === null) return;
    try {
      this.receive(this.params, bytes);
    } catch (e) {
      // Nothing may escape into the transport; a throw here is a bug, so it is logged loudly.
      this.note('error', 'smp.client.receive-failed', { error: errorName(e) });
    }
  }

  private receive(params: SmpSessionParams, bytes: Uint8Array): void {
    this.lastReceived = this.clock.monotonic();
    let t: RawTransmission;
    try {
      t = parseTransmission(params, bytes);
    } catch (e) {
      this.badTransmission('it does not parse');
      return;
    }
    // The router never authorizes what it sends (smp.md §6.1); v6 names the session in each one.
    if (t.authorization.length > 0) {
      this.badTransmission('it carries an authorization');
      return;
    }
    if (t.sessionId !== null && !equalBytes(t.sessionId, params.sessionId)) {
      this.badTransmission('it names another session');
      return;
    }
    let msg: BrokerMsg;
    try {
      msg = decodeResponse(params.version, t.command);
    } catch (e) {
      this.badTransmission('its server message does not parse');
      return;
    }
    this.consecutiveBadBlocks = 0;
    this.failures = 0;
    if (t.corrId.length === 0) {
      this.onPush(t.entityId, msg);
      return;
    }
    const hex = toHex(t.corrId);
    const req = this.inFlight[hex];
    if (req === undefined) {
      if (this.expired[hex] === true) {
        this.counters.lateResponses++;
        this.note('info', 'smp.client.late-response', { message: msg.type });
        // The router counts a MSG as delivered whoever waited for it: hand it over, or the queue stalls.
        if (msg.type === 'MSG') this.deliverToSubscriber(t.entityId, msg);
        return;
      }
      this.counters.unknownCorrId++;
      this.note('warn', 'smp.client.unknown-corr-id', { message: msg.type });
      return;
    }
    if (!equalBytes(t.entityId, req.entityId) && !(msg.type === 'ERR' && t.entityId.length === 0)) {
      this.counters.wrongEntity++;
      this.note('warn', 'smp.client.wrong-entity', { command: req.type, message: msg.type, tag: tagOf(t.entityId) });
      return;
    }
    this.retire(req, false);
    this.answer(req, msg);
  }

  /** Server-initiated messages: an empty corrId (smp.md §6.3). */
  private onPush(entityId: Uint8Array, msg: BrokerMsg): void {
    switch (msg.type) {
      case 'MSG':
        this.deliverToSubscriber(entityId, msg);
        return;
      case 'END':
      case 'DELD': {
        const hex = toHex(entityId);
        const sub = this.subs[hex];
        if (sub === undefined) {
          this.stray(msg.type + ' for a queue with no subscription', entityId);
          return;
        }
        this.removeSub(hex);
        this.emit(sub, { type: msg.type === 'END' ? 'end' : 'deleted' });
        return;
      }
      case 'ERR':
        this.counters.serverErrors++;
        this.note('warn', 'smp.client.server-error', { error: errorTypeText(msg.error) });
        return;
      default:
        this.stray('unexpected ' + msg.type, entityId);
    }
  }

  private badTransmission(why: string): void {
    this.counters.badTransmissions++;
    this.note('warn', 'smp.client.bad-transmission', { why: why });
  }

  private stray(what: string, entityId: Uint8Array): void {
    this.counters.strayMessages++;
    this.note('warn', 'smp.client.stray-message', { what: what, tag: tagOf(entityId) });
  }

  private onBadBlock(gen: number, error: Error): void {
    if (gen !== this.generation) return;
    this.counters.badBlocks++;
    this.consecutiveBadBlocks++;
    this.note('warn', 'smp.client.bad-block', { error: errorName(error), run: this.consecutiveBadBlocks });
    if (this.consecutiveBadBlocks >= this.config.maxBadBlocks) this.killConnection(this.consecutiveBadBlocks + ' bad blocks in a row');
  }

  // -------------------------------------------------------------------------------------------
  // Connection

  private startConnect(): void {
    this.reconnectTimer = null;
    const gen = ++this.generation;
    if (this.connections > 0) this.counters.reconnects++;
    this.connections++;
    this.setState('connecting');
    const handlers: SmpTransportHandlers = {
      onTransmission: (bytes: Uint8Array): void => this.onTransmission(gen, bytes),
      onBadBlock: (error: Error): void => this.onBadBlock(gen, error),
      onClose: (error): void => this.onTransportClose(gen, error),
    };
    let pending: Promise<SmpTransport>;
    try {
      pending = this.connectTransport(handlers);
    } catch (e) {
      this.connectFailed(gen, e);
      return;
    }
    pending.then(
      (transport) => this.connected(gen, transport),
      (e) => this.connectFailed(gen, e),
    );
  }

  private connected(gen: number, transport: SmpTransport): void {
    if (gen !== this.generation) {
      transport.close();
      return;
    }
    try {
      this.transport = transport;
      this.params = transport.params;
      this.lastReceived = this.clock.monotonic();
      this.consecutiveBadBlocks = 0;
      this.setState('connected');
      this.lastConnectError = null;
      this.note('info', 'smp.client.connected', { version: transport.params.version });
      this.armPing(gen, this.config.pingIntervalMs);
      this.resubscribeAll();
      this.pump();
    } catch (e) {
      this.note('error', 'smp.client.connected-failed', { error: errorName(e) });
      this.killConnection('internal error');
    }
  }

  private connectFailed(gen: number, e: unknown): void {
    if (gen !== this.generation) return;
    this.generation++;
    const why = e instanceof Error ? e : new Error(String(e));
    this.lastConnectError = why;
    this.note('warn', 'smp.client.connect-failed', { error: errorName(e) });
    if (isRefusal(why)) this.failQueued(why);
    this.afterDisconnect();
  }

  /**
   * The router answered but is not the one pinned, or speaks no common version: waiting for the
   * next attempt cannot help a command the user is waiting on, so queued commands fail now (with
   * the reason) instead of at their timeout. Reconnection still continues for subscriptions.
   */
  private failQueued(why: Error): void {
    const queued = this.outbox.slice();
    for (let i = 0; i < queued.length; i++) {
      const req = queued[i];
      if (req.internal) continue;
      const at = this.outbox.indexOf(req);
      if (at >= 0) this.outbox.splice(at, 1);
      this.finish(req, new SmpClientError('connect-failed', req.type + ': could not connect to the router: ' + why.message, why), undefined);
    }
    this.afterQueueChange();
  }

  private onTransportClose(gen: number, error: Error | null): void {
    // While connecting, the connect promise reports the outcome.
    if (gen !== this.generation || this.transport === null) return;
    this.connectionLost(error === null ? 'closed' : errorName(error));
  }

  /** Closes the current connection as dead; reconnection follows. */
  private killConnection(reason: string): void {
    const transport = this.transport;
    if (transport === null) return;
    this.connectionLost(reason);
    transport.close();
  }

  /**
   * A connection ended. Subscriptions it held are to be renewed; commands in flight are sent again
   * on the next connection unless out of attempts (their answers may be lost with it).
   */
  private connectionLost(reason: string): void {
    this.generation++;
    this.transport = null;
    this.params = null;
    this.resubscribing = 0;
    this.pingInFlight = false;
    if (this.pingTimer !== null) this.clock.cancelTimer(this.pingTimer);
    this.pingTimer = null;
    this.note('warn', 'smp.client.connection-lost', { reason: reason });
    const keys = Object.keys(this.subs);
    for (let i = 0; i < keys.length; i++) {
      const sub = this.subs[keys[i]];
      if (sub.state === 'active' || sub.state === 'resubscribing') sub.state = 'lost';
    }
    const reqs = this.takeSorted(this.inFlight);
    this.inFlight = {};
    this.inFlightCount = 0;
    this.expired = {};
    this.expiredOrder = [];
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i];
      req.corrHex = null;
      if (!req.internal && req.attempts < this.config.maxAttempts) {
        this.counters.retries++;
        this.enqueue(req);
      } else {
        this.finish(req, new SmpClientError('connection-lost', req.type + ': the connection to the router was lost before it answered (' + req.attempts + ' attempt(s))'), undefined);
      }
    }
    this.afterDisconnect();
  }

  private afterDisconnect(): void {
    if (this.stateValue === 'closed') return;
    if (this.needsConnection()) this.scheduleReconnect();
    else this.setState('idle');
  }

  private needsConnection(): boolean {
    return this.subCount > 0 || this.outbox.length > 0 || this.inFlightCount > 0;
  }

  /** Exponential backoff with "equal jitter": a random delay in [d/2, d], d = base·2^(failures−1) ≤ max. */
  private scheduleReconnect(): void {
    this.failures++;
    let d = this.config.reconnectBaseMs;
    for (let i = 1; i < this.failures && d < this.config.reconnectMaxMs; i++) d *= 2;
    if (d > this.config.reconnectMaxMs) d = this.config.reconnectMaxMs;
    const r = this.random.bytes(2);
    const delay = Math.floor(d / 2 + (((r[0] << 8) | r[1]) / 65536) * (d / 2));
    this.setState('reconnect-wait');
    this.note('info', 'smp.client.reconnect-scheduled', { delayMs: delay, failures: this.failures });
    this.reconnectTimer = this.clock.setTimer(() => {
      this.reconnectTimer = null;
      if (this.stateValue !== 'reconnect-wait') return;
      if (this.needsConnection()) this.startConnect();
      else this.setState('idle');
    }, delay);
  }

  private armPing(gen: number, ms: number): void {
    if (this.config.pingIntervalMs <= 0) return;
    if (this.pingTimer !== null) this.clock.cancelTimer(this.pingTimer);
    this.pingTimer = this.clock.setTimer(() => this.onPingTimer(gen), ms);
  }

  /** Keep-alive: PING once nothing was received for pingIntervalMs (as upstream's `monitor`). */
  private onPingTimer(gen: number): void {
    if (gen !== this.generation) return;
    this.pingTimer = null;
    const quiet = this.clock.monotonic() - this.lastReceived;
    if (quiet < this.config.pingIntervalMs) {
      this.armPing(gen, this.config.pingIntervalMs - quiet);
      return;
    }
    if (!this.pingInFlight) {
      this.pingInFlight = true;
      const req = this.makeRequest<void>(
        { type: 'PING', entityId: EMPTY, key: null, build: () => ({ type: 'PING' }), onResponse: () => undefined },
        true,
        this.config.pingTimeoutMs,
        (error) => {
          if (gen !== this.generation) return;
          this.pingInFlight = false;
          if (error !== null) this.killConnection('no answer to PING');
        },
      );
      this.enqueue(req);
      this.pump();
    }
    this.armPing(gen, this.config.pingIntervalMs);
  }

  private cancelTimers(): void {
    if (this.reconnectTimer !== null) this.clock.cancelTimer(this.reconnectTimer);
    if (this.pingTimer !== null) this.clock.cancelTimer(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
  }

  private setState(state: SmpClientState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    if (this.onStateChange === null) return;
    try {
      this.onStateChange(state);
    } catch (e) {
      this.note('error', 'smp.client.callback-threw', { callback: 'onStateChange', error: errorName(e) });
    }
  }

  private updateIdle(): void {
    const idle = this.subCount === 0 && this.userPending === 0;
    if (!idle) this.idleSinceValue = null;
    else if (this.idleSinceValue === null) this.idleSinceValue = this.clock.monotonic();
  }

  private note(level: LogLevel, event: string, fields: LogFields): void {
    try {
      this.log.write(level, event, fields);
    } catch (e) {
      // A failing log must not break the protocol.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * NEW at version v, carrying what the version can (commands.ts refuses fields a version cannot
 * carry): the queue mode from v9, link data from v15, notifier credentials from v17.
 */
function newCommand(v: number, req: CreateQueueRequest, basicAuth: string | null, subscribe: boolean): Command {
  let queueReqData: QueueReqData | null = null;
  if (req.link !== null) {
    if (v < shortLinksSMPVersion) {
      throw new SmpClientError('unsupported-version', 'NEW with link data needs SMP v' + shortLinksSMPVersion + '+, and this router speaks v' + v);
    }
    const l = req.link;
    queueReqData = l.linkId !== null
      ? { mode: 'contact', link: { linkId: l.linkId, senderId: l.senderId, fixedData: l.fixedData, userData: l.userData } }
      : { mode: 'messaging', link: { senderId: l.senderId, fixedData: l.fixedData, userData: l.userData } };
  } else if (req.queueMode !== null && v >= sndAuthKeySMPVersion) {
    queueReqData = req.queueMode === 'contact' ? { mode: 'contact', link: null } : { mode: 'messaging', link: null };
  }
  return {
    type: 'NEW',
    rcvAuthKey: { alg: req.rcvAuthKey.alg, raw: req.rcvAuthKey.publicKey },
    rcvDhKey: { alg: 'x25519', raw: req.rcvDhKey.publicKey },
    basicAuth: basicAuth,
    subMode: subscribe ? 'subscribe' : 'only-create',
    queueReqData: queueReqData,
    ntfCreds: v >= newNtfCredsSMPVersion ? req.ntfCreds : null,
  };
}

function linkReplyOf(msg: BrokerMsg, command: CommandType): QueueLinkReply {
  if (msg.type !== 'LNK') throw unexpected(command, msg);
  return { senderId: copyBytes(msg.senderId), fixedData: copyBytes(msg.fixedData), userData: copyBytes(msg.userData) };
}

function expectOk(msg: BrokerMsg, command: CommandType): void {
  if (msg.type !== 'OK') throw unexpected(command, msg);
}

function unexpected(command: CommandType, msg: BrokerMsg): SmpClientError {
  return new SmpClientError('unexpected-response', command + ' was answered with ' + msg.type);
}

function badRequest(message: string): SmpClientError {
  return new SmpClientError('bad-request', message);
}

function closedError(command: CommandType): SmpClientError {
  return new SmpClientError('closed', command + ': the client was closed');
}

/** An error's class and code for logs: never its message, which may quote a peer. */
function errorName(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? e.name + ':' + code : e.name;
  }
  return typeof e;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first bytes of a (public) entity ID, hex: lets log lines be correlated without the full ID. */
function tagOf(entityId: Uint8Array): string {
  return toHex(entityId.subarray(0, LOG_TAG_BYTES));
}

function bySeq(a: Request, b: Request): number {
  return a.seq - b.seq;
}

function mergeConfig(partial: Partial<SmpClientConfig> | undefined): SmpClientConfig {
  const d = DEFAULT_SMP_CLIENT_CONFIG;
  const p: Partial<SmpClientConfig> = partial === undefined ? {} : partial;
  return {
    commandTimeoutMs: p.commandTimeoutMs === undefined ? d.commandTimeoutMs : p.commandTimeoutMs,
    maxAttempts: p.maxAttempts === undefined ? d.maxAttempts : p.maxAttempts,
    maxPending: p.maxPending === undefined ? d.maxPending : p.maxPending,
    pingIntervalMs: p.pingIntervalMs === undefined ? d.pingIntervalMs : p.pingIntervalMs,
    pingTimeoutMs: p.pingTimeoutMs === undefined ? d.pingTimeoutMs : p.pingTimeoutMs,
    reconnectBaseMs: p.reconnectBaseMs === undefined ? d.reconnectBaseMs : p.reconnectBaseMs,
    reconnectMaxMs: p.reconnectMaxMs === undefined ? d.reconnectMaxMs : p.reconnectMaxMs,
    maxBadBlocks: p.maxBadBlocks === undefined ? d.maxBadBlocks : p.maxBadBlocks,
  };
}

// Argument checks: the same conditions the encoders would refuse later, found before the command
// waits for a connection.

const PRIVATE_KEY_LENGTH: { [alg: string]: number } = { ed25519: 32, ed448: 57, x25519: 32 };
const PUBLIC_KEY_LENGTH: { [alg: string]: number } = { ed25519: 32, ed448: 57, x25519: 32 };

function checkId(id: Uint8Array, what: string, mayBeEmpty: boolean = false): SmpClientError | null {
  if (!(id instanceof Uint8Array)) return badRequest(what + ' must be bytes');
  if (id.length > 255) return badRequest(what + ' is ' + id.length + ' bytes; at most 255 fit');
  if (id.length === 0 && !mayBeEmpty) return badRequest(what + ' is empty');
  return null;
}

function checkPrivateKey(key: AuthPrivateKey, what: string): SmpClientError | null {
  const n = PRIVATE_KEY_LENGTH[key.alg];
  if (n === undefined || !PRIVATE_KEY_LENGTH.hasOwnProperty(key.alg)) return badRequest(what + ' must be an Ed25519, Ed448 or X25519 key');
  if (!(key.privateKey instanceof Uint8Array) || key.privateKey.length !== n) return badRequest(what + ': the private key must be ' + n + ' bytes');
  return null;
}

function checkKeyPair(key: AuthKeyPair, what: string): SmpClientError | null {
  const bad = checkPrivateKey(key, what);
  if (bad !== null) return bad;
  if (!(key.publicKey instanceof Uint8Array) || key.publicKey.length !== PUBLIC_KEY_LENGTH[key.alg]) {
    return badRequest(what + ': the public key must be ' + PUBLIC_KEY_LENGTH[key.alg] + ' bytes');
  }
  return null;
}

function checkPublicAuthKey(key: PublicKey, what: string): SmpClientError | null {
  if (!PUBLIC_KEY_LENGTH.hasOwnProperty(key.alg)) return badRequest(what + ' must be an Ed25519, Ed448 or X25519 key');
  if (key.raw.length !== PUBLIC_KEY_LENGTH[key.alg]) return badRequest(what + ' must be ' + PUBLIC_KEY_LENGTH[key.alg] + ' bytes');
  return null;
}

function checkRecipient(queue: RecipientAuth, command: CommandType): SmpClientError | null {
  return checkId(queue.rcvId, command + ' recipient ID') || checkPrivateKey(queue.rcvKey, command + ' recipient key');
}

function checkSecret(secret: Uint8Array): SmpClientError | null {
  return secret instanceof Uint8Array && secret.length === 32 ? null : badRequest('the queue secret (rcvDhSecret) must be 32 bytes');
}

/** Transport failures that say the router itself is wrong (identity, protocol), not the network. */
function isRefusal(e: Error): boolean {
  if (!(e instanceof SmpTransportError)) return false;
  const c = e.code;
  return c === 'unknown-ca' || c === 'bad-chain' || c === 'bad-session' || c === 'bad-signed-key' || c === 'bad-alpn' || c === 'version';
}
