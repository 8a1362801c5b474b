/**
 * The agent engine end to end: two devices, each with its own encrypted store on disk, connected
 * through the local SMP router (tools/router) over real TLS. The duplex handshake in both roles
 * with PQ on, messages both ways with receipts, the inbox, deletion, and the API's typed refusals.
 */
import assert from 'node:assert/strict';
import { parseConnectionLink } from '../../../firmware/agent/connection-link';
import { decodeConnection } from '../../../firmware/agent/connection-store';
import { EngineError } from '../../../firmware/agent/engine-errors';
import { LinkError } from '../../../firmware/agent/link-errors';
import { Ratchet } from '../../../firmware/agent/ratchet';
import { StoreType } from '../../../firmware/store/record-types';
import { connect, crypto, Party, profile, useLocalRouter } from './agent-helpers';

function idBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

describe('agent engine', function () {
  this.timeout(60000);
  const env = useLocalRouter();

  const party = (name: string): Party => env.party(name);


  it('connects through an invitation (PQ on): both sides see the other profile, messages and receipts flow both ways', async () => {
    const alice = party('alice');
    const bob = party('bob');
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'));
    assert.ok(inv.link.startsWith('simplex:/invitation#/?v=2-7&smp='));
    const parsed = parseConnectionLink(inv.link);
    assert.ok(parsed.e2e !== null && parsed.e2e.kem !== null && parsed.e2e.kem.kind === 'proposed', 'the link proposes an sntrup761 key');
    assert.equal(parsed.queues[0].queueMode, 'messaging');

    const bobConn = await bob.agent.joinInvitation(inv.link, profile('bob'));
    await alice.waitFor((es) => es.some((e) => e.type === 'connected'), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected'), 'bob connected');
    const aConfirmed = alice.events.find((e) => e.type === 'confirmed');
    const aConnected = alice.events.find((e) => e.type === 'connected');
    const bConnected = bob.events.find((e) => e.type === 'connected');
    assert.ok(aConfirmed !== undefined && aConfirmed.type === 'confirmed' && aConfirmed.profile.displayName === 'bob');
    assert.ok(aConnected !== undefined && aConnected.type === 'connected' && aConnected.profile.displayName === 'bob' && aConnected.connId === inv.connId);
    assert.ok(bConnected !== undefined && bConnected.type === 'connected' && bConnected.profile.displayName === 'alice' && bConnected.connId === bobConn);
    assert.deepEqual(
      alice.agent.connections().map((c) => [c.role, c.status, c.profile?.displayName]),
      [['initiator', 'connected', 'bob']],
    );
    assert.deepEqual(
      bob.agent.connections().map((c) => [c.role, c.status, c.profile?.displayName]),
      [['joiner', 'connected', 'alice']],
    );

    // Both ratchets are PQ: the stored state says so.
    for (const [p, id] of [[alice, inv.connId], [bob, bobConn]] as const) {
      const rec = decodeConnection(p.store.get(StoreType.Connection, idBytes(id)) as Uint8Array);
      assert.equal(rec.pqSupport, true);
      assert.equal(rec.agentVersion, 7);
      const ratchet = Ratchet.deserialize(crypto, p.store.get(StoreType.Ratchet, idBytes(id)) as Uint8Array);
      assert.equal(ratchet.pqSupport, true);
    }

    // Messages both ways, interleaved; each one is sent, received once and delivered.
    const aSent: number[] = [];
    const bSent: number[] = [];
    for (let i = 0; i < 5; i++) {
      aSent.push(alice.agent.sendText(inv.connId, 'a' + i));
      bSent.push(bob.agent.sendText(bobConn, 'b' + i));
    }
    assert.deepEqual(aSent, [2, 3, 4, 5, 6], 'message ids follow the confirmation (sndMsgId 1)');
    await bob.waitFor((es) => es.filter((e) => e.type === 'message').length === 5, 'bob receives 5');
    await alice.waitFor((es) => es.filter((e) => e.type === 'message').length === 5, 'alice receives 5');
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length === 5, 'alice receipts');
    await bob.waitFor((es) => es.filter((e) => e.type === 'delivered').length === 5, 'bob receipts');
    assert.deepEqual(bob.texts(bobConn), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(alice.texts(inv.connId), ['b0', 'b1', 'b2', 'b3', 'b4']);
    for (const e of alice.events.concat(bob.events)) {
      if (e.type === 'message') {
        assert.equal(e.integrity.kind, 'ok');
        assert.ok(e.sharedMsgId !== null && e.sharedMsgId.length === 12);
      }
    }
    const delivered = alice.events.filter((e) => e.type === 'delivered').map((e) => (e as { msgId: number }).msgId);
    assert.deepEqual(delivered.sort((x, y) => x - y), aSent);
    assert.equal(alice.count('sent'), 5);
    assert.equal(alice.count('rejected') + bob.count('rejected'), 0);

    // The inbox holds what was received, until the app releases it.
    const inbox = bob.agent.inbox(bobConn);
    assert.equal(inbox.length, 5);
    assert.deepEqual(inbox.map((m) => m.sndMsgId), [2, 3, 4, 5, 6]);
    bob.agent.releaseInbox(bobConn, inbox[3].position);
    assert.deepEqual(bob.agent.inbox(bobConn).map((m) => m.sndMsgId), [5, 6]);
    // Every outbox is empty once the router took everything.
    for (const [p, id] of [[alice, inv.connId], [bob, bobConn]] as const) {
      const info = p.store.logInfo(StoreType.Outbox, idBytes(id));
      assert.ok(info !== null && info.first === info.next, 'outbox drained');
    }
  });

  it('works without PQ too (pq: false on both sides)', async () => {
    const alice = new Party('alice', env.routers(), { pq: false });
    const bob = new Party('bob', env.routers(), { pq: false });
    env.track(alice);
    env.track(bob);
    await alice.agent.start();
    await bob.agent.start();
    const { aConn, bConn } = await connect(alice, bob);
    const rec = decodeConnection(alice.store.get(StoreType.Connection, idBytes(aConn)) as Uint8Array);
    assert.equal(rec.pqSupport, false);
    alice.agent.sendText(aConn, 'classic');
    bob.agent.sendText(bConn, 'reply');
    await bob.waitFor((es) => es.some((e) => e.type === 'message'), 'bob message');
    await alice.waitFor((es) => es.some((e) => e.type === 'delivered'), 'alice delivered');
    assert.deepEqual(bob.texts(bConn), ['classic']);
    await alice.waitFor((es) => es.some((e) => e.type === 'message'), 'alice message');
    assert.deepEqual(alice.texts(aConn), ['reply']);
  });

  it('refuses what it cannot do with typed errors', async () => {
    const alice = party('alice');
    assert.throws(() => alice.agent.sendText('00', 'x'), (e: unknown) => e instanceof EngineError && e.code === 'stopped');
    await alice.agent.start();
    assert.throws(() => alice.agent.sendText('00', 'x'), (e: unknown) => e instanceof EngineError && e.code === 'unknown-connection');
    await assert.rejects(alice.agent.joinInvitation('simplex:/invitation#/?v=2-7', profile('a')), (e: unknown) => e instanceof LinkError);
    await assert.rejects(alice.agent.joinInvitation('hello', profile('a')), (e: unknown) => e instanceof LinkError);
    const inv = await alice.agent.createInvitation(profile('alice'));
    // The initiator cannot send before the joiner's confirmation.
    assert.throws(() => alice.agent.sendText(inv.connId, 'early'), (e: unknown) => e instanceof EngineError && e.code === 'not-ready');
    await assert.rejects(alice.agent.start(), (e: unknown) => e instanceof EngineError && e.code === 'stopped');
  });

  it('deletes a connection with its queue on the router', async () => {
    const alice = party('alice');
    const bob = party('bob');
    await alice.agent.start();
    await bob.agent.start();
    const { aConn, bConn } = await connect(alice, bob);
    await alice.agent.deleteConnection(aConn);
    assert.equal(alice.count('deleted', aConn), 1);
    assert.deepEqual(alice.agent.connections(), []);
    assert.equal(alice.store.get(StoreType.Connection, idBytes(aConn)), null);
    assert.equal(alice.store.get(StoreType.Ratchet, idBytes(aConn)), null);
    assert.equal(alice.store.logInfo(StoreType.Outbox, idBytes(aConn)), null);
    // Bob's next message finds no queue: the router refuses it for good (AUTH) and bob hears so.
    const id = bob.agent.sendText(bConn, 'anyone there?');
    await bob.waitFor((es) => es.some((e) => e.type === 'failed'), 'failed');
    const failed = bob.events.find((e) => e.type === 'failed');
    assert.ok(failed !== undefined && failed.type === 'failed' && failed.msgId === id && failed.error.code === 'auth');
  });
});
