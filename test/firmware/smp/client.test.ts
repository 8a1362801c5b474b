import assert from 'node:assert/strict';
import { cbEncrypt, cbNonce } from '../../../firmware/crypto/box';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { SmpClientError, SmpCommandError, type SmpClientErrorCode, type SmpCommandErrorCode } from '../../../firmware/smp/client-errors';
import type { CreatedQueue, QueueEvent, RecipientQueue } from '../../../firmware/smp/client';
import { SmpClient } from '../../../firmware/smp/client';
import type { Command } from '../../../firmware/smp/commands';
import type { ErrorType } from '../../../firmware/smp/errors';
import { encodeRcvMsgBody, RCV_MSG_PADDED_LENGTH } from '../../../firmware/smp/message';
import { encodeBatch, encodeTransmission } from '../../../firmware/smp/transmission';
import { RFC7748_X25519 } from '../../hal/crypto-suite';
import { hex, readVectorFile, vectorCase } from '../../vectors';
import {
  authKeyPair,
  flush,
  harness,
  publicOf,
  ScriptedRandom,
  TEST_SERVER,
  type Harness,
  type Received,
  type RouterQueue,
} from './client-helpers';

// ---------------------------------------------------------------------------------------------
// Helpers

interface Made {
  readonly queue: CreatedQueue;
  readonly events: QueueEvent[];
  readonly rq: RouterQueue;
}

/** Creates a queue through the client (NEW), subscribed unless told otherwise. */
async function makeQueue(h: Harness, subscribe: boolean = true): Promise<Made> {
  const events: QueueEvent[] = [];
  const queue = await h.client.createQueue({
    rcvAuthKey: authKeyPair(h.crypto),
    rcvDhKey: h.crypto.x25519KeyPair(),
    queueMode: 'messaging',
    link: null,
    ntfCreds: null,
    onEvent: subscribe ? (e) => events.push(e) : undefined,
  });
  const rq = h.router.queues[toHex(queue.rcvId)];
  assert.ok(rq !== undefined, 'the router holds the new queue');
  return { queue, events, rq };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

async function expectClientError(p: Promise<unknown>, code: SmpClientErrorCode): Promise<SmpClientError> {
  const e = await rejection(p);
  assert.ok(e instanceof SmpClientError, 'expected SmpClientError ' + code + ', got ' + String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.name, 'SmpClientError');
  assert.ok(e.message.length > 10);
  return e;
}

async function expectCommandError(p: Promise<unknown>, code: SmpCommandErrorCode): Promise<SmpCommandError> {
  const e = await rejection(p);
  assert.ok(e instanceof SmpCommandError, 'expected SmpCommandError ' + code + ', got ' + String(e));
  assert.equal(e.code, code, e.message);
  return e;
}

/** Settles a promise into a box, so a test can look at it without awaiting. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const box: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => {
      box.done = true;
      box.value = v;
    },
    (e) => {
      box.done = true;
      box.error = e;
    },
  );
  return box;
}

function holdAll(h: Harness, type?: string): void {
  h.router.intercept = (r) => (type === undefined || (r.command !== null && r.command.type === type) ? 'hold' : 'process');
}

function last<T>(xs: T[]): T {
  assert.ok(xs.length > 0);
  return xs[xs.length - 1];
}

function cmdOf<T extends Command['type']>(r: Received, type: T): Extract<Command, { type: T }> {
  assert.ok(r.command !== null && r.command.type === type, 'expected ' + type);
  return r.command as Extract<Command, { type: T }>;
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

// ---------------------------------------------------------------------------------------------

describe('SmpClient (firmware/smp/client.ts)', () => {
  describe('authorization and transmission layout', () => {
    const auth = vectorCase('smp-command-auth.json', 'signed_sub_block_content_v18');
    const common = readVectorFile('smp-command-auth.json').common_inputs as { [k: string]: string };

    it('reproduces the Ed25519-signed SUB of smp-command-auth.json byte for byte (v18)', async () => {
      const seed = hex(vectorCase('smp-command-auth.json', 'ed25519_signature_sub').ed25519_seed);
      const pub = hex(vectorCase('smp-command-auth.json', 'ed25519_signature_sub').ed25519_public);
      const h = harness({ version: 18, sessionId: hex(common.session_id), clientRandom: new ScriptedRandom([hex(common.corr_id)]) });
      const rcvId = hex(common.entity_id);
      h.router.addQueue(rcvId, { alg: 'ed25519', raw: pub }, h.crypto.x25519KeyPair().publicKey);
      const result = await h.client.subscribe({ rcvId, rcvKey: { alg: 'ed25519', privateKey: seed }, rcvDhSecret: new Uint8Array(32) }, () => undefined);
      assert.deepEqual(result, { serviceId: null });
      const sent = h.router.current.sent[0];
      assert.equal(sent.length, 1);
      assert.equal(toHex(sent[0]), auth.transmission);
      assert.equal(toHex(encodeBatch(sent)), auth.block_content);
      assert.equal(h.router.commands('SUB')[0].verified, true);
    });

    it('reproduces the X25519 authenticator of smp-command-auth.json (router session key = Bob, queue key = Alice)', async () => {
      const v = vectorCase('smp-command-auth.json', 'x25519_authenticator_sub');
      const h = harness({
        version: 18,
        sessionId: hex(common.session_id),
        sessionKey: { publicKey: hex(RFC7748_X25519.bobPublic), privateKey: hex(RFC7748_X25519.bobPrivate) },
        clientRandom: new ScriptedRandom([hex(common.corr_id)]),
      });
      const rcvId = hex(common.entity_id);
      h.router.addQueue(rcvId, { alg: 'x25519', raw: hex(RFC7748_X25519.alicePublic) }, new Uint8Array(32));
      await h.client.subscribe({ rcvId, rcvKey: { alg: 'x25519', privateKey: hex(RFC7748_X25519.alicePrivate) }, rcvDhSecret: new Uint8Array(32) }, () => undefined);
      const r = h.router.commands('SUB')[0];
      assert.equal(toHex(r.raw.authorization), v.authenticator);
      assert.equal(toHex(r.raw.authorized), vectorCase('smp-command-auth.json', 'authorized_bytes_sub').authorized);
      assert.equal(r.verified, true);
    });

    for (const version of [6, 7, 15, 16, 18]) {
      it('v' + version + ': the layout of that version, verified by the router (Ed25519 and Ed448)', async () => {
        const h = harness({ version });
        for (const alg of ['ed25519', 'ed448'] as const) {
          const k = authKeyPair(h.crypto, alg);
          const q = await h.client.createQueue({ rcvAuthKey: k, rcvDhKey: h.crypto.x25519KeyPair(), queueMode: null, link: null, ntfCreds: null });
          await h.client.suspendQueue(q);
          const r = last(h.router.commands('OFF'));
          assert.equal(r.verified, true);
          assert.equal(r.raw.authorization.length, alg === 'ed25519' ? 64 : 114);
          const t = last(h.router.current.sent)[0];
          const afterAuth = t[1 + r.raw.authorization.length];
          if (version >= 16) {
            assert.equal(afterAuth, 0x30, "v16+: the serviceSig '0' follows a non-empty authorization");
          } else if (version >= 7) {
            assert.equal(afterAuth, 24, 'v7..15: the corrId follows the authorization');
          } else {
            assert.equal(afterAuth, 32, 'v6: the session ID follows the authorization');
            assert.deepEqual(r.raw.sessionId, h.router.current.params.sessionId);
          }
        }
        // Unauthorized PING: no serviceSig byte even at v16+.
        await h.client.ping();
        const ping = last(h.router.current.sent)[0];
        assert.equal(ping[0], 0);
        assert.equal(ping[1], version >= 7 ? 24 : 32);
      });
    }

    it('X25519 command keys work from v7 and are refused at v6 (no router session key)', async () => {
      const h7 = harness({ version: 7 });
      const q = await h7.client.createQueue({ rcvAuthKey: authKeyPair(h7.crypto, 'x25519'), rcvDhKey: h7.crypto.x25519KeyPair(), queueMode: null, link: null, ntfCreds: null });
      await h7.client.suspendQueue(q);
      assert.equal(last(h7.router.commands('OFF')).raw.authorization.length, 80);
      assert.equal(last(h7.router.commands('OFF')).verified, true);

      const h6 = harness({ version: 6 });
      await expectClientError(
        h6.client.createQueue({ rcvAuthKey: authKeyPair(h6.crypto, 'x25519'), rcvDhKey: h6.crypto.x25519KeyPair(), queueMode: null, link: null, ntfCreds: null }),
        'no-server-key',
      );
      assert.equal(h6.router.received.length, 0, 'nothing was sent');
    });

    it('a forged signature is refused by the router (the router really verifies)', async () => {
      const h = harness();
      const { queue } = await makeQueue(h, false);
      const wrong = authKeyPair(h.crypto);
      await expectCommandError(h.client.suspendQueue({ rcvId: queue.rcvId, rcvKey: wrong }), 'auth');
      assert.equal(last(h.router.commands('OFF')).verified, false);
    });
  });

  describe('NEW across versions', () => {
    it('v6..8: no queue mode on the wire; IDS has none', async () => {
      const h = harness({ version: 8 });
      const q = await h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null });
      assert.equal(cmdOf(h.router.commands('NEW')[0], 'NEW').queueReqData, null);
      assert.equal(q.queueMode, null);
    });

    it('v9..14: the sender-securable bool; v15+: QueueReqData', async () => {
      for (const version of [9, 14, 15, 18]) {
        const h = harness({ version });
        const q = await h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null });
        assert.deepEqual(cmdOf(h.router.commands('NEW')[0], 'NEW').queueReqData, { mode: 'messaging', link: null });
        assert.equal(q.queueMode, 'messaging');
        assert.equal(q.subscribed, false);
        assert.equal(cmdOf(h.router.commands('NEW')[0], 'NEW').subMode, 'only-create');
      }
    });

    it('derives rcvDhSecret from the IDS key: it opens what the router boxes', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h);
      assert.deepEqual(queue.rcvDhSecret, rq.rcvDhSecret);
      assert.deepEqual(queue.sndId, rq.sndId);
    });

    it('notifier credentials go on the wire from v17 and are left out below', async () => {
      for (const version of [16, 17]) {
        const h = harness({ version });
        const nk = authKeyPair(h.crypto);
        const q = await h.client.createQueue({
          rcvAuthKey: authKeyPair(h.crypto),
          rcvDhKey: h.crypto.x25519KeyPair(),
          queueMode: 'messaging',
          link: null,
          ntfCreds: { notifierKey: publicOf(nk), rcvNtfDhKey: { alg: 'x25519', raw: h.crypto.x25519KeyPair().publicKey } },
        });
        const sent = cmdOf(h.router.commands('NEW')[0], 'NEW');
        if (version >= 17) {
          assert.ok(sent.ntfCreds !== null);
          assert.ok(q.serverNtfCreds !== null);
        } else {
          assert.equal(sent.ntfCreds, null);
          assert.equal(q.serverNtfCreds, null);
        }
      }
    });

    it('sends the router password: the configured one, or the per-call one', async () => {
      const h = harness({ basicAuth: 'secret1', clientBasicAuth: 'secret1' });
      await makeQueue(h, false);
      assert.equal(cmdOf(h.router.commands('NEW')[0], 'NEW').basicAuth, 'secret1');
      const e = await expectCommandError(
        h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: null, link: null, ntfCreds: null, basicAuth: 'Xyzzy42' }),
        'auth',
      );
      assert.equal(cmdOf(h.router.commands('NEW')[1], 'NEW').basicAuth, 'Xyzzy42');
      assert.equal(e.command, 'NEW');
      assert.ok(!e.message.includes('Xyzzy42'), 'the password is not in the message');
    });

    it('link data (v15+): NEW is sent with the caller corrId, and the sender ID must derive from it', async () => {
      const ids = vectorCase('smp-nonce-and-ids.json', 'sender_id_from_corr_id');
      const h = harness({ version: 18 });
      const link = { corrId: hex(ids.corr_id), senderId: hex(ids.sender_id), linkId: null, fixedData: utf8('fixed'), userData: utf8('user') };
      const q = await h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: 'messaging', link, ntfCreds: null });
      const r = h.router.commands('NEW')[0];
      assert.equal(toHex(r.corrId), ids.corr_id);
      assert.equal(toHex(q.sndId), ids.sender_id);
      assert.ok(q.linkId !== null);

      await expectClientError(
        h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: 'messaging', link: { ...link, senderId: new Uint8Array(24) }, ntfCreds: null }),
        'bad-request',
      );
      const old = harness({ version: 14 });
      await expectClientError(
        old.client.createQueue({ rcvAuthKey: authKeyPair(old.crypto), rcvDhKey: old.crypto.x25519KeyPair(), queueMode: 'messaging', link, ntfCreds: null }),
        'unsupported-version',
      );
    });
  });

  describe('matching responses to commands', () => {
    it('answers in reverse order in one batch reach the right commands', async () => {
      const h = harness();
      const a = await makeQueue(h, false);
      const b = await makeQueue(h, false);
      h.router.enqueueMessage(a.rq, utf8('for A'));
      h.router.enqueueMessage(b.rq, utf8('for B'));
      holdAll(h, 'GET');
      const ga = h.client.getMessage(a.queue);
      const gb = h.client.getMessage(b.queue);
      await flush();
      assert.equal(h.router.held.length, 2);
      const out = h.router.release(h.router.held.slice());
      h.router.current.deliver([out.answers[1], out.answers[0]]);
      const [ma, mb] = await Promise.all([ga, gb]);
      assert.ok(ma !== null && ma.type === 'message' && Buffer.from(ma.body).toString() === 'for A');
      assert.ok(mb !== null && mb.type === 'message' && Buffer.from(mb.body).toString() === 'for B');
    });

    it('several answers and pushes in one block are each handled', async () => {
      const h = harness();
      const a = await makeQueue(h);
      const b = await makeQueue(h);
      holdAll(h, 'PING');
      const p1 = h.client.ping();
      const p2 = h.client.ping();
      await flush();
      const conn = h.router.current;
      const [r1, r2] = h.router.held;
      const m = { msgId: h.router.random.bytes(24), ts: h.router.ts, flags: { notification: false }, body: utf8('pushed') };
      conn.deliver([
        conn.encode(r2.corrId, new Uint8Array(0), { type: 'PONG' }),
        conn.encode(new Uint8Array(0), a.rq.rcvId, h.router.msgOf(a.rq, m)),
        conn.encode(new Uint8Array(0), b.rq.rcvId, { type: 'END' }),
        conn.encode(r1.corrId, new Uint8Array(0), { type: 'PONG' }),
      ]);
      await Promise.all([p1, p2]);
      await flush();
      assert.equal(a.events.length, 1);
      assert.equal(Buffer.from((a.events[0] as { body: Uint8Array }).body).toString(), 'pushed');
      assert.deepEqual(b.events, [{ type: 'end' }]);
      assert.equal(h.client.subscriptionCount(), 1);
    });

    it('an answer with an unknown corrId is counted and dropped; the waiting command is untouched', async () => {
      const h = harness();
      await h.client.ping();
      holdAll(h, 'PING');
      const p = track(h.client.ping());
      await flush();
      const conn = h.router.current;
      conn.deliver([conn.encode(h.router.random.bytes(24), new Uint8Array(0), { type: 'PONG' })]);
      await flush();
      assert.equal(p.done, false);
      assert.equal(h.client.stats().unknownCorrId, 1);
      assert.ok(h.log.records.some((r) => r.event === 'smp.client.unknown-corr-id'));
      conn.deliver(h.router.release(h.router.held.slice()).answers);
      await flush();
      assert.equal(p.done, true);
      assert.equal(p.error, undefined);
    });

    it('an answer with the right corrId but the wrong entityId is dropped; the right one still resolves', async () => {
      const h = harness();
      const { queue } = await makeQueue(h, false);
      holdAll(h, 'OFF');
      const p = track(h.client.suspendQueue(queue));
      await flush();
      const r = h.router.held[0];
      const conn = h.router.current;
      conn.deliver([conn.encode(r.corrId, h.router.random.bytes(24), { type: 'OK' })]);
      await flush();
      assert.equal(p.done, false);
      assert.equal(h.client.stats().wrongEntity, 1);
      conn.deliver([conn.encode(r.corrId, queue.rcvId, { type: 'OK' })]);
      await flush();
      assert.equal(p.done, true);
      assert.equal(p.error, undefined);
    });

    it('ERR with an empty entityId (an unparseable transmission) still reaches its command', async () => {
      const h = harness();
      const { queue } = await makeQueue(h, false);
      holdAll(h, 'OFF');
      const p = h.client.suspendQueue(queue);
      await flush();
      const conn = h.router.current;
      conn.deliver([conn.encode(h.router.held[0].corrId, new Uint8Array(0), { type: 'ERR', error: { type: 'BLOCK' } })]);
      await expectCommandError(p, 'block');
    });

    it('an answer of the wrong kind rejects with unexpected-response', async () => {
      const h = harness();
      holdAll(h, 'PING');
      const p = h.client.ping();
      await flush();
      const conn = h.router.current;
      conn.deliver([conn.encode(h.router.held[0].corrId, new Uint8Array(0), { type: 'OK' })]);
      await expectClientError(p, 'unexpected-response');
    });
  });

  describe('ERR responses', () => {
    const cases: Array<[ErrorType, SmpCommandErrorCode, string]> = [
      [{ type: 'BLOCK' }, 'block', 'BLOCK'],
      [{ type: 'SESSION' }, 'session', 'SESSION'],
      [{ type: 'CMD', cmdErr: 'UNKNOWN' }, 'cmd-unknown', 'CMD UNKNOWN'],
      [{ type: 'CMD', cmdErr: 'SYNTAX' }, 'cmd-syntax', 'CMD SYNTAX'],
      [{ type: 'CMD', cmdErr: 'PROHIBITED' }, 'cmd-prohibited', 'CMD PROHIBITED'],
      [{ type: 'CMD', cmdErr: 'NO_AUTH' }, 'cmd-no-auth', 'CMD NO_AUTH'],
      [{ type: 'CMD', cmdErr: 'HAS_AUTH' }, 'cmd-has-auth', 'CMD HAS_AUTH'],
      [{ type: 'CMD', cmdErr: 'NO_ENTITY' }, 'cmd-no-entity', 'CMD NO_ENTITY'],
      [{ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'AUTH' } } }, 'proxy-protocol', 'PROXY PROTOCOL AUTH'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'RESPONSE', respErr: 'bad\nthing' } } }, 'proxy-broker', 'PROXY BROKER RESPONSE "bad?thing"'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'UNEXPECTED', respErr: 'x' } } }, 'proxy-broker', 'PROXY BROKER UNEXPECTED "x"'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } } } }, 'proxy-broker', 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'VERSION' } } } }, 'proxy-broker', 'PROXY BROKER TRANSPORT VERSION'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: null } } }, 'proxy-broker', 'PROXY BROKER NETWORK'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TIMEOUT' } } }, 'proxy-broker', 'PROXY BROKER TIMEOUT'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'HOST' } } }, 'proxy-broker', 'PROXY BROKER HOST'],
      [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NO_SERVICE' } } }, 'proxy-broker', 'PROXY BROKER NO_SERVICE'],
      [{ type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } }, 'proxy-basic-auth', 'PROXY BASIC_AUTH'],
      [{ type: 'PROXY', proxyErr: { type: 'NO_SESSION' } }, 'proxy-no-session', 'PROXY NO_SESSION'],
      [{ type: 'AUTH' }, 'auth', 'AUTH'],
      [{ type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: 3600 } } }, 'blocked', 'BLOCKED reason=spam,notice ttl=3600'],
      [{ type: 'BLOCKED', blockInfo: { reason: 'content', notice: null } }, 'blocked', 'BLOCKED reason=content'],
      [{ type: 'SERVICE' }, 'service', 'SERVICE'],
      [{ type: 'CRYPTO' }, 'crypto', 'CRYPTO'],
      [{ type: 'QUOTA' }, 'quota', 'QUOTA'],
      [{ type: 'STORE', storeErr: 'disk full' }, 'store', 'STORE "disk full"'],
      [{ type: 'NO_MSG' }, 'no-msg', 'NO_MSG'],
      [{ type: 'LARGE_MSG' }, 'large-msg', 'LARGE_MSG'],
      [{ type: 'EXPIRED' }, 'expired', 'EXPIRED'],
      [{ type: 'INTERNAL' }, 'internal', 'INTERNAL'],
      [{ type: 'DUPLICATE_' }, 'duplicate', 'DUPLICATE_'],
    ];

    it('every error type reaches the caller as SmpCommandError with its code and the parsed ErrorType', async () => {
      const h = harness({ version: 18 });
      const { queue } = await makeQueue(h, false);
      holdAll(h, 'OFF');
      const conn = h.router.current;
      for (const [error, code, text] of cases) {
        const p = h.client.suspendQueue(queue);
        await flush();
        const r = h.router.held.shift() as Received;
        conn.deliver([conn.encode(r.corrId, queue.rcvId, { type: 'ERR', error })]);
        const e = await expectCommandError(p, code);
        assert.deepEqual(e.error, error);
        assert.equal(e.command, 'OFF');
        assert.ok(e.message.startsWith('OFF refused by the router: ' + text + ': '), e.message);
      }
    });

    it('BLOCKED on SEND keeps its blocking info', async () => {
      const h = harness({ version: 18 });
      const { queue, rq } = await makeQueue(h, false);
      rq.blocked = { type: 'BLOCKED', blockInfo: { reason: 'content', notice: { ttl: null } } };
      const e = await expectCommandError(h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('x'), notification: false }), 'blocked');
      assert.deepEqual(e.error, { type: 'BLOCKED', blockInfo: { reason: 'content', notice: { ttl: null } } });
    });

    it('an ERR push (empty corrId) is counted, not thrown', async () => {
      const h = harness();
      await h.client.ping();
      const conn = h.router.current;
      conn.deliver([conn.encode(new Uint8Array(0), new Uint8Array(0), { type: 'ERR', error: { type: 'BLOCK' } })]);
      await flush();
      assert.equal(h.client.stats().serverErrors, 1);
      await h.client.ping();
    });
  });

  describe('messages', () => {
    it('decrypts a pushed MSG with rcvDhSecret and the msgId nonce, and hands it to the subscriber', async () => {
      const h = harness();
      const { queue, events, rq } = await makeQueue(h);
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('hello'), notification: true });
      await flush();
      assert.equal(events.length, 1);
      const m = events[0];
      assert.ok(m.type === 'message');
      assert.equal(Buffer.from(m.body).toString(), 'hello');
      assert.deepEqual(m.flags, { notification: true });
      assert.equal(m.timestamp, h.router.ts);
      assert.deepEqual(m.msgId, rq.messages[0].msgId);
    });

    it('opens the smp-msg-body.json box (vector secret and msgId)', async () => {
      const v = vectorCase('smp-msg-body.json', 'msg_body');
      const h = harness();
      const { queue, events, rq } = await makeQueue(h);
      const encBody = cbEncrypt(h.crypto, hex(v.dh_secret), cbNonce(hex(v.msg_id)), hex(v.plaintext), RCV_MSG_PADDED_LENGTH);
      assert.equal(encBody.length, v.enc_body_len);
      assert.equal(toHex(encBody.subarray(0, 32)), v.enc_body_first_32);
      const conn = h.router.current;
      const secretQueue: RecipientQueue = { rcvId: queue.rcvId, rcvKey: queue.rcvKey, rcvDhSecret: hex(v.dh_secret) };
      h.client.unsubscribe(queue.rcvId);
      const got: QueueEvent[] = [];
      rq.subscriber = null;
      await h.client.subscribe(secretQueue, (e) => got.push(e));
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId: hex(v.msg_id), encBody })]);
      await flush();
      assert.equal(events.length, 0);
      assert.equal(got.length, 1);
      const m = got[0];
      assert.ok(m.type === 'message');
      assert.equal(toHex(m.body), v.body);
      assert.equal(m.timestamp, v.ts);
      assert.deepEqual(m.flags, { notification: v.notification });
    });

    it('a MSG that does not decrypt, or whose plaintext is malformed, is reported with its msgId and can be acknowledged', async () => {
      const h = harness();
      const { queue, events, rq } = await makeQueue(h);
      const conn = h.router.current;
      const badBox = h.router.random.bytes(24);
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId: badBox, encBody: h.router.random.bytes(16122) })]);
      const malformedId = h.router.random.bytes(24);
      const malformed = cbEncrypt(h.crypto, rq.rcvDhSecret, cbNonce(malformedId), utf8('garbage'), RCV_MSG_PADDED_LENGTH);
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId: malformedId, encBody: malformed })]);
      const truncated = h.router.random.bytes(24);
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId: truncated, encBody: new Uint8Array(5) })]);
      await flush();
      assert.equal(events.length, 3);
      for (const [i, id] of [badBox, malformedId, truncated].entries()) {
        const e = events[i];
        assert.ok(e.type === 'undecryptable');
        assert.deepEqual(e.msgId, id);
        assert.ok(e.error instanceof SmpClientError && e.error.code === 'undecryptable');
      }
      assert.equal(h.client.stats().undecryptable, 3);
      // The caller still acknowledges it (here: the router had delivered nothing, so NO_MSG → already acknowledged).
      assert.deepEqual(await h.client.ack(queue, badBox), { alreadyAcknowledged: true });
    });

    it('the quota marker arrives as its own event', async () => {
      const h = harness();
      const { queue, events, rq } = await makeQueue(h);
      const conn = h.router.current;
      const msgId = h.router.random.bytes(24);
      const enc = cbEncrypt(h.crypto, rq.rcvDhSecret, cbNonce(msgId), encodeRcvMsgBody({ type: 'quota', ts: 1641032645 }), RCV_MSG_PADDED_LENGTH);
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId, encBody: enc })]);
      await flush();
      assert.deepEqual(events, [{ type: 'quota', msgId, timestamp: 1641032645 }]);
    });

    it('GET returns the decrypted message, or null when the queue is empty', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h, false);
      assert.equal(await h.client.getMessage(queue), null);
      h.router.enqueueMessage(rq, utf8('got'));
      const m = await h.client.getMessage(queue);
      assert.ok(m !== null && m.type === 'message' && Buffer.from(m.body).toString() === 'got');
      assert.deepEqual(await h.client.ack(queue, m.msgId), { alreadyAcknowledged: false });
      assert.equal(rq.messages.length, 0);
    });

    it('a MSG for a queue without subscription is dropped as stray', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h, false);
      const m = h.router.enqueueMessage(rq, utf8('x'));
      const conn = h.router.current;
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, h.router.msgOf(rq, m))]);
      await flush();
      assert.equal(h.client.stats().strayMessages, 1);
    });

    it('a subscriber that throws does not break the client', async () => {
      const h = harness();
      const q = await h.client.createQueue({
        rcvAuthKey: authKeyPair(h.crypto),
        rcvDhKey: h.crypto.x25519KeyPair(),
        queueMode: 'messaging',
        link: null,
        ntfCreds: null,
        onEvent: () => {
          throw new Error('subscriber bug');
        },
      });
      await h.client.sendMessage({ sndId: q.sndId, senderKey: null, body: utf8('x'), notification: false });
      await flush();
      assert.equal(h.client.stats().subscriberErrors, 1);
      await h.client.ping();
    });
  });

  describe('flow control (ACK)', () => {
    it('never acknowledges by itself; the next message comes only after the caller ACKs, as the ACK answer', async () => {
      const h = harness({ config: { pingIntervalMs: 0 } });
      const { queue, events, rq } = await makeQueue(h);
      for (const s of ['one', 'two', 'three']) await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8(s), notification: false });
      await flush();
      h.clock.advance(3600000);
      await flush();
      assert.equal(h.router.commands('ACK').length, 0, 'no ACK without the caller');
      assert.equal(events.length, 1);
      assert.equal(rq.messages.length, 3);
      for (let i = 0; i < 3; i++) {
        const e = events[i];
        assert.ok(e.type === 'message');
        assert.equal(Buffer.from(e.body).toString(), ['one', 'two', 'three'][i]);
        const r = await h.client.ack(queue, e.msgId);
        assert.deepEqual(r, { alreadyAcknowledged: false });
        assert.equal(events.length, Math.min(i + 2, 3), 'the next message arrived with the ACK answer');
      }
      assert.equal(rq.messages.length, 0);
      assert.deepEqual(await h.client.ack(queue, (events[2] as { msgId: Uint8Array }).msgId), { alreadyAcknowledged: true });
    });

    it('SUB re-delivers the unacknowledged message on a new subscription', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h, false);
      h.router.enqueueMessage(rq, utf8('waiting'));
      const got: QueueEvent[] = [];
      await h.client.subscribe(queue, (e) => got.push(e));
      await flush();
      assert.equal(got.length, 1);
      assert.equal(got[0].type, 'message');
    });

    it('SUB answered by MSG in place of OK subscribes and delivers', async () => {
      const h = harness({ version: 9 });
      const { queue, rq } = await makeQueue(h, false);
      holdAll(h, 'SUB');
      const got: QueueEvent[] = [];
      const p = h.client.subscribe(queue, (e) => got.push(e));
      await flush();
      const m = h.router.enqueueMessage(rq, utf8('in place of OK'));
      const conn = h.router.current;
      conn.deliver([conn.encode(h.router.held[0].corrId, queue.rcvId, h.router.msgOf(rq, m))]);
      assert.deepEqual(await p, { serviceId: null });
      assert.equal(got.length, 1);
      assert.equal(h.client.subscriptionCount(), 1);
    });

    it('one subscription per queue per client', async () => {
      const h = harness();
      const { queue } = await makeQueue(h);
      await expectClientError(h.client.subscribe(queue, () => undefined), 'already-subscribed');
      assert.equal(h.client.unsubscribe(queue.rcvId), true);
      assert.equal(h.client.unsubscribe(queue.rcvId), false);
      await h.client.subscribe(queue, () => undefined);
    });
  });

  describe('END and DELD', () => {
    it('END when another connection subscribes; DELD (v10+) or END (below) when the queue is deleted elsewhere', async () => {
      for (const version of [9, 10, 18]) {
        const h = harness({ version });
        const { queue, events } = await makeQueue(h);
        const other = new SmpClient({
          server: TEST_SERVER,
          basicAuth: null,
          connect: h.router.connect,
          crypto: h.crypto,
          clock: h.clock,
          random: h.router.random,
          log: h.log,
        });
        await other.subscribe(queue, () => undefined);
        await flush();
        assert.deepEqual(events, [{ type: 'end' }]);
        assert.equal(h.client.subscriptionCount(), 0);

        await h.client.subscribe(queue, (e) => events.push(e));
        await flush();
        assert.equal(other.subscriptionCount(), 0, 'the other client was ended in turn');
        await other.deleteQueue(queue);
        await flush();
        assert.deepEqual(events[events.length - 1], { type: version >= 10 ? 'deleted' : 'end' });
        assert.equal(h.client.subscriptionCount(), 0);
        other.close();
      }
    });

    it('DEL by the subscriber itself ends its subscription silently', async () => {
      const h = harness();
      const { queue, events } = await makeQueue(h);
      assert.deepEqual(await h.client.deleteQueue(queue), { alreadyDeleted: false });
      assert.equal(h.client.subscriptionCount(), 0);
      assert.deepEqual(events, []);
      await expectCommandError(h.client.deleteQueue(queue), 'auth');
    });
  });

  describe('the other commands', () => {
    it('KEY, SKEY, SEND with a sender key, OFF, NKEY, NDEL', async () => {
      const h = harness();
      const { queue, events, rq } = await makeQueue(h);
      const sender = authKeyPair(h.crypto);
      await h.client.secureQueueBySender(queue.sndId, sender);
      assert.equal(last(h.router.commands('SKEY')).verified, true);
      await h.client.secureQueueBySender(queue.sndId, sender); // idempotent
      // Secured: an unsigned SEND is refused.
      await expectCommandError(h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('x'), notification: false }), 'auth');
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: sender, body: utf8('signed'), notification: false });
      assert.equal(last(h.router.commands('SEND')).verified, true);
      await flush();
      assert.equal(events.length, 1);

      const other = await makeQueue(h, false);
      const legacySender = authKeyPair(h.crypto, 'ed448');
      await h.client.secureQueue(other.queue, publicOf(legacySender));
      await h.client.secureQueue(other.queue, publicOf(legacySender)); // same key again: OK
      await expectCommandError(h.client.secureQueue(other.queue, publicOf(authKeyPair(h.crypto))), 'auth');
      await h.client.sendMessage({ sndId: other.queue.sndId, senderKey: legacySender, body: utf8('ed448'), notification: false });

      const ids = await h.client.enableNotifications(queue, publicOf(authKeyPair(h.crypto)), { alg: 'x25519', raw: h.crypto.x25519KeyPair().publicKey });
      assert.deepEqual(ids.notifierId, rq.notifierId);
      await h.client.disableNotifications(queue);
      assert.equal(rq.notifierId, null);

      await h.client.suspendQueue(queue);
      await expectCommandError(h.client.sendMessage({ sndId: queue.sndId, senderKey: sender, body: utf8('x'), notification: false }), 'auth');
    });

    it('refuses unusable arguments before sending anything', async () => {
      const h = harness();
      const q = await makeQueue(h, false);
      const before = h.router.received.length;
      await expectClientError(h.client.suspendQueue({ rcvId: new Uint8Array(0), rcvKey: q.queue.rcvKey }), 'bad-request');
      await expectClientError(h.client.suspendQueue({ rcvId: new Uint8Array(256), rcvKey: q.queue.rcvKey }), 'bad-request');
      await expectClientError(h.client.suspendQueue({ rcvId: q.queue.rcvId, rcvKey: { alg: 'ed25519', privateKey: new Uint8Array(31) } }), 'bad-request');
      await expectClientError(h.client.sendMessage({ sndId: q.queue.sndId, senderKey: null, body: new Uint8Array(16089), notification: false }), 'bad-request');
      await expectClientError(h.client.subscribe({ ...q.queue, rcvDhSecret: new Uint8Array(5) }, () => undefined), 'bad-request');
      await expectClientError(
        h.client.createQueue({ rcvAuthKey: { alg: 'ed25519', publicKey: new Uint8Array(32), privateKey: new Uint8Array(32) }, rcvDhKey: { publicKey: new Uint8Array(31), privateKey: new Uint8Array(32) }, queueMode: null, link: null, ntfCreds: null }),
        'bad-request',
      );
      assert.equal(h.router.received.length, before);
      // Over the v18 limit but under the oldest: refused by the version's encoder, still before sending.
      await expectClientError(h.client.sendMessage({ sndId: q.queue.sndId, senderKey: null, body: new Uint8Array(16049), notification: false }), 'bad-request');
      assert.equal(h.router.received.length, before);
      assert.equal(h.client.pendingCount(), 0);
    });
  });

  describe('lost answers and retries', () => {
    it('NEW whose answer was lost with the connection is retried with the same keys and a fresh corrId', async () => {
      const h = harness();
      const rcvAuthKey = authKeyPair(h.crypto);
      const rcvDhKey = h.crypto.x25519KeyPair();
      h.router.intercept = () => 'lose';
      const p = h.client.createQueue({ rcvAuthKey, rcvDhKey, queueMode: 'messaging', link: null, ntfCreds: null });
      await flush();
      h.router.intercept = null;
      h.router.current.drop();
      await flush();
      assert.equal(h.client.state, 'reconnect-wait');
      h.clock.advance(2000);
      await flush();
      const q = await p;
      const [first, second] = h.router.commands('NEW').map((r) => cmdOf(r, 'NEW'));
      assert.deepEqual(second.rcvAuthKey, first.rcvAuthKey);
      assert.deepEqual(second.rcvDhKey, first.rcvDhKey);
      assert.deepEqual(first.rcvAuthKey.raw, rcvAuthKey.publicKey);
      assert.notEqual(toHex(h.router.commands('NEW')[0].corrId), toHex(h.router.commands('NEW')[1].corrId));
      // Upstream semantics: the lost attempt made a queue too, now orphaned.
      assert.equal(Object.keys(h.router.queues).length, 2);
      assert.ok(h.router.queues[toHex(q.rcvId)] !== undefined);
      assert.equal(h.client.stats().retries, 1);
    });

    it('NEW with link data keeps its corrId; if the lost attempt went through, the retry gets AUTH', async () => {
      const h = harness();
      const corrId = h.router.random.bytes(24);
      const link = { corrId, senderId: h.crypto.sha3_384(corrId).subarray(0, 24), linkId: null, fixedData: utf8('f'), userData: utf8('u') };
      h.router.intercept = () => 'lose';
      const p = expectCommandError(h.client.createQueue({ rcvAuthKey: authKeyPair(h.crypto), rcvDhKey: h.crypto.x25519KeyPair(), queueMode: 'messaging', link, ntfCreds: null }), 'auth');
      await flush();
      h.router.intercept = null;
      h.router.current.drop();
      await flush();
      h.clock.advance(2000);
      await flush();
      await p;
      const news = h.router.commands('NEW');
      assert.equal(news.length, 2);
      assert.deepEqual(news[1].corrId, corrId);
    });

    it('KEY, SKEY, ACK and DEL that went through but lost their answers resolve on the retry', async () => {
      const h = harness();
      const { queue, events } = await makeQueue(h);
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('m1'), notification: false });
      await flush();
      const m1 = events[0] as { msgId: Uint8Array };
      const other = await makeQueue(h, false);
      const senderKey = authKeyPair(h.crypto);
      const legacy = authKeyPair(h.crypto);

      const loseOnce = (type: string): void => {
        let lost = false;
        h.router.intercept = (r) => {
          if (!lost && r.command !== null && r.command.type === type) {
            lost = true;
            return 'lose';
          }
          return 'process';
        };
      };
      const reconnect = async (): Promise<void> => {
        await flush();
        h.router.current.drop();
        await flush();
        h.clock.advance(h.clock.nextDelay() ?? 0);
        await flush();
      };

      loseOnce('ACK');
      const ack = h.client.ack(queue, m1.msgId);
      await reconnect();
      assert.deepEqual(await ack, { alreadyAcknowledged: true });
      const acks = h.router.commands('ACK');
      assert.deepEqual(cmdOf(acks[acks.length - 1], 'ACK').msgId, m1.msgId, 'the retry names the same message');

      loseOnce('SKEY');
      const skey = h.client.secureQueueBySender(queue.sndId, senderKey);
      await reconnect();
      await skey;
      const skeys = h.router.commands('SKEY').map((r) => cmdOf(r, 'SKEY').senderKey.raw);
      assert.deepEqual(skeys[0], skeys[1]);

      loseOnce('KEY');
      const key = h.client.secureQueue(other.queue, publicOf(legacy));
      await reconnect();
      await key;
      assert.equal(h.router.commands('KEY').length, 2);

      loseOnce('DEL');
      const del = h.client.deleteQueue(other.queue);
      await reconnect();
      assert.deepEqual(await del, { alreadyDeleted: true });
    });

    it('SEND that went through but lost its answer is sent again with the same body (at least once)', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h, false);
      h.router.intercept = () => 'lose';
      const p = h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('once?'), notification: false });
      await flush();
      h.router.intercept = null;
      h.router.current.drop();
      await flush();
      h.clock.advance(2000);
      await p;
      const sends = h.router.commands('SEND').map((r) => cmdOf(r, 'SEND'));
      assert.equal(sends.length, 2);
      assert.deepEqual(sends[0].body, sends[1].body);
      assert.equal(rq.messages.length, 2, 'the router stored it twice; the receiving agent drops the duplicate');
    });

    it('a timed-out attempt is retried on the same connection with a new corrId; its late answer is recognised', async () => {
      const h = harness({ config: { commandTimeoutMs: 1000 } });
      const { queue } = await makeQueue(h, false);
      holdAll(h, 'OFF');
      const p = track(h.client.suspendQueue(queue));
      await flush();
      h.clock.advance(1000);
      await flush();
      assert.equal(h.router.held.length, 2);
      const [a, b] = h.router.held;
      assert.notEqual(toHex(a.corrId), toHex(b.corrId));
      assert.equal(a.conn, b.conn);
      const out = h.router.release([a, b]);
      h.router.current.deliver(out.answers);
      await flush();
      assert.equal(p.done, true);
      assert.equal(p.error, undefined);
      assert.equal(h.client.stats().lateResponses, 1);
      assert.equal(h.client.stats().timeouts, 1);
    });

    it('an ACK answered late (after its retry was sent) still hands the next message to the subscriber', async () => {
      const h = harness({ config: { commandTimeoutMs: 1000, pingIntervalMs: 0 } });
      const { queue, events } = await makeQueue(h);
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('m1'), notification: false });
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('m2'), notification: false });
      await flush();
      const m1 = events[0] as { msgId: Uint8Array };
      holdAll(h, 'ACK');
      const ack = track(h.client.ack(queue, m1.msgId));
      await flush();
      h.clock.advance(1000);
      await flush();
      assert.equal(h.router.held.length, 2, 'the first attempt and its retry');
      const [first, retry] = h.router.held.slice();
      h.router.current.deliver(h.router.release([first]).answers);
      await flush();
      assert.equal(h.client.stats().lateResponses, 1);
      assert.equal(events.length, 2, 'the late answer carried m2');
      assert.equal(Buffer.from((events[1] as { body: Uint8Array }).body).toString(), 'm2');
      h.router.current.deliver(h.router.release([retry]).answers);
      await flush();
      assert.deepEqual(ack.value, { alreadyAcknowledged: true });
    });

    it('gives up with a typed timeout after maxAttempts', async () => {
      const h = harness({ config: { commandTimeoutMs: 1000, maxAttempts: 2 } });
      await h.client.ping();
      h.router.intercept = () => 'drop';
      const p = h.client.ping();
      await flush();
      h.clock.advance(1000);
      await flush();
      h.clock.advance(1000);
      const e = await expectClientError(p, 'timeout');
      assert.ok(e.message.includes('2 attempt'));
      assert.equal(h.router.commands('PING').length, 3);
    });

    it('a command times out when no connection comes up in time', async () => {
      const h = harness({ config: { commandTimeoutMs: 5000 } });
      h.router.connectMode = 'hang';
      const p = h.client.ping();
      await flush();
      h.clock.advance(5000);
      await expectClientError(p, 'timeout');
      assert.equal(h.client.pendingCount(), 0);
    });
  });

  describe('connection life', () => {
    it('connects on first use only', async () => {
      const h = harness();
      assert.equal(h.client.state, 'idle');
      assert.equal(h.router.connectAttempts, 0);
      await h.client.ping();
      assert.equal(h.client.state, 'connected');
      assert.equal(h.client.version, 18);
      assert.equal(h.router.connectAttempts, 1);
    });

    it('PINGs after pingIntervalMs of silence, and not while the router talks', async () => {
      const h = harness({ config: { pingIntervalMs: 60000, pingTimeoutMs: 10000 } });
      await makeQueue(h);
      h.clock.advance(59999);
      await flush();
      assert.equal(h.router.commands('PING').length, 0);
      h.clock.advance(1);
      await flush();
      assert.equal(h.router.commands('PING').length, 1);
      // Traffic postpones the next one.
      h.clock.advance(30000);
      await h.client.ping();
      h.clock.advance(30000);
      await flush();
      assert.equal(h.router.commands('PING').length, 2, 'only the caller PING');
      h.clock.advance(30000);
      await flush();
      assert.equal(h.router.commands('PING').length, 3);
      assert.equal(h.client.state, 'connected');
    });

    it('an unanswered PING marks the connection dead: it reconnects with backoff and resubscribes every queue', async () => {
      const h = harness({ config: { pingIntervalMs: 60000, pingTimeoutMs: 10000 } });
      const a = await makeQueue(h);
      const b = await makeQueue(h);
      const first = h.router.current;
      first.dead = true;
      h.clock.advance(60000);
      await flush();
      assert.equal(h.client.state, 'connected');
      h.clock.advance(10000);
      await flush();
      assert.equal(first.closed, true);
      assert.equal(h.client.state, 'reconnect-wait');
      const delay = h.clock.nextDelay() as number;
      assert.ok(delay >= 1000 && delay <= 2000, 'first backoff in [base/2, base]: ' + delay);
      h.clock.advance(delay);
      await flush();
      assert.equal(h.client.state, 'connected');
      const second = h.router.current;
      assert.notEqual(second, first);
      assert.equal(second.sent[0].length, 2, 'both SUBs in one batch');
      assert.equal(a.rq.subscriber, second);
      assert.equal(b.rq.subscriber, second);
      h.router.enqueueMessage(a.rq, utf8('after reconnect'));
      await flush();
      assert.equal(a.events.length, 1);
      assert.equal(h.client.stats().reconnects, 1);
    });

    it('backoff doubles with jitter up to reconnectMaxMs, and resets after a working connection', async () => {
      const h = harness({ config: { reconnectBaseMs: 1000, reconnectMaxMs: 8000 } });
      await makeQueue(h);
      h.router.connectMode = 'refuse';
      h.router.current.drop();
      await flush();
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        const d = h.clock.nextDelay() as number;
        seen.push(d);
        h.clock.advance(d);
        await flush();
      }
      const caps = [1000, 2000, 4000, 8000, 8000, 8000];
      for (let i = 0; i < caps.length; i++) assert.ok(seen[i] >= caps[i] / 2 && seen[i] <= caps[i], 'delay ' + i + ' = ' + seen[i]);
      h.router.connectMode = 'accept';
      h.clock.advance(h.clock.nextDelay() as number);
      await flush();
      assert.equal(h.client.state, 'connected');
      await h.client.ping();
      h.router.current.drop();
      await flush();
      assert.ok((h.clock.nextDelay() as number) <= 1000, 'back to the base delay');
    });

    it('after a reconnect, commands wait until every resubscription is answered', async () => {
      const h = harness();
      const a = await makeQueue(h);
      await h.client.sendMessage({ sndId: a.queue.sndId, senderKey: null, body: utf8('m'), notification: false });
      await flush();
      const m = a.events[0] as { msgId: Uint8Array };
      holdAll(h, 'ACK');
      const ack = h.client.ack(a.queue, m.msgId);
      await flush();
      h.router.intercept = (r) => (r.command !== null && r.command.type === 'SUB' ? 'hold' : 'process');
      h.router.current.drop();
      await flush();
      h.clock.advance(h.clock.nextDelay() as number);
      await flush();
      const conn = h.router.current;
      assert.equal(h.router.held.filter((r) => r.conn === conn).length, 1, 'the SUB is held');
      assert.equal(conn.sent.length, 1, 'and nothing else was sent');
      h.router.intercept = null;
      const sub = h.router.held.filter((r) => r.conn === conn);
      conn.deliver(concatAnswers(h.router.release(sub)));
      await flush();
      assert.equal(conn.sent.length, 2, 'then the ACK');
      assert.deepEqual(await ack, { alreadyAcknowledged: false });
      assert.equal(a.rq.messages.length, 0);
    });

    it('a queue subscribed with SUB (not NEW) is resubscribed too', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h, false);
      const got: QueueEvent[] = [];
      await h.client.subscribe(queue, (e) => got.push(e));
      h.router.current.drop();
      await flush();
      h.clock.advance(h.clock.nextDelay() as number);
      await flush();
      assert.equal(h.router.connections.length, 2);
      assert.equal(rq.subscriber, h.router.current);
      h.router.enqueueMessage(rq, utf8('x'));
      await flush();
      assert.equal(got.length, 1);
    });

    it('a resubscription the router refuses ends that subscription with an event', async () => {
      const h = harness();
      const a = await makeQueue(h);
      const b = await makeQueue(h);
      h.router.current.drop();
      delete h.router.queues[toHex(b.queue.rcvId)];
      await flush();
      h.clock.advance(h.clock.nextDelay() as number);
      await flush();
      assert.equal(b.events.length, 1);
      const e = b.events[0];
      assert.ok(e.type === 'resubscribe-failed' && e.error instanceof SmpCommandError && e.error.code === 'auth');
      assert.equal(h.client.subscriptionCount(), 1);
      assert.equal(a.events.length, 0);
    });

    it('a resubscription that cannot be sent any more (X25519 key, router now at v6) ends with an event, without looping', async () => {
      const h = harness({ version: 18 });
      const events: QueueEvent[] = [];
      const q = await h.client.createQueue({
        rcvAuthKey: authKeyPair(h.crypto, 'x25519'),
        rcvDhKey: h.crypto.x25519KeyPair(),
        queueMode: 'messaging',
        link: null,
        ntfCreds: null,
        onEvent: (e) => events.push(e),
      });
      const other = await makeQueue(h);
      h.router.version = 6;
      h.router.current.drop();
      await flush();
      h.clock.advance(h.clock.nextDelay() as number);
      await flush();
      assert.equal(events.length, 1);
      const e = events[0];
      assert.ok(e.type === 'resubscribe-failed' && e.error instanceof SmpClientError && e.error.code === 'no-server-key');
      assert.equal(h.client.subscriptionCount(), 1);
      assert.equal(h.client.state, 'connected');
      assert.equal(other.rq.subscriber, h.router.current, 'the Ed25519 queue was resubscribed');
      assert.equal(h.router.connections.length, 2);
      assert.ok(h.router.queues[toHex(q.rcvId)] !== undefined);
    });

    it('commands in flight with no attempts left fail with connection-lost', async () => {
      const h = harness({ config: { maxAttempts: 1 } });
      await h.client.ping();
      holdAll(h);
      const p = h.client.ping();
      await flush();
      h.router.current.drop();
      await expectClientError(p, 'connection-lost');
      await flush();
      assert.equal(h.client.state, 'idle', 'nothing left to reconnect for');
    });

    it('tolerates isolated bad blocks and closes after maxBadBlocks in a row', async () => {
      const h = harness({ config: { maxBadBlocks: 3 } });
      await makeQueue(h);
      const conn = h.router.current;
      conn.badBlock(new Error('block 1'));
      conn.badBlock(new Error('block 2'));
      await flush();
      await h.client.ping();
      conn.badBlock(new Error('block 3'));
      await flush();
      assert.equal(conn.closed, false, 'the PONG between them reset the run');
      conn.badBlock(new Error('block 4'));
      conn.badBlock(new Error('block 5'));
      await flush();
      assert.equal(conn.closed, true);
      assert.equal(h.client.state, 'reconnect-wait');
      assert.equal(h.client.stats().badBlocks, 5);
    });

    it('bounds the commands waiting for an answer', async () => {
      const h = harness({ config: { maxPending: 2 } });
      holdAll(h);
      const p1 = track(h.client.ping());
      const p2 = track(h.client.ping());
      await expectClientError(h.client.ping(), 'too-many-pending');
      await flush();
      assert.equal(h.client.pendingCount(), 2);
      h.router.intercept = null;
      h.router.current.deliver(concatAnswers(h.router.release(h.router.held.slice())));
      await flush();
      assert.ok(p1.done && p2.done);
      assert.equal(h.client.pendingCount(), 0);
      await h.client.ping();
    });

    it('close() fails what waits, forgets subscriptions and never reconnects', async () => {
      const h = harness();
      const a = await makeQueue(h);
      holdAll(h);
      const p = h.client.suspendQueue(a.queue);
      await flush();
      h.client.close();
      await expectClientError(p, 'closed');
      await expectClientError(h.client.ping(), 'closed');
      await expectClientError(h.client.subscribe(a.queue, () => undefined), 'closed');
      assert.equal(h.client.state, 'closed');
      assert.equal(h.client.subscriptionCount(), 0);
      await flush();
      h.clock.advance(3600000);
      await flush();
      assert.equal(h.router.connections.length, 1);
      assert.equal(h.clock.pendingTimers(), 0);
      h.client.close();
    });
  });

  describe('hostile or broken input', () => {
    it('garbage, truncated, oversized and misdirected transmissions never throw out of the transport callback', async () => {
      for (const version of [6, 7, 18]) {
        const h = harness({ version });
        const { queue } = await makeQueue(h);
        const conn = h.router.current;
        const rnd = h.router.random;
        const valid = conn.encode(new Uint8Array(0), queue.rcvId, { type: 'END' });
        const samples: Uint8Array[] = [
          new Uint8Array(0),
          new Uint8Array([0xff]),
          valid.subarray(0, valid.length - 3),
          valid.subarray(0, 2),
          concatBytes([valid, new Uint8Array(40000)]),
          conn.encode(new Uint8Array(0), new Uint8Array(0), { type: 'PONG' }),
          conn.encode(rnd.bytes(24), rnd.bytes(24), { type: 'OK' }),
          conn.encode(new Uint8Array(0), rnd.bytes(24), { type: 'DELD' }),
          conn.encode(new Uint8Array(0), new Uint8Array(0), { type: 'INFO', info: '{}' }),
          concatBytes([new Uint8Array([64]), rnd.bytes(64), version >= 16 ? new Uint8Array([0x30]) : new Uint8Array(0), valid.subarray(1)]),
          concatBytes([new Uint8Array([1, 0]), new Uint8Array(0)]),
          utf8('\x00\x18' + 'x'.repeat(24) + '\x00NOPE'),
        ];
        for (let i = 0; i < 200; i++) samples.push(rnd.bytes(1 + (rnd.bytes(1)[0] % 64)));
        if (version === 6) samples.push(concatBytes([new Uint8Array([0, 32]), rnd.bytes(32), new Uint8Array([0, 0]), utf8('PONG')]));
        conn.deliverRaw(samples);
        await flush();
        const s = h.client.stats();
        assert.ok(s.badTransmissions >= 200, 'bad transmissions counted: ' + s.badTransmissions);
        assert.ok(s.strayMessages >= 2);
        assert.equal(h.client.subscriptionCount(), 1, 'a DELD for an unknown queue changed nothing');
        assert.ok(!h.log.records.some((r) => r.event === 'smp.client.receive-failed'), 'no exception inside receive');
        await h.client.ping();
        assert.equal(h.client.state, 'connected');
      }
    });

    it('v6: an answer naming another session is dropped, not taken as the answer', async () => {
      const h = harness({ version: 6 });
      await h.client.ping();
      holdAll(h, 'PING');
      const p = track(h.client.ping());
      await flush();
      const conn = h.router.current;
      const r = h.router.held[0];
      const forged = { ...conn.params, sessionId: h.router.random.bytes(32) };
      const wrong = encodeTransmission(forged, { authorization: new Uint8Array(0), corrId: r.corrId, entityId: new Uint8Array(0), command: utf8('PONG') });
      conn.deliverRaw([wrong]);
      await flush();
      assert.equal(p.done, false);
      assert.equal(h.client.stats().badTransmissions, 1);
      conn.deliver([conn.encode(r.corrId, new Uint8Array(0), { type: 'PONG' })]);
      await flush();
      assert.equal(p.done, true);
      assert.equal(p.error, undefined);
    });

    it('logs carry no keys, secrets, bodies or whole queue IDs', async () => {
      const h = harness();
      const { queue, rq } = await makeQueue(h);
      const conn = h.router.current;
      conn.deliver([conn.encode(h.router.random.bytes(24), queue.rcvId, { type: 'OK' })]);
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, { type: 'MSG', msgId: h.router.random.bytes(24), encBody: new Uint8Array(100) })]);
      await h.client.sendMessage({ sndId: queue.sndId, senderKey: null, body: utf8('very private body'), notification: false });
      await flush();
      h.client.unsubscribe(queue.rcvId);
      h.router.enqueueMessage(rq, utf8('x'));
      conn.deliver([conn.encode(new Uint8Array(0), queue.rcvId, h.router.msgOf(rq, rq.messages[0]))]);
      await flush();
      const text = JSON.stringify(h.log.records);
      assert.ok(h.log.records.length > 0);
      for (const secret of [queue.rcvId, queue.sndId, queue.rcvDhSecret, queue.rcvKey.privateKey]) {
        assert.ok(!text.includes(toHex(secret)), 'a log record holds a secret or a whole ID');
        assert.ok(!text.includes(Buffer.from(secret).toString('base64')));
      }
      assert.ok(!text.includes('very private body'));
    });
  });
});

// ---------------------------------------------------------------------------------------------

function concatAnswers(out: { answers: Uint8Array[]; pushes: Uint8Array[] }): Uint8Array[] {
  return out.answers.concat(out.pushes);
}
