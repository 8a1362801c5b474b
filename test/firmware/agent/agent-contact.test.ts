/**
 * Contact addresses (agent.md §5.3) end to end through the local router: the address link, a
 * request carrying the requester's own invitation and x.contact, the address side's event and
 * stored request, accept (the address owner joins as the joiner) and reject, one address used by
 * two requesters, a restart with a request pending, and the typed refusals.
 */
import assert from 'node:assert/strict';
import { sealInvitation } from '../../../firmware/agent/agent-crypto';
import { parseConnectionLink } from '../../../firmware/agent/connection-link';
import { decodeConnection, decodeContactRequest, encodeContactRequest } from '../../../firmware/agent/connection-store';
import { EngineError } from '../../../firmware/agent/engine-errors';
import { encodeChatMessage } from '../../../firmware/chat/app-message';
import { SUPPORTED_CHAT_VRANGE } from '../../../firmware/chat/version';
import { StoreType } from '../../../firmware/store/record-types';
import { crypto, Party, profile, random, useLocalRouter } from './agent-helpers';

function idBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

type RequestEvent = { type: 'contact-request'; connId: string; requestId: string; profile: { displayName: string } };

describe('agent engine: contact addresses', function () {
  this.timeout(60000);
  const env = useLocalRouter();

  const party = (name: string, pq: boolean = true): Party => env.party(name, { pq: pq });


  function requests(p: Party): RequestEvent[] {
    return p.events.filter((e) => e.type === 'contact-request') as RequestEvent[];
  }

  async function waitRequests(p: Party, n: number): Promise<RequestEvent[]> {
    await p.waitFor((es) => es.filter((e) => e.type === 'contact-request').length >= n, n + ' contact requests');
    return requests(p);
  }

  async function bothConnected(a: Party, aConn: string, b: Party, bConn: string): Promise<void> {
    await a.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === aConn), a.name + ' connected');
    await b.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bConn), b.name + ' connected');
  }

  it('one address, two requesters: both requests arrive, both are accepted, and all four sides talk (PQ on)', async () => {
    const alice = party('alice');
    const bob = party('bob');
    const carol = party('carol');
    await alice.agent.start();
    await bob.agent.start();
    await carol.agent.start();
    const address = await alice.agent.createContactAddress();
    assert.ok(address.link.startsWith('simplex:/contact#/?v=2-7&smp='), address.link);
    const parsed = parseConnectionLink(address.link);
    assert.equal(parsed.mode, 'contact');
    assert.equal(parsed.e2e, null);
    assert.equal(parsed.queues[0].queueMode, 'contact');
    assert.ok(!address.link.includes('e2e='));
    assert.deepEqual(
      alice.agent.connections().map((c) => [c.role, c.status]),
      [['address', 'invited']],
    );

    const bobConn = await bob.agent.joinContactAddress(address.link, profile('bob'));
    // joinInvitation hands an address link to joinContactAddress too.
    const carolConn = await carol.agent.joinInvitation(address.link, profile('carol'));
    const reqs = await waitRequests(alice, 2);
    assert.deepEqual(reqs.map((e) => e.connId), [address.connId, address.connId]);
    assert.deepEqual(reqs.map((e) => e.profile.displayName).sort(), ['bob', 'carol']);
    assert.notEqual(reqs[0].requestId, reqs[1].requestId);
    assert.deepEqual(
      alice.agent.contactRequests().map((q) => [q.connId, q.profile.displayName]).sort(),
      [[address.connId, 'bob'], [address.connId, 'carol']],
    );
    // Each requester made its own invitation and waits on it as the initiator.
    for (const [p, id] of [[bob, bobConn], [carol, carolConn]] as const) {
      assert.deepEqual(p.agent.connections().map((c) => [c.connId, c.role, c.status]), [[id, 'initiator', 'invited']]);
    }

    const byName = (n: string) => reqs.find((e) => e.profile.displayName === n) as RequestEvent;
    const aliceBob = await alice.agent.acceptContact(byName('bob').requestId, profile('alice'));
    const aliceCarol = await alice.agent.acceptContact(byName('carol').requestId, profile('alice'));
    assert.deepEqual(alice.agent.contactRequests(), []);
    await bothConnected(alice, aliceBob, bob, bobConn);
    await bothConnected(alice, aliceCarol, carol, carolConn);
    const connected = (p: Party, id: string) => p.events.find((e) => e.type === 'connected' && e.connId === id) as { profile: { displayName: string } };
    assert.equal(connected(bob, bobConn).profile.displayName, 'alice');
    assert.equal(connected(carol, carolConn).profile.displayName, 'alice');
    assert.equal(connected(alice, aliceBob).profile.displayName, 'bob');
    assert.equal(connected(alice, aliceCarol).profile.displayName, 'carol');
    // Alice joined: the roles are swapped.
    for (const id of [aliceBob, aliceCarol]) {
      const rec = decodeConnection(alice.store.get(StoreType.Connection, idBytes(id)) as Uint8Array);
      assert.equal(rec.role, 'joiner');
      assert.equal(rec.pqSupport, true);
    }

    bob.agent.sendText(bobConn, 'hi from bob');
    carol.agent.sendText(carolConn, 'hi from carol');
    alice.agent.sendText(aliceBob, 'hi bob');
    alice.agent.sendText(aliceCarol, 'hi carol');
    await alice.waitFor((es) => es.filter((e) => e.type === 'message').length === 2, 'alice receives 2');
    await bob.waitFor((es) => es.some((e) => e.type === 'message'), 'bob receives');
    await carol.waitFor((es) => es.some((e) => e.type === 'message'), 'carol receives');
    assert.deepEqual(alice.texts(aliceBob), ['hi from bob']);
    assert.deepEqual(alice.texts(aliceCarol), ['hi from carol']);
    assert.deepEqual(bob.texts(bobConn), ['hi bob']);
    assert.deepEqual(carol.texts(carolConn), ['hi carol']);
    // The address is still there, for the next requester.
    assert.equal(alice.agent.connections().filter((c) => c.role === 'address').length, 1);
    for (const p of [alice, bob, carol]) assert.equal(p.count('rejected') + p.count('failed'), 0, p.name);
  });

  it('rejecting forgets the request; the requester is left waiting; a later request still works', async () => {
    const alice = party('alice', false);
    const bob = party('bob', false);
    await alice.agent.start();
    await bob.agent.start();
    const address = await alice.agent.createContactAddress();
    await bob.agent.joinContactAddress(address.link, profile('bob'));
    const [req] = await waitRequests(alice, 1);
    alice.agent.rejectContact(req.requestId);
    assert.deepEqual(alice.agent.contactRequests(), []);
    assert.throws(() => alice.agent.rejectContact(req.requestId), (e: unknown) => e instanceof EngineError && e.code === 'unknown-connection');
    await assert.rejects(alice.agent.acceptContact(req.requestId, profile('alice')), (e: unknown) => e instanceof EngineError && e.code === 'unknown-connection');
    const bob2 = await bob.agent.joinContactAddress(address.link, profile('bob'));
    const second = await waitRequests(alice, 2);
    const aConn = await alice.agent.acceptContact(second[1].requestId, profile('alice'));
    await bothConnected(alice, aConn, bob, bob2);
  });

  it('a pending request survives a restart of the address side and is accepted after it; deleting the address deletes its requests', async () => {
    const alice = party('alice', false);
    const bob = party('bob', false);
    const carol = party('carol', false);
    await alice.agent.start();
    await bob.agent.start();
    await carol.agent.start();
    const address = await alice.agent.createContactAddress();
    const bobConn = await bob.agent.joinContactAddress(address.link, profile('bob'));
    await waitRequests(alice, 1);
    alice.crash();
    await alice.restart();
    const pending = alice.agent.contactRequests();
    assert.equal(pending.length, 1);
    assert.equal(pending[0].profile.displayName, 'bob');
    assert.equal(pending[0].connId, address.connId);
    const aConn = await alice.agent.acceptContact(pending[0].requestId, profile('alice'));
    await bothConnected(alice, aConn, bob, bobConn);

    await carol.agent.joinContactAddress(address.link, profile('carol'));
    await waitRequests(alice, 2);
    assert.equal(alice.agent.contactRequests().length, 1);
    await alice.agent.deleteConnection(address.connId);
    assert.deepEqual(alice.agent.contactRequests(), []);
    assert.equal(alice.count('deleted', address.connId), 1);
    // The address queue is gone: a new request cannot be delivered, and the requester's
    // half-made connection is deleted again.
    const before = carol.agent.connections().length;
    await assert.rejects(carol.agent.joinContactAddress(address.link, profile('carol')), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'auth');
    assert.equal(carol.agent.connections().length, before);
  });

  it('a request delivered twice (same invitation, as after a lost ACK) is reported once', async () => {
    const alice = party('alice', false);
    await alice.agent.start();
    const address = await alice.agent.createContactAddress();
    const bob = party('bob', false);
    await bob.agent.start();
    const inv = await bob.agent.createInvitation(profile('bob'));
    const q = parseConnectionLink(address.link).queues[0];
    const contact = encodeChatMessage({ chatVRange: SUPPORTED_CHAT_VRANGE, msgId: null, event: { type: 'x.contact', profile: profile('bob'), contactReqId: null, welcomeMsgId: null, requestMsg: null } });
    const client = bob.pool.client({ server: q.server, basicAuth: null });
    for (let i = 0; i < 2; i++) {
      // Sealed afresh each time (new ephemeral key, new nonce): only the invitation is the same.
      const body = sealInvitation(crypto, random, { dhPublicKey: q.dhPublicKey, smpClientVersion: 4 }, 7, parseConnectionLink(inv.link), contact);
      await client.sendMessage({ sndId: q.senderId, senderKey: null, body: body, notification: true });
    }
    await alice.waitFor(() => alice.agent.stats().duplicates === 1, 'the second copy counted as a duplicate');
    assert.equal(requests(alice).length, 1);
    assert.equal(alice.agent.contactRequests().length, 1);
  });

  it('refuses requests it could not accept, and what an address cannot do, with typed errors', async () => {
    const alice = party('alice', false);
    await alice.agent.start();
    const address = await alice.agent.createContactAddress();
    const q = parseConnectionLink(address.link).queues[0];
    const client = alice.pool.client({ server: q.server, basicAuth: null });
    const inv = await alice.agent.createInvitation(profile('x'));
    // No profile in the request: refused and acknowledged, nothing stored.
    const noProfile = sealInvitation(crypto, random, { dhPublicKey: q.dhPublicKey, smpClientVersion: 4 }, 7, parseConnectionLink(inv.link), new TextEncoder().encode('{}'));
    await client.sendMessage({ sndId: q.senderId, senderKey: null, body: noProfile, notification: true });
    // Not even a box we can open.
    await client.sendMessage({ sndId: q.senderId, senderKey: null, body: random.bytes(200), notification: true });
    await alice.waitFor((es) => es.filter((e) => e.type === 'rejected').length === 2, 'two rejections');
    const codes = alice.events.filter((e) => e.type === 'rejected').map((e) => (e as { error: { code: string } }).error.code);
    assert.deepEqual(codes.sort(), ['bad-envelope', 'unsupported']);
    assert.deepEqual(alice.agent.contactRequests(), []);
    assert.equal(requests(alice).length, 0);

    assert.throws(() => alice.agent.sendText(address.connId, 'x'), (e: unknown) => e instanceof EngineError && e.code === 'not-ready');
    assert.equal(alice.agent.ratchetAdHash(address.connId), null);
    assert.throws(() => alice.agent.rejectContact('zz'), (e: unknown) => e instanceof EngineError && e.code === 'unknown-connection');
    await assert.rejects(alice.agent.acceptContact('00', profile('a')), (e: unknown) => e instanceof EngineError && e.code === 'unknown-connection');
    await assert.rejects(alice.agent.joinContactAddress(inv.link, profile('a')), (e: unknown) => e instanceof EngineError && e.code === 'bad-link');
    // The stored request form: round trip, and damage is a typed error.
    const rec = { addressId: random.bytes(16), agentVersion: 7, link: inv.link, connInfo: random.bytes(40) };
    const bytes = encodeContactRequest(rec);
    assert.deepEqual(decodeContactRequest(bytes), rec);
    for (const bad of [bytes.subarray(0, 5), new Uint8Array([2]), new Uint8Array(0)]) {
      assert.throws(() => decodeContactRequest(bad), (e: unknown) => e instanceof EngineError && e.code === 'bad-record');
    }
    assert.throws(() => encodeContactRequest({ ...rec, link: 'simplex:/é' }), (e: unknown) => e instanceof EngineError && e.code === 'bad-record');
  });
});
