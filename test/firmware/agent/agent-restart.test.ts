/**
 * Durability of the agent engine through the local router over real TLS: a device stopped
 * between the commit of a received message and its ACK, a device stopped with a message in its
 * outbox, replayed and tampered envelopes, and a bounded 100-message conversation with restarts.
 * Nothing may be lost, shown twice, or leave a queue stuck.
 */
import assert from 'node:assert/strict';
import { decodeConnection, decodeOutboxEntry } from '../../../firmware/agent/connection-store';
import { createNodeStorage } from '../../../hal/node/storage';
import { StoreType } from '../../../firmware/store/record-types';
import { Store } from '../../../firmware/store/store';
import { clock, connect, crypto, newPool, Party, random, useLocalRouter } from './agent-helpers';

function idBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Reads a crashed party's card with a fresh Store (as a forensic look at the card). */
function peek<T>(p: Party, fn: (s: Store) => T): T {
  const s = Store.open({ crypto: crypto, random: random, clock: clock, card: createNodeStorage(p.dir) });
  s.unlock('2468');
  try {
    return fn(s);
  } finally {
    s.lock();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('agent engine durability', function () {
  this.timeout(60000);
  const env = useLocalRouter();


  async function pair(): Promise<{ alice: Party; bob: Party; aConn: string; bConn: string }> {
    const alice = new Party('alice', env.routers());
    const bob = new Party('bob', env.routers());
    env.track(alice);
    env.track(bob);
    await alice.agent.start();
    await bob.agent.start();
    const ids = await connect(alice, bob);
    return { alice: alice, bob: bob, aConn: ids.aConn, bConn: ids.bConn };
  }

  it('a crash between commit and ACK: the message is re-delivered, refused as a duplicate, shown once, and its receipt still goes out', async () => {
    const { alice, bob, aConn, bConn } = await pair();
    bob.onEvent = (e) => {
      if (e.type === 'message' && e.text === 'x1') bob.crash();
    };
    alice.agent.sendText(aConn, 'x1');
    await bob.waitFor((es) => es.some((e) => e.type === 'message'), 'x1');
    bob.onEvent = null;
    // On the card: the message is in the inbox, and its receipt waits in the outbox.
    peek(bob, (s) => {
      const inbox = s.logInfo(StoreType.Inbox, idBytes(bConn));
      assert.ok(inbox !== null && inbox.next - inbox.first === 1);
      const outbox = s.logInfo(StoreType.Outbox, idBytes(bConn));
      assert.ok(outbox !== null && outbox.next - outbox.first === 1, 'the receipt is committed with the message');
      assert.equal(decodeOutboxEntry(s.read(StoreType.Outbox, idBytes(bConn), outbox.first, outbox.next)[0]).kind, 'control');
    });
    await bob.restart();
    // The router delivers x1 again (it was never ACKed); the ratchet already consumed it.
    await bob.waitFor(() => bob.agent.stats().duplicates === 1, 'duplicate refused');
    await alice.waitFor((es) => es.some((e) => e.type === 'delivered'), 'x1 delivered after the restart');
    alice.agent.sendText(aConn, 'x2');
    await bob.waitFor((es) => es.filter((e) => e.type === 'message').length === 2, 'x2');
    assert.deepEqual(bob.texts(bConn), ['x1', 'x2']);
    const rejected = bob.events.filter((e) => e.type === 'rejected');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].type === 'rejected' && rejected[0].error.code, 'duplicate');
  });

  it('a crash with a message in the outbox: it is sent after the restart, byte for byte, exactly once; a replay and a tampered copy are refused and the queue keeps working', async () => {
    const { alice, bob, aConn, bConn } = await pair();
    const id = alice.agent.sendText(aConn, 'y1');
    alice.crash();
    const pending = peek(alice, (s) => {
      const info = s.logInfo(StoreType.Outbox, idBytes(aConn));
      assert.ok(info !== null && info.next - info.first === 1, 'y1 waits in the outbox');
      const entry = decodeOutboxEntry(s.read(StoreType.Outbox, idBytes(aConn), info.first, info.next)[0]);
      const rec = decodeConnection(s.get(StoreType.Connection, idBytes(aConn)) as Uint8Array);
      return { entry: entry, sndQueue: rec.sndQueue };
    });
    assert.equal(pending.entry.kind, 'message');
    assert.equal(pending.entry.sndMsgId, id);
    await alice.restart();
    await bob.waitFor((es) => es.some((e) => e.type === 'message'), 'y1');
    await alice.waitFor((es) => es.some((e) => e.type === 'sent' && e.msgId === id), 'y1 sent');
    await alice.waitFor((es) => es.some((e) => e.type === 'delivered' && e.msgId === id), 'y1 delivered');
    assert.deepEqual(bob.texts(bConn), ['y1']);

    // Replay: the very bytes the outbox sent, sent again with alice's key.
    const sq = pending.sndQueue;
    assert.ok(sq !== null);
    const raw = newPool();
    try {
      const client = raw.client({ server: sq.server, basicAuth: null });
      const senderKey = { alg: 'ed25519' as const, privateKey: sq.senderKey.privateKey, publicKey: sq.senderKey.publicKey };
      const before = bob.store.get(StoreType.Connection, idBytes(bConn));
      await client.sendMessage({ sndId: sq.sndId, senderKey: senderKey, body: pending.entry.envelope, notification: false });
      await bob.waitFor((es) => es.filter((e) => e.type === 'rejected').length === 1, 'replay refused');
      const replay = bob.events.find((e) => e.type === 'rejected');
      assert.ok(replay !== undefined && replay.type === 'rejected' && replay.error.code === 'duplicate');

      // Tampered: one bit flipped inside the per-queue box.
      const tampered = new Uint8Array(pending.entry.envelope);
      tampered[200] ^= 0x01;
      await client.sendMessage({ sndId: sq.sndId, senderKey: senderKey, body: tampered, notification: false });
      await bob.waitFor((es) => es.filter((e) => e.type === 'rejected').length === 2, 'tampered refused');
      const bad = bob.events.filter((e) => e.type === 'rejected')[1];
      assert.ok(bad.type === 'rejected' && bad.error.code === 'box-failed');
      assert.deepEqual(bob.store.get(StoreType.Connection, idBytes(bConn)), before, 'nothing about the connection changed');
    } finally {
      raw.close();
    }
    // The queue is not stuck: the next message arrives, in order, with integrity ok.
    alice.agent.sendText(aConn, 'y2');
    await bob.waitFor((es) => es.filter((e) => e.type === 'message').length === 2, 'y2');
    assert.deepEqual(bob.texts(bConn), ['y1', 'y2']);
    const last = bob.events.filter((e) => e.type === 'message')[1];
    assert.ok(last.type === 'message' && last.integrity.kind === 'ok');
  });

  it('100 messages both ways with crashes of both sides mid-way: none lost, none duplicated, all delivered', async () => {
    const { alice, bob, aConn, bConn } = await pair();
    const expectBob: string[] = [];
    const expectAlice: string[] = [];
    let crashedBob = false;
    let restarting: Promise<void> | null = null;
    bob.onEvent = (e) => {
      if (!crashedBob && e.type === 'message' && e.text === 'a-30') {
        crashedBob = true;
        bob.crash();
        restarting = sleep(20).then(() => bob.restart());
      }
    };
    for (let round = 0; round < 5; round++) {
      if (restarting !== null) await restarting;
      for (let i = 0; i < 10; i++) {
        const n = round * 10 + i;
        alice.agent.sendText(aConn, 'a-' + n);
        expectBob.push('a-' + n);
        bob.agent.sendText(bConn, 'b-' + n);
        expectAlice.push('b-' + n);
      }
      if (round === 2) {
        // Alice goes down with all ten of this round still in her outbox.
        alice.crash();
        await alice.restart();
      }
      await bob.waitFor((es) => es.filter((e) => e.type === 'message').length >= expectBob.length, 'bob round ' + round, 30000);
    }
    if (restarting !== null) await restarting;
    await alice.waitFor((es) => es.filter((e) => e.type === 'message').length >= expectAlice.length, 'alice all', 30000);
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length >= expectBob.length, 'alice receipts', 30000);
    await bob.waitFor((es) => es.filter((e) => e.type === 'delivered').length >= expectAlice.length, 'bob receipts', 30000);
    assert.ok(crashedBob, 'bob crashed between commit and ACK');
    assert.deepEqual(bob.texts(bConn), expectBob);
    assert.deepEqual(alice.texts(aConn), expectAlice);
    for (const e of alice.events.concat(bob.events)) {
      if (e.type === 'message') assert.equal(e.integrity.kind, 'ok', 'integrity of ' + e.text);
    }
  });
});
