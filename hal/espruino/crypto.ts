/**
 * The device Crypto backend: every primitive is one call into the native layer
 * (hal/native-api.ts). What this adapter adds is exactly what the Crypto interface promises on
 * top of the raw C functions, so the device behaves like the desktop backends byte for byte:
 * - argument checks with CryptoError('bad-length'), before anything reaches C;
 * - the all-zero key-agreement result rejected as 'weak-key' (the C function returns it raw);
 * - key pairs whose private half is drawn from the injected Random, nothing else being random;
 * - sntrup761 fed from the injected Random in the reference order, with the retry protocol of
 *   the native call (more randomness when g was not invertible);
 * - a check that every native result has the size the interface promises, so a faulty native
 *   build fails loudly instead of handing out short keys.
 */
import { CryptoError, KEY_SIZES } from '../crypto';
import type { Crypto, KemEncapsulation, KemKeyPair, KeyPair } from '../crypto';
import {
  SNTRUP761_ENC_RANDOM_BYTES,
  SNTRUP761_KEYPAIR_RANDOM_BYTES,
  SNTRUP761_RETRY_RANDOM_BYTES,
} from '../native-api';
import type { NativeCrypto, NativeKemKeyPair } from '../native-api';
import type { Random } from '../random';

const TAG_LENGTH = 16;
const GCM_MIN_IV = 12;
const GCM_MAX_IV = 128;
const HKDF_SHA512_MAX = 255 * 64;
const PBKDF2_MAX_ITERATIONS = 10000000;
const PBKDF2_MAX_LENGTH = 1024;
/**
 * A g that is not invertible mod 3 happens for about 3^-19 of draws; 16 in a row means the
 * random source is broken, and key generation stops instead of drawing forever.
 */
const SNTRUP761_MAX_ATTEMPTS = 16;

const X25519_BASE = basePoint(32, 9);
const X448_BASE = basePoint(56, 5);

function basePoint(size: number, u: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = u;
  return p;
}

function requireBytes(b: Uint8Array, what: string): void {
  if (!(b instanceof Uint8Array)) throw new CryptoError('bad-length', what + ' must be a Uint8Array');
}

function requireLength(b: Uint8Array, length: number, what: string): void {
  requireBytes(b, what);
  if (b.length !== length) throw new CryptoError('bad-length', what + ' must be ' + length + ' bytes, got ' + b.length);
}

function requireRange(n: number, min: number, max: number, what: string): void {
  if (typeof n !== 'number' || n % 1 !== 0 || n < min || n > max) {
    throw new CryptoError('bad-length', what + ' must be between ' + min + ' and ' + max + ', got ' + n);
  }
}

/** The native layer broke its contract: never pass such a value on. */
function checkResult(b: Uint8Array, length: number, what: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== length) {
    throw new CryptoError('bad-length', 'the native layer returned a malformed ' + what);
  }
  return b;
}

/** Constant-time all-zero test (the position of a nonzero byte must not show in the timing). */
function rejectZero(secret: Uint8Array): Uint8Array {
  let acc = 0;
  for (let i = 0; i < secret.length; i++) acc |= secret[i];
  if (acc === 0) throw new CryptoError('weak-key', 'key agreement with a low-order public key');
  return secret;
}

function draw(random: Random, n: number, what: string): Uint8Array {
  const b = random.bytes(n);
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new CryptoError('bad-length', 'the random source returned the wrong number of bytes for ' + what);
  }
  return b;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function checkKemPair(pair: NativeKemKeyPair): KemKeyPair {
  return {
    publicKey: checkResult(pair.publicKey, KEY_SIZES.sntrup761Public, 'sntrup761 public key'),
    secretKey: checkResult(pair.secretKey, KEY_SIZES.sntrup761Secret, 'sntrup761 secret key'),
  };
}

export interface EspruinoCryptoOptions {
  /** Runs `fn` on a later turn of the event loop (setTimeout 0 on the device). */
  later?: (fn: () => void) => void;
}

export function createEspruinoCrypto(native: NativeCrypto, random: Random, options: EspruinoCryptoOptions = {}): Crypto {
  const later = options.later ?? ((fn: () => void): void => {
    Promise.resolve().then(fn);
  });

  function x25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x25519, 'X25519 private key');
    return checkResult(native.x25519(privateKey, X25519_BASE), KEY_SIZES.x25519, 'X25519 public key');
  }

  function x448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.x448, 'X448 private key');
    return checkResult(native.x448(privateKey, X448_BASE), KEY_SIZES.x448, 'X448 public key');
  }

  function ed25519Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
    return checkResult(native.ed25519PublicKey(privateKey), KEY_SIZES.ed25519Public, 'Ed25519 public key');
  }

  function ed448Public(privateKey: Uint8Array): Uint8Array {
    requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
    return checkResult(native.ed448PublicKey(privateKey), KEY_SIZES.ed448Public, 'Ed448 public key');
  }

  function hashed(data: Uint8Array, what: string): Uint8Array {
    requireBytes(data, what + ' input');
    return data;
  }

  function requireGcm(key: Uint8Array, iv: Uint8Array): void {
    requireLength(key, 32, 'AES-256 key');
    requireBytes(iv, 'AES-GCM IV');
    requireRange(iv.length, GCM_MIN_IV, GCM_MAX_IV, 'AES-GCM IV length');
  }

  function requireSecretbox(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): void {
    requireLength(key, 32, 'XSalsa20-Poly1305 key');
    requireLength(nonce, 24, 'XSalsa20-Poly1305 nonce');
    requireBytes(data, 'XSalsa20-Poly1305 input');
  }

  /**
   * Key generation over the native retry protocol: start with the usual amount of randomness,
   * and on null (g not invertible) draw one more g's worth and run again over all of it, which
   * consumes the Random exactly as the reference implementation's callback would.
   */
  function kemKeyPair(run: (bytes: Uint8Array, done: (pair: NativeKemKeyPair | null) => void) => void, done: (pair: KemKeyPair) => void, fail: (e: unknown) => void): void {
    let bytes = draw(random, SNTRUP761_KEYPAIR_RANDOM_BYTES, 'sntrup761 key generation');
    let attempts = 1;
    const step = (pair: NativeKemKeyPair | null): void => {
      try {
        if (pair !== null) {
          const result = checkKemPair(pair);
          bytes.fill(0);
          done(result);
          return;
        }
        if (attempts >= SNTRUP761_MAX_ATTEMPTS) {
          bytes.fill(0);
          throw new CryptoError('bad-key', 'sntrup761 key generation found no invertible g: the random source is broken');
        }
        attempts++;
        const grown = concat(bytes, draw(random, SNTRUP761_RETRY_RANDOM_BYTES, 'sntrup761 key generation'));
        bytes.fill(0);
        bytes = grown;
        run(bytes, step);
      } catch (e) {
        fail(e);
      }
    };
    run(bytes, step);
  }

  return {
    name: 'espruino',

    sha256: (data: Uint8Array): Uint8Array => checkResult(native.sha256(hashed(data, 'SHA-256')), 32, 'SHA-256'),
    sha512: (data: Uint8Array): Uint8Array => checkResult(native.sha512(hashed(data, 'SHA-512')), 64, 'SHA-512'),
    sha3_256: (data: Uint8Array): Uint8Array => checkResult(native.sha3_256(hashed(data, 'SHA3-256')), 32, 'SHA3-256'),
    sha3_384: (data: Uint8Array): Uint8Array => checkResult(native.sha3_384(hashed(data, 'SHA3-384')), 48, 'SHA3-384'),
    hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
      requireBytes(key, 'HMAC key');
      requireBytes(data, 'HMAC input');
      return checkResult(native.hmac('sha256', key, data), 32, 'HMAC-SHA-256');
    },
    hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
      requireBytes(key, 'HMAC key');
      requireBytes(data, 'HMAC input');
      return checkResult(native.hmac('sha512', key, data), 64, 'HMAC-SHA-512');
    },
    hkdfSha512(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
      requireRange(length, 1, HKDF_SHA512_MAX, 'HKDF-SHA512 output length');
      requireBytes(salt, 'HKDF salt');
      requireBytes(ikm, 'HKDF key material');
      requireBytes(info, 'HKDF info');
      return checkResult(native.hkdf('sha512', salt, ikm, info, length), length, 'HKDF output');
    },
    pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
      requireBytes(password, 'PBKDF2 password');
      requireBytes(salt, 'PBKDF2 salt');
      requireRange(iterations, 1, PBKDF2_MAX_ITERATIONS, 'PBKDF2 iteration count');
      requireRange(length, 1, PBKDF2_MAX_LENGTH, 'PBKDF2-HMAC-SHA512 output length');
      return checkResult(native.pbkdf2('sha512', password, salt, iterations, length), length, 'PBKDF2 output');
    },

    x25519KeyPair(): KeyPair {
      const privateKey = draw(random, KEY_SIZES.x25519, 'an X25519 private key');
      return { publicKey: x25519Public(privateKey), privateKey };
    },
    x25519PublicKey: x25519Public,
    x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.x25519, 'X25519 private key');
      requireLength(publicKey, KEY_SIZES.x25519, 'X25519 public key');
      return rejectZero(checkResult(native.x25519(privateKey, publicKey), KEY_SIZES.x25519, 'X25519 secret'));
    },
    x448KeyPair(): KeyPair {
      const privateKey = draw(random, KEY_SIZES.x448, 'an X448 private key');
      return { publicKey: x448Public(privateKey), privateKey };
    },
    x448PublicKey: x448Public,
    x448(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.x448, 'X448 private key');
      requireLength(publicKey, KEY_SIZES.x448, 'X448 public key');
      return rejectZero(checkResult(native.x448(privateKey, publicKey), KEY_SIZES.x448, 'X448 secret'));
    },

    ed25519KeyPair(): KeyPair {
      const privateKey = draw(random, KEY_SIZES.ed25519Private, 'an Ed25519 private key');
      return { publicKey: ed25519Public(privateKey), privateKey };
    },
    ed25519PublicKey: ed25519Public,
    ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed25519Private, 'Ed25519 private key');
      requireBytes(message, 'Ed25519 message');
      return checkResult(native.ed25519Sign(privateKey, message), KEY_SIZES.ed25519Signature, 'Ed25519 signature');
    },
    ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (!(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
      if (publicKey.length !== KEY_SIZES.ed25519Public || signature.length !== KEY_SIZES.ed25519Signature) return false;
      return native.ed25519Verify(publicKey, message, signature) === true;
    },
    ed448KeyPair(): KeyPair {
      const privateKey = draw(random, KEY_SIZES.ed448Private, 'an Ed448 private key');
      return { publicKey: ed448Public(privateKey), privateKey };
    },
    ed448PublicKey: ed448Public,
    ed448Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
      requireLength(privateKey, KEY_SIZES.ed448Private, 'Ed448 private key');
      requireBytes(message, 'Ed448 message');
      return checkResult(native.ed448Sign(privateKey, message), KEY_SIZES.ed448Signature, 'Ed448 signature');
    },
    ed448Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (!(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
      if (publicKey.length !== KEY_SIZES.ed448Public || signature.length !== KEY_SIZES.ed448Signature) return false;
      return native.ed448Verify(publicKey, message, signature) === true;
    },

    aes256GcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
      requireGcm(key, iv);
      requireBytes(plaintext, 'AES-GCM plaintext');
      requireBytes(aad, 'AES-GCM associated data');
      return checkResult(native.aes256GcmSeal(key, iv, plaintext, aad), TAG_LENGTH + plaintext.length, 'AES-GCM box');
    },
    aes256GcmDecrypt(key: Uint8Array, iv: Uint8Array, tagAndCiphertext: Uint8Array, aad: Uint8Array): Uint8Array | null {
      requireGcm(key, iv);
      requireBytes(tagAndCiphertext, 'AES-GCM box');
      requireBytes(aad, 'AES-GCM associated data');
      if (tagAndCiphertext.length < TAG_LENGTH) return null;
      const out = native.aes256GcmOpen(key, iv, tagAndCiphertext, aad);
      return out === null ? null : checkResult(out, tagAndCiphertext.length - TAG_LENGTH, 'AES-GCM plaintext');
    },

    hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array {
      requireLength(key, 32, 'HSalsa20 key');
      requireLength(input, 16, 'HSalsa20 input');
      return checkResult(native.hsalsa20(key, input), 32, 'HSalsa20 output');
    },
    xsalsa20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
      requireSecretbox(key, nonce, plaintext);
      return checkResult(native.secretboxSeal(key, nonce, plaintext), TAG_LENGTH + plaintext.length, 'secretbox');
    },
    xsalsa20Poly1305Open(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null {
      requireSecretbox(key, nonce, box);
      if (box.length < TAG_LENGTH) return null;
      const out = native.secretboxOpen(key, nonce, box);
      return out === null ? null : checkResult(out, box.length - TAG_LENGTH, 'secretbox plaintext');
    },

    sntrup761KeyPair(): KemKeyPair {
      // The synchronous native call completes inside kemKeyPair, so the outcome is set on return.
      const outcome: { pair: KemKeyPair | null; error: unknown } = { pair: null, error: null };
      kemKeyPair(
        (bytes, done) => done(native.sntrup761KeyPair(bytes)),
        (pair) => {
          outcome.pair = pair;
        },
        (e) => {
          outcome.error = e;
        },
      );
      if (outcome.error !== null) throw outcome.error;
      if (outcome.pair === null) throw new CryptoError('bad-key', 'sntrup761 key generation did not complete');
      return outcome.pair;
    },
    sntrup761KeyPairAsync(): Promise<KemKeyPair> {
      return new Promise<KemKeyPair>((resolve, reject) => {
        // Nothing is drawn or computed inside the call: the agent calls this while busy.
        later(() => {
          try {
            kemKeyPair((bytes, done) => native.sntrup761KeyPairAsync(bytes, done), resolve, reject);
          } catch (e) {
            reject(e);
          }
        });
      });
    },
    sntrup761Encapsulate(publicKey: Uint8Array): KemEncapsulation {
      requireLength(publicKey, KEY_SIZES.sntrup761Public, 'sntrup761 public key');
      const r = draw(random, SNTRUP761_ENC_RANDOM_BYTES, 'sntrup761 encapsulation');
      const enc = native.sntrup761Encapsulate(publicKey, r);
      r.fill(0);
      return {
        ciphertext: checkResult(enc.ciphertext, KEY_SIZES.sntrup761Ciphertext, 'sntrup761 ciphertext'),
        sharedSecret: checkResult(enc.sharedSecret, KEY_SIZES.sntrup761Shared, 'sntrup761 shared secret'),
      };
    },
    sntrup761Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
      requireLength(secretKey, KEY_SIZES.sntrup761Secret, 'sntrup761 secret key');
      requireLength(ciphertext, KEY_SIZES.sntrup761Ciphertext, 'sntrup761 ciphertext');
      return checkResult(native.sntrup761Decapsulate(secretKey, ciphertext), KEY_SIZES.sntrup761Shared, 'sntrup761 shared secret');
    },
  };
}
