/**
 * XXH64 with seed 0: the content checksum of zstd frames (RFC 8878 §3.1.1 keeps its low 32 bits).
 *
 * Espruino has no arbitrary-precision integers and no Math.imul, and its numbers are int32 or double, so every 64-bit
 * value here is a pair of unsigned 32-bit halves and every product is built from 16-bit limbs
 * (every product and sum below stays under 2^53, so doubles hold them exactly, and the bitwise
 * operators then reduce them mod 2^32 as ECMAScript's ToInt32 and Espruino's int64 cast both do).
 * The helpers return through the module registers `rHi`/`rLo` rather than a fresh object, so
 * hashing allocates nothing per step.
 */

/** A 64-bit digest as unsigned 32-bit halves. */
export interface Xxh64Digest {
  hi: number;
  lo: number;
}

// The five 64-bit primes of XXH64, split into halves.
const P1_HI = 0x9e3779b1;
const P1_LO = 0x85ebca87;
const P2_HI = 0xc2b2ae3d;
const P2_LO = 0x27d4eb4f;
const P3_HI = 0x165667b1;
const P3_LO = 0x9e3779f9;
const P4_HI = 0x85ebca77;
const P4_LO = 0xc2b2ae63;
const P5_HI = 0x27d4eb2f;
const P5_LO = 0x165667c5;

// The initial accumulators for seed 0: PRIME1 + PRIME2 and -PRIME1, both mod 2^64.
const V1_HI = 0x60ea27ee;
const V1_LO = 0xadc0b5d6;
const V4_HI = 0x61c8864e;
const V4_LO = 0x7a143579;

// Result registers of the helpers below.
let rHi = 0;
let rLo = 0;

/**
 * (x * y) mod 2^32 for unsigned 32-bit x and y (Math.imul's job, unsigned). The high half of x
 * times the low half of y only matters mod 2^16 before it is shifted up 16, which `<< 16` does;
 * the low half of x times y stays under 2^48, exact in a double.
 */
function mulLow32(x: number, y: number): number {
  return ((((x >>> 16) * (y & 0xffff)) << 16) + (x & 0xffff) * y) >>> 0;
}

/** (a * b) mod 2^64 into rHi:rLo. */
function mul(aHi: number, aLo: number, bHi: number, bLo: number): void {
  // The full 64-bit product of the low halves, from 16-bit limbs (each product < 2^32).
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const mid = a1 * b0 + a0 * b1; // < 2^33; `& 0xffff` still takes its low 16 bits exactly
  const midLow = mid & 0xffff;
  const lo = a0 * b0 + midLow * 65536; // < 2^33
  rLo = lo >>> 0;
  // High half: the carries of the low product, plus the cross products, which only count mod 2^32.
  rHi = (a1 * b1 + (mid - midLow) / 65536 + (lo > 0xffffffff ? 1 : 0) + mulLow32(aHi, bLo) + mulLow32(aLo, bHi)) >>> 0;
}

/** (a + b) mod 2^64 into rHi:rLo. */
function add(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const lo = aLo + bLo;
  rLo = lo >>> 0;
  rHi = (aHi + bHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate left by n (1..63) into rHi:rLo. */
function rotl(hi: number, lo: number, n: number): void {
  if (n >= 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  if (n === 0) {
    rHi = hi;
    rLo = lo;
    return;
  }
  rHi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
  rLo = ((lo << n) | (hi >>> (32 - n))) >>> 0;
}

/** One accumulator round: rotl(acc + lane * PRIME2, 31) * PRIME1, into rHi:rLo. */
function round(accHi: number, accLo: number, laneHi: number, laneLo: number): void {
  mul(laneHi, laneLo, P2_HI, P2_LO);
  add(accHi, accLo, rHi, rLo);
  rotl(rHi, rLo, 31);
  mul(rHi, rLo, P1_HI, P1_LO);
}

/** Folds an accumulator into the hash: (h ^ round(0, v)) * PRIME1 + PRIME4, into rHi:rLo. */
function merge(hHi: number, hLo: number, vHi: number, vLo: number): void {
  round(0, 0, vHi, vLo);
  mul((hHi ^ rHi) >>> 0, (hLo ^ rLo) >>> 0, P1_HI, P1_LO);
  add(rHi, rLo, P4_HI, P4_LO);
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** XXH64 of `data` with seed 0. */
export function xxh64(data: Uint8Array): Xxh64Digest {
  const n = data.length;
  let p = 0;
  let hHi: number;
  let hLo: number;
  if (n >= 32) {
    let v1Hi = V1_HI;
    let v1Lo = V1_LO;
    let v2Hi = P2_HI;
    let v2Lo = P2_LO;
    let v3Hi = 0;
    let v3Lo = 0;
    let v4Hi = V4_HI;
    let v4Lo = V4_LO;
    const stripesEnd = n - 32;
    while (p <= stripesEnd) {
      round(v1Hi, v1Lo, u32le(data, p + 4), u32le(data, p));
      v1Hi = rHi;
      v1Lo = rLo;
      round(v2Hi, v2Lo, u32le(data, p + 12), u32le(data, p + 8));
      v2Hi = rHi;
      v2Lo = rLo;
      round(v3Hi, v3Lo, u32le(data, p + 20), u32le(data, p + 16));
      v3Hi = rHi;
      v3Lo = rLo;
      round(v4Hi, v4Lo, u32le(data, p + 28), u32le(data, p + 24));
      v4Hi = rHi;
      v4Lo = rLo;
      p += 32;
    }
    rotl(v1Hi, v1Lo, 1);
    hHi = rHi;
    hLo = rLo;
    rotl(v2Hi, v2Lo, 7);
    add(hHi, hLo, rHi, rLo);
    hHi = rHi;
    hLo = rLo;
    rotl(v3Hi, v3Lo, 12);
    add(hHi, hLo, rHi, rLo);
    hHi = rHi;
    hLo = rLo;
    rotl(v4Hi, v4Lo, 18);
    add(hHi, hLo, rHi, rLo);
    merge(rHi, rLo, v1Hi, v1Lo);
    merge(rHi, rLo, v2Hi, v2Lo);
    merge(rHi, rLo, v3Hi, v3Lo);
    merge(rHi, rLo, v4Hi, v4Lo);
    hHi = rHi;
    hLo = rLo;
  } else {
    hHi = P5_HI;
    hLo = P5_LO;
  }

  // The total length, as a 64-bit value (a Uint8Array is always shorter than 2^53).
  add(hHi, hLo, Math.floor(n / 4294967296), n >>> 0);
  hHi = rHi;
  hLo = rLo;

  while (p + 8 <= n) {
    round(0, 0, u32le(data, p + 4), u32le(data, p));
    rotl((hHi ^ rHi) >>> 0, (hLo ^ rLo) >>> 0, 27);
    mul(rHi, rLo, P1_HI, P1_LO);
    add(rHi, rLo, P4_HI, P4_LO);
    hHi = rHi;
    hLo = rLo;
    p += 8;
  }
  if (p + 4 <= n) {
    mul(0, u32le(data, p), P1_HI, P1_LO);
    rotl((hHi ^ rHi) >>> 0, (hLo ^ rLo) >>> 0, 23);
    mul(rHi, rLo, P2_HI, P2_LO);
    add(rHi, rLo, P3_HI, P3_LO);
    hHi = rHi;
    hLo = rLo;
    p += 4;
  }
  while (p < n) {
    mul(0, data[p], P5_HI, P5_LO);
    rotl((hHi ^ rHi) >>> 0, (hLo ^ rLo) >>> 0, 11);
    mul(rHi, rLo, P1_HI, P1_LO);
    hHi = rHi;
    hLo = rLo;
    p++;
  }

  // Avalanche: h ^= h >> 33; h *= PRIME2; h ^= h >> 29; h *= PRIME3; h ^= h >> 32.
  mul(hHi, (hLo ^ (hHi >>> 1)) >>> 0, P2_HI, P2_LO);
  hHi = rHi;
  hLo = rLo;
  mul((hHi ^ (hHi >>> 29)) >>> 0, (hLo ^ ((hLo >>> 29) | (hHi << 3))) >>> 0, P3_HI, P3_LO);
  hHi = rHi;
  hLo = rLo;
  return { hi: hHi, lo: (hLo ^ hHi) >>> 0 };
}
