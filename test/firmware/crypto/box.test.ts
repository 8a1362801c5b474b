import assert from 'node:assert/strict';
import { CryptoError } from '../../../hal/crypto';
import type { Crypto } from '../../../hal/crypto';
import type { Random } from '../../../hal/random';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import {
  AUTHENTICATOR_LENGTH,
  cbAuthenticate,
  cbDecrypt,
  cbDecryptNoPad,
  cbEncrypt,
  cbEncryptNoPad,
  cbNonce,
  cbVerify,
  cryptoBox,
  cryptoBoxOpen,
  reverseNonce,
  sbDecrypt,
  sbDecryptNoPad,
  sbEncrypt,
  sbEncryptNoPad,
} from '../../../firmware/crypto/box';
import { PaddingError } from '../../../firmware/crypto/padding';
import { concatBytes } from '../../../firmware/encoding/bytes';
import {
  RFC7748_X25519,
  X25519_LOW_ORDER_ALL,
  ascii,
  assertCryptoError,
  h,
  hx,
  seededRandom,
  vectorCase,
  vectors,
} from '../../hal/crypto-suite';

const BACKENDS: { name: string; make: (random: Random) => Crypto }[] = [
  { name: 'portable', make: createPortableCrypto },
  { name: 'node', make: createNodeCrypto },
];

function flip(b: Uint8Array, index: number): Uint8Array {
  const out = b.slice();
  out[index] ^= 1;
  return out;
}

function assertPaddingError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof PaddingError && e.code === code);
}

for (const backend of BACKENDS) {
  describe('firmware/crypto/box on the ' + backend.name + ' backend', () => {
    const c = backend.make(seededRandom('box-test'));
    const K = h(RFC7748_X25519.shared);
    const nacl = vectors('nacl-crypto-box');
    const auth = vectors('smp-command-auth');
    const msgBody = vectors('smp-msg-body');

    describe('cbEncrypt / cbDecrypt: standard crypto_box (nacl-crypto-box.json)', () => {
      it('cbEncrypt(K, nonce, "hello", 32), with K from the RFC 7748 §6.1 private keys', () => {
        const v = vectorCase(nacl, 'cbencrypt_rfc7748');
        const k = c.x25519(h(RFC7748_X25519.bobPrivate), h(v.alice_public));
        assert.equal(hx(k), v.dh_secret);
        const box = cbEncrypt(c, k, h(v.nonce), h(v.message), v.padded_len);
        assert.equal(box.length, v.padded_len + 16);
        assert.equal(hx(box), v.box);
        // Alice opens with her side of the DH.
        const k2 = c.x25519(h(RFC7748_X25519.alicePrivate), h(RFC7748_X25519.bobPublic));
        const opened = cbDecrypt(c, k2, h(v.nonce), h(v.box));
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.message);
      });

      it('per-queue e2e box from fixed private keys 01×32 → 02×32', () => {
        const v = vectorCase(nacl, 'per_queue_box');
        const senderPriv = h(v.sender_private);
        const receiverPriv = h(v.receiver_private);
        const senderSecret = c.x25519(senderPriv, c.x25519PublicKey(receiverPriv));
        const box = cbEncrypt(c, senderSecret, h(v.nonce), h(v.message), v.padded_len);
        assert.equal(hx(box), v.box);
        const receiverSecret = c.x25519(receiverPriv, c.x25519PublicKey(senderPriv));
        const opened = cbDecrypt(c, receiverSecret, h(v.nonce), box);
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.message);
      });

      it('cryptoBox without padding is the same box over the raw bytes', () => {
        const v = vectorCase(nacl, 'cbencrypt_rfc7748');
        const padded = concatBytes([h('0005'), h(v.message), new Uint8Array(25).fill(0x23)]);
        assert.equal(hx(cryptoBox(c, K, h(v.nonce), padded)), v.box);
        assert.equal(hx(cbEncryptNoPad(c, K, h(v.nonce), padded)), v.box);
        const opened = cbDecryptNoPad(c, K, h(v.nonce), h(v.box));
        assert.ok(opened !== null);
        assert.equal(hx(opened), hx(padded));
        assert.equal(hx(cryptoBoxOpen(c, K, h(v.nonce), h(v.box)) as Uint8Array), hx(padded));
      });

      it('every message length pads to the same box length, and round-trips (including empty)', () => {
        const nonce = cbNonce(ascii('nonce'));
        for (const len of [0, 1, 29, 30]) {
          const msg = new Uint8Array(len).fill(0x41 + len);
          const box = cbEncrypt(c, K, nonce, msg, 32);
          assert.equal(box.length, 48);
          const opened = cbDecrypt(c, K, nonce, box);
          assert.ok(opened !== null);
          assert.equal(hx(opened), hx(msg));
        }
      });
    });

    describe('the SMP server → recipient layers (smp-msg-body.json)', () => {
      it('MSG body: cbEncrypt(K, cbNonce(msgId), ts ‖ T ‖ SP ‖ body, 16106) is 16122 bytes with the given digest', () => {
        const v = vectorCase(msgBody, 'msg_body');
        const ts = new Uint8Array(8);
        new DataView(ts.buffer).setUint32(4, v.ts);
        const plaintext = concatBytes([ts, ascii(v.notification ? 'T' : 'F'), ascii(' '), h(v.body)]);
        assert.equal(hx(plaintext), v.plaintext);
        const enc = cbEncrypt(c, h(v.dh_secret), cbNonce(h(v.msg_id)), plaintext, v.padded_len);
        assert.equal(enc.length, v.enc_body_len);
        assert.equal(hx(enc.subarray(0, 32)), v.enc_body_first_32);
        assert.equal(hx(c.sha256(enc)), v.enc_body_sha256);
        const opened = cbDecrypt(c, K, cbNonce(h(v.msg_id)), enc);
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.plaintext);
      });

      it('NMSG metadata: cbEncrypt(K, nonce, short(msgId) ‖ ts, 128) is 144 bytes with the given digest', () => {
        const v = vectorCase(msgBody, 'nmsg_meta');
        const enc = cbEncrypt(c, h(v.dh_secret), h(v.nonce), h(v.plaintext), v.padded_len);
        assert.equal(enc.length, v.enc_meta_len);
        assert.equal(hx(c.sha256(enc)), v.enc_meta_sha256);
        const opened = cbDecrypt(c, K, h(v.nonce), enc);
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.plaintext);
      });
    });

    describe('sbEncrypt / sbDecrypt: the SimpleX symmetric box', () => {
      it('sbEncrypt(key, nonce, "hello", 32) (simplex-secretbox.json)', () => {
        const v = vectorCase(vectors('simplex-secretbox'), 'sbencrypt_hello_32');
        const box = sbEncrypt(c, h(v.key), h(v.nonce), h(v.message), v.padded_len);
        assert.equal(hx(box), v.box);
        const opened = sbDecrypt(c, h(v.key), h(v.nonce), box);
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.message);
        // It is not plain crypto_secretbox(key): that box does not open here.
        const plainSecretbox = c.xsalsa20Poly1305Seal(h(v.key), h(v.nonce), h(v.message));
        assert.equal(sbDecryptNoPad(c, h(v.key), h(v.nonce), plainSecretbox), null);
      });

      it("the client's first encrypted transport block (smp-block-encryption.json)", () => {
        const v = vectorCase(vectors('smp-block-encryption'), 'client_first_block_ping');
        const block = sbEncrypt(c, h(v.sb_key), h(v.nonce), h(v.block_content), v.padded_len);
        assert.equal(block.length, v.encrypted_block_len);
        assert.equal(hx(block.subarray(0, 32)), v.encrypted_block_first_32);
        assert.equal(hx(c.sha256(block)), v.encrypted_block_sha256);
        const opened = sbDecrypt(c, h(v.sb_key), h(v.nonce), block);
        assert.ok(opened !== null);
        assert.equal(hx(opened), v.block_content);
      });

      it('NoPad variants round-trip and equal cryptoBox', () => {
        const key = c.sha256(ascii('sb key'));
        const nonce = cbNonce(ascii('n'));
        const msg = ascii('link data');
        const box = sbEncryptNoPad(c, key, nonce, msg);
        assert.equal(hx(box), hx(cryptoBox(c, key, nonce, msg)));
        assert.equal(box.length, msg.length + 16);
        assert.equal(hx(sbDecryptNoPad(c, key, nonce, box) as Uint8Array), hx(msg));
      });
    });

    describe('decryption failures', () => {
      const v = vectorCase(nacl, 'cbencrypt_rfc7748');
      const nonce = h(v.nonce);
      const box = h(v.box);

      it('returns null for a changed tag, ciphertext, nonce or key, and for truncated input', () => {
        assert.equal(cbDecrypt(c, K, nonce, flip(box, 0)), null);
        assert.equal(cbDecrypt(c, K, nonce, flip(box, 15)), null);
        assert.equal(cbDecrypt(c, K, nonce, flip(box, 16)), null);
        assert.equal(cbDecrypt(c, K, nonce, flip(box, box.length - 1)), null);
        assert.equal(cbDecrypt(c, K, flip(nonce, 0), box), null);
        assert.equal(cbDecrypt(c, K, reverseNonce(nonce), box), null);
        assert.equal(cbDecrypt(c, flip(K, 31), nonce, box), null);
        assert.equal(cbDecrypt(c, K, nonce, box.subarray(0, box.length - 1)), null);
        assert.equal(cbDecrypt(c, K, nonce, box.subarray(0, 16)), null);
        assert.equal(cbDecrypt(c, K, nonce, box.subarray(0, 15)), null);
        assert.equal(cbDecrypt(c, K, nonce, new Uint8Array(0)), null);
        assert.equal(sbDecrypt(c, K, nonce, flip(box, 20)), null);
      });

      it('throws PaddingError(bad-padding) when an authentic plaintext has an impossible length', () => {
        const forged = cbEncryptNoPad(c, K, nonce, h('ffff2323'));
        assertPaddingError(() => cbDecrypt(c, K, nonce, forged), 'bad-padding');
        const tooShort = cbEncryptNoPad(c, K, nonce, h('00'));
        assertPaddingError(() => sbDecrypt(c, K, nonce, tooShort), 'bad-padding');
        // ...while the same bytes open fine without the padding layer.
        assert.equal(hx(cbDecryptNoPad(c, K, nonce, forged) as Uint8Array), 'ffff2323');
      });

      it('refuses to encrypt a message that does not fit the padded size', () => {
        assertPaddingError(() => cbEncrypt(c, K, nonce, new Uint8Array(31), 32), 'message-too-large');
        assertPaddingError(() => sbEncrypt(c, K, nonce, new Uint8Array(65534), 70000), 'message-too-large');
      });

      it('rejects wrong key and nonce sizes with CryptoError(bad-length)', () => {
        assertCryptoError(() => cbEncrypt(c, K.subarray(0, 31), nonce, ascii('x'), 32), 'bad-length');
        assertCryptoError(() => cbEncrypt(c, K, nonce.subarray(0, 23), ascii('x'), 32), 'bad-length');
        assertCryptoError(() => cbDecrypt(c, new Uint8Array(56), nonce, box), 'bad-length');
        assertCryptoError(() => sbDecrypt(c, K, new Uint8Array(25), box), 'bad-length');
      });
    });

    describe('nonces (smp-nonce-and-ids.json)', () => {
      it('reverseNonce reverses the 24 bytes', () => {
        const v = vectorCase(vectors('smp-nonce-and-ids'), 'reverse_nonce');
        assert.equal(hx(reverseNonce(h(v.nonce))), v.reversed);
        assert.equal(hx(reverseNonce(h(v.reversed))), v.nonce);
        assertCryptoError(() => reverseNonce(new Uint8Array(23)), 'bad-length');
        assertCryptoError(() => reverseNonce(new Uint8Array(25)), 'bad-length');
      });

      it('cbNonce truncates longer input to 24 bytes and zero-pads shorter input on the right', () => {
        const id = h('0102030405060708090a0b0c0d0e0f101112131415161718');
        assert.equal(hx(cbNonce(id)), hx(id));
        assert.notEqual(cbNonce(id), id, 'a fresh array');
        assert.equal(hx(cbNonce(concatBytes([id, h('1920')]))), hx(id));
        assert.equal(hx(cbNonce(h('0102'))), '0102' + '00'.repeat(22));
        assert.equal(hx(cbNonce(new Uint8Array(0))), '00'.repeat(24));
      });
    });

    describe('cbAuthenticate / cbVerify (smp-command-auth.json)', () => {
      const authorized = h(vectorCase(auth, 'authorized_bytes_sub').authorized);
      const v = vectorCase(auth, 'x25519_authenticator_sub');
      const corrId = h(auth.common_inputs.corr_id);
      const clientPriv = h(RFC7748_X25519.alicePrivate);
      const clientPub = h(RFC7748_X25519.alicePublic);
      const serverPriv = h(RFC7748_X25519.bobPrivate);
      const serverPub = h(RFC7748_X25519.bobPublic);

      it('the authorized bytes are short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command', () => {
        const ci = auth.common_inputs;
        const short = (x: string): Uint8Array => concatBytes([new Uint8Array([x.length / 2]), h(x)]);
        assert.equal(
          hx(concatBytes([short(ci.session_id), short(ci.corr_id), short(ci.entity_id), h(ci.command)])),
          hx(authorized),
        );
      });

      it('cbAuthenticate gives the 80-byte authenticator (client = Alice, server = Bob)', () => {
        const a = cbAuthenticate(c, serverPub, clientPriv, corrId, authorized);
        assert.equal(a.length, AUTHENTICATOR_LENGTH);
        assert.equal(hx(a), v.authenticator);
        assert.equal(hx(h(v.nonce)), hx(cbNonce(corrId)));
      });

      it('cbVerify accepts it on the server side and refuses any change', () => {
        const a = h(v.authenticator);
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, a), true);
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, flip(a, 0)), false, 'tag');
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, flip(a, 79)), false, 'body');
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, flip(authorized, 40), a), false, 'authorized');
        assert.equal(cbVerify(c, clientPub, serverPriv, flip(corrId, 0), authorized, a), false, 'corrId');
        assert.equal(cbVerify(c, c.x25519PublicKey(c.sha256(ascii('other'))), serverPriv, corrId, authorized, a), false, 'key');
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, a.subarray(0, 79)), false, 'short');
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, concatBytes([a, new Uint8Array(1)])), false, 'long');
        assert.equal(cbVerify(c, clientPub, serverPriv, corrId, authorized, new Uint8Array(80)), false, 'zeros');
      });

      it('a low-order key: cbAuthenticate throws weak-key, cbVerify returns false', () => {
        for (const u of X25519_LOW_ORDER_ALL) {
          assertCryptoError(() => cbAuthenticate(c, h(u), clientPriv, corrId, authorized), 'weak-key');
          assert.equal(cbVerify(c, h(u), serverPriv, corrId, authorized, h(v.authenticator)), false);
        }
      });

      it('cbVerify still reports programming errors (wrong key size) as CryptoError', () => {
        assert.throws(
          () => cbVerify(c, new Uint8Array(31), serverPriv, corrId, authorized, h(v.authenticator)),
          (e: unknown) => e instanceof CryptoError && e.code === 'bad-length',
        );
      });
    });
  });
}
