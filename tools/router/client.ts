/**
 * A small SMP client connection for Node tools: the proxy router's link to a relay (proxy.ts),
 * the router tests and the router benchmark. TLS through the HAL's node backend, the identity
 * checks of firmware/smp/server-identity.ts, the firmware hello and block formats.
 *
 * Why not firmware/smp/transport.ts: a proxy must send a hello key even as proxyServer (the relay
 * derives the p2r secret from it, smp.md §10), and must hand the relay's certChainPubKey and
 * version range to its clients in PKEY; the transport contract (transport-api.ts) exposes
 * neither. Tests also need to send malformed blocks, which a device transport rightly cannot.
 *
 * Requests are matched to responses by corrId; everything else (pushes with an empty corrId,
 * responses nobody waits for) goes to onPush.
 */
import type { Crypto, KeyPair } from '../../hal/crypto';
import type { Net, NetError, TlsSocket } from '../../hal/net';
import { createNodeNet } from '../../hal/node/net';
import type { VersionRange } from '../../firmware/encoding/binary';
import { equalBytes, wipe } from '../../firmware/encoding/bytes';
import { DecodeError } from '../../firmware/encoding/errors';
import { chooseTransportHost, effectivePort, type SmpServer } from '../../firmware/smp/address';
import { decryptBlock, encryptBlock, initBlockCipher, type BlockCipher } from '../../firmware/smp/block-cipher';
import { ProtocolParseError } from '../../firmware/smp/errors';
import { decodeServerHello, encodeClientHello, HandshakeError, negotiateVersion, type CertChainPubKey, type ServerHello } from '../../firmware/smp/handshake';
import { decodeResponse, type BrokerMsg } from '../../firmware/smp/responses';
import { verifyHelloSessionKey, verifyServerChain } from '../../firmware/smp/server-identity';
import {
  authCmdsSMPVersion,
  decodeBatch,
  decodeBlock,
  encodeBlock,
  encodeTransmission,
  encryptedBlockSMPVersion,
  packTransmissions,
  parseTransmission,
  SMP_BLOCK_SIZE,
  supportedClientSMPRelayVRange,
  type Transmission,
} from '../../firmware/smp/transmission';
import { SmpTransportError } from '../../firmware/smp/transport-api';

export interface SmpClientOptions {
  readonly server: SmpServer;
  readonly crypto: Crypto;
  /** Default: the node TLS backend. */
  readonly net?: Net;
  /** Default 6..18. */
  readonly versionRange?: VersionRange;
  /** Default ['smp/1']; [] offers no ALPN (a legacy client, v6 only). */
  readonly alpn?: string[];
  /** A router connecting to a relay: says so in its hello, so blocks are not encrypted. */
  readonly proxyServer?: boolean;
  /** Send an X25519 hello key (default true): block encryption, authenticators, the proxy secret. */
  readonly helloKey?: boolean;
  /** Connect + TLS + SMP handshake; default 30 s. */
  readonly timeoutMs?: number;
  /** Overrides the fingerprint sent in the hello (tests of the router's pinning). */
  readonly helloKeyHash?: Uint8Array;
  onPush?(t: ReceivedTransmission): void;
  /** A block or transmission that could not be read. */
  onBadInput?(error: Error): void;
  onClose?(error: NetError | null): void;
}

/** A server transmission, decoded. */
export interface ReceivedTransmission {
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly msg: BrokerMsg;
}

interface Pending {
  resolve(t: ReceivedTransmission): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | null;
}

const DEFAULT_TIMEOUT_MS = 30000;

export class SmpClient {
  /** The negotiated version. */
  readonly version: number;
  readonly sessionId: Uint8Array;
  /** The server's range intersected with ours (`thServerVRange`). */
  readonly serverRange: VersionRange;
  /** The server hello's chain and signed key, exactly as received (what a proxy puts in PKEY). */
  readonly certChainPubKey: CertChainPubKey | null;
  /** The server's X25519 hello key (raw), verified; null if it sent none. */
  readonly serverDhKey: Uint8Array | null;
  /** X25519(our hello key, the server's): the p2r secret of a proxy; null without both keys. */
  readonly sessionSecret: Uint8Array | null;
  readonly blockEncryption: boolean;

  private readonly options: SmpClientOptions;
  private readonly socket: TlsSocket;
  private readonly cipher: BlockCipher | null;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private reader: BlockReader;

  private constructor(
    options: SmpClientOptions,
    socket: TlsSocket,
    reader: BlockReader,
    hello: ServerHello,
    version: number,
    range: VersionRange,
    serverDhKey: Uint8Array | null,
    sessionSecret: Uint8Array | null,
  ) {
    this.options = options;
    this.socket = socket;
    this.reader = reader;
    this.version = version;
    this.sessionId = hello.sessionId;
    this.serverRange = range;
    this.certChainPubKey = hello.certChainPubKey;
    this.serverDhKey = serverDhKey;
    this.sessionSecret = sessionSecret;
    this.blockEncryption = version >= encryptedBlockSMPVersion && sessionSecret !== null && options.proxyServer !== true;
    this.cipher = this.blockEncryption ? initBlockCipher(options.crypto, this.sessionId, sessionSecret as Uint8Array, 'client') : null;
  }

  /** Connects and runs the handshake; rejects with SmpTransportError or NetError. */
  static connect(options: SmpClientOptions): Promise<SmpClient> {
    const net = options.net ?? createNodeNet();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const host = chooseTransportHost(options.server.hosts, false);
    if (host === null) return Promise.reject(new SmpTransportError('closed', 'the server address has no host to connect to'));
    return new Promise<SmpClient>((resolve, reject) => {
      let client: SmpClient | null = null;
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      };
      const timer = setTimeout(() => {
        fail(new SmpTransportError('handshake-timeout', 'no SMP handshake within ' + timeoutMs + ' ms'));
        if (socketRef !== null) socketRef.close();
      }, timeoutMs);
      let socketRef: TlsSocket | null = null;
      const reader = new BlockReader((block) => {
        if (client !== null) {
          client.onBlockGuarded(block);
          return;
        }
        if (socketRef === null || settled) return;
        try {
          client = SmpClient.handshake(options, socketRef, reader, block);
        } catch (e) {
          socketRef.close();
          fail(e instanceof Error ? e : new Error('handshake failed'));
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(client);
      });
      net
        .connectTls(
          { host: host.host, port: effectivePort(options.server), alpn: options.alpn ?? ['smp/1'], timeoutMs: timeoutMs },
          {
            onData: (data) => reader.push(data),
            onClose: (error) => {
              if (client !== null) client.onClosed(error);
              else fail(new SmpTransportError('closed', 'the server closed the connection during the SMP handshake'));
            },
          },
        )
        .then(
          (socket) => {
            socketRef = socket;
            if (settled) socket.close();
          },
          (e: Error) => fail(e),
        );
    });
  }

  private static handshake(options: SmpClientOptions, socket: TlsSocket, reader: BlockReader, block: Uint8Array): SmpClient {
    const crypto = options.crypto;
    let hello: ServerHello;
    try {
      hello = decodeServerHello(decodeBlock(block));
    } catch (e) {
      if (e instanceof DecodeError) throw new SmpTransportError('bad-handshake', 'the server hello does not parse: ' + e.message);
      throw e;
    }
    if (!equalBytes(hello.sessionId, socket.tlsUnique)) throw new SmpTransportError('bad-session', 'the server hello names another TLS session');
    const clientRange = options.versionRange ?? supportedClientSMPRelayVRange;
    let negotiated;
    try {
      negotiated = negotiateVersion(hello.versionRange, clientRange, options.proxyServer === true);
    } catch (e) {
      if (e instanceof HandshakeError) throw new SmpTransportError('version', e.message);
      throw e;
    }
    const v = negotiated.version;
    const leafKey = verifyServerChain(crypto, socket.peerCertificates, options.server.keyHash);
    const serverDhKey = hello.certChainPubKey === null ? null : verifyHelloSessionKey(crypto, hello.certChainPubKey, socket.peerCertificates, leafKey);
    const keys: KeyPair | null = options.helloKey !== false && v >= authCmdsSMPVersion ? crypto.x25519KeyPair() : null;
    socket.write(
      encodeBlock(
        encodeClientHello({
          version: v,
          keyHash: options.helloKeyHash ?? options.server.keyHash,
          authPubKey: keys === null ? null : { alg: 'x25519', raw: keys.publicKey },
          proxyServer: options.proxyServer === true,
          clientService: null,
        }),
      ),
    );
    let secret: Uint8Array | null = null;
    if (keys !== null && serverDhKey !== null) {
      secret = crypto.x25519(keys.privateKey, serverDhKey);
      wipe(keys.privateKey);
    }
    return new SmpClient(options, socket, reader, hello, v, negotiated.range, serverDhKey, secret);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one transmission and waits for the response with its corrId. */
  request(t: Transmission, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<ReceivedTransmission> {
    if (this.closed) return Promise.reject(new SmpTransportError('closed', 'the connection is closed'));
    const key = hexOf(t.corrId);
    if (this.pending.has(key)) return Promise.reject(new Error('a request with this corrId is already waiting'));
    return new Promise<ReceivedTransmission>((resolve, reject) => {
      const p: Pending = { resolve: resolve, reject: reject, timer: null };
      p.timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new SmpTransportError('handshake-timeout', 'no response within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      this.pending.set(key, p);
      this.send([this.encode(t)]);
    });
  }

  /** The bytes of one transmission in this connection's layout. */
  encode(t: Transmission): Uint8Array {
    return encodeTransmission({ version: this.version, sessionId: this.sessionId }, t);
  }

  /** Sends encoded transmissions, as many per block as fit. */
  send(transmissions: Uint8Array[]): void {
    const batches = packTransmissions(transmissions);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!b.ok) throw b.error;
      this.sendBlockContent(b.content);
    }
  }

  /**
   * One block with this content, encrypted when the connection encrypts (content need not be a
   * valid batch). `tamper` may change the finished block before it is sent (tests of damaged blocks:
   * the send chain still advances, as it would for a block damaged on the way).
   */
  sendBlockContent(content: Uint8Array, tamper?: (block: Uint8Array) => void): void {
    const block = this.cipher !== null ? encryptBlock(this.options.crypto, this.cipher.send, content) : encodeBlock(content);
    if (tamper !== undefined) tamper(block);
    this.socket.write(block);
  }

  /** Bytes as they are, bypassing block framing and encryption (tests of malformed input). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.close();
  }

  /** A server that makes this client throw loses the connection, never the process (a proxy router's relay). */
  private onBlockGuarded(block: Uint8Array): void {
    try {
      this.onBlock(block);
    } catch (e) {
      this.badInput(e instanceof Error ? e : new Error('unreadable block'));
      this.close();
    }
  }

  private onBlock(block: Uint8Array): void {
    let content: Uint8Array | null;
    if (this.cipher !== null) {
      content = decryptBlock(this.options.crypto, this.cipher.receive, block);
    } else {
      try {
        content = decodeBlock(block);
      } catch (e) {
        content = null;
      }
    }
    if (content === null) return this.badInput(new SmpTransportError('bad-handshake', 'a block from the server could not be read'));
    let items: Uint8Array[];
    try {
      items = decodeBatch(content);
    } catch (e) {
      return this.badInput(e instanceof Error ? e : new Error('bad batch'));
    }
    for (let i = 0; i < items.length; i++) this.onTransmission(items[i]);
  }

  private onTransmission(bytes: Uint8Array): void {
    let received: ReceivedTransmission;
    try {
      const raw = parseTransmission({ version: this.version, sessionId: this.sessionId }, bytes);
      received = { corrId: new Uint8Array(raw.corrId), entityId: new Uint8Array(raw.entityId), msg: decodeResponse(this.version, raw.command) };
    } catch (e) {
      if (e instanceof DecodeError || e instanceof ProtocolParseError) return this.badInput(e);
      throw e;
    }
    const key = hexOf(received.corrId);
    const p = received.corrId.length > 0 ? this.pending.get(key) : undefined;
    if (p !== undefined) {
      this.pending.delete(key);
      if (p.timer !== null) clearTimeout(p.timer);
      p.resolve(received);
      return;
    }
    if (this.options.onPush !== undefined) this.options.onPush(received);
  }

  private badInput(e: Error): void {
    if (this.options.onBadInput !== undefined) this.options.onBadInput(e);
  }

  private onClosed(error: NetError | null): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.reject(new SmpTransportError('closed', 'the connection closed before the response arrived'));
    }
    this.pending.clear();
    this.reader.clear();
    if (this.options.onClose !== undefined) this.options.onClose(error);
  }
}

/** Cuts a byte stream into 16384-byte blocks. */
class BlockReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private readonly onBlock: (block: Uint8Array) => void;

  constructor(onBlock: (block: Uint8Array) => void) {
    this.onBlock = onBlock;
  }

  push(data: Uint8Array): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (this.buffered >= SMP_BLOCK_SIZE) {
      const all = concat(this.chunks, this.buffered);
      const block = all.subarray(0, SMP_BLOCK_SIZE);
      this.chunks = all.length > SMP_BLOCK_SIZE ? [all.subarray(SMP_BLOCK_SIZE)] : [];
      this.buffered -= SMP_BLOCK_SIZE;
      this.onBlock(block);
    }
  }

  clear(): void {
    this.chunks = [];
    this.buffered = 0;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
