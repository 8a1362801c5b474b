/**
 * Malformed input (smp.md §5, §6; Protocol.hs tParse/tDecodeServer): every bad block,
 * batch, transmission and command gets the reference's ERR (BLOCK, SESSION, CMD UNKNOWN or
 * SYNTAX, SERVICE, LARGE_MSG), the connection keeps working, and so do the others. A client
 * that floods without reading is slowed down, not served out of order or dropped.
 */
import assert from 'node:assert/strict';
import { Encoder } from '../../../firmware/encoding/binary';
import { encodeCommand } from '../../../firmware/smp/commands';
import { decodeResponse, type BrokerMsg } from '../../../firmware/smp/responses';
import { encodeClientHello } from '../../../firmware/smp/handshake';
import { decodeBatch, decodeBlock, encodeBatch, encodeBlock, encodeTransmission, parseTransmission } from '../../../firmware/smp/transmission';
import {
  assertErr,
  assertOk,
  bytesEqual,
  ed25519Key,
  EMPTY,
  rawConnect,
  random,
  removeTempDirs,
  startTestRouter,
  TestClient,
  text,
  type TestRouter,
} from './helpers';
import type { ReceivedTransmission } from '../../../tools/router/client';

describe('router bad input', function () {
  let r: TestRouter;
  let c: TestClient;

  before(async () => {
    r = await startTestRouter();
  });
  afterEach(() => c.close());
  after(async () => {
    await r.stop();
    removeTempDirs();
  });

  /** The next ERR pushed with an empty corrId. */
  function nextBlockError(client: TestClient): Promise<ReceivedTransmission> {
    return client.waitPush((t) => t.msg.type === 'ERR' && t.corrId.length === 0);
  }

  async function stillServes(client: TestClient): Promise<void> {
    assert.equal((await client.cmd(EMPTY, { type: 'PING' }, null)).type, 'PONG');
  }

  it('a damaged encrypted block is ERR BLOCK, and the next block still opens (the chains stay in step)', async () => {
    c = await TestClient.connect(r.server);
    assert.ok(c.client.blockEncryption);
    const ping = c.client.encode({ authorization: EMPTY, corrId: random.bytes(24), entityId: EMPTY, command: encodeCommand(c.version, { type: 'PING' }) });
    c.client.sendBlockContent(encodeBatch([ping]), (block) => {
      block[100] ^= 1;
    });
    const err = await nextBlockError(c);
    assertErr(err.msg, { type: 'BLOCK' });
    assert.equal(err.entityId.length, 0);
    await stillServes(c);
  });

  it('an unencrypted block whose length prefix exceeds the block is ERR BLOCK', async () => {
    c = await TestClient.connect(r.server, { helloKey: false });
    const block = new Uint8Array(16384).fill(0x23);
    block[0] = 0xff;
    block[1] = 0xff;
    c.client.sendRaw(block);
    assertErr((await nextBlockError(c)).msg, { type: 'BLOCK' });
    await stillServes(c);
  });

  it('batches: a count of 0, a truncated item and bytes after the last item are each ERR BLOCK', async () => {
    c = await TestClient.connect(r.server);
    const ping = c.client.encode({ authorization: EMPTY, corrId: random.bytes(24), entityId: EMPTY, command: encodeCommand(c.version, { type: 'PING' }) });
    const good = encodeBatch([ping]);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    for (const content of [new Uint8Array([0]), good.subarray(0, good.length - 1), trailing, new Uint8Array(0)]) {
      c.client.sendBlockContent(content);
      assertErr((await nextBlockError(c)).msg, { type: 'BLOCK' });
    }
    assert.equal(c.pushes.length, 0, 'no reply to the PING inside a bad batch');
    await stillServes(c);
  });

  it('one bad transmission in a batch costs only its own reply', async () => {
    c = await TestClient.connect(r.server);
    const corrA = random.bytes(24);
    const corrB = random.bytes(24);
    const ping = (corrId: Uint8Array): Uint8Array => c.client.encode({ authorization: EMPTY, corrId: corrId, entityId: EMPTY, command: encodeCommand(c.version, { type: 'PING' }) });
    c.client.sendBlockContent(encodeBatch([ping(corrA), new Uint8Array([0x05, 0x01]), ping(corrB)]));
    const replies = [await c.waitPush(() => true), await c.waitPush(() => true), await c.waitPush(() => true)];
    assert.ok(bytesEqual(replies[0].corrId, corrA) && replies[0].msg.type === 'PONG');
    assertErr(replies[1].msg, { type: 'BLOCK' });
    assert.ok(bytesEqual(replies[2].corrId, corrB) && replies[2].msg.type === 'PONG');
  });

  it('transmissions: a bad authorization length is ERR BLOCK with the corrId; a missing serviceSig byte is ERR BLOCK', async () => {
    c = await TestClient.connect(r.server);
    const corrId = random.bytes(24);
    const badAuth = new Encoder().short(new Uint8Array(10)).u8(0x30).short(corrId).short(random.bytes(24)).raw(text('SUB')).finish();
    c.client.sendBlockContent(encodeBatch([badAuth]));
    const err = await c.waitPush((t) => bytesEqual(t.corrId, corrId));
    assertErr(err.msg, { type: 'BLOCK' });
    assert.equal(err.entityId.length, 0);

    // v18 requires '0' after a non-empty authorization (smp.md §14 pitfall 2).
    const noServiceSig = new Encoder().short(new Uint8Array(64)).short(random.bytes(24)).short(random.bytes(24)).raw(text('SUB')).finish();
    c.client.sendBlockContent(encodeBatch([noServiceSig]));
    assertErr((await nextBlockError(c)).msg, { type: 'BLOCK' });
    await stillServes(c);
  });

  it('a service signature from an ordinary client is ERR SERVICE', async () => {
    c = await TestClient.connect(r.server);
    const q = await c.newQueue();
    const corrId = random.bytes(24);
    const command = encodeCommand(c.version, { type: 'SUB' });
    const t = c.client.encode({ authorization: new Uint8Array(64), serviceSig: new Uint8Array(64), corrId: corrId, entityId: q.rcvId, command: command });
    c.client.send([t]);
    assertErr((await c.waitPush((p) => bytesEqual(p.corrId, corrId))).msg, { type: 'SERVICE' });
  });

  it('commands: unknown tags (and response tags) are CMD UNKNOWN, bad parameters CMD SYNTAX, with corrId and entity echoed', async () => {
    c = await TestClient.connect(r.server);
    const key = ed25519Key();
    const cases: Array<[string, 'UNKNOWN' | 'SYNTAX']> = [
      ['HELLO', 'UNKNOWN'],
      ['OK', 'UNKNOWN'],
      ['SUB=', 'UNKNOWN'],
      ['SUB ', 'SYNTAX'],
      ['ACK', 'SYNTAX'],
      ['SEND X hello', 'SYNTAX'],
      ['KEY ' + 'x'.repeat(44), 'SYNTAX'],
    ];
    for (const [command, expected] of cases) {
      const corrId = random.bytes(24);
      const entityId = random.bytes(24);
      const bytes = text(command);
      const auth = key.authorize(c.client.serverDhKey, corrId, new Encoder().short(c.client.sessionId).short(corrId).short(entityId).raw(bytes).finish());
      const res = await c.client.request({ authorization: auth, corrId: corrId, entityId: entityId, command: bytes });
      assertErr(res.msg, { type: 'CMD', cmdErr: expected });
      assert.ok(bytesEqual(res.entityId, entityId));
    }
    await stillServes(c);
  });

  it('v6: a transmission naming another session id is ERR SESSION', async () => {
    c = await TestClient.connect(r.server, { alpn: [] });
    assert.equal(c.version, 6);
    const corrId = random.bytes(24);
    const t = encodeTransmission({ version: 6, sessionId: random.bytes(32) }, { authorization: EMPTY, corrId: corrId, entityId: EMPTY, command: text('PING') });
    c.client.send([t]);
    assertErr((await c.waitPush((p) => bytesEqual(p.corrId, corrId))).msg, { type: 'SESSION' });
    await stillServes(c);
  });

  it('a client that leaves half a block and disconnects does not disturb the others', async () => {
    c = await TestClient.connect(r.server);
    const half = await TestClient.connect(r.server);
    half.client.sendRaw(new Uint8Array(8000));
    half.close();
    const q = await c.newQueue();
    assertOk(await c.send(q, text('fine')));
    await stillServes(c);
  });
});

describe('router flow control', function () {
  after(removeTempDirs);

  it('a client that floods without reading is paused, not dropped: every reply arrives, in order, and others are served meanwhile', async () => {
    const r = await startTestRouter({ maxPendingReplies: 4, maxWriteBuffer: 65536 });
    const raw = await rawConnect(r.server);
    const other = await TestClient.connect(r.server);
    try {
      await raw.readBlock();
      raw.socket.write(encodeBlock(encodeClientHello({ version: 18, keyHash: r.server.keyHash, authPubKey: null, proxyServer: false, clientService: null })));
      const sessionId = new Uint8Array(raw.socket.getFinished() as Buffer);
      const params = { version: 18, sessionId: sessionId };
      raw.socket.pause(); // stop reading: the router's replies back up
      const BLOCKS = 120;
      const PER_BLOCK = 255;
      let sent = 0;
      for (let b = 0; b < BLOCKS; b++) {
        const ts: Uint8Array[] = [];
        for (let i = 0; i < PER_BLOCK; i++) {
          const corrId = new Uint8Array(24);
          new DataView(corrId.buffer).setUint32(0, sent++);
          ts.push(encodeTransmission(params, { authorization: EMPTY, corrId: corrId, entityId: EMPTY, command: text('PING') }));
        }
        raw.socket.write(encodeBlock(encodeBatch(ts)));
      }
      // While the flooding client is not reading, another client is served.
      assert.equal((await other.cmd(EMPTY, { type: 'PING' }, null)).type, 'PONG');
      const q = await other.newQueue();
      assertOk(await other.send(q, text('meanwhile')));

      raw.socket.resume();
      let expected = 0;
      while (expected < sent) {
        const block = await raw.readBlock();
        assert.ok(block !== null, 'the router closed the flooding connection');
        for (const item of decodeBatch(decodeBlock(block))) {
          const t = parseTransmission(params, item);
          const msg: BrokerMsg = decodeResponse(18, t.command);
          assert.equal(msg.type, 'PONG');
          assert.equal(new DataView(t.corrId.buffer, t.corrId.byteOffset).getUint32(0), expected, 'replies in request order');
          expected++;
        }
      }
      assert.equal(expected, BLOCKS * PER_BLOCK);
    } finally {
      raw.socket.destroy();
      other.close();
      await r.stop();
    }
  });
});
