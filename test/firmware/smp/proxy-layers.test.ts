/**
 * Private routing, layer by layer (issue 6), with two real local routers over TLS on loopback:
 * device 1 sends through A (forwarding, on 127.0.0.2) to device 2's queue on B (destination, on
 * 127.0.0.1), through the device's own stack (proxy-client.ts, client.ts, transport.ts, hal/node).
 *
 * - What each router sees, from the routers' own view (RouterOptions.onTransmission): A never
 *   sees device 2's queue IDs, B never sees device 1's connection.
 * - Each encryption layer damaged in turn (crypto-tap.ts) is refused by the party that opens it,
 *   and the route and the queue keep working afterwards.
 */
import assert from 'node:assert/strict';
import type { Net } from '../../../hal/net';
import { createNodeClock } from '../../../hal/node/clock';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { copyBytes, equalBytes, toHex } from '../../../firmware/encoding/bytes';
import type { SmpServer } from '../../../firmware/smp/address';
import { SmpClient, type AuthKeyPair, type CreatedQueue, type QueueEvent } from '../../../firmware/smp/client';
import { ProxyClient, ProxyError, type ProxyRoute } from '../../../firmware/smp/proxy-client';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import type { ObservedTransmission } from '../../../tools/router/context';
import { crypto, random, removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';
import { D2R_PLAINTEXT, F2D_PLAINTEXT, S2D_PLAINTEXT, tapCrypto, type CryptoTap } from './crypto-tap';

const clock = createNodeClock();
const text = new TextEncoder();

/** What a router's observer saw, copied (the observer gets views). */
interface Seen {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly entityId: Uint8Array;
  readonly command: string;
  readonly forwarded: boolean;
  readonly transmission: Uint8Array;
}

function recorder(into: Seen[]): (t: ObservedTransmission) => void {
  return (t) => {
    into.push({
      connectionId: t.connectionId,
      remoteAddress: t.remoteAddress,
      entityId: copyBytes(t.entityId),
      command: t.command,
      forwarded: t.forwarded,
      transmission: copyBytes(t.transmission),
    });
  };
}

/** Whether `needle` occurs anywhere in `hay`. */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length)) >= 0;
}

/** A Net that records the host:port of every connection it opens. */
function recordingNet(into: string[]): Net {
  const inner = createNodeNet();
  return {
    connectTls(options, handlers) {
      into.push(options.host + ':' + options.port);
      return inner.connectTls(options, handlers);
    },
  };
}

function client(server: SmpServer, basicAuth: string | null, net: Net): SmpClient {
  return new SmpClient({
    server, basicAuth, crypto, clock, random, log: createMemoryLog({ level: 'error' }), config: { commandTimeoutMs: 10000 },
    connect: (handlers) => connectSmpTransport({ net, crypto, clock }, server, { handshakeTimeoutMs: 5000 }, handlers),
  });
}

function senderKey(): AuthKeyPair {
  const k = crypto.ed25519KeyPair();
  return { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('private routing layers: what each router sees, and each layer damaged (two local routers)', function () {
  this.timeout(30000);
  const seenA: Seen[] = [];
  const seenB: Seen[] = [];
  const device1Connects: string[] = [];
  let a: TestRouter;
  let b: TestRouter;
  let tapA: CryptoTap;
  let tapB: CryptoTap;
  let tap1: CryptoTap;
  let device1: SmpClient;
  let device2: SmpClient;
  let proxy: ProxyClient;
  let route: ProxyRoute;
  let q: CreatedQueue;
  let key: AuthKeyPair;
  const inbox: QueueEvent[] = [];
  let wake: (() => void) | null = null;

  async function next(): Promise<QueueEvent> {
    while (inbox.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('device 2: no message within 10 s')), 10000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return inbox.shift() as QueueEvent;
  }

  /** Device 2 receives `expected` as the next message and acknowledges it. */
  async function receives(expected: string): Promise<void> {
    const ev = await next();
    assert.equal(ev.type, 'message', 'device 2 got ' + ev.type);
    if (ev.type !== 'message') return;
    assert.equal(new TextDecoder().decode(ev.body), expected);
    await device2.ack(q, ev.msgId);
  }

  before(async () => {
    tapA = tapCrypto(crypto);
    tapB = tapCrypto(crypto);
    tap1 = tapCrypto(crypto);
    a = await startTestRouter({ host: '127.0.0.2', sync: false, crypto: tapA.crypto, onTransmission: recorder(seenA) });
    b = await startTestRouter({ sync: false, crypto: tapB.crypto, onTransmission: recorder(seenB) });
    device1 = client(a.server, null, recordingNet(device1Connects));
    device2 = client(b.server, null, createNodeNet());
    proxy = new ProxyClient({ crypto: tap1.crypto, random, log: createMemoryLog({ level: 'error' }) });
    route = { proxy: device1, proxyAuth: null, relay: b.server };
    q = await device2.createQueue({
      rcvAuthKey: senderKey(), rcvDhKey: crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null,
      onEvent: (e) => {
        inbox.push(e);
        if (wake !== null) wake();
      },
    });
    key = senderKey();
    await proxy.proxySecure(route, q.sndId, key);
    await proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('first'), notification: false });
    await receives('first');
  });

  after(async () => {
    device1.close();
    device2.close();
    await a.stop();
    await b.stop();
    removeTempDirs();
  });

  it('A never sees device 2\'s queue IDs; B never sees device 1\'s connection, only A\'s RFWD', () => {
    const ids = [q.sndId, q.rcvId];
    // The observer does see queue IDs where they are in the clear (control for the checks on A).
    assert.ok(seenB.some((s) => s.forwarded && s.command === 'SEND' && contains(s.transmission, q.sndId)), 'B saw the sender ID in SEND');

    // A: only PRXY and PFWD from device 1; no transmission it parsed names or contains either queue ID.
    assert.ok(seenA.length >= 3, 'A saw ' + seenA.length);
    assert.deepEqual(Array.from(new Set(seenA.map((s) => s.command))).sort(), ['PFWD', 'PRXY']);
    for (const s of seenA) {
      assert.equal(s.forwarded, false);
      for (const id of ids) {
        assert.ok(!equalBytes(s.entityId, id), 'A saw a queue ID as the entity of ' + s.command);
        assert.ok(!contains(s.transmission, id), 'A saw a queue ID inside ' + s.command);
      }
    }
    const device1AtA = new Set(seenA.map((s) => s.remoteAddress));
    assert.equal(device1AtA.size, 1, 'device 1 used one connection to A');

    // Device 1 never opened a connection to anything but A.
    assert.ok(device1Connects.length > 0 && device1Connects.every((h) => h === '127.0.0.2:' + a.server.port), device1Connects.join(','));

    // B: the SKEY and SEND for the queue arrived inside RFWD on A's relay connection, and on no other.
    const forwarded = seenB.filter((s) => s.forwarded);
    assert.deepEqual(Array.from(new Set(forwarded.map((s) => s.command))).sort(), ['SEND', 'SKEY']);
    for (const s of forwarded) assert.ok(equalBytes(s.entityId, q.sndId));
    const relayConns = new Set(seenB.filter((s) => s.command === 'RFWD').map((s) => s.connectionId));
    assert.equal(relayConns.size, 1, 'A keeps one connection to B');
    for (const s of forwarded) assert.ok(relayConns.has(s.connectionId), 'forwarded ' + s.command + ' on A\'s connection');
    // Nothing addressed to the queue's sender ID reached B except through A.
    for (const s of seenB) if (equalBytes(s.entityId, q.sndId)) assert.equal(s.forwarded, true, s.command + ' for the sender ID came directly');
    // Device 1's address (host:port as A saw it) never appears at B, and A's relay connection
    // carries RFWD only.
    for (const s of seenB) {
      assert.ok(!device1AtA.has(s.remoteAddress), 'B saw device 1\'s address');
      if (relayConns.has(s.connectionId) && !s.forwarded) assert.equal(s.command, 'RFWD');
    }
    // B's connections: device 2's and A's, nothing else.
    assert.equal(new Set(seenB.map((s) => s.connectionId)).size, 2);
  });

  it('s2d damaged (encT in PFWD): B cannot open it (ERR CRYPTO for N), A reports PROXY PROTOCOL CRYPTO; the route keeps working', async () => {
    const failsBefore = tapB.failedOpens.length;
    tap1.armSeal(S2D_PLAINTEXT);
    const e = await rejection(proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('damaged s2d'), notification: false }));
    assert.ok(e instanceof ProxyError, String(e));
    assert.equal(e.code, 'destination-refused');
    assert.equal(e.hop, 'destination');
    assert.deepEqual(e.error, { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'CRYPTO' } } });
    assert.match(e.message, /the destination router refused the forwarded command \(PROXY PROTOCOL CRYPTO\)/);
    // B is the one that refused, and at the s2d box: the nonce it failed on is the PFWD's N.
    assert.equal(tap1.damagedNonces.length, 1);
    assert.equal(tapB.failedOpens.length, failsBefore + 1);
    assert.equal(toHex(tapB.failedOpens[failsBefore]), toHex(tap1.damagedNonces[0]));
    await proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('after s2d'), notification: false });
    await receives('after s2d');
  });

  it('f2d damaged (A\'s RFWD box): B refuses it (ERR CRYPTO for M), A reports PROXY PROTOCOL CRYPTO; nothing is delivered', async () => {
    const failsBefore = tapB.failedOpens.length;
    const sendsBefore = seenB.filter((s) => s.command === 'SEND').length;
    tapA.armSeal(F2D_PLAINTEXT);
    const e = await rejection(proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('damaged f2d'), notification: false }));
    assert.ok(e instanceof ProxyError, String(e));
    assert.equal(e.code, 'destination-refused');
    assert.equal(e.hop, 'destination');
    assert.deepEqual(e.error, { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'CRYPTO' } } });
    assert.equal(tapA.damagedNonces.length, 1);
    // B failed on A's box (nonce M), not on device 1's: the s2d layer was never reached.
    assert.equal(tapB.failedOpens.length, failsBefore + 1);
    assert.equal(toHex(tapB.failedOpens[failsBefore]), toHex(tapA.damagedNonces[0]));
    assert.equal(seenB.filter((s) => s.command === 'SEND').length, sendsBefore, 'no SEND reached B');
    await proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('after f2d'), notification: false });
    await receives('after f2d');
  });

  it('d2r damaged (B\'s MSG to device 2): device 2 reports that msgId undecryptable, acknowledges it, and the queue keeps working', async () => {
    tapB.armSeal(D2R_PLAINTEXT);
    await proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('damaged d2r'), notification: false });
    const ev = await next();
    assert.equal(ev.type, 'undecryptable');
    if (ev.type !== 'undecryptable') return;
    assert.equal(tapB.damagedNonces.length, 1);
    assert.equal(toHex(ev.msgId), toHex(tapB.damagedNonces[0]), 'the damaged MSG is named by its msgId (its nonce)');
    assert.match(ev.error.message, /does not open/);
    assert.ok(!ev.error.message.includes(toHex(q.rcvId)));
    await device2.ack(q, ev.msgId);
    await proxy.proxySend(route, { sndId: q.sndId, senderKey: key, body: text.encode('after d2r'), notification: false });
    await receives('after d2r');
    assert.equal(inbox.length, 0);
  });
});
