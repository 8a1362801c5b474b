import type { Clock, TimerHandle } from '../../hal/clock';
import { CryptoError, type Crypto, type KeyPair } from '../../hal/crypto';
import { SimpleGoError } from '../../hal/errors';
import type { Net, NetError, TlsSocket } from '../../hal/net';
import { copyBytes, equalBytes, wipe } from '../encoding/bytes';
import type { VersionRange } from '../encoding/binary';
import { DecodeError } from '../encoding/errors';
import type { SubjectPublicKey } from '../x509/certificate';
import { chooseTransportHost, effectivePort, type SmpServer } from './address';
import { decryptBlock, encryptBlock, initBlockCipher, wipeBlockCipher, type BlockCipher } from './block-cipher';
import { decodeServerHello, encodeClientHello, HandshakeError, negotiateVersion, type ServerHello } from './handshake';
import { verifyHelloSessionKey, verifyServerChain } from './server-identity';
import {
  authCmdsSMPVersion,
  decodeBatch,
  decodeBlock,
  encodeBlock,
  encryptedBlockSMPVersion,
  packTransmissions,
  SMP_BLOCK_SIZE,
  supportedClientSMPRelayVRange,
} from './transmission';
import {
  SmpTransportError,
  type SmpSessionParams,
  type SmpTransport,
  type SmpTransportHandlers,
  type SmpTransportOptions,
} from './transport-api';

/**
 * The client side of an SMP connection below the transmissions (smp.md §3-§5): TLS with ALPN
 * smp/1, the server's identity pinned by the address fingerprint, the hello exchange, then
 * 16384-byte blocks, encrypted with the HKDF chain from v11.
 *
 * One connection is one small state machine driven by the Net socket's callbacks:
 *   connecting -> hello (TLS up, chain pinned, waiting for the server hello block)
 *              -> open (our hello sent; blocks flow) -> closing (we asked) -> closed
 * Any failure before `open` closes the socket and rejects the connect promise; the handlers hear
 * nothing about that connection. After `open`, the handlers hear every block and exactly one close.
 */

/** The only ALPN protocol an SMP client offers; without it servers cap the version at 6 (smp.md §3.2). */
export const SMP_ALPN = 'smp/1';
/** The default bound on connect + TLS + SMP handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30000;

/** What connectSmpTransport needs from the HAL. */
export interface SmpTransportDeps {
  readonly net: Net;
  readonly crypto: Crypto;
  readonly clock: Clock;
}

export type SmpBlockErrorCode =
  | 'undecryptable' // an encrypted block whose tag or padding did not verify
  | 'bad-length' // an unencrypted block whose length prefix exceeds the block
  | 'bad-batch'; // the block content is not a batch (count 0, truncated item, bytes after the last item)

/**
 * One received block that could not be used; given to onBadBlock. The connection carries on:
 * the chain key has advanced, so the next block opens if the server is still in step.
 */
export class SmpBlockError extends SimpleGoError {
  declare readonly code: SmpBlockErrorCode;
  constructor(code: SmpBlockErrorCode, message: string) {
    super(code, message);
    this.name = 'SmpBlockError';
  }
}

/** Per-connection counts for tests and benchmarks: sizes of traffic only, never contents. */
export interface SmpTransportCounters {
  readonly blocksSent: number;
  readonly blocksReceived: number;
  readonly badBlocks: number;
  readonly transmissionsSent: number;
  readonly transmissionsReceived: number;
}

/** An SmpTransport with its counters. */
export interface SmpTransportConnection extends SmpTransport {
  counters(): SmpTransportCounters;
}

/**
 * Connects to `server` and runs the SMP handshake. Resolves once the client hello is written and
 * the connection is ready for send(); rejects with SmpTransportError (the codes of transport-api)
 * or with the NetError of a failed TCP/TLS connection (TypeError for unusable arguments: no host,
 * a timeout that is not a positive number). Every rejection has closed the socket, and the
 * handlers hear nothing of a connection that never opened.
 *
 * The handlers run inside the Net socket's callbacks. They may be called as soon as the promise
 * has resolved, so they must not rely on the caller having stored the transport yet. They should
 * not throw: an exception closes the connection (onClose(null) follows, as after close()) and
 * propagates to the Net backend, because the rest of the byte stream can no longer be read in step.
 */
export function connectSmpTransport(
  deps: SmpTransportDeps,
  server: SmpServer,
  options: SmpTransportOptions,
  handlers: SmpTransportHandlers,
): Promise<SmpTransportConnection> {
  return new Promise<SmpTransportConnection>((resolve, reject) => {
    new Connection(deps, server, options, handlers, resolve, reject).start();
  });
}

type Phase = 'connecting' | 'hello' | 'open' | 'closing' | 'closed';

class Connection {
  private readonly deps: SmpTransportDeps;
  private readonly server: SmpServer;
  private readonly versionRange: VersionRange;
  private readonly proxyServer: boolean;
  private readonly timeoutMs: number;
  private readonly handlers: SmpTransportHandlers;
  private readonly resolve: (t: SmpTransportConnection) => void;
  private readonly reject: (e: Error) => void;

  private phase: Phase = 'connecting';
  private socket: TlsSocket | null = null;
  private timer: TimerHandle | null = null;
  /** The TLS leaf key, once the chain is pinned; the hello's session key must verify with it. */
  private leafKey: SubjectPublicKey | null = null;
  /** The client hello's X25519 key pair, between generation and the block-cipher derivation. */
  private helloKey: KeyPair | null = null;
  private cipher: BlockCipher | null = null;
  /**
   * Cuts the TLS byte stream into blocks: at most one partial block is ever held. Replaced by a
   * fresh array when a completed block is handed on as views (unencrypted content); reused when
   * decryption copied the content out.
   */
  private block: Uint8Array = new Uint8Array(SMP_BLOCK_SIZE);
  private filled = 0;

  private blocksSent = 0;
  private blocksReceived = 0;
  private badBlocks = 0;
  private transmissionsSent = 0;
  private transmissionsReceived = 0;

  constructor(
    deps: SmpTransportDeps,
    server: SmpServer,
    options: SmpTransportOptions,
    handlers: SmpTransportHandlers,
    resolve: (t: SmpTransportConnection) => void,
    reject: (e: Error) => void,
  ) {
    this.deps = deps;
    this.server = server;
    this.versionRange = options.versionRange !== undefined ? options.versionRange : supportedClientSMPRelayVRange;
    this.proxyServer = options.proxyServer === true;
    this.timeoutMs = options.handshakeTimeoutMs !== undefined ? options.handshakeTimeoutMs : DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.handlers = handlers;
    this.resolve = resolve;
    this.reject = reject;
  }

  start(): void {
    if (!(this.timeoutMs > 0 && this.timeoutMs < Infinity)) {
      this.phase = 'closed';
      this.reject(new TypeError('handshakeTimeoutMs must be a positive, finite number of milliseconds'));
      return;
    }
    // No SOCKS proxy on this device: the first non-onion host, as address.ts chooses.
    const host = chooseTransportHost(this.server.hosts, false);
    if (host === null) {
      this.phase = 'closed';
      this.reject(new TypeError('the server has no host to connect to'));
      return;
    }
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = null;
      this.fail(new SmpTransportError('handshake-timeout', 'the SMP server did not complete the handshake within ' + this.timeoutMs + ' ms'));
    }, this.timeoutMs);
    let connecting: Promise<TlsSocket>;
    try {
      connecting = this.deps.net.connectTls(
        { host: host.host, port: effectivePort(this.server), alpn: [SMP_ALPN], timeoutMs: this.timeoutMs },
        { onData: (data) => this.onData(data), onClose: (error) => this.onSocketClose(error) },
      );
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    connecting.then(
      (socket) => this.onConnected(socket),
      (error: Error) => this.fail(error),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Handshake

  private onConnected(socket: TlsSocket): void {
    if (this.phase !== 'connecting') {
      // Timed out while TLS was still coming up: nobody waits for this socket.
      socket.close();
      return;
    }
    this.socket = socket;
    this.phase = 'hello';
    if (socket.alpn !== SMP_ALPN) {
      this.fail(new SmpTransportError('bad-alpn', 'the server did not select ALPN ' + SMP_ALPN + (socket.alpn === null ? ' (it selected none)' : ' (it selected another protocol)')));
      return;
    }
    // The TLS chain is checked before any SMP byte is read, as the reference client does during
    // the TLS handshake: an impostor is refused without waiting for its hello.
    try {
      this.leafKey = verifyServerChain(this.deps.crypto, socket.peerCertificates, this.server.keyHash);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** The first block: the server hello. Either the connection opens or it fails, before returning. */
  private onServerHello(block: Uint8Array, trailing: number): void {
    const socket = this.socket as TlsSocket;
    let hello: ServerHello;
    try {
      hello = decodeServerHello(decodeBlock(block));
    } catch (e) {
      if (e instanceof DecodeError) {
        this.fail(new SmpTransportError('bad-handshake', 'the server hello is malformed: ' + e.message));
        return;
      }
      throw e;
    }
    // Nothing may follow the hello until the server has read ours, which is only written below.
    if (trailing > 0) {
      this.fail(new SmpTransportError('bad-handshake', 'the server sent ' + trailing + ' bytes after its hello before the client hello'));
      return;
    }
    const tlsUnique = socket.tlsUnique;
    if (tlsUnique.length === 0 || !equalBytes(hello.sessionId, tlsUnique)) {
      this.fail(new SmpTransportError('bad-session', "the server hello's session id is not this TLS session's (tls-unique): the connection may be intercepted"));
      return;
    }
    let version: number;
    try {
      version = negotiateVersion(hello.versionRange, this.versionRange, this.proxyServer).version;
    } catch (e) {
      if (e instanceof HandshakeError) {
        this.fail(new SmpTransportError('version', e.message));
        return;
      }
      throw e;
    }

    let serverDhKey: Uint8Array | null = null;
    try {
      if (hello.certChainPubKey !== null) {
        serverDhKey = verifyHelloSessionKey(this.deps.crypto, hello.certChainPubKey, socket.peerCertificates, this.leafKey as SubjectPublicKey);
      } else if (version >= authCmdsSMPVersion) {
        // Upstream treats the key as optional, but from v7 SimpleGo needs it for X25519
        // authenticators and block encryption; only a legacy (v6) server may omit it.
        throw new SmpTransportError('bad-signed-key', 'the server hello carries no signed session key, which SMP v' + authCmdsSMPVersion + ' and later require');
      }
    } catch (e) {
      this.fail(e as Error);
      return;
    }

    // A proxy sends a hello key too (reference: agreeSecret with proxyServer, Server/Main.hs): the
    // relay needs the shared secret to open RFWD (smp.md §10); it just gets no block encryption.
    const sendKey = version >= authCmdsSMPVersion;
    let helloSecret: Uint8Array | null = null;
    const sessionId = copyBytes(tlsUnique);
    let helloBlock: Uint8Array;
    try {
      this.helloKey = sendKey ? this.deps.crypto.x25519KeyPair() : null;
      helloBlock = encodeBlock(
        encodeClientHello({
          version: version,
          keyHash: this.server.keyHash,
          authPubKey: this.helloKey !== null ? { alg: 'x25519', raw: this.helloKey.publicKey } : null,
          proxyServer: this.proxyServer,
          clientService: null,
        }),
      );
      if (this.helloKey !== null && this.proxyServer) {
        helloSecret = this.deps.crypto.x25519(this.helloKey.privateKey, serverDhKey as Uint8Array);
      } else if (this.helloKey !== null && version >= encryptedBlockSMPVersion) {
        const dh = this.deps.crypto.x25519(this.helloKey.privateKey, serverDhKey as Uint8Array);
        this.cipher = initBlockCipher(this.deps.crypto, sessionId, dh, 'client');
        wipe(dh);
      }
    } catch (e) {
      if (e instanceof CryptoError) {
        // x25519 refused the server's key (a low-order point): it signed a key no one can use.
        this.fail(new SmpTransportError('bad-signed-key', "the server's session key is unusable for key agreement (" + e.code + ')'));
        return;
      }
      this.fail(e as Error);
      return;
    } finally {
      // The private key's only use was the block-cipher secret: gone before any block flows.
      this.wipeHelloKey();
    }

    const params: SmpSessionParams = {
      version: version,
      sessionId: sessionId,
      serverDhKey: version >= authCmdsSMPVersion ? serverDhKey : null,
      blockEncryption: this.cipher !== null,
      serverVersionRange: hello.versionRange,
      serverCertChainPubKey: hello.certChainPubKey,
      helloSecret: helloSecret,
    };
    socket.write(helloBlock);
    this.phase = 'open';
    this.cancelTimer();
    this.resolve(this.publicApi(params));
  }

  private publicApi(params: SmpSessionParams): SmpTransportConnection {
    return {
      server: this.server,
      params: params,
      send: (transmissions: Uint8Array[]) => this.send(transmissions),
      close: () => this.close(),
      counters: () => ({
        blocksSent: this.blocksSent,
        blocksReceived: this.blocksReceived,
        badBlocks: this.badBlocks,
        transmissionsSent: this.transmissionsSent,
        transmissionsReceived: this.transmissionsReceived,
      }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving

  private onData(data: Uint8Array): void {
    try {
      this.cutBlocks(data);
    } catch (e) {
      // Only a bug (ours or a handler's) gets here. The rest of `data` is unread, so the blocks
      // after it would no longer line up: end the connection rather than misread the stream.
      if (this.phase === 'hello') {
        this.fail(e as Error);
        return;
      }
      this.close();
      throw e;
    }
  }

  private cutBlocks(data: Uint8Array): void {
    let at = 0;
    while (at < data.length && (this.phase === 'hello' || this.phase === 'open')) {
      let take = SMP_BLOCK_SIZE - this.filled;
      if (take > data.length - at) take = data.length - at;
      this.block.set(data.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < SMP_BLOCK_SIZE) break;
      const block = this.block;
      this.filled = 0;
      if (this.phase === 'hello') {
        this.onServerHello(block, data.length - at);
      } else {
        // Unencrypted content reaches the handlers as views into this array, so it must not be
        // overwritten by the next block; decrypted content lives in its own array.
        if (this.cipher === null) this.block = new Uint8Array(SMP_BLOCK_SIZE);
        this.onBlock(block);
      }
    }
  }

  private onBlock(block: Uint8Array): void {
    this.blocksReceived++;
    let content: Uint8Array;
    if (this.cipher !== null) {
      const opened = decryptBlock(this.deps.crypto, this.cipher.receive, block);
      if (opened === null) {
        this.badBlock(new SmpBlockError('undecryptable', 'block ' + this.blocksReceived + ' from the server did not decrypt (bad tag or padding); skipped'));
        return;
      }
      content = opened;
    } else {
      try {
        content = decodeBlock(block);
      } catch (e) {
        if (e instanceof DecodeError) {
          this.badBlock(new SmpBlockError('bad-length', 'block ' + this.blocksReceived + ' from the server: ' + e.message));
          return;
        }
        throw e;
      }
    }
    let items: Uint8Array[];
    try {
      items = decodeBatch(content);
    } catch (e) {
      if (e instanceof DecodeError) {
        this.badBlock(new SmpBlockError('bad-batch', 'block ' + this.blocksReceived + ' from the server: ' + e.message));
        return;
      }
      throw e;
    }
    for (let i = 0; i < items.length && this.phase === 'open'; i++) {
      this.transmissionsReceived++;
      this.handlers.onTransmission(items[i]);
    }
  }

  private badBlock(error: SmpBlockError): void {
    this.badBlocks++;
    this.handlers.onBadBlock(error);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  private send(transmissions: Uint8Array[]): void {
    const batches = packTransmissions(transmissions);
    // All or nothing: a transmission that cannot fit stops the whole call before any write.
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!b.ok) throw b.error;
    }
    if (this.phase !== 'open') return;
    const socket = this.socket as TlsSocket;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!b.ok) continue;
      const block = this.cipher !== null ? encryptBlock(this.deps.crypto, this.cipher.send, b.content) : encodeBlock(b.content);
      socket.write(block);
      this.blocksSent++;
      this.transmissionsSent += b.count;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  private close(): void {
    if (this.phase !== 'open') return;
    this.phase = 'closing';
    this.wipeSecrets();
    (this.socket as TlsSocket).close();
  }

  private onSocketClose(error: NetError | null): void {
    const phase = this.phase;
    if (phase === 'connecting' || phase === 'hello') {
      this.fail(error !== null ? error : new SmpTransportError('closed', 'the server closed the connection before the SMP handshake finished'));
      return;
    }
    if (phase === 'closed') return;
    const partial = this.filled;
    this.phase = 'closed';
    this.wipeSecrets();
    if (phase === 'closing') {
      this.handlers.onClose(null);
    } else if (error !== null) {
      this.handlers.onClose(error);
    } else if (partial > 0) {
      this.handlers.onClose(new SmpTransportError('closed', 'the server closed the connection in the middle of a block (' + partial + ' of ' + SMP_BLOCK_SIZE + ' bytes)'));
    } else {
      this.handlers.onClose(new SmpTransportError('closed', 'the server closed the connection'));
    }
  }

  /** Ends a connection that never opened: closes the socket and rejects, once. */
  private fail(error: Error): void {
    if (this.phase !== 'connecting' && this.phase !== 'hello') return;
    this.phase = 'closed';
    this.cancelTimer();
    this.wipeSecrets();
    if (this.socket !== null) this.socket.close();
    this.reject(error);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.deps.clock.cancelTimer(this.timer);
      this.timer = null;
    }
  }

  private wipeHelloKey(): void {
    if (this.helloKey !== null) {
      wipe(this.helloKey.privateKey);
      this.helloKey = null;
    }
  }

  private wipeSecrets(): void {
    this.wipeHelloKey();
    if (this.cipher !== null) {
      wipeBlockCipher(this.cipher);
      this.cipher = null;
    }
    // A partial unencrypted block is plaintext.
    this.filled = 0;
    this.block.fill(0);
  }
}
