import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { seededRandom } from '../../hal/crypto-suite';
import { cbDecrypt, cbEncrypt } from '../../../firmware/crypto/box';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import {
  decodeClientMessage,
  decodeClientMsgEnvelope,
  decodeFwdResponse,
  decodeFwdTransmission,
  decodeNMsgMeta,
  decodeRcvMsgBody,
  E2E_ENC_CONFIRMATION_LENGTH,
  E2E_ENC_MESSAGE_LENGTH,
  encodeClientMessage,
  encodeClientMsgEnvelope,
  encodeFwdResponse,
  encodeFwdTransmission,
  encodeNMsgMeta,
  encodeRcvMsgBody,
  MAX_MESSAGE_LENGTH,
  NMSG_META_PADDED_LENGTH,
  RCV_MSG_PADDED_LENGTH,
  type ClientMsgEnvelope,
  type FwdTransmission,
  type RcvMsgBody,
} from '../../../firmware/smp/message';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { ascii, bytes, fakeKey, sampleEd25519, sampleX25519 } from './helpers';

const DH = sampleX25519();
const DH_HEX = '2c' + vectorCase('encoding.json', 'sample_x25519_spki').der;
const ED_HEX = '2c' + vectorCase('encoding.json', 'sample_ed25519_spki').der;
const TS = 1641032645; // 2022-01-01T10:24:05Z

describe('message formats (smp.md §8, §10)', () => {
  describe('MSG plaintext (§8.2)', () => {
    const v = vectorCase('smp-msg-body.json', 'msg_body');

    it('matches the vector layout ts ‖ flag ‖ SP ‖ body', () => {
      const m: RcvMsgBody = { type: 'message', ts: v.ts, flags: { notification: v.notification }, body: hex(v.body) };
      assert.equal(toHex(encodeRcvMsgBody(m)), v.plaintext);
      assert.deepEqual(decodeRcvMsgBody(hex(v.plaintext)), m);
    });

    it('is what the server boxes: padded to 16106, 16122 bytes encrypted, the vector hash', () => {
      // The real box (tested on its own elsewhere), to show the plaintext is the one the vector encrypts.
      const c = createNodeCrypto(seededRandom('smp-message'));
      const plaintext = encodeRcvMsgBody({ type: 'message', ts: v.ts, flags: { notification: true }, body: hex(v.body) });
      const enc = cbEncrypt(c, hex(v.dh_secret), hex(v.msg_id), plaintext, RCV_MSG_PADDED_LENGTH);
      assert.equal(enc.length, v.enc_body_len);
      assert.equal(toHex(enc.subarray(0, 32)), v.enc_body_first_32);
      assert.equal(nodeCrypto.createHash('sha256').update(enc).digest('hex'), v.enc_body_sha256);
      const opened = cbDecrypt(c, hex(v.dh_secret), hex(v.msg_id), enc);
      assert.ok(opened !== null);
      assert.deepEqual(decodeRcvMsgBody(opened), { type: 'message', ts: TS, flags: { notification: true }, body: ascii('hello') });
    });

    it('reads the quota marker "QUOTA" SP ts first, and nothing may follow it', () => {
      const q: RcvMsgBody = { type: 'quota', ts: TS };
      const b = encodeRcvMsgBody(q);
      assert.equal(toHex(b), Buffer.from('QUOTA ').toString('hex') + '0000000061d02bc5');
      assert.deepEqual(decodeRcvMsgBody(b), q);
      expectDecodeError(() => decodeRcvMsgBody(concatBytes([b, hex('00')])), 'trailing-bytes');
    });

    it('skips reserved flag bytes, allows an empty body and a body with spaces', () => {
      assert.deepEqual(decodeRcvMsgBody(hex('0000000061d02bc5' + '46' + '414243' + '20' + '2061')), { type: 'message', ts: TS, flags: { notification: false }, body: ascii(' a') });
      assert.deepEqual(decodeRcvMsgBody(hex('0000000061d02bc5' + '5420')), { type: 'message', ts: TS, flags: { notification: true }, body: new Uint8Array(0) });
    });

    it('refuses broken plaintexts and oversized bodies', () => {
      expectDecodeError(() => decodeRcvMsgBody(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeRcvMsgBody(hex('0000000061d02bc5')), 'truncated');
      expectDecodeError(() => decodeRcvMsgBody(hex('0000000061d02bc5' + '58' + '20')), 'invalid-value');
      expectDecodeError(() => decodeRcvMsgBody(hex('0000000061d02bc5' + '54')), 'truncated');
      expectDecodeError(() => decodeRcvMsgBody(ascii('QUOTA 1234')), 'invalid-value'); // not a quota marker; as a ts it is too large
      encodeRcvMsgBody({ type: 'message', ts: TS, flags: { notification: false }, body: bytes(MAX_MESSAGE_LENGTH, 1) });
      expectEncodeError(() => encodeRcvMsgBody({ type: 'message', ts: TS, flags: { notification: false }, body: bytes(MAX_MESSAGE_LENGTH + 1, 1) }), 'too-long');
      // The largest plaintext still fits the 16106-byte padding: 8 + 1 + 1 + 16088 = 16098 ≤ 16104.
      assert.ok(encodeRcvMsgBody({ type: 'message', ts: TS, flags: { notification: false }, body: bytes(MAX_MESSAGE_LENGTH, 1) }).length <= RCV_MSG_PADDED_LENGTH - 2);
    });
  });

  describe('NMSG metadata', () => {
    it('matches the vector plaintext short(msgId) ‖ ts and ignores a tail', () => {
      const v = vectorCase('smp-msg-body.json', 'nmsg_meta');
      const m = { msgId: hex(v.msg_id), ts: v.ts };
      assert.equal(toHex(encodeNMsgMeta(m)), v.plaintext);
      assert.deepEqual(decodeNMsgMeta(hex(v.plaintext)), m);
      assert.deepEqual(decodeNMsgMeta(hex(v.plaintext + 'abcdef')), m);
      assert.ok(hex(v.plaintext).length + 2 <= NMSG_META_PADDED_LENGTH);
      expectDecodeError(() => decodeNMsgMeta(hex(v.plaintext.slice(0, -2))), 'truncated');
    });
  });

  describe('ClientMsgEnvelope and ClientMessage (§8.3)', () => {
    it('lays out PubHeader ‖ nonce ‖ encBody', () => {
      const withKey: ClientMsgEnvelope = { header: { version: 4, e2ePubDhKey: DH }, nonce: bytes(24, 0xaa), encBody: bytes(3, 0xbb) };
      assert.equal(toHex(encodeClientMsgEnvelope(withKey)), '0004' + '31' + DH_HEX + 'aa'.repeat(24) + 'bbbbbb');
      assert.deepEqual(decodeClientMsgEnvelope(encodeClientMsgEnvelope(withKey)), withKey);
      const plain: ClientMsgEnvelope = { header: { version: 4, e2ePubDhKey: null }, nonce: bytes(24, 1), encBody: new Uint8Array(0) };
      assert.equal(toHex(encodeClientMsgEnvelope(plain)), '0004' + '30' + '01'.repeat(24));
      assert.deepEqual(decodeClientMsgEnvelope(encodeClientMsgEnvelope(plain)), plain);
    });

    it('has the sizes of smp.md §8.3: 15992 with the key, 16043 without; both within the v11+ SEND limit', () => {
      const confirmation = encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: DH }, nonce: bytes(24, 1), encBody: bytes(E2E_ENC_CONFIRMATION_LENGTH + 16, 2) });
      assert.equal(confirmation.length, 15992);
      const message = encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: null }, nonce: bytes(24, 1), encBody: bytes(E2E_ENC_MESSAGE_LENGTH + 16, 2) });
      assert.equal(message.length, 16043);
      assert.ok(message.length <= 16048);
    });

    it('refuses a bad header, a short nonce, or a non-X25519 header key', () => {
      expectDecodeError(() => decodeClientMsgEnvelope(hex('0004' + '32')), 'invalid-value');
      expectDecodeError(() => decodeClientMsgEnvelope(hex('0004' + '30' + '01'.repeat(23))), 'truncated');
      expectDecodeError(() => decodeClientMsgEnvelope(hex('0004' + '31' + ED_HEX + '01'.repeat(24))), 'wrong-algorithm');
      expectEncodeError(() => encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: null }, nonce: bytes(23, 1), encBody: new Uint8Array(0) }), 'invalid-value');
      expectEncodeError(() => encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: fakeKey('x448', 1) }, nonce: bytes(24, 1), encBody: new Uint8Array(0) }), 'invalid-value');
    });

    it("PrivHeader is 'K' short(key) or '_', then the agent body", () => {
      const ed = sampleEd25519();
      assert.equal(toHex(encodeClientMessage({ senderKey: ed, body: ascii('hi') })), '4b' + ED_HEX + h('hi'));
      assert.deepEqual(decodeClientMessage(hex('4b' + ED_HEX + h('hi'))), { senderKey: ed, body: ascii('hi') });
      assert.equal(toHex(encodeClientMessage({ senderKey: null, body: ascii('hi') })), '5f' + h('hi'));
      assert.deepEqual(decodeClientMessage(hex('5f')), { senderKey: null, body: new Uint8Array(0) });
      expectDecodeError(() => decodeClientMessage(hex('4c')), 'invalid-value');
      expectDecodeError(() => decodeClientMessage(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeClientMessage(hex('4b05')), 'truncated');
    });
  });

  describe('proxy structures (§10)', () => {
    it('FwdTransmission = short(N) ‖ version ‖ short(ek) ‖ tail(encT)', () => {
      const t: FwdTransmission = { corrId: bytes(24, 1), version: 17, ephemeralKey: DH, encTransmission: bytes(16242, 2) };
      const b = encodeFwdTransmission(t);
      assert.equal(toHex(b.subarray(0, 25 + 2 + 45)), '18' + '01'.repeat(24) + '0011' + DH_HEX);
      assert.equal(b.length, 25 + 2 + 45 + 16242);
      assert.deepEqual(decodeFwdTransmission(b), t);
      expectDecodeError(() => decodeFwdTransmission(hex('18' + '01'.repeat(24) + '0011' + ED_HEX)), 'wrong-algorithm');
      expectDecodeError(() => decodeFwdTransmission(hex('18' + '01'.repeat(24) + '00')), 'truncated');
    });

    it('the RRES payload is short(N) ‖ tail(r2)', () => {
      const r = { corrId: bytes(24, 3), encResponse: bytes(16242, 4) };
      const b = encodeFwdResponse(r);
      assert.equal(toHex(b.subarray(0, 26)), '18' + '03'.repeat(24) + '04');
      assert.deepEqual(decodeFwdResponse(b), r);
      assert.deepEqual(decodeFwdResponse(hex('00')), { corrId: new Uint8Array(0), encResponse: new Uint8Array(0) });
      expectDecodeError(() => decodeFwdResponse(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeFwdResponse(hex('05aa')), 'truncated');
    });
  });

  it('fuzz: garbage gives DecodeErrors only', () => {
    const rng = prng(0x3e55);
    const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
      ['decodeRcvMsgBody', decodeRcvMsgBody],
      ['decodeNMsgMeta', decodeNMsgMeta],
      ['decodeClientMsgEnvelope', decodeClientMsgEnvelope],
      ['decodeClientMessage', decodeClientMessage],
      ['decodeFwdTransmission', decodeFwdTransmission],
      ['decodeFwdResponse', decodeFwdResponse],
    ];
    const seeds = [
      encodeRcvMsgBody({ type: 'message', ts: TS, flags: { notification: true }, body: ascii('x') }),
      encodeRcvMsgBody({ type: 'quota', ts: TS }),
      encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: DH }, nonce: bytes(24, 1), encBody: bytes(5, 2) }),
      encodeFwdTransmission({ corrId: bytes(24, 1), version: 17, ephemeralKey: DH, encTransmission: bytes(5, 2) }),
    ];
    for (let i = 0; i < 3000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) input = randomBytes(rng, randomInt(rng, 120));
      else {
        input = new Uint8Array(seeds[randomInt(rng, seeds.length)]);
        for (let k = 0; k < 1 + randomInt(rng, 3); k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
        input = input.subarray(0, randomInt(rng, input.length + 1));
      }
      for (const [name, fn] of decoders) onlyDecodeErrors(() => fn(input), name);
    }
  });
});

function h(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}
