/**
 * The router's side of the known-answer vectors (shared/vectors): the MSG body and NMSG metadata
 * it produces, and its verification of the v18 SUB authorization (signature and X25519
 * authenticator), byte for byte.
 */
import assert from 'node:assert/strict';
import { parseTransmission, decodeBatch, decodeTransmissionAuth } from '../../../firmware/smp/transmission';
import { createDummyKeys, verifyWith, type AuthContext } from '../../../tools/router/auth';
import { encryptMessage, encryptNotification } from '../../../tools/router/commands';
import { hex, vectorCase } from '../../vectors';
import { crypto } from './helpers';

/** RFC 7748 §6.1: K (the vectors' shared secret) = X25519(Alice's private key, Bob's public key). */
const ALICE_PRIVATE = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');

function sha256Hex(b: Uint8Array): string {
  return Buffer.from(crypto.sha256(b)).toString('hex');
}

describe('router vectors', () => {
  it('MSG body: smp-msg-body.json msg_body', () => {
    const v = vectorCase('smp-msg-body.json', 'msg_body');
    const msg = encryptMessage(crypto, hex(v.dh_secret), {
      msgId: hex(v.msg_id),
      ts: Number(v.ts),
      kind: 'message',
      notification: v.notification === true,
      body: hex(v.body),
      durable: true,
    });
    if (msg.type !== 'MSG') assert.fail('not MSG');
    assert.equal(msg.encBody.length, Number(v.enc_body_len));
    assert.equal(Buffer.from(msg.encBody.subarray(0, 32)).toString('hex'), v.enc_body_first_32);
    assert.equal(sha256Hex(msg.encBody), v.enc_body_sha256);
  });

  it('NMSG metadata: smp-msg-body.json nmsg_meta', () => {
    const v = vectorCase('smp-msg-body.json', 'nmsg_meta');
    const encMeta = encryptNotification(crypto, hex(v.dh_secret), hex(v.nonce), hex(v.msg_id), Number(v.ts));
    assert.equal(encMeta.length, Number(v.enc_meta_len));
    assert.equal(sha256Hex(encMeta), v.enc_meta_sha256);
  });

  describe('SUB authorization: smp-command-auth.json', () => {
    const file = 'smp-command-auth.json';

    it('the v18 signed SUB block content parses to the vector authorized bytes, and its Ed25519 signature verifies', () => {
      const content = hex(vectorCase(file, 'signed_sub_block_content_v18').block_content);
      const authorized = hex(vectorCase(file, 'authorized_bytes_sub').authorized);
      const sig = vectorCase(file, 'ed25519_signature_sub');
      const items = decodeBatch(content);
      assert.equal(items.length, 1);
      const sessionId = authorized.subarray(1, 1 + authorized[0]);
      const raw = parseTransmission({ version: 18, sessionId: sessionId }, items[0]);
      assert.equal(Buffer.from(raw.authorized).toString('hex'), Buffer.from(authorized).toString('hex'));
      const ctx: AuthContext = { crypto: crypto, dummy: createDummyKeys(crypto), helloPrivateKey: ALICE_PRIVATE };
      const signed = { auth: decodeTransmissionAuth(raw.authorization), authorized: raw.authorized, corrId: raw.corrId };
      const key = { alg: 'ed25519' as const, raw: hex(sig.ed25519_public) };
      assert.equal(verifyWith(ctx, signed, key), true);
      assert.equal(verifyWith(ctx, { ...signed, authorized: authorized.map((b, i) => (i === authorized.length - 1 ? b ^ 1 : b)) }, key), false);
      assert.equal(verifyWith(ctx, signed, { alg: 'ed25519', raw: crypto.ed25519KeyPair().publicKey }), false);
    });

    it('the X25519 authenticator verifies with the router hello key and the client queue key', () => {
      const v = vectorCase(file, 'x25519_authenticator_sub');
      assert.equal(Buffer.from(crypto.x25519(ALICE_PRIVATE, BOB_PUBLIC)).toString('hex'), v.dh_secret);
      const authorized = hex(vectorCase(file, 'authorized_bytes_sub').authorized);
      const ctx: AuthContext = { crypto: crypto, dummy: createDummyKeys(crypto), helloPrivateKey: ALICE_PRIVATE };
      const signed = { auth: decodeTransmissionAuth(hex(v.authenticator)), authorized: authorized, corrId: hex(v.nonce) };
      assert.equal(verifyWith(ctx, signed, { alg: 'x25519', raw: BOB_PUBLIC }), true);
      assert.equal(verifyWith(ctx, { ...signed, corrId: new Uint8Array(24) }, { alg: 'x25519', raw: BOB_PUBLIC }), false, 'the corrId is the nonce');
      assert.equal(verifyWith(ctx, signed, { alg: 'ed25519', raw: crypto.ed25519KeyPair().publicKey }), false, 'an authenticator never verifies against a signing key');
    });
  });
});
