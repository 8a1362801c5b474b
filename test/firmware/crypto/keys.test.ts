import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { decodePublicKey, decodePublicKeyOf, encodePublicKey, publicKeyDerLength, type PublicKeyAlgorithm } from '../../../firmware/crypto/keys';
import { decodeBase64, decodeBase64Url } from '../../../firmware/encoding/base64';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';

const ALGS: PublicKeyAlgorithm[] = ['ed25519', 'x25519', 'ed448', 'x448'];

/** The vector's entry for an algorithm: prefix, raw length, total length. */
function prefixCase(alg: PublicKeyAlgorithm): { prefix: string; raw_key_len: number; total_len: number } {
  return vectorCase('encoding.json', 'spki_prefix_' + alg);
}

/** A real key pair from Node's OpenSSL: its SPKI DER and its raw public key (from the JWK). */
function nodeKey(alg: PublicKeyAlgorithm): { der: Uint8Array; raw: Uint8Array } {
  const { publicKey } = nodeCrypto.generateKeyPairSync(alg as 'ed25519');
  const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return { der, raw: decodeBase64Url(jwk.x) };
}

describe('public keys as SubjectPublicKeyInfo DER', () => {
  it('uses exactly the prefixes and lengths of encoding.json / smp.md §1', () => {
    for (const alg of ALGS) {
      const v = prefixCase(alg);
      const raw = new Uint8Array(v.raw_key_len).fill(0xa5);
      const der = encodePublicKey(alg, raw);
      assert.equal(der.length, v.total_len);
      assert.equal(publicKeyDerLength(alg), v.total_len);
      assert.equal(toHex(der.subarray(0, 12)), v.prefix, alg);
      assert.deepEqual(der.subarray(12), raw);
      assert.deepEqual(decodePublicKey(der), { alg, raw });
      assert.deepEqual(decodePublicKeyOf(alg, der), raw);
    }
  });

  it('decodes the simplexmq sample keys (standard base64) and re-encodes them exactly', () => {
    const cases: Array<[string, PublicKeyAlgorithm]> = [
      ['sample_ed25519_spki', 'ed25519'],
      ['sample_x25519_spki', 'x25519'],
    ];
    for (const [name, alg] of cases) {
      const v = vectorCase('encoding.json', name);
      const der = decodeBase64(v.base64, 'standard');
      assert.equal(toHex(der), v.der);
      const key = decodePublicKey(der);
      assert.equal(key.alg, alg);
      assert.equal(toHex(key.raw), v.der.slice(24));
      assert.deepEqual(encodePublicKey(key.alg, key.raw), der);
    }
  });

  it('decodes the X25519 and X448 keys of the invitation link vector', () => {
    const v = vectorCase('connection-request-uri.json', 'invitation_worked_example');
    const dh = decodePublicKey(hex(v.queue.dh_x25519_spki));
    assert.equal(dh.alg, 'x25519');
    const x3dh = decodePublicKey(hex(v.e2e.x3dh_key1_x448_spki));
    assert.equal(x3dh.alg, 'x448');
    assert.equal(x3dh.raw.length, 56);
    assert.deepEqual(encodePublicKey('x448', x3dh.raw), hex(v.e2e.x3dh_key1_x448_spki));
  });

  it('matches Node/OpenSSL SPKI for real keys of all four algorithms', () => {
    for (const alg of ALGS) {
      for (let i = 0; i < 5; i++) {
        const { der, raw } = nodeKey(alg);
        assert.deepEqual(decodePublicKey(der), { alg, raw });
        assert.deepEqual(encodePublicKey(alg, raw), der);
        // And OpenSSL accepts what we encode as the same key.
        const back = nodeCrypto.createPublicKey({ key: Buffer.from(encodePublicKey(alg, raw)), format: 'der', type: 'spki' });
        assert.equal(back.asymmetricKeyType, alg);
      }
    }
  });

  it('returns a copy of the raw key, independent of the input buffer', () => {
    const der = encodePublicKey('x25519', new Uint8Array(32).fill(1));
    const key = decodePublicKey(der);
    der.fill(0);
    assert.deepEqual(key.raw, new Uint8Array(32).fill(1));
  });

  it('refuses raw keys of the wrong length on encode', () => {
    for (const alg of ALGS) {
      const n = prefixCase(alg).raw_key_len;
      for (const bad of [0, n - 1, n + 1, 64]) expectEncodeError(() => encodePublicKey(alg, new Uint8Array(bad)), 'invalid-value');
    }
    expectEncodeError(() => encodePublicKey('rsa' as PublicKeyAlgorithm, new Uint8Array(32)), 'invalid-value');
  });

  describe('rejects', () => {
    it('every strict prefix (truncated) and any extra byte (trailing-bytes)', () => {
      for (const alg of ALGS) {
        const der = encodePublicKey(alg, randomBytes(prng(1), prefixCase(alg).raw_key_len));
        for (let n = 0; n < der.length; n++) expectDecodeError(() => decodePublicKey(der.subarray(0, n)), 'truncated');
        expectDecodeError(() => decodePublicKey(concatBytes([der, hex('00')])), 'trailing-bytes');
        expectDecodeError(() => decodePublicKey(concatBytes([der, der])), 'trailing-bytes');
      }
    });

    it('a key of another algorithm where one is required (wrong-algorithm)', () => {
      const ed = encodePublicKey('ed25519', new Uint8Array(32));
      const err = expectDecodeError(() => decodePublicKeyOf('x25519', ed), 'wrong-algorithm');
      assert.match(err.message, /expected an X25519 public key, got Ed25519/);
      expectDecodeError(() => decodePublicKeyOf('x448', encodePublicKey('ed448', new Uint8Array(57))), 'wrong-algorithm');
      expectDecodeError(() => decodePublicKeyOf('ed25519', encodePublicKey('x448', new Uint8Array(56))), 'wrong-algorithm');
    });

    it('other algorithms in the same OID arc (unknown-algorithm) and other structures (invalid-value)', () => {
      const base = encodePublicKey('ed25519', new Uint8Array(32));
      for (const id of [0x64, 0x6d, 0x72, 0x00, 0xff]) {
        const der = new Uint8Array(base);
        der[8] = id;
        const err = expectDecodeError(() => decodePublicKey(der), 'unknown-algorithm');
        assert.match(err.message, new RegExp('1\\.3\\.101\\.' + id));
      }
      // An RSA SPKI header and a P-256 key from OpenSSL.
      expectDecodeError(() => decodePublicKey(hex('30820122300d06092a864886f70d01010105000382010f00')), 'invalid-value');
      const p256 = nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
      expectDecodeError(() => decodePublicKey(new Uint8Array(p256)), 'invalid-value');
    });

    it('any single-byte change of the header: never a silently different key', () => {
      for (const alg of ALGS) {
        const der = encodePublicKey(alg, new Uint8Array(prefixCase(alg).raw_key_len).fill(0x42));
        for (let pos = 0; pos < 12; pos++) {
          for (let delta = 1; delta < 256; delta++) {
            const bad = new Uint8Array(der);
            bad[pos] = (der[pos] + delta) & 0xff;
            let key: ReturnType<typeof decodePublicKey> | null = null;
            onlyDecodeErrors(() => {
              key = decodePublicKey(bad);
            }, 'decodePublicKey');
            if (key !== null) {
              // The only accepted change is the OID byte naming the other 32-byte algorithm,
              // which makes it a well-formed key of that algorithm.
              const k = key as ReturnType<typeof decodePublicKey>;
              assert.equal(pos, 8, alg + ' accepted a change at byte ' + pos);
              assert.ok(
                (alg === 'ed25519' && k.alg === 'x25519') || (alg === 'x25519' && k.alg === 'ed25519'),
                alg + ' became ' + k.alg,
              );
            }
          }
        }
      }
    });

    it('random garbage with nothing but DecodeErrors', () => {
      const rng = prng(0x5b1);
      for (let i = 0; i < 3000; i++) {
        let input: Uint8Array;
        if (i % 3 === 0) {
          input = randomBytes(rng, randomInt(rng, 80));
        } else {
          // A valid header with a random tail, or a valid key with corrupted bytes.
          const alg = ALGS[randomInt(rng, 4)];
          input = concatBytes([encodePublicKey(alg, new Uint8Array(prefixCase(alg).raw_key_len)).subarray(0, 12), randomBytes(rng, randomInt(rng, 70))]);
          if (i % 3 === 2) input[randomInt(rng, input.length)] ^= 1 + randomInt(rng, 255);
        }
        const ok = onlyDecodeErrors(() => decodePublicKey(input), 'decodePublicKey');
        if (ok) {
          const key = decodePublicKey(input);
          assert.deepEqual(encodePublicKey(key.alg, key.raw), input, 'accepted input must be the canonical encoding');
        }
        for (const alg of ALGS) onlyDecodeErrors(() => decodePublicKeyOf(alg, input), 'decodePublicKeyOf');
      }
    });
  });
});
