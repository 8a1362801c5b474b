/**
 * The ratchet's wire encodings: MsgHeader at v2 and v3 with and without KEM (sizes 79 / 80 / 1241
 * / 2282 as agent.md §7.5 states), EncMessageHeader and EncRatchetMessage with the v2 1-byte and
 * v3 2-byte lengths and the first-byte < 32 rule, KEM parameters, and bounded fuzz.
 */
import assert from 'node:assert/strict';
import { Encoder } from '../../../firmware/encoding/binary';
import { Decoder } from '../../../firmware/encoding/binary';
import { toHex } from '../../../firmware/encoding/bytes';
import {
  HEADER_PAD_LENGTH,
  HEADER_PAD_LENGTH_PQ,
  decodeEncMessageHeader,
  decodeEncRatchetMessage,
  decodeKemParams,
  decodeMsgHeader,
  encodeEncMessageHeader,
  encodeEncRatchetMessage,
  encodeKemParams,
  encodeMsgHeader,
  paddedHeaderLength,
} from '../../../firmware/agent/ratchet-header';
import type { KemParams, MsgHeader } from '../../../firmware/agent/ratchet-header';
import { expectDecodeError, onlyDecodeErrors, prng, randomBytes, randomInt } from '../encoding/helpers';

const rng = prng(0x5eed);
const DH = randomBytes(rng, 56);
const PK = randomBytes(rng, 1158);
const CT = randomBytes(rng, 1039);
const PROPOSED: KemParams = { kind: 'proposed', publicKey: PK };
const ACCEPTED: KemParams = { kind: 'accepted', ciphertext: CT, publicKey: PK };

function header(kem: KemParams | null, pn: number = 7, ns: number = 0x01020304): MsgHeader {
  return { maxVersion: 3, dhPublicKey: DH, kem: kem, pn: pn, ns: ns };
}

describe('firmware/agent/ratchet-header', () => {
  describe('MsgHeader', () => {
    it('has the sizes of agent.md §7.5 and round-trips', () => {
      const cases: Array<[number, KemParams | null, number]> = [
        [2, null, 79],
        [3, null, 80],
        [3, PROPOSED, 1241],
        [3, ACCEPTED, 2282],
      ];
      for (const [v, kem, size] of cases) {
        const bytes = encodeMsgHeader(v, header(kem));
        assert.equal(bytes.length, size, 'v' + v + ' ' + (kem ? kem.kind : 'no KEM'));
        const back = decodeMsgHeader(v, bytes);
        assert.deepEqual(back, header(kem));
        assert.equal(toHex(encodeMsgHeader(v, back)), toHex(bytes));
      }
      // Each fits its padded size with the 2-byte pad length.
      assert.ok(80 + 2 <= HEADER_PAD_LENGTH && 2282 + 2 <= HEADER_PAD_LENGTH_PQ);
    });

    it('lays out v3 as BE16 max ‖ bs(SPKI) ‖ Maybe KEM ‖ BE32 PN ‖ BE32 Ns', () => {
      const b = encodeMsgHeader(3, header(null, 1, 2));
      assert.equal(toHex(b.subarray(0, 3)), '000344');
      assert.equal(toHex(b.subarray(3, 15)), '3042300506032b656f033900');
      assert.equal(toHex(b.subarray(15, 71)), toHex(DH));
      assert.equal(toHex(b.subarray(71)), '30' + '00000001' + '00000002');
      // v2 has no Maybe byte at all.
      assert.equal(toHex(encodeMsgHeader(2, header(null, 1, 2)).subarray(71)), '00000001' + '00000002');
      const p = encodeMsgHeader(3, header(PROPOSED));
      assert.equal(toHex(p.subarray(71, 75)), '31500486');
      const a = encodeMsgHeader(3, header(ACCEPTED));
      assert.equal(toHex(a.subarray(71, 75)), '3141040f');
    });

    it('a non-PQ reader parses v3 headers carrying P and A', () => {
      assert.deepEqual(decodeMsgHeader(3, encodeMsgHeader(3, header(PROPOSED))).kem, PROPOSED);
      assert.deepEqual(decodeMsgHeader(3, encodeMsgHeader(3, header(ACCEPTED))).kem, ACCEPTED);
    });

    it('ignores bytes after Ns (simplexmq parses with parseE\', leaving room for extensions)', () => {
      const b = encodeMsgHeader(3, header(null));
      const longer = new Uint8Array(b.length + 5);
      longer.set(b);
      assert.deepEqual(decodeMsgHeader(3, longer), header(null));
    });

    it('rejects bad keys, bad KEM tags, wrong KEM sizes and truncation', () => {
      const b = encodeMsgHeader(3, header(null));
      expectDecodeError(() => decodeMsgHeader(3, b.subarray(0, b.length - 1)), 'truncated');
      const x25519 = new Encoder().version(3).short(new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00, ...new Uint8Array(32)])).u8(0x30).word32(0).word32(0).finish();
      expectDecodeError(() => decodeMsgHeader(3, x25519), 'wrong-algorithm');
      const badTag = b.slice();
      badTag[71] = 0x32;
      expectDecodeError(() => decodeMsgHeader(3, badTag), 'invalid-value');
      const badKem = new Encoder().version(3).raw(b.subarray(2, 71)).u8(0x31).u8(0x50).large(new Uint8Array(1157)).word32(0).word32(0).finish();
      expectDecodeError(() => decodeMsgHeader(3, badKem), 'invalid-value');
      const kemTag = new Encoder().version(3).raw(b.subarray(2, 71)).u8(0x31).u8(0x58).finish();
      expectDecodeError(() => decodeMsgHeader(3, kemTag), 'invalid-value');
    });
  });

  describe('KEM parameters', () => {
    it('encode as P large(pk) and A large(ct) large(pk), and round-trip', () => {
      for (const k of [PROPOSED, ACCEPTED]) {
        const e = new Encoder();
        encodeKemParams(e, k);
        const b = e.finish();
        assert.equal(b.length, k.kind === 'proposed' ? 1 + 2 + 1158 : 1 + 2 + 1039 + 2 + 1158);
        const d = new Decoder(b);
        assert.deepEqual(decodeKemParams(d), k);
        d.end();
      }
    });
  });

  describe('paddedHeaderLength', () => {
    it('is 2310 only at v3 with PQ support, else 88', () => {
      assert.equal(paddedHeaderLength(3, true), 2310);
      assert.equal(paddedHeaderLength(3, false), 88);
      assert.equal(paddedHeaderLength(2, true), 88);
      assert.equal(paddedHeaderLength(2, false), 88);
    });
  });

  describe('EncMessageHeader and EncRatchetMessage', () => {
    const iv = randomBytes(rng, 16);
    const tag = randomBytes(rng, 16);

    it('use a 2-byte length at v3 (even for the 88-byte header) and 1 byte at v2', () => {
      const v3 = encodeEncMessageHeader({ version: 3, iv: iv, tag: tag, body: new Uint8Array(88) });
      assert.equal(v3.length, 124);
      assert.equal(toHex(v3.subarray(34, 36)), '0058');
      const v2 = encodeEncMessageHeader({ version: 2, iv: iv, tag: tag, body: new Uint8Array(88) });
      assert.equal(v2.length, 123);
      assert.equal(toHex(v2.subarray(34, 35)), '58');
      const pq = encodeEncMessageHeader({ version: 3, iv: iv, tag: tag, body: new Uint8Array(2310) });
      assert.equal(pq.length, 2346);
      for (const h of [v3, v2, pq]) {
        const back = decodeEncMessageHeader(h);
        assert.equal(toHex(encodeEncMessageHeader(back)), toHex(h));
      }
      // A whole message in each form; the reader needs no version (first byte < 32 rule).
      const body = randomBytes(rng, 100);
      const m3 = encodeEncRatchetMessage(3, { header: v3, tag: tag, body: body });
      assert.equal(toHex(m3.subarray(0, 2)), '007c');
      assert.equal(m3.length, 2 + 124 + 16 + 100);
      const m2 = encodeEncRatchetMessage(2, { header: v2, tag: tag, body: body });
      assert.equal(toHex(m2.subarray(0, 1)), '7b');
      assert.equal(m2.length, 1 + 123 + 16 + 100);
      const mpq = encodeEncRatchetMessage(3, { header: pq, tag: tag, body: body });
      assert.equal(toHex(mpq.subarray(0, 2)), '092a');
      for (const [m, h] of [[m3, v3], [m2, v2], [mpq, pq]]) {
        const d = decodeEncRatchetMessage(m);
        assert.equal(toHex(d.header), toHex(h));
        assert.equal(toHex(d.tag), toHex(tag));
        assert.equal(toHex(d.body), toHex(body));
      }
    });

    it('reject truncation and trailing bytes inside the header', () => {
      const h = encodeEncMessageHeader({ version: 3, iv: iv, tag: tag, body: new Uint8Array(88) });
      expectDecodeError(() => decodeEncMessageHeader(h.subarray(0, h.length - 1)), 'truncated');
      const longer = new Uint8Array(h.length + 1);
      longer.set(h);
      expectDecodeError(() => decodeEncMessageHeader(longer), 'trailing-bytes');
      expectDecodeError(() => decodeEncRatchetMessage(new Uint8Array([0x00])), 'truncated');
      expectDecodeError(() => decodeEncRatchetMessage(new Uint8Array([0x00, 0x7c, 1, 2])), 'truncated');
      // A header whose tag is cut off.
      const m = encodeEncRatchetMessage(3, { header: h, tag: tag, body: new Uint8Array(0) });
      expectDecodeError(() => decodeEncRatchetMessage(m.subarray(0, m.length - 1)), 'truncated');
    });

    it('fuzz: random and mutated input only ever gives DecodeError (fixed seed)', () => {
      const r = prng(20260101);
      const good = encodeEncRatchetMessage(3, {
        header: encodeEncMessageHeader({ version: 3, iv: iv, tag: tag, body: new Uint8Array(88) }),
        tag: tag,
        body: new Uint8Array(40),
      });
      const goodHeader = encodeMsgHeader(3, header(ACCEPTED));
      for (let i = 0; i < 3000; i++) {
        const garbage = randomBytes(r, randomInt(r, 300));
        onlyDecodeErrors(() => decodeEncMessageHeader(decodeEncRatchetMessage(garbage).header), 'EncRatchetMessage');
        onlyDecodeErrors(() => decodeMsgHeader(3, garbage), 'MsgHeader v3');
        onlyDecodeErrors(() => decodeMsgHeader(2, garbage), 'MsgHeader v2');
        const m = good.slice();
        m[randomInt(r, m.length)] = randomInt(r, 256);
        onlyDecodeErrors(() => decodeEncMessageHeader(decodeEncRatchetMessage(m.subarray(0, randomInt(r, m.length + 1))).header), 'mutated message');
        const h = goodHeader.slice();
        h[randomInt(r, 80)] = randomInt(r, 256);
        onlyDecodeErrors(() => decodeMsgHeader(3, h.subarray(0, randomInt(r, h.length + 1))), 'mutated header');
      }
    });
  });
});
