/**
 * The send counter and previous-message hash chain, the receiver's integrity check, and delivery
 * receipts (agent.md §9), with the hashes recomputed independently by node:crypto.
 */
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { decodeAgentMessage, encodeAgentMessage, type AgentMessage } from '../../../firmware/agent/agent-message';
import {
  checkMsgIntegrity,
  checkReceipt,
  createReceipt,
  initialSendChain,
  prepareAgentMessage,
  prepareHeaderless,
  receiveChainFromConfirmation,
  recordReceived,
  type ReceiveChainState,
} from '../../../firmware/agent/integrity';
import { toHex } from '../../../firmware/encoding/bytes';
import { expectEncodeError, hex } from '../encoding/helpers';
import { BACKENDS, seeded } from './helpers';

function sha256(b: Uint8Array): string {
  return nodeCrypto.createHash('sha256').update(b).digest('hex');
}

const CONFIRMATION: AgentMessage = { type: 'conn-info', connInfo: new TextEncoder().encode('{"v":"1-9","event":"x.info","params":{}}') };

for (const backend of BACKENDS) {
  describe('integrity and receipts (agent.md §9) on the ' + backend.name + ' backend', () => {
    const c = backend.make(seeded(9));

    describe('sender: one counter, hash of the previous message', () => {
      it('numbers the confirmation 1, the first message 2 with the confirmation hash, and so on', () => {
        const s0 = initialSendChain();
        assert.deepEqual(s0, { lastSndMsgId: 0, lastMsgHash: new Uint8Array(0) });
        const conf = prepareHeaderless(c, s0, CONFIRMATION);
        assert.equal(conf.sndMsgId, 1);
        assert.equal(toHex(conf.bytes), toHex(encodeAgentMessage(CONFIRMATION)));
        assert.equal(toHex(conf.next.lastMsgHash), sha256(conf.bytes));
        assert.deepEqual(conf.record, { type: 'conn-info', msgHash: conf.next.lastMsgHash });

        const hello = prepareAgentMessage(c, conf.next, { type: 'HELLO' });
        assert.equal(hello.sndMsgId, 2);
        // 'M' ‖ BE64 2 ‖ bs(SHA-256 of the confirmation) ‖ 'H'
        assert.equal(toHex(hello.bytes), '4d' + '0000000000000002' + '20' + sha256(conf.bytes) + '48');
        assert.equal(toHex(hello.next.lastMsgHash), sha256(hello.bytes));

        const text = prepareAgentMessage(c, hello.next, { type: 'A_MSG', body: hex('7b7d') });
        assert.equal(toHex(text.bytes), '4d' + '0000000000000003' + '20' + sha256(hello.bytes) + '4d' + '7b7d');
        assert.equal(text.record.type, 'A_MSG');
        assert.equal(toHex(text.record.msgHash), sha256(text.bytes));
      });

      it('starts with an empty hash when nothing was sent before', () => {
        const first = prepareAgentMessage(c, initialSendChain(), { type: 'HELLO' });
        assert.equal(toHex(first.bytes), '4d' + '0000000000000001' + '00' + '48');
      });

      it("counts the ratchet re-sync info 'R' like any other message", () => {
        const r = prepareHeaderless(c, { lastSndMsgId: 6, lastMsgHash: hex('aa'.repeat(32)) }, { type: 'ratchet-info', info: new Uint8Array(0) });
        assert.equal(r.sndMsgId, 7);
        assert.equal(toHex(r.bytes), '52');
        assert.equal(toHex(r.next.lastMsgHash), sha256(hex('52')));
      });

      it('leaves the given state unchanged (records are values)', () => {
        const s = initialSendChain();
        prepareAgentMessage(c, s, { type: 'HELLO' });
        assert.equal(s.lastSndMsgId, 0);
      });

      it('refuses an AgentMessage M as headerless, and a counter that cannot grow exactly', () => {
        expectEncodeError(() => prepareHeaderless(c, initialSendChain(), { type: 'message', header: { sndMsgId: 1, prevMsgHash: new Uint8Array(0) }, message: { type: 'HELLO' } }), 'invalid-value');
        expectEncodeError(() => prepareAgentMessage(c, { lastSndMsgId: 9007199254740991, lastMsgHash: new Uint8Array(0) }, { type: 'HELLO' }), 'invalid-value');
        expectEncodeError(() => prepareAgentMessage(c, { lastSndMsgId: -1, lastMsgHash: new Uint8Array(0) }, { type: 'HELLO' }), 'invalid-value');
      });
    });

    describe('receiver: checkMsgIntegrity', () => {
      const h = hex('11'.repeat(32));
      const other = hex('22'.repeat(32));
      const s: ReceiveChainState = { prevExtSndId: 5, prevRcvMsgHash: h };

      it('is initialised from the confirmation: id 1 and its SHA-256', () => {
        const r = receiveChainFromConfirmation(c, encodeAgentMessage(CONFIRMATION));
        assert.equal(r.prevExtSndId, 1);
        assert.equal(toHex(r.prevRcvMsgHash), sha256(encodeAgentMessage(CONFIRMATION)));
      });

      it('gives each result of the table, in upstream order of precedence', () => {
        assert.deepEqual(checkMsgIntegrity(s, 6, h), { kind: 'ok' });
        assert.deepEqual(checkMsgIntegrity(s, 6, other), { kind: 'bad-hash' });
        assert.deepEqual(checkMsgIntegrity(s, 6, new Uint8Array(0)), { kind: 'bad-hash' });
        assert.deepEqual(checkMsgIntegrity(s, 4, h), { kind: 'bad-id', id: 4 });
        assert.deepEqual(checkMsgIntegrity(s, 5, h), { kind: 'duplicate' });
        assert.deepEqual(checkMsgIntegrity(s, 5, other), { kind: 'duplicate' });
        assert.deepEqual(checkMsgIntegrity(s, 9, h), { kind: 'skipped', from: 6, to: 8 });
        // The id decides before the hash: a skipped message with a wrong hash is "skipped".
        assert.deepEqual(checkMsgIntegrity(s, 7, other), { kind: 'skipped', from: 6, to: 6 });
        assert.deepEqual(checkMsgIntegrity(s, -3, h), { kind: 'bad-id', id: -3 });
      });

      it('records every received message, whatever its integrity (upstream updateRcvMsgHash)', () => {
        const bytes = hex('4d' + '0000000000000003' + '00' + '48');
        const r = recordReceived(c, 3, bytes);
        assert.deepEqual(r, { prevExtSndId: 3, prevRcvMsgHash: hex(sha256(bytes)) });
      });
    });

    describe('a chain from sender to receiver', () => {
      it('is ok message after message, reports a gap and recovers, and flags replays', () => {
        let send = prepareHeaderless(c, initialSendChain(), CONFIRMATION);
        let recv = receiveChainFromConfirmation(c, send.bytes);
        const sent: Uint8Array[] = [];
        for (let i = 0; i < 5; i++) {
          const p = prepareAgentMessage(c, send.next, { type: 'A_MSG', body: new Uint8Array([i]) });
          sent.push(p.bytes);
          send = p;
        }
        const receive = (bytes: Uint8Array): string => {
          const m = decodeAgentMessage(bytes);
          assert.equal(m.type, 'message');
          if (m.type !== 'message') return '';
          const r = checkMsgIntegrity(recv, m.header.sndMsgId, m.header.prevMsgHash);
          recv = recordReceived(c, m.header.sndMsgId, bytes);
          return r.kind === 'skipped' ? 'skipped ' + r.from + '-' + r.to : r.kind;
        };
        assert.equal(receive(sent[0]), 'ok'); // id 2
        assert.equal(receive(sent[1]), 'ok'); // id 3
        // id 4 is lost on the way.
        assert.equal(receive(sent[3]), 'skipped 4-4'); // id 5
        assert.equal(receive(sent[4]), 'ok'); // id 6 links to id 5, which was recorded
        assert.equal(receive(sent[4]), 'duplicate');
        assert.equal(receive(sent[0]), 'bad-id');
      });

      it('reports a message whose previous hash is not that of the confirmation we received', () => {
        const conf = prepareHeaderless(c, initialSendChain(), CONFIRMATION);
        const hello = decodeAgentMessage(prepareAgentMessage(c, conf.next, { type: 'HELLO' }).bytes);
        assert.ok(hello.type === 'message');
        if (hello.type !== 'message') return;
        const good = receiveChainFromConfirmation(c, conf.bytes);
        const other = receiveChainFromConfirmation(c, encodeAgentMessage({ type: 'conn-info', connInfo: new Uint8Array([1]) }));
        assert.deepEqual(checkMsgIntegrity(good, hello.header.sndMsgId, hello.header.prevMsgHash), { kind: 'ok' });
        assert.deepEqual(checkMsgIntegrity(other, hello.header.sndMsgId, hello.header.prevMsgHash), { kind: 'bad-hash' });
      });
    });

    describe('receipts (agent v >= 4)', () => {
      const send = prepareAgentMessage(c, { lastSndMsgId: 1, lastMsgHash: hex('33'.repeat(32)) }, { type: 'A_MSG', body: hex('7b7d') });
      const received = decodeAgentMessage(send.bytes);

      it('receipts an A_MSG with its sndMsgId, the SHA-256 of its bytes and empty info (00 00)', () => {
        const r = createReceipt(c, 4, received, send.bytes);
        assert.ok(r !== null);
        assert.deepEqual(r, { type: 'A_RCVD', receipts: [{ agentMsgId: 2, msgHash: hex(sha256(send.bytes)), rcptInfo: new Uint8Array(0) }] });
        const out = prepareAgentMessage(c, initialSendChain(), r);
        assert.equal(toHex(out.bytes).substring(2 + 16 + 2), '56' + '01' + '0000000000000002' + '20' + sha256(send.bytes) + '0000');
      });

      it('sends none below agent v4, and none for anything but A_MSG', () => {
        assert.equal(createReceipt(c, 3, received, send.bytes), null);
        const hello = prepareAgentMessage(c, initialSendChain(), { type: 'HELLO' });
        assert.equal(createReceipt(c, 7, decodeAgentMessage(hello.bytes), hello.bytes), null);
        assert.equal(createReceipt(c, 7, CONFIRMATION, encodeAgentMessage(CONFIRMATION)), null);
      });

      it('checks a receipt against the sent record: ok, bad hash, or not a message', () => {
        const r = createReceipt(c, 7, received, send.bytes);
        assert.ok(r !== null && r.type === 'A_RCVD');
        if (r === null || r.type !== 'A_RCVD') return;
        assert.equal(checkReceipt(send.record, r.receipts[0]), 'ok');
        const forged = { ...r.receipts[0], msgHash: hex('44'.repeat(32)) };
        assert.equal(checkReceipt(send.record, forged), 'bad-msg-hash');
        assert.equal(checkReceipt(send.record, { ...r.receipts[0], msgHash: r.receipts[0].msgHash.subarray(0, 31) }), 'bad-msg-hash');
        assert.equal(checkReceipt(send.record, { ...r.receipts[0], msgHash: new Uint8Array(0) }), 'bad-msg-hash');
        const hello = prepareAgentMessage(c, initialSendChain(), { type: 'HELLO' });
        assert.equal(checkReceipt(hello.record, { ...r.receipts[0], msgHash: hello.record.msgHash }), 'not-a-message');
      });
    });
  });
}
