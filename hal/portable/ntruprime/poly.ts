/**
 * Arithmetic of sntrup761 (p = 761, q = 4591): scalars in Z/q and Z/3, and polynomials in
 * R/q = (Z/q)[x]/(x^761 - x - 1) and R/3 = (Z/3)[x]/(x^761 - x - 1).
 *
 * Why x^p - x - 1: NTRU Prime picks a ring with no useful structure for an attacker. With p prime
 * and x^p - x - 1 irreducible over Z/q, R/q is a field (every nonzero element, in particular
 * 3f, is invertible) and has no subrings or small-degree automorphisms like the cyclotomic
 * x^n + 1 rings of NTRU/Kyber. The price is a reduction that is still cheap: x^p = x + 1, so a
 * coefficient c at x^k (k >= p) moves to x^(k-p) and x^(k-p+1).
 *
 * Representation: scalars are kept in their symmetric ("frozen") representatives,
 * [-(q-1)/2, (q-1)/2] and {-1, 0, 1}, as in the NTRU Prime specification (every encoding adds
 * (q-1)/2 before packing), so zero has exactly one representative and "is g(0) zero" is a
 * well-defined mask. An element of R/q is an Int16Array of p such residues; a "small" element
 * (coefficients in {-1, 0, 1}) is an Int8Array of p entries. A malformed secret key can decode to
 * a coefficient 2; every routine here tolerates that and computes the same values as the
 * reference C does for such input.
 *
 * Constant-time structure: loop bounds depend only on p and the public loop counter; secret
 * values flow only through arithmetic (multiply, floor, subtract) and sign masks, never through
 * branches or memory indexes. JavaScript gives no hard timing guarantees, but this is the
 * structure the reference C relies on.
 *
 * The scalar helpers live in this module, next to the loops that call them about two million
 * times per inversion: imported bindings can cost a property lookup per use when a loader turns
 * modules into CommonJS, which made these loops several times slower.
 * @module
 */

/** Degree of the ring: R = Z[x]/(x^p - x - 1). Prime, so x^p - x - 1 is irreducible mod q. */
export const P = 761;
/** The prime modulus of R/q. */
export const Q = 4591;
/** (q - 1) / 2: the offset that maps a symmetric residue to [0, q). */
export const Q12 = 2295;

/** 1/q as a double. See freezeQ for why it is exact enough. */
const INV_Q = 1 / 4591;

/**
 * x mod q, into [-(q-1)/2, (q-1)/2], for integers |x| < 2^31.
 *
 * Round-to-nearest Barrett reduction in floating point: round(x/q) = floor(x * (1/q) + 1/2).
 * For |x| < 2^31 the computed x * (1/q) + 1/2 is within 2^-30 of the true x/q + 1/2, while x/q,
 * with q odd, is never closer than 1/(2q) > 2^-14 to a half-integer, so the floor is the exact
 * nearest quotient. (Also checked exhaustively for |x| <= 1.2e7; the largest input here is
 * 2 * 2295^2 ≈ 1.05e7.) Multiplying and flooring doubles takes no data-dependent branch.
 */
export function freezeQ(x: number): number {
  return x - Q * Math.floor(x * INV_Q + 0.5);
}

/**
 * x mod 3, into {-1, 0, 1}, for integers |x| <= 16383.
 *
 * 10923 / 2^15 is 1/3 + 1/98304, so (10923 x + 2^14) >> 15 = floor(x/3 + 1/2) while the error
 * x/98304 stays below the 1/6 gap to the next rounding boundary. The callers stay within
 * |x| <= 4566 (a product of two small polynomials after the x^p reduction).
 */
export function freeze3(x: number): number {
  return x - 3 * ((10923 * x + 16384) >> 15);
}

/** -1 when x != 0, else 0, for |x| < 2^31 (the sign bit of x | -x). */
export function nonzeroMask(x: number): number {
  return (x | -x) >> 31;
}

/** -1 when x < 0, else 0, for |x| < 2^31. */
export function negativeMask(x: number): number {
  return x >> 31;
}

/**
 * 1/a in Z/q (symmetric representative), by Fermat: a^(q-2). The exponent 4589 is public, so
 * square-and-multiply over its bits leaks nothing about a. Returns 0 for a = 0.
 */
export function recipQ(a: number): number {
  // 4589 = 0b1000111101101, scanned from the most significant bit.
  const e = 4589;
  let acc = 1;
  for (let bit = 12; bit >= 0; bit--) {
    acc = freezeQ(acc * acc);
    if ((e >> bit) & 1) acc = freezeQ(acc * a);
  }
  return acc;
}

/** 1/3 in Z/q: 3 * 3061 = 2q + 1, and 3061 - q = -1530. */
const RECIP3_Q = -1530;

/**
 * Folds a product of length 2p - 1 back to degree < p using x^p = x + 1, in place.
 * Going downwards, a source index k >= p only ever feeds targets k - p and k - p + 1, both < p,
 * so no coefficient is moved twice. Magnitudes at most triple, which the callers allow for.
 */
function reduceModRing(prod: Int32Array): void {
  for (let k = 2 * P - 2; k >= P; k--) {
    const c = prod[k];
    prod[k - P] += c;
    prod[k - P + 1] += c;
  }
}

/** Schoolbook product a * b of two length-p arrays into 2p - 1 integer coefficients. */
function mulSchoolbook(a: Int16Array | Int8Array, b: Int8Array): Int32Array {
  const prod = new Int32Array(2 * P - 1);
  for (let i = 0; i < P; i++) {
    const ai = a[i];
    for (let j = 0; j < P; j++) prod[i + j] += ai * b[j];
  }
  return prod;
}

/**
 * a * b in R/q with b small. Each unreduced coefficient is at most 761 * 2295 * 2 in magnitude,
 * three times that after the fold: far inside the exact range of freezeQ.
 */
export function rqMulSmall(a: Int16Array, b: Int8Array): Int16Array {
  const prod = mulSchoolbook(a, b);
  reduceModRing(prod);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = freezeQ(prod[i]);
  return out;
}

/** a * b in R/3 for small a and b (|coefficient| <= 3 * 761 * 2 before freezing). */
export function r3Mul(a: Int8Array, b: Int8Array): Int8Array {
  const prod = mulSchoolbook(a, b);
  reduceModRing(prod);
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = freeze3(prod[i]);
  return out;
}

/**
 * Round(a): each coefficient to the nearest multiple of 3, a_i - (a_i mod± 3). Values stay in
 * [-2295, 2295] because 2295 = 3 * 765 is itself a multiple of 3. This is the lossy step that
 * makes Streamlined NTRU Prime a "rounding" scheme: the ciphertext carries Round(h r) instead of
 * h r + e with a random error e.
 */
export function round3(a: Int16Array): Int16Array {
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = a[i] - freeze3(a[i]);
  return out;
}

/** Multiplies by 3 in R/q and maps the result to R/3 (the two steps decryption needs), c -> (3c mod q) mod 3. */
export function r3FromRqTimes3(c: Int16Array): Int8Array {
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = freeze3(freezeQ(3 * c[i]));
  return out;
}

/*
 * Inversion: constant-time "divsteps" (Bernstein and Yang, "Fast constant-time gcd computation
 * and modular inversion", 2019), the algorithm the NTRU Prime reference uses.
 *
 * Polynomial division cancels leading coefficients; a divstep cancels the constant term and
 * divides by x. Reversing coefficient order turns one into the other, so we run divsteps on
 *   f = x^p F(1/x) = 1 - x^(p-1) - x^p   (F = x^p - x - 1, the modulus),
 *   g = x^(p-1) G(1/x)                    (G = the element to invert),
 * both stored with p + 1 coefficients. One divstep, with δ starting at 1:
 *   if δ > 0 and g(0) != 0:  (δ, f, g) <- (1 - δ, g, (g(0) f - f(0) g) / x)
 *   otherwise:               (δ, f, g) <- (1 + δ, f, (f(0) g - g(0) f) / x)
 * The swap is done with an XOR mask, so both branches execute the same instructions. In parallel
 * (v, r) starts at (0, r0) and undergoes the same swap and combination, with v multiplied by x
 * (instead of g being divided by x), which keeps v the running multiplier of G.
 *
 * After 2p - 1 steps, δ = 0 exactly when gcd(F, G) = 1. Then f has shrunk to the constant
 * f(0) and the first p coefficients of v, read in reverse, are r0 * f(0) / G mod F.
 */

/**
 * 1/(3 s) in R/q for a small s != 0. Always exists because R/q is a field; the factor 3 is folded
 * in through r0 = 1/3 so key generation gets 1/(3f) directly (h = g / (3f), and decryption's
 * multiplication by 3f then cancels the denominator).
 */
export function rqRecip3(s: Int8Array): Int16Array {
  const f = new Int16Array(P + 1);
  const g = new Int16Array(P + 1);
  const v = new Int16Array(P + 1);
  const r = new Int16Array(P + 1);
  f[0] = 1;
  f[P - 1] = -1;
  f[P] = -1;
  for (let i = 0; i < P; i++) g[P - 1 - i] = s[i];
  r[0] = RECIP3_Q;
  let delta = 1;

  for (let loop = 0; loop < 2 * P - 1; loop++) {
    const f0 = f[0];
    const g0 = g[0];
    const swap = negativeMask(-delta) & nonzeroMask(g0);
    delta = (delta ^ (swap & (delta ^ -delta))) + 1;
    // The constant terms after the conditional swap.
    const t0 = swap & (f0 ^ g0);
    const F0 = f0 ^ t0;
    const G0 = g0 ^ t0;

    // f, g: swap, then g <- (F0 g - G0 f) / x. The constant term cancels, so writing entry i
    // into slot i - 1 is the division by x; slot 0 was read before it is overwritten.
    f[0] = F0;
    for (let i = 1; i <= P; i++) {
      let fi = f[i];
      let gi = g[i];
      const t = swap & (fi ^ gi);
      fi ^= t;
      gi ^= t;
      f[i] = fi;
      g[i - 1] = freezeQ(F0 * gi - G0 * fi);
    }
    g[P] = 0;

    // v, r: v <- x v, swap, then r <- F0 r - G0 v. After `loop` steps both have degree at most
    // `loop` (each step raises it by at most one), so higher entries are zero and skipped; the
    // bound depends only on the public loop counter. Walking downwards lets v[i - 1] be read
    // before slot i - 1 is rewritten.
    const top = loop + 1 < P ? loop + 1 : P;
    for (let i = top; i >= 1; i--) {
      let vi = v[i - 1];
      let ri = r[i];
      const t = swap & (vi ^ ri);
      vi ^= t;
      ri ^= t;
      v[i] = vi;
      r[i] = freezeQ(F0 * ri - G0 * vi);
    }
    {
      let ri = r[0];
      const vi = swap & ri; // the shifted-in v[0] is 0, so the swap moves r[0] or nothing
      ri ^= vi;
      v[0] = vi;
      r[0] = freezeQ(F0 * ri - G0 * vi);
    }
  }

  const scale = recipQ(f[0]);
  const out = new Int16Array(P);
  for (let i = 0; i < P; i++) out[i] = freezeQ(scale * v[P - 1 - i]);
  wipe16(f, g, v, r);
  return out;
}

/**
 * 1/s in R/3, or null when s is not invertible (x^p - x - 1 is not irreducible mod 3: its
 * smallest factor has degree 19, so a random s fails with probability about 3^-19).
 * Over Z/3 every nonzero f(0) is ±1 = its own inverse, so the combination
 * g - (g(0)/f(0)) f is g + σ f with σ = -g(0) f(0), and no final scaling beyond f(0) is needed.
 *
 * Only the invertible/not-invertible bit leaves through control flow, exactly as in the
 * reference (key generation retries with a fresh g).
 */
export function r3Recip(s: Int8Array): Int8Array | null {
  const f = new Int8Array(P + 1);
  const g = new Int8Array(P + 1);
  const v = new Int8Array(P + 1);
  const r = new Int8Array(P + 1);
  f[0] = 1;
  f[P - 1] = -1;
  f[P] = -1;
  for (let i = 0; i < P; i++) g[P - 1 - i] = s[i];
  r[0] = 1;
  let delta = 1;

  for (let loop = 0; loop < 2 * P - 1; loop++) {
    const f0 = f[0];
    const g0 = g[0];
    const sigma = -g0 * f0; // symmetric in f and g, so the swap does not change it
    const swap = negativeMask(-delta) & nonzeroMask(g0);
    delta = (delta ^ (swap & (delta ^ -delta))) + 1;

    f[0] = f0 ^ (swap & (f0 ^ g0));
    for (let i = 1; i <= P; i++) {
      let fi = f[i];
      let gi = g[i];
      const t = swap & (fi ^ gi);
      fi ^= t;
      gi ^= t;
      f[i] = fi;
      g[i - 1] = freeze3(gi + sigma * fi);
    }
    g[P] = 0;

    const top = loop + 1 < P ? loop + 1 : P;
    for (let i = top; i >= 1; i--) {
      let vi = v[i - 1];
      let ri = r[i];
      const t = swap & (vi ^ ri);
      vi ^= t;
      ri ^= t;
      v[i] = vi;
      r[i] = freeze3(ri + sigma * vi);
    }
    {
      let ri = r[0];
      const vi = swap & ri;
      ri ^= vi;
      v[0] = vi;
      r[0] = freeze3(ri + sigma * vi);
    }
  }

  const ok = nonzeroMask(delta) === 0;
  const sign = f[0];
  const out = new Int8Array(P);
  for (let i = 0; i < P; i++) out[i] = sign * v[P - 1 - i];
  wipe8(f, g, v, r);
  if (!ok) {
    out.fill(0);
    return null;
  }
  return out;
}

function wipe16(a: Int16Array, b: Int16Array, c: Int16Array, d: Int16Array): void {
  a.fill(0);
  b.fill(0);
  c.fill(0);
  d.fill(0);
}

function wipe8(a: Int8Array, b: Int8Array, c: Int8Array, d: Int8Array): void {
  a.fill(0);
  b.fill(0);
  c.fill(0);
  d.fill(0);
}
