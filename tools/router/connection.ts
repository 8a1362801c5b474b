/**
 * One client connection (smp.md §4, §5; the reference's `smpServerHandshake`, `receive`, `send`):
 * the SMP handshake over an established TLS socket, 16384-byte blocks and batches in both
 * directions, block encryption, and the ordered outbox of replies.
 *
 * Handshake: the router speaks first (its hello: version range, session id = tls-unique, the
 * certificate chain and a fresh X25519 key signed by the online key); the client answers with its
 * hello. A wrong fingerprint (keyHash), a version outside the offered range, an unparseable hello
 * or no hello within the handshake timeout closes the connection without a word, as the
 * reference does.
 *
 * Replies leave in the order their commands arrived; one whose change must reach the disk first
 * holds back the ones behind it (they are few: syncs are grouped). Forwarded commands (PRXY,
 * PFWD, RFWD) answer when done, out of order. Flow control: while too many replies wait, or the
 * socket's send buffer is full (a client that does not read), the router stops reading from
 * this connection, so TCP pushes back on the client; it never drops a reply and never buffers
 * without bound.
 */
import type { TLSSocket } from 'node:tls';
import { equalBytes, wipe } from '../../firmware/encoding/bytes';
import { DecodeError, EncodeError } from '../../firmware/encoding/errors';
import { decryptBlock, encryptBlock, initBlockCipher, wipeBlockCipher, type BlockCipher } from '../../firmware/smp/block-cipher';
import { decodeClientHello, encodeServerHello, isVersionInRange, type ClientHello } from '../../firmware/smp/handshake';
import { encodeResponse } from '../../firmware/smp/responses';
import {
  decodeBatch,
  decodeBlock,
  encodeBlock,
  encodeTransmission,
  encryptedBlockSMPVersion,
  legacyServerSMPRelayVRange,
  packTransmissions,
  SMP_BLOCK_SIZE,
  supportedServerSMPRelayVRange,
} from '../../firmware/smp/transmission';
import type { VersionRange } from '../../firmware/encoding/binary';
import { encodeSignedKey } from '../../firmware/x509/certificate';
import { errorReply, logFailure, now } from './commands';
import type { Outcome, Reply, RouterContext, Session, Sub } from './context';
import type { RouterIdentity } from './identity';
import { receiveTransmission } from './receive';

export interface ConnectionLimits {
  /** From TLS established to the client hello received. */
  readonly handshakeTimeoutMs: number;
  /** Replies waiting (for the disk or another router) before this connection stops being read. */
  readonly maxPendingReplies: number;
  /** Bytes queued on the socket before this connection stops being read. */
  readonly maxWriteBuffer: number;
}

export interface ConnectionHost {
  readonly ctx: RouterContext;
  readonly identity: RouterIdentity;
  readonly limits: ConnectionLimits;
  onClose(connection: Connection): void;
}

interface OutEntry {
  replies: Reply[];
  ready: boolean;
}

type State = 'handshake' | 'open' | 'closed';

const EMPTY = new Uint8Array(0);

/** Numbers connections for RouterOptions.onTransmission. */
let nextConnectionId = 1;

export class Connection implements Session {
  readonly connectionId: number;
  readonly remoteAddress: string;
  version = 0;
  readonly sessionId: Uint8Array;
  readonly helloPrivateKey: Uint8Array;
  sessionSecret: Uint8Array | null = null;
  readonly subs = new Map<string, Sub>();
  readonly notifierSubs = new Set<string>();

  private readonly host: ConnectionHost;
  private readonly socket: TLSSocket;
  private readonly offered: VersionRange;
  private state: State = 'handshake';
  private cipher: BlockCipher | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly inbox: Uint8Array[] = [];
  private readonly outbox: OutEntry[] = [];
  private forkedInFlight = 0;
  private pumpScheduled = false;
  private handshakeTimer: NodeJS.Timeout | null;

  /** Starts the SMP handshake on a socket whose TLS handshake has completed. */
  constructor(host: ConnectionHost, socket: TLSSocket) {
    this.host = host;
    this.socket = socket;
    this.connectionId = nextConnectionId++;
    this.remoteAddress = String(socket.remoteAddress) + ':' + String(socket.remotePort);
    const ctx = host.ctx;
    const finished = socket.getPeerFinished();
    this.sessionId = finished === undefined ? EMPTY : new Uint8Array(finished);
    // Without ALPN the client is a legacy one and gets v6 only (smp.md §3.2).
    const alpn = socket.alpnProtocol;
    this.offered = typeof alpn === 'string' && alpn.length > 0 ? supportedServerSMPRelayVRange : legacyServerSMPRelayVRange;
    const keys = ctx.crypto.x25519KeyPair();
    this.helloPrivateKey = keys.privateKey;

    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('drain', () => this.guard(() => this.pump()));
    socket.on('error', () => {
      // 'close' follows and does the cleanup; the cause is the client's business.
    });
    socket.once('close', () => this.onClosed());
    this.handshakeTimer = setTimeout(() => this.abort(), host.limits.handshakeTimeoutMs);

    if (this.sessionId.length === 0) {
      this.abort(); // no tls-unique, no session binding: refuse rather than guess
      return;
    }
    const signedKey = encodeSignedKey(keys.publicKey, host.identity.algorithm, host.identity.sign);
    const hello = encodeServerHello({
      versionRange: this.offered,
      sessionId: this.sessionId,
      certChainPubKey: { certChain: host.identity.chain, signedKey: signedKey },
    });
    socket.write(encodeBlock(hello));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  push(reply: Reply): void {
    if (this.state !== 'open') return;
    this.outbox.push({ replies: [reply], ready: true });
    this.schedulePump();
  }

  /** Closes the connection; its subscriptions end. */
  close(): void {
    this.abort();
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < SMP_BLOCK_SIZE) return;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    let offset = 0;
    while (all.length - offset >= SMP_BLOCK_SIZE) {
      // A view: `all` is this connection's own buffer, and whatever is kept from a block is copied.
      const block = new Uint8Array(all.buffer, all.byteOffset + offset, SMP_BLOCK_SIZE);
      offset += SMP_BLOCK_SIZE;
      if (this.state === 'handshake') {
        this.onClientHello(block);
        if (!this.isOpen) return;
      } else {
        this.inbox.push(block);
      }
    }
    this.chunks = offset === all.length ? [] : [all.subarray(offset)];
    this.buffered = all.length - offset;
    this.pump();
  }

  private onClientHello(block: Uint8Array): void {
    this.clearHandshakeTimer();
    const ctx = this.host.ctx;
    let hello: ClientHello;
    try {
      hello = decodeClientHello(decodeBlock(block));
    } catch (e) {
      if (e instanceof DecodeError) return this.abort();
      throw e;
    }
    // IDENTITY and VERSION failures: the reference closes without an answer.
    if (!equalBytes(hello.keyHash, this.host.identity.keyHash)) return this.abort();
    if (!isVersionInRange(hello.version, this.offered)) return this.abort();
    // Service clients need certificates this router does not check; it refuses them.
    if (hello.clientService !== null) return this.abort();
    this.version = hello.version;
    if (hello.authPubKey !== null) {
      try {
        this.sessionSecret = ctx.crypto.x25519(this.helloPrivateKey, hello.authPubKey.raw);
      } catch (e) {
        return this.abort(); // a low-order key: no usable secret
      }
    }
    if (this.version >= encryptedBlockSMPVersion && this.sessionSecret !== null && !hello.proxyServer) {
      this.cipher = initBlockCipher(ctx.crypto, this.sessionId, this.sessionSecret, 'server');
    }
    this.state = 'open';
  }

  /** Processes received blocks while the connection is not saturated, then sends what is ready. */
  private pump(): void {
    while (this.state === 'open' && this.inbox.length > 0 && !this.saturated()) {
      this.processBlock(this.inbox.shift() as Uint8Array);
    }
    this.flush();
    if (this.state !== 'open') return;
    if (this.saturated() || this.inbox.length > 0) this.socket.pause();
    else this.socket.resume();
  }

  private saturated(): boolean {
    const limits = this.host.limits;
    return this.outbox.length + this.forkedInFlight >= limits.maxPendingReplies || this.socket.writableLength >= limits.maxWriteBuffer;
  }

  private processBlock(block: Uint8Array): void {
    const ctx = this.host.ctx;
    let content: Uint8Array | null;
    if (this.cipher !== null) {
      content = decryptBlock(ctx.crypto, this.cipher.receive, block);
    } else {
      try {
        content = decodeBlock(block);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        content = null;
      }
    }
    let transmissions: Uint8Array[] | null = null;
    if (content !== null) {
      try {
        transmissions = decodeBatch(content);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }
    if (transmissions === null) {
      this.accept(now([errorReply(EMPTY, EMPTY, { type: 'BLOCK' })]));
      return;
    }
    for (let i = 0; i < transmissions.length; i++) this.accept(receiveTransmission(ctx, this, transmissions[i]));
  }

  private accept(outcome: Outcome): void {
    if (outcome.kind === 'now') {
      this.outbox.push({ replies: outcome.replies, ready: true });
      return;
    }
    if (outcome.kind === 'after') {
      const entry: OutEntry = { replies: outcome.replies, ready: false };
      this.outbox.push(entry);
      outcome.durable.then(
        () => {
          entry.ready = true;
          this.schedulePump();
        },
        (e: unknown) => {
          logFailure(this.host.ctx, 'store', e);
          const first = entry.replies[0];
          entry.replies = [errorReply(first.corrId, first.entityId, { type: 'INTERNAL' })];
          entry.ready = true;
          this.schedulePump();
        },
      );
      return;
    }
    this.forkedInFlight++;
    outcome.reply.then((reply) => {
      this.forkedInFlight--;
      this.push(reply);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private schedulePump(): void {
    if (this.pumpScheduled || this.state !== 'open') return;
    this.pumpScheduled = true;
    // Coalesces the replies that become ready together into shared blocks.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.guard(() => this.pump());
    });
  }

  private flush(): void {
    if (this.state !== 'open') return;
    const items: Uint8Array[] = [];
    while (this.outbox.length > 0 && this.outbox[0].ready) {
      const entry = this.outbox.shift() as OutEntry;
      for (let i = 0; i < entry.replies.length; i++) {
        const t = this.encodeReply(entry.replies[i]);
        if (t !== null) items.push(t);
      }
    }
    if (items.length === 0) return;
    const ctx = this.host.ctx;
    const batches = packTransmissions(items);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!b.ok) {
        logFailure(ctx, 'send', b.error);
        continue;
      }
      this.socket.write(this.cipher !== null ? encryptBlock(ctx.crypto, this.cipher.send, b.content) : encodeBlock(b.content));
    }
  }

  private encodeReply(reply: Reply): Uint8Array | null {
    try {
      const params = { version: this.version, sessionId: this.sessionId };
      return encodeTransmission(params, { authorization: EMPTY, corrId: reply.corrId, entityId: reply.entityId, command: encodeResponse(this.version, reply.msg) });
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      logFailure(this.host.ctx, 'encode', e);
      return null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  /**
   * Runs socket-driven work. The handlers answer every client mistake with ERR, so an exception
   * here is a router bug: it costs this connection, never the process or the other connections.
   */
  private guard(work: () => void): void {
    try {
      work();
    } catch (e) {
      logFailure(this.host.ctx, 'connection', e);
      this.abort();
    }
  }

  private abort(): void {
    this.clearHandshakeTimer();
    this.socket.destroy();
  }

  private onClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearHandshakeTimer();
    const ctx = this.host.ctx;
    for (const key of this.subs.keys()) ctx.subscribers.remove(key, this);
    for (const key of this.notifierSubs) ctx.notifierSubscribers.remove(key, this);
    this.subs.clear();
    this.notifierSubs.clear();
    this.outbox.length = 0;
    this.inbox.length = 0;
    this.chunks = [];
    if (this.cipher !== null) wipeBlockCipher(this.cipher);
    if (this.sessionSecret !== null) wipe(this.sessionSecret);
    wipe(this.helloPrivateKey);
    this.host.onClose(this);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
  }
}
