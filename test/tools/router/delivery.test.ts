/**
 * Delivery (smp.md §7.5; Server.hs subscribeQueueAndDeliver, tryDeliverMessage, acknowledgeMsg,
 * getMessage): at most one unacknowledged message per subscription, the next one as the ACK's
 * answer, END and DELD to a subscriber that lost its queue, GET, the quota and its marker, and
 * message expiry.
 */
import assert from 'node:assert/strict';
import {
  assertErr,
  assertOk,
  bytesEqual,
  describe as describeMsg,
  EMPTY,
  messageText,
  openMessage,
  removeTempDirs,
  startTestRouter,
  TestClient,
  text,
  type TestRouter,
} from './helpers';

describe('router delivery', function () {
  let r: TestRouter;
  let rcv: TestClient;
  let snd: TestClient;

  before(async () => {
    r = await startTestRouter({ quota: 3 });
  });
  beforeEach(async () => {
    rcv = await TestClient.connect(r.server);
    snd = await TestClient.connect(r.server);
  });
  afterEach(() => {
    rcv.close();
    snd.close();
  });
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  it('delivers one message at a time: the next only as the answer to ACK', async () => {
    const q = await rcv.newQueue();
    assertOk(await snd.send(q, text('m1')));
    assertOk(await snd.send(q, text('m2')));
    assertOk(await snd.send(q, text('m3')));
    const m1 = await rcv.nextMessage(q);
    assert.equal(messageText(q, m1), 'm1');
    // m2 is waiting but must not be pushed before the ACK.
    const pong = await rcv.cmd(EMPTY, { type: 'PING' }, null);
    assert.equal(pong.type, 'PONG');
    assert.equal(rcv.pushes.length, 0, 'nothing pushed while m1 is unacknowledged');

    const ack1 = await rcv.request(q.rcvId, { type: 'ACK', msgId: m1.msgId }, q.rcvKey);
    assert.equal(messageText(q, ack1.msg), 'm2', 'the ACK is answered with the next message');
    assert.ok(bytesEqual(ack1.entityId, q.rcvId));
    const m2 = ack1.msg as Extract<typeof ack1.msg, { type: 'MSG' }>;
    // Acknowledging m1 again, or a message that was not delivered, is NO_MSG.
    assertErr(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: m1.msgId }, q.rcvKey), { type: 'NO_MSG' });
    const m3 = await rcv.cmd(q.rcvId, { type: 'ACK', msgId: m2.msgId }, q.rcvKey);
    assert.equal(messageText(q, m3), 'm3');
    assertOk(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: (m3 as { msgId: Uint8Array }).msgId }, q.rcvKey));
    assertErr(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: m1.msgId }, q.rcvKey), { type: 'NO_MSG' });
    // An empty queue with a subscriber: the next SEND is pushed.
    assertOk(await snd.send(q, text('m4')));
    assert.equal(messageText(q, await rcv.nextMessage(q)), 'm4');
  });

  it('message bodies carry the receive time and the notification flag (smp.md §8.2)', async () => {
    const q = await rcv.newQueue();
    const before = Math.floor(Date.now() / 1000);
    assertOk(await snd.send(q, text('flagged'), null, true));
    const body = openMessage(q, await rcv.nextMessage(q));
    if (body.type !== 'message') assert.fail('expected a message');
    assert.equal(body.flags.notification, true);
    assert.ok(body.ts >= before - 1 && body.ts <= Math.floor(Date.now() / 1000) + 1);
  });

  it('ACK without a delivered message is NO_MSG; a repeated SUB delivers the unacknowledged message again', async () => {
    const q = await rcv.newQueue();
    assertErr(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: new Uint8Array(24) }, q.rcvKey), { type: 'NO_MSG' });
    assertOk(await snd.send(q, text('again')));
    const first = await rcv.nextMessage(q);
    const sub = await rcv.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey);
    assert.equal(sub.type, 'SOK');
    const second = await rcv.nextMessage(q);
    assert.ok(bytesEqual(first.msgId, second.msgId));
    assertErr(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: new Uint8Array(24) }, q.rcvKey), { type: 'NO_MSG' });
    assertOk(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: second.msgId }, q.rcvKey));
  });

  it('SUB from another connection takes the queue over: the old subscriber gets END and can no longer ACK', async () => {
    const q = await rcv.newQueue();
    assertOk(await snd.send(q, text('taken')));
    const m = await rcv.nextMessage(q);
    const other = await TestClient.connect(r.server);
    try {
      assert.equal((await other.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey)).type, 'SOK');
      const end = await rcv.waitPush((t) => t.msg.type === 'END');
      assert.ok(bytesEqual(end.entityId, q.rcvId));
      assert.equal(end.corrId.length, 0);
      // The new subscriber gets the unacknowledged message; the old one's ACK is refused.
      assert.ok(bytesEqual((await other.nextMessage(q)).msgId, m.msgId));
      assertErr(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: m.msgId }, q.rcvKey), { type: 'NO_MSG' });
      assertOk(await other.cmd(q.rcvId, { type: 'ACK', msgId: m.msgId }, q.rcvKey));
    } finally {
      other.close();
    }
  });

  it('DEL by one connection sends DELD to the subscriber on another (END below v10)', async () => {
    const q = await rcv.newQueue();
    const owner = await TestClient.connect(r.server);
    const old = await TestClient.connect(r.server, { versionRange: { min: 6, max: 9 } });
    try {
      assertOk(await owner.cmd(q.rcvId, { type: 'DEL' }, q.rcvKey));
      const deld = await rcv.waitPush((t) => t.msg.type === 'DELD');
      assert.ok(bytesEqual(deld.entityId, q.rcvId));

      const q9 = await old.newQueue();
      assertOk(await owner.cmd(q9.rcvId, { type: 'DEL' }, q9.rcvKey));
      const end = await old.waitPush((t) => bytesEqual(t.entityId, q9.rcvId));
      assert.equal(end.msg.type, 'END');
    } finally {
      owner.close();
      old.close();
    }
  });

  it('GET polls without subscribing: MSG with the GET corrId, OK when empty; SUB and GET exclude each other', async () => {
    const q = await rcv.newQueue({ subscribe: false });
    assertOk(await rcv.cmd(q.rcvId, { type: 'GET' }, q.rcvKey));
    assertOk(await snd.send(q, text('polled')));
    const got = await rcv.request(q.rcvId, { type: 'GET' }, q.rcvKey);
    assert.equal(messageText(q, got.msg), 'polled');
    assertErr(await rcv.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey), { type: 'CMD', cmdErr: 'PROHIBITED' });
    // After GET, ACK removes the message and answers OK, even if more wait.
    assertOk(await snd.send(q, text('second')));
    assertOk(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: (got.msg as { msgId: Uint8Array }).msgId }, q.rcvKey));
    assert.equal(messageText(q, await rcv.cmd(q.rcvId, { type: 'GET' }, q.rcvKey)), 'second');
    assert.equal(rcv.pushes.length, 0, 'GET never causes pushes');

    const subscribed = await snd.newQueue();
    assertErr(await snd.cmd(subscribed.rcvId, { type: 'GET' }, subscribed.rcvKey), { type: 'CMD', cmdErr: 'PROHIBITED' });
  });

  it('QUOTA: a full queue refuses SEND and leaves the quota marker, delivered after the messages', async () => {
    const q = await rcv.newQueue({ subscribe: false });
    for (let i = 1; i <= 3; i++) assertOk(await snd.send(q, text('q' + i)));
    assertErr(await snd.send(q, text('over')), { type: 'QUOTA' });
    assertErr(await snd.send(q, text('still over')), { type: 'QUOTA' });

    assert.equal((await rcv.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey)).type, 'SOK');
    let msg = await rcv.nextMessage(q);
    for (let i = 1; i <= 3; i++) {
      assert.equal(messageText(q, msg), 'q' + i);
      // Still refused until the queue is empty, marker included.
      assertErr(await snd.send(q, text('x')), { type: 'QUOTA' });
      const next = await rcv.cmd(q.rcvId, { type: 'ACK', msgId: msg.msgId }, q.rcvKey);
      if (next.type !== 'MSG') assert.fail('expected MSG, got ' + describeMsg(next));
      msg = next;
    }
    const marker = openMessage(q, msg);
    assert.equal(marker.type, 'quota');
    assertOk(await rcv.cmd(q.rcvId, { type: 'ACK', msgId: msg.msgId }, q.rcvKey));
    assertOk(await snd.send(q, text('room again')));
    assert.equal(messageText(q, await rcv.nextMessage(q)), 'room again');
  });
});

describe('router message expiry', function () {
  after(removeTempDirs);

  it('drops messages older than the TTL: periodically and before a SEND', async () => {
    let clock = Date.now();
    const r = await startTestRouter({ messageTtlSeconds: 3600, now: () => clock });
    const rcv = await TestClient.connect(r.server);
    const snd = await TestClient.connect(r.server);
    try {
      const q = await rcv.newQueue({ subscribe: false });
      assertOk(await snd.send(q, text('old-1')));
      assertOk(await snd.send(q, text('old-2')));
      clock += 1800 * 1000;
      assertOk(await snd.send(q, text('younger')));
      assert.equal(r.router.expireMessages(), 0, 'nothing is an hour old yet');
      clock += 1801 * 1000;
      assert.equal(r.router.expireMessages(), 2);
      assert.equal(messageText(q, await rcv.cmd(q.rcvId, { type: 'GET' }, q.rcvKey)), 'younger');

      const q2 = await rcv.newQueue({ subscribe: false });
      assertOk(await snd.send(q2, text('stale')));
      clock += 3601 * 1000;
      assertOk(await snd.send(q2, text('fresh'))); // expires 'stale' first
      assert.equal(messageText(q2, await rcv.cmd(q2.rcvId, { type: 'GET' }, q2.rcvKey)), 'fresh');
    } finally {
      rcv.close();
      snd.close();
      await r.stop();
    }
  });
});
