/**
 * The portable Crypto backend: the whole suite in pure TypeScript over the audited noble
 * libraries (and the sntrup761 port beside this file).
 *
 * It runs anywhere a modern JavaScript engine runs (desktop simulator, tests, a browser), and it
 * is the reference the node backend is cross-checked against. It is NOT the device backend: noble
 * needs BigInt, which Espruino lacks, so on the ESP32 the same interface is served natively.
 *
 * Argument checks happen here, before noble is called, so that both backends reject the same
 * inputs with the same CryptoError codes (noble's own errors are plain Errors with wording that
 * may change between releases).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ed448, x448 } from '@noble/curves/ed448.js';
import { gcm } from '@noble/ciphers/aes.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_384 } from '@noble/hashes/sha3.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { CryptoError, KEY_SIZES } from '../crypto';
import type { Crypto, KemEncapsulation, KemKeyPair, KeyPair } from '../crypto';
import type { Random } from '../random';
import { sntrup761Decapsulate, sntrup761Encapsulate, sntrup761KeyPair } from './sntrup761';

/** Poly1305 and GCM tags alike. */
export const TAG_LENGTH = 16;
/** XSalsa20 nonces. */
export const XSALSA20_NONCE_LENGTH = 24;
/** HSalsa20 input block. */
export const HSALSA20_INPUT_LENGTH = 16;
/**
 * GCM IVs accepted by both desktop backends. The ratchet uses 16 bytes and transports never use
 * anything but 12; longer IVs are accepted because the published GCM test cases use them to
 * exercise the GHASH-derived J0, and shorter ones are refused (below 96 bits the IV space is too
 * small to be drawn at random safely).
 */
export const GCM_MIN_IV_LENGTH = 12;
export const GCM_MAX_IV_LENGTH = 128;
/** RFC 5869: at most 255 blocks of the hash output. */
export const HKDF_SHA512_MAX_LENGTH = 255 * 64;

/**
 * PBKDF2 bounds shared by every backend. The iteration cap keeps a garbage count from hanging the
 * caller for hours (ten million SHA-512 HMACs take seconds on a desktop, far longer on the ESP32);
 * the length cap is the native layer's (hal/native-api.ts), far above anything a key needs.
 */
export const PBKDF2_MAX_ITERATIONS = 10000000;
export const PBKDF2_MAX_LENGTH = 1024;

/** Throws CryptoError('bad-length') unless `bytes` has exactly `length` bytes. */
export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('bad-length', what + ' must be a Uint8Array');
  if (bytes.length !== length) {
    throw new CryptoError('bad-length', what + ' must be ' + length + ' bytes, got ' + bytes.length);
  }
}

/** Throws CryptoError('bad-length') unless `length` is an integer in [min, max]. */
export function requireRange(length: number, min: number, max: number, what: string): void {
  if (typeof length !== 'number' || length % 1 !== 0 || length < min || length > max) {
    throw new CryptoError('bad-length', what + ' must be between ' + min + ' and ' + max + ', got ' + length);
  }
}

/** The argument checks of pbkdf2Sha512, identical in every backend. */
export function requirePbkdf2Arguments(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): void {
  if (!(password instanceof Uint8Array)) throw new CryptoError('bad-length', 'PBKDF2 password must be a Uint8Array');
  if (!(salt instanceof Uint8Array)) throw new CryptoError('bad-length', 'PBKDF2 salt must be a Uint8Array');
  requireRange(iterations, 1, PBKDF2_MAX_ITERATIONS, 'PBKDF2 iteration count');
  requireRange(length, 1, PBKDF2_MAX_LENGTH, 'PBKDF2-HMAC-SHA512 output length');
}

export function requireGcmIv(iv: Uint8Array): void {
  if (!(iv instanceof Uint8Array)) throw new CryptoError('bad-length', 'AES-GCM IV must be a Uint8Array');
  requireRange(iv.length, GCM_MIN_IV_LENGTH, GCM_MAX_IV_LENGTH, 'AES-GCM IV length');
}

/**
 * Rejects the all-zero key-agreement output: it means the peer sent a low-order point and the
 * "secret" is public. Accumulates over every byte so the time does not depend on where a
 * nonzero byte is.
 */
export function rejectZeroSecret(secret: Uint8Array): void {
  let acc = 0;
  for (let i = 0; i < secret.length; i++) acc |= secret[i];
  if (acc === 0) throw new CryptoError('weak-key', 'key agreement with a low-order public key');
}

/** Draws a private key of `length` bytes from the injected Random, checking what it returned. */
export function drawPrivateKey(random: Random, length: number): Uint8Array {
  const key = random.bytes(length);
  requireLength(key, length, 'random output');
  return key;
}

// 'expand 32-byte k', the Salsa20 constant, as the four little-endian words noble expects.
const SIGMA_BYTES = new Uint8Array([
  0x65, 0x78, 0x70, 0x61, 0x6e, 0x64, 0x20, 0x33, 0x32, 0x2d, 0x62, 0x79, 0x74, 0x65, 0x20, 0x6b,
]);
const SIGMA_WORDS = new Uint32Array(SIGMA_BYTES.buffer);

/**
 * NaCl crypto_core_hsalsa20. noble's `hsalsa` works on host-order 32-bit words whose memory
 * image is the little-endian byte string (it byte-swaps on big-endian hosts itself), so the
 * bytes are copied into aligned buffers and viewed as words.
 */
export function hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array {
  requireLength(key, 32, 'HSalsa20 key');
  requireLength(input, HSALSA20_INPUT_LENGTH, 'HSalsa20 input');
  const k = new Uint8Array(32);
  k.set(key);
  const i = new Uint8Array(HSALSA20_INPUT_LENGTH);
  i.set(input);
  const out = new Uint32Array(8);
  hsalsa(SIGMA_WORDS, new Uint32Array(k.buffer), new Uint32Array(i.buffer), out);
  k.fill(0);
  return new Uint8Array(out.buffer);
}

/** NaCl crypto_secretbox; noble's xsalsa20poly1305 already writes tag(16) ‖ ciphertext. */
export function xsalsa20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  requireLength(key, 32, 'XSalsa20-Poly1305 key');
  requireLength(nonce, XSALSA20_NONCE_LENGTH, 'XSalsa20-Poly1305 nonce');
  return xsalsa20poly1305(key, nonce).encrypt(plaintext);
}

export function xsalsa20Poly1305Open(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null {
  requireLength(key, 32, 'XSalsa20-Poly1305 key');
  requireLength(nonce, XSALSA20_NONCE_LENGTH, 'XSalsa20-Poly1305 nonce');
  // A box too short to hold a tag cannot authenticate: the same outcome as a bad tag (simplexmq
  // maps both to CBDecryptError).
  if (box.length < TAG_LENGTH) return null;
  try {
    // noble compares the tag in constant time and throws when it does not match; lengths were
    // checked above, so a throw here can only be an authentication failure.
    return xsalsa20poly1305(key, nonce).decrypt(box);
  } catch (e) {
    return null;
  }
}

/** Resolves on a later turn so the caller's current work finishes first. */
function later<T>(work: () => T): Promise<T> {
  return Promise.resolve().then(work);
}

export type KemMembers = Pick<
  Crypto,
  'sntrup761KeyPair' | 'sntrup761KeyPairAsync' | 'sntrup761Encapsulate' | 'sntrup761Decapsulate'
>;

/**
 * The sntrup761 members of Crypto for every backend built on the TypeScript port (portable and
 * node alike). `defer` decides when the asynchronous key generation runs.
 */
export function sntrup761Members(random: Random, defer: <T>(work: () => T) => Promise<T>): KemMembers {
  const randomBytes = (n: number): Uint8Array => random.bytes(n);
  const keyPair = (): KemKeyPair => sntrup761KeyPair(randomBytes);
  return {
    sntrup761KeyPair: keyPair,
    sntrup761KeyPairAsync: (): Promise<KemKeyPair> => defer(keyPair),
    sntrup761Encapsulate(publicKey: Uint8Array): KemEncapsulation {
      requireLength(publicKey, KEY_SIZES.sntrup761Public, 'sntrup761 public key');
      return sntrup761Encapsulate(publicKey, randomBytes);
    },
    sntrup761Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_SIZES.sntrup761Secret, 'sntrup761 secret key');
      requireLength(ciphertext, KEY_SIZES.sntrup761Ciphertext, 'sntrup761 ciphertext');
      return sntrup761Decapsulate(secretKey, ciphertext);
    },
  };
}

export function createPortableCrypto(random: Random): Crypto {

  function x25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x25519, 'X25519 private key');
    return x25519.getPublicKey(privateKey);
  }

  function x448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x448, 'X448 private key');
    return x448.getPublicKey(privateKey);
  }

  function ed25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
    return ed25519.getPublicKey(privateKey);
  }

  function ed448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
    return ed448.getPublicKey(privateKey);
  }

  return {
    name: 'portable',

    sha256: (data: Uint8Array): Uint8Array => sha256(data),
    sha512: (data: Uint8Array): Uint8Array => sha512(data),
    sha3_256: (data: Uint8Array): Uint8Array => sha3_256(data),
    sha3_384: (data: Uint8Array): Uint8Array => sha3_384(data),
    hmacSha256: (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(sha256, key, data),
    hmacSha512: (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(sha512, key, data),

    hkdfSha512(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      requireRange(length, 1, HKDF_SHA512_MAX_LENGTH, 'HKDF-SHA512 output length');
      // An empty salt and 64 zero bytes are the same HMAC key (keys are zero-padded to the block),
      // so the RFC's default needs no special case.
      return hkdf(sha512, ikm, salt, info, length);
    },

    pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
      requirePbkdf2Arguments(password, salt, iterations, length);
      return pbkdf2(sha512, password, salt, { c: iterations, dkLen: length });
    },

    x25519KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.x25519);
      return { publicKey: x25519Public(privateKey), privateKey };
    },
    x25519PublicKey: x25519Public,
    x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.x25519, 'X25519 private key');
      requireLength(publicKey, KEY_SIZES.x25519, 'X25519 public key');
      let secret: Uint8Array;
      try {
        // noble refuses the low-order points (libsodium's list) before running the ladder;
        // sizes were checked above, so that is the only way this call throws.
        secret = x25519.getSharedSecret(privateKey, publicKey);
      } catch (e) {
        throw new CryptoError('weak-key', 'key agreement with a low-order public key');
      }
      rejectZeroSecret(secret);
      return secret;
    },

    x448KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.x448);
      return { publicKey: x448Public(privateKey), privateKey };
    },
    x448PublicKey: x448Public,
    x448(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.x448, 'X448 private key');
      requireLength(publicKey, KEY_SIZES.x448, 'X448 public key');
      let secret: Uint8Array;
      try {
        secret = x448.getSharedSecret(privateKey, publicKey);
      } catch (e) {
        throw new CryptoError('weak-key', 'key agreement with a low-order public key');
      }
      rejectZeroSecret(secret);
      return secret;
    },

    ed25519KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.ed25519Private);
      return { publicKey: ed25519Public(privateKey), privateKey };
    },
    ed25519PublicKey: ed25519Public,
    ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
      return ed25519.sign(message, privateKey);
    },
    ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (publicKey.length !== KEY_SIZES.ed25519Public || signature.length !== KEY_SIZES.ed25519Signature) return false;
      try {
        // Strict RFC 8032 (no ZIP-215 leniency): unreduced encodings, small-order keys and s >= L
        // are refused. The node backend applies the same key rules in front of OpenSSL, so both
        // backends accept the same signatures.
        return ed25519.verify(signature, message, publicKey, { zip215: false });
      } catch (e) {
        return false;
      }
    },

    ed448KeyPair(): KeyPair {
      const privateKey = drawPrivateKey(random, KEY_SIZES.ed448Private);
      return { publicKey: ed448Public(privateKey), privateKey };
    },
    ed448PublicKey: ed448Public,
    ed448Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
      return ed448.sign(message, privateKey);
    },
    ed448Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (publicKey.length !== KEY_SIZES.ed448Public || signature.length !== KEY_SIZES.ed448Signature) return false;
      try {
        return ed448.verify(signature, message, publicKey);
      } catch (e) {
        return false;
      }
    },

    aes256GcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
      requireLength(key, 32, 'AES-256 key');
      requireGcmIv(iv);
      // noble appends the tag; SimpleX puts it first.
      const sealed = gcm(key, iv, aad).encrypt(plaintext);
      const n = sealed.length - TAG_LENGTH;
      const out = new Uint8Array(sealed.length);
      out.set(sealed.subarray(n), 0);
      out.set(sealed.subarray(0, n), TAG_LENGTH);
      return out;
    },
    aes256GcmDecrypt(key: Uint8Array, iv: Uint8Array, tagAndCiphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
      requireLength(key, 32, 'AES-256 key');
      requireGcmIv(iv);
      if (tagAndCiphertext.length < TAG_LENGTH) return null;
      const n = tagAndCiphertext.length - TAG_LENGTH;
      const sealed = new Uint8Array(tagAndCiphertext.length);
      sealed.set(tagAndCiphertext.subarray(TAG_LENGTH), 0);
      sealed.set(tagAndCiphertext.subarray(0, TAG_LENGTH), n);
      try {
        return gcm(key, iv, aad).decrypt(sealed);
      } catch (e) {
        return null;
      }
    },

    hsalsa20,
    xsalsa20Poly1305Seal,
    xsalsa20Poly1305Open,

    ...sntrup761Members(random, later),
  };
}
