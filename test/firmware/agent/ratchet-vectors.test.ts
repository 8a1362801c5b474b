/**
 * Known answers: ratchet-kdf.json, ratchet-aead.json and ratchet-first-message.json, reproduced
 * through the real APIs on both desktop backends. The joiner's first message is built by
 * generateJoinerParams → x3dhJoiner → Ratchet.initJoiner → encrypt with the vector's private
 * keys fed through a scripted Random, and decrypted by the initiator built the same way.
 */
import assert from 'node:assert/strict';
import { RatchetError } from '../../../firmware/agent/errors';
import { Ratchet } from '../../../firmware/agent/ratchet';
import { chainKdf, decryptAead, encryptAead, hkdf3, rootKdf } from '../../../firmware/agent/ratchet-crypto';
import { decodeEncMessageHeader, decodeEncRatchetMessage, decodeMsgHeader, encodeMsgHeader } from '../../../firmware/agent/ratchet-header';
import {
  generateInitiatorParams,
  generateJoinerParams,
  x3dhInitiator,
  x3dhJoiner,
} from '../../../firmware/agent/x3dh';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { hex, loadVectors, vectorCase } from '../encoding/helpers';
import { BACKENDS, ScriptedRandom, expectRatchetError, seeded } from './helpers';

const KDF = 'ratchet-kdf.json';

interface KeyVector {
  private: string;
  public: string;
}

/** The fixed X448 keys a1, a2 (initiator), b1, b2, b3 (joiner) shared by the ratchet vectors. */
function keys(): { [name: string]: KeyVector } {
  const file = loadVectors(KDF) as unknown as { common_inputs: { keys: { [name: string]: KeyVector } } };
  return file.common_inputs.keys;
}

for (const backend of BACKENDS) {
  describe('ratchet known answers on the ' + backend.name + ' backend', () => {
    const k = keys();
    const priv = (n: string): Uint8Array => hex(k[n].private);
    const pub = (n: string): string => k[n].public;

    it('derives the X448 public keys of a1, a2, b1, b2, b3', () => {
      const c = backend.make(seeded(1));
      for (const n of ['a1', 'a2', 'b1', 'b2', 'b3']) assert.equal(toHex(c.x448PublicKey(priv(n))), pub(n), n);
    });

    it('reproduces X3DH (rk0, hk, nhk, AD) from both sides through generate + x3dh', () => {
      const v = vectorCase(KDF, 'x3dh');
      const ca = backend.make(new ScriptedRandom([priv('a1'), priv('a2')], 2));
      const cb = backend.make(new ScriptedRandom([priv('b1'), priv('b2')], 3));
      const link = generateInitiatorParams(ca, 3, false);
      const reply = generateJoinerParams(cb, 3, null);
      assert.equal(toHex(link.params.key1), pub('a1'));
      assert.equal(toHex(reply.params.key2), pub('b2'));
      const j = x3dhJoiner(cb, reply.keys, link.params);
      const i = x3dhInitiator(ca, link.keys, reply.params);
      for (const p of [j, i]) {
        assert.equal(toHex(p.ad), v.associated_data);
        assert.equal(p.ad.length, v.associated_data_len);
        assert.equal(toHex(p.rootKey), v.rk0);
        assert.equal(toHex(p.sndHeaderKey), v.hk_joiner_send_header_key);
        assert.equal(toHex(p.rcvNextHeaderKey), v.nhk_joiner_receive_next_header_key);
        assert.equal(p.kemAccepted, null);
        assert.equal(p.kemKeyPair, null);
      }
    });

    it('reproduces the joiner\'s first root step', () => {
      const v = vectorCase(KDF, 'joiner_initial_root_step');
      const c = backend.make(seeded(4));
      const r = rootKdf(c, hex(v.root_key_in), hex(v.their_public), hex(v.my_private), null);
      assert.equal(toHex(r.rootKey), v.root_key);
      assert.equal(toHex(r.chainKey), v.chain_key_send);
      assert.equal(toHex(r.nextHeaderKey), v.next_header_key_send);
    });

    it('reproduces the chain steps (message IV first, header IV second)', () => {
      const c = backend.make(seeded(5));
      const v1 = vectorCase(KDF, 'joiner_first_chain_step');
      const s1 = chainKdf(c, hex(v1.chain_key));
      assert.equal(toHex(s1.chainKey), v1.next_chain_key);
      assert.equal(toHex(s1.messageKey), v1.message_key);
      assert.equal(toHex(s1.messageIv), v1.message_iv);
      assert.equal(toHex(s1.headerIv), v1.header_iv);
      const v2 = vectorCase(KDF, 'chain_kdf_01_20');
      const s2 = chainKdf(c, hex(v2.chain_key));
      assert.equal(toHex(s2.chainKey), v2.next_chain_key);
      assert.equal(toHex(s2.messageKey), v2.message_key);
      assert.equal(toHex(concatBytes([s2.messageIv, s2.headerIv])), v2.ivs);
      // hkdf3 is the same split: the third output is the ivs.
      const raw = hkdf3(c, new Uint8Array(0), hex(v2.chain_key), new TextEncoder().encode('SimpleXChainRatchet'));
      assert.equal(toHex(raw.third), v2.ivs);
    });

    it('reproduces the 16-byte-IV AEAD over padded plaintext, and opens it', () => {
      const v = vectorCase('ratchet-aead.json', 'aead_16byte_iv');
      const c = backend.make(seeded(6));
      const sealed = encryptAead(c, hex(v.key), hex(v.iv), v.padded_len, hex(v.associated_data), hex(v.plaintext));
      assert.equal(toHex(sealed), v.tag_and_ciphertext);
      const opened = decryptAead(c, hex(v.key), hex(v.iv), hex(v.associated_data), hex(v.tag_and_ciphertext));
      assert.ok(opened);
      assert.equal(toHex(opened), v.plaintext);
      // A flipped tag bit, a flipped ciphertext bit or other AD: no plaintext.
      const bad = hex(v.tag_and_ciphertext);
      bad[0] ^= 1;
      assert.equal(decryptAead(c, hex(v.key), hex(v.iv), hex(v.associated_data), bad), null);
      const bad2 = hex(v.tag_and_ciphertext);
      bad2[40] ^= 0x80;
      assert.equal(decryptAead(c, hex(v.key), hex(v.iv), hex(v.associated_data), bad2), null);
      assert.equal(decryptAead(c, hex(v.key), hex(v.iv), new Uint8Array(0), hex(v.tag_and_ciphertext)), null);
    });

    it('builds the joiner\'s first message byte for byte through the real API and the initiator decrypts it', () => {
      const v = vectorCase('ratchet-first-message.json', 'first_message_hello');
      const ca = backend.make(new ScriptedRandom([priv('a1'), priv('a2')], 7));
      // b1, b2 for the X3DH parameters, then b3 for the first ratchet key, in the order the
      // joiner's code draws them (simplexmq createRatchet_: generateSndE2EParams, then DHRs).
      const rb = new ScriptedRandom([priv('b1'), priv('b2'), priv('b3')], 8);
      const cb = backend.make(rb);
      const link = generateInitiatorParams(ca, 3, false);
      const reply = generateJoinerParams(cb, 3, null);
      const joiner = Ratchet.initJoiner(cb, { current: 3, max: 3 }, x3dhJoiner(cb, reply.keys, link.params), link.params.key2);
      assert.equal(rb.pending, 0, 'b3 came from the Random');
      const out = joiner.encrypt(new TextEncoder().encode(v.plaintext_ascii), v.body_padded_len);
      assert.equal(out.pqEncrypted, false);
      assert.equal(out.message.length, v.message_len);
      assert.equal(toHex(out.message), v.message);

      // The message split into its fields.
      const p = v.parts;
      const m = decodeEncRatchetMessage(out.message);
      assert.equal(toHex(out.message.subarray(0, 2)), p.encrypted_header_len);
      const eh = decodeEncMessageHeader(m.header);
      assert.equal(eh.version, 3);
      assert.equal(toHex(m.header.subarray(0, 2)), p.eh_version);
      assert.equal(toHex(eh.iv), p.header_iv);
      assert.equal(toHex(eh.tag), p.header_tag);
      assert.equal(toHex(m.header.subarray(34, 36)), p.header_ciphertext_len);
      assert.equal(toHex(eh.body), p.header_ciphertext);
      assert.equal(toHex(m.tag), p.body_tag);
      assert.equal(toHex(m.body), p.body_ciphertext);

      // The header plaintext, its padding and its encryption under hk.
      const plainHeader = decryptAead(cb, hex(v.header_key), eh.iv, hex(v.associated_data), concatBytes([eh.tag, eh.body]));
      assert.ok(plainHeader);
      assert.equal(toHex(plainHeader), v.header_plaintext);
      assert.equal(plainHeader.length, v.header_plaintext_len);
      const hdr = decodeMsgHeader(3, plainHeader);
      assert.equal(toHex(encodeMsgHeader(3, hdr)), v.header_plaintext);
      assert.equal(toHex(hdr.dhPublicKey), pub('b3'));
      const sealedHeader = encryptAead(cb, hex(v.header_key), hex(v.header_iv), v.header_padded_len, hex(v.associated_data), hex(v.header_plaintext));
      assert.equal(toHex(sealedHeader), p.header_tag + p.header_ciphertext);
      // The body under mk with AD ‖ EncMessageHeader.
      const sealedBody = encryptAead(cb, hex(v.message_key), hex(v.message_iv), v.body_padded_len, concatBytes([hex(v.associated_data), m.header]), hex(v.plaintext));
      assert.equal(toHex(sealedBody), p.body_tag + p.body_ciphertext);

      // The initiator: X3DH from its side, then the first receive (a full DH ratchet step).
      const initiator = Ratchet.initInitiator(ca, { current: 3, max: 3 }, x3dhInitiator(ca, link.keys, reply.params), link.keys.key2, false);
      assert.equal(initiator.canEncrypt(), false);
      expectRatchetError(() => initiator.encrypt(new Uint8Array(1), 100), 'not-ready');
      const got = initiator.decrypt(hex(v.message));
      assert.equal(new TextDecoder().decode(got.plaintext), 'hello');
      assert.equal(got.pqEncrypted, false);
      assert.equal(initiator.canEncrypt(), true);
      // And the replayed vector is a duplicate.
      const err = expectRatchetError(() => initiator.decrypt(hex(v.message)), 'duplicate');
      assert.ok(err instanceof RatchetError);
    });
  });
}
