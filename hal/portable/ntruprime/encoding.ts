/**
 * Byte encodings of sntrup761: small polynomials (2 bits per coefficient) and the mixed-radix
 * Encode/Decode of the NTRU Prime specification for R/q elements (public key) and rounded
 * elements (ciphertext).
 *
 * Encode packs a sequence of integers 0 <= R[i] < M[i] into nearly log2(prod M[i]) / 8 bytes:
 * 761 digits of radix 4591 take 1158 bytes (9.25 bits each, 1.2 bits short of 16-bit words),
 * 761 digits of radix 1531 take 1007 bytes. The radices M depend only on the parameters, so
 * every loop bound and byte count below is public; only the digit values vary.
 * @module
 */
import { P, Q, Q12 } from './poly';

/** Bytes of an encoded small polynomial: 4 coefficients per byte, plus one byte for the last. */
export const SMALL_BYTES = 191;
/** Bytes of an encoded element of R/q (the public key): 761 digits in radix 4591. */
export const RQ_BYTES = 1158;
/** Bytes of an encoded rounded element (the ciphertext body): 761 digits in radix (q+2)/3 = 1531. */
export const ROUNDED_BYTES = 1007;

/** Radix of a rounded coefficient: the multiples of 3 in [-2295, 2295] are 1531 values. */
const ROUNDED_RADIX = 1531;

/**
 * Mixed-radix encoding, one level of the recursion per call.
 *
 * Adjacent digits are merged pairwise: (r0, r1) with radices (m0, m1) becomes the single digit
 * r0 + r1 m0 of radix m0 m1. While that radix is at least 2^14, its low byte is written out and
 * the digit and radix are divided by 256 (the radix rounded up, so the digit stays below it).
 * This keeps every digit below 2^14 and every merged value below 2^28, and the half-length
 * sequence of leftovers is encoded the same way. A single digit at the end is written little
 * endian in as many bytes as its radix needs.
 */
function encodeRadix(R: Int32Array, M: Int32Array, out: Uint8Array, pos: number): number {
  const len = R.length;
  if (len === 1) {
    let r = R[0];
    let m = M[0];
    while (m > 1) {
      out[pos++] = r & 255;
      r >>>= 8;
      m = (m + 255) >>> 8;
    }
    return pos;
  }
  const half = (len + 1) >> 1;
  const R2 = new Int32Array(half);
  const M2 = new Int32Array(half);
  let i = 0;
  for (; i + 1 < len; i += 2) {
    const m0 = M[i];
    let r = R[i] + R[i + 1] * m0;
    let m = M[i + 1] * m0;
    while (m >= 16384) {
      out[pos++] = r & 255;
      r >>>= 8;
      m = (m + 255) >>> 8;
    }
    R2[i >> 1] = r;
    M2[i >> 1] = m;
  }
  if (i < len) {
    R2[half - 1] = R[i];
    M2[half - 1] = M[i];
  }
  return encodeRadix(R2, M2, out, pos);
}

/**
 * Inverse of encodeRadix, reading `S` from `pos`; returns the position after the last byte used.
 *
 * The bytes a level emitted come first, so each level first takes its bytes (0, 1 or 2 per pair,
 * decided by the public radix exactly as encodeRadix decided), recurses on the halved radices,
 * and then splits each recovered merged digit r into (r mod m0, r div m0).
 *
 * Every input is accepted. For bytes that no valid sequence encodes (tampered ciphertexts,
 * garbage keys) digits are reduced modulo their radix, which is what the reference does, so
 * implicit rejection sees the same polynomial it would in C. Inputs are public here (public
 * key, ciphertext), so plain `%` is fine.
 */
function decodeRadix(S: Uint8Array, pos: number, M: Int32Array, out: Int32Array): number {
  const len = M.length;
  if (len === 1) {
    const m = M[0];
    if (m === 1) {
      out[0] = 0;
    } else if (m <= 256) {
      out[0] = S[pos] % m;
      pos += 1;
    } else {
      out[0] = (S[pos] + (S[pos + 1] << 8)) % m;
      pos += 2;
    }
    return pos;
  }
  const half = (len + 1) >> 1;
  const pairs = len >> 1;
  const M2 = new Int32Array(half);
  const bottomR = new Int32Array(pairs);
  const bottomT = new Int32Array(pairs);
  let i = 0;
  for (; i + 1 < len; i += 2) {
    const m = M[i] * M[i + 1];
    const k = i >> 1;
    if (m > 256 * 16383) {
      // encodeRadix emitted two bytes for this pair
      bottomT[k] = 65536;
      bottomR[k] = S[pos] + 256 * S[pos + 1];
      pos += 2;
      M2[k] = (((m + 255) >>> 8) + 255) >>> 8;
    } else if (m >= 16384) {
      bottomT[k] = 256;
      bottomR[k] = S[pos];
      pos += 1;
      M2[k] = (m + 255) >>> 8;
    } else {
      bottomT[k] = 1;
      bottomR[k] = 0;
      M2[k] = m;
    }
  }
  if (i < len) M2[half - 1] = M[i];
  const R2 = new Int32Array(half);
  pos = decodeRadix(S, pos, M2, R2);
  for (i = 0; i + 1 < len; i += 2) {
    const k = i >> 1;
    const r = bottomR[k] + bottomT[k] * R2[k]; // < 2^16 * 2^14: exact
    const m0 = M[i];
    const r0 = r % m0;
    out[i] = r0;
    out[i + 1] = ((r - r0) / m0) % M[i + 1];
  }
  if (i < len) out[len - 1] = R2[half - 1];
  return pos;
}

function constantRadix(m: number): Int32Array {
  const M = new Int32Array(P);
  M.fill(m);
  return M;
}

/** Public key encoding: coefficients shifted to [0, q) and packed in radix q. */
export function encodeRq(h: Int16Array): Uint8Array {
  const R = new Int32Array(P);
  for (let i = 0; i < P; i++) R[i] = h[i] + Q12;
  const out = new Uint8Array(RQ_BYTES);
  encodeRadix(R, constantRadix(Q), out, 0);
  return out;
}

/** Inverse of encodeRq; any 1158 bytes decode to some element of R/q. */
export function decodeRq(s: Uint8Array): Int16Array {
  const R = new Int32Array(P);
  decodeRadix(s, 0, constantRadix(Q), R);
  const h = new Int16Array(P);
  for (let i = 0; i < P; i++) h[i] = R[i] - Q12;
  return h;
}

/**
 * Ciphertext encoding of a rounded element (all coefficients multiples of 3): (c + 2295) / 3 in
 * radix 1531. The division is the reference's (x * 10923) >> 15, exact for multiples of 3 up to
 * 4590 (10923 = (2^15 + 1) / 3).
 */
export function encodeRounded(c: Int16Array): Uint8Array {
  const R = new Int32Array(P);
  for (let i = 0; i < P; i++) R[i] = ((c[i] + Q12) * 10923) >> 15;
  const out = new Uint8Array(ROUNDED_BYTES);
  encodeRadix(R, constantRadix(ROUNDED_RADIX), out, 0);
  return out;
}

/** Inverse of encodeRounded, reading the first 1007 bytes of `s`. */
export function decodeRounded(s: Uint8Array): Int16Array {
  const R = new Int32Array(P);
  decodeRadix(s, 0, constantRadix(ROUNDED_RADIX), R);
  const c = new Int16Array(P);
  for (let i = 0; i < P; i++) c[i] = R[i] * 3 - Q12;
  return c;
}

/**
 * Small polynomial encoding: c + 1 in 2 bits, four coefficients per byte with the first in the
 * low bits, and a 191st byte for the last coefficient (761 = 4 * 190 + 1).
 */
export function encodeSmall(f: Int8Array): Uint8Array {
  const out = new Uint8Array(SMALL_BYTES);
  for (let i = 0; i < 190; i++) {
    const j = 4 * i;
    out[i] = (f[j] + 1) | ((f[j + 1] + 1) << 2) | ((f[j + 2] + 1) << 4) | ((f[j + 3] + 1) << 6);
  }
  out[190] = f[760] + 1;
  return out;
}

/**
 * Inverse of encodeSmall, reading 191 bytes of `s` from `offset`. A 2-bit field of 3 (never
 * produced by encodeSmall) decodes to 2, as in the reference; the top 6 bits of the last byte are
 * ignored. Secret input: only shifts and masks.
 */
export function decodeSmall(s: Uint8Array, offset: number): Int8Array {
  const f = new Int8Array(P);
  for (let i = 0; i < 190; i++) {
    const x = s[offset + i];
    const j = 4 * i;
    f[j] = (x & 3) - 1;
    f[j + 1] = ((x >> 2) & 3) - 1;
    f[j + 2] = ((x >> 4) & 3) - 1;
    f[j + 3] = ((x >> 6) & 3) - 1;
  }
  f[760] = (s[offset + 190] & 3) - 1;
  return f;
}
