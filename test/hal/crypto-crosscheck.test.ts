/**
 * The node backend (OpenSSL) and the portable backend (noble) are independent implementations of
 * every primitive except HSalsa20/XSalsa20-Poly1305, which both take from noble (Node has none;
 * the suite pins those to the NaCl vectors), and sntrup761, one shared port (checked here only for
 * how each backend feeds it randomness; its own tests and KATs cover the algorithm). On many seeded random inputs they must agree byte
 * for byte, accept each other's ciphertexts and signatures, and refuse the same forgeries.
 */
import assert from 'node:assert/strict';
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { createNodeCrypto } from '../../hal/node/crypto';
import { createPortableCrypto } from '../../hal/portable/crypto';
import { CryptoError } from '../../hal/crypto';
import { hx, seededRandom } from './crypto-suite';

/** Seeded input generator (independent of the key streams the backends draw from). */
class Inputs {
  private readonly random: Random;
  constructor(seed: string) {
    this.random = seededRandom(seed);
  }
  bytes(n: number): Uint8Array {
    return this.random.bytes(n);
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    const b = this.random.bytes(4);
    const u = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    return min + (u % (max - min + 1));
  }
  pick<T>(xs: T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
}

function flipRandomBit(inputs: Inputs, b: Uint8Array): Uint8Array {
  const out = b.slice();
  out[inputs.int(0, out.length - 1)] ^= 1 << inputs.int(0, 7);
  return out;
}

/** Runs fn and reports either its hex result or the CryptoError code it threw. */
function outcome(fn: () => Uint8Array): string {
  try {
    return hx(fn());
  } catch (e) {
    if (e instanceof CryptoError) return 'CryptoError:' + e.code;
    throw e;
  }
}

describe('Crypto backends cross-check: node (OpenSSL) against portable (noble)', () => {
  const node: Crypto = createNodeCrypto(seededRandom('crosscheck-keys'));
  const portable: Crypto = createPortableCrypto(seededRandom('crosscheck-keys'));
  const both = [node, portable];

  it('SHA-256, SHA-512, SHA3-256, SHA3-384 on 300 messages (every length around the block sizes, then random)', () => {
    const inputs = new Inputs('hash');
    const lengths: number[] = [];
    for (let n = 0; n <= 260; n++) lengths.push(n);
    for (let i = 0; i < 40; i++) lengths.push(inputs.int(261, 20000));
    for (const n of lengths) {
      const m = inputs.bytes(n);
      assert.equal(hx(node.sha256(m)), hx(portable.sha256(m)), 'sha256 len ' + n);
      assert.equal(hx(node.sha512(m)), hx(portable.sha512(m)), 'sha512 len ' + n);
      assert.equal(hx(node.sha3_256(m)), hx(portable.sha3_256(m)), 'sha3-256 len ' + n);
      assert.equal(hx(node.sha3_384(m)), hx(portable.sha3_384(m)), 'sha3-384 len ' + n);
    }
  });

  it('HMAC-SHA-256 and HMAC-SHA-512 with keys of 0..300 bytes', () => {
    const inputs = new Inputs('hmac');
    for (let i = 0; i < 200; i++) {
      const key = inputs.bytes(inputs.int(0, 300));
      const data = inputs.bytes(inputs.int(0, 2000));
      assert.equal(hx(node.hmacSha256(key, data)), hx(portable.hmacSha256(key, data)));
      assert.equal(hx(node.hmacSha512(key, data)), hx(portable.hmacSha512(key, data)));
    }
  });

  it('HKDF-SHA512 with empty and long salt, ikm and info (across Node\'s 1 KB info limit) and lengths up to 255 blocks', () => {
    const inputs = new Inputs('hkdf');
    for (let i = 0; i < 150; i++) {
      const salt = inputs.bytes(inputs.pick([0, 0, 32, 64, 65, inputs.int(0, 300)]));
      const ikm = inputs.bytes(inputs.pick([0, 32, 56, 168, 200, inputs.int(0, 300)]));
      const info = inputs.bytes(inputs.pick([0, 11, 1024, 1025, inputs.int(0, 2000)]));
      const length = inputs.pick([1, 32, 64, 65, 88, 96, 128, inputs.int(1, 2000)]);
      assert.equal(hx(node.hkdfSha512(salt, ikm, info, length)), hx(portable.hkdfSha512(salt, ikm, info, length)));
    }
    const salt = inputs.bytes(64);
    const ikm = inputs.bytes(32);
    assert.equal(hx(node.hkdfSha512(salt, ikm, ikm, 255 * 64)), hx(portable.hkdfSha512(salt, ikm, ikm, 255 * 64)));
  });

  it('equal Random streams give equal key pairs for X25519, X448, Ed25519 and Ed448', () => {
    for (let i = 0; i < 30; i++) {
      const a = node.x25519KeyPair();
      const b = portable.x25519KeyPair();
      assert.equal(hx(a.privateKey), hx(b.privateKey));
      assert.equal(hx(a.publicKey), hx(b.publicKey));
      const c = node.ed25519KeyPair();
      const d = portable.ed25519KeyPair();
      assert.equal(hx(c.privateKey), hx(d.privateKey));
      assert.equal(hx(c.publicKey), hx(d.publicKey));
    }
    for (let i = 0; i < 10; i++) {
      const a = node.x448KeyPair();
      const b = portable.x448KeyPair();
      assert.equal(hx(a.publicKey), hx(b.publicKey));
      const c = node.ed448KeyPair();
      const d = portable.ed448KeyPair();
      assert.equal(hx(c.publicKey), hx(d.publicKey));
    }
  });

  it('X25519 on 100 random scalars and u-coordinates (twist points and bit 255 set included)', () => {
    const inputs = new Inputs('x25519');
    for (let i = 0; i < 100; i++) {
      const k = inputs.bytes(32);
      const u = inputs.bytes(32); // any 32 bytes: on the curve or its twist, bit 255 random
      assert.equal(outcome(() => node.x25519(k, u)), outcome(() => portable.x25519(k, u)));
      const peer = node.x25519PublicKey(inputs.bytes(32));
      assert.equal(hx(node.x25519(k, peer)), hx(portable.x25519(k, peer)));
    }
  });

  it('X448 on 25 random scalars and u-coordinates; the DH agrees across backends', () => {
    const inputs = new Inputs('x448');
    for (let i = 0; i < 25; i++) {
      const k = inputs.bytes(56);
      const u = inputs.bytes(56);
      assert.equal(outcome(() => node.x448(k, u)), outcome(() => portable.x448(k, u)));
      const other = inputs.bytes(56);
      assert.equal(hx(node.x448(k, portable.x448PublicKey(other))), hx(portable.x448(other, node.x448PublicKey(k))));
    }
  });

  it('Ed25519: equal signatures on 60 messages, each verifies the other, both refuse the same tampering', () => {
    const inputs = new Inputs('ed25519');
    for (let i = 0; i < 60; i++) {
      const seed = inputs.bytes(32);
      const msg = inputs.bytes(inputs.pick([0, 1, 64, inputs.int(0, 5000)]));
      const pub = node.ed25519PublicKey(seed);
      const sigN = node.ed25519Sign(seed, msg);
      const sigP = portable.ed25519Sign(seed, msg);
      assert.equal(hx(sigN), hx(sigP));
      assert.equal(node.ed25519Verify(pub, msg, sigP), true);
      assert.equal(portable.ed25519Verify(pub, msg, sigN), true);
      const badSig = flipRandomBit(inputs, sigN);
      const badPub = flipRandomBit(inputs, pub);
      for (const c of both) {
        assert.equal(c.ed25519Verify(pub, msg, badSig), false, c.name + ' tampered signature');
        assert.equal(c.ed25519Verify(badPub, msg, sigN), false, c.name + ' tampered key');
      }
      if (msg.length > 0) {
        const badMsg = flipRandomBit(inputs, msg);
        for (const c of both) assert.equal(c.ed25519Verify(pub, badMsg, sigN), false, c.name + ' tampered message');
      }
    }
  });

  it('Ed25519: random 32-byte keys (valid or not) give the same verdict in both', () => {
    const inputs = new Inputs('ed25519-garbage');
    for (let i = 0; i < 100; i++) {
      const pub = inputs.bytes(32);
      const sig = inputs.bytes(64);
      const msg = inputs.bytes(8);
      assert.equal(node.ed25519Verify(pub, msg, sig), portable.ed25519Verify(pub, msg, sig));
      assert.equal(node.ed25519Verify(pub, msg, sig), false);
    }
  });

  it('Ed448: equal signatures on 15 messages, each verifies the other, both refuse tampering', () => {
    const inputs = new Inputs('ed448');
    for (let i = 0; i < 15; i++) {
      const seed = inputs.bytes(57);
      const msg = inputs.bytes(inputs.int(0, 3000));
      const pub = portable.ed448PublicKey(seed);
      assert.equal(hx(node.ed448PublicKey(seed)), hx(pub));
      const sigN = node.ed448Sign(seed, msg);
      const sigP = portable.ed448Sign(seed, msg);
      assert.equal(hx(sigN), hx(sigP));
      assert.equal(node.ed448Verify(pub, msg, sigP), true);
      assert.equal(portable.ed448Verify(pub, msg, sigN), true);
      const badSig = flipRandomBit(inputs, sigN);
      const badPub = flipRandomBit(inputs, pub);
      for (const c of both) {
        assert.equal(c.ed448Verify(pub, msg, badSig), false, c.name + ' tampered signature');
        assert.equal(c.ed448Verify(badPub, msg, sigN), false, c.name + ' tampered key');
      }
    }
  });

  it('AES-256-GCM with 12- and 16-byte (and longer) IVs, empty to large AAD: equal output, each opens the other', () => {
    const inputs = new Inputs('gcm');
    for (let i = 0; i < 150; i++) {
      const key = inputs.bytes(32);
      const iv = inputs.bytes(inputs.pick([12, 12, 16, 16, inputs.int(12, 128)]));
      const pt = inputs.bytes(inputs.pick([0, 1, 15, 16, 17, 64, inputs.int(0, 17000)]));
      const aad = inputs.bytes(inputs.pick([0, 0, 1, 16, 112, 20000, inputs.int(0, 300)]));
      const sealedN = node.aes256GcmEncrypt(key, iv, pt, aad);
      const sealedP = portable.aes256GcmEncrypt(key, iv, pt, aad);
      assert.equal(hx(sealedN), hx(sealedP), 'iv ' + iv.length + ' pt ' + pt.length + ' aad ' + aad.length);
      assert.equal(hx(node.aes256GcmDecrypt(key, iv, sealedP, aad) as Uint8Array), hx(pt));
      assert.equal(hx(portable.aes256GcmDecrypt(key, iv, sealedN, aad) as Uint8Array), hx(pt));
      const tampered = flipRandomBit(inputs, sealedN);
      const otherAad = aad.length > 0 ? flipRandomBit(inputs, aad) : new Uint8Array([0]);
      for (const c of both) {
        assert.equal(c.aes256GcmDecrypt(key, iv, tampered, aad), null, c.name + ' tampered');
        assert.equal(c.aes256GcmDecrypt(key, iv, sealedN, otherAad), null, c.name + ' other aad');
      }
    }
  });

  it('sntrup761: equal streams give equal key pairs and encapsulations; each decapsulates the other', () => {
    const kN = createNodeCrypto(seededRandom('kem'));
    const kP = createPortableCrypto(seededRandom('kem'));
    for (let i = 0; i < 3; i++) {
      const a = kN.sntrup761KeyPair();
      const b = kP.sntrup761KeyPair();
      assert.equal(hx(a.publicKey), hx(b.publicKey));
      assert.equal(hx(a.secretKey), hx(b.secretKey));
      const encN = kN.sntrup761Encapsulate(a.publicKey);
      const encP = kP.sntrup761Encapsulate(b.publicKey);
      assert.equal(hx(encN.ciphertext), hx(encP.ciphertext));
      assert.equal(hx(kP.sntrup761Decapsulate(b.secretKey, encN.ciphertext)), hx(encN.sharedSecret));
      assert.equal(hx(kN.sntrup761Decapsulate(a.secretKey, encP.ciphertext)), hx(encP.sharedSecret));
    }
  });
});
