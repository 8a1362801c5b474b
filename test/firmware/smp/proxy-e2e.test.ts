/**
 * Private routing end to end with two real local routers over TLS on loopback (tools/router):
 * device 1 → A (forwarding) → B (destination) → device 2's queue, through the device's own stack
 * (proxy-client.ts over client.ts over transport.ts over hal/node/net).
 */
import assert from 'node:assert/strict';
import { createNodeClock } from '../../../hal/node/clock';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import type { SmpServer } from '../../../firmware/smp/address';
import { SmpClient, type AuthKeyPair, type QueueEvent } from '../../../firmware/smp/client';
import { ProxyClient, ProxyError } from '../../../firmware/smp/proxy-client';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import { crypto, random, removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';

const clock = createNodeClock();
const net = createNodeNet();

function client(server: SmpServer, basicAuth: string | null): SmpClient {
  return new SmpClient({
    server, basicAuth, crypto, clock, random, log: createMemoryLog(), config: { commandTimeoutMs: 10000 },
    connect: (handlers) => connectSmpTransport({ net, crypto, clock }, server, { handshakeTimeoutMs: 5000 }, handlers),
  });
}

function key(alg: 'ed25519' | 'x25519'): AuthKeyPair {
  const k = alg === 'ed25519' ? crypto.ed25519KeyPair() : crypto.x25519KeyPair();
  return { alg, privateKey: k.privateKey, publicKey: k.publicKey };
}

describe('private routing through two local routers (real TLS, loopback)', function () {
  this.timeout(60000);
  let a: TestRouter;
  let b: TestRouter;
  before(async () => {
    a = await startTestRouter({ password: 'fwd-pass' });
    b = await startTestRouter();
  });
  after(async () => {
    await a.stop();
    await b.stop();
    removeTempDirs();
  });

  it('device 1 secures and sends through A to device 2\'s queue on B; device 2 receives every message', async () => {
    const device2 = client(b.server, null);
    const viaA = client(a.server, 'fwd-pass');
    const proxy = new ProxyClient({ crypto, random, log: createMemoryLog() });
    const inbox: QueueEvent[] = [];
    let wake: (() => void) | null = null;
    try {
      const q = await device2.createQueue({
        rcvAuthKey: key('ed25519'), rcvDhKey: crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null,
        onEvent: (e) => {
          inbox.push(e);
          if (wake !== null) wake();
        },
      });
      const route = { proxy: viaA, proxyAuth: 'fwd-pass', relay: b.server };
      const session = await proxy.relaySession(route);
      assert.equal(session.version, 17);
      for (const alg of ['x25519', 'ed25519'] as const) {
        // X25519 first: its authenticator is made with B's key from PKEY, which B checks.
        const sender = key(alg);
        if (alg === 'x25519') await proxy.proxySecure(route, q.sndId, sender);
        else {
          const e = await proxy.proxySecure(route, q.sndId, sender).then(() => null, (x: unknown) => x);
          assert.ok(e instanceof ProxyError && e.code === 'destination-refused' && e.hop === 'destination', 'B refuses another key: ' + String(e));
          continue;
        }
        for (let i = 0; i < 5; i++) {
          await proxy.proxySend(route, { sndId: q.sndId, senderKey: sender, body: new TextEncoder().encode('private ' + i), notification: false });
        }
      }
      const got: string[] = [];
      while (got.length < 5) {
        if (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const ev = inbox.shift() as QueueEvent;
        assert.equal(ev.type, 'message');
        if (ev.type !== 'message') return;
        got.push(new TextDecoder().decode(ev.body));
        await device2.ack(q, ev.msgId);
      }
      assert.deepEqual(got, ['private 0', 'private 1', 'private 2', 'private 3', 'private 4']);
      // A wrong password for A is A's refusal.
      const other = client(a.server, null);
      const bad = await new ProxyClient({ crypto, random, log: createMemoryLog() })
        .relaySession({ proxy: other, proxyAuth: 'wrong', relay: b.server })
        .then(() => null, (x: unknown) => x);
      other.close();
      assert.ok(bad instanceof ProxyError && bad.hop === 'forwarding' && bad.code === 'forwarding-refused', String(bad));
    } finally {
      device2.close();
      viaA.close();
    }
  });
});
