/**
 * sntrup761: the Streamlined NTRU Prime KEM with p = 761, q = 4591, w = 286, byte-compatible with
 * simplexmq's cbits/sntrup761.c (SUPERCOP 20201130 crypto_kem/sntrup761/ref, as published in
 * draft-josefsson-ntruprime-streamlined-00), which the SimpleX double ratchet uses for its
 * post-quantum key exchange.
 *
 * The scheme, in R = Z[x]/(x^761 - x - 1) (see ntruprime/poly.ts for the ring):
 * - Key generation: a small g invertible mod 3, a short f (286 coefficients ±1, the rest 0).
 *   Public key h = g / (3f) in R/q. Secret key f, 1/g in R/3, plus what implicit rejection needs.
 * - Encapsulation: a random short r; ciphertext c = Round(h r) (each coefficient rounded to a
 *   multiple of 3), plus a hash confirming r. Shared secret = hash of r and the ciphertext.
 * - Decapsulation: 3f c = g r + 3f e (e the rounding error, |e_i| <= 1) holds over Z when
 *   reduced to [-q/2, q/2], because f, g, r, e are small; mod 3 the first term is g r and the
 *   second vanishes, so multiplying by 1/g mod 3 recovers r. Re-encrypting r and comparing with
 *   the ciphertext (Fujisaki-Okamoto style) rejects anything forged.
 *
 * Byte layouts (all sizes fixed):
 *   secret key  = Small(f) 191 ‖ Small(1/g mod 3) 191 ‖ pk 1158 ‖ rho 191 ‖ H4(pk) 32
 *   ciphertext  = Rounded(Round(h r)) 1007 ‖ H2(H3(Small(r)) ‖ H4(pk)) 32
 *   secret      = H1(H3(Small(r)) ‖ ciphertext), or on failure H0(H3(rho) ‖ ciphertext)
 * where Hb(x) = SHA-512(b ‖ x)[0..32] is the reference's domain-separated Hash_prefix.
 *
 * Randomness is taken from the caller's `randomBytes` in the reference's order and mapping:
 * g as 3044 bytes (repeated until invertible mod 3), f as 3044 bytes, rho as 191 bytes; r as
 * 3044 bytes. Drawing a polynomial's 761 words in one call gives the same bytes as 761 calls of
 * 4 bytes from a byte stream, which is how the known-answer tests feed it.
 *
 * Decapsulation handles only secret data through arithmetic and masks: the plaintext weight
 * check, the ciphertext comparison and the choice between the real and the rejection secret are
 * all mask selections, so a forged ciphertext costs the same as a valid one and never throws.
 * @module
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { CryptoError } from '../crypto';
import {
  decodeRounded,
  decodeRq,
  decodeSmall,
  encodeRounded,
  encodeRq,
  encodeSmall,
  RQ_BYTES,
  ROUNDED_BYTES,
  SMALL_BYTES,
} from './ntruprime/encoding';
import { P, nonzeroMask, r3FromRqTimes3, r3Mul, r3Recip, round3, rqMulSmall, rqRecip3 } from './ntruprime/poly';
import { POLY_RANDOM_BYTES, W, shortFromBytes, smallFromBytes } from './ntruprime/sample';

export const SNTRUP761_PUBLIC_KEY_BYTES = 1158;
export const SNTRUP761_SECRET_KEY_BYTES = 1763;
export const SNTRUP761_CIPHERTEXT_BYTES = 1039;
export const SNTRUP761_SHARED_SECRET_BYTES = 32;

/** Output length of every Hash_prefix: the first half of SHA-512. */
const HASH_BYTES = 32;

// Secret key offsets.
const SK_F = 0;
const SK_GINV = SMALL_BYTES; // 191
const SK_PK = 2 * SMALL_BYTES; // 382
const SK_RHO = SK_PK + RQ_BYTES; // 1540
const SK_CACHE = SK_RHO + SMALL_BYTES; // 1731

/** Hb(x) = SHA-512(b ‖ x)[0..32]: one-byte domain separation between the five uses. */
function hashPrefix(b: number, x: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + x.length);
  buf[0] = b;
  buf.set(x, 1);
  return new Uint8Array(sha512(buf).subarray(0, HASH_BYTES));
}

/** H_b(H3(y) ‖ z): the session key with b = 1, the rejection key with b = 0, the confirmation with b = 2. */
function hashTwo(b: number, y: Uint8Array, z: Uint8Array): Uint8Array {
  const x = new Uint8Array(HASH_BYTES + z.length);
  x.set(hashPrefix(3, y), 0);
  x.set(z, HASH_BYTES);
  return hashPrefix(b, x);
}

function draw(randomBytes: (n: number) => Uint8Array, n: number): Uint8Array {
  const b = randomBytes(n);
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new CryptoError('bad-length', 'sntrup761: the random source returned the wrong number of bytes');
  }
  return b;
}

function checkLength(x: Uint8Array, expected: number, what: string): void {
  if (!(x instanceof Uint8Array) || x.length !== expected) {
    throw new CryptoError(
      'bad-length',
      'sntrup761: ' + what + ' must be ' + expected + ' bytes, got ' + (x instanceof Uint8Array ? x.length : typeof x),
    );
  }
}

/**
 * Deterministic part of encapsulation, shared with decapsulation's re-encryption:
 * Rounded(Round(h r)) ‖ H2(H3(rEnc) ‖ cache), with cache = H4(pk).
 */
function hide(h: Int16Array, r: Int8Array, rEnc: Uint8Array, cache: Uint8Array): Uint8Array {
  const ct = new Uint8Array(SNTRUP761_CIPHERTEXT_BYTES);
  ct.set(encodeRounded(round3(rqMulSmall(h, r))), 0);
  ct.set(hashTwo(2, rEnc, cache), ROUNDED_BYTES);
  return ct;
}

/** Key generation. Draws 3044 bytes per g attempt (normally one), 3044 for f, 191 for rho. */
export function sntrup761KeyPair(randomBytes: (n: number) => Uint8Array): {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
} {
  // g must be invertible in R/3 for decryption; about 3^-19 of candidates are not, and a fresh
  // draw replaces them (the retry reveals nothing about the g finally kept).
  let g: Int8Array;
  let ginv: Int8Array | null;
  do {
    g = smallFromBytes(draw(randomBytes, POLY_RANDOM_BYTES));
    ginv = r3Recip(g);
  } while (ginv === null);

  const f = shortFromBytes(draw(randomBytes, POLY_RANDOM_BYTES));
  const h = rqMulSmall(rqRecip3(f), g); // g / (3f); 3f is invertible because R/q is a field
  const publicKey = encodeRq(h);

  const secretKey = new Uint8Array(SNTRUP761_SECRET_KEY_BYTES);
  secretKey.set(encodeSmall(f), SK_F);
  secretKey.set(encodeSmall(ginv), SK_GINV);
  secretKey.set(publicKey, SK_PK);
  secretKey.set(draw(randomBytes, SMALL_BYTES), SK_RHO);
  secretKey.set(hashPrefix(4, publicKey), SK_CACHE);
  f.fill(0);
  g.fill(0);
  ginv.fill(0);
  return { publicKey, secretKey };
}

/** Encapsulation to `publicKey`. Draws 3044 bytes for r. */
export function sntrup761Encapsulate(
  publicKey: Uint8Array,
  randomBytes: (n: number) => Uint8Array,
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  checkLength(publicKey, SNTRUP761_PUBLIC_KEY_BYTES, 'public key');
  const r = shortFromBytes(draw(randomBytes, POLY_RANDOM_BYTES));
  const rEnc = encodeSmall(r);
  const ciphertext = hide(decodeRq(publicKey), r, rEnc, hashPrefix(4, publicKey));
  const sharedSecret = hashTwo(1, rEnc, ciphertext);
  r.fill(0);
  rEnc.fill(0);
  return { ciphertext, sharedSecret };
}

/**
 * Decapsulation. Never fails on well-sized input: a ciphertext that does not re-encrypt to
 * itself yields the implicit-rejection secret H0(H3(rho) ‖ ciphertext), which looks random to
 * anyone without the secret key.
 */
export function sntrup761Decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkLength(secretKey, SNTRUP761_SECRET_KEY_BYTES, 'secret key');
  checkLength(ciphertext, SNTRUP761_CIPHERTEXT_BYTES, 'ciphertext');
  const f = decodeSmall(secretKey, SK_F);
  const ginv = decodeSmall(secretKey, SK_GINV);
  const pk = secretKey.subarray(SK_PK, SK_PK + RQ_BYTES);
  const rho = secretKey.subarray(SK_RHO, SK_RHO + SMALL_BYTES);
  const cache = secretKey.subarray(SK_CACHE, SK_CACHE + HASH_BYTES);

  // e = 3 f c mod q, then mod 3: equals g r mod 3 for an honest ciphertext.
  const c = decodeRounded(ciphertext);
  const e = r3FromRqTimes3(rqMulSmall(c, f));
  const ev = r3Mul(e, ginv); // r, if the ciphertext was honest

  // Weight check: an honest r has exactly w nonzero coefficients. If ev does not, replace it by
  // the fixed weight-w vector (1, ..., 1, 0, ..., 0) so re-encryption still runs on a valid
  // short polynomial; the comparison below then fails. x & 1 is 1 exactly for x = ±1.
  let weight = 0;
  for (let i = 0; i < P; i++) weight += ev[i] & 1;
  const bad = nonzeroMask(weight - W); // -1 when the weight is wrong
  const r = new Int8Array(P);
  for (let i = 0; i < W; i++) r[i] = ((ev[i] ^ 1) & ~bad) ^ 1;
  for (let i = W; i < P; i++) r[i] = ev[i] & ~bad;

  const rEnc = encodeSmall(r);
  const cnew = hide(decodeRq(pk), r, rEnc, cache);

  // differ = 0 when the ciphertexts are equal, -1 otherwise (OR of all byte differences, then
  // (x - 1) >> 8 has its low bit set only for x = 0).
  let diff = 0;
  for (let i = 0; i < SNTRUP761_CIPHERTEXT_BYTES; i++) diff |= ciphertext[i] ^ cnew[i];
  const differ = (1 & ((diff - 1) >> 8)) - 1;

  // On mismatch, hash rho (a secret random string) in place of r, under prefix 0 instead of 1.
  for (let i = 0; i < SMALL_BYTES; i++) rEnc[i] ^= differ & (rEnc[i] ^ rho[i]);
  const sharedSecret = hashTwo(1 + differ, rEnc, ciphertext);

  f.fill(0);
  ginv.fill(0);
  e.fill(0);
  ev.fill(0);
  r.fill(0);
  rEnc.fill(0);
  return sharedSecret;
}
