import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { toHex } from '../../../firmware/encoding/bytes';
import { NetError } from '../../../hal/net';
import type { NetErrorCode, TlsSocket } from '../../../hal/net';
import { createNodeNet, netErrorCodeOf } from '../../../hal/node/net';
import { makeChain, pem, type TestChain } from './tls-chain';

const tlsNet = createNodeNet();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Polls until `cond` holds; fails after `ms` (every wait in this file is bounded). */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Listens on 127.0.0.1:0 and registers the server (and every connection) for closing after the test. */
async function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

interface ServerSide {
  port: number;
  /** TCP sockets as accepted, and the TLS sockets on them once the handshake is done. */
  tcp: net.Socket[];
  sockets: tls.TLSSocket[];
  sniCalls: string[];
}

/** A TLS server configured like the reference router (smp.md §3.1): TLS 1.3 ChaCha20, EdDSA, X25519/X448, client certificate requested. */
async function startRouter(chainDer: Uint8Array[], keyPem: string, extra: tls.TlsOptions = {}, onSecure?: (s: tls.TLSSocket) => void): Promise<ServerSide> {
  const side: ServerSide = { port: 0, tcp: [], sockets: [], sniCalls: [] };
  const server = tls.createServer({
    key: keyPem,
    cert: chainDer.map((der) => pem('CERTIFICATE', der)).join(''),
    minVersion: 'TLSv1.3',
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
    ecdhCurve: 'X448:X25519',
    sigalgs: 'ed448:ed25519',
    ALPNProtocols: ['smp/1', 'h2', 'http/1.1'],
    requestCert: true,
    rejectUnauthorized: false,
    SNICallback: (name, cb) => {
      side.sniCalls.push(name);
      cb(null, undefined);
    },
    ...extra,
  });
  server.on('tlsClientError', () => undefined);
  server.on('connection', (s: net.Socket) => side.tcp.push(s));
  server.on('secureConnection', (s: tls.TLSSocket) => {
    s.on('error', () => undefined);
    side.sockets.push(s);
    if (onSecure) onSecure(s);
  });
  side.port = await listen(server);
  return side;
}

interface ClientSide {
  socket: TlsSocket;
  chunks: Uint8Array[];
  closes: Array<NetError | null>;
  received(): Uint8Array;
}

async function connect(port: number, alpn = ['smp/1'], host = '127.0.0.1', timeoutMs = 5000): Promise<ClientSide> {
  const chunks: Uint8Array[] = [];
  const closes: Array<NetError | null> = [];
  const socket = await tlsNet.connectTls(
    { host, port, alpn, timeoutMs },
    {
      onData: (d) => chunks.push(d),
      onClose: (e) => closes.push(e),
    },
  );
  cleanups.push(async () => {
    socket.close();
    await waitFor(() => closes.length > 0, 5000, 'client close in cleanup');
  });
  return {
    socket,
    chunks,
    closes,
    received: () => new Uint8Array(Buffer.concat(chunks)),
  };
}

async function expectNetError(promise: Promise<unknown>, code: NetErrorCode): Promise<NetError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof NetError, 'expected NetError, got ' + String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail('expected NetError ' + code);
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

for (const alg of ['ed25519', 'ed448'] as const) {
  describe('hal/node/net with an ' + alg + ' router chain', () => {
    let chain: TestChain;
    before(() => {
      chain = makeChain(alg);
    });

    it('negotiates TLS 1.3, ChaCha20-Poly1305 and smp/1, without SNI, and exposes chain and tls-unique', async () => {
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem);
      const client = await connect(server.port);
      assert.equal(client.socket.protocol, 'TLSv1.3');
      assert.equal(client.socket.alpn, 'smp/1');
      await waitFor(() => server.sockets.length === 1, 2000, 'server handshake');
      const s = server.sockets[0];
      assert.equal(s.getCipher().name, 'TLS_CHACHA20_POLY1305_SHA256');
      assert.equal(s.getProtocol(), 'TLSv1.3');
      assert.equal(s.alpnProtocol, 'smp/1');
      // No SNI: the server's SNI callback never ran and the socket carries no server name.
      assert.deepEqual(server.sniCalls, []);
      assert.ok(!(s as tls.TLSSocket & { servername?: unknown }).servername);
      // The chain exactly as sent, leaf first, as plain Uint8Arrays.
      assert.equal(client.socket.peerCertificates.length, 2);
      assert.equal(toHex(client.socket.peerCertificates[0]), toHex(chain.leaf));
      assert.equal(toHex(client.socket.peerCertificates[1]), toHex(chain.ca));
      for (const c of client.socket.peerCertificates) assert.equal(Object.getPrototypeOf(c), Uint8Array.prototype);
      // tls-unique: the client Finished, as the server sees it.
      const peerFinished = s.getPeerFinished();
      assert.ok(peerFinished !== undefined);
      assert.equal(client.socket.tlsUnique.length, 32);
      assert.equal(toHex(client.socket.tlsUnique), toHex(new Uint8Array(peerFinished)));
      assert.equal(Object.getPrototypeOf(client.socket.tlsUnique), Uint8Array.prototype);
    });

    it('carries 3 x 16384-byte blocks both ways byte-exact, in plain Uint8Array chunks', async () => {
      const serverGot: Buffer[] = [];
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem, {}, (s) => {
        s.on('data', (d: Buffer) => {
          serverGot.push(d);
          s.write(d);
        });
      });
      const client = await connect(server.port);
      const blocks = [new Uint8Array(randomBytes(16384)), new Uint8Array(randomBytes(16384)), new Uint8Array(randomBytes(16384))];
      const expected = toHex(new Uint8Array(Buffer.concat(blocks)));
      for (const b of blocks) {
        client.socket.write(b);
        b.fill(0); // write() must have copied: the caller may reuse its buffer at once
      }
      await waitFor(() => client.received().length >= 49152, 10000, 'the echo');
      assert.equal(client.received().length, 49152);
      assert.equal(toHex(new Uint8Array(Buffer.concat(serverGot))), expected);
      assert.equal(toHex(client.received()), expected);
      for (const c of client.chunks) {
        assert.equal(Object.getPrototypeOf(c), Uint8Array.prototype, 'not a Buffer');
        assert.equal(Buffer.isBuffer(c), false);
      }
      assert.deepEqual(client.closes, []);
    });

    it('delivers nothing before the promise resolves, then early data and the close in order', async () => {
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem, {}, (s) => {
        s.write(Buffer.from('server speaks first'));
        s.end();
      });
      let resolved = false;
      const events: string[] = [];
      const socket = await tlsNet.connectTls(
        { host: '127.0.0.1', port: server.port, alpn: ['smp/1'], timeoutMs: 5000 },
        {
          onData: (d) => events.push((resolved ? '' : 'EARLY ') + 'data:' + Buffer.from(d).toString()),
          onClose: (e) => events.push((resolved ? '' : 'EARLY ') + 'close:' + (e === null ? 'clean' : e.code)),
        },
      );
      resolved = true;
      assert.ok(socket.peerCertificates.length === 2);
      await waitFor(() => events.some((e) => e.indexOf('close:') >= 0), 5000, 'close');
      await sleep(50);
      assert.ok(events.every((e) => e.indexOf('EARLY') < 0), events.join(', '));
      const text = events.filter((e) => e.indexOf('data:') === 0).map((e) => e.slice(5)).join('');
      assert.equal(text, 'server speaks first');
      assert.equal(events[events.length - 1], 'close:clean');
      assert.equal(events.filter((e) => e.indexOf('close') >= 0).length, 1);
    });

    it('reports onClose exactly once when the server closes, and ignores writes afterwards', async () => {
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem);
      const client = await connect(server.port);
      await waitFor(() => server.sockets.length === 1, 2000, 'server handshake');
      server.sockets[0].end();
      await waitFor(() => client.closes.length > 0, 5000, 'onClose');
      client.socket.write(new Uint8Array(10));
      client.socket.close();
      await sleep(100);
      assert.deepEqual(client.closes, [null]);
    });

    it('reports onClose exactly once when the client closes; close() is idempotent', async () => {
      let serverEnded = false;
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem, {}, (s) => {
        s.on('end', () => {
          serverEnded = true;
        });
        s.resume();
      });
      const client = await connect(server.port);
      client.socket.close();
      client.socket.close();
      await waitFor(() => client.closes.length > 0, 5000, 'onClose');
      client.socket.close();
      client.socket.write(new Uint8Array(1));
      await sleep(100);
      assert.deepEqual(client.closes, [null]);
      await waitFor(() => serverEnded, 2000, 'the server to see the end');
    });

    it('reports a reset by the server as NetError reset, once', async () => {
      const server = await startRouter([chain.leaf, chain.ca], chain.keyPem);
      const client = await connect(server.port);
      await waitFor(() => server.sockets.length === 1, 2000, 'server handshake');
      server.tcp[0].resetAndDestroy(); // a TCP RST, not a TLS close
      await waitFor(() => client.closes.length > 0, 5000, 'onClose');
      await sleep(100);
      assert.equal(client.closes.length, 1);
      assert.ok(client.closes[0] instanceof NetError);
      assert.equal(client.closes[0].code, 'reset');
    });
  });
}

describe('hal/node/net: chains, failures and error codes', () => {
  it('returns the chain in the order sent, even when it is not an issuance path', async () => {
    const chain = makeChain('ed25519');
    const stranger = makeChain('ed25519', 'Unrelated CA');
    const server = await startRouter([chain.leaf, stranger.ca, chain.ca], chain.keyPem);
    const client = await connect(server.port);
    assert.deepEqual(client.socket.peerCertificates.map(toHex), [chain.leaf, stranger.ca, chain.ca].map(toHex));
  });

  it('sends no SNI when the host is a name rather than an address', async function () {
    const chain = makeChain('ed25519');
    const server = await startRouter([chain.leaf, chain.ca], chain.keyPem);
    const client = await connect(server.port, ['smp/1'], 'localhost');
    assert.equal(client.socket.alpn, 'smp/1');
    await waitFor(() => server.sockets.length === 1, 2000, 'server handshake');
    assert.deepEqual(server.sniCalls, []);
    assert.ok(!(server.sockets[0] as tls.TLSSocket & { servername?: unknown }).servername);
    // Control: the same server does see SNI from a client that sends it.
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ALPNProtocols: ['smp/1'], rejectUnauthorized: false }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    assert.deepEqual(server.sniCalls, ['localhost']);
  });

  it('builds chains that OpenSSL path validation accepts (and rejects under another CA)', async () => {
    const chain = makeChain('ed448');
    const other = makeChain('ed448', 'Other CA');
    const server = await startRouter([chain.leaf, chain.ca], chain.keyPem);
    const attempt = (ca: Uint8Array) =>
      new Promise<boolean>((resolve) => {
        const s = tls.connect({
          host: '127.0.0.1',
          port: server.port,
          ca: pem('CERTIFICATE', ca),
          ALPNProtocols: ['smp/1'],
          minVersion: 'TLSv1.3',
          rejectUnauthorized: true,
          checkServerIdentity: () => undefined, // SMP never checks the host name (smp.md §3.6)
        });
        s.once('secureConnect', () => {
          const ok = s.authorized;
          s.destroy();
          resolve(ok);
        });
        s.once('error', () => resolve(false));
      });
    assert.equal(await attempt(chain.ca), true);
    assert.equal(await attempt(other.ca), false);
  });

  it('rejects with refused when nothing listens', async () => {
    const port = await closedPort();
    await expectNetError(tlsNet.connectTls({ host: '127.0.0.1', port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }), 'refused');
  });

  it('gives up with timeout when TCP connects but TLS never completes, and drops the socket', async () => {
    let serverSocketClosed = false;
    const silent = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume(); // read (and ignore) the ClientHello, so the client's FIN is seen
      s.on('close', () => {
        serverSocketClosed = true;
      });
    });
    const port = await listen(silent);
    const started = Date.now();
    const handlerCalls: string[] = [];
    await expectNetError(
      tlsNet.connectTls({ host: '127.0.0.1', port, alpn: ['smp/1'], timeoutMs: 300 }, { onData: () => handlerCalls.push('data'), onClose: () => handlerCalls.push('close') }),
      'timeout',
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 2000, 'gave up after ' + elapsed + ' ms');
    await waitFor(() => serverSocketClosed, 2000, 'the client to drop the TCP connection');
    await sleep(50);
    assert.deepEqual(handlerCalls, [], 'a failed connect never calls the handlers');
  });

  it('rejects with reset when the server drops the connection during the handshake', async () => {
    const rude = net.createServer((s) => s.destroy());
    const port = await listen(rude);
    await expectNetError(tlsNet.connectTls({ host: '127.0.0.1', port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }), 'reset');
  });

  it('rejects with tls on an ALPN mismatch', async () => {
    const chain = makeChain('ed25519');
    const server = await startRouter([chain.leaf, chain.ca], chain.keyPem, { ALPNProtocols: ['h2'] });
    await expectNetError(tlsNet.connectTls({ host: '127.0.0.1', port: server.port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }), 'tls');
  });

  it('rejects with tls when the server offers only TLS 1.2 or only another cipher suite', async () => {
    const chain = makeChain('ed25519');
    const old = await startRouter([chain.leaf, chain.ca], chain.keyPem, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
    await expectNetError(tlsNet.connectTls({ host: '127.0.0.1', port: old.port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }), 'tls');
    const aes = await startRouter([chain.leaf, chain.ca], chain.keyPem, { ciphers: 'TLS_AES_128_GCM_SHA256' });
    await expectNetError(tlsNet.connectTls({ host: '127.0.0.1', port: aes.port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }), 'tls');
  });

  it('maps platform error codes onto the interface codes', () => {
    const table: Array<[unknown, NetErrorCode]> = [
      [{ code: 'ENOTFOUND' }, 'dns'],
      [{ code: 'EAI_AGAIN' }, 'dns'],
      [{ code: 'ECONNREFUSED' }, 'refused'],
      [{ code: 'EHOSTUNREACH' }, 'unreachable'],
      [{ code: 'ENETUNREACH' }, 'unreachable'],
      [{ code: 'ETIMEDOUT' }, 'timeout'],
      [{ code: 'ECONNRESET' }, 'reset'],
      [{ code: 'EPIPE' }, 'reset'],
      [{ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' }, 'tls'],
      [{ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }, 'tls'],
      [{ code: 'EPROTO' }, 'tls'],
      [{ errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] }, 'refused'],
      [{ code: 'EMFILE' }, 'io'],
      [new Error('no code'), 'io'],
      [null, 'io'],
    ];
    for (const [e, code] of table) assert.equal(netErrorCodeOf(e), code, JSON.stringify(e));
  });
});
