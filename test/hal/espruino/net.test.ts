import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { toHex } from '../../../firmware/encoding/bytes';
import { createEspruinoNet } from '../../../hal/espruino/net';
import type { NativeTls, NativeTlsEvents } from '../../../hal/native-api';
import { NetError } from '../../../hal/net';
import { makeChain, pem } from '../node/tls-chain';
import { createNodeNative } from '../native/node-native';

const later = (fn: () => void): void => {
  setTimeout(fn, 0);
};

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function router(onSecure: (s: tls.TLSSocket) => void): Promise<{ port: number; chain: Uint8Array[]; finished: Buffer[] }> {
  const chain = makeChain('ed448');
  const finished: Buffer[] = [];
  const server = tls.createServer({
    key: chain.keyPem,
    cert: pem('CERTIFICATE', chain.leaf) + pem('CERTIFICATE', chain.ca),
    minVersion: 'TLSv1.3',
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
    ecdhCurve: 'X448:X25519',
    sigalgs: 'ed448:ed25519',
    ALPNProtocols: ['smp/1'],
  });
  server.on('connection', (s: net.Socket) => sockets.push(s));
  server.on('secureConnection', (s: tls.TLSSocket) => {
    const f = s.getPeerFinished();
    if (f !== undefined) finished.push(f);
    s.on('error', () => undefined);
    onSecure(s);
  });
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, chain: [chain.leaf, chain.ca], finished };
}

describe('hal/espruino Net adapter over the Node native layer', () => {
  const espruinoNet = createEspruinoNet(createNodeNative(), later);

  it('resolves with the session, holds events until the caller has the socket, echoes, closes cleanly', async () => {
    // The server speaks first, so data arrives while the promise is still settling.
    const srv = await router((s) => {
      s.write('hello');
      s.on('data', (d: Buffer) => s.write(d));
    });
    const events: string[] = [];
    let socketHeld = false;
    const received: Buffer[] = [];
    let closeError: NetError | null | undefined;
    const socket = await espruinoNet.connectTls(
      { host: '127.0.0.1', port: srv.port, alpn: ['smp/1'], timeoutMs: 5000 },
      {
        onData: (d) => {
          assert.ok(socketHeld, 'no data before the caller holds the socket');
          events.push('data');
          received.push(Buffer.from(d));
        },
        onClose: (e) => {
          events.push('close');
          closeError = e;
        },
      },
    );
    socketHeld = true;
    assert.equal(socket.protocol, 'TLSv1.3');
    assert.equal(socket.alpn, 'smp/1');
    assert.deepEqual(socket.peerCertificates.map(toHex), srv.chain.map(toHex));
    await waitFor(() => srv.finished.length === 1, 2000, 'server');
    assert.equal(toHex(socket.tlsUnique), toHex(new Uint8Array(srv.finished[0])));
    await waitFor(() => Buffer.concat(received).toString() === 'hello', 2000, 'greeting');
    socket.write(new Uint8Array(Buffer.from('ping')));
    await waitFor(() => Buffer.concat(received).toString() === 'helloping', 2000, 'echo');
    socket.close();
    await waitFor(() => closeError !== undefined, 3000, 'close');
    assert.equal(closeError, null);
    assert.equal(events[events.length - 1], 'close');
    assert.equal(events.filter((e) => e === 'close').length, 1);
  });

  it('rejects with NetError refused for a closed port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(
      espruinoNet.connectTls({ host: '127.0.0.1', port, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }),
      (e: unknown) => e instanceof NetError && e.code === 'refused',
    );
  });

  it('rejects with NetError io when the native layer refuses the arguments', async () => {
    await assert.rejects(
      espruinoNet.connectTls({ host: '127.0.0.1', port: 0, alpn: ['smp/1'], timeoutMs: 2000 }, { onData: () => undefined, onClose: () => undefined }),
      (e: unknown) => e instanceof NetError && e.code === 'io',
    );
  });

  it('delivers the data before the close when the peer drops the connection', async () => {
    const srv = await router((s) => {
      s.write('partial');
      setTimeout(() => s.destroy(), 50);
    });
    let closeError: NetError | null | undefined;
    const got: Buffer[] = [];
    await espruinoNet.connectTls(
      { host: '127.0.0.1', port: srv.port, alpn: ['smp/1'], timeoutMs: 5000 },
      { onData: (d) => got.push(Buffer.from(d)), onClose: (e) => (closeError = e) },
    );
    await waitFor(() => closeError !== undefined, 3000, 'close');
    assert.equal(Buffer.concat(got).toString(), 'partial');
    assert.ok(closeError === null || closeError instanceof NetError);
  });

  it('refuses a session without TLS 1.3, tls-unique or certificates (a faulty native layer)', async () => {
    const faulty: NativeTls = {
      tlsConnect(_h: string, _p: number, _a: string[], _t: number, events: NativeTlsEvents) {
        setTimeout(() => events.onOpen({ protocol: 'TLSv1.2', alpn: 'smp/1', peerCertificates: [new Uint8Array(1)], tlsUnique: new Uint8Array(12) }), 0);
        return { write: () => undefined, close: () => setTimeout(() => events.onClose('', 'closed'), 0) };
      },
    };
    await assert.rejects(
      createEspruinoNet(faulty, later).connectTls({ host: 'x', port: 1, alpn: ['smp/1'], timeoutMs: 1000 }, { onData: () => undefined, onClose: () => undefined }),
      (e: unknown) => e instanceof NetError && e.code === 'tls',
    );
  });
});
