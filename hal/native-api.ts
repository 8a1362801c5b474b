/**
 * The native layer's JavaScript API: the contract between the SimpleGo device image's C code
 * (compiled into the custom Espruino firmware, exposed with Espruino's jswrap convention) and
 * the JavaScript above it. hal/espruino's Crypto, Random, Net, Camera and QrScanner backends
 * are thin adapters from the HAL interfaces onto this object; a Node implementation of it
 * (test/hal/native/node-native.ts) runs the same conformance suite in CI
 * (test/hal/native/conformance.ts), so any native implementation is checked by the same tests.
 *
 * Why a native layer at all: Espruino has no BigInt and interprets at a few thousand loop
 * iterations per second, its TLS is 1.2-only without certificates, ALPN or tls-unique, and its
 * random source is a fixed-seed PRNG (shared/spec/espruino-target.md §3, §4, §8). Everything
 * proportional to message size or needing big-number arithmetic happens here, in one call.
 *
 * Reached on the device as `require("simplego")` (NATIVE_MODULE_NAME), a built-in module of the
 * firmware. Conventions for every function below:
 * - Byte arguments are Uint8Arrays (views allowed); results are fresh Uint8Arrays that own their
 *   memory. Inputs are never modified or retained past the call.
 * - A wrong argument type or size throws a plain Error whose message starts with the function
 *   name. C implementations MUST check every length before touching memory; the JavaScript
 *   adapters check too, and turn the mistake into the HAL's typed error first.
 * - An authentication failure is `null` (AEAD and box opening) or `false` (signature checks),
 *   never an exception. Tags are compared in constant time.
 * - Keys are raw bytes: X25519/Ed25519 32, X448 56, Ed448 57. Authenticated ciphertexts are
 *   `tag(16) ‖ ciphertext`, the order SimpleX puts them on the wire.
 * - Nothing here logs, and no error message contains key material or plaintext.
 * - Callbacks (TLS events, asynchronous key generation, camera) are always called from the
 *   interpreter's event loop, never from inside the call that registered them.
 */
import type { NetErrorCode } from './net';

/** The built-in module name the firmware registers the native layer under. */
export const NATIVE_MODULE_NAME = 'simplego';

/**
 * The API revision this JavaScript expects. The firmware reports its own in `apiVersion`; the
 * boot self-test refuses to run on a mismatch instead of failing later in a confusing way.
 */
export const NATIVE_API_VERSION = 1;

/**
 * Random bytes sntrup761 consumes (simplexmq cbits/sntrup761.c call order, see
 * shared/vectors/sntrup761-README.md): key generation takes 3044 for g, 3044 for f and 191 for
 * rho when g is invertible at the first draw; each non-invertible g costs another 3044 first.
 * Encapsulation takes exactly 3044.
 */
export const SNTRUP761_KEYPAIR_RANDOM_BYTES = 6279;
export const SNTRUP761_RETRY_RANDOM_BYTES = 3044;
export const SNTRUP761_ENC_RANDOM_BYTES = 3044;

/** Largest randomBytes() request (as hal/random.ts allows). */
export const NATIVE_MAX_RANDOM_BYTES = 65536;

/** The hash functions HMAC, HKDF and PBKDF2 are offered with. */
export type NativeHash = 'sha256' | 'sha512';

export interface NativeKemKeyPair {
  /** 1158 bytes. */
  readonly publicKey: Uint8Array;
  /** 1763 bytes. */
  readonly secretKey: Uint8Array;
}

export interface NativeKemEncapsulation {
  /** 1039 bytes. */
  readonly ciphertext: Uint8Array;
  /** 32 bytes. */
  readonly sharedSecret: Uint8Array;
}

export interface NativeCrypto {
  /** `n` bytes (0..65536) from the hardware RNG (esp_random with the RF subsystem on). */
  randomBytes(n: number): Uint8Array;

  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  sha3_256(data: Uint8Array): Uint8Array;
  sha3_384(data: Uint8Array): Uint8Array;
  hmac(hash: NativeHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869; `length` 1..255*hashLen. An empty salt means hashLen zero bytes, per the RFC. */
  hkdf(hash: NativeHash, salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** RFC 8018 PBKDF2 with HMAC-`hash`; iterations 1..10,000,000, length 1..1024. */
  pbkdf2(hash: NativeHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;

  /**
   * The RFC 7748 X25519 function on a 32-byte scalar and u-coordinate. The public key of a
   * private key is x25519(privateKey, basepoint 9). The result may be all zeros (a low-order
   * u): rejecting that is the caller's job, so the function stays the textbook one.
   */
  x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  /** The same for X448 (56-byte scalar and u; base point 5). */
  x448(scalar: Uint8Array, u: Uint8Array): Uint8Array;

  /** RFC 8032 pure Ed25519 from a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * Strict verification: false for a wrong-sized key or signature, a non-canonical or
   * small-order public key, s >= L, or a bad signature.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** RFC 8032 pure Ed448 (empty context) from a 57-byte seed. */
  ed448PublicKey(seed: Uint8Array): Uint8Array;
  ed448Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  ed448Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /**
   * AES-256-GCM with a 12..128-byte IV used as given: anything but 12 bytes goes through GHASH
   * to form J0 (NIST SP 800-38D). The ratchet depends on 16-byte IVs. Returns tag ‖ ciphertext.
   */
  aes256GcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Null when the tag does not verify; no unauthenticated plaintext is ever returned. */
  aes256GcmOpen(key: Uint8Array, iv: Uint8Array, tagAndCiphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;

  /** NaCl crypto_core_hsalsa20: 32-byte key, 16-byte input, 32-byte output. */
  hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array;
  /** NaCl crypto_secretbox (XSalsa20-Poly1305, 24-byte nonce): tag ‖ ciphertext. */
  secretboxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  secretboxOpen(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;
  /**
   * NaCl crypto_box (X25519, HSalsa20, XSalsa20-Poly1305): tag ‖ ciphertext. Throws on a
   * low-order public key (the shared secret would be public).
   */
  cryptoBoxSeal(publicKey: Uint8Array, privateKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  cryptoBoxOpen(publicKey: Uint8Array, privateKey: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;
  /** The SimpleX symmetric box: crypto_secretbox under HSalsa20(key, 0^16) instead of key. */
  sbSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  sbOpen(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;

  /**
   * sntrup761 key generation, byte-compatible with simplexmq, reading its randomness from
   * `random` in the reference call order (SNTRUP761_KEYPAIR_RANDOM_BYTES normally). Returns
   * null when `random` runs out (g was not invertible): call again with the same bytes plus
   * SNTRUP761_RETRY_RANDOM_BYTES more. Randomness is passed in, not drawn, so the result is a
   * pure function of its input and the known-answer vectors apply to the native code directly.
   */
  sntrup761KeyPair(random: Uint8Array): NativeKemKeyPair | null;
  /**
   * The same, computed off the interpreter (a background task on the second core: it takes
   * about 1.9 s on the ESP32-S3), with the result delivered to `done` from the event loop.
   */
  sntrup761KeyPairAsync(random: Uint8Array, done: (pair: NativeKemKeyPair | null) => void): void;
  /** Encapsulation with exactly SNTRUP761_ENC_RANDOM_BYTES of randomness. */
  sntrup761Encapsulate(publicKey: Uint8Array, random: Uint8Array): NativeKemEncapsulation;
  /** Never fails on well-sized input: a forged ciphertext yields the implicit-rejection secret. */
  sntrup761Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** What the handshake established (see hal/net.ts TlsSocket for the meaning of each field). */
export interface NativeTlsSession {
  /** "TLSv1.3". */
  readonly protocol: string;
  /** The ALPN protocol the server selected, "" for none. */
  readonly alpn: string;
  /** DER certificates exactly as the server sent them, leaf first. */
  readonly peerCertificates: Uint8Array[];
  /** The client Finished verify_data (32 bytes with SHA-256). */
  readonly tlsUnique: Uint8Array;
}

/** How a connection ended: "" for a clean close, otherwise the hal/net.ts error code. */
export type NativeCloseCode = '' | NetErrorCode;

export interface NativeTlsEvents {
  /** The handshake completed. Called at most once, before any onData. */
  onOpen(session: NativeTlsSession): void;
  /** Decrypted bytes in order; chunk boundaries are arbitrary. Each chunk is the caller's to keep. */
  onData(data: Uint8Array): void;
  /**
   * Called exactly once, last: after a failed connect or handshake (without onOpen), after the
   * peer closed, or after close(). `message` is for logs: host, port and the library's reason.
   */
  onClose(code: NativeCloseCode, message: string): void;
}

export interface NativeTlsConnection {
  /** Queues bytes (copied before returning). Ignored before onOpen and after close. */
  write(data: Uint8Array): void;
  /** Closes (or abandons a connect in progress); onClose follows from the event loop. Idempotent. */
  close(): void;
}

export interface NativeTls {
  /**
   * TCP connect and a TLS 1.3 handshake offering TLS_CHACHA20_POLY1305_SHA256, groups X25519 and
   * X448, signature algorithms Ed25519 and Ed448, the given ALPN list and NO server_name
   * extension. The peer certificate is not verified here: firmware/ pins it by fingerprint.
   * `timeoutMs` bounds connect plus handshake (onClose "timeout").
   */
  tlsConnect(host: string, port: number, alpn: string[], timeoutMs: number, events: NativeTlsEvents): NativeTlsConnection;
}

/**
 * The camera and the QR decoder, on boards that have a camera. Frames stay in native memory
 * unless JavaScript asks for a (small) preview: a 320x240 grey frame alone would take a third of
 * Espruino's variable space.
 */
export interface NativeCamera {
  /** Size of the grey preview frames start() delivers. */
  readonly previewWidth: number;
  readonly previewHeight: number;
  /** Delivers downscaled grey frames (one luma byte per pixel) at most `maxFps` times a second. */
  start(maxFps: number, onFrame: (gray: Uint8Array, width: number, height: number) => void, onError: (message: string) => void): void;
  stop(): void;
  /**
   * Runs camera and decoder natively at full resolution and reports each distinct code's payload
   * bytes once. `onError` reports a camera failure, after which scanning has stopped.
   */
  scanStart(onCode: (payload: Uint8Array) => void, onError: (message: string) => void): void;
  scanStop(): void;
  /** Decodes one grey frame; the payload bytes of the first code found, or null. */
  decode(gray: Uint8Array, width: number, height: number): Uint8Array | null;
}

/** The whole native layer as `require("simplego")` returns it. */
export interface NativeApi extends NativeCrypto, NativeTls {
  /** The firmware's API revision; must equal NATIVE_API_VERSION. */
  readonly apiVersion: number;
  /** Null on boards without a camera (the T-Deck Plus). */
  readonly camera: NativeCamera | null;
}
