/**
 * The legacy handshake (agent.md §5.2: PrivHeader 'K', KEY, HELLO) end to end through the local
 * router: queues the sender cannot secure (made with `legacyQueues`, as a router below SMP v9
 * makes them) on one side or both, in every combination the spec allows, then messages and
 * receipts both ways. Also a restart in the middle of the HELLO exchange, and the old record format.
 */
import assert from 'node:assert/strict';
import { parseConnectionLink, renderConnectionLink } from '../../../firmware/agent/connection-link';
import { decodeConnection, encodeConnection } from '../../../firmware/agent/connection-store';
import { EngineError } from '../../../firmware/agent/engine-errors';
import { StoreType } from '../../../firmware/store/record-types';
import { Party, profile, useLocalRouter } from './agent-helpers';

function idBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

describe('agent engine: legacy handshake (KEY + HELLO)', function () {
  this.timeout(60000);
  const env = useLocalRouter();

  const party = (name: string, legacy: boolean, pq: boolean = true): Party => env.party(name, { legacyQueues: legacy, pq: pq });


  function record(p: Party, connId: string) {
    return decodeConnection(p.store.get(StoreType.Connection, idBytes(connId)) as Uint8Array);
  }

  async function handshake(alice: Party, bob: Party): Promise<{ aConn: string; bConn: string }> {
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile(alice.name));
    const bConn = await bob.agent.joinInvitation(inv.link, profile(bob.name));
    await alice.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === inv.connId), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bConn), 'bob connected');
    return { aConn: inv.connId, bConn: bConn };
  }

  async function exchange(alice: Party, aConn: string, bob: Party, bConn: string): Promise<void> {
    const aIds = [alice.agent.sendText(aConn, 'a0'), alice.agent.sendText(aConn, 'a1')];
    const bIds = [bob.agent.sendText(bConn, 'b0'), bob.agent.sendText(bConn, 'b1')];
    await bob.waitFor((es) => es.filter((e) => e.type === 'message').length === 2, 'bob receives');
    await alice.waitFor((es) => es.filter((e) => e.type === 'message').length === 2, 'alice receives');
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length === 2, 'alice receipts');
    await bob.waitFor((es) => es.filter((e) => e.type === 'delivered').length === 2, 'bob receipts');
    assert.deepEqual(bob.texts(bConn), ['a0', 'a1']);
    assert.deepEqual(alice.texts(aConn), ['b0', 'b1']);
    for (const e of alice.events.concat(bob.events)) if (e.type === 'message') assert.equal(e.integrity.kind, 'ok');
    return void [aIds, bIds];
  }

  function once(p: Party, type: 'connected' | 'confirmed', connId: string): void {
    assert.equal(p.count(type, connId), 1, p.name + ' ' + type + ' exactly once');
  }

  it('both queues legacy: K confirmations both ways, KEY on both queues, HELLO both ways, then messages (PQ on)', async () => {
    const alice = party('alice', true);
    const bob = party('bob', true);
    await alice.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'));
    // The link says neither q=m nor k=s.
    assert.equal(parseConnectionLink(inv.link).queues[0].queueMode, null);
    assert.ok(!/q%3Dm|k%3Ds/.test(inv.link));
    await alice.agent.createInvitation(profile('unused')); // a second queue, so ids are not trivially first
    await bob.agent.start();
    const bConn = await bob.agent.joinInvitation(inv.link, profile('bob'));
    const aConn = inv.connId;
    // The joiner cannot send before the HELLO exchange: its messages would need the KEY first.
    assert.throws(() => bob.agent.sendText(bConn, 'early'), (e: unknown) => e instanceof EngineError && e.code === 'not-ready');
    await alice.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === aConn), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bConn), 'bob connected');
    once(alice, 'confirmed', aConn);
    once(alice, 'connected', aConn);
    once(bob, 'connected', bConn);
    assert.equal(bob.count('confirmed'), 0);
    const aRec = record(alice, aConn);
    const bRec = record(bob, bConn);
    for (const rec of [aRec, bRec]) {
      assert.equal(rec.status, 'connected');
      assert.equal(rec.awaitHello, true);
      assert.equal(rec.helloSent, true);
      assert.equal(rec.helloReceived, true);
      assert.equal(rec.peerSenderKey, null, 'KEY done, the key forgotten');
      assert.equal(rec.rcvQueue.senderCanSecure, false);
      assert.ok(rec.sndQueue !== null && rec.sndQueue.senderCanSecure === false && rec.sndQueue.secured === false);
      assert.equal(rec.pqSupport, true);
    }
    // Each side sent its confirmation (1) and its HELLO (2); the peer saw both.
    assert.equal(aRec.sendChain.lastSndMsgId, 2);
    assert.equal(bRec.sendChain.lastSndMsgId, 2);
    assert.ok(aRec.receiveChain !== null && aRec.receiveChain.prevExtSndId === 2);
    assert.ok(bRec.receiveChain !== null && bRec.receiveChain.prevExtSndId === 2);
    await exchange(alice, aConn, bob, bConn);
    // Numbers go on from the HELLO (2): a0, a1 (3, 4), the receipts for b0, b1 (5, 6).
    assert.equal(alice.agent.sendText(aConn, 'next'), 7);
    assert.equal(alice.count('rejected') + bob.count('rejected') + alice.count('failed') + bob.count('failed'), 0);
  });

  it("initiator's queue legacy, joiner's sender-securable: 'K' to the initiator, SKEY and '_' back, no HELLO", async () => {
    const alice = party('alice', true, false);
    const bob = party('bob', false, false);
    const { aConn, bConn } = await handshake(alice, bob);
    once(alice, 'connected', aConn);
    once(bob, 'connected', bConn);
    const aRec = record(alice, aConn);
    const bRec = record(bob, bConn);
    assert.equal(aRec.awaitHello, false);
    assert.equal(bRec.awaitHello, false);
    assert.ok(aRec.sndQueue !== null && aRec.sndQueue.senderCanSecure && aRec.sndQueue.secured, 'alice secured the reply queue with SKEY');
    assert.ok(bRec.sndQueue !== null && !bRec.sndQueue.senderCanSecure, "bob's queue to alice is legacy: alice ran KEY");
    assert.equal(aRec.peerSenderKey, null);
    assert.equal(aRec.sendChain.lastSndMsgId, 1, 'no HELLO');
    await exchange(alice, aConn, bob, bConn);
  });

  it("initiator's queue sender-securable, joiner's legacy: '_' with SKEY, then 'K' back, KEY and HELLO", async () => {
    const alice = party('alice', false);
    const bob = party('bob', true);
    const { aConn, bConn } = await handshake(alice, bob);
    once(alice, 'connected', aConn);
    once(bob, 'connected', bConn);
    const aRec = record(alice, aConn);
    const bRec = record(bob, bConn);
    assert.ok(aRec.awaitHello && aRec.helloSent && aRec.helloReceived);
    assert.ok(bRec.awaitHello && bRec.helloSent && bRec.helloReceived);
    assert.ok(bRec.sndQueue !== null && bRec.sndQueue.senderCanSecure && bRec.sndQueue.secured, 'bob secured alice queue with SKEY');
    assert.ok(aRec.sndQueue !== null && !aRec.sndQueue.senderCanSecure, "alice's queue to bob is legacy: bob ran KEY");
    await exchange(alice, aConn, bob, bConn);
  });

  it("an old peer's SMP client range (v=1-2, no SKEY) makes the joiner use 'K' even on a sender-securable queue", async () => {
    const alice = party('alice', false, false);
    const bob = party('bob', false, false);
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'));
    const req = parseConnectionLink(inv.link);
    // The link as an agent that predates sender-securable queues would render it.
    const old = renderConnectionLink({ ...req, queues: [{ ...req.queues[0], smpClientVRange: { min: 1, max: 2 }, queueMode: null }] });
    const bConn = await bob.agent.joinInvitation(old, profile('bob'));
    await alice.waitFor((es) => es.some((e) => e.type === 'connected'), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected'), 'bob connected');
    const bRec = record(bob, bConn);
    assert.ok(bRec.sndQueue !== null && !bRec.sndQueue.senderCanSecure && bRec.sndQueue.smpClientVersion === 2);
    await exchange(alice, inv.connId, bob, bConn);
  });

  it('the HELLO exchange survives restarts of both sides in the middle', async () => {
    const alice = party('alice', true, false);
    const bob = party('bob', true, false);
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'));
    // Bob stops as soon as alice's info has been processed (its HELLO is queued, KEY not yet run).
    let bobStopped = false;
    const bConn = await bob.agent.joinInvitation(inv.link, profile('bob'));
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = (): void => {
        const bytes = bob.store.get(StoreType.Connection, idBytes(bConn));
        const rec = bytes === null ? null : decodeConnection(bytes);
        if (rec !== null && rec.peerConnInfo !== null) {
          assert.equal(rec.helloSent, false, 'stopped before its HELLO went out');
          assert.ok(rec.peerSenderKey !== null, 'stopped before its KEY');
          bob.crash();
          bobStopped = true;
          resolve();
        } else if (Date.now() - started > 20000) reject(new Error('bob never got alice info'));
        else setImmediate(poll);
      };
      poll();
    });
    assert.ok(bobStopped);
    alice.crash();
    await bob.restart();
    await alice.restart();
    await alice.waitFor((es) => es.some((e) => e.type === 'connected'), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected'), 'bob connected');
    once(alice, 'connected', inv.connId);
    once(bob, 'connected', bConn);
    await exchange(alice, inv.connId, bob, bConn);
  });

  it('reads connection records of format 1 (before the legacy fields) with fast-handshake defaults', async () => {
    const alice = party('alice', false);
    const bob = party('bob', false);
    const { aConn } = await handshake(alice, bob);
    const v2 = alice.store.get(StoreType.Connection, idBytes(aConn)) as Uint8Array;
    const rec = decodeConnection(v2);
    assert.equal(v2[0], 2);
    // Format 1 is format 2 without the 1 + 4 trailing bytes (no peer key) and with format byte 1.
    const v1 = new Uint8Array(v2.subarray(0, v2.length - 5));
    v1[0] = 1;
    assert.deepEqual(decodeConnection(v1), rec);
    assert.deepEqual(encodeConnection(decodeConnection(v1)), v2);
    const bad = new Uint8Array(v2);
    bad[0] = 3;
    assert.throws(() => decodeConnection(bad), (e: unknown) => e instanceof EngineError && e.code === 'bad-record');
    assert.throws(() => decodeConnection(v2.subarray(0, v2.length - 1)), (e: unknown) => e instanceof EngineError && e.code === 'bad-record');
  });
});
