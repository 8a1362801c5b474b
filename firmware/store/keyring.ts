/**
 * The keyring: the store's random master key, wrapped under a key derived from the user's PIN.
 *
 * KDF choice: PBKDF2-HMAC-SHA-512 (RFC 8018), parameters in the file header.
 * - The device has no memory-hard KDF: Espruino's crypto module offers PBKDF2 over SHA-1/2 and
 *   nothing else (espruino-target.md §4.2), and the heap (about 229 KB for everything) rules out
 *   scrypt/Argon2 sizes that would matter. The SimpleGo native layer exposes the same PBKDF2
 *   (hal/native-api.ts), so one definition serves the device, the simulator and the tests.
 * - SHA-512 rather than SHA-256: per second of ESP32 time the two buy about the same protection.
 *   GPUs run a PBKDF2-HMAC-SHA-256 iteration about 2.9 times faster than a SHA-512 one (the ratio
 *   behind OWASP's 600,000 vs 210,000 recommended iterations), and a 32-bit core like the
 *   ESP32's pays a similar 3-4 times (estimated) for SHA-512's 64-bit words. With the
 *   attack economics a wash within the estimates' error, the tie goes to SHA-512 because the
 *   store and the protocol already stand on it (HKDF-SHA-512 derives every file key, HMAC-SHA-512
 *   is in the native layer), so one hash implementation, and one hardware accelerator path (the
 *   ESP32 SHA engine does SHA-512), serves everything.
 * - Iterations: DEFAULT_ITERATIONS = 10,000 by default, stored per card. Estimate for the ESP32
 *   (no board was available to measure): native SHA-256 of 16 KB takes about 6.5 ms there
 *   (espruino-target.md §3, 59x the host figure), so a SHA-512 compression costs roughly 80-100 us;
 *   mbedTLS 2.x's PBKDF2 (what stock Espruino calls) spends 4 compressions per iteration, a
 *   native loop with precomputed HMAC pads 2. That puts 10,000 iterations at about 1.6-4 s, the
 *   budget for an unlock. calibrateIterations() measures the real board and scales the count to
 *   a target time; changePin() can raise it later.
 * - What the count cannot do: a 4-6 digit PIN has at most 10^6 values, which a GPU tries in
 *   seconds at any count a microcontroller can afford. A stolen card is protected by binding the
 *   store to the device (FLAG_DEVICE_BOUND: a 256-bit secret in internal flash enters the key
 *   derivation, so the card alone is useless) and by a passphrase instead of a PIN. The attempt
 *   counter and wipe only limit guessing through the device's own keypad.
 *
 * File `<root>/keyring` (140 bytes, big-endian), written atomically:
 *   0   4  magic "SGK1"
 *   4   1  version = 1
 *   5   1  kdf = 1 (PBKDF2-HMAC-SHA-512)
 *   6   1  flags: bit 0 device-bound, bit 1 anchored (rollback anchor in internal flash); others 0
 *   7   1  reserved = 0
 *   8   4  iterations (MIN_ITERATIONS..MAX_ITERATIONS)
 *   12  2  wipeAfter: erase the store at this many consecutive wrong PINs (0 = never, else >= 3)
 *   14  2  reserved = 0
 *   16  16 storeId (random; binds every other file of the store to this one)
 *   32  32 kdfSalt (random, new on every PIN change)
 *   64  12 nonce (random)
 *   76  48 AES-256-GCM(KEK, nonce, masterKey, aad = bytes 0..64) as tag(16) ‖ ciphertext(32)
 *   124 16 check = SHA-256(bytes 0..124)[0..16]
 * where P = PBKDF2-HMAC-SHA-512(UTF-8(pin), kdfSalt, iterations, 64),
 *       KEK = HKDF-SHA-512(salt = empty, ikm = P [‖ deviceSecret when device-bound],
 *                          info = "SimpleGo store v1 key wrap" ‖ storeId, 32).
 * The check is not security: anyone can recompute it. It lets a damaged file be reported as
 * damaged instead of as a wrong PIN, which would otherwise count towards the wipe.
 *
 * File `<root>/tries` on the card, and `sgtry` in internal flash when there is an anchor
 * (8 bytes): magic "SGT1" ‖ consecutive wrong PINs u32. Unauthenticated by necessity (it is
 * written before the PIN is known to be right); the larger of the two copies counts.
 */
import type { Clock } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { concatBytes, equalBytes, wipe } from '../encoding/bytes';
import { utf8Encode } from '../encoding/utf8';
import { ascii, hasMagic, readU16, readU32, writeU16, writeU32 } from './bytes';
import { StoreError } from './errors';

export const KEYRING_SIZE = 140;
export const KEYRING_VERSION = 1;
export const KDF_PBKDF2_SHA512 = 1;
export const FLAG_DEVICE_BOUND = 1;
export const FLAG_ANCHORED = 2;

/** Floor for stored counts: low enough for tests, far below any production setting. */
export const MIN_ITERATIONS = 1000;
/** Ceiling: a tampered or mistaken count must not freeze the device for hours at unlock. */
export const MAX_ITERATIONS = 1000000;
export const DEFAULT_ITERATIONS = 10000;
/** PIN or passphrase size in UTF-8 bytes. */
export const MIN_PIN_BYTES = 4;
export const MAX_PIN_BYTES = 256;

export const MASTER_KEY_SIZE = 32;
export const STORE_ID_SIZE = 16;
export const DEVICE_SECRET_SIZE = 32;

const MAGIC = ascii('SGK1');
const TRIES_MAGIC = ascii('SGT1');
const WRAP_INFO = ascii('SimpleGo store v1 key wrap');
const WRAP_AAD_END = 64;
const NONCE_AT = 64;
const SEALED_AT = 76;
const CHECK_AT = 124;

export interface KeyringParams {
  flags: number;
  iterations: number;
  wipeAfter: number;
  storeId: Uint8Array;
}

/** A parsed keyring file: its parameters plus the bytes they came from. */
export interface Keyring extends KeyringParams {
  readonly bytes: Uint8Array;
}

/** The PIN as UTF-8 bytes; the caller wipes them after use. */
export function pinBytes(pin: string): Uint8Array {
  if (typeof pin !== 'string') throw new StoreError('bad-argument', 'the PIN must be a string');
  const bytes = utf8Encode(pin);
  if (bytes.length < MIN_PIN_BYTES || bytes.length > MAX_PIN_BYTES) {
    wipe(bytes);
    throw new StoreError('bad-argument', 'a PIN must be ' + MIN_PIN_BYTES + ' to ' + MAX_PIN_BYTES + ' bytes long');
  }
  return bytes;
}

export function checkKeyringParams(iterations: number, wipeAfter: number): void {
  if (typeof iterations !== 'number' || iterations % 1 !== 0 || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new StoreError('bad-argument', 'KDF iterations must be an integer ' + MIN_ITERATIONS + '..' + MAX_ITERATIONS);
  }
  if (typeof wipeAfter !== 'number' || wipeAfter % 1 !== 0 || (wipeAfter !== 0 && (wipeAfter < 3 || wipeAfter > 0xffff))) {
    // Fewer than 3 would let one typo, or a child pressing keys, erase everything.
    throw new StoreError('bad-argument', 'wipeAfter must be 0 (never) or 3..65535 wrong PINs');
  }
}

function deriveKek(crypto: Crypto, params: KeyringParams, kdfSalt: Uint8Array, pin: Uint8Array, deviceSecret: Uint8Array | null): Uint8Array {
  const p = crypto.pbkdf2Sha512(pin, kdfSalt, params.iterations, 64);
  const ikm = deviceSecret === null ? p : concatBytes([p, deviceSecret]);
  const kek = crypto.hkdfSha512(new Uint8Array(0), ikm, concatBytes([WRAP_INFO, params.storeId]), 32);
  wipe(p);
  wipe(ikm);
  return kek;
}

function requireSecretFor(flags: number, deviceSecret: Uint8Array | null): void {
  const bound = (flags & FLAG_DEVICE_BOUND) !== 0;
  if (bound !== (deviceSecret !== null)) throw new Error('keyring: device secret given iff the store is device-bound');
  if (deviceSecret !== null && deviceSecret.length !== DEVICE_SECRET_SIZE) throw new Error('keyring: device secret must be 32 bytes');
}

/** A new keyring file wrapping `masterKey` under `pin` (fresh salt and nonce). */
export function buildKeyring(
  crypto: Crypto,
  random: Random,
  params: KeyringParams,
  pin: Uint8Array,
  deviceSecret: Uint8Array | null,
  masterKey: Uint8Array,
): Uint8Array {
  checkKeyringParams(params.iterations, params.wipeAfter);
  requireSecretFor(params.flags, deviceSecret);
  if (params.storeId.length !== STORE_ID_SIZE || masterKey.length !== MASTER_KEY_SIZE) throw new Error('keyring: bad key sizes');
  const out = new Uint8Array(KEYRING_SIZE);
  out.set(MAGIC, 0);
  out[4] = KEYRING_VERSION;
  out[5] = KDF_PBKDF2_SHA512;
  out[6] = params.flags;
  writeU32(out, 8, params.iterations);
  writeU16(out, 12, params.wipeAfter);
  out.set(params.storeId, 16);
  const kdfSalt = random.bytes(32);
  out.set(kdfSalt, 32);
  const nonce = random.bytes(12);
  out.set(nonce, NONCE_AT);
  const kek = deriveKek(crypto, params, kdfSalt, pin, deviceSecret);
  const sealed = crypto.aes256GcmEncrypt(kek, nonce, masterKey, out.subarray(0, WRAP_AAD_END));
  wipe(kek);
  out.set(sealed, SEALED_AT);
  out.set(crypto.sha256(out.subarray(0, CHECK_AT)).subarray(0, 16), CHECK_AT);
  return out;
}

/** Parses a keyring file; throws 'damaged' or 'unsupported' naming the keyring. */
export function parseKeyring(crypto: Crypto, bytes: Uint8Array): Keyring {
  if (bytes.length !== KEYRING_SIZE || !hasMagic(bytes, 0, MAGIC)) {
    throw new StoreError('damaged', 'the keyring file is not a SimpleGo keyring (wrong size or magic)', 'keyring');
  }
  if (!equalBytes(crypto.sha256(bytes.subarray(0, CHECK_AT)).subarray(0, 16), bytes.subarray(CHECK_AT))) {
    throw new StoreError('damaged', 'the keyring file is corrupted (checksum mismatch); the store cannot be unlocked', 'keyring');
  }
  if (bytes[4] !== KEYRING_VERSION || bytes[5] !== KDF_PBKDF2_SHA512) {
    throw new StoreError('unsupported', 'keyring version ' + bytes[4] + ' / KDF ' + bytes[5] + ' is not supported by this firmware', 'keyring');
  }
  const flags = bytes[6];
  const iterations = readU32(bytes, 8);
  const wipeAfter = readU16(bytes, 12);
  if ((flags & ~(FLAG_DEVICE_BOUND | FLAG_ANCHORED)) !== 0 || bytes[7] !== 0 || readU16(bytes, 14) !== 0) {
    throw new StoreError('unsupported', 'the keyring uses flags this firmware does not know', 'keyring');
  }
  try {
    checkKeyringParams(iterations, wipeAfter);
  } catch (e) {
    throw new StoreError('damaged', 'the keyring holds impossible KDF parameters', 'keyring');
  }
  return { flags, iterations, wipeAfter, storeId: bytes.subarray(16, 32), bytes };
}

/** The master key, or null when the PIN (or the device secret) is not the one it was wrapped with. */
export function unwrapMasterKey(crypto: Crypto, keyring: Keyring, pin: Uint8Array, deviceSecret: Uint8Array | null): Uint8Array | null {
  requireSecretFor(keyring.flags, deviceSecret);
  const b = keyring.bytes;
  const kek = deriveKek(crypto, keyring, b.subarray(32, 64), pin, deviceSecret);
  const mk = crypto.aes256GcmDecrypt(kek, b.subarray(NONCE_AT, SEALED_AT), b.subarray(SEALED_AT, CHECK_AT), b.subarray(0, WRAP_AAD_END));
  wipe(kek);
  return mk;
}

export function encodeAttempts(failures: number): Uint8Array {
  const out = new Uint8Array(8);
  out.set(TRIES_MAGIC, 0);
  writeU32(out, 4, failures);
  return out;
}

/** The counter in an attempts file; a missing or unreadable file counts as 0 (see the header). */
export function decodeAttempts(bytes: Uint8Array | null): number {
  if (bytes === null || bytes.length !== 8 || !hasMagic(bytes, 0, TRIES_MAGIC)) return 0;
  return readU32(bytes, 4);
}

/**
 * Wait imposed after `failures` consecutive wrong PINs. The first three are forgiven (typos);
 * from the fourth each doubles the wait, from 30 s up to one hour.
 */
export function lockoutDelayMs(failures: number): number {
  if (failures < 4) return 0;
  const steps = failures - 4;
  if (steps >= 7) return 3600000;
  return 30000 * (1 << steps);
}

/**
 * An iteration count that takes about `targetMs` on this machine, measured with the Clock (on the
 * device: the real board, which the estimates above only approximate). Clamped to the bounds.
 */
export function calibrateIterations(crypto: Crypto, clock: Clock, targetMs: number): number {
  const salt = new Uint8Array(32);
  const pin = ascii('calibration');
  let probe = MIN_ITERATIONS;
  let elapsed = 0;
  // Grow the probe until it takes long enough to measure against a millisecond clock.
  for (let round = 0; round < 4; round++) {
    const start = clock.monotonic();
    crypto.pbkdf2Sha512(pin, salt, probe, 64);
    elapsed = clock.monotonic() - start;
    if (elapsed >= 50 || probe * 10 > MAX_ITERATIONS) break;
    probe *= 10;
  }
  const scaled = elapsed > 0 ? Math.floor((probe * targetMs) / elapsed) : MAX_ITERATIONS;
  return scaled < MIN_ITERATIONS ? MIN_ITERATIONS : scaled > MAX_ITERATIONS ? MAX_ITERATIONS : scaled;
}
