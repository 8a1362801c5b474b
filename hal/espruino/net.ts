/**
 * The device Net backend: TLS 1.3 sockets from the native layer (hal/native-api.ts tlsConnect),
 * shaped into the hal/net.ts promise-and-handlers interface. Stock Espruino TLS cannot serve:
 * it is TLS 1.2 only, sends a bogus SNI and exposes neither the peer chain nor tls-unique
 * (espruino-target.md §4.3).
 *
 * What the adapter guarantees on top of the native events, as the interface requires:
 * - the promise settles exactly once: resolved on open, rejected with NetError otherwise;
 * - the caller's handlers hear nothing until the caller has held the socket for a turn of the
 *   event loop (events that arrive earlier are queued, then delivered in order);
 * - onClose is called exactly once, last, with null for a clean close.
 */
import type { NativeCloseCode, NativeTls, NativeTlsConnection, NativeTlsSession } from '../native-api';
import { NetError } from '../net';
import type { Net, NetErrorCode, TlsConnectOptions, TlsSocket, TlsSocketHandlers } from '../net';

const NET_CODES: NetErrorCode[] = ['dns', 'refused', 'unreachable', 'timeout', 'tls', 'reset', 'io'];

function netCode(code: string): NetErrorCode {
  for (let i = 0; i < NET_CODES.length; i++) if (NET_CODES[i] === code) return NET_CODES[i];
  return 'io';
}

function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** A queued event for the open phase: data, or the close. */
interface Pending {
  data: Uint8Array | null;
  code: NativeCloseCode;
  message: string;
}

export function createEspruinoNet(native: NativeTls, later: (fn: () => void) => void): Net {
  return {
    connectTls(options: TlsConnectOptions, handlers: TlsSocketHandlers): Promise<TlsSocket> {
      const where = options.host + ':' + options.port;
      return new Promise<TlsSocket>((resolve, reject) => {
        let opened = false;
        let settled = false;
        let live = false;
        let closeReported = false;
        const pending: Pending[] = [];
        let connection: NativeTlsConnection | null = null;

        function deliver(item: Pending): void {
          if (closeReported) return;
          if (!live) {
            pending.push(item);
            return;
          }
          if (item.data !== null) {
            handlers.onData(item.data);
            return;
          }
          closeReported = true;
          handlers.onClose(item.code === '' ? null : new NetError(netCode(item.code), item.message));
        }

        function open(session: NativeTlsSession): void {
          if (settled) return;
          settled = true;
          opened = true;
          if (session.protocol !== 'TLSv1.3' || !(session.tlsUnique instanceof Uint8Array) || session.tlsUnique.length === 0 ||
            session.peerCertificates.length === 0) {
            // A session without TLS 1.3, tls-unique or a certificate cannot carry SMP (no session binding).
            if (connection !== null) connection.close();
            reject(new NetError('tls', 'TLS connection to ' + where + ' lacks TLS 1.3, tls-unique or a certificate'));
            return;
          }
          const conn = connection as NativeTlsConnection;
          const certificates: Uint8Array[] = [];
          for (let i = 0; i < session.peerCertificates.length; i++) certificates.push(copy(session.peerCertificates[i]));
          resolve({
            protocol: session.protocol,
            alpn: session.alpn.length > 0 ? session.alpn : null,
            peerCertificates: certificates,
            tlsUnique: copy(session.tlsUnique),
            write(data: Uint8Array): void {
              if (!closeReported) conn.write(data);
            },
            close(): void {
              conn.close();
            },
          });
          // The caller's continuation runs in a microtask; `later` comes after all of them.
          later(() => {
            live = true;
            while (pending.length > 0 && !closeReported) deliver(pending.shift() as Pending);
          });
        }

        try {
          connection = native.tlsConnect(options.host, options.port, options.alpn, options.timeoutMs, {
            onOpen: open,
            onData(data: Uint8Array): void {
              if (opened) deliver({ data, code: '', message: '' });
            },
            onClose(code: NativeCloseCode, message: string): void {
              if (!opened) {
                if (settled) return;
                settled = true;
                const c = code === '' ? 'reset' : netCode(code);
                reject(new NetError(c, code === '' ? 'TLS connection to ' + where + ' closed during the handshake' : message));
                return;
              }
              deliver({ data: null, code, message });
            },
          });
        } catch (e) {
          // The native layer refused the arguments (an invalid port or host).
          settled = true;
          reject(new NetError('io', 'cannot connect to ' + where + ': ' + (e instanceof Error ? e.message : 'invalid options')));
        }
      });
    },
  };
}
