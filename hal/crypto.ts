import { SimpleGoError } from './errors';

/**
 * The complete cryptographic suite SimpleGo needs, behind one buffer-oriented interface.
 *
 * Why an interface: firmware/ must run on Espruino, which has no BigInt and interprets
 * JavaScript at a few thousand loop iterations per second, so on the device every
 * primitive is a single call into the native layer. On the desktop the same interface is
 * backed by node:crypto (OpenSSL) plus noble, or by noble alone (the portable backend).
 *
 * Conventions, identical in every backend:
 * - Uint8Array in, fresh Uint8Array out; inputs are never modified or retained.
 * - Keys are raw bytes (X25519/Ed25519 32, X448 56, Ed448 57 public / 57 private);
 *   SPKI DER encodings live in firmware/crypto/keys.ts.
 * - Authenticated ciphertexts are `tag(16) ‖ ciphertext`, the order SimpleX puts them on the
 *   wire (NaCl boxes and the ratchet's AES-GCM alike).
 * - Authentication failure is a `null` result, not an exception; the caller maps it to the
 *   protocol's typed error. Wrong argument sizes are programming errors: `CryptoError`.
 * - Key generation draws from the backend's `Random`; nothing else is random.
 * - No BigInt anywhere in the interface.
 */
export interface Crypto {
  /** Backend name, for logs and benchmarks ("node", "portable", "espruino"). */
  readonly name: string;

  // Hashes and KDFs
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  sha3_256(data: Uint8Array): Uint8Array;
  sha3_384(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF with SHA-512; `length` <= 255 * 64. An empty salt means 64 zero bytes, per the RFC. */
  hkdfSha512(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /**
   * RFC 8018 PBKDF2 with HMAC-SHA-512: the store's PIN/passphrase KDF (firmware/store/keyring.ts
   * says why this one). `iterations` 1..10,000,000 and `length` 1..1024, else CryptoError
   * 'bad-length'. On the device it is the native layer's `pbkdf2('sha512', ...)` (hal/native-api.ts);
   * stock Espruino's `crypto.PBKDF2(p, s, {hasher: 'SHA512', ...})` computes the same function.
   */
  pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;

  // Key agreement. A shared secret of all zeros (a low-order peer key) is rejected with CryptoError.
  x25519KeyPair(): KeyPair;
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  x448KeyPair(): KeyPair;
  x448PublicKey(privateKey: Uint8Array): Uint8Array;
  x448(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  // Signatures: pure EdDSA (RFC 8032), no prehash, empty context.
  ed25519KeyPair(): KeyPair;
  ed25519PublicKey(privateKey: Uint8Array): Uint8Array;
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  ed448KeyPair(): KeyPair;
  ed448PublicKey(privateKey: Uint8Array): Uint8Array;
  ed448Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  ed448Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /**
   * AES-256-GCM. `iv` may be 12 or 16 bytes and is used as given (a 16-byte IV goes through
   * GHASH to form J0, NIST SP 800-38D); the ratchet depends on 16-byte IVs.
   * Returns `tag(16) ‖ ciphertext`.
   */
  aes256GcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Opens `tag(16) ‖ ciphertext`; null when the tag does not verify. */
  aes256GcmDecrypt(key: Uint8Array, iv: Uint8Array, tagAndCiphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;

  /** HSalsa20 core: 32-byte key, 16-byte input, 32-byte output (NaCl crypto_core_hsalsa20). */
  hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array;
  /** NaCl crypto_secretbox (XSalsa20-Poly1305): returns `tag(16) ‖ ciphertext`. */
  xsalsa20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Opens `tag(16) ‖ ciphertext`; null when the tag does not verify (compared in constant time). */
  xsalsa20Poly1305Open(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;

  /** sntrup761 (Streamlined NTRU Prime 761), byte-compatible with simplexmq cbits/sntrup761.c. */
  sntrup761KeyPair(): KemKeyPair;
  /**
   * The same, without blocking the caller: key generation is the slowest operation in the
   * suite (about 1.9 s natively on the ESP32-S3), so the agent precomputes the next key pair
   * through this call while the device is idle.
   */
  sntrup761KeyPairAsync(): Promise<KemKeyPair>;
  sntrup761Encapsulate(publicKey: Uint8Array): KemEncapsulation;
  /** Never fails on a well-sized ciphertext: a forged one yields the implicit-rejection secret. */
  sntrup761Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface KemKeyPair {
  /** 1158 bytes. */
  readonly publicKey: Uint8Array;
  /** 1763 bytes. */
  readonly secretKey: Uint8Array;
}

export interface KemEncapsulation {
  /** 1039 bytes. */
  readonly ciphertext: Uint8Array;
  /** 32 bytes. */
  readonly sharedSecret: Uint8Array;
}

export type CryptoErrorCode =
  | 'bad-length' // an argument has the wrong size for the primitive
  | 'weak-key' // key agreement produced the all-zero secret (low-order public key)
  | 'bad-key'; // a key the primitive cannot use (e.g. an invalid Ed448 point)

export class CryptoError extends SimpleGoError {
  constructor(code: CryptoErrorCode, message: string) {
    super(code, message);
    this.name = 'CryptoError';
  }
}

/** Sizes shared by every backend and by the tests. */
export const KEY_SIZES = {
  x25519: 32,
  x448: 56,
  ed25519Public: 32,
  ed25519Private: 32,
  ed25519Signature: 64,
  ed448Public: 57,
  ed448Private: 57,
  ed448Signature: 114,
  sntrup761Public: 1158,
  sntrup761Secret: 1763,
  sntrup761Ciphertext: 1039,
  sntrup761Shared: 32,
} as const;
