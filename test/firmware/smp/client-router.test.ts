/**
 * The SMP client against the local router over real TLS on loopback: the device's own stack
 * (client.ts over transport.ts over hal/node/net) end to end, and the "test router" operation.
 */
import assert from 'node:assert/strict';
import { createNodeClock } from '../../../hal/node/clock';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { parseSmpServer, type SmpServer, type SmpServerAddress } from '../../../firmware/smp/address';
import { SmpClient, type AuthKeyPair, type QueueEvent } from '../../../firmware/smp/client';
import { SmpClientError } from '../../../firmware/smp/client-errors';
import { testRouter, type RouterTestStep } from '../../../firmware/smp/router-test';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import { SmpTransportError } from '../../../firmware/smp/transport-api';
import { crypto, random, removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';

const clock = createNodeClock();
const net = createNodeNet();

function connectTo(server: SmpServer) {
  return (handlers: Parameters<typeof connectSmpTransport>[3]) => connectSmpTransport({ net, crypto, clock }, server, { handshakeTimeoutMs: 5000 }, handlers);
}

function client(server: SmpServer, basicAuth: string | null): SmpClient {
  return new SmpClient({ server, basicAuth, connect: connectTo(server), crypto, clock, random, log: createMemoryLog(), config: { commandTimeoutMs: 10000 } });
}

function ed25519(): AuthKeyPair {
  const k = crypto.ed25519KeyPair();
  return { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey };
}

describe('SMP client against the local router (real TLS, loopback)', function () {
  this.timeout(60000);
  let r: TestRouter;
  before(async () => {
    r = await startTestRouter({ password: 'secret' });
  });
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  it('creates a queue, secures it, sends and receives 1,000 messages with ACK, and deletes it', async () => {
    const recipient = client(r.server, 'secret');
    const sender = client(r.server, null);
    const stored: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    const inbox: QueueEvent[] = [];
    try {
      const queue = await recipient.createQueue({
        rcvAuthKey: ed25519(),
        rcvDhKey: crypto.x25519KeyPair(),
        queueMode: 'messaging',
        link: null,
        ntfCreds: null,
        onEvent: (e) => {
          inbox.push(e);
          if (wake !== null) wake();
        },
      });
      assert.equal(recipient.version, 18);
      const senderKey = ed25519();
      await sender.secureQueueBySender(queue.sndId, senderKey);
      // A second SKEY with another key is refused: the queue is the first sender's.
      await assert.rejects(sender.secureQueueBySender(queue.sndId, ed25519()), /AUTH/);

      const N = 1000;
      const sending = (async () => {
        for (let i = 0; i < N; i++) {
          await sender.sendMessage({ sndId: queue.sndId, senderKey, body: new TextEncoder().encode('message ' + i), notification: false });
        }
      })();
      for (let i = 0; i < N; i++) {
        for (let spins = 0; inbox.length === 0 && spins < 1000; spins++) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          });
        }
        const e = inbox.shift();
        if (e === undefined || e.type !== 'message') assert.fail('expected message ' + i + ', got ' + (e === undefined ? 'nothing' : e.type));
        // "Store" first, then ACK: the next message comes only after it.
        stored.push(e.body);
        assert.equal(inbox.length, 0, 'the router must not push the next message before ACK');
        await recipient.ack(queue, e.msgId);
      }
      await sending;
      assert.equal(stored.length, N);
      for (let i = 0; i < N; i++) assert.equal(new TextDecoder().decode(stored[i]), 'message ' + i);
      assert.equal((await recipient.deleteQueue(queue)).alreadyDeleted, false);
      await assert.rejects(sender.sendMessage({ sndId: queue.sndId, senderKey, body: new Uint8Array(1), notification: false }), /AUTH/);
    } finally {
      recipient.close();
      sender.close();
    }
  });

  it('refuses a router whose identity does not match the pinned fingerprint', async () => {
    const wrong: SmpServer = { hosts: r.server.hosts, port: r.server.port, keyHash: new Uint8Array(32).fill(7) };
    const c = client(wrong, null);
    try {
      await assert.rejects(c.ping(), (e: unknown) => e instanceof SmpClientError && e.code === 'connect-failed' && e.cause instanceof SmpTransportError && e.cause.code === 'unknown-ca');
    } finally {
      c.close();
    }
  });

  describe('test router', () => {
    const deps = { crypto, clock, random, log: createMemoryLog() };

    it('runs every step against a working router and leaves nothing behind', async () => {
      const steps: RouterTestStep[] = [];
      const address: SmpServerAddress = { server: r.server, basicAuth: 'secret' };
      const res = await testRouter({ ...deps, connect: connectTo(r.server) }, address, { onStep: (s) => steps.push(s), stepTimeoutMs: 5000 });
      assert.ok(res.ok, res.ok ? '' : res.failedStep + ': ' + res.error.message);
      assert.deepEqual(steps, ['connect', 'create-queue', 'secure-queue', 'send-message', 'receive-message', 'delete-queue']);
      assert.equal(res.version, 18);
    });

    it('reports the failing step: connect for a wrong fingerprint, create-queue without the password', async () => {
      const wrong = parseSmpServer('smp://' + Buffer.alloc(32, 9).toString('base64url') + '=@127.0.0.1:' + r.server.port);
      const bad = await testRouter({ ...deps, connect: connectTo(wrong.server) }, wrong, { stepTimeoutMs: 5000 });
      assert.ok(!bad.ok && bad.failedStep === 'connect', bad.ok ? 'passed' : bad.failedStep + ': ' + bad.error.message);
      assert.match(bad.error.message, /fingerprint/);
      const noPassword = await testRouter({ ...deps, connect: connectTo(r.server) }, { server: r.server, basicAuth: null }, { stepTimeoutMs: 5000 });
      assert.ok(!noPassword.ok && noPassword.failedStep === 'create-queue', noPassword.ok ? 'passed' : noPassword.failedStep);
      assert.match(noPassword.error.message, /AUTH/);
    });

    it('reports connect when nothing listens, within the step limit', async () => {
      const gone = parseSmpServer('smp://' + Buffer.from(r.server.keyHash).toString('base64url') + '=@127.0.0.1:1');
      const res = await testRouter({ ...deps, connect: connectTo(gone.server) }, gone, { stepTimeoutMs: 3000 });
      assert.ok(!res.ok && res.failedStep === 'connect');
    });
  });
});
