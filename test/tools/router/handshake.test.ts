/**
 * The router's TLS and SMP handshake (smp.md §3, §4), and its identity (§3.4, §3.5).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { NetError } from '../../../hal/net';
import { decodeBase64Url } from '../../../firmware/encoding/base64';
import { decodeClientHello, decodeServerHello, encodeClientHello } from '../../../firmware/smp/handshake';
import { parseCertificate, parseSignedKey, verifySignedKey } from '../../../firmware/x509/certificate';
import { decodeBlock, encodeBlock } from '../../../firmware/smp/transmission';
import { RouterError } from '../../../tools/router/errors';
import { startRouter } from '../../../tools/router/router';
import {
  assertOk,
  bytesEqual,
  crypto,
  messageText,
  random,
  rawConnect,
  removeTempDirs,
  startTestRouter,
  tempDir,
  TestClient,
  text,
  type TestRouter,
} from './helpers';

describe('router handshake', function () {
  let r: TestRouter;

  before(async () => {
    r = await startTestRouter();
  });
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  it('speaks first: range 6..18, session id = tls-unique, the stored chain and a session key signed by the server certificate', async () => {
    const raw = await rawConnect(r.server);
    try {
      const hello = decodeServerHello(decodeBlock((await raw.readBlock()) as Uint8Array));
      assert.deepEqual(hello.versionRange, { min: 6, max: 18 });
      assert.ok(bytesEqual(hello.sessionId, new Uint8Array(raw.socket.getFinished() as Buffer)), 'session id is the client Finished (tls-unique)');
      const chain = (hello.certChainPubKey as NonNullable<typeof hello.certChainPubKey>).certChain;
      assert.equal(chain.length, 2);
      const ca = pemDer(readFileSync(path.join(r.dir, 'ca.crt'), 'latin1'));
      const leaf = pemDer(readFileSync(path.join(r.dir, 'server.crt'), 'latin1'));
      assert.ok(bytesEqual(chain[0], leaf) && bytesEqual(chain[1], ca));
      assert.ok(bytesEqual(chain[0], new Uint8Array(raw.socket.getPeerX509Certificate()?.raw as Buffer)), 'the hello chain is the TLS chain');
      // The fingerprint in the address is SHA-256 of the CA certificate's DER.
      assert.ok(bytesEqual(crypto.sha256(ca), r.server.keyHash));
      assert.ok(bytesEqual(decodeBase64Url(readFileSync(path.join(r.dir, 'fingerprint'), 'latin1').trim()), r.server.keyHash));
      const signed = parseSignedKey((hello.certChainPubKey as NonNullable<typeof hello.certChainPubKey>).signedKey);
      assert.ok(verifySignedKey(crypto, signed, parseCertificate(leaf).publicKey));
      assert.equal(signed.signed.length, 46, 'the signed object is the SPKI in a SEQUENCE, as crypton-x509 writes it');
    } finally {
      raw.socket.destroy();
    }
  });

  it('gives every connection a fresh session key', async () => {
    const a = await TestClient.connect(r.server);
    const b = await TestClient.connect(r.server);
    try {
      assert.ok(!bytesEqual(a.client.serverDhKey as Uint8Array, b.client.serverDhKey as Uint8Array));
      assert.ok(!bytesEqual(a.client.sessionId, b.client.sessionId));
    } finally {
      a.close();
      b.close();
    }
  });

  it('closes without an answer when the client hello names another fingerprint (pinning)', async () => {
    const raw = await rawConnect(r.server);
    await raw.readBlock();
    raw.socket.write(encodeBlock(encodeClientHello({ version: 18, keyHash: random.bytes(32), authPubKey: null, proxyServer: false, clientService: null })));
    await raw.closed;
    assert.equal(await raw.readBlock(), null, 'no block after the router hello');

    // The same through the client: the handshake completes on its side, then the router hangs up.
    const client = await TestClient.connect(r.server, { helloKeyHash: random.bytes(32) });
    await assert.rejects(client.cmd(new Uint8Array(0), { type: 'PING' }, null), /closed/);
    assert.equal(client.pushes.length, 0);
  });

  it('closes without an answer on a version outside the offered range or an unparseable hello', async () => {
    for (const hello of [
      encodeClientHello({ version: 19, keyHash: r.server.keyHash, authPubKey: null, proxyServer: false, clientService: null }),
      encodeClientHello({ version: 5, keyHash: r.server.keyHash, authPubKey: null, proxyServer: false, clientService: null }),
      new Uint8Array([0x00]),
    ]) {
      const raw = await rawConnect(r.server);
      await raw.readBlock();
      raw.socket.write(encodeBlock(hello));
      await raw.closed;
      assert.equal(await raw.readBlock(), null);
    }
  });

  it('a client without ALPN gets the legacy range 6..6 and the v6 transmission layout', async () => {
    const raw = await rawConnect(r.server, []);
    const hello = decodeServerHello(decodeBlock((await raw.readBlock()) as Uint8Array));
    assert.deepEqual(hello.versionRange, { min: 6, max: 6 });
    assert.equal(hello.certChainPubKey, null, 'a 6..6 hello carries no key');
    raw.socket.write(encodeBlock(encodeClientHello({ version: 7, keyHash: r.server.keyHash, authPubKey: null, proxyServer: false, clientService: null })));
    await raw.closed;

    const rcv = await TestClient.connect(r.server, { alpn: [] });
    const snd = await TestClient.connect(r.server, { alpn: [] });
    try {
      assert.equal(rcv.version, 6);
      const q = await rcv.newQueue();
      assertOk(await snd.send(q, text('legacy')));
      assert.equal(messageText(q, await rcv.nextMessage(q)), 'legacy');
    } finally {
      rcv.close();
      snd.close();
    }
  });

  it('ALPN: the first of the client protocols the router knows; none known fails TLS', async () => {
    const web = await TestClient.connect(r.server, { alpn: ['x-unknown', 'http/1.1'] });
    assert.equal(web.version, 18, 'http/1.1 (the official client on port 443) still gets the full range');
    web.close();
    await assert.rejects(TestClient.connect(r.server, { alpn: ['x-unknown'] }), (e: unknown) => e instanceof NetError && e.code === 'tls');
  });

  it('encrypts blocks from v11 when the client sent a hello key, and not otherwise', async () => {
    const cases: Array<{ options: Parameters<typeof TestClient.connect>[1]; encrypted: boolean; version: number }> = [
      { options: {}, encrypted: true, version: 18 },
      { options: { helloKey: false }, encrypted: false, version: 18 },
      { options: { versionRange: { min: 6, max: 10 } }, encrypted: false, version: 10 },
      { options: { proxyServer: true }, encrypted: false, version: 18 },
    ];
    for (const c of cases) {
      const client = await TestClient.connect(r.server, c.options);
      try {
        assert.equal(client.version, c.version);
        assert.equal(client.client.blockEncryption, c.encrypted);
        assert.equal((await client.cmd(new Uint8Array(0), { type: 'PING' }, null)).type, 'PONG');
        const q = await client.newQueue();
        assertOk(await client.send(q, text('through')));
        assert.equal(messageText(q, await client.nextMessage(q)), 'through');
      } finally {
        client.close();
      }
    }
  });

  it('closes a connection that stalls in the SMP handshake, and one that never starts TLS', async () => {
    const short = await startTestRouter({ handshakeTimeoutMs: 300, tlsSetupTimeoutMs: 300 });
    try {
      const raw = await rawConnect(short.server);
      await raw.readBlock();
      await raw.closed; // after handshakeTimeoutMs

      const tcp = net.connect(short.server.port as number, '127.0.0.1');
      tcp.on('error', () => undefined);
      await new Promise<void>((resolve) => tcp.once('close', () => resolve())); // after tlsSetupTimeoutMs
      assert.equal(short.router.connectionCount, 0);
    } finally {
      await short.stop();
    }
  });

  it('a client hello as the reference writes it (smp.md §4.3) round-trips through the parser the router uses', () => {
    const hello = { version: 18, keyHash: r.server.keyHash, authPubKey: { alg: 'x25519' as const, raw: crypto.x25519KeyPair().publicKey }, proxyServer: false, clientService: null };
    const bytes = encodeClientHello(hello);
    assert.equal(bytes.length, 82);
    assert.deepEqual(decodeClientHello(bytes), hello);
  });
});

describe('router identity', function () {
  after(removeTempDirs);

  it('is created once and reused: the fingerprint survives restarts', async () => {
    const dir = tempDir();
    const first = await startTestRouter({ storeDir: dir });
    await first.stop(true);
    const second = await startTestRouter({ storeDir: dir });
    try {
      assert.ok(bytesEqual(first.server.keyHash, second.server.keyHash));
      const other = await startTestRouter();
      assert.ok(!bytesEqual(first.server.keyHash, other.server.keyHash), 'another store, another identity');
      await other.stop();
    } finally {
      await second.stop();
    }
  });

  it('supports Ed448 identities, which the client verifies', async () => {
    const r = await startTestRouter({ signatureAlgorithm: 'ed448' });
    const c = await TestClient.connect(r.server);
    try {
      const leaf = parseCertificate(pemDer(readFileSync(path.join(r.dir, 'server.crt'), 'latin1')));
      assert.equal(leaf.publicKey.alg, 'ed448');
      assert.equal((await c.cmd(new Uint8Array(0), { type: 'PING' }, null)).type, 'PONG');
    } finally {
      c.close();
      await r.stop();
    }
  });

  it('refuses to start on a damaged identity instead of making a new one', async () => {
    const dir = tempDir();
    const r = await startTestRouter({ storeDir: dir });
    await r.stop(true);
    const keyFile = path.join(dir, 'server.key');
    const original = readFileSync(keyFile, 'latin1');
    writeFileSync(keyFile, readFileSync(path.join(dir, 'ca.key'), 'latin1'));
    await assert.rejects(startRouter({ storeDir: dir }), (e: unknown) => e instanceof RouterError && e.code === 'identity' && /server\.key/.test(e.message));
    writeFileSync(keyFile, original);
    writeFileSync(path.join(dir, 'fingerprint'), 'AAAA\n');
    await assert.rejects(startRouter({ storeDir: dir }), (e: unknown) => e instanceof RouterError && e.code === 'identity');
  });

  it('refuses a second router on the same store', async () => {
    const r = await startTestRouter();
    try {
      await assert.rejects(startRouter({ storeDir: r.dir }), (e: unknown) => e instanceof RouterError && e.code === 'store-locked');
    } finally {
      await r.stop();
    }
  });

  it('refuses unusable options', async () => {
    await assert.rejects(startRouter({ storeDir: tempDir(), password: 'has space' }), (e: unknown) => e instanceof RouterError && e.code === 'bad-option');
    await assert.rejects(startRouter({ storeDir: tempDir(), port: 70000 }), (e: unknown) => e instanceof RouterError && e.code === 'bad-option');
    await assert.rejects(startRouter({ storeDir: tempDir(), quota: 0 }), (e: unknown) => e instanceof RouterError && e.code === 'bad-option');
  });
});

function pemDer(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}
