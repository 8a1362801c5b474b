/**
 * The conformance suite of the native-layer contract (hal/native-api.ts). Any implementation
 * (the C layer of the device firmware through a harness, or the Node one in node-native.ts)
 * must pass it byte for byte; the suite never names an implementation.
 *
 * Known answers: FIPS 180-4 / FIPS 202 examples, RFC 4231 (HMAC), RFC 5869 A.1 (HKDF-SHA-256),
 * RFC 7914 §11 (PBKDF2-HMAC-SHA-256), RFC 7748 §6 (X25519, X448), RFC 8032 §7.1 and §7.4
 * (Ed25519, Ed448), the GCM specification's test case 16, and the SimpleGo vectors in
 * shared/vectors: ratchet-kdf.json (HKDF-SHA-512 chain step), ratchet-aead.json (16-byte IV),
 * nacl-crypto-box.json (HSalsa20, crypto_box), simplex-secretbox.json (the SimpleX box),
 * sntrup761-kat.json (key generation with its retry, encapsulation, decapsulation, rejection).
 * TLS runs against a local node:tls server configured like an SMP router.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { concatBytes, fromHex, toHex } from '../../../firmware/encoding/bytes';
import { pad } from '../../../firmware/crypto/padding';
import {
  NATIVE_API_VERSION,
  SNTRUP761_ENC_RANDOM_BYTES,
  SNTRUP761_KEYPAIR_RANDOM_BYTES,
  SNTRUP761_RETRY_RANDOM_BYTES,
} from '../../../hal/native-api';
import type { NativeApi, NativeCloseCode, NativeKemKeyPair, NativeTlsSession } from '../../../hal/native-api';
import { readVectorFile } from '../../vectors';
import { makeChain, pem } from '../node/tls-chain';

function h(hex: string): Uint8Array {
  const b = fromHex(hex);
  if (b === null) throw new Error('bad hex in a test vector');
  return b;
}

function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

const hx = toHex;

function plain(b: unknown, length?: number): Uint8Array {
  assert.ok(b instanceof Uint8Array, 'expected a Uint8Array');
  assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype, 'expected a plain Uint8Array');
  if (length !== undefined) assert.equal((b as Uint8Array).length, length);
  return b as Uint8Array;
}

function assertThrowsNamed(fn: () => unknown, name: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, 'expected an Error');
    assert.ok(e.message.startsWith(name), 'message should start with ' + name + ': ' + e.message);
    return true;
  });
}

const RFC7748_X25519 = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

const RFC7748_X448 = {
  alicePrivate: '9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b',
  alicePublic: '9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0',
  bobPublic: '3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609',
  shared: '07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d',
};

const X25519_BASE = h('09' + '00'.repeat(31));
const X448_BASE = h('05' + '00'.repeat(55));

const ED25519_TEST2 = {
  seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  msg: '72',
  sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

const ED448_ONE_OCTET = {
  seed: 'c4eab05d357007c632f3dbb48489924d552b08fe0c353a0d4a1f00acda2c463afbea67c5e8d2877c5e3bc397a659949ef8021e954e0a12274e',
  pub: '43ba28f430cdff456ae531545f7ecd0ac834a55d9358c0372bfa0c6c6798c0866aea01eb00742802b8438ea4cb82169c235160627b4c3a9480',
  msg: '03',
  sig:
    '26b8f91727bd62897af15e41eb43c377efb9c610d48f2335cb0bd0087810f4352541b143c4b981b7e18f62de8ccdf633fc1bf037ab7cd779805e' +
    '0dbcc0aae1cbcee1afb2e027df36bc04dcecbf154336c19f0af7e0a6472905e799f1953d2a0ff3348ab21aa4adafd1d234441cf807c03a00',
};

/** Waits until `cond` holds; fails after `ms` (every wait here is bounded). */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Recorder {
  opened: NativeTlsSession | null;
  data: Uint8Array[];
  closed: { code: NativeCloseCode; message: string } | null;
  order: string[];
}

function recorder(): Recorder & { events: { onOpen(s: NativeTlsSession): void; onData(d: Uint8Array): void; onClose(c: NativeCloseCode, m: string): void } } {
  const r: Recorder = { opened: null, data: [], closed: null, order: [] };
  return Object.assign(r, {
    events: {
      onOpen(s: NativeTlsSession): void {
        r.order.push('open');
        r.opened = s;
      },
      onData(d: Uint8Array): void {
        r.order.push('data');
        r.data.push(new Uint8Array(d));
      },
      onClose(code: NativeCloseCode, message: string): void {
        r.order.push('close');
        r.closed = { code, message };
      },
    },
  });
}

export function describeNativeConformance(name: string, make: () => NativeApi): void {
  describe('native layer "' + name + '": conformance to hal/native-api.ts', () => {
    const n = make();

    it('reports the API version this JavaScript expects', () => {
      assert.equal(n.apiVersion, NATIVE_API_VERSION);
    });

    describe('randomBytes', () => {
      it('returns fresh plain arrays of the requested length, distinct between calls', () => {
        plain(n.randomBytes(0), 0);
        const a = plain(n.randomBytes(32), 32);
        const b = plain(n.randomBytes(32), 32);
        assert.notEqual(hx(a), hx(b));
        plain(n.randomBytes(65536), 65536);
      });
      it('throws on impossible lengths', () => {
        for (const bad of [-1, 1.5, NaN, 65537]) assertThrowsNamed(() => n.randomBytes(bad), 'randomBytes');
      });
    });

    describe('hashes, HMAC, HKDF, PBKDF2', () => {
      it('SHA-256, SHA-512, SHA3-256, SHA3-384 of "abc" (FIPS 180-4, FIPS 202)', () => {
        assert.equal(hx(plain(n.sha256(ascii('abc')), 32)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        assert.equal(
          hx(plain(n.sha512(ascii('abc')), 64)),
          'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
        );
        assert.equal(hx(plain(n.sha3_256(ascii('abc')), 32)), '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
        assert.equal(
          hx(plain(n.sha3_384(ascii('abc')), 48)),
          'ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25',
        );
      });
      it('hashes a view without reading outside it', () => {
        const big = ascii('xxabcxx');
        assert.equal(hx(n.sha256(big.subarray(2, 5))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      });
      it('HMAC with both hashes (RFC 4231 case 2)', () => {
        const key = ascii('Jefe');
        const data = ascii('what do ya want for nothing?');
        assert.equal(hx(plain(n.hmac('sha256', key, data), 32)), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
        assert.equal(
          hx(plain(n.hmac('sha512', key, data), 64)),
          '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
        );
        assertThrowsNamed(() => n.hmac('md5' as 'sha256', key, data), 'hmac');
      });
      it('HKDF-SHA-256 (RFC 5869 A.1) and HKDF-SHA-512 (the ratchet chain step, ratchet-kdf.json)', () => {
        const okm = n.hkdf('sha256', h('000102030405060708090a0b0c'), h('0b'.repeat(22)), h('f0f1f2f3f4f5f6f7f8f9'), 42);
        assert.equal(hx(plain(okm, 42)), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
        const v = readVectorFile('ratchet-kdf').cases.find((c: { name: string }) => c.name === 'chain_kdf_01_20');
        const out = n.hkdf('sha512', new Uint8Array(0), h(v.chain_key), ascii('SimpleXChainRatchet'), 96);
        assert.equal(hx(plain(out, 96)), v.next_chain_key + v.message_key + v.ivs);
      });
      it('HKDF refuses impossible lengths', () => {
        for (const bad of [0, -1, 1.5, 255 * 32 + 1]) assertThrowsNamed(() => n.hkdf('sha256', new Uint8Array(0), ascii('k'), new Uint8Array(0), bad), 'hkdf');
        assertThrowsNamed(() => n.hkdf('sha512', new Uint8Array(0), ascii('k'), new Uint8Array(0), 255 * 64 + 1), 'hkdf');
      });
      it('PBKDF2-HMAC-SHA-256 (RFC 7914 §11) and -SHA-512', () => {
        assert.equal(
          hx(plain(n.pbkdf2('sha256', ascii('passwd'), ascii('salt'), 1, 64), 64)),
          '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
        );
        assert.equal(
          hx(n.pbkdf2('sha512', ascii('password'), ascii('salt'), 1, 64)),
          '867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce',
        );
      });
      it('PBKDF2 refuses impossible iteration counts and lengths', () => {
        for (const bad of [0, -1, 1.5, 10000001]) assertThrowsNamed(() => n.pbkdf2('sha512', ascii('p'), ascii('s'), bad, 32), 'pbkdf2');
        for (const bad of [0, 1025]) assertThrowsNamed(() => n.pbkdf2('sha512', ascii('p'), ascii('s'), 1, bad), 'pbkdf2');
      });
    });

    describe('X25519 and X448 (RFC 7748)', () => {
      it('public keys from the base point and the shared secret both ways', () => {
        const a = h(RFC7748_X25519.alicePrivate);
        assert.equal(hx(plain(n.x25519(a, X25519_BASE), 32)), RFC7748_X25519.alicePublic);
        assert.equal(hx(n.x25519(a, h(RFC7748_X25519.bobPublic))), RFC7748_X25519.shared);
        assert.equal(hx(n.x25519(h(RFC7748_X25519.bobPrivate), h(RFC7748_X25519.alicePublic))), RFC7748_X25519.shared);
        const a448 = h(RFC7748_X448.alicePrivate);
        assert.equal(hx(plain(n.x448(a448, X448_BASE), 56)), RFC7748_X448.alicePublic);
        assert.equal(hx(n.x448(a448, h(RFC7748_X448.bobPublic))), RFC7748_X448.shared);
      });
      it('returns the raw all-zero result for a low-order point (rejecting it is the caller\'s job)', () => {
        assert.equal(hx(n.x25519(h(RFC7748_X25519.alicePrivate), new Uint8Array(32))), '00'.repeat(32));
        assert.equal(hx(n.x448(h(RFC7748_X448.alicePrivate), new Uint8Array(56))), '00'.repeat(56));
      });
      it('throws on wrong sizes', () => {
        assertThrowsNamed(() => n.x25519(new Uint8Array(31), X25519_BASE), 'x25519');
        assertThrowsNamed(() => n.x25519(new Uint8Array(32), new Uint8Array(56)), 'x25519');
        assertThrowsNamed(() => n.x448(new Uint8Array(32), X448_BASE), 'x448');
      });
    });

    describe('Ed25519 and Ed448 (RFC 8032)', () => {
      it('Ed25519 test 2: public key, signature, verification; tampering is false', () => {
        const v = ED25519_TEST2;
        assert.equal(hx(plain(n.ed25519PublicKey(h(v.seed)), 32)), v.pub);
        const sig = plain(n.ed25519Sign(h(v.seed), h(v.msg)), 64);
        assert.equal(hx(sig), v.sig);
        assert.equal(n.ed25519Verify(h(v.pub), h(v.msg), sig), true);
        assert.equal(n.ed25519Verify(h(v.pub), h('73'), sig), false);
        const bad = new Uint8Array(sig);
        bad[10] ^= 1;
        assert.equal(n.ed25519Verify(h(v.pub), h(v.msg), bad), false);
      });
      it('Ed25519 verify is false, never an exception, for malformed keys and signatures and the identity key', () => {
        const v = ED25519_TEST2;
        assert.equal(n.ed25519Verify(h(v.pub).subarray(0, 31), h(v.msg), h(v.sig)), false);
        assert.equal(n.ed25519Verify(h(v.pub), h(v.msg), h(v.sig).subarray(0, 63)), false);
        // The identity point (y = 1): a key anyone can sign for.
        assert.equal(n.ed25519Verify(h('01' + '00'.repeat(31)), h(v.msg), h(v.sig)), false);
      });
      it('Ed448 "1 octet": public key, signature, verification; tampering is false', () => {
        const v = ED448_ONE_OCTET;
        assert.equal(hx(plain(n.ed448PublicKey(h(v.seed)), 57)), v.pub);
        const sig = plain(n.ed448Sign(h(v.seed), h(v.msg)), 114);
        assert.equal(hx(sig), v.sig);
        assert.equal(n.ed448Verify(h(v.pub), h(v.msg), sig), true);
        assert.equal(n.ed448Verify(h(v.pub), h('04'), sig), false);
        assert.equal(n.ed448Verify(h(v.pub), h(v.msg), sig.subarray(0, 113)), false);
      });
      it('signing throws on a wrong-size seed', () => {
        assertThrowsNamed(() => n.ed25519Sign(new Uint8Array(64), ascii('m')), 'ed25519Sign');
        assertThrowsNamed(() => n.ed448Sign(new Uint8Array(56), ascii('m')), 'ed448Sign');
        assertThrowsNamed(() => n.ed448PublicKey(new Uint8Array(32)), 'ed448PublicKey');
      });
    });

    describe('AES-256-GCM', () => {
      it('GCM test case 16 (96-bit IV, AAD), sealed and opened', () => {
        const key = h('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
        const iv = h('cafebabefacedbaddecaf888');
        const pt = h('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
        const aad = h('feedfacedeadbeeffeedfacedeadbeefabaddad2');
        const box = plain(n.aes256GcmSeal(key, iv, pt, aad), 16 + pt.length);
        assert.equal(
          hx(box),
          '76fc6ece0f4e1768cddf8853bb2d551b' +
            '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
        );
        assert.equal(hx(plain(n.aes256GcmOpen(key, iv, box, aad))), hx(pt));
      });
      it('16-byte IV over pad(plaintext, 64) (ratchet-aead.json)', () => {
        const v = readVectorFile('ratchet-aead').cases[0];
        const box = n.aes256GcmSeal(h(v.key), h(v.iv), pad(h(v.plaintext), v.padded_len), h(v.associated_data));
        assert.equal(hx(box), v.tag_and_ciphertext);
      });
      it('open is null for a changed tag, ciphertext, AAD or IV and for a box shorter than a tag', () => {
        const v = readVectorFile('ratchet-aead').cases[0];
        const key = h(v.key);
        const iv = h(v.iv);
        const aad = h(v.associated_data);
        const box = h(v.tag_and_ciphertext);
        for (const i of [0, 15, 16, box.length - 1]) {
          const bad = new Uint8Array(box);
          bad[i] ^= 1;
          assert.equal(n.aes256GcmOpen(key, iv, bad, aad), null);
        }
        assert.equal(n.aes256GcmOpen(key, iv, box, ascii('other')), null);
        assert.equal(n.aes256GcmOpen(key, h(v.iv.slice(2) + '00'), box, aad), null);
        assert.equal(n.aes256GcmOpen(key, iv, box.subarray(0, 15), aad), null);
      });
      it('throws on a wrong key size and an IV outside 12..128 bytes', () => {
        assertThrowsNamed(() => n.aes256GcmSeal(new Uint8Array(16), new Uint8Array(12), ascii('x'), new Uint8Array(0)), 'aes256GcmSeal');
        assertThrowsNamed(() => n.aes256GcmSeal(new Uint8Array(32), new Uint8Array(11), ascii('x'), new Uint8Array(0)), 'aes256GcmSeal');
        assertThrowsNamed(() => n.aes256GcmOpen(new Uint8Array(32), new Uint8Array(129), new Uint8Array(32), new Uint8Array(0)), 'aes256GcmOpen');
      });
    });

    describe('HSalsa20, secretbox, crypto_box and the SimpleX box', () => {
      const nacl = readVectorFile('nacl-crypto-box');
      const find = (name: string) => nacl.cases.find((c: { name: string }) => c.name === name);
      it('HSalsa20(K, 0^16) is the NaCl "firstkey" (nacl-crypto-box.json)', () => {
        const v = find('hsalsa20_firstkey');
        assert.equal(hx(plain(n.hsalsa20(h(v.dh_secret), h(v.hsalsa20_nonce)), 32)), v.output);
      });
      it('crypto_box from fixed X25519 keys (per_queue_box), opened by the other side', () => {
        const v = find('per_queue_box');
        const senderPrivate = h(v.sender_private);
        const receiverPrivate = h(v.receiver_private);
        const senderPublic = n.x25519(senderPrivate, X25519_BASE);
        const receiverPublic = n.x25519(receiverPrivate, X25519_BASE);
        const msg = pad(h(v.message), v.padded_len);
        const box = n.cryptoBoxSeal(receiverPublic, senderPrivate, h(v.nonce), msg);
        assert.equal(hx(box), v.box);
        assert.equal(hx(plain(n.cryptoBoxOpen(senderPublic, receiverPrivate, h(v.nonce), box))), hx(msg));
        const bad = new Uint8Array(box);
        bad[0] ^= 1;
        assert.equal(n.cryptoBoxOpen(senderPublic, receiverPrivate, h(v.nonce), bad), null);
        assertThrowsNamed(() => n.cryptoBoxSeal(new Uint8Array(32), senderPrivate, h(v.nonce), msg), 'cryptoBoxSeal');
      });
      it('secretbox = the SimpleX box under HSalsa20(key, 0^16) (simplex-secretbox.json)', () => {
        const v = readVectorFile('simplex-secretbox').cases[0];
        const msg = pad(h(v.message), v.padded_len);
        assert.equal(hx(n.sbSeal(h(v.key), h(v.nonce), msg)), v.box);
        const k = n.hsalsa20(h(v.key), new Uint8Array(16));
        assert.equal(hx(n.secretboxSeal(k, h(v.nonce), msg)), v.box);
        assert.equal(hx(plain(n.sbOpen(h(v.key), h(v.nonce), h(v.box)))), hx(msg));
        assert.equal(hx(plain(n.secretboxOpen(k, h(v.nonce), h(v.box)))), hx(msg));
      });
      it('open is null for tampering and for a box shorter than a tag; sizes are checked', () => {
        const v = readVectorFile('simplex-secretbox').cases[0];
        const box = h(v.box);
        const bad = new Uint8Array(box);
        bad[box.length - 1] ^= 1;
        assert.equal(n.sbOpen(h(v.key), h(v.nonce), bad), null);
        assert.equal(n.sbOpen(h(v.key), h(v.nonce), box.subarray(0, 15)), null);
        assertThrowsNamed(() => n.secretboxSeal(new Uint8Array(32), new Uint8Array(12), ascii('x')), 'secretboxSeal');
        assertThrowsNamed(() => n.sbOpen(new Uint8Array(31), new Uint8Array(24), box), 'sbOpen');
      });
    });

    describe('sntrup761 (sntrup761-kat.json)', () => {
      const kat = readVectorFile('sntrup761-kat');
      it('KAT count 0: key pair from the given randomness, encapsulation, decapsulation', () => {
        const v = kat.cases[0];
        const random = h(v.keypair_random);
        assert.equal(random.length, SNTRUP761_KEYPAIR_RANDOM_BYTES);
        const kp = n.sntrup761KeyPair(random) as NativeKemKeyPair;
        assert.notEqual(kp, null);
        assert.equal(hx(plain(kp.publicKey, 1158)), v.pk);
        assert.equal(hx(plain(kp.secretKey, 1763)), v.sk);
        const enc = n.sntrup761Encapsulate(h(v.pk), h(v.enc_random));
        assert.equal(hx(plain(enc.ciphertext, 1039)), v.ct);
        assert.equal(hx(plain(enc.sharedSecret, 32)), v.ss);
        assert.equal(hx(plain(n.sntrup761Decapsulate(h(v.sk), h(v.ct)), 32)), v.ss);
      });
      it('key generation retry: null on the first 6279 bytes, the vector with 3044 more', () => {
        const r = kat.keygen_retry_case;
        const random = h(r.keypair_random);
        assert.equal(random.length, SNTRUP761_KEYPAIR_RANDOM_BYTES + SNTRUP761_RETRY_RANDOM_BYTES);
        assert.equal(n.sntrup761KeyPair(random.subarray(0, SNTRUP761_KEYPAIR_RANDOM_BYTES)), null);
        const kp = n.sntrup761KeyPair(random) as NativeKemKeyPair;
        assert.equal(hx(kp.publicKey), r.pk);
        assert.equal(hx(kp.secretKey), r.sk);
      });
      it('the asynchronous key pair answers on a later turn with the same result', async () => {
        const v = kat.cases[0];
        let sync = true;
        const result = await new Promise<NativeKemKeyPair | null>((resolve) => {
          n.sntrup761KeyPairAsync(h(v.keypair_random), (pair) => {
            assert.equal(sync, false, 'done must not run inside the call');
            resolve(pair);
          });
          sync = false;
        });
        assert.notEqual(result, null);
        assert.equal(hx((result as NativeKemKeyPair).publicKey), v.pk);
      });
      it('implicit rejection: a tampered ciphertext yields the rejection secret', () => {
        const r = kat.rejection_cases[0];
        const base = kat.cases[r.count];
        assert.equal(hx(n.sntrup761Decapsulate(h(base.sk), h(r.ct_tampered))), r.ss_reject);
      });
      it('throws on wrong sizes, including encapsulation randomness', () => {
        const v = kat.cases[0];
        assertThrowsNamed(() => n.sntrup761Encapsulate(h(v.pk).subarray(0, 1157), h(v.enc_random)), 'sntrup761Encapsulate');
        assertThrowsNamed(() => n.sntrup761Encapsulate(h(v.pk), new Uint8Array(SNTRUP761_ENC_RANDOM_BYTES - 1)), 'sntrup761Encapsulate');
        assertThrowsNamed(() => n.sntrup761Decapsulate(h(v.sk), concatBytes([h(v.ct), new Uint8Array(1)])), 'sntrup761Decapsulate');
      });
    });

    describe('TLS 1.3 socket', () => {
      const servers: tls.Server[] = [];
      afterEach(async () => {
        while (servers.length > 0) {
          const s = servers.pop() as tls.Server;
          await new Promise<void>((resolve) => s.close(() => resolve()));
        }
      });

      async function router(onSecure: (s: tls.TLSSocket) => void): Promise<{ port: number; chain: Uint8Array[]; finished: Buffer[]; sni: string[] }> {
        const chain = makeChain('ed25519');
        const finished: Buffer[] = [];
        const sni: string[] = [];
        const server = tls.createServer({
          key: chain.keyPem,
          cert: pem('CERTIFICATE', chain.leaf) + pem('CERTIFICATE', chain.ca),
          minVersion: 'TLSv1.3',
          ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
          ecdhCurve: 'X448:X25519',
          sigalgs: 'ed25519:ed448',
          ALPNProtocols: ['smp/1'],
          SNICallback: (servername, cb) => {
            sni.push(servername);
            cb(null, undefined);
          },
        });
        server.on('secureConnection', (s: tls.TLSSocket) => {
          const f = s.getPeerFinished();
          if (f !== undefined) finished.push(f);
          s.on('error', () => undefined);
          onSecure(s);
        });
        server.on('tlsClientError', () => undefined);
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
        return { port: (server.address() as AddressInfo).port, chain: [chain.leaf, chain.ca], finished, sni };
      }

      it('opens with TLS 1.3, smp/1, the chain as sent, tls-unique = the client Finished, and no SNI', async () => {
        const srv = await router((s) => s.on('data', (d: Buffer) => s.write(d)));
        const r = recorder();
        let insideCall = true;
        const conn = n.tlsConnect('127.0.0.1', srv.port, ['smp/1'], 5000, {
          onOpen: (s) => {
            assert.equal(insideCall, false, 'onOpen must come from the event loop');
            r.events.onOpen(s);
          },
          onData: r.events.onData,
          onClose: r.events.onClose,
        });
        insideCall = false;
        await waitFor(() => r.opened !== null || r.closed !== null, 5000, 'the handshake');
        const s = r.opened as NativeTlsSession;
        assert.notEqual(s, null, 'closed instead: ' + JSON.stringify(r.closed));
        assert.equal(s.protocol, 'TLSv1.3');
        assert.equal(s.alpn, 'smp/1');
        assert.deepEqual(s.peerCertificates.map((c) => hx(c)), srv.chain.map((c) => hx(c)));
        await waitFor(() => srv.finished.length === 1, 2000, 'the server side');
        assert.equal(hx(plain(s.tlsUnique, 32)), hx(new Uint8Array(srv.finished[0])));
        assert.deepEqual(srv.sni, [], 'no server_name may be sent');
        conn.write(ascii('ping'));
        await waitFor(() => Buffer.concat(r.data).toString() === 'ping', 2000, 'the echo');
        conn.close();
        await waitFor(() => r.closed !== null, 3000, 'onClose');
        assert.equal(r.closed!.code, '');
        assert.deepEqual(r.order.filter((e, i, a) => e !== 'data' || a[i - 1] !== 'data'), ['open', 'data', 'close']);
      });

      it('reports the peer closing, exactly once', async () => {
        const srv = await router((s) => s.end(Buffer.from('bye')));
        const r = recorder();
        const conn = n.tlsConnect('127.0.0.1', srv.port, ['smp/1'], 5000, r.events);
        await waitFor(() => r.closed !== null, 5000, 'onClose');
        assert.equal(r.closed!.code, '');
        assert.equal(Buffer.concat(r.data).toString(), 'bye');
        conn.close();
        conn.write(ascii('late'));
        await new Promise((res) => setTimeout(res, 50));
        assert.equal(r.order.filter((e) => e === 'close').length, 1);
      });

      it('a refused connection closes with "refused" and never opens', async () => {
        const probe = net.createServer();
        await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
        const port = (probe.address() as AddressInfo).port;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        const r = recorder();
        n.tlsConnect('127.0.0.1', port, ['smp/1'], 5000, r.events);
        await waitFor(() => r.closed !== null, 5000, 'onClose');
        assert.equal(r.closed!.code, 'refused');
        assert.equal(r.opened, null);
      });

      it('a server that never answers the handshake closes with "timeout"', async () => {
        const accepted: net.Socket[] = [];
        const silent = net.createServer((s) => {
          accepted.push(s);
          s.on('error', () => undefined);
        });
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
        try {
          const r = recorder();
          n.tlsConnect('127.0.0.1', (silent.address() as AddressInfo).port, ['smp/1'], 200, r.events);
          await waitFor(() => r.closed !== null, 3000, 'onClose');
          assert.equal(r.closed!.code, 'timeout');
          assert.equal(r.opened, null);
        } finally {
          for (const s of accepted) s.destroy();
          await new Promise<void>((resolve) => silent.close(() => resolve()));
        }
      });

      it('closing before the handshake completes still ends with exactly one onClose and no onOpen', async () => {
        const srv = await router(() => undefined);
        const r = recorder();
        const conn = n.tlsConnect('127.0.0.1', srv.port, ['smp/1'], 5000, r.events);
        conn.close();
        await waitFor(() => r.closed !== null, 3000, 'onClose');
        await new Promise((res) => setTimeout(res, 100));
        assert.equal(r.opened, null);
        assert.equal(r.order.filter((e) => e === 'close').length, 1);
      });

      it('throws on invalid arguments', () => {
        const r = recorder();
        assertThrowsNamed(() => n.tlsConnect('', 443, ['smp/1'], 1000, r.events), 'tlsConnect');
        assertThrowsNamed(() => n.tlsConnect('127.0.0.1', 0, ['smp/1'], 1000, r.events), 'tlsConnect');
        assertThrowsNamed(() => n.tlsConnect('127.0.0.1', 70000, ['smp/1'], 1000, r.events), 'tlsConnect');
      });
    });
  });
}
