/**
 * AgentMessage, APrivHeader, every AMessage, SMPQueueInfo with its version gates, and SndQAddr
 * (agent.md §6.4): fixed byte strings written out field by field from the spec, both directions,
 * and truncated, trailing, garbage and mutated input producing only DecodeError.
 */
import assert from 'node:assert/strict';
import {
  agentMessageTypeOf,
  decodeAgentMessage,
  encodeAgentMessage,
  readSmpQueueInfo,
  writeSmpQueueInfo,
  type AgentMessage,
  type AMessage,
  type SmpQueueInfo,
  type SndQAddr,
} from '../../../firmware/agent/agent-message';
import type { SmpQueueUri } from '../../../firmware/agent/queue-uri';
import { decodePublicKey } from '../../../firmware/crypto/keys';
import { decode, Encoder } from '../../../firmware/encoding/binary';
import { toHex } from '../../../firmware/encoding/bytes';
import type { SmpServer } from '../../../firmware/smp/address';
import { mutate } from '../chat/mutate';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';

// ---- Fixtures, each with its wire bytes written out by hand ------------------------------------

const KEY_HASH = 'ab'.repeat(32);
const SERVER: SmpServer = { hosts: [{ kind: 'domain', host: 'smp.example.com' }], port: 5223, keyHash: hex(KEY_HASH) };
/** nonempty(short "smp.example.com") ‖ short "5223" ‖ short(keyHash) */
const SERVER_HEX = '01' + '0f' + '736d702e6578616d706c652e636f6d' + '04' + '35323233' + '20' + KEY_HASH;
const SERVER_NO_PORT: SmpServer = { hosts: [{ kind: 'domain', host: 'smp.example.com' }], port: null, keyHash: hex(KEY_HASH) };
const SERVER_NO_PORT_HEX = '01' + '0f' + '736d702e6578616d706c652e636f6d' + '00' + '20' + KEY_HASH;

const SENDER_ID = '5a'.repeat(24);
const ADDR: SndQAddr = { server: SERVER, senderId: hex(SENDER_ID) };
const ADDR_HEX = SERVER_HEX + '18' + SENDER_ID;

const DH_SPKI = vectorCase('encoding.json', 'sample_x25519_spki').der as string;
const DH_RAW = DH_SPKI.substring(24);
const ED_SPKI = vectorCase('encoding.json', 'sample_ed25519_spki').der as string;

const HASH = 'c3'.repeat(32);

function info(v: number, mode: SmpQueueInfo['queueMode']): SmpQueueInfo {
  return { clientVersion: v, server: SERVER, senderId: hex(SENDER_ID), dhPublicKey: hex(DH_RAW), queueMode: mode };
}
/** BE16 v ‖ ProtocolServer ‖ bs(senderId) ‖ bs(X25519 SPKI) */
function infoHex(v: number): string {
  return v.toString(16).padStart(4, '0') + SERVER_HEX + '18' + SENDER_ID + '2c' + DH_SPKI;
}

/** The queue URI inside QADD (binary SMPQueueUri, queue-uri.ts): range 1-4, so no mode suffix. */
const QUEUE_URI: SmpQueueUri = {
  smpClientVRange: { min: 1, max: 4 },
  server: SERVER_NO_PORT,
  senderId: hex(SENDER_ID),
  dhPublicKey: hex(DH_RAW),
  queueMode: 'messaging',
};
/** range 0001 0004 ‖ server ‖ senderId ‖ key ‖ Bool 'T' (max >= 3 and sender-securable) */
const QUEUE_URI_HEX = '00010004' + SERVER_NO_PORT_HEX + '18' + SENDER_ID + '2c' + DH_SPKI + '54';

function msg(id: number, prev: string, m: AMessage): AgentMessage {
  return { type: 'message', header: { sndMsgId: id, prevMsgHash: hex(prev) }, message: m };
}
/** 'M' ‖ BE64 id ‖ bs(prevMsgHash) */
function msgHex(id: number, prev: string): string {
  return '4d' + id.toString(16).padStart(16, '0') + (prev.length / 2).toString(16).padStart(2, '0') + prev;
}

interface Fixture {
  name: string;
  value: AgentMessage;
  hex: string;
}

const FIXTURES: Fixture[] = [
  { name: "'I' AgentConnInfo", value: { type: 'conn-info', connInfo: hex('7b7d') }, hex: '49' + '7b7d' },
  { name: "'I' with empty connInfo", value: { type: 'conn-info', connInfo: new Uint8Array(0) }, hex: '49' },
  {
    name: "'D' AgentConnInfoReply, one v4 messaging queue",
    value: { type: 'conn-info-reply', queues: [info(4, 'messaging')], connInfo: hex('7b7d') },
    hex: '44' + '01' + infoHex(4) + '4d' + '7b7d',
  },
  {
    name: "'D' with two queues (v4 contact, v3 sender-securable)",
    value: { type: 'conn-info-reply', queues: [info(4, 'contact'), info(3, 'messaging')], connInfo: hex('5b5d') },
    hex: '44' + '02' + infoHex(4) + '43' + infoHex(3) + '54' + '5b5d',
  },
  { name: "'R' AgentRatchetInfo as the agent sends it (empty)", value: { type: 'ratchet-info', info: new Uint8Array(0) }, hex: '52' },
  { name: 'HELLO, first message after the confirmation', value: msg(2, HASH, { type: 'HELLO' }), hex: msgHex(2, HASH) + '48' },
  { name: 'HELLO with an empty prevMsgHash', value: msg(1, '', { type: 'HELLO' }), hex: msgHex(1, '') + '48' },
  { name: 'A_MSG', value: msg(3, HASH, { type: 'A_MSG', body: hex('68656c6c6f') }), hex: msgHex(3, HASH) + '4d' + '68656c6c6f' },
  { name: 'A_MSG with an empty body', value: msg(3, HASH, { type: 'A_MSG', body: new Uint8Array(0) }), hex: msgHex(3, HASH) + '4d' },
  {
    name: 'A_RCVD, the chat app receipt (empty rcptInfo)',
    value: msg(4, HASH, { type: 'A_RCVD', receipts: [{ agentMsgId: 2, msgHash: hex('d4'.repeat(32)), rcptInfo: new Uint8Array(0) }] }),
    hex: msgHex(4, HASH) + '56' + '01' + '0000000000000002' + '20' + 'd4'.repeat(32) + '0000',
  },
  {
    name: 'A_RCVD with two receipts and rcptInfo',
    value: msg(5, HASH, {
      type: 'A_RCVD',
      receipts: [
        { agentMsgId: 2, msgHash: hex('d4'.repeat(32)), rcptInfo: hex('0102') },
        { agentMsgId: 4294967298, msgHash: hex('e5'.repeat(32)), rcptInfo: new Uint8Array(0) },
      ],
    }),
    hex: msgHex(5, HASH) + '56' + '02' + '0000000000000002' + '20' + 'd4'.repeat(32) + '0002' + '0102' +
      '0000000100000002' + '20' + 'e5'.repeat(32) + '0000',
  },
  { name: 'EREADY', value: msg(6, HASH, { type: 'EREADY', lastDecryptedMsgId: 9 }), hex: msgHex(6, HASH) + '45' + '0000000000000009' },
  { name: 'A_QCONT', value: msg(7, HASH, { type: 'A_QCONT', address: ADDR }), hex: msgHex(7, HASH) + '5143' + ADDR_HEX },
  {
    name: 'QADD with the replaced queue',
    value: msg(8, HASH, { type: 'QADD', queues: [{ uri: QUEUE_URI, replaced: ADDR }] }),
    hex: msgHex(8, HASH) + '5141' + '01' + QUEUE_URI_HEX + '31' + ADDR_HEX,
  },
  {
    name: 'QADD without a replaced queue',
    value: msg(8, HASH, { type: 'QADD', queues: [{ uri: QUEUE_URI, replaced: null }] }),
    hex: msgHex(8, HASH) + '5141' + '01' + QUEUE_URI_HEX + '30',
  },
  {
    name: 'QKEY',
    value: msg(9, HASH, { type: 'QKEY', queues: [{ info: info(4, 'messaging'), senderKey: decodePublicKey(hex(ED_SPKI)) }] }),
    hex: msgHex(9, HASH) + '514b' + '01' + infoHex(4) + '4d' + '2c' + ED_SPKI,
  },
  {
    name: 'QUSE',
    value: msg(10, HASH, { type: 'QUSE', queues: [{ address: ADDR, primary: true }, { address: { server: SERVER_NO_PORT, senderId: hex('01') }, primary: false }] }),
    hex: msgHex(10, HASH) + '5155' + '02' + ADDR_HEX + '54' + SERVER_NO_PORT_HEX + '01' + '01' + '46',
  },
  { name: 'QTEST', value: msg(11, HASH, { type: 'QTEST', addresses: [ADDR] }), hex: msgHex(11, HASH) + '5154' + '01' + ADDR_HEX },
];

describe('agent messages (agent.md §6.4)', () => {
  describe('fixed byte strings, both directions', () => {
    for (const f of FIXTURES) {
      it(f.name, () => {
        assert.equal(toHex(encodeAgentMessage(f.value)), f.hex);
        assert.deepEqual(decodeAgentMessage(hex(f.hex)), f.value);
      });
    }

    it('has no padding field: the encoding is exactly the fields (the agent-protocol.md ABNF is stale)', () => {
      assert.equal(encodeAgentMessage(msg(2, HASH, { type: 'HELLO' })).length, 1 + 8 + 1 + 32 + 1);
    });

    it('names the kind of an encoded message from its first byte', () => {
      assert.equal(agentMessageTypeOf(hex('49')), 'conn-info');
      assert.equal(agentMessageTypeOf(hex('44')), 'conn-info-reply');
      assert.equal(agentMessageTypeOf(hex('52')), 'ratchet-info');
      assert.equal(agentMessageTypeOf(hex('4d00')), 'message');
      assert.equal(agentMessageTypeOf(hex('48')), null);
      assert.equal(agentMessageTypeOf(new Uint8Array(0)), null);
    });

    it('returns copies: wiping the input leaves the decoded value intact', () => {
      const bytes = hex(FIXTURES[7].hex);
      const m = decodeAgentMessage(bytes);
      bytes.fill(0);
      assert.deepEqual(m, FIXTURES[7].value);
    });
  });

  describe('SMPQueueInfo version gates', () => {
    const cases: Array<{ v: number; mode: SmpQueueInfo['queueMode']; suffix: string; back: SmpQueueInfo['queueMode'] }> = [
      { v: 4, mode: 'messaging', suffix: '4d', back: 'messaging' },
      { v: 4, mode: 'contact', suffix: '43', back: 'contact' },
      { v: 4, mode: null, suffix: '', back: null },
      { v: 3, mode: 'messaging', suffix: '54', back: 'messaging' },
      // Below v4 a contact queue cannot be told apart: it is written without its mode.
      { v: 3, mode: 'contact', suffix: '', back: null },
      { v: 3, mode: null, suffix: '', back: null },
      { v: 2, mode: 'messaging', suffix: '', back: null },
      { v: 2, mode: 'contact', suffix: '', back: null },
    ];
    for (const c of cases) {
      it('v' + c.v + ' ' + String(c.mode) + ' → suffix "' + c.suffix + '"', () => {
        const e = new Encoder();
        writeSmpQueueInfo(e, info(c.v, c.mode));
        assert.equal(toHex(e.finish()), infoHex(c.v) + c.suffix);
        const r = decode(hex(infoHex(c.v) + c.suffix), readSmpQueueInfo);
        assert.ok(r.ok);
        assert.deepEqual(r.value, info(c.v, c.back));
      });
    }

    it('reads the suffix whatever the version, as upstream queueModeP: T and M messaging, F and C contact', () => {
      for (const [suffix, mode] of [['54', 'messaging'], ['4d', 'messaging'], ['46', 'contact'], ['43', 'contact']] as const) {
        const r = decode(hex(infoHex(2) + suffix), readSmpQueueInfo);
        assert.ok(r.ok);
        assert.equal(r.value.queueMode, mode);
      }
    });

    it("follows upstream where a suffix-less queue info meets connInfo starting with a mode byte", () => {
      // A v2 queue info has no suffix; upstream's optional parser then takes a leading 'M' of the
      // connInfo as the queue mode. No app sends such connInfo (it is JSON or 'X'), but the bytes
      // must mean the same here as there.
      const m = decodeAgentMessage(hex('44' + '01' + infoHex(2) + '4d' + '7b7d'));
      assert.equal(m.type, 'conn-info-reply');
      if (m.type === 'conn-info-reply') {
        assert.equal(m.queues[0].queueMode, 'messaging');
        assert.equal(toHex(m.connInfo), '7b7d');
      }
    });

    it('refuses version 1 (legacy server encoding) both ways', () => {
      expectEncodeError(() => writeSmpQueueInfo(new Encoder(), info(1, null)), 'invalid-value');
      expectDecodeError(() => decodeAgentMessage(hex('44' + '01' + infoHex(1) + '7b7d')), 'invalid-value');
      expectDecodeError(() => decodeAgentMessage(hex('44' + '01' + infoHex(0) + '7b7d')), 'invalid-value');
    });

    it('refuses a DH key of another algorithm and an empty sender ID', () => {
      const ed = '0004' + SERVER_HEX + '18' + SENDER_ID + '2c' + ED_SPKI;
      expectDecodeError(() => decodeAgentMessage(hex('44' + '01' + ed)), 'wrong-algorithm');
      const empty = '0004' + SERVER_HEX + '00' + '2c' + DH_SPKI;
      expectDecodeError(() => decodeAgentMessage(hex('44' + '01' + empty)), 'invalid-value');
      expectEncodeError(() => writeSmpQueueInfo(new Encoder(), { ...info(4, null), senderId: new Uint8Array(0) }), 'invalid-value');
    });
  });

  describe('refusals', () => {
    it('every strict prefix of every fixture is a DecodeError (most "truncated")', () => {
      for (const f of FIXTURES) {
        const b = hex(f.hex);
        for (let n = 0; n < b.length; n++) {
          const cut = b.subarray(0, n);
          // A tail-ended message (A_MSG, 'I', 'D', 'R') stays valid when only its tail is cut.
          if (!onlyDecodeErrors(() => decodeAgentMessage(cut), f.name + ' cut to ' + n)) continue;
          const m = decodeAgentMessage(cut);
          assert.ok(['conn-info', 'conn-info-reply', 'ratchet-info', 'message'].indexOf(m.type) >= 0);
        }
      }
      expectDecodeError(() => decodeAgentMessage(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH))), 'truncated');
    });

    it('refuses bytes after a complete message: HELLO, EREADY, receipts, queue lists', () => {
      for (const f of FIXTURES) {
        const t = f.value.type === 'message' ? f.value.message.type : '';
        if (['HELLO', 'EREADY', 'A_RCVD', 'A_QCONT', 'QADD', 'QKEY', 'QUSE', 'QTEST'].indexOf(t) < 0) continue;
        expectDecodeError(() => decodeAgentMessage(hex(f.hex + '00')), 'trailing-bytes');
      }
    });

    it('refuses unknown tags at each level', () => {
      expectDecodeError(() => decodeAgentMessage(hex('5a')), 'invalid-value'); // 'Z'
      expectDecodeError(() => decodeAgentMessage(hex('43' + '7b7d')), 'invalid-value'); // 'C' is an envelope tag
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH) + '5a')), 'invalid-value');
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH) + '515a')), 'invalid-value'); // 'QZ'
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH) + '51')), 'truncated'); // 'Q' alone
    });

    it('refuses empty NonEmpty lists', () => {
      expectDecodeError(() => decodeAgentMessage(hex('44' + '00' + '7b7d')), 'invalid-value');
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH) + '56' + '00')), 'invalid-value');
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(2, HASH) + '5154' + '00')), 'invalid-value');
      expectEncodeError(() => encodeAgentMessage(msg(2, HASH, { type: 'QTEST', addresses: [] })), 'invalid-value');
      expectEncodeError(() => encodeAgentMessage({ type: 'conn-info-reply', queues: [], connInfo: new Uint8Array(0) }), 'invalid-value');
    });

    it('refuses a server fingerprint that is not 32 bytes and a QKEY X448 key', () => {
      const shortHash = msgHex(7, HASH) + '5143' + '01' + '0f' + '736d702e6578616d706c652e636f6d' + '00' + '04' + 'abababab' + '18' + SENDER_ID;
      expectDecodeError(() => decodeAgentMessage(hex(shortHash)), 'invalid-value');
      const x448 = '44' + '3042300506032b656f033900' + '11'.repeat(56);
      expectDecodeError(() => decodeAgentMessage(hex(msgHex(9, HASH) + '514b' + '01' + infoHex(4) + '4d' + x448)), 'wrong-algorithm');
    });

    it('refuses ids a JS number cannot hold exactly, both ways', () => {
      expectDecodeError(() => decodeAgentMessage(hex('4d' + '0020000000000000' + '00' + '48')), 'invalid-value');
      expectEncodeError(() => encodeAgentMessage(msg(2 ** 53, '', { type: 'HELLO' })), 'invalid-value');
      expectEncodeError(() => encodeAgentMessage(msg(1.5, '', { type: 'HELLO' })), 'invalid-value');
    });

    it('refuses what its length prefixes cannot describe', () => {
      expectEncodeError(() => encodeAgentMessage(msg(2, '00'.repeat(256), { type: 'HELLO' })), 'too-long');
      const many: SndQAddr[] = [];
      for (let i = 0; i < 256; i++) many.push(ADDR);
      expectEncodeError(() => encodeAgentMessage(msg(2, HASH, { type: 'QTEST', addresses: many })), 'too-long');
      expectEncodeError(
        () => encodeAgentMessage(msg(2, HASH, { type: 'A_RCVD', receipts: [{ agentMsgId: 1, msgHash: hex(HASH), rcptInfo: new Uint8Array(65536) }] })),
        'too-long',
      );
    });
  });

  describe('fixed-seed mutation fuzz', () => {
    it('10,000 mutated fixtures: only DecodeError, and whatever decodes re-encodes to the same value', () => {
      const rng = prng(0x6a91);
      let decoded = 0;
      for (let i = 0; i < 10000; i++) {
        const base = hex(FIXTURES[randomInt(rng, FIXTURES.length)].hex);
        const b = mutate(rng, base);
        if (!onlyDecodeErrors(() => decodeAgentMessage(b), 'mutation ' + i)) continue;
        decoded++;
        const m = decodeAgentMessage(b);
        assert.deepEqual(decodeAgentMessage(encodeAgentMessage(m)), m, 'mutation ' + i + ' re-encodes');
      }
      // Both outcomes occur, so the fuzz exercises the decoders rather than one early check.
      assert.ok(decoded > 100 && decoded < 9900, 'decoded ' + decoded);
    });

    it('1,000 random byte strings after each valid first byte: only DecodeError', () => {
      const rng = prng(0x77);
      for (let i = 0; i < 1000; i++) {
        const b = randomBytes(rng, 1 + randomInt(rng, 200));
        b[0] = [0x49, 0x44, 0x52, 0x4d][i % 4];
        onlyDecodeErrors(() => decodeAgentMessage(b), 'random ' + i);
      }
    });
  });
});
