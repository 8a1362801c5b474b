import assert from 'node:assert/strict';
import type { Crypto, KeyPair } from '../../../hal/crypto';
import { createMemoryLog } from '../../../hal/node/log';
import { cbEncrypt } from '../../../firmware/crypto/box';
import { concatBytes, equalBytes, toHex } from '../../../firmware/encoding/bytes';
import type { SmpServer } from '../../../firmware/smp/address';
import { SmpClient, type QueueEvent, type SmpClientConfig } from '../../../firmware/smp/client';
import { SmpClientError } from '../../../firmware/smp/client-errors';
import { encodeCommand, type Command } from '../../../firmware/smp/commands';
import { decodeErrorType, encodeErrorType, type ErrorType } from '../../../firmware/smp/errors';
import { PADDED_PROXIED_T_LENGTH } from '../../../firmware/smp/message';
import { ProxyClient, ProxyError, type ProxyErrorCode, type ProxyRoute } from '../../../firmware/smp/proxy-client';
import { authorizedBytes, encodeBatch, encodeTransmission, SMP_ENCRYPTED_BLOCK_CONTENT_MAX } from '../../../firmware/smp/transmission';
import { encodeSignedKey } from '../../../firmware/x509/certificate';
import { authKeyPair, flush, publicOf, TEST_SERVER } from './client-helpers';
import { makeServerChain } from './fake-server';
import { ManualClock } from './manual-clock';
import { ProxyRouter, RelaySide, type Forwarded } from './proxy-helpers';

// ---------------------------------------------------------------------------------------------
// Setup: device 1 → P (ProxyRouter) → R (RelaySide) ← device 2 (subscribed directly on R)

interface Setup {
  readonly relay: RelaySide;
  readonly p: ProxyRouter;
  readonly clock: ManualClock;
  readonly client: SmpClient;
  readonly proxy: ProxyClient;
  readonly route: ProxyRoute;
  readonly crypto: Crypto;
  /** The ephemeral key pairs ProxyClient generated, and every X25519 output it computed. */
  readonly ephemeral: KeyPair[];
  readonly secrets: Uint8Array[];
}

function setup(options: { proxyVersion?: number; config?: Partial<SmpClientConfig>; proxyAuth?: string | null; routerAuth?: string | null } = {}): Setup {
  const relay = new RelaySide();
  const p = new ProxyRouter(relay);
  if (options.proxyVersion !== undefined) p.version = options.proxyVersion;
  if (options.routerAuth !== undefined) p.basicAuth = options.routerAuth;
  const clock = new ManualClock();
  const log = createMemoryLog({ now: () => clock.now() });
  const client = new SmpClient({ server: TEST_SERVER, basicAuth: null, connect: p.connect, crypto: p.crypto, clock, random: p.random, log, config: options.config });
  const ephemeral: KeyPair[] = [];
  const secrets: Uint8Array[] = [];
  // The real backend, watched: what ProxyClient generates and derives, so the test can see it wiped.
  const watched: Crypto = Object.create(p.crypto) as Crypto;
  watched.x25519KeyPair = (): KeyPair => {
    const kp = p.crypto.x25519KeyPair();
    ephemeral.push(kp);
    return kp;
  };
  watched.x25519 = (priv: Uint8Array, pub: Uint8Array): Uint8Array => {
    const s = p.crypto.x25519(priv, pub);
    secrets.push(s);
    return s;
  };
  const proxy = new ProxyClient({ crypto: watched, random: p.random, log });
  const route: ProxyRoute = { proxy: client, proxyAuth: options.proxyAuth ?? null, relay: relay.server };
  return { relay, p, clock, client, proxy, route, crypto: p.crypto, ephemeral, secrets };
}

interface Recipient {
  readonly sndId: Uint8Array;
  readonly events: QueueEvent[];
  readonly client: SmpClient;
}

/** Device 2 creates a subscribed messaging queue on R, directly. */
async function recipientOnRelay(s: Setup): Promise<Recipient> {
  const clock = new ManualClock();
  const client = new SmpClient({
    server: s.relay.server, basicAuth: null, connect: s.relay.router.connect, crypto: s.crypto, clock, random: s.p.random, log: createMemoryLog(),
  });
  const events: QueueEvent[] = [];
  const q = await client.createQueue({
    rcvAuthKey: authKeyPair(s.crypto), rcvDhKey: s.crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null, onEvent: (e) => events.push(e),
  });
  return { sndId: q.sndId, events, client };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

async function expectProxyError(p: Promise<unknown>, code: ProxyErrorCode, hop: 'forwarding' | 'destination'): Promise<ProxyError> {
  const e = await rejection(p);
  assert.ok(e instanceof ProxyError, 'expected ProxyError ' + code + ', got ' + String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.hop, hop, e.message);
  assert.equal(e.name, 'ProxyError');
  assert.equal(e.host, hop === 'forwarding' ? 'smp.example.org' : 'relay.example.net');
  // Both routers are named, so the user can tell which to blame or replace.
  assert.ok(e.message.indexOf('smp.example.org') >= 0 && e.message.indexOf('relay.example.net') >= 0, e.message);
  return e;
}

function errText(e: ErrorType | null): string {
  return e === null ? 'null' : new TextDecoder().decode(encodeErrorType(e));
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const body = (s: string): Uint8Array => utf8(s);

function lastForwarded(s: Setup): Forwarded {
  assert.ok(s.p.forwarded.length > 0, 'P forwarded something');
  return s.p.forwarded[s.p.forwarded.length - 1];
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------

describe('ProxyClient (firmware/smp/proxy-client.ts)', () => {
  describe('sending through a forwarding router', () => {
    it('delivers a SEND from device 1 through P to device 2 subscribed on R; P sees only PRXY and PFWD', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('hello via P'), notification: false });
      await flush();
      assert.equal(rcp.events.length, 1);
      const ev = rcp.events[0];
      assert.ok(ev.type === 'message' && Buffer.from(ev.body).toString() === 'hello via P');
      assert.deepEqual(s.p.received.map((r) => r.command?.type), ['PRXY', 'PFWD'], 'the forwarding router got nothing else');
      const prxy = s.p.prxys[0].command;
      assert.ok(prxy !== null && prxy.type === 'PRXY');
      assert.ok(equalBytes(prxy.server.keyHash, s.relay.server.keyHash) && prxy.basicAuth === null);
      assert.equal(s.p.prxys[0].entityId.length, 0);
      assert.equal(s.p.prxys[0].raw.authorization.length, 0);
      const f = lastForwarded(s);
      assert.ok(f.innerCommand !== null && f.innerCommand.type === 'SEND');
      assert.ok(f.verified, 'R accepted the unauthorized SEND to an unsecured queue');
    });

    it('lays out PFWD byte for byte: N is corrId, inner corrId and nonce; encT is 16242 bytes; the block content is 16356', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      const sender = authKeyPair(s.crypto, 'ed25519');
      await s.proxy.proxySecure(s.route, rcp.sndId, sender);
      const msg = new Uint8Array(16043).fill(0x61); // a full ClientMsgEnvelope (smp.md §8.3)
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: sender, body: msg, notification: true });
      const f = lastForwarded(s);
      const r = f.received;
      // The outer transmission, as P received it.
      assert.equal(r.raw.authorization.length, 0);
      assert.equal(r.corrId.length, 24);
      assert.ok(equalBytes(r.entityId, s.relay.sessionId), 'entity = sessionId_PR');
      assert.equal(f.version, 17, 'v = min(17 from PKEY, 18)');
      assert.equal(f.encT.length, 16242);
      assert.equal(f.ephemeralKey.length, 32);
      // Rebuild the inner transmission and encT from first principles and compare every byte.
      const cmd = encodeCommand(17, { type: 'SEND', flags: { notification: true }, body: msg });
      const sig = s.crypto.ed25519Sign(sender.privateKey, authorizedBytes(s.relay.sessionId, f.n, rcp.sndId, cmd));
      const tInner = encodeTransmission({ version: 17, sessionId: s.relay.sessionId }, { authorization: sig, corrId: f.n, entityId: rcp.sndId, command: cmd });
      assert.ok(equalBytes(tInner.subarray(0, 66), concatBytes([new Uint8Array([64]), sig, new Uint8Array([0x30])])), "auth, then the serviceSig '0'");
      const inner = encodeBatch([tInner]);
      assert.ok(f.inner !== null && equalBytes(f.inner, inner), 'the inner batch is 01 ‖ large(T_inner)');
      assert.equal(inner.length, 3 + 65 + 1 + 25 + 25 + 7 + 16043);
      const secret = s.crypto.x25519(s.relay.sessionKey.privateKey, f.ephemeralKey);
      assert.ok(equalBytes(f.encT, cbEncrypt(s.crypto, secret, f.n, inner, PADDED_PROXIED_T_LENGTH)), 'encT = cbEncrypt(X25519(relayKey, ek), N, inner, 16226)');
      // PFWD itself: 00 ‖ short(N) ‖ short(sessionId_PR) ‖ "PFWD " v(2) short(ek SPKI 44) encT.
      const sent = s.p.current.sent.map((b) => b[0]).filter((t) => t.length > 16000);
      assert.equal(sent.length, 2, 'two PFWDs went out (SKEY, SEND)');
      const pfwd = sent[1];
      assert.equal(pfwd.length, 1 + 25 + 33 + 5 + 2 + 45 + 16242);
      assert.equal(pfwd.length + 3, 16356, 'block content: count, large prefix, transmission');
      assert.ok(pfwd.length + 3 <= SMP_ENCRYPTED_BLOCK_CONTENT_MAX, 'fits an encrypted block');
      assert.deepEqual(Array.from(pfwd.subarray(0, 2)), [0, 24]);
      assert.ok(equalBytes(pfwd.subarray(2, 26), f.n));
      assert.equal(Buffer.from(pfwd.subarray(26 + 33, 26 + 33 + 5)).toString('latin1'), 'PFWD ');
      assert.deepEqual(Array.from(pfwd.subarray(64, 66)), [0, 17]);
      assert.equal(pfwd[66], 44);
      assert.ok(equalBytes(pfwd.subarray(pfwd.length - 16242), f.encT));
      // R answered inside PRES with a 16242-byte box too; the message arrived.
      assert.ok(f.verified, 'R verified the Ed25519 signature over sessionId_PR ‖ N ‖ sndId ‖ SEND');
      await flush();
      const ev = rcp.events[0];
      assert.ok(ev.type === 'message' && equalBytes(ev.body, msg) && ev.flags.notification);
    });

    for (const alg of ['ed25519', 'ed448', 'x25519'] as const) {
      it('secures the queue with SKEY and sends with a ' + alg + ' sender key (X25519 authenticates against R\'s key from PKEY)', async () => {
        const s = setup();
        const rcp = await recipientOnRelay(s);
        const sender = authKeyPair(s.crypto, alg);
        await s.proxy.proxySecure(s.route, rcp.sndId, sender);
        assert.ok(lastForwarded(s).verified);
        const q = s.relay.router.queueBySender(rcp.sndId);
        assert.ok(q !== undefined && q.senderKey !== null && equalBytes(q.senderKey.raw, sender.publicKey));
        await s.proxy.proxySecure(s.route, rcp.sndId, sender); // idempotent with the same key
        await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: sender, body: body('secured'), notification: false });
        assert.ok(lastForwarded(s).verified);
        // Without the key the secured queue refuses: R's AUTH, inside PRES.
        const e = await expectProxyError(s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('x'), notification: false }), 'destination-refused', 'destination');
        assert.deepEqual(e.error, { type: 'AUTH' });
        await flush();
        assert.equal(rcp.events.length, 1);
      });
    }

    it('sends the largest SEND body (16048) with an Ed448 key: the inner batch fills the 16226-byte padding exactly', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      const sender = authKeyPair(s.crypto, 'ed448');
      await s.proxy.proxySecure(s.route, rcp.sndId, sender);
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: sender, body: new Uint8Array(16048).fill(7), notification: false });
      const f = lastForwarded(s);
      assert.ok(f.inner !== null);
      assert.equal(f.inner.length, 16224, '2 length bytes + 16224 = 16226');
      assert.equal(f.encT.length, 16242);
    });

    it('sends P its password with PRXY; P refusing it is a forwarding error (PROXY BASIC_AUTH)', async () => {
      const ok = setup({ routerAuth: 'secret1', proxyAuth: 'secret1' });
      const rcp = await recipientOnRelay(ok);
      await ok.proxy.proxySend(ok.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false });
      const prxy = ok.p.prxys[0].command;
      assert.ok(prxy !== null && prxy.type === 'PRXY' && prxy.basicAuth === 'secret1');
      const bad = setup({ routerAuth: 'secret1', proxyAuth: 'wrong' });
      const e = await expectProxyError(bad.proxy.proxySend(bad.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false }), 'forwarding-refused', 'forwarding');
      assert.equal(errText(e.error), 'PROXY BASIC_AUTH');
      assert.match(e.message, /password/);
      assert.equal(bad.p.forwarded.length, 0);
    });
  });

  describe('validating PKEY like a direct connection (errors name the destination)', () => {
    async function pkeyFailure(tamper: (s: Setup) => void, code: ProxyErrorCode, expected: string): Promise<ProxyError> {
      const s = setup();
      tamper(s);
      const e = await expectProxyError(s.proxy.proxySend(s.route, { sndId: new Uint8Array(24).fill(1), senderKey: null, body: body('x'), notification: false }), code, 'destination');
      assert.equal(errText(e.error), expected);
      assert.equal(s.p.forwarded.length, 0, 'nothing was forwarded to an unproven destination');
      return e;
    }

    it('refuses a chain whose identity certificate is not the fingerprint in R\'s address', async () => {
      const e = await pkeyFailure((s) => {
        const other = makeServerChain('ed25519');
        s.p.pkey = (h) => ({ ...h, certChainPubKey: { certChain: other.certs, signedKey: encodeSignedKey(s.relay.sessionKey.publicKey, 'ed25519', (m) => other.leaf.sign(m)) } });
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
      assert.match(e.message, /fingerprint/);
    });

    it('refuses R\'s genuine PKEY when the route names another destination (P answering for the wrong router)', async () => {
      await pkeyFailure((s) => {
        const other: SmpServer = { ...s.relay.server, keyHash: new Uint8Array(32).fill(9) };
        Object.assign(s.route, { relay: other });
        s.p.impersonate = true;
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
    });

    it('refuses a chain of one certificate, and a leaf not signed by the identity certificate', async () => {
      await pkeyFailure((s) => {
        s.p.pkey = (h) => ({ ...h, certChainPubKey: { certChain: [s.relay.chain.certs[0]], signedKey: h.certChainPubKey.signedKey } });
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
      const e = await pkeyFailure((s) => {
        const forged = makeServerChain('ed25519', { leafSignedByStranger: true });
        // The stranger-signed leaf next to R's real identity certificate: the pin matches, the signature does not.
        s.p.pkey = (h) => ({ ...h, certChainPubKey: { certChain: [forged.certs[0], s.relay.chain.certs[1]], signedKey: encodeSignedKey(s.relay.sessionKey.publicKey, 'ed25519', (m) => forged.leaf.sign(m)) } });
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
      assert.match(e.message, /chain/);
    });

    it('refuses a session key not signed by the leaf, and a malformed signed key', async () => {
      const e = await pkeyFailure((s) => {
        const stranger = makeServerChain('ed25519');
        s.p.pkey = (h) => ({ ...h, certChainPubKey: { certChain: h.certChainPubKey.certChain, signedKey: encodeSignedKey(s.crypto.x25519KeyPair().publicKey, 'ed25519', (m) => stranger.leaf.sign(m)) } });
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
      assert.match(e.message, /signed/);
      await pkeyFailure((s) => {
        s.p.pkey = (h) => ({ ...h, certChainPubKey: { certChain: h.certChainPubKey.certChain, signedKey: new Uint8Array([0x30, 0x03, 1, 2]) } });
      }, 'destination-identity', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY');
    });

    it('refuses a version range without overlap (above and below this client)', async () => {
      await pkeyFailure((s) => {
        s.relay.versionRange = { min: 19, max: 20 };
      }, 'destination-version', 'PROXY BROKER TRANSPORT VERSION');
      await pkeyFailure((s) => {
        s.relay.versionRange = { min: 6, max: 7 };
      }, 'destination-version', 'PROXY BROKER TRANSPORT VERSION');
    });

    it('forwards at min(PKEY max, 18): v16 when R offers 8..16', async () => {
      const s = setup();
      s.relay.versionRange = { min: 8, max: 16 };
      const rcp = await recipientOnRelay(s);
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('v16'), notification: false });
      assert.equal(lastForwarded(s).version, 16);
      const session = await s.proxy.relaySession(s.route);
      assert.equal(session.version, 16);
      assert.ok(equalBytes(session.relayKey, s.relay.sessionKey.publicKey));
    });

    it('treats PRXY answered with something else than PKEY, or an empty session, as a forwarding failure', async () => {
      const s = setup();
      s.p.pkey = () => ({ type: 'OK' });
      const e = await expectProxyError(s.proxy.relaySession(s.route), 'forwarding-failed', 'forwarding');
      assert.ok(e.clientError !== null && e.clientError.code === 'unexpected-response');
      const s2 = setup();
      s2.p.pkey = (h) => ({ ...h, sessionId: new Uint8Array(0) });
      await expectProxyError(s2.proxy.relaySession(s2.route), 'forwarding-failed', 'forwarding');
    });

    it('does not use a forwarding router below SMP v8 (nothing is sent to it)', async () => {
      const s = setup({ proxyVersion: 7 });
      const e = await expectProxyError(s.proxy.relaySession(s.route), 'forwarding-unsupported', 'forwarding');
      assert.equal(errText(e.error), 'PROXY BROKER TRANSPORT VERSION');
      assert.equal(s.p.received.length, 0);
    });
  });

  describe('attributing failures to the right hop', () => {
    it('ERR from P instead of PRES is the forwarding router\'s; ERR inside PRES is the destination\'s', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      s.p.pfwdError = { type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TIMEOUT' } } };
      const e1 = await expectProxyError(s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false }), 'forwarding-refused', 'forwarding');
      assert.equal(errText(e1.error), 'PROXY BROKER TIMEOUT');
      s.p.pfwdError = null;
      // R refuses: no such queue.
      const e2 = await expectProxyError(s.proxy.proxySend(s.route, { sndId: new Uint8Array(24).fill(3), senderKey: null, body: body('a'), notification: false }), 'destination-refused', 'destination');
      assert.deepEqual(e2.error, { type: 'AUTH' });
      // R refuses: the queue is full.
      s.relay.router.quota = 0;
      const e3 = await expectProxyError(s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false }), 'destination-refused', 'destination');
      assert.deepEqual(e3.error, { type: 'QUOTA' });
      // R's refusal relayed by P (PROXY PROTOCOL) is R's, as upstream attributes it.
      s.p.pfwdError = { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'CRYPTO' } } };
      const e4 = await expectProxyError(s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false }), 'destination-refused', 'destination');
      assert.equal(errText(e4.error), 'PROXY PROTOCOL CRYPTO');
    });

    it('gives every PROXY sub-error from P a typed, readable ProxyError', async () => {
      const cases: Array<[ErrorType, ProxyErrorCode, RegExp]> = [
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'HOST' } } }, 'forwarding-refused', /host/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: null } } }, 'forwarding-refused', /connect/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: { type: 'CONNECT', detail: 'refused' } } } }, 'forwarding-refused', /NETWORK/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TIMEOUT' } } }, 'forwarding-refused', /in time/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'VERSION' } } } }, 'forwarding-refused', /TRANSPORT VERSION/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } } } }, 'forwarding-refused', /HANDSHAKE IDENTITY/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'RESPONSE', respErr: 'x' } } }, 'forwarding-refused', /unexpectedly/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'UNEXPECTED', respErr: 'x' } } }, 'forwarding-refused', /unexpectedly/],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NO_SERVICE' } } }, 'forwarding-refused', /NO_SERVICE/],
        [{ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'AUTH' } } }, 'destination-refused', /PROTOCOL AUTH/],
        [{ type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } }, 'forwarding-refused', /password/],
        [{ type: 'PROXY', proxyErr: { type: 'NO_SESSION' } }, 'no-session', /NO_SESSION/],
        [{ type: 'AUTH' }, 'forwarding-refused', /AUTH/],
      ];
      for (const [error, code, re] of cases) {
        const s = setup();
        s.p.prxyError = error;
        const e = await expectProxyError(s.proxy.relaySession(s.route), code, code.indexOf('destination') === 0 ? 'destination' : 'forwarding');
        assert.deepEqual(e.error, decodeErrorType(encodeErrorType(error)), 'the ERR as P sent it');
        assert.match(e.message, re);
      }
    });

    it('a PRES that does not open, holds two transmissions or answers another corrId is the destination\'s bad response', async () => {
      const variants: Array<(s: Setup) => void> = [
        (s) => {
          s.p.tamperPres = (r2) => {
            const t = new Uint8Array(r2);
            t[100] ^= 1;
            return t;
          };
        },
        (s) => {
          s.p.innerReply = (_n, _t, honest) => encodeBatch([honest, honest]);
        },
        (s) => {
          s.p.innerReply = (_n, t, _honest, conn) => encodeBatch([conn.encode(new Uint8Array(24).fill(5), t.entityId, { type: 'OK' })]);
        },
        (s) => {
          s.p.innerReply = (n, _t, _honest, conn) => encodeBatch([conn.encode(n, new Uint8Array(24).fill(6), { type: 'OK' })]);
        },
        (s) => {
          s.p.innerReply = () => new Uint8Array([1, 0, 3, 0xff, 0xff, 0xff]);
        },
        (s) => {
          s.p.innerReply = (n, t, _honest, conn) => encodeBatch([conn.encode(n, t.entityId, { type: 'PONG' })]);
        },
      ];
      for (const v of variants) {
        const s = setup();
        const rcp = await recipientOnRelay(s);
        v(s);
        const e = await expectProxyError(s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('a'), notification: false }), 'destination-bad-response', 'destination');
        assert.equal(e.error, null);
      }
    });

    it('no answer from P is a forwarding failure carrying the client error', async () => {
      const s = setup({ config: { commandTimeoutMs: 1000, maxAttempts: 1 } });
      await s.proxy.relaySession(s.route);
      s.p.intercept = (r) => (r.command !== null && r.command.type === 'PFWD' ? 'drop' : 'process');
      const pending = s.proxy.proxySend(s.route, { sndId: new Uint8Array(24).fill(1), senderKey: null, body: body('a'), notification: false });
      await flush();
      s.clock.advance(1000);
      const e = await expectProxyError(pending, 'forwarding-failed', 'forwarding');
      assert.ok(e.clientError instanceof SmpClientError && e.clientError.code === 'timeout');
    });
  });

  describe('sessions', () => {
    it('reuses the PKEY session, shares one PRXY between concurrent commands, and redoes PRXY on a new P connection', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      const send = (t: string): Promise<void> => s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body(t), notification: false });
      await Promise.all([send('1'), send('2'), send('3')]);
      assert.equal(s.p.prxys.length, 1);
      await send('4');
      assert.equal(s.p.prxys.length, 1);
      s.p.current.drop();
      await flush();
      s.clock.advance(s.clock.nextDelay() ?? 0);
      await send('5');
      assert.equal(s.p.prxys.length, 2, 'P\'s connection was replaced: a new PRXY');
      assert.equal(s.p.connections.length, 2);
    });

    it('on ERR PROXY NO_SESSION drops the session and redoes PRXY once, then forwards', async () => {
      const s = setup();
      const rcp = await recipientOnRelay(s);
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('1'), notification: false });
      const oldSession = new Uint8Array(s.relay.sessionId);
      s.p.loseRelaySession();
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('2'), notification: false });
      assert.equal(s.p.prxys.length, 2);
      const pfwds = s.p.commands('PFWD');
      assert.equal(pfwds.length, 3);
      assert.ok(equalBytes(pfwds[1].entityId, oldSession), 'the first try named the lost session');
      assert.ok(equalBytes(pfwds[2].entityId, s.relay.sessionId), 'the retry names the new one');
      assert.equal(s.relay.router.queueBySender(rcp.sndId)?.messages.length, 2, 'both messages are on R');
      assert.equal(s.p.forwarded.length, 2, 'the NO_SESSION attempt reached nobody');
    });

    it('fails with no-session when P answers NO_SESSION again after the new PRXY', async () => {
      const s = setup();
      s.p.pfwdError = { type: 'PROXY', proxyErr: { type: 'NO_SESSION' } };
      const e = await expectProxyError(s.proxy.proxySend(s.route, { sndId: new Uint8Array(24).fill(1), senderKey: null, body: body('a'), notification: false }), 'no-session', 'forwarding');
      assert.equal(errText(e.error), 'PROXY NO_SESSION');
      assert.equal(s.p.prxys.length, 2, 'exactly one redo');
      assert.equal(s.p.commands('PFWD').length, 2);
      // The failed session is not kept: the next command starts with PRXY.
      s.p.pfwdError = null;
      const rcp = await recipientOnRelay(s);
      await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('b'), notification: false });
      assert.equal(s.p.prxys.length, 3);
    });
  });

  describe('what may be forwarded, and keys used once', () => {
    it('refuses every command other than SEND, SKEY, LKEY and LGET before sending anything', async () => {
      const s = setup();
      const key = authKeyPair(s.crypto);
      const refused: Command[] = [
        { type: 'SUB' }, { type: 'GET' }, { type: 'ACK', msgId: new Uint8Array(24) }, { type: 'KEY', senderKey: publicOf(key) }, { type: 'OFF' }, { type: 'DEL' },
        { type: 'PING' }, { type: 'NSUB' }, { type: 'NDEL' }, { type: 'LDEL' }, { type: 'QUE' },
        { type: 'PRXY', server: s.relay.server, basicAuth: null },
        { type: 'PFWD', version: 17, ephemeralKey: publicOf(authKeyPair(s.crypto, 'x25519')), encTransmission: new Uint8Array(10) },
        { type: 'RFWD', encFwdTransmission: new Uint8Array(10) },
      ];
      for (const cmd of refused) {
        const e = await rejection(s.proxy.proxyCommand(s.route, new Uint8Array(24).fill(1), key, cmd));
        assert.ok(e instanceof SmpClientError && e.code === 'bad-request', cmd.type + ': ' + String(e));
        assert.match(e.message, /SEND, SKEY, LKEY and LGET/);
      }
      // Bad IDs and keys are caller errors too.
      const bads: Array<Promise<unknown>> = [
        s.proxy.proxyCommand(s.route, new Uint8Array(0), null, { type: 'LGET' }),
        s.proxy.proxyCommand(s.route, new Uint8Array(256), null, { type: 'LGET' }),
        s.proxy.proxyCommand(s.route, new Uint8Array(24), key, { type: 'LGET' }),
        s.proxy.proxyCommand(s.route, new Uint8Array(24), { alg: 'ed25519', privateKey: new Uint8Array(31) }, { type: 'SKEY', senderKey: publicOf(key) }),
        s.proxy.proxySend(s.route, { sndId: new Uint8Array(24), senderKey: null, body: new Uint8Array(16065), notification: false }),
      ];
      for (const [i, b] of bads.entries()) {
        const e = await rejection(b);
        assert.equal(s.p.received.length, 0, 'case ' + i + ' ' + s.p.received.map((r) => r.command?.type).join());
        assert.ok(e instanceof SmpClientError && e.code === 'bad-request', String(e));
      }
      assert.equal(s.p.received.length, 0, 'nothing reached the forwarding router');
      // Over the v17 limit (16048) but within v8's: refused once the version is known, never forwarded.
      const e = await rejection(s.proxy.proxySend(s.route, { sndId: new Uint8Array(24), senderKey: null, body: new Uint8Array(16049), notification: false }));
      assert.ok(e instanceof SmpClientError && e.code === 'bad-request', String(e));
      assert.equal(s.p.commands('PFWD').length, 0);
    });

    it('forwards LGET unauthorized and returns R\'s answer', async () => {
      const s = setup();
      const e = await expectProxyError(s.proxy.proxyCommand(s.route, new Uint8Array(24).fill(4), null, { type: 'LGET' }), 'destination-refused', 'destination');
      const f = lastForwarded(s);
      assert.ok(f.innerCommand !== null && f.innerCommand.type === 'LGET');
      assert.ok(f.innerT !== null && f.innerT.authorization.length === 0);
      assert.deepEqual(e.error, { type: 'AUTH' }, 'no queue has this link ID on R');
    });

    it('uses a fresh N and a fresh ephemeral key for every command and every retry, and wipes the private keys and secrets', async () => {
      const s = setup({ config: { commandTimeoutMs: 1000, maxAttempts: 2 } });
      const rcp = await recipientOnRelay(s);
      for (let i = 0; i < 3; i++) await s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('m' + i), notification: false });
      // A retry after a lost PFWD: the client sends it again with new N and ek.
      let dropped = false;
      s.p.intercept = (r) => {
        if (r.command !== null && r.command.type === 'PFWD' && !dropped) {
          dropped = true;
          return 'drop';
        }
        return 'process';
      };
      const pending = s.proxy.proxySend(s.route, { sndId: rcp.sndId, senderKey: null, body: body('retried'), notification: false });
      await flush();
      s.clock.advance(1000);
      await pending;
      const pfwds = s.p.commands('PFWD');
      assert.equal(pfwds.length, 5);
      const ns = new Set(pfwds.map((r) => toHex(r.corrId)));
      const eks = new Set(pfwds.map((r) => {
        const c = r.command;
        assert.ok(c !== null && c.type === 'PFWD');
        return toHex(c.ephemeralKey.raw);
      }));
      assert.equal(ns.size, 5, 'N never repeats');
      assert.equal(eks.size, 5, 'ek never repeats');
      assert.equal(s.ephemeral.length, 5);
      for (const kp of s.ephemeral) assert.ok(allZero(kp.privateKey), 'ephemeral private key wiped after use');
      assert.equal(s.secrets.length, 5);
      for (const sec of s.secrets) assert.ok(allZero(sec), 'command secret wiped after the answer');
      assert.equal(s.relay.router.queueBySender(rcp.sndId)?.messages.length, 4);
    });

    it('wipes the secrets when the command fails too', async () => {
      const s = setup();
      s.p.tamperPres = (r2) => new Uint8Array(r2.length);
      await expectProxyError(s.proxy.proxySend(s.route, { sndId: new Uint8Array(24).fill(1), senderKey: null, body: body('a'), notification: false }), 'destination-bad-response', 'destination');
      assert.equal(s.secrets.length, 1);
      assert.ok(allZero(s.secrets[0]) && allZero(s.ephemeral[0].privateKey));
    });
  });
});
