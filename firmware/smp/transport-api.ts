import { SimpleGoError } from '../../hal/errors';
import type { NetError } from '../../hal/net';
import type { VersionRange } from '../encoding/binary';
import type { SmpServer } from './address';
import type { CertChainPubKey } from './handshake';

/**
 * The contract between an SMP connection's transport (TLS, blocks, handshake, block encryption:
 * transport.ts) and the client state machine above it (client.ts). The client sees only
 * transmissions; everything about blocks and identity stays below this line.
 */

/** What the handshake settled; fixed for the life of the connection. */
export interface SmpSessionParams {
  /** The negotiated SMP version (6..18). */
  readonly version: number;
  /** tls-unique, compared with the server hello; prefixed to every authorized transmission from v7. */
  readonly sessionId: Uint8Array;
  /**
   * The server's X25519 session key from its verified signed key (v >= 7), raw 32 bytes, for
   * X25519 command authenticators; null at v6.
   */
  readonly serverDhKey: Uint8Array | null;
  /** True when blocks are encrypted with the HKDF chain (v >= 11, client key sent, not a proxy). */
  readonly blockEncryption: boolean;
  /** The server's whole version range, as its hello stated it (a proxy caps and forwards it in PKEY). */
  readonly serverVersionRange: VersionRange;
  /** The server's chain and signed session key exactly as its hello carried them (forwarded in PKEY); null at v6. */
  readonly serverCertChainPubKey: CertChainPubKey | null;
  /**
   * Proxy connections only (v >= 7): X25519(own hello key, server hello key), the key of the
   * RFWD/RRES boxes (smp.md §10.3). Null for ordinary clients, whose hello secret never leaves
   * the transport.
   */
  readonly helloSecret: Uint8Array | null;
}

export interface SmpTransportOptions {
  /** The client's SMP version range; defaults to supportedClientSMPRelayVRange (6..18). */
  readonly versionRange?: VersionRange;
  /** Connect + TLS + SMP handshake must finish within this; defaults to 30 s. */
  readonly handshakeTimeoutMs?: number;
  /**
   * True when a router connects to another router to forward proxied messages (smp.md §10): the
   * hello says proxyServer, no hello key is sent and blocks are not encrypted.
   */
  readonly proxyServer?: boolean;
}

export interface SmpTransportHandlers {
  /**
   * One transmission's bytes (one large() item of a received batch), in the order received.
   * The caller parses it with parseTransmission(version, ...).
   */
  onTransmission(bytes: Uint8Array): void;
  /**
   * A received block that failed to decrypt, had a bad length or a malformed batch. The
   * connection stays open (the reference server answers ERR BLOCK and carries on); the client
   * decides whether to tolerate it.
   */
  onBadBlock(error: Error): void;
  /** Exactly once, after close by either side; null on a close this side asked for. */
  onClose(error: SmpTransportError | NetError | null): void;
}

export interface SmpTransport {
  readonly server: SmpServer;
  readonly params: SmpSessionParams;
  /**
   * Sends transmissions (each the bytes of one encoded transmission), packing as many per block
   * as fit (packTransmissions). Throws TransmissionError('large-message') without sending
   * anything when one cannot fit a block. Writing after close is ignored.
   */
  send(transmissions: Uint8Array[]): void;
  /** Closes the TLS connection and wipes the block keys; onClose(null) follows. Idempotent. */
  close(): void;
}

export type SmpTransportErrorCode =
  | 'unknown-ca' // SHA-256 of the identity certificate differs from the address fingerprint
  | 'bad-chain' // the chain is not 2..4 certificates, or the leaf is not signed by the next one
  | 'bad-session' // the server hello's session id differs from the local tls-unique
  | 'bad-signed-key' // the hello's session key is missing or not signed by the TLS leaf key
  | 'bad-alpn' // the server did not select smp/1
  | 'version' // no common SMP version
  | 'bad-handshake' // the server hello could not be parsed
  | 'handshake-timeout'
  | 'closed'; // the peer closed mid-block or before the handshake finished

/** Why an SMP connection could not be established or was torn down. */
export class SmpTransportError extends SimpleGoError {
  constructor(code: SmpTransportErrorCode, message: string) {
    super(code, message);
    this.name = 'SmpTransportError';
  }
}
