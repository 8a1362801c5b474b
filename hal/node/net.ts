import * as tls from 'node:tls';
import { NetError } from '../net';
import type { Net, NetErrorCode, TlsConnectOptions, TlsSocket, TlsSocketHandlers } from '../net';

/**
 * TLS for the desktop simulator over node:tls (OpenSSL), configured as smp.md §3.8 gives it:
 * TLS 1.3 only, TLS_CHACHA20_POLY1305_SHA256, groups X25519 and X448, signature algorithms
 * Ed25519 and Ed448, the caller's ALPN, and no SNI.
 *
 * The server certificate is NOT verified here (rejectUnauthorized: false): SMP routers present
 * self-signed identity certificates that firmware/ pins by fingerprint, so the backend hands the
 * chain over and firmware/ decides (smp.md §3.6).
 */

/** More certificates than any SMP chain (2..4, smp.md §3.4) can hold; bounds the chain walk. */
const MAX_CHAIN = 16;
/** How long close() waits for the peer to answer our close_notify/FIN before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

/** Node's error codes grouped into the interface's (exported for its table test). */
export function netErrorCodeOf(e: unknown): NetErrorCode {
  let code = (e as { code?: unknown } | null)?.code;
  // With autoSelectFamily (Node 20 default) a failure on every address is an AggregateError.
  if (typeof code !== 'string') {
    const inner = (e as { errors?: unknown } | null)?.errors;
    if (Array.isArray(inner) && inner.length > 0) code = (inner[0] as { code?: unknown } | null)?.code;
  }
  if (typeof code !== 'string') return 'io';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return 'dns';
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'EPROTO':
      return 'tls';
  }
  // OpenSSL failures and alerts: ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL, ERR_SSL_NO_SHARED_CIPHER, ...
  if (code.indexOf('ERR_SSL_') === 0 || code.indexOf('ERR_TLS_') === 0) return 'tls';
  return 'io';
}

function toNetError(e: unknown, host: string, port: number): NetError {
  const code = netErrorCodeOf(e);
  const detail = (e as { code?: unknown } | null)?.code;
  return new NetError(code, 'TLS connection to ' + host + ':' + port + ' failed: ' + code + (typeof detail === 'string' ? ' (' + detail + ')' : ''));
}

/**
 * A plain Uint8Array view of a Buffer's bytes: no copy, and no Buffer methods leaking into
 * firmware/. Node gives every decrypted chunk an ArrayBuffer of exactly its size (observed on
 * Node 20.20 for 19-byte and 16384-byte records), so the view's .buffer exposes nothing else.
 */
function view(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

function copyOf(buf: Buffer): Uint8Array {
  return new Uint8Array(buf);
}

/**
 * The peer's certificates as the server sent them, leaf first.
 *
 * Why getPeerX509Certificate and not getPeerCertificate(true): the latter rebuilds the chain by
 * issuer matching, dropping certificates outside the issuance path and reordering the rest (on
 * Node 20.20 a server sending [leaf, other, CA] came back as [leaf, CA]); SMP pins chain[1] by
 * position, so that would pin the wrong certificate. getPeerX509Certificate's issuerCertificate
 * links instead follow OpenSSL's peer chain in the order of the TLS Certificate message.
 * Node builds them by consuming its internal copy of that chain (a second call returns
 * undefined), so this runs exactly once per connection, and nothing may call getPeerCertificate
 * on the socket afterwards. The test "returns the chain in the order sent" guards this behaviour
 * against Node upgrades.
 */
function peerChain(socket: tls.TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert = socket.getPeerX509Certificate();
  while (cert !== undefined && chain.length < MAX_CHAIN) {
    chain.push(copyOf(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function createNodeNet(): Net {
  return {
    connectTls(options: TlsConnectOptions, handlers: TlsSocketHandlers): Promise<TlsSocket> {
      const host = options.host;
      const port = options.port;
      return new Promise<TlsSocket>((resolve, reject) => {
        let socket: tls.TLSSocket;
        try {
          socket = tls.connect({
            host,
            port,
            ALPNProtocols: options.alpn,
            minVersion: 'TLSv1.3',
            maxVersion: 'TLSv1.3',
            ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
            ecdhCurve: 'X25519:X448',
            sigalgs: 'ed25519:ed448',
            rejectUnauthorized: false,
            // No `servername`: Node then sends no SNI (smp.md §3.3), which SMP requires.
          });
          // SMP is request/response in 16 KB blocks: Nagle would hold a block's last segment
          // until the previous one is ACKed (measured: ~44 ms per round trip on loopback).
          socket.setNoDelay(true);
        } catch (e) {
          // Synchronous failures: an invalid port or option.
          reject(new NetError('io', 'cannot connect to ' + host + ':' + port + ': ' + (e instanceof Error ? e.message : 'invalid options')));
          return;
        }

        // Connection phase: the promise is pending. Open phase: events go to the handlers, but
        // only after the promise has resolved and the caller has had a turn (see deliver()).
        let open = false;
        let live = false; // the caller's handlers may now be called
        let closeReported = false;
        let error: NetError | null = null;
        const pending: Array<Uint8Array | null> = []; // data chunks, then null for "closed"
        let closeTimer: NodeJS.Timeout | null = null;

        const timer = setTimeout(() => {
          if (open) return;
          error = new NetError('timeout', 'TLS connection to ' + host + ':' + port + ' not established within ' + options.timeoutMs + ' ms');
          socket.destroy();
        }, options.timeoutMs);

        function reportClose(): void {
          if (closeReported) return;
          closeReported = true;
          if (closeTimer !== null) clearTimeout(closeTimer);
          handlers.onClose(error);
        }

        function deliver(item: Uint8Array | null): void {
          if (!live) {
            pending.push(item);
            return;
          }
          if (item === null) reportClose();
          else if (!closeReported) handlers.onData(item);
        }

        socket.on('data', (buf: Buffer) => {
          if (open) deliver(view(buf));
        });

        socket.on('error', (e: Error) => {
          // The first error names the cause; the ones that follow a destroy() add nothing.
          if (error === null) error = toNetError(e, host, port);
        });

        socket.once('close', () => {
          clearTimeout(timer);
          if (!open) {
            reject(error ?? new NetError('reset', 'TLS connection to ' + host + ':' + port + ' closed during the handshake'));
            return;
          }
          deliver(null);
        });

        socket.once('secureConnect', () => {
          clearTimeout(timer);
          const protocol = socket.getProtocol();
          const finished = socket.getFinished();
          const certificates = peerChain(socket);
          if (protocol !== 'TLSv1.3' || finished === undefined || certificates.length === 0) {
            // Cannot happen with the options above; refuse rather than run SMP without a session binding.
            error = new NetError('tls', 'TLS connection to ' + host + ':' + port + ' lacks TLS 1.3, tls-unique or a certificate');
            socket.destroy();
            return;
          }
          open = true;
          const alpn = socket.alpnProtocol;
          const tlsSocket: TlsSocket = {
            protocol,
            alpn: typeof alpn === 'string' && alpn.length > 0 ? alpn : null,
            peerCertificates: certificates,
            tlsUnique: copyOf(finished),
            write(data: Uint8Array): void {
              if (socket.destroyed || socket.writableEnded) return;
              // Copied: the caller may reuse its buffer as soon as write() returns.
              socket.write(Buffer.from(data));
            },
            close(): void {
              if (socket.destroyed || socket.writableEnded) return;
              socket.end();
              // A peer that never answers our FIN must not hold the socket (and onClose) forever.
              closeTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
              closeTimer.unref();
            },
          };
          resolve(tlsSocket);
          // The caller's continuation runs in a microtask; setImmediate comes after all of them,
          // so the caller holds the socket before its handlers hear anything.
          setImmediate(() => {
            live = true;
            while (pending.length > 0) deliver(pending.shift() as Uint8Array | null);
          });
        });
      });
    },
  };
}
