/**
 * Private message routing end to end (issue 6): two devices, two local routers. Each device's
 * queues live on its own router; every SKEY and SEND to the other's queue goes through the
 * sender's router as the forwarding router (PRXY/PFWD -> RFWD), as SimpleGo's default policy
 * requires. A device never opens a connection to the other device's router, so that router
 * never sees the sender's connection or address.
 */
import assert from 'node:assert/strict';
import type { Net } from '../../../hal/net';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { RoutedSender } from '../../../firmware/agent/message-sender';
import { printSmpServer, type SmpServer, type SmpServerAddress } from '../../../firmware/smp/address';
import { SmpClientPool } from '../../../firmware/smp/client-pool';
import { ProxyClient } from '../../../firmware/smp/proxy-client';
import { addRouter, type RouterList } from '../../../firmware/smp/router-list';
import { DEFAULT_ROUTING_POLICY } from '../../../firmware/smp/routing-policy';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';
import { clock, connect, crypto, Party, profile, random, removeAgentDirs } from './agent-helpers';

/** A Net that records the port of every connection it opens. */
function recordingNet(ports: number[]): Net {
  const inner = createNodeNet();
  return {
    connectTls(options, handlers) {
      ports.push(options.port);
      return inner.connectTls(options, handlers);
    },
  };
}

function senderPool(net: Net): SmpClientPool {
  return new SmpClientPool({
    connect: (server, handlers) => connectSmpTransport({ net, crypto, clock }, server, { handshakeTimeoutMs: 10000 }, handlers),
    crypto,
    clock,
    random,
    log: createMemoryLog({ level: 'error' }),
    clientConfig: { commandTimeoutMs: 10000, reconnectBaseMs: 100, reconnectMaxMs: 1000 },
  });
}

describe('agent over private message routing (two local routers)', function () {
  this.timeout(60000);
  let a: TestRouter;
  let b: TestRouter;
  const parties: Party[] = [];
  const pools: SmpClientPool[] = [];

  before(async () => {
    a = await startTestRouter({ sync: false });
    b = await startTestRouter({ sync: false });
  });
  after(async () => {
    while (parties.length > 0) (parties.pop() as Party).close();
    while (pools.length > 0) (pools.pop() as SmpClientPool).close();
    await a.stop();
    await b.stop();
    removeTempDirs();
    removeAgentDirs();
  });

  function routed(name: string, own: SmpServer, list: RouterList, ports: number[]): Party {
    const pool = senderPool(recordingNet(ports));
    pools.push(pool);
    const proxy = new ProxyClient({ crypto, random, log: createMemoryLog({ level: 'error' }) });
    const sender = new RoutedSender(pool, proxy, random, { policy: () => DEFAULT_ROUTING_POLICY, routers: () => list, ipProtected: () => false });
    const p = new Party(name, [{ server: own, basicAuth: null } as SmpServerAddress], { sender });
    parties.push(p);
    return p;
  }

  it('connects and converses with every message forwarded, neither device touching the other router', async () => {
    let list: RouterList = { entries: [] };
    list = addRouter(list, printSmpServer(a.server));
    list = addRouter(list, printSmpServer(b.server));
    const alicePorts: number[] = [];
    const bobPorts: number[] = [];
    const alice = routed('alice', a.server, list, alicePorts);
    const bob = routed('bob', b.server, list, bobPorts);
    await alice.agent.start();
    await bob.agent.start();
    const { aConn, bConn } = await connect(alice, bob);
    for (let i = 0; i < 5; i++) {
      alice.agent.sendText(aConn, 'to bob ' + i);
      bob.agent.sendText(bConn, 'to alice ' + i);
    }
    await bob.waitFor(() => bob.texts(bConn).length === 5, 'five messages at bob');
    await alice.waitFor(() => alice.texts(aConn).length === 5, 'five messages at alice');
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length === 5, 'receipts at alice');
    assert.deepEqual(bob.texts(bConn), ['to bob 0', 'to bob 1', 'to bob 2', 'to bob 3', 'to bob 4']);
    assert.deepEqual(alice.texts(aConn), ['to alice 0', 'to alice 1', 'to alice 2', 'to alice 3', 'to alice 4']);

    // Alice's sends went only to her own router (as the forwarding router), Bob's only to his.
    assert.ok(alicePorts.length > 0 && alicePorts.every((p) => p === a.server.port), 'alice connected to ' + alicePorts.join(','));
    assert.ok(bobPorts.length > 0 && bobPorts.every((p) => p === b.server.port), 'bob connected to ' + bobPorts.join(','));
    // And their receiving pools never reached the other router either.
    assert.equal(alice.pool.existing(b.server), null);
    assert.equal(bob.pool.existing(a.server), null);
  });

  it('routes the unsigned sends too: a contact request to an address on the other router', async () => {
    let list: RouterList = { entries: [] };
    list = addRouter(list, printSmpServer(a.server));
    list = addRouter(list, printSmpServer(b.server));
    const alicePorts: number[] = [];
    const bobPorts: number[] = [];
    const alice = routed('alice', a.server, list, alicePorts);
    const bob = routed('bob', b.server, list, bobPorts);
    await alice.agent.start();
    await bob.agent.start();
    const address = await alice.agent.createContactAddress();
    const bobConn = await bob.agent.joinContactAddress(address.link, profile('bob'));
    await alice.waitFor((es) => es.some((e) => e.type === 'contact-request'), 'the contact request');
    const req = alice.events.find((e) => e.type === 'contact-request');
    if (req === undefined || req.type !== 'contact-request') assert.fail('no request');
    const aliceConn = await alice.agent.acceptContact(req.requestId, profile('alice'));
    await alice.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === aliceConn), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bobConn), 'bob connected');
    // The unsigned request (and everything after it) left each device only towards its own router.
    assert.ok(bobPorts.length > 0 && bobPorts.every((p) => p === b.server.port), 'bob connected to ' + bobPorts.join(','));
    assert.ok(alicePorts.every((p) => p === a.server.port), 'alice connected to ' + alicePorts.join(','));
    assert.equal(bob.pool.existing(a.server), null);
  });

  it('refuses to send directly when no other router can forward, keeping the message queued', async () => {
    const list: RouterList = { entries: [] }; // no enabled router at all
    const proxy = new ProxyClient({ crypto, random, log: createMemoryLog({ level: 'error' }) });
    const pool = senderPool(createNodeNet());
    pools.push(pool);
    const sender = new RoutedSender(pool, proxy, random, { policy: () => DEFAULT_ROUTING_POLICY, routers: () => list, ipProtected: () => false });
    const k = crypto.ed25519KeyPair();
    await assert.rejects(
      sender.send({ server: b.server, sndId: new Uint8Array(24), senderKey: { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey } }, new Uint8Array(10), false),
      (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'no-router',
    );
    assert.equal(pool.size(), 0, 'nothing was contacted');
  });
});
