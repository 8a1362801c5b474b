/**
 * Private routing failures at the agent level (issue 6): two devices, two local routers, every
 * SKEY and SEND forwarded by the sender's own router (A for alice, on 127.0.0.2) to the other's
 * router (B for bob).
 *
 * - The e2e (ratchet) layer damaged: bob's agent refuses the message, the conversation goes on.
 * - A killed while a send through it is in flight (before it forwarded, and after B accepted the
 *   message): alice's sender gets a typed error naming the forwarding router; after A restarts
 *   on the same store and port the outbox delivers everything, once each, in order.
 */
import assert from 'node:assert/strict';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { RoutedSender, type MessageSender, type SendTarget } from '../../../firmware/agent/message-sender';
import { printSmpServer, type SmpServer, type SmpServerAddress } from '../../../firmware/smp/address';
import { SmpClientError } from '../../../firmware/smp/client-errors';
import { SmpClientPool } from '../../../firmware/smp/client-pool';
import { ProxyClient, ProxyError } from '../../../firmware/smp/proxy-client';
import { addRouter, type RouterList } from '../../../firmware/smp/router-list';
import { DEFAULT_ROUTING_POLICY } from '../../../firmware/smp/routing-policy';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import type { ObservedTransmission } from '../../../tools/router/context';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';
import { tapCrypto } from '../smp/crypto-tap';
import { clock, connect, crypto, Party, random, removeAgentDirs } from './agent-helpers';

/** The engine's sender with every failure kept: what the outbox was told. */
class WatchedSender implements MessageSender {
  readonly failures: unknown[] = [];
  private readonly inner: MessageSender;

  constructor(inner: MessageSender) {
    this.inner = inner;
  }

  secureQueue(target: SendTarget): Promise<void> {
    return this.inner.secureQueue(target).then(undefined, (e: unknown) => {
      this.failures.push(e);
      throw e;
    });
  }

  send(target: SendTarget, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.inner.send(target, envelope, notification).then(undefined, (e: unknown) => {
      this.failures.push(e);
      throw e;
    });
  }

  sendUnsigned(server: SmpServer, sndId: Uint8Array, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.inner.sendUnsigned(server, sndId, envelope, notification).then(undefined, (e: unknown) => {
      this.failures.push(e);
      throw e;
    });
  }
}

describe('agent over private routing: a damaged ratchet layer, and the forwarding router killed mid-send', function () {
  this.timeout(40000);
  let a: TestRouter;
  let b: TestRouter;
  let aPort = 0;
  let onA: ((t: ObservedTransmission) => void) | null = null;
  let onB: ((t: ObservedTransmission) => void) | null = null;
  const parties: Party[] = [];
  const pools: SmpClientPool[] = [];

  function startA(port: number, storeDir?: string): Promise<TestRouter> {
    return startTestRouter({ host: '127.0.0.2', port, storeDir, sync: false, onTransmission: (t) => (onA !== null ? onA(t) : undefined) });
  }

  before(async () => {
    a = await startA(0);
    aPort = a.server.port as number;
    b = await startTestRouter({ sync: false, onTransmission: (t) => (onB !== null ? onB(t) : undefined) });
  });
  after(async () => {
    while (parties.length > 0) (parties.pop() as Party).close();
    while (pools.length > 0) (pools.pop() as SmpClientPool).close();
    await a.stop();
    await b.stop();
    removeTempDirs();
    removeAgentDirs();
  });

  function routed(name: string, own: TestRouter, list: RouterList, agentCrypto = crypto): { party: Party; sender: WatchedSender } {
    const net = createNodeNet();
    const pool = new SmpClientPool({
      connect: (server, handlers) => connectSmpTransport({ net, crypto, clock }, server, { handshakeTimeoutMs: 5000 }, handlers),
      crypto, clock, random,
      log: createMemoryLog({ level: 'error' }),
      clientConfig: { commandTimeoutMs: 5000, reconnectBaseMs: 50, reconnectMaxMs: 300 },
    });
    pools.push(pool);
    const proxy = new ProxyClient({ crypto, random, log: createMemoryLog({ level: 'error' }) });
    const sender = new WatchedSender(new RoutedSender(pool, proxy, random, { policy: () => DEFAULT_ROUTING_POLICY, routers: () => list, ipProtected: () => false }));
    const party = new Party(name, [{ server: own.server, basicAuth: null } as SmpServerAddress], { sender, crypto: agentCrypto });
    parties.push(party);
    return { party, sender };
  }

  it('kills A mid-send twice, restarts it on the same store and port, and loses or duplicates nothing; a damaged ratchet message is refused', async () => {
    let list: RouterList = { entries: [] };
    list = addRouter(list, printSmpServer(a.server));
    list = addRouter(list, printSmpServer(b.server));
    const aliceTap = tapCrypto(crypto);
    const { party: alice, sender } = routed('alice', a, list, aliceTap.crypto);
    const { party: bob } = routed('bob', b, list);
    await alice.agent.start();
    await bob.agent.start();
    const { aConn, bConn } = await connect(alice, bob);

    // e2e: one message whose ratchet body is damaged after encryption. Bob refuses it (and
    // acknowledges it, so his queue moves on); the next messages arrive.
    aliceTap.armGcm(1000);
    alice.agent.sendText(aConn, 'damaged');
    assert.equal(aliceTap.gcmDamaged(), 1, 'the ratchet encrypted while sendText ran');
    alice.agent.sendText(aConn, 'm0');
    await bob.waitFor(() => bob.texts(bConn).length === 1, 'm0 at bob');
    assert.equal(bob.count('rejected', bConn), 1, 'bob refused the damaged message');
    assert.deepEqual(bob.texts(bConn), ['m0']);

    // Kill 1: A dies as alice's PFWD arrives, before anything reaches B.
    const killed: Promise<void>[] = [];
    onA = (t) => {
      if (t.command !== 'PFWD' || killed.length > 0) return;
      killed.push(a.stop(true));
    };
    const sendsAtB = (): number => seen.filter((c) => c === 'SEND').length;
    const seen: string[] = [];
    onB = (t) => {
      if (t.forwarded) seen.push(t.command);
    };
    alice.agent.sendText(aConn, 'm1');
    await waitUntil(() => killed.length === 1 && sender.failures.length > 0, 'the send through A to fail');
    await killed[0];
    onA = null;
    assert.equal(sendsAtB(), 0, 'nothing reached B');
    assertForwardingFailure(sender.failures[0], a);
    alice.agent.sendText(aConn, 'm2');
    a = await startA(aPort, a.dir);
    await bob.waitFor(() => bob.texts(bConn).length === 3, 'm1 and m2 at bob');
    assert.deepEqual(bob.texts(bConn), ['m0', 'm1', 'm2']);

    // Kill 2: A dies the moment B takes the SEND in: B stores the message but A never hands the
    // answer back, so alice sends the same envelope again; bob must show it once.
    const failuresBefore = sender.failures.length;
    const killed2: Promise<void>[] = [];
    onB = (t) => {
      if (t.forwarded) seen.push(t.command);
      if (t.forwarded && t.command === 'SEND' && killed2.length === 0) killed2.push(a.stop(true));
    };
    const sendsBefore = sendsAtB();
    alice.agent.sendText(aConn, 'm3');
    await waitUntil(() => killed2.length === 1 && sender.failures.length > failuresBefore, 'the second send through A to fail');
    await killed2[0];
    assertForwardingFailure(sender.failures[failuresBefore], a);
    a = await startA(aPort, a.dir);
    alice.agent.sendText(aConn, 'm4');
    await bob.waitFor(() => bob.texts(bConn).length === 5, 'm3 and m4 at bob');
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length >= 5, 'receipts at alice');
    assert.ok(sendsAtB() - sendsBefore >= 3, 'B received m3 twice (and m4)');
    // Give a stray duplicate the time to show up, then check again.
    await new Promise<void>((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(bob.texts(bConn), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(alice.count('failed', aConn), 0, 'no message given up');
    // And the conversation still goes both ways.
    bob.agent.sendText(bConn, 'reply');
    await alice.waitFor(() => alice.texts(aConn).length === 1, 'reply at alice');
    assert.deepEqual(alice.texts(aConn), ['reply']);
  });
});

function assertForwardingFailure(e: unknown, a: TestRouter): void {
  assert.ok(e instanceof ProxyError, 'a ProxyError, got ' + String(e));
  assert.equal(e.hop, 'forwarding');
  assert.equal(e.code, 'forwarding-failed');
  assert.equal(e.forwardingHost, '127.0.0.2');
  assert.equal(e.host, '127.0.0.2', 'names A');
  assert.ok(e.message.includes('the forwarding router 127.0.0.2'), e.message);
  assert.ok(e.clientError instanceof SmpClientError, 'the transport failure behind it');
  void a;
}

async function waitUntil(pred: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for ' + what);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
}
