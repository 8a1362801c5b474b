/**
 * Test fixtures for the SMP client: an in-process SmpTransport and a scripted router behind it.
 *
 * The router reads what the client sends with the real wire code (packTransmissions/decodeBatch,
 * parseTransmission, decodeTransmissionAuth, decodeCommand, checkCredentials), VERIFIES every
 * authorization (Ed25519/Ed448 signatures over the authorized bytes, X25519 authenticators with
 * cbVerify against its per-connection session key), and answers with real encodings
 * (encodeResponse, encodeTransmission; MSG bodies boxed with cbEncrypt as smp.md §8.2 says). It
 * keeps queue state the way Server.hs does for the commands the client uses (delivery with one
 * unacknowledged message per subscription, SUB re-delivery, ACK → next MSG, END/DELD to the
 * previous subscriber, KEY/SKEY idempotence, NO_MSG, AUTH for a missing queue), and runs the
 * transmissions of one block last-first like upstream's foldrM.
 *
 * Tests steer it: `intercept` can hold, drop or lose the answers of commands (`release` runs
 * held ones later), a connection's `deliver`/`deliverRaw`/`badBlock` send hand-made server
 * messages or garbage, `drop()` and `dead = true` kill or silence a connection, and
 * `connectMode` makes connecting fail or hang. The client only ever sees `router.connect`, an
 * `(handlers) => Promise<SmpTransport>`, so the real transport and a local router can replace
 * this one without touching the tests' use of the client.
 */
import type { Crypto, KeyPair } from '../../../hal/crypto';
import type { Random } from '../../../hal/random';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createMemoryLog, type MemoryLog } from '../../../hal/node/log';
import { createNodeRandom } from '../../../hal/node/random';
import { NetError } from '../../../hal/net';
import { cbEncrypt, cbNonce, cbVerify } from '../../../firmware/crypto/box';
import type { PublicKey } from '../../../firmware/crypto/keys';
import { equalBytes, toHex } from '../../../firmware/encoding/bytes';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';
import { SmpClient, type AuthKeyPair, type SmpClientConfig } from '../../../firmware/smp/client';
import { checkCredentials, decodeCommand, type Command, type MsgFlags, type QueueMode } from '../../../firmware/smp/commands';
import { ProtocolParseError, commandErrorOf, type ErrorType } from '../../../firmware/smp/errors';
import { encodeRcvMsgBody, RCV_MSG_PADDED_LENGTH } from '../../../firmware/smp/message';
import { encodeResponse, type BrokerMsg } from '../../../firmware/smp/responses';
import {
  authCmdsSMPVersion,
  decodeBatch,
  decodeTransmissionAuth,
  encodeTransmission,
  encryptedBlockSMPVersion,
  packTransmissions,
  parseTransmission,
  type RawTransmission,
  type TransmissionAuth,
} from '../../../firmware/smp/transmission';
import type { SmpSessionParams, SmpTransport, SmpTransportHandlers } from '../../../firmware/smp/transport-api';
import { ManualClock } from './manual-clock';

const EMPTY = new Uint8Array(0);

export const SERVER_ADDRESS = 'smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@smp.example.org:5223';
export const TEST_SERVER: SmpServer = parseSmpServer(SERVER_ADDRESS).server;

/** Lets every pending promise callback and queued delivery run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// What the router saw

export interface Received {
  readonly conn: RouterConnection;
  readonly raw: RawTransmission;
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  /** Null when the command did not parse (the router answered CMD UNKNOWN/SYNTAX). */
  readonly command: Command | null;
  readonly auth: TransmissionAuth | null;
  /** Whether the authorization verified against the key the router holds for this command. */
  verified: boolean;
}

/**
 * 'process': as normal; 'hold': keep it unanswered in `held` (release() runs it later); 'drop':
 * neither run nor answer; 'lose': run it but lose the answer (the first attempt went through).
 */
export type Interception = 'process' | 'hold' | 'drop' | 'lose';

interface Message {
  readonly msgId: Uint8Array;
  readonly ts: number;
  readonly flags: MsgFlags;
  readonly body: Uint8Array;
}

export interface RouterQueue {
  readonly rcvId: Uint8Array;
  readonly sndId: Uint8Array;
  readonly rcvKey: PublicKey;
  readonly rcvDhSecret: Uint8Array;
  readonly mode: QueueMode | null;
  senderKey: PublicKey | null;
  off: boolean;
  messages: Message[];
  delivered: Message | null;
  subscriber: RouterConnection | null;
  getConn: RouterConnection | null;
  notifierId: Uint8Array | null;
  blocked: ErrorType | null;
}

// ---------------------------------------------------------------------------------------------
// The connection

export class RouterConnection implements SmpTransport {
  readonly server: SmpServer;
  readonly params: SmpSessionParams;
  readonly sessionKey: KeyPair;
  closed = false;
  /** Silenced: everything sent is recorded but neither processed nor answered. */
  dead = false;
  /** Every batch the client passed to send(), as given. */
  readonly sent: Uint8Array[][] = [];
  private readonly router: TestRouter;
  private readonly handlers: SmpTransportHandlers;

  constructor(router: TestRouter, handlers: SmpTransportHandlers, version: number) {
    this.router = router;
    this.handlers = handlers;
    this.server = TEST_SERVER;
    this.sessionKey = router.sessionKey ?? router.crypto.x25519KeyPair();
    this.params = {
      version,
      sessionId: router.sessionId ?? router.random.bytes(32),
      serverDhKey: version >= authCmdsSMPVersion ? this.sessionKey.publicKey : null,
      blockEncryption: version >= encryptedBlockSMPVersion,
      serverVersionRange: { min: 6, max: version },
      serverCertChainPubKey: null,
      helloSecret: null,
    };
  }

  send(transmissions: Uint8Array[]): void {
    if (this.closed) return;
    const packed = packTransmissions(transmissions);
    for (const p of packed) if (!p.ok) throw p.error; // the contract: nothing is sent
    this.sent.push(transmissions);
    if (this.dead) return;
    for (const p of packed) if (p.ok) this.router.receiveBlock(this, decodeBatch(p.content));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.router.connectionClosed(this);
    later(() => this.handlers.onClose(null));
  }

  /** The router side ends the connection. */
  drop(error: NetError | null = new NetError('reset', 'connection reset by the test')): void {
    if (this.closed) return;
    this.closed = true;
    this.router.connectionClosed(this);
    later(() => this.handlers.onClose(error));
  }

  /** Delivers transmissions to the client, as the blocks a real transport would carry them in. */
  deliver(transmissions: Uint8Array[]): void {
    if (transmissions.length === 0) return;
    const packed = packTransmissions(transmissions);
    later(() => {
      if (this.closed) return;
      for (const p of packed) {
        if (!p.ok) throw p.error;
        for (const t of decodeBatch(p.content)) this.handlers.onTransmission(t);
      }
    });
  }

  /** Bytes straight into onTransmission, however malformed. */
  deliverRaw(bytes: Uint8Array[]): void {
    later(() => {
      if (!this.closed) for (const b of bytes) this.handlers.onTransmission(b);
    });
  }

  badBlock(error: Error): void {
    later(() => {
      if (!this.closed) this.handlers.onBadBlock(error);
    });
  }

  /** One server transmission in this connection's layout. */
  encode(corrId: Uint8Array, entityId: Uint8Array, msg: BrokerMsg): Uint8Array {
    return encodeTransmission(this.params, { authorization: EMPTY, corrId, entityId, command: encodeResponse(this.params.version, msg) });
  }
}

function later(fn: () => void): void {
  void Promise.resolve().then(fn);
}

// ---------------------------------------------------------------------------------------------
// The router

export interface TestRouterOptions {
  version?: number;
  basicAuth?: string | null;
  quota?: number;
  /** Fixed session ID and X25519 session key for every connection (for known-answer tests). */
  sessionId?: Uint8Array;
  sessionKey?: KeyPair;
}

export class TestRouter {
  readonly crypto: Crypto;
  readonly random: Random;
  /** The version of the next connection. */
  version: number;
  basicAuth: string | null;
  quota: number;
  connectMode: 'accept' | 'refuse' | 'hang' = 'accept';
  connectAttempts = 0;
  readonly connections: RouterConnection[] = [];
  readonly received: Received[] = [];
  readonly held: Received[] = [];
  /** Asked about every parsed transmission before it is processed. */
  intercept: ((r: Received) => Interception) | null = null;
  readonly queues: { [rcvHex: string]: RouterQueue } = {};
  private readonly senders: { [sndHex: string]: string } = {};
  /** The time MSG bodies carry, seconds. */
  ts = 1641032645;
  readonly sessionId: Uint8Array | null;
  readonly sessionKey: KeyPair | null;

  constructor(options: TestRouterOptions = {}) {
    this.random = createNodeRandom();
    this.crypto = createNodeCrypto(this.random);
    this.version = options.version ?? 18;
    this.basicAuth = options.basicAuth ?? null;
    this.quota = options.quota ?? 128;
    this.sessionId = options.sessionId ?? null;
    this.sessionKey = options.sessionKey ?? null;
  }

  /** The SmpClient's `connect`. */
  readonly connect = (handlers: SmpTransportHandlers): Promise<SmpTransport> => {
    this.connectAttempts++;
    if (this.connectMode === 'hang') return new Promise<SmpTransport>(() => undefined);
    if (this.connectMode === 'refuse') return Promise.reject(new NetError('refused', 'connection refused by the test'));
    const conn = new RouterConnection(this, handlers, this.version);
    this.connections.push(conn);
    return Promise.resolve(conn);
  };

  get current(): RouterConnection {
    const c = this.connections[this.connections.length - 1];
    if (c === undefined) throw new Error('no connection yet');
    return c;
  }

  /** Commands received (parsed ones), optionally of one type. */
  commands(type?: string): Received[] {
    return this.received.filter((r) => r.command !== null && (type === undefined || r.command.type === type));
  }

  queueBySender(sndId: Uint8Array): RouterQueue | undefined {
    const rcvHex = this.senders[toHex(sndId)];
    return rcvHex === undefined ? undefined : this.queues[rcvHex];
  }

  // ---- receiving

  receiveBlock(conn: RouterConnection, items: Uint8Array[]): void {
    const parsed: Array<Received | Uint8Array> = [];
    for (const item of items) parsed.push(this.parse(conn, item));
    // Server.hs `client`: foldrM over the batch runs the last transmission first; the answers
    // keep the batch order, and the pushed messages follow them.
    const answers: Uint8Array[][] = [];
    const pushes: Uint8Array[] = [];
    for (let i = parsed.length - 1; i >= 0; i--) {
      const p = parsed[i];
      if (p instanceof Uint8Array) {
        answers[i] = [p];
        continue;
      }
      this.received.push(p);
      const decision = this.intercept === null ? 'process' : this.intercept(p);
      if (decision === 'hold') this.held.push(p);
      if (decision === 'hold' || decision === 'drop') {
        answers[i] = [];
        continue;
      }
      const out = this.process(p);
      if (decision === 'lose') {
        answers[i] = [];
        continue;
      }
      answers[i] = out.answer === null ? [] : [out.answer];
      for (const x of out.pushes) pushes.push(x);
    }
    const batch: Uint8Array[] = [];
    for (const a of answers) if (a !== undefined) for (const x of a) batch.push(x);
    conn.deliver(batch.concat(pushes));
  }

  /** Parses one transmission; a Uint8Array result is the ERR to send back at once. */
  private parse(conn: RouterConnection, item: Uint8Array): Received | Uint8Array {
    let raw: RawTransmission;
    try {
      raw = parseTransmission(conn.params, item);
    } catch {
      return conn.encode(EMPTY, EMPTY, { type: 'ERR', error: { type: 'BLOCK' } });
    }
    let auth: TransmissionAuth | null;
    try {
      auth = decodeTransmissionAuth(raw.authorization);
    } catch {
      return conn.encode(raw.corrId, EMPTY, { type: 'ERR', error: { type: 'BLOCK' } });
    }
    let command: Command | null = null;
    try {
      command = decodeCommand(conn.params.version, raw.command);
    } catch (e) {
      if (!(e instanceof ProtocolParseError)) throw e;
      const r: Received = { conn, raw, corrId: raw.corrId, entityId: raw.entityId, command: null, auth, verified: false };
      this.received.push(r);
      return conn.encode(raw.corrId, EMPTY, { type: 'ERR', error: { type: 'CMD', cmdErr: commandErrorOf(e) } });
    }
    return { conn, raw, corrId: raw.corrId, entityId: raw.entityId, command, auth, verified: false };
  }

  /** What the router answers to a command, and what it pushes because of it. */
  process(r: Received): { answer: Uint8Array | null; pushes: Uint8Array[] } {
    const conn = r.conn;
    const pushes: Uint8Array[] = [];
    const reply = (msg: BrokerMsg, entityId: Uint8Array = r.entityId): { answer: Uint8Array; pushes: Uint8Array[] } => ({
      answer: conn.encode(r.corrId, entityId, msg),
      pushes,
    });
    const err = (error: ErrorType): { answer: Uint8Array; pushes: Uint8Array[] } => reply({ type: 'ERR', error });
    const cmd = r.command as Command;
    if (r.raw.sessionId !== null && !equalBytes(r.raw.sessionId, conn.params.sessionId)) return err({ type: 'SESSION' });
    const credentials = checkCredentials(cmd, r.auth !== null, r.entityId);
    if (credentials !== null) return err({ type: 'CMD', cmdErr: credentials });

    switch (cmd.type) {
      case 'PING':
        r.verified = true;
        return reply({ type: 'PONG' });
      case 'NEW': {
        if (!this.verify(r, cmd.rcvAuthKey)) return err({ type: 'AUTH' });
        if (this.basicAuth !== null && cmd.basicAuth !== this.basicAuth) return err({ type: 'AUTH' });
        const link = cmd.queueReqData === null ? null : cmd.queueReqData.link;
        let sndId = this.random.bytes(24);
        let linkId: Uint8Array | null = null;
        if (link !== null) {
          if (!equalBytes(link.senderId, this.crypto.sha3_384(r.corrId).subarray(0, 24))) return err({ type: 'CMD', cmdErr: 'PROHIBITED' });
          if (this.senders[toHex(link.senderId)] !== undefined) return err({ type: 'AUTH' });
          sndId = link.senderId;
          linkId = cmd.queueReqData !== null && cmd.queueReqData.mode === 'contact' && cmd.queueReqData.link !== null ? cmd.queueReqData.link.linkId : this.random.bytes(24);
        }
        const srvDh = this.crypto.x25519KeyPair();
        const q: RouterQueue = {
          rcvId: this.random.bytes(24),
          sndId,
          rcvKey: cmd.rcvAuthKey,
          rcvDhSecret: this.crypto.x25519(srvDh.privateKey, cmd.rcvDhKey.raw),
          mode: cmd.queueReqData === null ? null : cmd.queueReqData.mode,
          senderKey: null,
          off: false,
          messages: [],
          delivered: null,
          subscriber: cmd.subMode === 'subscribe' ? conn : null,
          getConn: null,
          notifierId: cmd.ntfCreds === null ? null : this.random.bytes(24),
          blocked: null,
        };
        this.queues[toHex(q.rcvId)] = q;
        this.senders[toHex(q.sndId)] = toHex(q.rcvId);
        return reply(
          {
            type: 'IDS',
            rcvId: q.rcvId,
            sndId: q.sndId,
            rcvPublicDhKey: { alg: 'x25519', raw: srvDh.publicKey },
            queueMode: q.mode,
            linkId,
            serviceId: null,
            serverNtfCreds: q.notifierId === null ? null : { notifierId: q.notifierId, rcvNtfDhKey: { alg: 'x25519', raw: this.crypto.x25519KeyPair().publicKey } },
          },
          EMPTY,
        );
      }
      case 'SKEY': {
        const q = this.queueBySender(r.entityId);
        if (q === undefined || !this.verify(r, cmd.senderKey)) return err({ type: 'AUTH' });
        if (q.mode !== 'messaging') return err({ type: 'AUTH' });
        return this.secure(q, cmd.senderKey, reply, err);
      }
      case 'SEND': {
        const q = this.queueBySender(r.entityId);
        if (q === undefined) return err({ type: 'AUTH' });
        if (q.senderKey === null ? r.auth !== null : !this.verify(r, q.senderKey)) return err({ type: 'AUTH' });
        if (q.senderKey === null) r.verified = true;
        if (q.blocked !== null) return err(q.blocked);
        if (q.off) return err({ type: 'AUTH' });
        if (q.messages.length >= this.quota) return err({ type: 'QUOTA' });
        const m: Message = { msgId: this.random.bytes(24), ts: this.ts, flags: cmd.flags, body: new Uint8Array(cmd.body) };
        q.messages.push(m);
        if (q.messages.length === 1 && q.subscriber !== null && q.delivered === null) {
          q.delivered = m;
          q.subscriber.deliver([q.subscriber.encode(EMPTY, q.rcvId, this.msgOf(q, m))]);
        }
        return reply({ type: 'OK' });
      }
      default:
        break;
    }

    // Recipient commands: the queue by recipient ID, authorized by its recipient key.
    const q = this.queues[toHex(r.entityId)];
    if (q === undefined || !this.verify(r, q.rcvKey)) return err({ type: 'AUTH' });
    if (q.blocked !== null && cmd.type !== 'DEL') return err(q.blocked);
    switch (cmd.type) {
      case 'SUB': {
        if (q.getConn === conn) return err({ type: 'CMD', cmdErr: 'PROHIBITED' });
        if (q.subscriber !== null && q.subscriber !== conn) {
          const old = q.subscriber;
          old.deliver([old.encode(EMPTY, q.rcvId, { type: 'END' })]);
        }
        q.subscriber = conn;
        q.delivered = null;
        if (q.messages.length > 0) {
          q.delivered = q.messages[0];
          pushes.push(conn.encode(EMPTY, q.rcvId, this.msgOf(q, q.messages[0])));
        }
        return reply({ type: 'SOK', serviceId: null });
      }
      case 'GET': {
        if (q.subscriber === conn) return err({ type: 'CMD', cmdErr: 'PROHIBITED' });
        q.getConn = conn;
        if (q.messages.length === 0) return reply({ type: 'OK' });
        q.delivered = q.messages[0];
        return reply(this.msgOf(q, q.messages[0]));
      }
      case 'ACK': {
        const d = q.delivered;
        if ((q.subscriber !== conn && q.getConn !== conn) || d === null) return err({ type: 'NO_MSG' });
        if (cmd.msgId.length > 0 && !equalBytes(cmd.msgId, d.msgId)) return err({ type: 'NO_MSG' });
        q.messages = q.messages.filter((m) => m !== d);
        q.delivered = null;
        if (q.subscriber === conn && q.messages.length > 0) {
          q.delivered = q.messages[0];
          return reply(this.msgOf(q, q.messages[0]));
        }
        return reply({ type: 'OK' });
      }
      case 'KEY':
        return this.secure(q, cmd.senderKey, reply, err);
      case 'OFF':
        q.off = true;
        return reply({ type: 'OK' });
      case 'DEL': {
        delete this.queues[toHex(q.rcvId)];
        delete this.senders[toHex(q.sndId)];
        if (q.subscriber !== null && q.subscriber !== conn) {
          const other = q.subscriber;
          other.deliver([other.encode(EMPTY, q.rcvId, { type: 'DELD' })]);
        }
        return reply({ type: 'OK' });
      }
      case 'NKEY':
        q.notifierId = this.random.bytes(24);
        return reply({ type: 'NID', notifierId: q.notifierId, srvNtfDhKey: { alg: 'x25519', raw: this.crypto.x25519KeyPair().publicKey } });
      case 'NDEL':
        q.notifierId = null;
        return reply({ type: 'OK' });
      default:
        return err({ type: 'CMD', cmdErr: 'PROHIBITED' });
    }
  }

  private secure(
    q: RouterQueue,
    key: PublicKey,
    reply: (msg: BrokerMsg) => { answer: Uint8Array; pushes: Uint8Array[] },
    err: (e: ErrorType) => { answer: Uint8Array; pushes: Uint8Array[] },
  ): { answer: Uint8Array; pushes: Uint8Array[] } {
    if (q.senderKey === null) {
      q.senderKey = key;
      return reply({ type: 'OK' });
    }
    return q.senderKey.alg === key.alg && equalBytes(q.senderKey.raw, key.raw) ? reply({ type: 'OK' }) : err({ type: 'AUTH' });
  }

  /** Verifies r's authorization with `key` and records the outcome. */
  private verify(r: Received, key: PublicKey): boolean {
    const auth = r.auth;
    let ok = false;
    if (auth !== null) {
      if (auth.kind === 'ed25519' && key.alg === 'ed25519') ok = this.crypto.ed25519Verify(key.raw, r.raw.authorized, auth.bytes);
      else if (auth.kind === 'ed448' && key.alg === 'ed448') ok = this.crypto.ed448Verify(key.raw, r.raw.authorized, auth.bytes);
      else if (auth.kind === 'x25519' && key.alg === 'x25519' && r.conn.params.serverDhKey !== null) {
        ok = cbVerify(this.crypto, key.raw, r.conn.sessionKey.privateKey, r.corrId, r.raw.authorized, auth.bytes);
      }
    }
    r.verified = ok;
    return ok;
  }

  /** The MSG a queue's recipient gets: the body boxed with rcvDhSecret and the msgId as nonce (smp.md §8.2). */
  msgOf(q: RouterQueue, m: Message): BrokerMsg {
    const plaintext = encodeRcvMsgBody({ type: 'message', ts: m.ts, flags: m.flags, body: m.body });
    return { type: 'MSG', msgId: m.msgId, encBody: cbEncrypt(this.crypto, q.rcvDhSecret, cbNonce(m.msgId), plaintext, RCV_MSG_PADDED_LENGTH) };
  }

  /** A queue made without NEW (known-answer tests fix its IDs and keys). */
  addQueue(rcvId: Uint8Array, rcvKey: PublicKey, rcvDhSecret: Uint8Array, sndId: Uint8Array = this.random.bytes(24)): RouterQueue {
    const q: RouterQueue = {
      rcvId, sndId, rcvKey, rcvDhSecret, mode: 'messaging', senderKey: null, off: false, messages: [], delivered: null,
      subscriber: null, getConn: null, notifierId: null, blocked: null,
    };
    this.queues[toHex(rcvId)] = q;
    this.senders[toHex(sndId)] = toHex(rcvId);
    return q;
  }

  /** Puts a message on a queue directly (as if a sender had sent it), delivering it if it can. */
  enqueueMessage(q: RouterQueue, body: Uint8Array, notification: boolean = false): Message {
    const m: Message = { msgId: this.random.bytes(24), ts: this.ts, flags: { notification }, body };
    q.messages.push(m);
    if (q.messages.length === 1 && q.subscriber !== null && q.delivered === null) {
      q.delivered = m;
      q.subscriber.deliver([q.subscriber.encode(EMPTY, q.rcvId, this.msgOf(q, m))]);
    }
    return m;
  }

  /** Runs held commands as if they had just arrived and returns their encoded answers (not delivered). */
  release(held: Received[]): { answers: Uint8Array[]; pushes: Uint8Array[] } {
    const answers: Uint8Array[] = [];
    const pushes: Uint8Array[] = [];
    for (const r of held) {
      const i = this.held.indexOf(r);
      if (i >= 0) this.held.splice(i, 1);
      const out = this.process(r);
      if (out.answer !== null) answers.push(out.answer);
      for (const p of out.pushes) pushes.push(p);
    }
    return { answers, pushes };
  }

  connectionClosed(conn: RouterConnection): void {
    for (const hex of Object.keys(this.queues)) {
      const q = this.queues[hex];
      if (q.subscriber === conn) {
        q.subscriber = null;
        q.delivered = null;
      }
      if (q.getConn === conn) {
        q.getConn = null;
        q.delivered = null;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clients and keys

export interface Harness {
  readonly router: TestRouter;
  readonly clock: ManualClock;
  readonly log: MemoryLog;
  readonly client: SmpClient;
  readonly crypto: Crypto;
}

export interface HarnessOptions extends TestRouterOptions {
  config?: Partial<SmpClientConfig>;
  /** The client's password for NEW. */
  clientBasicAuth?: string | null;
  /** The client's randomness (corrIds, jitter); the router's own by default. */
  clientRandom?: Random;
}

export function harness(options: HarnessOptions = {}): Harness {
  const router = new TestRouter(options);
  const clock = new ManualClock();
  const log = createMemoryLog({ now: () => clock.now() });
  const client = new SmpClient({
    server: TEST_SERVER,
    basicAuth: options.clientBasicAuth ?? null,
    connect: router.connect,
    crypto: router.crypto,
    clock,
    random: options.clientRandom ?? router.random,
    log,
    config: options.config,
  });
  return { router, clock, log, client, crypto: router.crypto };
}

export function authKeyPair(crypto: Crypto, alg: 'ed25519' | 'ed448' | 'x25519' = 'ed25519'): AuthKeyPair {
  const kp = alg === 'ed25519' ? crypto.ed25519KeyPair() : alg === 'ed448' ? crypto.ed448KeyPair() : crypto.x25519KeyPair();
  return { alg, publicKey: kp.publicKey, privateKey: kp.privateKey };
}

export function publicOf(k: AuthKeyPair): PublicKey {
  return { alg: k.alg, raw: k.publicKey };
}

/** A Random that hands out given byte strings first (e.g. a vector's corrId), then real randomness. */
export class ScriptedRandom implements Random {
  private readonly script: Uint8Array[];
  private readonly fallback: Random = createNodeRandom();

  constructor(script: Uint8Array[]) {
    this.script = script.slice();
  }

  bytes(n: number): Uint8Array {
    const next = this.script[0];
    if (next !== undefined && next.length === n) {
      this.script.shift();
      return new Uint8Array(next);
    }
    return this.fallback.bytes(n);
  }
}
