import assert from 'node:assert/strict';
import { createMemoryLog } from '../../../hal/node/log';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';
import { SmpClientError } from '../../../firmware/smp/client-errors';
import { DEFAULT_IDLE_CLOSE_MS, routerKey, SmpClientPool } from '../../../firmware/smp/client-pool';
import type { SmpTransportHandlers } from '../../../firmware/smp/transport-api';
import { authKeyPair, flush, TestRouter } from './client-helpers';
import { ManualClock } from './manual-clock';

const A = 'smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@a.example.org';
const A_WITH_PASSWORD = 'smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=:pass1@a.example.org';
const A_OTHER_PORT = 'smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@a.example.org:443';
const B = 'smp://evk6yvqIG3s2_9-HUmt3AO0zvUFGmbLfbdP_z0oagys=@b.example.org';

interface PoolHarness {
  pool: SmpClientPool;
  clock: ManualClock;
  routers: { [key: string]: TestRouter };
  connects: string[];
}

function poolHarness(idleCloseMs?: number): PoolHarness {
  const clock = new ManualClock();
  const routers: { [key: string]: TestRouter } = {};
  const connects: string[] = [];
  const routerFor = (server: SmpServer): TestRouter => {
    const key = routerKey(server);
    if (routers[key] === undefined) routers[key] = new TestRouter({ basicAuth: key.includes('a.example.org:5223') ? 'pass1' : null });
    return routers[key];
  };
  const any = new TestRouter();
  const pool = new SmpClientPool({
    connect: (server: SmpServer, handlers: SmpTransportHandlers) => {
      connects.push(routerKey(server));
      return routerFor(server).connect(handlers);
    },
    crypto: any.crypto,
    clock,
    random: any.random,
    log: createMemoryLog(),
    clientConfig: { pingIntervalMs: 0 },
    idleCloseMs,
  });
  return { pool, clock, routers, connects };
}

describe('SmpClientPool (firmware/smp/client-pool.ts)', () => {
  it('keys routers by fingerprint, hosts and port (not by password)', () => {
    const a = parseSmpServer(A).server;
    assert.equal(routerKey(a), '2dc25431f561c03f32c6302249a0f3cc6177fa42c6e14874165fd9223ad1c232@a.example.org:5223');
    assert.equal(routerKey(parseSmpServer(A_WITH_PASSWORD).server), routerKey(a));
    assert.notEqual(routerKey(parseSmpServer(A_OTHER_PORT).server), routerKey(a));
    assert.notEqual(routerKey(parseSmpServer(B).server), routerKey(a));
    assert.equal(routerKey(parseSmpServer('smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@a.example.org,b.onion').server).endsWith('@a.example.org,b.onion:5223'), true);
  });

  it('one client per router, made lazily and connected on its first command', async () => {
    const h = poolHarness();
    const a1 = h.pool.client(parseSmpServer(A_WITH_PASSWORD));
    const a2 = h.pool.client(parseSmpServer(A));
    const b = h.pool.client(parseSmpServer(B));
    const a443 = h.pool.client(parseSmpServer(A_OTHER_PORT));
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
    assert.notEqual(a1, a443);
    assert.equal(h.pool.size(), 3);
    assert.equal(h.connects.length, 0, 'nothing connects before a command');
    assert.equal(h.pool.existing(parseSmpServer(B).server), b);

    await a1.ping();
    await b.ping();
    assert.deepEqual(h.connects, [routerKey(parseSmpServer(A).server), routerKey(parseSmpServer(B).server)]);
  });

  it('the client uses the password of the address it was made for', async () => {
    const crypto = new TestRouter().crypto;
    const request = { rcvAuthKey: authKeyPair(crypto), rcvDhKey: crypto.x25519KeyPair(), queueMode: 'messaging' as const, link: null, ntfCreds: null };
    const h = poolHarness();
    const q = await h.pool.client(parseSmpServer(A_WITH_PASSWORD)).createQueue(request);
    assert.equal(q.rcvId.length, 24);
    const router = h.routers[routerKey(parseSmpServer(A).server)];
    const sent = router.commands('NEW')[0].command;
    assert.ok(sent !== null && sent.type === 'NEW' && sent.basicAuth === 'pass1');

    const without = poolHarness();
    const e = await without.pool.client(parseSmpServer(A)).createQueue(request).catch((x: unknown) => x);
    assert.ok(e instanceof Error && (e as { code?: string }).code === 'auth');
  });

  it('closes a client idle for idleCloseMs, keeps one with subscriptions or pending commands', async () => {
    const h = poolHarness(60000);
    const addrA = parseSmpServer(A_WITH_PASSWORD);
    const a = h.pool.client(addrA);
    const b = h.pool.client(parseSmpServer(B));
    const crypto = new TestRouter().crypto;
    await a.ping();
    const q = await b.createQueue({
      rcvAuthKey: authKeyPair(crypto),
      rcvDhKey: crypto.x25519KeyPair(),
      queueMode: 'messaging',
      link: null,
      ntfCreds: null,
      onEvent: () => undefined,
    });
    h.clock.advance(30000);
    await a.ping(); // activity restarts a's idle time
    h.clock.advance(59999);
    assert.equal(a.state, 'connected');
    h.clock.advance(1);
    assert.equal(a.state, 'closed');
    assert.equal(h.pool.existing(addrA.server), null);
    assert.equal(b.state, 'connected', 'b holds a subscription');
    assert.equal(h.pool.size(), 1);

    // A pending command keeps b too, after its subscription is gone.
    b.unsubscribe(q.rcvId);
    const routerB = h.routers[routerKey(parseSmpServer(B).server)];
    routerB.intercept = () => 'hold';
    const pending = b.ping().catch((e: unknown) => e);
    await flush();
    h.clock.advance(29999);
    assert.equal(b.state, 'connected');
    routerB.intercept = null;
    routerB.current.deliver(routerB.release(routerB.held.slice()).answers);
    await flush();
    assert.equal(await pending, undefined);
    h.clock.advance(60000);
    assert.equal(b.state, 'closed');
    assert.equal(h.pool.size(), 0);

    // The next use makes a fresh client.
    const again = h.pool.client(addrA);
    assert.notEqual(again, a);
    await again.ping();
  });

  it('by default closes an idle client after five minutes', async () => {
    const h = poolHarness();
    const a = h.pool.client(parseSmpServer(A));
    await a.ping();
    h.clock.advance(DEFAULT_IDLE_CLOSE_MS - 1);
    assert.equal(a.state, 'connected');
    h.clock.advance(1);
    assert.equal(a.state, 'closed');
    assert.equal(DEFAULT_IDLE_CLOSE_MS, 300000);
  });

  it('close() closes every client; the closed pool refuses with a typed error', async () => {
    const h = poolHarness();
    const a = h.pool.client(parseSmpServer(A));
    await a.ping();
    h.pool.close();
    assert.equal(a.state, 'closed');
    assert.equal(h.pool.size(), 0);
    assert.throws(() => h.pool.client(parseSmpServer(A)), (e: unknown) => e instanceof SmpClientError && e.code === 'closed');
    assert.equal(h.clock.pendingTimers(), 0);
    h.pool.close();
  });
});
