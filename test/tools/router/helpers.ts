/**
 * Router test fixtures: routers in temporary store directories, and an SMP test client over real
 * TLS (tools/router/client.ts) with the firmware encoders, signing helpers for Ed25519, Ed448 and
 * X25519 authenticators, and the recipient's side of MSG decryption.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createMemoryLog, type MemoryLog } from '../../../hal/node/log';
import { createNodeRandom } from '../../../hal/node/random';
import { cbAuthenticate, cbDecrypt, cbNonce } from '../../../firmware/crypto/box';
import type { PublicKey } from '../../../firmware/crypto/keys';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';
import { encodeCommand, type Command, type QueueReqData } from '../../../firmware/smp/commands';
import type { ErrorType } from '../../../firmware/smp/errors';
import { decodeRcvMsgBody, type RcvMsgBody } from '../../../firmware/smp/message';
import type { BrokerMsg } from '../../../firmware/smp/responses';
import { authorizedBytes } from '../../../firmware/smp/transmission';
import { SmpClient, type ReceivedTransmission, type SmpClientOptions } from '../../../tools/router/client';
import { startRouter, type Router, type RouterOptions } from '../../../tools/router/router';

export const random = createNodeRandom();
export const crypto = createNodeCrypto(random);
export const EMPTY = new Uint8Array(0);

export interface TestRouter {
  readonly router: Router;
  readonly dir: string;
  readonly log: MemoryLog;
  readonly server: SmpServer;
  /** Closes the router; `keep` leaves the store for a restart. */
  stop(keep?: boolean): Promise<void>;
}

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simplego-router-'));
  dirs.push(dir);
  return dir;
}

/** Removes every temporary store made by tempDir (call from an after() hook). */
export function removeTempDirs(): void {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
}

export async function startTestRouter(options: Partial<RouterOptions> = {}): Promise<TestRouter> {
  const dir = options.storeDir ?? tempDir();
  const log = createMemoryLog({ level: 'warn' });
  const router = await startRouter({ log: log, ...options, storeDir: dir });
  return {
    router: router,
    dir: dir,
    log: log,
    server: parseSmpServer(router.address).server,
    stop: async (keep?: boolean) => {
      await router.close();
      if (keep !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Keys

export interface AuthKey {
  readonly publicKey: PublicKey;
  /**
   * The authorization of a transmission over `authorized`. X25519 keys make an authenticator with
   * the router's hello key of the session (`serverDhKey`) and the corrId as nonce (smp.md §1.3).
   */
  authorize(serverDhKey: Uint8Array | null, corrId: Uint8Array, authorized: Uint8Array): Uint8Array;
}

export function ed25519Key(): AuthKey {
  const pair = crypto.ed25519KeyPair();
  return { publicKey: { alg: 'ed25519', raw: pair.publicKey }, authorize: (_c, _id, data) => crypto.ed25519Sign(pair.privateKey, data) };
}

export function ed448Key(): AuthKey {
  const pair = crypto.ed448KeyPair();
  return { publicKey: { alg: 'ed448', raw: pair.publicKey }, authorize: (_c, _id, data) => crypto.ed448Sign(pair.privateKey, data) };
}

/** An X25519 queue key: authorizes with the 80-byte authenticator against the router's hello key. */
export function x25519Key(): AuthKey {
  const pair = crypto.x25519KeyPair();
  return {
    publicKey: { alg: 'x25519', raw: pair.publicKey },
    authorize: (serverDhKey, corrId, data) => {
      if (serverDhKey === null) assert.fail('an X25519 authenticator needs the router hello key');
      return cbAuthenticate(crypto, serverDhKey, pair.privateKey, corrId, data);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface QueueHandle {
  readonly rcvId: Uint8Array;
  readonly sndId: Uint8Array;
  readonly rcvKey: AuthKey;
  /** X25519(server DH key, our DH private key): opens MSG bodies. */
  readonly rcvDhSecret: Uint8Array;
  readonly ids: Extract<BrokerMsg, { type: 'IDS' }>;
}

export class TestClient {
  readonly client: SmpClient;
  readonly pushes: ReceivedTransmission[] = [];
  private waiters: Array<{ match: (t: ReceivedTransmission) => boolean; resolve: (t: ReceivedTransmission) => void }> = [];
  closed = false;

  private constructor(client: SmpClient) {
    this.client = client;
  }

  static async connect(server: SmpServer, options: Partial<SmpClientOptions> = {}): Promise<TestClient> {
    let self: TestClient | null = null;
    const early: ReceivedTransmission[] = [];
    const client = await SmpClient.connect({
      server: server,
      crypto: crypto,
      ...options,
      onPush: (t) => (self !== null ? self.onPush(t) : early.push(t)),
      onClose: () => {
        if (self !== null) self.closed = true;
      },
    });
    self = new TestClient(client);
    for (const t of early) self.onPush(t);
    return self;
  }

  get version(): number {
    return this.client.version;
  }

  /** Sends a command signed by `key` (null: unsigned) and returns the response to it. */
  async request(entityId: Uint8Array, cmd: Command, key: AuthKey | null, corrId: Uint8Array = random.bytes(24)): Promise<ReceivedTransmission> {
    const command = encodeCommand(this.client.version, cmd);
    const authorization = key === null ? EMPTY : key.authorize(this.client.serverDhKey, corrId, authorizedBytes(this.client.sessionId, corrId, entityId, command));
    return this.client.request({ authorization: authorization, corrId: corrId, entityId: entityId, command: command }, 10000);
  }

  /** As request, but returns the server message only. */
  async cmd(entityId: Uint8Array, cmd: Command, key: AuthKey | null): Promise<BrokerMsg> {
    return (await this.request(entityId, cmd, key)).msg;
  }

  async newQueue(options: { key?: AuthKey; subscribe?: boolean; queueReqData?: QueueReqData | null; basicAuth?: string | null; corrId?: Uint8Array } = {}): Promise<QueueHandle> {
    const key = options.key ?? ed25519Key();
    const dh = crypto.x25519KeyPair();
    const req: QueueReqData | null = options.queueReqData !== undefined ? options.queueReqData : this.version >= 9 ? { mode: 'messaging', link: null } : null;
    const msg = (
      await this.request(
        EMPTY,
        {
          type: 'NEW',
          rcvAuthKey: key.publicKey,
          rcvDhKey: { alg: 'x25519', raw: dh.publicKey },
          basicAuth: options.basicAuth ?? null,
          subMode: options.subscribe === false ? 'only-create' : 'subscribe',
          queueReqData: req,
          ntfCreds: null,
        },
        key,
        options.corrId,
      )
    ).msg;
    if (msg.type !== 'IDS') assert.fail('NEW answered ' + describe(msg));
    return { rcvId: msg.rcvId, sndId: msg.sndId, rcvKey: key, rcvDhSecret: crypto.x25519(dh.privateKey, msg.rcvPublicDhKey.raw), ids: msg };
  }

  async send(q: QueueHandle, body: Uint8Array, senderKey: AuthKey | null = null, notification: boolean = false): Promise<BrokerMsg> {
    return this.cmd(q.sndId, { type: 'SEND', flags: { notification: notification }, body: body }, senderKey);
  }

  /** The next push matching `match` (already received or arriving within the timeout). */
  waitPush(match: (t: ReceivedTransmission) => boolean, timeoutMs: number = 10000): Promise<ReceivedTransmission> {
    for (let i = 0; i < this.pushes.length; i++) {
      if (match(this.pushes[i])) return Promise.resolve(this.pushes.splice(i, 1)[0]);
    }
    return new Promise<ReceivedTransmission>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching push within ' + timeoutMs + ' ms')), timeoutMs);
      this.waiters.push({
        match: match,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  /** The next MSG pushed for this queue. */
  nextMessage(q: QueueHandle, timeoutMs?: number): Promise<Extract<BrokerMsg, { type: 'MSG' }>> {
    return this.waitPush((t) => t.msg.type === 'MSG' && bytesEqual(t.entityId, q.rcvId), timeoutMs).then((t) => t.msg as Extract<BrokerMsg, { type: 'MSG' }>);
  }

  close(): void {
    this.client.close();
  }

  private onPush(t: ReceivedTransmission): void {
    for (let i = 0; i < this.waiters.length; i++) {
      if (this.waiters[i].match(t)) {
        const w = this.waiters.splice(i, 1)[0];
        w.resolve(t);
        return;
      }
    }
    this.pushes.push(t);
  }
}

/** Opens a MSG body as the recipient does (smp.md §8.2). */
export function openMessage(q: QueueHandle, msg: BrokerMsg): RcvMsgBody {
  if (msg.type !== 'MSG') assert.fail('expected MSG, got ' + describe(msg));
  assert.equal(msg.encBody.length, 16122, 'MSG bodies are always 16122 bytes');
  const plain = cbDecrypt(crypto, q.rcvDhSecret, cbNonce(msg.msgId), msg.encBody);
  assert.ok(plain !== null, 'MSG body does not open with rcvDhSecret and the msgId nonce');
  return decodeRcvMsgBody(plain);
}

export function messageText(q: QueueHandle, msg: BrokerMsg): string {
  const body = openMessage(q, msg);
  if (body.type !== 'message') assert.fail('expected a message, got the quota marker');
  return Buffer.from(body.body).toString('utf8');
}

export function text(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Requires msg to be ERR with exactly this error. */
export function assertErr(msg: BrokerMsg, error: ErrorType): void {
  assert.deepEqual(msg, { type: 'ERR', error: error }, 'expected ERR ' + JSON.stringify(error) + ', got ' + describe(msg));
}

export function assertOk(msg: BrokerMsg): void {
  assert.equal(msg.type, 'OK', 'expected OK, got ' + describe(msg));
}

export function describe(msg: BrokerMsg): string {
  return msg.type === 'ERR' ? 'ERR ' + JSON.stringify(msg.error) : msg.type;
}

/** Resolves after the condition holds, polling briefly (bounded; for socket closes). */
export async function eventually(condition: () => boolean, what: string, timeoutMs: number = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// Raw TLS, for the handshake and malformed-input tests

export interface RawConnection {
  readonly socket: import('node:tls').TLSSocket;
  /** The next complete 16384-byte block from the router (null if it closed first). */
  readBlock(timeoutMs?: number): Promise<Uint8Array | null>;
  /** Resolves when the router has closed the connection. */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
}

export async function rawConnect(server: SmpServer, alpn: string[] = ['smp/1']): Promise<RawConnection> {
  const tls = await import('node:tls');
  const socket = tls.connect({
    host: '127.0.0.1',
    port: server.port as number,
    ALPNProtocols: alpn,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  let buffer = Buffer.alloc(0);
  let closedFlag = false;
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    if (wake !== null) wake();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closedFlag = true;
      if (wake !== null) wake();
      resolve();
    }),
  );
  const readBlock = async (timeoutMs: number = 10000): Promise<Uint8Array | null> => {
    const deadline = Date.now() + timeoutMs;
    while (buffer.length < 16384) {
      if (closedFlag) return null;
      if (Date.now() > deadline) assert.fail('no block within ' + timeoutMs + ' ms');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
      wake = null;
    }
    const block = new Uint8Array(buffer.subarray(0, 16384));
    buffer = buffer.subarray(16384);
    return block;
  };
  return { socket: socket, readBlock: readBlock, closed: closed, isClosed: () => closedFlag };
}
