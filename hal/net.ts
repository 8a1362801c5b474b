import { SimpleGoError } from './errors';

/**
 * TLS client sockets. SMP needs more from TLS than a plain byte stream (smp.md §3):
 * the negotiated ALPN, the peer's certificate chain exactly as sent (to pin the
 * identity certificate's fingerprint and verify the signed session key), and the
 * client Finished message (tls-unique, the SMP session id).
 *
 * Certificate verification is NOT done by the backend: SMP servers use self-signed
 * identity certificates pinned by fingerprint, so the backend only completes the
 * handshake and hands the chain to firmware/, which decides and closes on mismatch.
 */
export interface TlsConnectOptions {
  host: string;
  port: number;
  /** ALPN protocols to offer, in preference order (SMP: ["smp/1"]). */
  alpn: string[];
  /** Gives up on TCP connect plus TLS handshake after this long. */
  timeoutMs: number;
}
// No SNI option on purpose: SMP clients must never send SNI (smp.md §3.3).

export interface TlsSocketHandlers {
  /** Bytes from the peer, in order; chunk boundaries are arbitrary (not TLS records, not SMP blocks). */
  onData(data: Uint8Array): void;
  /** Called exactly once when the socket is closed, by either side; `error` is null on a clean close. */
  onClose(error: NetError | null): void;
}

export interface TlsSocket {
  /** "TLSv1.3" (SimpleGo offers nothing older). */
  readonly protocol: string;
  /** The ALPN protocol the server selected, or null if none. */
  readonly alpn: string | null;
  /** The peer's certificates, DER, leaf first, as the server sent them. */
  readonly peerCertificates: Uint8Array[];
  /** tls-unique: the client's Finished verify_data (32 bytes on TLS 1.3 with SHA-256). */
  readonly tlsUnique: Uint8Array;
  /** Queues bytes for sending. Writing after close is ignored. */
  write(data: Uint8Array): void;
  /** Closes the connection; onClose follows. Idempotent. */
  close(): void;
}

export interface Net {
  /**
   * Opens TCP and completes a TLS 1.3 handshake offering TLS_CHACHA20_POLY1305_SHA256,
   * groups X25519 and X448, signature algorithms Ed25519 and Ed448, the given ALPN and no SNI.
   * Rejects with NetError. The handlers receive nothing before the promise resolves.
   */
  connectTls(options: TlsConnectOptions, handlers: TlsSocketHandlers): Promise<TlsSocket>;
}

export type NetErrorCode =
  | 'dns' // the host name did not resolve
  | 'refused' // nothing listens there
  | 'unreachable' // no route, or the network (Wi-Fi) is down
  | 'timeout' // connect or handshake took longer than timeoutMs
  | 'tls' // the TLS handshake failed (no common cipher, group or protocol)
  | 'reset' // the peer or the network dropped the connection
  | 'io'; // anything else the platform reports

export class NetError extends SimpleGoError {
  constructor(code: NetErrorCode, message: string) {
    super(code, message);
    this.name = 'NetError';
  }
}
