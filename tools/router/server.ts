/**
 * The TLS listener (smp.md §3): TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256, groups X25519 and
 * X448, Ed25519/Ed448 signatures, the [server, CA] chain, a client certificate requested but not
 * required (the reference asks for one), no session tickets, and ALPN chosen as the reference
 * chooses it: the first protocol in the client's list that the router supports
 * (smp/1, h2, http/1.1). A client that offers ALPN without any of them fails the TLS handshake
 * (no_application_protocol); one that offers none gets the legacy version range (connection.ts).
 *
 * The reference also accepts TLS 1.2; this router does not (every current client uses 1.3, and
 * tls-unique under 1.2 is unconfirmed, smp.md §3.7).
 */
import { constants } from 'node:crypto';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { RouterError } from './errors';
import { Connection, type ConnectionHost } from './connection';

/** The reference server's ALPN list (Server/Main.hs). */
export const SERVER_ALPN: readonly string[] = ['smp/1', 'h2', 'http/1.1'];

export interface ListenerOptions {
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
  /** TCP accept to TLS established. */
  readonly tlsSetupTimeoutMs: number;
  readonly connectionHost: Omit<ConnectionHost, 'onClose'>;
}

export class RouterListener {
  readonly port: number;
  private readonly server: tls.Server;
  private readonly connections = new Set<Connection>();
  /** Every accepted TCP socket, including those still in the TLS handshake. */
  private readonly sockets = new Set<net.Socket>();

  private constructor(server: tls.Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static listen(options: ListenerOptions): Promise<RouterListener> {
    const identity = options.connectionHost.identity;
    const server = tls.createServer({
      key: identity.tlsKeyPem,
      cert: identity.tlsCertPem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
      ecdhCurve: 'X25519:X448',
      sigalgs: 'ed25519:ed448',
      ALPNCallback: (offer: { servername: string; protocols: string[] }) => {
        for (let i = 0; i < offer.protocols.length; i++) {
          if (SERVER_ALPN.indexOf(offer.protocols[i]) >= 0) return offer.protocols[i];
        }
        return undefined;
      },
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: options.tlsSetupTimeoutMs,
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    return new Promise<RouterListener>((resolve, reject) => {
      server.once('error', (e: Error) => {
        const code = (e as { code?: unknown }).code;
        reject(new RouterError('listen', 'cannot listen on ' + options.host + ':' + options.port + ' (' + (typeof code === 'string' ? code : e.message) + ')'));
      });
      server.listen(options.port, options.host, () => {
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : options.port;
        const listener = new RouterListener(server, port);
        listener.attach(options);
        resolve(listener);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, then closes every connection. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of Array.from(this.connections)) c.close();
      for (const socket of Array.from(this.sockets)) socket.destroy();
    });
  }

  private attach(options: ListenerOptions): void {
    const host: ConnectionHost = {
      ctx: options.connectionHost.ctx,
      identity: options.connectionHost.identity,
      limits: options.connectionHost.limits,
      onClose: (c: Connection) => {
        this.connections.delete(c);
      },
    };
    this.server.on('error', () => {
      // After listening, errors belong to single sockets, which tlsClientError reports.
    });
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('tlsClientError', (_e: Error, socket: tls.TLSSocket) => {
      // Failed or timed-out TLS handshakes: nothing to answer.
      socket.destroy();
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.setNoDelay(true); // see hal/node/net.ts: blocks must not wait for Nagle
      this.connections.add(new Connection(host, socket));
    });
  }
}
