import assert from 'node:assert/strict';
import { xxh64 } from '../../../firmware/compression/xxhash64';
import { Rng } from './fixture-inputs';

function hex64(d: { hi: number; lo: number }): string {
  return d.hi.toString(16).padStart(8, '0') + d.lo.toString(16).padStart(8, '0');
}

/**
 * XXH64 (seed 0) of `new Rng(length + 100).bytes(length)`, computed by the reference tool
 * (`xxhsum -H64`, xxHash 0.8.1). The lengths cover every path: the <32-byte start, one and
 * more 32-byte stripes, and 8-, 4- and 1-byte tails of each size.
 */
const VECTORS: Array<[number, string]> = [
  [0, 'ef46db3751d8e999'],
  [1, '572d9776245c85e8'],
  [3, 'ccabd36be49b5ea8'],
  [4, 'c5366f6e6673fab0'],
  [7, '611cbc32969b0b3d'],
  [8, '2d3abc4fdd7c8e44'],
  [9, '7a16441236f2582d'],
  [15, '8ddaaf2dbdb0fb5e'],
  [16, '89fcaf34f05a0925'],
  [31, '9e95597547e5b8cb'],
  [32, '4b7b07ff46db7ad3'],
  [33, '419c18596377d426'],
  [35, 'e9d53a578139800f'],
  [39, '88a816fd7ee15be6'],
  [40, 'cab9098c6aed4453'],
  [63, '8e1c663a3109500e'],
  [64, '8d078449d7828ead'],
  [100, '426dadddcbb6ad25'],
  [255, '85fd97542506938f'],
  [1000, '317f8667af5069dc'],
  [16384, '52975d39365b1a8f'],
];

/** A straightforward BigInt XXH64, written from the xxHash spec, as an independent check (tests only). */
function xxh64BigInt(data: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const P1 = 0x9e3779b185ebca87n;
  const P2 = 0xc2b2ae3d27d4eb4fn;
  const P3 = 0x165667b19e3779f9n;
  const P4 = 0x85ebca77c2b2ae63n;
  const P5 = 0x27d4eb2f165667c5n;
  const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
  const lane = (p: number): bigint => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(data[p + i]);
    return v;
  };
  const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & M, 31n) * P1) & M;
  const merge = (h: bigint, v: bigint): bigint => (((h ^ round(0n, v)) * P1) + P4) & M;
  let p = 0;
  let h: bigint;
  const n = data.length;
  if (n >= 32) {
    let v1 = (P1 + P2) & M;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (M + 1n - P1) & M;
    for (; p + 32 <= n; p += 32) {
      v1 = round(v1, lane(p));
      v2 = round(v2, lane(p + 8));
      v3 = round(v3, lane(p + 16));
      v4 = round(v4, lane(p + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & M;
  for (; p + 8 <= n; p += 8) h = ((rotl(h ^ round(0n, lane(p)), 27n) * P1) + P4) & M;
  if (p + 4 <= n) {
    const w = BigInt(data[p] | (data[p + 1] << 8) | (data[p + 2] << 16)) | (BigInt(data[p + 3]) << 24n);
    h = ((rotl(h ^ ((w * P1) & M), 23n) * P2) + P3) & M;
    p += 4;
  }
  for (; p < n; p++) h = (rotl(h ^ ((BigInt(data[p]) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n;
  h = (h * P2) & M;
  h ^= h >> 29n;
  h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

describe('XXH64', () => {
  it('matches the reference xxhsum on inputs of every tail length', () => {
    for (const [n, want] of VECTORS) {
      assert.equal(hex64(xxh64(new Rng(n + 100).bytes(n))), want, 'length ' + n);
    }
  });

  it('matches the published digests of "" and "abc"', () => {
    assert.equal(hex64(xxh64(new Uint8Array(0))), 'ef46db3751d8e999');
    assert.equal(hex64(xxh64(new Uint8Array([0x61, 0x62, 0x63]))), '44bc2cf5ad770999');
  });

  it('agrees with a BigInt implementation on 2,000 random inputs, including all-0xff and all-zero', () => {
    const rng = new Rng(4242);
    const inputs: Uint8Array[] = [new Uint8Array(200).fill(0xff), new Uint8Array(200)];
    for (let i = 0; i < 2000; i++) inputs.push(rng.bytes(rng.below(300)));
    for (const d of inputs) {
      const ours = xxh64(d);
      assert.equal(hex64(ours), xxh64BigInt(d).toString(16).padStart(16, '0'), 'length ' + d.length);
      assert.ok(ours.hi >>> 0 === ours.hi && ours.lo >>> 0 === ours.lo, 'halves are unsigned 32-bit');
    }
  });

  it('hashes a subarray view as exactly its own bytes', () => {
    const whole = new Rng(7).bytes(500);
    const view = whole.subarray(37, 437);
    assert.equal(hex64(xxh64(view)), hex64(xxh64(new Uint8Array(view))));
  });
});
