import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Clock, TimerHandle } from '../../../hal/clock';
import type { Crypto, KeyPair } from '../../../hal/crypto';
import { NetError, type TlsConnectOptions, type TlsSocketHandlers } from '../../../hal/net';
import { createNodeClock } from '../../../hal/node/clock';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createNodeNet } from '../../../hal/node/net';
import { createNodeRandom } from '../../../hal/node/random';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import { toHex } from '../../../firmware/encoding/bytes';
import type { VersionRange } from '../../../firmware/encoding/binary';
import type { SmpServer } from '../../../firmware/smp/address';
import { encodeCommand } from '../../../firmware/smp/commands';
import { decodeResponse } from '../../../firmware/smp/responses';
import { verifyHelloSessionKey, verifyServerChain } from '../../../firmware/smp/server-identity';
import { encodeBatch, encodeBlock, encodeTransmission, parseTransmission, SMP_BLOCK_SIZE, TransmissionError } from '../../../firmware/smp/transmission';
import { connectSmpTransport, SmpBlockError, type SmpTransportConnection } from '../../../firmware/smp/transport';
import { SmpTransportError, type SmpSessionParams, type SmpTransportErrorCode, type SmpTransportOptions } from '../../../firmware/smp/transport-api';
import { encodeSignedKey } from '../../../firmware/x509/certificate';
import { hex, vectorCase } from '../../vectors';
import { makeServerChain, makeSigner, startFakeServer, type FakeServer, type FakeServerOptions, type FakeSession, type ServerChain } from './fake-server';

const nodeNet = createNodeNet();
const nodeCrypto = createNodeCrypto(createNodeRandom());
const nodeClock = createNodeClock();
const EMPTY = new Uint8Array(0);
/** The SPKI DER prefix of an X25519 key (encoding.json), as it opens the client hello's key. */
const X25519_SPKI_PREFIX = '302a300506032b656e032100';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds; fails after `ms` (every wait in this file is bounded). */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for ' + what);
    await sleep(5);
  }
}

// Chains are slow-ish to sign (Ed448), so each shape is made once.
const chains: { [key: string]: ServerChain } = {};
function chainOf(alg: 'ed25519' | 'ed448', length = 2, leafSignedByStranger = false): ServerChain {
  const key = alg + '/' + length + '/' + leafSignedByStranger;
  if (chains[key] === undefined) chains[key] = makeServerChain(alg, { length, leafSignedByStranger });
  return chains[key];
}

/** Running fake servers by port, so a refused connection can be checked for a closed socket. */
const servers: { [port: number]: FakeServer } = {};

async function server(options: FakeServerOptions): Promise<FakeServer> {
  const s = await startFakeServer(options);
  servers[s.port] = s;
  cleanups.push(() => {
    delete servers[s.port];
    return s.close();
  });
  return s;
}

/** What the handlers heard. */
interface Heard {
  transmissions: Uint8Array[];
  badBlocks: Error[];
  closes: Array<Error | null>;
}

interface Deps {
  net: typeof nodeNet;
  crypto: Crypto;
  clock: Clock;
}

const defaultDeps: Deps = { net: nodeNet, crypto: nodeCrypto, clock: nodeClock };

async function connect(address: SmpServer, options: SmpTransportOptions = {}, deps: Deps = defaultDeps): Promise<{ t: SmpTransportConnection; heard: Heard }> {
  const heard: Heard = { transmissions: [], badBlocks: [], closes: [] };
  const t = await connectSmpTransport(deps, address, { handshakeTimeoutMs: 5000, ...options }, {
    onTransmission: (bytes) => heard.transmissions.push(bytes),
    onBadBlock: (e) => heard.badBlocks.push(e),
    onClose: (e) => heard.closes.push(e),
  });
  cleanups.push(async () => {
    t.close();
    await waitFor(() => heard.closes.length > 0, 5000, 'close in cleanup');
  });
  return { t, heard };
}

/** Connects and requires a rejection with `code`; the handlers must hear nothing. */
async function expectRefused(address: SmpServer, code: SmpTransportErrorCode, options: SmpTransportOptions = {}, deps: Deps = defaultDeps): Promise<SmpTransportError> {
  const calls: string[] = [];
  let result: unknown;
  try {
    const t = await connectSmpTransport(deps, address, { handshakeTimeoutMs: 5000, ...options }, {
      onTransmission: () => calls.push('transmission'),
      onBadBlock: () => calls.push('bad block'),
      onClose: () => calls.push('close'),
    });
    t.close();
    result = 'connected';
  } catch (e) {
    result = e;
  }
  assert.ok(result instanceof SmpTransportError, 'expected SmpTransportError ' + code + ', got ' + String(result));
  assert.equal(result.code, code, result.message);
  assert.equal(result.name, 'SmpTransportError');
  assert.ok(result.message.length > 10);
  // Every failure closes the socket: the server sees its connection end.
  const s = address.port !== null ? servers[address.port] : undefined;
  if (s !== undefined) {
    await waitFor(() => s.sessions.length > 0 && s.sessions.every((x) => x.closed), 5000, 'the server to see the socket closed');
  }
  await sleep(20);
  assert.deepEqual(calls, [], 'handlers of a connection that never opened were called');
  return result;
}

/** The session the server ran for the n-th connection, once the client's hello (or close) has arrived. */
async function sessionOf(s: FakeServer, n = 0): Promise<FakeSession> {
  await waitFor(() => s.sessions.length > n, 5000, 'the server session');
  return s.sessions[n];
}

function corrId(n: number): Uint8Array {
  const id = new Uint8Array(24);
  id[0] = 0xc0;
  id[22] = n >> 8;
  id[23] = n & 0xff;
  return id;
}

function ping(params: SmpSessionParams, n: number): Uint8Array {
  return encodeTransmission(params, { authorization: EMPTY, corrId: corrId(n), entityId: EMPTY, command: encodeCommand(params.version, { type: 'PING' }) });
}

/** Checks that `bytes` is a PONG answering corrId(n) in the connection's layout. */
function assertPong(params: SmpSessionParams, bytes: Uint8Array, n: number): void {
  const t = parseTransmission(params, bytes);
  assert.equal(toHex(t.corrId), toHex(corrId(n)));
  assert.equal(t.entityId.length, 0);
  assert.equal(decodeResponse(params.version, t.command).type, 'PONG');
  if (params.version < 7) assert.equal(toHex(t.sessionId as Uint8Array), toHex(params.sessionId));
}

async function roundTrip(t: SmpTransportConnection, heard: Heard, n: number): Promise<void> {
  const before = heard.transmissions.length;
  t.send([ping(t.params, n)]);
  await waitFor(() => heard.transmissions.length > before, 5000, 'PONG ' + n);
  assert.equal(heard.transmissions.length, before + 1);
  assertPong(t.params, heard.transmissions[before], n);
}

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

function versionHex(v: number): string {
  return (v < 16 ? '000' : '00') + v.toString(16);
}

/** The client hello a v`v` client must send (smp.md §4.3), with `spki` the key it chose. */
function expectedClientHello(v: number, keyHash: Uint8Array, spki: string | null, proxy = false): string {
  let h = versionHex(v) + '20' + toHex(keyHash);
  if (spki !== null) h += '2c' + spki;
  if (v >= 14) h += proxy ? '54' : '46';
  if (v >= 16) h += '30';
  return h;
}

/** The 44-byte X25519 SPKI inside a client hello: it sits right after the 35-byte version ‖ keyHash. */
function helloSpki(content: Uint8Array): string {
  return toHex(content.subarray(36, 80));
}

// =============================================================================================

describe('SMP client transport (smp.md §3-§5)', function () {
  this.timeout(20000);

  for (const alg of ['ed25519', 'ed448'] as const) {
    describe('with an ' + alg + ' router chain', () => {
      it('connects at v18 with block encryption and carries PING/PONG both ways', async () => {
        const chain = chainOf(alg);
        const s = await server({ chain });
        const { t, heard } = await connect(s.address);
        const session = await sessionOf(s);
        await waitFor(() => session.helloContent !== null, 5000, 'the client hello');

        assert.equal(t.params.version, 18);
        assert.equal(t.params.blockEncryption, true);
        assert.equal(toHex(t.params.sessionId), toHex(session.tlsUnique));
        assert.equal(t.params.sessionId.length, 32);
        assert.equal(toHex(t.params.serverDhKey as Uint8Array), toHex(session.dhPublicKey));
        assert.equal(t.server, s.address);

        // The client hello, byte for byte: 00 12 ‖ 20 keyHash ‖ 2c X25519 SPKI ‖ 'F' ‖ '0' (82 bytes).
        const content = session.helloContent as Uint8Array;
        assert.equal(content.length, 82);
        const spki = helloSpki(content);
        assert.ok(spki.startsWith(X25519_SPKI_PREFIX));
        assert.equal(toHex(content), expectedClientHello(18, chain.keyHash, spki));
        assert.ok(session.cipher !== null, 'the server enabled block encryption');

        await roundTrip(t, heard, 1);
        await roundTrip(t, heard, 2);
        assert.equal(session.received.length, 2);
        assert.equal(Buffer.from(session.received[0].command).toString('latin1'), 'PING');
        assert.deepEqual(heard.badBlocks, []);
        assert.deepEqual(session.errors, []);
        assert.deepEqual(t.counters(), { blocksSent: 2, blocksReceived: 2, badBlocks: 0, transmissionsSent: 2, transmissionsReceived: 2 });

        t.close();
        t.close();
        await waitFor(() => heard.closes.length > 0, 5000, 'onClose');
        await waitFor(() => session.closed, 5000, 'the server to see the close');
        t.send([ping(t.params, 3)]); // ignored after close
        await sleep(50);
        assert.deepEqual(heard.closes, [null]);
        assert.equal(t.counters().blocksSent, 2);
      });

      for (const length of [3, 4]) {
        it('accepts a ' + length + '-certificate chain, pinning the second certificate', async () => {
          const s = await server({ chain: chainOf(alg, length) });
          const { t, heard } = await connect(s.address);
          assert.equal(t.params.version, 18);
          await roundTrip(t, heard, 1);
        });
      }

      it('refuses a 1-certificate and a 5-certificate chain (bad-chain)', async () => {
        const one = await server({ chain: chainOf(alg, 1) });
        await expectRefused(one.address, 'bad-chain');
        const five = await server({ chain: chainOf(alg, 5) });
        await expectRefused(five.address, 'bad-chain');
        // Neither got as far as the client hello.
        assert.equal((await sessionOf(one)).helloContent, null);
        assert.equal((await sessionOf(five)).helloContent, null);
      });

      it('refuses a server whose identity certificate is not the pinned one (unknown-ca), before any SMP byte', async () => {
        const s = await server({ chain: chainOf(alg) });
        const other = chainOf(alg, 3);
        const e = await expectRefused({ ...s.address, keyHash: other.keyHash }, 'unknown-ca');
        assert.ok(e.message.indexOf('fingerprint') >= 0);
        const session = await sessionOf(s);
        await waitFor(() => session.closed, 5000, 'the socket to close');
        assert.equal(session.helloContent, null);
      });

      it('refuses a leaf that names the identity certificate but is not signed by it (bad-chain)', async () => {
        const s = await server({ chain: chainOf(alg, 2, true) });
        const e = await expectRefused(s.address, 'bad-chain');
        assert.ok(e.message.indexOf('not signed') >= 0, e.message);
      });

      it('refuses a session key signed by a key other than the TLS leaf (bad-signed-key)', async () => {
        const stranger = makeSigner(alg);
        const s = await server({ chain: chainOf(alg), signSessionKey: stranger.sign });
        await expectRefused(s.address, 'bad-signed-key');
        const session = await sessionOf(s);
        await waitFor(() => session.closed, 5000, 'the socket to close');
        assert.equal(session.helloContent, null, 'no client hello after a bad hello');
      });
    });
  }

  describe('version negotiation', () => {
    for (const v of [6, 7, 8, 9, 10]) {
      it('settles on v' + v + ' with a 6..' + v + ' server: no block encryption, hello as §4.3 gives it', async () => {
        const chain = chainOf('ed25519');
        const s = await server({ chain, versionRange: { min: 6, max: v } });
        const { t, heard } = await connect(s.address);
        const session = await sessionOf(s);
        await waitFor(() => session.helloContent !== null, 5000, 'the client hello');
        assert.equal(t.params.version, v);
        assert.equal(t.params.blockEncryption, false);
        const content = session.helloContent as Uint8Array;
        if (v === 6) {
          // A legacy hello carries no key at all, and the server sent none (max < 7).
          assert.equal(t.params.serverDhKey, null);
          assert.equal(toHex(content), expectedClientHello(6, chain.keyHash, null));
        } else {
          assert.equal(toHex(t.params.serverDhKey as Uint8Array), toHex(session.dhPublicKey));
          assert.equal(content.length, 80);
          assert.equal(toHex(content), expectedClientHello(v, chain.keyHash, helloSpki(content)));
        }
        assert.equal(session.cipher, null);
        await roundTrip(t, heard, v);
        // v6 transmissions carry the session id; the server parsed it from what the client sent.
        if (v === 6) assert.equal(toHex(session.received[0].sessionId as Uint8Array), toHex(session.tlsUnique));
        else assert.equal(session.received[0].sessionId, null);
      });
    }

    for (const v of [11, 13, 14, 16]) {
      it('encrypts blocks from v11 (6..' + v + ' server), with the proxyServer flag from v14 and the service field from v16', async () => {
        const chain = chainOf('ed25519');
        const s = await server({ chain, versionRange: { min: 6, max: v } });
        const { t, heard } = await connect(s.address);
        const session = await sessionOf(s);
        await waitFor(() => session.helloContent !== null, 5000, 'the client hello');
        assert.equal(t.params.version, v);
        assert.equal(t.params.blockEncryption, true);
        const content = session.helloContent as Uint8Array;
        assert.equal(toHex(content), expectedClientHello(v, chain.keyHash, helloSpki(content)));
        await roundTrip(t, heard, 1);
      });
    }

    it("takes the client's range into account: a 6..6 client of a v18 server still verifies the signed key", async () => {
      const chain = chainOf('ed25519');
      const s = await server({ chain });
      const { t, heard } = await connect(s.address, { versionRange: { min: 6, max: 6 } });
      assert.equal(t.params.version, 6);
      assert.equal(t.params.serverDhKey, null);
      await roundTrip(t, heard, 1);
      const bad = await server({ chain, signSessionKey: makeSigner('ed25519').sign });
      await expectRefused(bad.address, 'bad-signed-key', { versionRange: { min: 6, max: 6 } });
    });

    it('as a proxy: a hello key (the relay needs the secret for RFWD), proxyServer T, no block encryption', async () => {
      const chain = chainOf('ed25519');
      const s = await server({ chain });
      const { t, heard } = await connect(s.address, { proxyServer: true });
      const session = await sessionOf(s);
      await waitFor(() => session.helloContent !== null, 5000, 'the client hello');
      assert.equal(t.params.version, 18);
      assert.equal(t.params.blockEncryption, false);
      const content = session.helloContent as Uint8Array;
      assert.equal(toHex(content), expectedClientHello(18, chain.keyHash, helloSpki(content), true));
      assert.ok(t.params.helloSecret !== null && session.helloSecret !== null);
      assert.equal(toHex(t.params.helloSecret as Uint8Array), toHex(session.helloSecret as Uint8Array));
      assert.deepEqual(t.params.serverVersionRange, { min: 6, max: 18 });
      assert.ok(t.params.serverCertChainPubKey !== null && t.params.serverCertChainPubKey.certChain.length === 2);
      await roundTrip(t, heard, 1);
    });

    it('refuses when there is no common version (version)', async () => {
      const chain = chainOf('ed25519');
      const future = await server({ chain, versionRange: { min: 19, max: 20 } });
      await expectRefused(future.address, 'version');
      const legacy = await server({ chain, versionRange: { min: 6, max: 6 } });
      await expectRefused(legacy.address, 'version', { versionRange: { min: 7, max: 18 } });
      assert.equal((await sessionOf(future)).helloContent, null);
    });

    it('accepts a legacy hello without a key only because the TLS chain still pins the server', async () => {
      const chain = chainOf('ed448');
      const legacy = await server({ chain, versionRange: { min: 6, max: 6 } });
      await expectRefused({ ...legacy.address, keyHash: chainOf('ed25519').keyHash }, 'unknown-ca');
      const { t } = await connect(legacy.address);
      assert.equal(t.params.version, 6);
    });
  });

  describe('server hello checks', () => {
    it("refuses a hello whose session id is not this connection's tls-unique (bad-session)", async () => {
      const s = await server({
        chain: chainOf('ed25519'),
        sessionId: (u) => {
          const other = new Uint8Array(u);
          other[31] ^= 1;
          return other;
        },
      });
      await expectRefused(s.address, 'bad-session');
      const truncated = await server({ chain: chainOf('ed25519'), sessionId: (u) => u.subarray(0, 31) });
      await expectRefused(truncated.address, 'bad-session');
      assert.equal((await sessionOf(s)).helloContent, null);
    });

    it('refuses a hello whose chain differs from the TLS chain (bad-chain)', async () => {
      const chain = chainOf('ed25519');
      const other = chainOf('ed25519', 3);
      for (const helloChain of [[chain.certs[0], other.certs[1]], [chain.certs[0]], [chain.certs[1], chain.certs[0]], [...chain.certs, other.certs[2]]]) {
        const s = await server({ chain, helloChain });
        await expectRefused(s.address, 'bad-chain');
      }
    });

    it('refuses a v7+ hello without a signed key, or with a malformed one (bad-signed-key)', async () => {
      const chain = chainOf('ed25519');
      const keyless = await server({ chain, helloChain: null });
      const e = await expectRefused(keyless.address, 'bad-signed-key');
      assert.ok(e.message.indexOf('no signed session key') >= 0, e.message);
      const garbage = await server({ chain, signedKeyDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) });
      await expectRefused(garbage.address, 'bad-signed-key');
      // An X448 signature algorithm where Ed25519 signed: parses, but cannot verify with the leaf.
      const ed448Signed = encodeSignedKey(new Uint8Array(32).fill(9), 'ed448', makeSigner('ed448').sign);
      const wrongAlg = await server({ chain, signedKeyDer: ed448Signed });
      await expectRefused(wrongAlg.address, 'bad-signed-key');
    });

    it('refuses a hello signing a low-order X25519 key (bad-signed-key)', async () => {
      const chain = chainOf('ed25519');
      const lowOrder = encodeSignedKey(new Uint8Array(32), 'ed25519', chain.leaf.sign);
      const s = await server({ chain, signedKeyDer: lowOrder });
      await expectRefused(s.address, 'bad-signed-key');
    });

    it('refuses hello blocks with a bad length prefix or unparseable content (bad-handshake)', async () => {
      const chain = chainOf('ed25519');
      const overlong = encodeBlock(new Uint8Array([0, 6, 0, 18, 32]));
      overlong[0] = 0xff;
      overlong[1] = 0xff;
      await expectRefused((await server({ chain, helloBlock: overlong })).address, 'bad-handshake');
      await expectRefused((await server({ chain, helloBlock: encodeBlock(new Uint8Array([0, 6])) })).address, 'bad-handshake');
      await expectRefused((await server({ chain, helloBlock: encodeBlock(new Uint8Array(0)) })).address, 'bad-handshake');
      // min > max is not a version range.
      await expectRefused((await server({ chain, helloBlock: encodeBlock(new Uint8Array([0, 18, 0, 6, 0])) })).address, 'bad-handshake');
    });

    it('refuses a hello cut short anywhere, or garbage, with a typed error and never opens', async () => {
      const chain = chainOf('ed25519');
      // versionRange (4) ‖ short(sessionId) (33) ‖ certChainPubKey: cut in the first two fields the
      // hello does not parse; cut in the third, the key is missing (optional upstream, required here).
      const cuts: Array<[number, SmpTransportErrorCode]> = [[1, 'bad-handshake'], [3, 'bad-handshake'], [4, 'bad-handshake'], [20, 'bad-handshake'], [36, 'bad-handshake'], [37, 'bad-signed-key'], [38, 'bad-signed-key'], [200, 'bad-signed-key']];
      for (const [cut, code] of cuts) {
        const s = await server({ chain, helloTransform: (content) => content.subarray(0, cut) });
        await expectRefused(s.address, code);
      }
      // The full hello followed by an ignored tail still works (parsers ignore extra bytes).
      const tail = await server({ chain, helloTransform: (content) => new Uint8Array([...content, 1, 2, 3]) });
      const { t } = await connect(tail.address);
      assert.equal(t.params.version, 18);
      // Garbage: whatever it is refused with, it is refused with a typed SmpTransportError.
      for (let i = 0; i < 8; i++) {
        const garbage = new Uint8Array(createHash('sha256').update('garbage ' + i).digest());
        const s = await server({ chain, helloTransform: () => garbage });
        let error: unknown = null;
        try {
          await connectSmpTransport(defaultDeps, s.address, { handshakeTimeoutMs: 5000 }, { onTransmission: () => undefined, onBadBlock: () => undefined, onClose: () => undefined });
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof SmpTransportError, 'garbage hello ' + i + ': ' + String(error));
      }
    });

    it('refuses bytes that follow the hello before the client hello was sent (bad-handshake)', async () => {
      // The extra bytes share the hello's last TLS record, so they arrive with it.
      const s = await server({ chain: chainOf('ed25519'), helloSplitAt: 16000, afterHello: new Uint8Array([1, 2, 3]) });
      const e = await expectRefused(s.address, 'bad-handshake');
      assert.ok(e.message.indexOf('3 bytes after its hello') >= 0, e.message);
      assert.equal((await sessionOf(s)).helloContent, null);
    });

    it('gives up when the server never sends its hello (handshake-timeout) and closes the socket', async () => {
      const s = await server({ chain: chainOf('ed25519'), sendHello: false });
      const started = Date.now();
      await expectRefused(s.address, 'handshake-timeout', { handshakeTimeoutMs: 300 });
      assert.ok(Date.now() - started < 4000);
      const session = await sessionOf(s);
      await waitFor(() => session.closed, 5000, 'the client to close the socket');
    });

    it('reports a server that closes before its hello as closed', async () => {
      const s = await server({ chain: chainOf('ed25519'), sendHello: false });
      const pending = expectRefused(s.address, 'closed');
      const session = await sessionOf(s);
      session.end();
      await pending;
    });

    it('refuses a server that selects no ALPN (bad-alpn)', async () => {
      const s = await server({ chain: chainOf('ed25519'), alpn: [] });
      await expectRefused(s.address, 'bad-alpn');
    });

    it('passes TCP/TLS failures through as NetError', async () => {
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      let error: unknown = null;
      try {
        await connectSmpTransport(defaultDeps, { hosts: [{ kind: 'ipv4', host: '127.0.0.1' }], port, keyHash: new Uint8Array(32) }, { handshakeTimeoutMs: 3000 }, {
          onTransmission: () => undefined,
          onBadBlock: () => undefined,
          onClose: () => undefined,
        });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof NetError, String(error));
      assert.equal(error.code, 'refused');
    });

    it('refuses unusable arguments without touching the network', async () => {
      const calls: string[] = [];
      const countingNet = {
        connectTls: (o: TlsConnectOptions, h: TlsSocketHandlers) => {
          calls.push('connect');
          return nodeNet.connectTls(o, h);
        },
      };
      const handlers = { onTransmission: () => undefined, onBadBlock: () => undefined, onClose: () => undefined };
      const address: SmpServer = { hosts: [{ kind: 'ipv4', host: '127.0.0.1' }], port: 1, keyHash: new Uint8Array(32) };
      for (const handshakeTimeoutMs of [0, -1, NaN, Infinity]) {
        await assert.rejects(connectSmpTransport({ ...defaultDeps, net: countingNet }, address, { handshakeTimeoutMs }, handlers), TypeError);
      }
      await assert.rejects(connectSmpTransport({ ...defaultDeps, net: countingNet }, { ...address, hosts: [] }, {}, handlers), TypeError);
      assert.deepEqual(calls, []);
    });

    it('cancels its handshake timer on success and on failure', async () => {
      const clock = new RecordingClock(nodeClock);
      const chain = chainOf('ed25519');
      const s = await server({ chain });
      await connect(s.address, {}, { ...defaultDeps, clock });
      assert.equal(clock.set.length, 1);
      assert.deepEqual(clock.cancelled, [clock.set[0].id]);
      const bad = await server({ chain, sessionId: () => new Uint8Array(32) });
      await expectRefused(bad.address, 'bad-session', {}, { ...defaultDeps, clock });
      assert.equal(clock.set.length, 2);
      assert.deepEqual(clock.cancelled, [clock.set[0].id, clock.set[1].id]);
    });
  });

  describe('after the handshake', () => {
    async function open(alg: 'ed25519' | 'ed448' = 'ed25519', range?: VersionRange) {
      const s = await server({ chain: chainOf(alg), versionRange: range });
      const c = await connect(s.address);
      const session = await sessionOf(s);
      await waitFor(() => session.version !== 0, 5000, 'the client hello');
      return { s, session, ...c };
    }

    it('reports a server close in the middle of a block as closed, exactly once', async () => {
      const { session, heard } = await open();
      session.write(new Uint8Array(1000));
      await sleep(20);
      session.end();
      await waitFor(() => heard.closes.length > 0, 5000, 'onClose');
      await sleep(50);
      assert.equal(heard.closes.length, 1);
      const e = heard.closes[0];
      assert.ok(e instanceof SmpTransportError);
      assert.equal(e.code, 'closed');
      assert.ok(e.message.indexOf('1000 of 16384') >= 0, e.message);
      assert.deepEqual(heard.transmissions, []);
      assert.deepEqual(heard.badBlocks, []);
    });

    it('reports a server close between blocks as closed too (only our own close is null)', async () => {
      const { session, heard } = await open();
      session.end();
      await waitFor(() => heard.closes.length > 0, 5000, 'onClose');
      assert.ok(heard.closes[0] instanceof SmpTransportError && heard.closes[0].code === 'closed');
    });

    it('skips an undecryptable block, keeps the chain in step, and carries on', async () => {
      const { t, session, heard } = await open();
      session.sendGarbageBlock();
      session.sendTransmissions([session.pong(corrId(7))]);
      await waitFor(() => heard.transmissions.length === 1, 5000, 'the good block');
      assert.equal(heard.badBlocks.length, 1);
      assert.ok(heard.badBlocks[0] instanceof SmpBlockError);
      assert.equal((heard.badBlocks[0] as SmpBlockError).code, 'undecryptable');
      assertPong(t.params, heard.transmissions[0], 7);
      await roundTrip(t, heard, 8);
      assert.equal(t.counters().badBlocks, 1);
      assert.equal(t.counters().blocksReceived, 3);
    });

    it('skips an encrypted block whose padding declares more than fits', async () => {
      const { t, session, heard } = await open('ed448');
      session.sendBadPaddingBlock(16367);
      session.sendBadPaddingBlock(0xffff);
      await roundTrip(t, heard, 1);
      assert.deepEqual(
        heard.badBlocks.map((e) => (e as SmpBlockError).code),
        ['undecryptable', 'undecryptable'],
      );
    });

    it('skips an unencrypted block with an oversized length prefix (v10)', async () => {
      const { t, session, heard } = await open('ed25519', { min: 6, max: 10 });
      const block = encodeBlock(encodeBatch([session.pong(corrId(1))]));
      block[0] = 0x40; // 16384 + ... > 16382
      block[1] = 0x00;
      session.write(block);
      await roundTrip(t, heard, 2);
      assert.equal(heard.badBlocks.length, 1);
      assert.equal((heard.badBlocks[0] as SmpBlockError).code, 'bad-length');
      assert.equal(heard.transmissions.length, 1, 'nothing from the bad block');
    });

    for (const range of [undefined, { min: 6, max: 10 }]) {
      const label = range === undefined ? 'encrypted' : 'unencrypted';
      it('skips a batch with trailing bytes, an empty count or a truncated item (' + label + ')', async () => {
        const { t, session, heard } = await open('ed25519', range);
        const good = encodeBatch([session.pong(corrId(1))]);
        const trailing = new Uint8Array(good.length + 1);
        trailing.set(good);
        session.sendContent(trailing);
        session.sendContent(new Uint8Array([0]));
        session.sendContent(good.subarray(0, good.length - 1));
        session.sendContent(new Uint8Array(0));
        await roundTrip(t, heard, 2);
        assert.deepEqual(
          heard.badBlocks.map((e) => (e as SmpBlockError).code),
          ['bad-batch', 'bad-batch', 'bad-batch', 'bad-batch'],
        );
        assert.equal(heard.transmissions.length, 1);
      });
    }

    it('delivers 255 transmissions from one block, in order', async () => {
      const { t, session, heard } = await open();
      const pongs: Uint8Array[] = [];
      for (let i = 0; i < 255; i++) pongs.push(session.pong(corrId(i)));
      session.sendTransmissions(pongs);
      await waitFor(() => heard.transmissions.length === 255, 5000, '255 transmissions');
      for (let i = 0; i < 255; i++) assertPong(t.params, heard.transmissions[i], i);
      assert.equal(t.counters().blocksReceived, 1);
    });

    it('reassembles blocks from arbitrary TLS chunks and several blocks per chunk', async () => {
      const { t, session, heard } = await open('ed25519', { min: 6, max: 10 });
      const blocks: Uint8Array[] = [];
      for (let i = 0; i < 3; i++) blocks.push(encodeBlock(encodeBatch([session.pong(corrId(i))])));
      const all = new Uint8Array(3 * SMP_BLOCK_SIZE);
      blocks.forEach((b, i) => all.set(b, i * SMP_BLOCK_SIZE));
      // Odd-sized pieces across block boundaries, one write of two blocks' worth in the middle.
      const cuts = [1, 2, 5000, 16383, 16385, 16390, 3 * SMP_BLOCK_SIZE - 1, 3 * SMP_BLOCK_SIZE];
      let at = 0;
      for (const cut of cuts) {
        session.write(all.subarray(at, cut));
        at = cut;
        await sleep(2);
      }
      session.write(all.subarray(at));
      await waitFor(() => heard.transmissions.length === 3, 5000, 'three blocks');
      for (let i = 0; i < 3; i++) assertPong(t.params, heard.transmissions[i], i);
      // The views handed out belong to separate blocks: later blocks did not overwrite them.
      for (let i = 0; i < 3; i++) assertPong(t.params, heard.transmissions[i], i);
      assert.deepEqual(heard.badBlocks, []);
    });

    it('packs many transmissions per block and spreads a large send over several blocks (30 + 135 + 135)', async () => {
      const { t, session, heard } = await open();
      // A v18 Ed25519-signed SUB is 119 bytes (smp.md §5.2): the batching test's fixed count.
      const subs: Uint8Array[] = [];
      for (let i = 0; i < 300; i++) {
        subs.push(
          encodeTransmission(t.params, {
            authorization: new Uint8Array(64).fill(0x5a),
            corrId: corrId(i),
            entityId: new Uint8Array(24).fill(i & 0xff),
            command: encodeCommand(18, { type: 'SUB' }),
          }),
        );
      }
      assert.equal(subs[0].length, 119);
      t.send(subs);
      await waitFor(() => session.received.length === 300, 5000, '300 transmissions at the server');
      assert.deepEqual(session.batchSizes, [30, 135, 135]);
      for (let i = 0; i < 300; i++) assert.equal(toHex(session.received[i].corrId), toHex(corrId(i)));
      assert.deepEqual(t.counters(), { blocksSent: 3, blocksReceived: 0, badBlocks: 0, transmissionsSent: 300, transmissionsReceived: 0 });
      // 255 small transmissions hit the count limit before the byte budget.
      const pings: Uint8Array[] = [];
      for (let i = 0; i < 300; i++) pings.push(ping(t.params, 1000 + i));
      t.send(pings);
      await waitFor(() => heard.transmissions.length === 300, 5000, '300 PONGs');
      assert.deepEqual(session.batchSizes.slice(3), [45, 255]);
      for (let i = 0; i < 300; i++) assertPong(t.params, heard.transmissions[i], 1000 + i);
      assert.deepEqual(session.errors, []);
    });

    it('rejects a transmission too large for a block without sending anything', async () => {
      const { t, session, heard } = await open();
      const large = encodeTransmission(t.params, {
        authorization: EMPTY,
        corrId: corrId(1),
        entityId: new Uint8Array(24),
        command: new Uint8Array(17000),
      });
      assert.throws(
        () => t.send([ping(t.params, 1), large, ping(t.params, 2)]),
        (e: unknown) => e instanceof TransmissionError && e.code === 'large-message',
      );
      // Exactly at the budget still fits: 2 + 16363 = 16365.
      const justFits = encodeTransmission(t.params, { authorization: EMPTY, corrId: corrId(3), entityId: EMPTY, command: new Uint8Array(16363 - 27).fill(0x41) });
      assert.equal(justFits.length, 16363);
      assert.throws(() => t.send([new Uint8Array(16364)]), TransmissionError);
      await sleep(50);
      assert.equal(session.received.length, 0);
      assert.equal(t.counters().blocksSent, 0);
      // The send chain did not move: the next block still decrypts at the server.
      await roundTrip(t, heard, 4);
      t.send([justFits]);
      await waitFor(() => session.received.length === 2, 5000, 'the largest transmission');
      assert.equal(session.received[1].command.length, 16363 - 27);
      assert.deepEqual(session.errors, []);
    });

    it('stops delivering when a handler closes the connection mid-batch', async () => {
      const s = await server({ chain: chainOf('ed25519') });
      const got: Uint8Array[] = [];
      const closes: Array<Error | null> = [];
      let transport: SmpTransportConnection | null = null;
      transport = await connectSmpTransport(defaultDeps, s.address, { handshakeTimeoutMs: 5000 }, {
        onTransmission: (b) => {
          got.push(b);
          if (got.length === 2) (transport as SmpTransportConnection).close();
        },
        onBadBlock: () => undefined,
        onClose: (e) => closes.push(e),
      });
      const session = await sessionOf(s);
      await waitFor(() => session.version !== 0, 5000, 'the client hello');
      session.sendTransmissions([session.pong(corrId(1)), session.pong(corrId(2)), session.pong(corrId(3))]);
      await waitFor(() => closes.length > 0, 5000, 'onClose');
      assert.equal(got.length, 2);
      assert.deepEqual(closes, [null]);
    });

    it('closes the connection when a handler throws, and lets the exception reach the Net layer', async () => {
      const s = await server({ chain: chainOf('ed25519') });
      const escaped: unknown[] = [];
      // The real Node net, with the data callback guarded so the test can see what escapes it.
      const guardedNet = {
        connectTls: (o: TlsConnectOptions, h: TlsSocketHandlers) =>
          nodeNet.connectTls(o, {
            onData: (d) => {
              try {
                h.onData(d);
              } catch (e) {
                escaped.push(e);
              }
            },
            onClose: h.onClose,
          }),
      };
      const got: Uint8Array[] = [];
      const closes: Array<Error | null> = [];
      const bug = new Error('handler bug');
      const t = await connectSmpTransport({ ...defaultDeps, net: guardedNet }, s.address, { handshakeTimeoutMs: 5000 }, {
        onTransmission: (b) => {
          got.push(b);
          throw bug;
        },
        onBadBlock: () => undefined,
        onClose: (e) => closes.push(e),
      });
      const session = await sessionOf(s);
      await waitFor(() => session.version !== 0, 5000, 'the client hello');
      session.sendTransmissions([session.pong(corrId(1)), session.pong(corrId(2))]);
      await waitFor(() => closes.length > 0, 5000, 'onClose');
      assert.deepEqual(escaped, [bug]);
      assert.equal(got.length, 1);
      assert.deepEqual(closes, [null]);
      await waitFor(() => session.closed, 5000, 'the server to see the close');
      t.close();
    });

    it('wipes the hello private key and the DH secret as soon as the block cipher exists', async () => {
      const crypto = recordingCrypto(nodeCrypto);
      const s = await server({ chain: chainOf('ed25519') });
      const { t, heard } = await connect(s.address, {}, { ...defaultDeps, crypto });
      assert.equal(crypto.keyPairs.length, 1);
      assert.ok(crypto.keyPairs[0].privateKey.every((b) => b === 0), 'private key wiped');
      assert.equal(crypto.secrets.length, 1);
      assert.ok(crypto.secrets[0].every((b) => b === 0), 'DH secret wiped');
      await roundTrip(t, heard, 1);
      // Every chain output the transport saw (init and per-block steps) is wiped after use.
      assert.ok(crypto.hkdfOutputs.length >= 3);
      for (const out of crypto.hkdfOutputs) assert.ok(out.every((b) => b === 0));
    });
  });

  describe('with the portable (noble) crypto backend', () => {
    it('connects at v18 to an Ed448 router and round-trips encrypted blocks', async () => {
      const crypto = createPortableCrypto(createNodeRandom());
      const s = await server({ chain: chainOf('ed448') });
      const { t, heard } = await connect(s.address, {}, { ...defaultDeps, crypto });
      assert.equal(t.params.blockEncryption, true);
      await roundTrip(t, heard, 1);
      await roundTrip(t, heard, 2);
    });
  });
});

// =============================================================================================

describe('SMP server identity checks (server-identity.ts)', () => {
  const crypto = nodeCrypto;

  function expectCode(fn: () => unknown, code: SmpTransportErrorCode): void {
    assert.throws(fn, (e: unknown) => e instanceof SmpTransportError && e.code === code && e.message.length > 0);
  }

  function verifyServerChainOk(chain: ServerChain): void {
    assert.equal(toHex(verifyServerChain(crypto, chain.certs, chain.keyHash).raw), toHex(chain.leaf.raw));
  }

  it('returns the leaf key of a good chain and refuses chains of other lengths', () => {
    const chain = chainOf('ed448');
    const key = verifyServerChain(crypto, chain.certs, chain.keyHash);
    assert.equal(key.alg, 'ed448');
    assert.equal(toHex(key.raw), toHex(chain.leaf.raw));
    expectCode(() => verifyServerChain(crypto, [], chain.keyHash), 'bad-chain');
    expectCode(() => verifyServerChain(crypto, [chain.certs[0]], chain.keyHash), 'bad-chain');
    const five = chainOf('ed448', 5);
    expectCode(() => verifyServerChain(crypto, five.certs, five.keyHash), 'bad-chain');
  });

  it('checks the pin before parsing anything, then refuses garbage and truncated certificates', () => {
    const chain = chainOf('ed25519');
    expectCode(() => verifyServerChain(crypto, [new Uint8Array([1]), chain.certs[1]], new Uint8Array(32)), 'unknown-ca');
    expectCode(() => verifyServerChain(crypto, chain.certs, chain.keyHash.subarray(0, 31)), 'unknown-ca');
    expectCode(() => verifyServerChain(crypto, [new Uint8Array([0x30, 0x00]), chain.certs[1]], chain.keyHash), 'bad-chain');
    for (const cut of [0, 1, 10, chain.certs[0].length - 1]) {
      expectCode(() => verifyServerChain(crypto, [chain.certs[0].subarray(0, cut), chain.certs[1]], chain.keyHash), 'bad-chain');
    }
    const garbageIdentity = new Uint8Array(200).fill(0x30);
    expectCode(() => verifyServerChain(crypto, [chain.certs[0], garbageIdentity], sha256(garbageIdentity)), 'bad-chain');
    for (let i = 0; i < 40; i++) {
      const corrupted = new Uint8Array(chain.certs[0]);
      corrupted[(i * 37) % corrupted.length] ^= 1 << i % 8;
      expectCode(() => verifyServerChain(crypto, [corrupted, chain.certs[1]], chain.keyHash), 'bad-chain');
    }
  });

  it('refuses an issuer that is not a CA, a leaf from another CA, and a chain in the wrong order', () => {
    const chain = chainOf('ed25519');
    const other = chainOf('ed25519', 3);
    // The leaf pinned as the identity: not a CA.
    expectCode(() => verifyServerChain(crypto, [chain.certs[0], chain.certs[0]], sha256(chain.certs[0])), 'bad-chain');
    // The other chain's identity certificate pinned, but the leaf is ours.
    expectCode(() => verifyServerChain(crypto, [chain.certs[0], other.certs[1], other.certs[2]], other.keyHash), 'bad-chain');
    // A leaf signed by the identity key that names another issuer.
    const renamed = makeServerChain('ed25519', { leafIssuerName: 'Someone else' });
    verifyServerChainOk(makeServerChain('ed25519'));
    expectCode(() => verifyServerChain(crypto, renamed.certs, renamed.keyHash), 'bad-chain');
    // An identity certificate that signs the leaf but is not a CA (CA:FALSE).
    const notCA = makeServerChain('ed25519', { identityNotCA: true });
    expectCode(() => verifyServerChain(crypto, notCA.certs, notCA.keyHash), 'bad-chain');
    // 3 certificates with the top two swapped.
    expectCode(() => verifyServerChain(crypto, [other.certs[0], other.certs[1], other.certs[1]], other.keyHash), 'bad-chain');
    expectCode(() => verifyServerChain(crypto, [other.certs[0], other.certs[1], chain.certs[1]], other.keyHash), 'bad-chain');
  });

  it("verifies the vector's signed session key with the leaf key, and returns its X25519 key", () => {
    const v = vectorCase('smp-handshake.json', 'signed_session_key_ed25519');
    const leafKey = { alg: 'ed25519', raw: nodeCrypto.ed25519PublicKey(hex(v.ed25519_seed)) };
    const tlsChain = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const key = verifyHelloSessionKey(crypto, { certChain: tlsChain, signedKey: hex(v.signed_key_der) }, tlsChain, leafKey);
    assert.equal(toHex(key), v.x25519_public);
    // A copy: the caller's DER may be reused.
    const der = hex(v.signed_key_der);
    const out = verifyHelloSessionKey(crypto, { certChain: tlsChain, signedKey: der }, tlsChain, leafKey);
    der.fill(0);
    assert.equal(toHex(out), v.x25519_public);
    // Any flipped bit of the signed object or signature fails; a truncation is malformed.
    for (let i = 0; i < der.length; i += 7) {
      const bad = hex(v.signed_key_der);
      bad[i] ^= 0x01;
      expectCode(() => verifyHelloSessionKey(crypto, { certChain: tlsChain, signedKey: bad }, tlsChain, leafKey), 'bad-signed-key');
    }
    for (const cut of [0, 1, 50, 121]) {
      expectCode(() => verifyHelloSessionKey(crypto, { certChain: tlsChain, signedKey: hex(v.signed_key_der).subarray(0, cut) }, tlsChain, leafKey), 'bad-signed-key');
    }
    // The right signature under an Ed448 leaf key is refused (the algorithms differ).
    expectCode(() => verifyHelloSessionKey(crypto, { certChain: tlsChain, signedKey: hex(v.signed_key_der) }, tlsChain, { alg: 'ed448', raw: new Uint8Array(57) }), 'bad-signed-key');
    // Chains must match certificate for certificate.
    expectCode(() => verifyHelloSessionKey(crypto, { certChain: [tlsChain[0]], signedKey: hex(v.signed_key_der) }, tlsChain, leafKey), 'bad-chain');
    expectCode(() => verifyHelloSessionKey(crypto, { certChain: [tlsChain[0], new Uint8Array([4, 6])], signedKey: hex(v.signed_key_der) }, tlsChain, leafKey), 'bad-chain');
  });
});

// =============================================================================================
// Recording decorators around the real HAL (no behaviour of their own).

class RecordingClock implements Clock {
  readonly set: TimerHandle[] = [];
  readonly cancelled: number[] = [];
  constructor(private readonly inner: Clock) {}
  now(): number {
    return this.inner.now();
  }
  monotonic(): number {
    return this.inner.monotonic();
  }
  setTimer(fn: () => void, ms: number): TimerHandle {
    const h = this.inner.setTimer(fn, ms);
    this.set.push(h);
    return h;
  }
  cancelTimer(handle: TimerHandle): void {
    this.cancelled.push(handle.id);
    this.inner.cancelTimer(handle);
  }
}

/** The real crypto, keeping references to the key material it hands out so a test can see it wiped. */
interface RecordingCrypto extends Crypto {
  readonly keyPairs: KeyPair[];
  readonly secrets: Uint8Array[];
  readonly hkdfOutputs: Uint8Array[];
}

function recordingCrypto(inner: Crypto): RecordingCrypto {
  const keyPairs: KeyPair[] = [];
  const secrets: Uint8Array[] = [];
  const hkdfOutputs: Uint8Array[] = [];
  return {
    ...inner,
    keyPairs,
    secrets,
    hkdfOutputs,
    x25519KeyPair(): KeyPair {
      const kp = inner.x25519KeyPair();
      keyPairs.push(kp);
      return kp;
    },
    x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      const s = inner.x25519(privateKey, publicKey);
      secrets.push(s);
      return s;
    },
    hkdfSha512(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      const out = inner.hkdfSha512(salt, ikm, info, length);
      hkdfOutputs.push(out);
      return out;
    },
  };
}
