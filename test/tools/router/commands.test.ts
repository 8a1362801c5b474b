/**
 * Every command's happy path and its errors, against a router over real TLS (smp.md §6, §7;
 * Server.hs processCommand). Delivery and flow control are in delivery.test.ts.
 */
import assert from 'node:assert/strict';
import { encodeCommand } from '../../../firmware/smp/commands';
import { decodeNMsgMeta } from '../../../firmware/smp/message';
import { cbDecrypt } from '../../../firmware/crypto/box';
import type { BrokerMsg } from '../../../firmware/smp/responses';
import { authorizedBytes } from '../../../firmware/smp/transmission';
import {
  assertErr,
  assertOk,
  bytesEqual,
  crypto,
  describe as describeMsg,
  ed25519Key,
  ed448Key,
  EMPTY,
  messageText,
  random,
  removeTempDirs,
  startTestRouter,
  TestClient,
  text,
  x25519Key,
  type TestRouter,
} from './helpers';

describe('router commands', function () {
  let r: TestRouter;
  let a: TestClient;
  let b: TestClient;

  before(async () => {
    r = await startTestRouter({ password: 'secret-pw' });
  });
  beforeEach(async () => {
    a = await TestClient.connect(r.server);
    b = await TestClient.connect(r.server);
  });
  afterEach(() => {
    a.close();
    b.close();
  });
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  describe('NEW', () => {
    it('creates a queue and answers IDS with 24-byte ids and the v18 fields', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assert.equal(q.rcvId.length, 24);
      assert.equal(q.sndId.length, 24);
      assert.ok(!bytesEqual(q.rcvId, q.sndId));
      assert.equal(q.ids.queueMode, 'messaging');
      assert.equal(q.ids.linkId, null);
      assert.equal(q.ids.serviceId, null);
      assert.equal(q.ids.serverNtfCreds, null);
      assert.equal(q.ids.rcvPublicDhKey.alg, 'x25519');
    });

    it('requires the server password: missing or wrong is AUTH', async () => {
      const key = ed25519Key();
      const dh = { alg: 'x25519' as const, raw: crypto.x25519KeyPair().publicKey };
      for (const basicAuth of [null, 'wrong-pw']) {
        const msg = await a.cmd(EMPTY, { type: 'NEW', rcvAuthKey: key.publicKey, rcvDhKey: dh, basicAuth: basicAuth, subMode: 'subscribe', queueReqData: null, ntfCreds: null }, key);
        assertErr(msg, { type: 'AUTH' });
      }
    });

    it('must be signed by the new recipient key, and has no entity', async () => {
      const key = ed25519Key();
      const dh = { alg: 'x25519' as const, raw: crypto.x25519KeyPair().publicKey };
      const cmd = { type: 'NEW' as const, rcvAuthKey: key.publicKey, rcvDhKey: dh, basicAuth: 'secret-pw', subMode: 'subscribe' as const, queueReqData: null, ntfCreds: null };
      assertErr(await a.cmd(EMPTY, cmd, null), { type: 'CMD', cmdErr: 'NO_AUTH' });
      assertErr(await a.cmd(EMPTY, cmd, ed25519Key()), { type: 'AUTH' });
      assertErr(await a.cmd(random.bytes(24), cmd, key), { type: 'CMD', cmdErr: 'HAS_AUTH' });
    });

    it('accepts Ed448 and X25519 (authenticator) recipient keys', async () => {
      for (const key of [ed448Key(), x25519Key()]) {
        const q = await a.newQueue({ key: key, basicAuth: 'secret-pw' });
        const sub = await a.cmd(q.rcvId, { type: 'QUE' }, key);
        assert.equal(sub.type, 'INFO', describeMsg(sub));
      }
    });

    it('with link data: the sender id must be SHA3-384(corrId)[0..24], else CMD PROHIBITED', async () => {
      const corrId = random.bytes(24);
      const senderId = crypto.sha3_384(corrId).subarray(0, 24);
      const link = { senderId: senderId, fixedData: text('fixed'), userData: text('user') };
      const q = await a.newQueue({ basicAuth: 'secret-pw', corrId: corrId, queueReqData: { mode: 'messaging', link: link } });
      assert.ok(bytesEqual(q.sndId, senderId));
      assert.ok(q.ids.linkId !== null && q.ids.linkId.length === 24);

      const key = ed25519Key();
      const dh = { alg: 'x25519' as const, raw: crypto.x25519KeyPair().publicKey };
      const msg = await a.cmd(
        EMPTY,
        { type: 'NEW', rcvAuthKey: key.publicKey, rcvDhKey: dh, basicAuth: 'secret-pw', subMode: 'subscribe', queueReqData: { mode: 'messaging', link: { ...link, senderId: random.bytes(24) } }, ntfCreds: null },
        key,
      );
      assertErr(msg, { type: 'CMD', cmdErr: 'PROHIBITED' });
    });
  });

  describe('sender commands', () => {
    it('SEND without a sender key must be unsigned; a signed one is AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await b.send(q, text('x'), ed25519Key()), { type: 'AUTH' });
      assertOk(await b.send(q, text('x')));
    });

    it('KEY secures the queue: same key again OK, another key AUTH; then SEND must be signed by it', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      const sender = ed25519Key();
      assertOk(await a.cmd(q.rcvId, { type: 'KEY', senderKey: sender.publicKey }, q.rcvKey));
      assertOk(await a.cmd(q.rcvId, { type: 'KEY', senderKey: sender.publicKey }, q.rcvKey));
      assertErr(await a.cmd(q.rcvId, { type: 'KEY', senderKey: ed25519Key().publicKey }, q.rcvKey), { type: 'AUTH' });
      assertErr(await b.send(q, text('unsigned')), { type: 'AUTH' });
      assertErr(await b.send(q, text('wrong key'), ed25519Key()), { type: 'AUTH' });
      assertOk(await b.send(q, text('signed'), sender));
    });

    it('SKEY: the sender secures a messaging queue with the key it installs; idempotent; another key AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      const sender = x25519Key();
      assertOk(await b.cmd(q.sndId, { type: 'SKEY', senderKey: sender.publicKey }, sender));
      assertOk(await b.cmd(q.sndId, { type: 'SKEY', senderKey: sender.publicKey }, sender));
      const other = ed25519Key();
      assertErr(await b.cmd(q.sndId, { type: 'SKEY', senderKey: other.publicKey }, other), { type: 'AUTH' });
      // Signed by someone else than the key being installed.
      const q2 = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await b.cmd(q2.sndId, { type: 'SKEY', senderKey: other.publicKey }, ed25519Key()), { type: 'AUTH' });
      assertOk(await b.send(q, text('authenticated'), sender));
    });

    it('SKEY on a contact queue is AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw', queueReqData: { mode: 'contact', link: null } });
      const sender = ed25519Key();
      assertErr(await b.cmd(q.sndId, { type: 'SKEY', senderKey: sender.publicKey }, sender), { type: 'AUTH' });
    });

    it('unknown queue ids are AUTH, for every party', async () => {
      const id = random.bytes(24);
      const key = ed25519Key();
      assertErr(await b.cmd(id, { type: 'SEND', flags: { notification: false }, body: text('x') }, null), { type: 'AUTH' });
      assertErr(await b.cmd(id, { type: 'SEND', flags: { notification: false }, body: text('x') }, key), { type: 'AUTH' });
      assertErr(await b.cmd(id, { type: 'SKEY', senderKey: key.publicKey }, key), { type: 'AUTH' });
      assertErr(await b.cmd(id, { type: 'SUB' }, key), { type: 'AUTH' });
      assertErr(await b.cmd(id, { type: 'LGET' }, null), { type: 'AUTH' });
      assertErr(await b.cmd(id, { type: 'NSUB' }, key), { type: 'AUTH' });
    });

    it('SEND needs an entity; over the v18 limit of 16048 bytes is LARGE_MSG', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await b.cmd(EMPTY, { type: 'SEND', flags: { notification: false }, body: text('x') }, null), { type: 'CMD', cmdErr: 'NO_ENTITY' });
      assertOk(await b.send(q, new Uint8Array(16048)));
      // The encoder refuses oversized bodies, so the bytes come from the v8 encoder (limit 16064, same layout).
      const command = encodeCommand(8, { type: 'SEND', flags: { notification: false }, body: new Uint8Array(16049) });
      const corrId = random.bytes(24);
      const res = await b.client.request({ authorization: EMPTY, corrId: corrId, entityId: q.sndId, command: command });
      assertErr(res.msg, { type: 'LARGE_MSG' });
    });
  });

  describe('recipient commands', () => {
    it('SUB answers SOK (v18) and OK below v16; wrong key AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw', subscribe: false });
      assert.deepEqual(await a.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey), { type: 'SOK', serviceId: null });
      assertErr(await a.cmd(q.rcvId, { type: 'SUB' }, ed25519Key()), { type: 'AUTH' });
      const old = await TestClient.connect(r.server, { versionRange: { min: 6, max: 15 } });
      try {
        assert.equal(old.version, 15);
        const q15 = await old.newQueue({ basicAuth: 'secret-pw', subscribe: false });
        assertOk(await old.cmd(q15.rcvId, { type: 'SUB' }, q15.rcvKey));
      } finally {
        old.close();
      }
    });

    it('a signature over another session id is AUTH (transmissions are bound to the TLS session)', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw', subscribe: false });
      const corrId = random.bytes(24);
      const command = encodeCommand(a.version, { type: 'SUB' });
      const signedForB = q.rcvKey.authorize(a.client.serverDhKey, corrId, authorizedBytes(b.client.sessionId, corrId, q.rcvId, command));
      const res = await a.client.request({ authorization: signedForB, corrId: corrId, entityId: q.rcvId, command: command });
      assertErr(res.msg, { type: 'AUTH' });
    });

    it('an X25519 authenticator made for another connection is AUTH', async () => {
      const key = x25519Key();
      const q = await a.newQueue({ key: key, basicAuth: 'secret-pw', subscribe: false });
      const corrId = random.bytes(24);
      const command = encodeCommand(a.version, { type: 'SUB' });
      // Authenticated against b's router hello key, sent on a.
      const auth = key.authorize(b.client.serverDhKey, corrId, authorizedBytes(a.client.sessionId, corrId, q.rcvId, command));
      assertErr((await a.client.request({ authorization: auth, corrId: corrId, entityId: q.rcvId, command: command })).msg, { type: 'AUTH' });
      assert.equal((await a.cmd(q.rcvId, { type: 'SUB' }, key)).type, 'SOK');
    });

    it('OFF suspends: SEND is AUTH, the recipient still reads', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertOk(await b.send(q, text('before')));
      const m = await a.nextMessage(q);
      assertOk(await a.cmd(q.rcvId, { type: 'OFF' }, q.rcvKey));
      assertOk(await a.cmd(q.rcvId, { type: 'OFF' }, q.rcvKey));
      assertErr(await b.send(q, text('after')), { type: 'AUTH' });
      assertOk(await a.cmd(q.rcvId, { type: 'ACK', msgId: m.msgId }, q.rcvKey));
    });

    it('DEL deletes the queue: later commands are AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertOk(await b.send(q, text('gone')));
      assertOk(await a.cmd(q.rcvId, { type: 'DEL' }, q.rcvKey));
      assertErr(await a.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey), { type: 'AUTH' });
      assertErr(await b.send(q, text('x')), { type: 'AUTH' });
    });

    it('QUE answers INFO with the queue state as JSON', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw', subscribe: false });
      assertOk(await b.send(q, text('one')));
      const info = await a.cmd(q.rcvId, { type: 'QUE' }, q.rcvKey);
      if (info.type !== 'INFO') assert.fail(describeMsg(info));
      const json = JSON.parse(info.info);
      assert.equal(json.qiSnd, false);
      assert.equal(json.qiNtf, false);
      assert.equal(json.qiSize, 1);
      assert.equal(json.qiMsg.msgType, 'message');
      assert.equal(json.qiSub, undefined);
    });

    it('RKEY replaces the recipient keys of a contact queue; a messaging queue is AUTH', async () => {
      const contact = await a.newQueue({ basicAuth: 'secret-pw', queueReqData: { mode: 'contact', link: null }, subscribe: false });
      const next = ed448Key();
      assertOk(await a.cmd(contact.rcvId, { type: 'RKEY', recipientKeys: [next.publicKey] }, contact.rcvKey));
      assertErr(await a.cmd(contact.rcvId, { type: 'QUE' }, contact.rcvKey), { type: 'AUTH' });
      assert.equal((await a.cmd(contact.rcvId, { type: 'QUE' }, next)).type, 'INFO');
      const messaging = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await a.cmd(messaging.rcvId, { type: 'RKEY', recipientKeys: [next.publicKey] }, messaging.rcvKey), { type: 'AUTH' });
    });

    it('SUBS and NSUBS without a service certificate are ERR SERVICE', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await a.cmd(q.rcvId, { type: 'SUBS' }, q.rcvKey), { type: 'SERVICE' });
      assertErr(await a.cmd(q.rcvId, { type: 'NSUBS' }, q.rcvKey), { type: 'SERVICE' });
    });

    it('PING answers PONG with no entity; with an entity or a signature it is CMD HAS_AUTH', async () => {
      const res = await a.request(EMPTY, { type: 'PING' }, null);
      assert.equal(res.msg.type, 'PONG');
      assert.equal(res.entityId.length, 0);
      assertErr(await a.cmd(random.bytes(24), { type: 'PING' }, null), { type: 'CMD', cmdErr: 'HAS_AUTH' });
      assertErr(await a.cmd(EMPTY, { type: 'PING' }, ed25519Key()), { type: 'CMD', cmdErr: 'HAS_AUTH' });
    });

    it('recipient commands without a signature are CMD NO_AUTH', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      assertErr(await a.cmd(q.rcvId, { type: 'SUB' }, null), { type: 'CMD', cmdErr: 'NO_AUTH' });
    });
  });

  describe('short links', () => {
    it('messaging queue: LKEY secures it and answers LNK; LGET is AUTH; LSET and LDEL', async () => {
      const corrId = random.bytes(24);
      const link = { senderId: crypto.sha3_384(corrId).subarray(0, 24), fixedData: text('fixed'), userData: text('user-1') };
      const q = await a.newQueue({ basicAuth: 'secret-pw', corrId: corrId, queueReqData: { mode: 'messaging', link: link } });
      const linkId = q.ids.linkId as Uint8Array;
      assertErr(await b.cmd(linkId, { type: 'LGET' }, null), { type: 'AUTH' });

      assertOk(await a.cmd(q.rcvId, { type: 'LSET', linkId: linkId, fixedData: text('fixed'), userData: text('user-2') }, q.rcvKey));
      assertErr(await a.cmd(q.rcvId, { type: 'LSET', linkId: linkId, fixedData: text('other'), userData: text('user-2') }, q.rcvKey), { type: 'AUTH' });
      assertErr(await a.cmd(q.rcvId, { type: 'LSET', linkId: random.bytes(24), fixedData: text('fixed'), userData: text('u') }, q.rcvKey), { type: 'AUTH' });

      const sender = ed25519Key();
      const lnk = await b.cmd(linkId, { type: 'LKEY', senderKey: sender.publicKey }, sender);
      assert.deepEqual(lnk, { type: 'LNK', senderId: q.sndId, fixedData: text('fixed'), userData: text('user-2') });
      // Secured: SEND needs the key now, and the first signed SEND drops the link data.
      assertOk(await b.send(q, text('hi'), sender));
      assertErr(await a.cmd(q.rcvId, { type: 'LSET', linkId: linkId, fixedData: text('fixed'), userData: text('x') }, q.rcvKey), { type: 'AUTH' });
      assertErr(await b.cmd(linkId, { type: 'LKEY', senderKey: sender.publicKey }, sender), { type: 'AUTH' });
      assertOk(await a.cmd(q.rcvId, { type: 'LDEL' }, q.rcvKey));
    });

    it('contact queue: the client chooses the link id; LGET answers LNK; LDEL removes it', async () => {
      const corrId = random.bytes(24);
      const linkId = random.bytes(24);
      const senderId = crypto.sha3_384(corrId).subarray(0, 24);
      const q = await a.newQueue({
        basicAuth: 'secret-pw',
        corrId: corrId,
        queueReqData: { mode: 'contact', link: { linkId: linkId, senderId: senderId, fixedData: text('F'), userData: text('U') } },
      });
      assert.ok(bytesEqual(q.ids.linkId as Uint8Array, linkId));
      assert.equal(q.ids.queueMode, 'contact');
      assert.deepEqual(await b.cmd(linkId, { type: 'LGET' }, null), { type: 'LNK', senderId: q.sndId, fixedData: text('F'), userData: text('U') });
      assertErr(await b.cmd(linkId, { type: 'LGET' }, ed25519Key()), { type: 'CMD', cmdErr: 'HAS_AUTH' });
      const sender = ed25519Key();
      assertErr(await b.cmd(linkId, { type: 'LKEY', senderKey: sender.publicKey }, sender), { type: 'AUTH' });
      assertOk(await a.cmd(q.rcvId, { type: 'LDEL' }, q.rcvKey));
      assertErr(await b.cmd(linkId, { type: 'LGET' }, null), { type: 'AUTH' });
    });
  });

  describe('notifiers', () => {
    it('NKEY answers NID; NSUB then gets NMSG for notification SENDs; NDEL ends it', async () => {
      const q = await a.newQueue({ basicAuth: 'secret-pw' });
      const notifierKey = ed25519Key();
      const dh = crypto.x25519KeyPair();
      const nid = await a.cmd(q.rcvId, { type: 'NKEY', notifierKey: notifierKey.publicKey, rcvNtfDhKey: { alg: 'x25519', raw: dh.publicKey } }, q.rcvKey);
      if (nid.type !== 'NID') assert.fail(describeMsg(nid));
      const ntfSecret = crypto.x25519(dh.privateKey, nid.srvNtfDhKey.raw);

      const ntf = await TestClient.connect(r.server);
      try {
        assertErr(await ntf.cmd(nid.notifierId, { type: 'NSUB' }, ed25519Key()), { type: 'AUTH' });
        assert.deepEqual(await ntf.cmd(nid.notifierId, { type: 'NSUB' }, notifierKey), { type: 'SOK', serviceId: null });
        assertOk(await b.send(q, text('no notification')));
        assertOk(await b.send(q, text('notify'), null, true));
        const push = await ntf.waitPush((t) => t.msg.type === 'NMSG');
        assert.ok(bytesEqual(push.entityId, nid.notifierId));
        const nmsg = push.msg as Extract<BrokerMsg, { type: 'NMSG' }>;
        assert.equal(nmsg.encMeta.length, 144);
        const meta = cbDecrypt(crypto, ntfSecret, nmsg.nonce, nmsg.encMeta);
        assert.ok(meta !== null, 'NMSG metadata opens with the notifier DH secret');
        const first = await a.nextMessage(q);
        // ACK answers with the next message: the notification one, whose id the NMSG carries.
        const second = await a.cmd(q.rcvId, { type: 'ACK', msgId: first.msgId }, q.rcvKey);
        if (second.type !== 'MSG') assert.fail(describeMsg(second));
        assert.equal(messageText(q, second), 'notify');
        const ids = decodeNMsgMeta(meta);
        assert.ok(bytesEqual(ids.msgId, second.msgId));
        assert.equal(ntf.pushes.filter((t) => t.msg.type === 'NMSG').length, 0, 'exactly one NMSG: only the notification SEND');

        assertOk(await a.cmd(q.rcvId, { type: 'NDEL' }, q.rcvKey));
        await ntf.waitPush((t) => t.msg.type === 'DELD' && bytesEqual(t.entityId, nid.notifierId));
        assertErr(await ntf.cmd(nid.notifierId, { type: 'NSUB' }, notifierKey), { type: 'AUTH' });
      } finally {
        ntf.close();
      }
    });

    it('NEW with notifier credentials (v17+) answers the notifier id in IDS', async () => {
      const key = ed25519Key();
      const notifierKey = ed25519Key();
      const dh = crypto.x25519KeyPair();
      const ntfDh = crypto.x25519KeyPair();
      const ids = await a.cmd(
        EMPTY,
        {
          type: 'NEW',
          rcvAuthKey: key.publicKey,
          rcvDhKey: { alg: 'x25519', raw: dh.publicKey },
          basicAuth: 'secret-pw',
          subMode: 'subscribe',
          queueReqData: { mode: 'messaging', link: null },
          ntfCreds: { notifierKey: notifierKey.publicKey, rcvNtfDhKey: { alg: 'x25519', raw: ntfDh.publicKey } },
        },
        key,
      );
      if (ids.type !== 'IDS' || ids.serverNtfCreds === null) assert.fail(describeMsg(ids));
      assert.equal((await b.cmd(ids.serverNtfCreds.notifierId, { type: 'NSUB' }, notifierKey)).type, 'SOK');
    });
  });
});

describe('router authorization timing', function () {
  after(removeTempDirs);

  it('does the same verification work for a missing queue, a wrong signature and a key of another type (dummy keys)', async () => {
    const counts = { ed25519: 0, ed448: 0, x25519: 0 };
    const counting = {
      ...crypto,
      ed25519Verify: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => (counts.ed25519++, crypto.ed25519Verify(k, m, s)),
      ed448Verify: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => (counts.ed448++, crypto.ed448Verify(k, m, s)),
      x25519: (p: Uint8Array, k: Uint8Array) => (counts.x25519++, crypto.x25519(p, k)),
    };
    const r = await startTestRouter({ crypto: counting });
    const c = await TestClient.connect(r.server);
    try {
      const edQueue = await c.newQueue({ subscribe: false });
      const xQueue = await c.newQueue({ subscribe: false, key: x25519Key() });
      const work = async (entityId: Uint8Array, key: ReturnType<typeof ed25519Key>): Promise<typeof counts> => {
        const before = { ...counts };
        assertErr(await c.cmd(entityId, { type: 'SUB' }, key), { type: 'AUTH' });
        return { ed25519: counts.ed25519 - before.ed25519, ed448: counts.ed448 - before.ed448, x25519: counts.x25519 - before.x25519 };
      };
      const oneEd = { ed25519: 1, ed448: 0, x25519: 0 };
      assert.deepEqual(await work(random.bytes(24), ed25519Key()), oneEd, 'missing queue');
      assert.deepEqual(await work(edQueue.rcvId, ed25519Key()), oneEd, 'wrong Ed25519 key');
      assert.deepEqual(await work(xQueue.rcvId, ed25519Key()), oneEd, 'Ed25519 signature for an X25519 key');
      const oneX = { ed25519: 0, ed448: 0, x25519: 1 };
      assert.deepEqual(await work(random.bytes(24), x25519Key()), oneX, 'missing queue, authenticator');
      assert.deepEqual(await work(edQueue.rcvId, x25519Key()), oneX, 'authenticator for an Ed25519 key');
      assert.deepEqual(await work(xQueue.rcvId, x25519Key()), oneX, 'wrong X25519 key');
      const oneEd448 = { ed25519: 0, ed448: 1, x25519: 0 };
      assert.deepEqual(await work(random.bytes(24), ed448Key()), oneEd448);
      assert.deepEqual(await work(edQueue.rcvId, ed448Key()), oneEd448);
    } finally {
      c.close();
      await r.stop();
    }
  });
});
