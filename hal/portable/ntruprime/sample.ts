/**
 * Turning random bytes into the secret polynomials of sntrup761, with the exact byte-to-coefficient
 * mapping of the reference (so known-answer tests driven by a byte stream reproduce):
 * - a small polynomial (g) from 761 little-endian 32-bit words;
 * - a short polynomial (f, r: exactly w = 286 nonzero coefficients) from 761 words, through a
 *   sort that a data-independent sorting network performs.
 * @module
 */
import { P } from './poly';

/** Hamming weight of the short polynomials f and r: exactly w = 286 coefficients are ±1. */
export const W = 286;

/** Bytes of randomness per polynomial: 761 words of 4 bytes. */
export const POLY_RANDOM_BYTES = 4 * 761;

/** The i-th little-endian 32-bit word of `b`, as a signed int32 (bit pattern preserved). */
function word(b: Uint8Array, i: number): number {
  const j = 4 * i;
  return b[j] | (b[j + 1] << 8) | (b[j + 2] << 16) | (b[j + 3] << 24);
}

/**
 * Small polynomial with coefficients (u mod 2^30) * 3 / 2^30 - 1 in {-1, 0, 1}: the top of a
 * 30-bit uniform value scaled to 3 outcomes (bias about 2^-30). 3 u < 2^32 and the division is
 * by a power of two, so the double arithmetic is exact.
 */
export function smallFromBytes(b: Uint8Array): Int8Array {
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) {
    const u = word(b, i) & 0x3fffffff;
    out[i] = Math.floor((u * 3) / 1073741824) - 1;
  }
  return out;
}

/**
 * Short polynomial: a uniformly random arrangement of 286 entries ±1 and 475 zeros.
 *
 * The first w words get their low bit cleared (low 2 bits 00 or 10: coefficient -1 or +1 after
 * subtracting 1), the rest get low bits 01 (coefficient 0). Sorting the words by value shuffles
 * these tags into random positions, keeping exactly w nonzero coefficients.
 *
 * The sort is over unsigned 32-bit values; flipping the top bit maps that order onto signed
 * int32 order, which the comparator below handles without branches. Flipping does not touch the
 * low 2 bits, which are all we keep.
 */
export function shortFromBytes(b: Uint8Array): Int8Array {
  const L = new Int32Array(P);
  for (let i = 0; i < W; i++) L[i] = (word(b, i) & ~1) ^ 0x80000000;
  for (let i = W; i < P; i++) L[i] = ((word(b, i) & ~3) | 1) ^ 0x80000000;
  sortInt32(L);
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = (L[i] & 3) - 1;
  L.fill(0);
  return out;
}

/**
 * Puts min(x[i], x[j]) in x[i] and max in x[j] (signed int32 order) without a branch.
 *
 * d = b - a wraps modulo 2^32 when a and b have opposite signs; in that case b < a iff b is
 * negative, so the sign bit is taken from b instead of from d. The resulting sign bit, spread to
 * a full mask, selects whether a ^ b is XORed into both (an exchange) or nothing is.
 */
function minMax(x: Int32Array, i: number, j: number): void {
  const a = x[i];
  const b = x[j];
  const ab = a ^ b;
  const d = (b - a) | 0;
  const lt = (d ^ (ab & (d ^ b))) >> 31; // -1 when b < a
  const t = lt & ab;
  x[i] = a ^ t;
  x[j] = b ^ t;
}

/**
 * In-place ascending sort by Batcher's merge exchange (Knuth, TAOCP vol. 3, §5.2.2, Algorithm M).
 *
 * The sequence of compared index pairs depends only on n, never on the values, and each
 * comparison is the branch-free minMax, so the sort leaks nothing about the permutation. For
 * n = 761 it performs 16 762 comparisons, negligible next to the polynomial arithmetic.
 * Works for any n, with no padding to a power of two.
 */
export function sortInt32(x: Int32Array): void {
  const n = x.length;
  if (n < 2) return;
  let t = 1; // 2^t >= n
  while (1 << t < n) t++;
  for (let p = 1 << (t - 1); p > 0; p >>= 1) {
    let q = 1 << (t - 1);
    let r = 0;
    let d = p;
    for (;;) {
      for (let i = 0; i < n - d; i++) {
        if ((i & p) === r) minMax(x, i, i + d);
      }
      if (q === p) break;
      d = q - p;
      q >>= 1;
      r = p;
    }
  }
}
