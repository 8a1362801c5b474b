/**
 * Interoperability with the device's own SMP stack: firmware/smp/client.ts over
 * firmware/smp/transport.ts (written independently of the router) against a router over real
 * TLS, with block encryption. A byte a side gets wrong shows up here as a failed handshake,
 * ERR BLOCK/AUTH or an undecryptable message.
 */
import assert from 'node:assert/strict';
import { createNodeClock } from '../../../hal/node/clock';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { SmpClient as DeviceClient, type AuthKeyPair, type QueueEvent } from '../../../firmware/smp/client';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import { crypto, random, removeTempDirs, startTestRouter, text, type TestRouter } from './helpers';

function deviceClient(r: TestRouter, basicAuth: string | null): DeviceClient {
  const deps = { net: createNodeNet(), crypto: crypto, clock: createNodeClock() };
  return new DeviceClient({
    server: r.server,
    basicAuth: basicAuth,
    connect: (handlers) => connectSmpTransport(deps, r.server, { handshakeTimeoutMs: 5000 }, handlers),
    crypto: crypto,
    clock: deps.clock,
    random: random,
    log: createMemoryLog(),
    config: { commandTimeoutMs: 5000 },
  });
}

function ed25519Pair(): AuthKeyPair {
  const k = crypto.ed25519KeyPair();
  return { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey };
}

/** Collects a queue's events and hands them out in order. */
class Events {
  private readonly events: QueueEvent[] = [];
  private wake: (() => void) | null = null;
  readonly handler = (e: QueueEvent): void => {
    this.events.push(e);
    if (this.wake !== null) this.wake();
  };
  async next(): Promise<QueueEvent> {
    for (let i = 0; i < 500 && this.events.length === 0; i++) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    const e = this.events.shift();
    if (e === undefined) assert.fail('no queue event');
    return e;
  }
}

describe('router with the firmware SMP client', function () {
  let r: TestRouter;
  before(async () => {
    r = await startTestRouter({ password: 'pw' });
  });
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  it('creates, secures, sends, delivers, acknowledges and deletes', async () => {
    const recipient = deviceClient(r, 'pw');
    const sender = deviceClient(r, null);
    try {
      const events = new Events();
      const queue = await recipient.createQueue({
        rcvAuthKey: ed25519Pair(),
        rcvDhKey: crypto.x25519KeyPair(),
        queueMode: 'messaging',
        link: null,
        ntfCreds: null,
        onEvent: events.handler,
      });
      assert.equal(queue.queueMode, 'messaging');
      const senderKey = ed25519Pair();
      await sender.secureQueueBySender(queue.sndId, senderKey);
      await sender.sendMessage({ sndId: queue.sndId, senderKey: senderKey, body: text('from the device'), notification: false });
      await sender.sendMessage({ sndId: queue.sndId, senderKey: senderKey, body: text('second'), notification: true });

      const first = await events.next();
      if (first.type !== 'message') assert.fail('expected a message, got ' + first.type);
      assert.equal(Buffer.from(first.body).toString('utf8'), 'from the device');
      assert.equal((await recipient.ack(queue, first.msgId)).alreadyAcknowledged, false);
      const second = await events.next();
      if (second.type !== 'message') assert.fail('expected a message, got ' + second.type);
      assert.equal(Buffer.from(second.body).toString('utf8'), 'second');
      assert.equal(second.flags.notification, true);
      await recipient.ack(queue, second.msgId);

      assert.equal((await recipient.deleteQueue(queue)).alreadyDeleted, false);
      await assert.rejects(sender.sendMessage({ sndId: queue.sndId, senderKey: senderKey, body: text('x'), notification: false }), /AUTH/);
    } finally {
      recipient.close();
      sender.close();
    }
  });

  it('polls with GET and is refused NEW without the password', async () => {
    const client = deviceClient(r, 'pw');
    const noPassword = deviceClient(r, null);
    try {
      const queue = await client.createQueue({ rcvAuthKey: ed25519Pair(), rcvDhKey: crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null });
      assert.equal(await client.getMessage(queue), null);
      await client.sendMessage({ sndId: queue.sndId, senderKey: null, body: text('polled'), notification: false });
      const m = await client.getMessage(queue);
      if (m === null || m.type !== 'message') assert.fail('expected a message');
      assert.equal(Buffer.from(m.body).toString('utf8'), 'polled');
      await client.ack(queue, m.msgId);
      await assert.rejects(noPassword.createQueue({ rcvAuthKey: ed25519Pair(), rcvDhKey: crypto.x25519KeyPair(), queueMode: 'messaging', link: null, ntfCreds: null }), /AUTH/);
    } finally {
      client.close();
      noPassword.close();
    }
  });
});
