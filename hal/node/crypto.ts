/**
 * The node Crypto backend: OpenSSL 3 (through node:crypto) for every primitive Node has, the
 * portable noble code for the two it lacks (HSalsa20 and XSalsa20-Poly1305), and the shared
 * sntrup761 port.
 *
 * The wrapping is deliberately thin (tools/bench.ts compares each call with the same work done
 * straight on node:crypto). Four things are added on top of OpenSSL, all cheap:
 * - the argument checks of the portable backend, so both reject the same inputs the same way;
 * - EdDSA public keys that strict RFC 8032 decoding refuses (small-order points, unreduced y)
 *   are refused before OpenSSL sees them (see acceptableEd25519Key);
 * - raw keys enter OpenSSL as JWK, which measured several times cheaper than PKCS#8/SPKI DER
 *   on Node 20 / OpenSSL 3.0 (see privateKeyObject);
 * - Node's Buffers are handed back as plain Uint8Arrays. A Buffer's `slice` is a view, not a
 *   copy, which would silently alias key material in code written for Uint8Array.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  pbkdf2Sync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { ED448_TORSION_SUBGROUP } from '@noble/curves/ed448.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { CryptoError, KEY_SIZES } from '../crypto';
import type { Crypto, KeyPair } from '../crypto';
import type { Random } from '../random';
import {
  HKDF_SHA512_MAX_LENGTH,
  TAG_LENGTH,
  drawPrivateKey,
  hsalsa20,
  rejectZeroSecret,
  sntrup761Members,
  requireGcmIv,
  requireLength,
  requirePbkdf2Arguments,
  requireRange,
  xsalsa20Poly1305Open,
  xsalsa20Poly1305Seal,
} from '../portable/crypto';

type OkpCurve = 'X25519' | 'X448' | 'Ed25519' | 'Ed448';

/** Node refuses HKDF info longer than this (its own limit, not RFC 5869's). */
const NODE_HKDF_MAX_INFO = 1024;

/**
 * A plain Uint8Array over a Buffer's bytes. Buffers that node:crypto returns own their whole
 * ArrayBuffer, so this is a zero-copy view; a pooled Buffer (never expected here) is copied so
 * the result cannot expose unrelated pool memory.
 */
function plain(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return new Uint8Array(buf.buffer, 0, buf.length);
  return new Uint8Array(buf);
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

/*
 * Raw keys enter OpenSSL as JWK. Measured on Node 20 / OpenSSL 3.0, a JWK import is several
 * times cheaper than the PKCS#8/SPKI DER route (about 17k private and 190k public imports per
 * second against 2.7k and 12k), because DER goes through OpenSSL 3's generic decoder machinery
 * while JWK goes straight to EVP_PKEY_new_raw_*_key. Hygiene cost: the private key passes through
 * a base64url string that cannot be wiped; the raw key already lives unwiped in the caller's
 * state on the same heap, so this adds a short-lived copy, not a new kind of exposure.
 */
function privateKeyObject(crv: OkpCurve, raw: Uint8Array): KeyObject {
  // Node builds an OKP private key from `d` alone and requires `x` only to be a string; the
  // public half is derived by OpenSSL. (If a Node release began checking `x` against `d`, every
  // key operation here would throw and the test suite would say so at once.)
  return createPrivateKey({ key: { kty: 'OKP', crv, d: base64url(raw), x: '' }, format: 'jwk' });
}

function publicKeyObject(crv: OkpCurve, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: base64url(raw) }, format: 'jwk' });
}

/** The raw public key of a private KeyObject (the JWK export is the cheap way out, too). */
function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return plain(Buffer.from(jwk.x as string, 'base64url'));
}

function agree(
  crv: OkpCurve,
  size: number,
  name: string,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Uint8Array {
  requireLength(privateKey, size, name + ' private key');
  requireLength(publicKey, size, name + ' public key');
  const priv = privateKeyObject(crv, privateKey);
  const pub = publicKeyObject(crv, publicKey);
  let secret: Uint8Array;
  try {
    // OpenSSL fails the derivation exactly when the result is all zeros (a low-order peer key);
    // the key objects were built above, so nothing else can fail here.
    secret = plain(diffieHellman({ privateKey: priv, publicKey: pub }));
  } catch (e) {
    throw new CryptoError('weak-key', 'key agreement with a low-order public key');
  }
  rejectZeroSecret(secret);
  return secret;
}

/**
 * Public key encodings OpenSSL accepts but strict RFC 8032 decoding (the portable backend) does
 * not. They matter because OpenSSL verifies with the cofactorless equation and no small-order
 * check: under the identity key, (R = [s]B, s) verifies for EVERY message. Refusing them here,
 * before OpenSSL, makes a key anyone can sign for useless, and makes both backends accept the
 * same public key encodings:
 * - the small-order points (the torsion subgroup), in both sign-bit spellings, which also
 *   covers x = 0 with the sign bit set (RFC 8032 §5.1.3 step 4 rejects it);
 * - a y coordinate that is not reduced (y >= p; RFC 8032 §5.1.3 step 1);
 * - for Ed448, any bit but the sign bit set in the last byte (part of y >= p). OpenSSL 3.0 already
 *   refuses unreduced Ed448 keys itself (the tests cannot tell this check from OpenSSL's); it is
 *   kept so that the rule does not depend on the OpenSSL build.
 * One difference remains by design of the libraries: noble checks the cofactored equation,
 * OpenSSL the cofactorless one. They disagree only on signatures the key's owner builds on
 * purpose with a small-order component; honest signatures verify in both, forgeries in neither.
 */
function signBitVariants(torsion: readonly string[], size: number): { [hex: string]: true } {
  const out: { [hex: string]: true } = {};
  for (let i = 0; i < torsion.length; i++) {
    const k = Buffer.from(torsion[i], 'hex');
    if (k.length !== size) throw new Error('unexpected torsion point size');
    out[k.toString('hex')] = true;
    k[size - 1] ^= 0x80;
    out[k.toString('hex')] = true;
  }
  return out;
}

const ED25519_SMALL_ORDER = signBitVariants(ED25519_TORSION_SUBGROUP, KEY_SIZES.ed25519Public);
const ED448_SMALL_ORDER = signBitVariants(ED448_TORSION_SUBGROUP, KEY_SIZES.ed448Public);

/** y >= p = 2^255 - 19: bits 8..254 all ones and the low byte >= 0xed. */
function ed25519NonCanonicalY(k: Uint8Array): boolean {
  if ((k[31] & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (k[i] !== 0xff) return false;
  return k[0] >= 0xed;
}

/**
 * y >= p = 2^448 - 2^224 - 1 for the 57-byte Ed448 encoding: the byte above y holds only the sign.
 * Split y into 224-bit halves: p's high half is 2^224 - 2 and its low half 2^224 - 1, so y >= p
 * iff the high half is all ones, or it is 2^224 - 2 and the low half is all ones.
 */
function ed448NonCanonicalY(k: Uint8Array): boolean {
  if ((k[56] & 0x7f) !== 0) return true;
  for (let i = 55; i >= 29; i--) if (k[i] !== 0xff) return false;
  if (k[28] === 0xff) return true;
  if (k[28] !== 0xfe) return false;
  for (let i = 0; i < 28; i++) if (k[i] !== 0xff) return false;
  return true;
}

function acceptableEd25519Key(k: Uint8Array): boolean {
  return !ed25519NonCanonicalY(k) && !ED25519_SMALL_ORDER[Buffer.from(k.buffer, k.byteOffset, k.length).toString('hex')];
}

function acceptableEd448Key(k: Uint8Array): boolean {
  return !ed448NonCanonicalY(k) && !ED448_SMALL_ORDER[Buffer.from(k.buffer, k.byteOffset, k.length).toString('hex')];
}

function edVerify(
  crv: OkpCurve,
  publicSize: number,
  signatureSize: number,
  acceptable: (k: Uint8Array) => boolean,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== publicSize || signature.length !== signatureSize || !acceptable(publicKey)) return false;
  try {
    return verify(null, message, publicKeyObject(crv, publicKey), signature);
  } catch (e) {
    // An undecodable public key: not a valid signature, and never an exception for the caller.
    return false;
  }
}

/**
 * Runs `work` from a setImmediate callback: after pending I/O callbacks, so a key generation
 * started while messages are arriving does not hold them up (a microtask would run before them).
 */
function afterPendingIo<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(work());
      } catch (e) {
        reject(e);
      }
    });
  });
}

export function createNodeCrypto(random: Random): Crypto {

  function x25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x25519, 'X25519 private key');
    return rawPublicKey(privateKeyObject('X25519', privateKey));
  }

  function x448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x448, 'X448 private key');
    return rawPublicKey(privateKeyObject('X448', privateKey));
  }

  function ed25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
    return rawPublicKey(privateKeyObject('Ed25519', privateKey));
  }

  function ed448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
    return rawPublicKey(privateKeyObject('Ed448', privateKey));
  }

  return {
    name: 'node',

    sha256: (data: Uint8Array): Uint8Array => plain(createHash('sha256').update(data).digest()),
    sha512: (data: Uint8Array): Uint8Array => plain(createHash('sha512').update(data).digest()),
    sha3_256: (data: Uint8Array): Uint8Array => plain(createHash('sha3-256').update(data).digest()),
    sha3_384: (data: Uint8Array): Uint8Array => plain(createHash('sha3-384').update(data).digest()),
    hmacSha256: (key: Uint8Array, data: Uint8Array): Uint8Array => plain(createHmac('sha256', key).update(data).digest()),
    hmacSha512: (key: Uint8Array, data: Uint8Array): Uint8Array => plain(createHmac('sha512', key).update(data).digest()),

    hkdfSha512(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      requireRange(length, 1, HKDF_SHA512_MAX_LENGTH, 'HKDF-SHA512 output length');
      if (info.length > NODE_HKDF_MAX_INFO) return hkdf(nobleSha512, ikm, salt, info, length);
      return new Uint8Array(hkdfSync('sha512', ikm, salt, info, length));
    },

    pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
      requirePbkdf2Arguments(password, salt, iterations, length);
      return plain(pbkdf2Sync(password, salt, iterations, length, 'sha512'));
    },

    x25519KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.x25519);
      return { publicKey: x25519Public(privateKey), privateKey };
    },
    x25519PublicKey: x25519Public,
    x25519: (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array =>
      agree('X25519', KEY_SIZES.x25519, 'X25519', privateKey, publicKey),

    x448KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.x448);
      return { publicKey: x448Public(privateKey), privateKey };
    },
    x448PublicKey: x448Public,
    x448: (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array =>
      agree('X448', KEY_SIZES.x448, 'X448', privateKey, publicKey),

    ed25519KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.ed25519Private);
      return { publicKey: ed25519Public(privateKey), privateKey };
    },
    ed25519PublicKey: ed25519Public,
    ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
      return plain(sign(null, message, privateKeyObject('Ed25519', privateKey)));
    },
    ed25519Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
      edVerify('Ed25519', KEY_SIZES.ed25519Public, KEY_SIZES.ed25519Signature, acceptableEd25519Key, publicKey, message, signature),

    ed448KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.ed448Private);
      return { publicKey: ed448Public(privateKey), privateKey };
    },
    ed448PublicKey: ed448Public,
    ed448Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
      return plain(sign(null, message, privateKeyObject('Ed448', privateKey)));
    },
    ed448Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
      edVerify('Ed448', KEY_SIZES.ed448Public, KEY_SIZES.ed448Signature, acceptableEd448Key, publicKey, message, signature),

    aes256GcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
      requireLength(key, 32, 'AES-256 key');
      requireGcmIv(iv);
      // OpenSSL takes any IV length for GCM and runs non-96-bit IVs through GHASH (SP 800-38D),
      // which is what the ratchet's 16-byte IVs need.
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad);
      const ciphertext = cipher.update(plaintext);
      cipher.final(); // GCM is a stream mode: final() only computes the tag
      // Unpooled and not zero-filled: every byte is written just below, and skipping the fill is
      // measurable on 16 KB ratchet messages.
      const out = Buffer.allocUnsafeSlow(TAG_LENGTH + ciphertext.length);
      out.set(cipher.getAuthTag(), 0);
      out.set(ciphertext, TAG_LENGTH);
      return plain(out);
    },
    aes256GcmDecrypt(key: Uint8Array, iv: Uint8Array, tagAndCiphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
      requireLength(key, 32, 'AES-256 key');
      requireGcmIv(iv);
      if (tagAndCiphertext.length < TAG_LENGTH) return null;
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tagAndCiphertext.subarray(0, TAG_LENGTH));
      decipher.setAAD(aad);
      const plaintext = decipher.update(tagAndCiphertext.subarray(TAG_LENGTH));
      try {
        decipher.final(); // throws when the tag does not verify (OpenSSL compares in constant time)
      } catch (e) {
        plaintext.fill(0); // unauthenticated plaintext must not linger
        return null;
      }
      return plain(plaintext);
    },

    hsalsa20,
    xsalsa20Poly1305Seal,
    xsalsa20Poly1305Open,

    ...sntrup761Members(random, afterPendingIo),
  };
}
