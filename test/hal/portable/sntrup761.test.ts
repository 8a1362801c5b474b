import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { CryptoError } from '../../../hal/crypto';
import { readVectorFile } from '../../vectors';
import {
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_PUBLIC_KEY_BYTES,
  SNTRUP761_SECRET_KEY_BYTES,
  SNTRUP761_SHARED_SECRET_BYTES,
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761KeyPair,
} from '../../../hal/portable/sntrup761';
import {
  decodeRounded,
  decodeRq,
  decodeSmall,
  encodeRounded,
  encodeRq,
  encodeSmall,
} from '../../../hal/portable/ntruprime/encoding';
import { P, Q12, r3Mul, r3Recip, round3, rqMulSmall, rqRecip3 } from '../../../hal/portable/ntruprime/poly';
import { W, shortFromBytes, smallFromBytes, sortInt32 } from '../../../hal/portable/ntruprime/sample';

// ---------------------------------------------------------------------------------------------
// Vectors and helpers

interface KatCase {
  name: string;
  count: number;
  seed: string;
  pk: string;
  sk: string;
  ct: string;
  ss: string;
  keypair_random: string;
  enc_random: string;
}

interface RejectionCase {
  name: string;
  count: number;
  byte_index: number;
  xor_mask: number;
  ct_tampered: string;
  ss_reject: string;
}

interface Kat {
  cases: KatCase[];
  cases_bulk: KatCase[];
  rejection_cases: RejectionCase[];
  keygen_retry_case: Omit<KatCase, 'count' | 'seed'>;
  nist_format_digests: {
    cases_first_record: string;
    cases_bulk_first_record: string;
    cases_100_records: string;
    cases_bulk_100_records: string;
  };
}

const KAT: Kat = readVectorFile<Kat>('sntrup761-kat.json');

function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** The implicit-rejection secret, computed from its definition: H0(H3(rho) ‖ ct). */
function rejectionSecret(sk: Uint8Array, ct: Uint8Array): Uint8Array {
  const rho = sk.subarray(1540, 1731);
  const h3 = sha512(Uint8Array.of(3), rho).subarray(0, 32);
  return sha512(Uint8Array.of(0), h3, ct).subarray(0, 32);
}

/** A random source that serves a fixed byte string in order and records the request sizes. */
class ByteQueue {
  private pos = 0;
  readonly requests: number[] = [];
  constructor(private readonly bytes: Uint8Array) {}
  readonly read = (n: number): Uint8Array => {
    this.requests.push(n);
    if (this.pos + n > this.bytes.length) throw new Error('random queue exhausted');
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  };
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
}

/**
 * The NIST PQC KAT generator (rng.c): SP 800-90A CTR_DRBG with AES-256, no derivation function,
 * no personalization string, no reseeding. Written from the description in sntrup761-README.md.
 */
class NistDrbg {
  private key = new Uint8Array(32);
  private v = new Uint8Array(16);

  constructor(entropy: Uint8Array) {
    assert.equal(entropy.length, 48);
    this.update(entropy);
  }

  /** `count` AES-256-ECB blocks of V+1, V+2, ... under the current key (V is advanced). */
  private blocks(count: number): Uint8Array {
    const input = new Uint8Array(16 * count);
    for (let b = 0; b < count; b++) {
      for (let i = 15; i >= 0; i--) {
        this.v[i] = (this.v[i] + 1) & 255;
        if (this.v[i] !== 0) break;
      }
      input.set(this.v, 16 * b);
    }
    const aes = createCipheriv('aes-256-ecb', this.key, null);
    aes.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([aes.update(input), aes.final()]));
  }

  private update(data: Uint8Array | null): void {
    const buf = this.blocks(3);
    if (data) for (let i = 0; i < 48; i++) buf[i] ^= data[i];
    this.key = buf.slice(0, 32);
    this.v = buf.slice(32, 48);
  }

  readonly randomBytes = (n: number): Uint8Array => {
    const out = this.blocks(Math.ceil(n / 16)).slice(0, n);
    this.update(null);
    return out;
  };
}

/** The master stream's first `count` seeds: Init(0x00..0x2f), then randombytes(48) each. */
function masterSeeds(count: number): Uint8Array[] {
  const entropy = new Uint8Array(48);
  for (let i = 0; i < 48; i++) entropy[i] = i;
  const master = new NistDrbg(entropy);
  const seeds: Uint8Array[] = [];
  for (let i = 0; i < count; i++) seeds.push(master.randomBytes(48));
  return seeds;
}

type Granularity = 'per-call' | 'bulk';

/**
 * Serves the port's requests (one per polynomial, 3044 bytes, or rho, 191) from the DRBG with
 * the call pattern of a vector set: `per-call` as simplexmq's C issues them (761 calls of 4
 * bytes per polynomial), `bulk` as one DRBG call per polynomial.
 */
function drbgSource(drbg: NistDrbg, granularity: Granularity): (n: number) => Uint8Array {
  return (n: number): Uint8Array => {
    if (granularity === 'bulk' || n !== 3044) return drbg.randomBytes(n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) out.set(drbg.randomBytes(4), i);
    return out;
  };
}

/** Everything one NIST KAT record holds, computed by the port from a DRBG seed. */
function runFromSeed(seed: Uint8Array, granularity: Granularity): {
  pk: Uint8Array;
  sk: Uint8Array;
  ct: Uint8Array;
  ss: Uint8Array;
} {
  const source = drbgSource(new NistDrbg(seed), granularity);
  const { publicKey, secretKey } = sntrup761KeyPair(source);
  const { ciphertext, sharedSecret } = sntrup761Encapsulate(publicKey, source);
  assert.deepEqual(sntrup761Decapsulate(secretKey, ciphertext), sharedSecret);
  return { pk: publicKey, sk: secretKey, ct: ciphertext, ss: sharedSecret };
}

function nistRecord(count: number, seed: Uint8Array, r: { pk: Uint8Array; sk: Uint8Array; ct: Uint8Array; ss: Uint8Array }): string {
  const up = (b: Uint8Array): string => hex(b).toUpperCase();
  return (
    'count = ' + count + '\nseed = ' + up(seed) + '\npk = ' + up(r.pk) + '\nsk = ' + up(r.sk) +
    '\nct = ' + up(r.ct) + '\nss = ' + up(r.ss) + '\n'
  );
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function assertBadLength(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof CryptoError && e.code === 'bad-length');
}

// ---------------------------------------------------------------------------------------------

describe('hal/portable/sntrup761', () => {
  it('exports the sntrup761 sizes', () => {
    assert.equal(SNTRUP761_PUBLIC_KEY_BYTES, 1158);
    assert.equal(SNTRUP761_SECRET_KEY_BYTES, 1763);
    assert.equal(SNTRUP761_CIPHERTEXT_BYTES, 1039);
    assert.equal(SNTRUP761_SHARED_SECRET_BYTES, 32);
  });

  describe('known answers (byte queue over the stored random streams)', () => {
    const sets: [string, KatCase[]][] = [
      ['cases', KAT.cases],
      ['cases_bulk', KAT.cases_bulk],
    ];
    for (const [setName, cases] of sets) {
      it(setName + ': 10 cases of keypair, encapsulation and decapsulation', () => {
        assert.equal(cases.length, 10);
        for (const c of cases) {
          const kq = new ByteQueue(unhex(c.keypair_random));
          const { publicKey, secretKey } = sntrup761KeyPair(kq.read);
          assert.equal(hex(publicKey), c.pk, c.name + ' pk');
          assert.equal(hex(secretKey), c.sk, c.name + ' sk');
          assert.equal(kq.remaining, 0, c.name + ': keypair must use all 6279 random bytes');
          assert.deepEqual(kq.requests, [3044, 3044, 191], c.name + ' keypair requests');

          const eq = new ByteQueue(unhex(c.enc_random));
          const { ciphertext, sharedSecret } = sntrup761Encapsulate(publicKey, eq.read);
          assert.equal(hex(ciphertext), c.ct, c.name + ' ct');
          assert.equal(hex(sharedSecret), c.ss, c.name + ' ss');
          assert.equal(eq.remaining, 0, c.name + ': enc must use all 3044 random bytes');

          assert.equal(hex(sntrup761Decapsulate(unhex(c.sk), unhex(c.ct))), c.ss, c.name + ' dec');
        }
      });
    }

    it('rejection_cases: tampered ciphertexts give the stored implicit-rejection secrets', () => {
      assert.equal(KAT.rejection_cases.length, 2);
      for (const rc of KAT.rejection_cases) {
        const base = KAT.cases[rc.count];
        const ct = unhex(base.ct);
        ct[rc.byte_index] ^= rc.xor_mask;
        assert.equal(hex(ct), rc.ct_tampered, rc.name + ' tampering');
        const sk = unhex(base.sk);
        const ss = sntrup761Decapsulate(sk, ct);
        assert.equal(hex(ss), rc.ss_reject, rc.name);
        assert.notEqual(hex(ss), base.ss);
        assert.deepEqual(ss, rejectionSecret(sk, ct), rc.name + ' matches H0(H3(rho) ‖ ct)');
      }
    });

    it('keygen_retry_case: a g that is not invertible mod 3 is discarded and redrawn', () => {
      const rc = KAT.keygen_retry_case;
      const random = unhex(rc.keypair_random);
      assert.equal(random.length, 9323);
      // The first draw really is the degree-19 factor: not invertible in R/3.
      assert.equal(r3Recip(smallFromBytes(random.subarray(0, 3044))), null);

      const q = new ByteQueue(random);
      const { publicKey, secretKey } = sntrup761KeyPair(q.read);
      assert.equal(q.remaining, 0);
      assert.deepEqual(q.requests, [3044, 3044, 3044, 191]);
      assert.equal(hex(publicKey), KAT.cases[0].pk);
      assert.equal(hex(secretKey), KAT.cases[0].sk);
      assert.equal(rc.pk, KAT.cases[0].pk);
      assert.equal(rc.sk, KAT.cases[0].sk);
    });
  });

  describe('known answers with the NIST PQC DRBG', () => {
    const seeds = masterSeeds(10);

    it('the master stream yields every stored seed (both sets)', () => {
      assert.equal(hex(seeds[0]).slice(0, 16), '061550234d158c5e');
      for (let i = 0; i < 10; i++) {
        assert.equal(hex(seeds[i]), KAT.cases[i].seed, 'cases seed ' + i);
        assert.equal(hex(seeds[i]), KAT.cases_bulk[i].seed, 'cases_bulk seed ' + i);
      }
    });

    it('each seed reproduces the stored keypair_random and enc_random in both call patterns', () => {
      for (let i = 0; i < 10; i++) {
        const perCall = new NistDrbg(seeds[i]);
        const kp: Uint8Array[] = [];
        for (let k = 0; k < 1522; k++) kp.push(perCall.randomBytes(4));
        kp.push(perCall.randomBytes(191));
        assert.equal(hex(Buffer.concat(kp)), KAT.cases[i].keypair_random, 'cases keypair_random ' + i);
        const en: Uint8Array[] = [];
        for (let k = 0; k < 761; k++) en.push(perCall.randomBytes(4));
        assert.equal(hex(Buffer.concat(en)), KAT.cases[i].enc_random, 'cases enc_random ' + i);

        const bulk = new NistDrbg(seeds[i]);
        const kb = Buffer.concat([bulk.randomBytes(3044), bulk.randomBytes(3044), bulk.randomBytes(191)]);
        assert.equal(hex(kb), KAT.cases_bulk[i].keypair_random, 'cases_bulk keypair_random ' + i);
        assert.equal(hex(bulk.randomBytes(3044)), KAT.cases_bulk[i].enc_random, 'cases_bulk enc_random ' + i);
      }
    });

    it('the port driven by the DRBG reproduces the first NIST-format records (published digests)', () => {
      const perCall = runFromSeed(seeds[0], 'per-call');
      assert.equal(hex(perCall.pk), KAT.cases[0].pk);
      assert.equal(hex(perCall.ss), KAT.cases[0].ss);
      assert.equal(sha256Hex(nistRecord(0, seeds[0], perCall)), KAT.nist_format_digests.cases_first_record);

      const bulk = runFromSeed(seeds[0], 'bulk');
      assert.equal(hex(bulk.pk), KAT.cases_bulk[0].pk);
      assert.equal(hex(bulk.ss), KAT.cases_bulk[0].ss);
      assert.equal(sha256Hex(nistRecord(0, seeds[0], bulk)), KAT.nist_format_digests.cases_bulk_first_record);
    });

    // 90 further records beyond the stored ones, checked against the digests liboqs and PQClean
    // publish (bulk) and PQClean's 2020 per-call KAT. A few seconds each.
    for (const [granularity, digest] of [
      ['bulk', KAT.nist_format_digests.cases_bulk_100_records],
      ['per-call', KAT.nist_format_digests.cases_100_records],
    ] as [Granularity, string][]) {
      it('100 NIST-format records, ' + granularity + ' call pattern, match the published digest', function () {
        this.timeout(120000);
        const all = masterSeeds(100);
        const records: string[] = [];
        for (let i = 0; i < 100; i++) records.push(nistRecord(i, all[i], runFromSeed(all[i], granularity)));
        assert.equal(sha256Hex(records.join('\n')), digest);
      });
    }
  });

  describe('bad input', () => {
    const { publicKey, secretKey } = sntrup761KeyPair(randomBytes);
    const { ciphertext, sharedSecret } = sntrup761Encapsulate(publicKey, randomBytes);

    it('rejects wrong-size keys and ciphertexts with CryptoError bad-length', () => {
      for (const n of [0, 1, 1157, 1159, 1763]) {
        assertBadLength(() => sntrup761Encapsulate(new Uint8Array(n), randomBytes));
      }
      for (const n of [0, 1158, 1762, 1764]) {
        assertBadLength(() => sntrup761Decapsulate(new Uint8Array(n), ciphertext));
      }
      for (const n of [0, 1007, 1038, 1040]) {
        assertBadLength(() => sntrup761Decapsulate(secretKey, new Uint8Array(n)));
      }
      // The message names the argument and sizes, never key material.
      assert.throws(
        () => sntrup761Decapsulate(secretKey, ciphertext.subarray(1)),
        /ciphertext must be 1039 bytes, got 1038/,
      );
    });

    it('rejects a random source that returns the wrong number of bytes', () => {
      assertBadLength(() => sntrup761KeyPair((n) => new Uint8Array(n - 1)));
      assertBadLength(() => sntrup761Encapsulate(publicKey, (n) => new Uint8Array(n + 1)));
    });

    it('a ciphertext with any byte flipped decapsulates to the implicit-rejection secret', () => {
      for (const pos of [0, 1, 500, 1005, 1006, 1007, 1020, 1038]) {
        for (const mask of [0x01, 0x80]) {
          const bad = new Uint8Array(ciphertext);
          bad[pos] ^= mask;
          const ss = sntrup761Decapsulate(secretKey, bad);
          assert.equal(ss.length, 32);
          assert.notDeepEqual(ss, sharedSecret, 'byte ' + pos);
          assert.deepEqual(ss, rejectionSecret(secretKey, bad), 'byte ' + pos);
        }
      }
      assert.deepEqual(sntrup761Decapsulate(secretKey, ciphertext), sharedSecret);
    });

    it('random ciphertexts and all-0x00 / all-0xff ciphertexts are rejected, not thrown on', () => {
      const inputs = [randomBytes(1039), new Uint8Array(1039), new Uint8Array(1039).fill(255)];
      for (const ct of inputs) {
        const c = new Uint8Array(ct);
        assert.deepEqual(sntrup761Decapsulate(secretKey, c), rejectionSecret(secretKey, c));
      }
    });

    it('decapsulation with a garbage secret key of the right size does not throw', () => {
      for (const sk of [new Uint8Array(randomBytes(1763)), new Uint8Array(1763), new Uint8Array(1763).fill(255)]) {
        const a = sntrup761Decapsulate(sk, ciphertext);
        const b = sntrup761Decapsulate(sk, ciphertext);
        assert.equal(a.length, 32);
        assert.deepEqual(a, b); // deterministic
        assert.notDeepEqual(a, sharedSecret);
      }
    });

    it('encapsulation to a garbage public key of the right size does not throw', () => {
      for (const pk of [new Uint8Array(randomBytes(1158)), new Uint8Array(1158).fill(255)]) {
        const { ciphertext: ct, sharedSecret: ss } = sntrup761Encapsulate(pk, randomBytes);
        assert.equal(ct.length, 1039);
        assert.equal(ss.length, 32);
      }
    });

    it('rejects a well-formed ciphertext built from an r of the wrong weight (the weight check)', () => {
      // A malicious sender can run encapsulation with any small r. Decryption recovers such an r
      // exactly, so only the weight check stops it from being accepted: without it the result
      // would be the "valid" secret H1(H3(Small(r)) ‖ ct) computed below.
      const h = decodeRq(publicKey);
      const cache = sha512(Uint8Array.of(4), publicKey).subarray(0, 32);
      for (const weight of [0, 1, W - 1, W + 1, P]) {
        const r = new Int8Array(P);
        for (let i = 0; i < weight; i++) r[(i * 7) % P] = i & 1 ? 1 : -1;
        const rEnc = encodeSmall(r);
        const h3 = sha512(Uint8Array.of(3), rEnc).subarray(0, 32);
        const ct = new Uint8Array(1039);
        ct.set(encodeRounded(round3(rqMulSmall(h, r))), 0);
        ct.set(sha512(Uint8Array.of(2), h3, cache).subarray(0, 32), 1007);
        const accepted = sha512(Uint8Array.of(1), h3, ct).subarray(0, 32);
        const ss = sntrup761Decapsulate(secretKey, ct);
        assert.notDeepEqual(ss, accepted, 'weight ' + weight);
        assert.deepEqual(ss, rejectionSecret(secretKey, ct), 'weight ' + weight);
      }
      // The same construction with weight exactly w is an honest encapsulation and is accepted.
      const r = shortFromBytes(new Uint8Array(randomBytes(3044)));
      const rEnc = encodeSmall(r);
      const h3 = sha512(Uint8Array.of(3), rEnc).subarray(0, 32);
      const ct = new Uint8Array(1039);
      ct.set(encodeRounded(round3(rqMulSmall(h, r))), 0);
      ct.set(sha512(Uint8Array.of(2), h3, cache).subarray(0, 32), 1007);
      assert.deepEqual(sntrup761Decapsulate(secretKey, ct), sha512(Uint8Array.of(1), h3, ct).subarray(0, 32));
    });

    it('decapsulating with the wrong secret key gives an unrelated secret', () => {
      const other = sntrup761KeyPair(randomBytes);
      const ss = sntrup761Decapsulate(other.secretKey, ciphertext);
      assert.notDeepEqual(ss, sharedSecret);
      assert.deepEqual(ss, rejectionSecret(other.secretKey, ciphertext));
    });

    it('does not modify its inputs', () => {
      const pk = new Uint8Array(publicKey);
      const sk = new Uint8Array(secretKey);
      const ct = new Uint8Array(ciphertext);
      sntrup761Encapsulate(pk, randomBytes);
      sntrup761Decapsulate(sk, ct);
      assert.deepEqual(pk, publicKey);
      assert.deepEqual(sk, secretKey);
      assert.deepEqual(ct, ciphertext);
    });
  });

  describe('round trips with random keys', () => {
    it('decapsulation recovers the encapsulated secret', () => {
      for (let i = 0; i < 4; i++) {
        const { publicKey, secretKey } = sntrup761KeyPair(randomBytes);
        assert.equal(publicKey.length, 1158);
        assert.equal(secretKey.length, 1763);
        assert.deepEqual(secretKey.subarray(382, 1540), publicKey);
        assert.deepEqual(secretKey.subarray(1731), sha512(Uint8Array.of(4), publicKey).subarray(0, 32));
        const a = sntrup761Encapsulate(publicKey, randomBytes);
        const b = sntrup761Encapsulate(publicKey, randomBytes);
        assert.notDeepEqual(a.sharedSecret, b.sharedSecret);
        assert.deepEqual(sntrup761Decapsulate(secretKey, a.ciphertext), a.sharedSecret);
        assert.deepEqual(sntrup761Decapsulate(secretKey, b.ciphertext), b.sharedSecret);
      }
    });
  });

  describe('internals', () => {
    function randomSmall(): Int8Array {
      return smallFromBytes(new Uint8Array(randomBytes(3044)));
    }
    function randomShort(): Int8Array {
      return shortFromBytes(new Uint8Array(randomBytes(3044)));
    }

    it('the sorting network sorts like a comparison sort (signed int32 order)', () => {
      const extremes = [-2147483648, -2147483647, -1, 0, 1, 2147483646, 2147483647];
      for (const n of [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 100, 761]) {
        for (let trial = 0; trial < 5; trial++) {
          const x = new Int32Array(n);
          const rb = new Int32Array(new Uint8Array(randomBytes(4 * n)).buffer);
          for (let i = 0; i < n; i++) {
            // Mix full-range values, duplicates and extremes.
            const k = rb[i] & 3;
            x[i] = k === 0 ? extremes[(rb[i] >>> 2) % extremes.length] : k === 1 ? rb[i] % 5 : rb[i];
          }
          const expected = Array.prototype.slice.call(x).sort((a: number, b: number) => a - b);
          sortInt32(x);
          assert.deepEqual(Array.prototype.slice.call(x), expected, 'n = ' + n);
        }
      }
    });

    it('short polynomials have exactly 286 nonzero coefficients, all ±1', () => {
      for (let t = 0; t < 20; t++) {
        const f = randomShort();
        let weight = 0;
        for (let i = 0; i < P; i++) {
          assert.ok(f[i] >= -1 && f[i] <= 1);
          if (f[i] !== 0) weight++;
        }
        assert.equal(weight, W);
      }
      // Words that are all zero or all one still give weight 286.
      for (const fill of [0, 255]) {
        const f = shortFromBytes(new Uint8Array(3044).fill(fill));
        let weight = 0;
        for (let i = 0; i < P; i++) if (f[i] !== 0) weight++;
        assert.equal(weight, W);
      }
    });

    it('inverses: g * (1/g) = 1 in R/3 and f * 1/(3f) = 1/3 in R/q', () => {
      for (let t = 0; t < 3; t++) {
        const g = randomSmall();
        const ginv = r3Recip(g);
        assert.ok(ginv, 'a random g is invertible with overwhelming probability');
        const one3 = r3Mul(g, ginv);
        assert.equal(one3[0], 1);
        for (let i = 1; i < P; i++) assert.equal(one3[i], 0);

        const f = randomShort();
        const third = rqMulSmall(rqRecip3(f), f);
        assert.equal(third[0], -1530); // 3 * -1530 = -4590 = 1 mod 4591
        for (let i = 1; i < P; i++) assert.equal(third[i], 0);
      }
      const zero = new Int8Array(P);
      assert.equal(r3Recip(zero), null);
    });

    it('encodings round-trip and use the documented sizes', () => {
      const h = new Int16Array(P);
      const c = new Int16Array(P);
      for (let t = 0; t < 5; t++) {
        const rb = new Uint16Array(new Uint8Array(randomBytes(2 * P)).buffer);
        for (let i = 0; i < P; i++) {
          h[i] = (rb[i] % 4591) - Q12;
          c[i] = 3 * (rb[i] % 1531) - Q12;
        }
        const pk = encodeRq(h);
        assert.equal(pk.length, 1158);
        assert.deepEqual(decodeRq(pk), h);
        const ct = encodeRounded(c);
        assert.equal(ct.length, 1007);
        assert.deepEqual(decodeRounded(ct), c);
        const s = randomSmall();
        const enc = encodeSmall(s);
        assert.equal(enc.length, 191);
        assert.deepEqual(decodeSmall(enc, 0), s);
      }
      // Extremes of the digit ranges.
      h.fill(-Q12);
      assert.deepEqual(decodeRq(encodeRq(h)), h);
      h.fill(Q12);
      assert.deepEqual(decodeRq(encodeRq(h)), h);
      c.fill(Q12);
      assert.deepEqual(decodeRounded(encodeRounded(c)), c);
    });

    it('decoding arbitrary bytes stays in range (digits reduced modulo their radix)', () => {
      for (const bytes of [new Uint8Array(randomBytes(1158)), new Uint8Array(1158).fill(255)]) {
        const h = decodeRq(bytes);
        const c = decodeRounded(bytes.subarray(0, 1007));
        for (let i = 0; i < P; i++) {
          assert.ok(h[i] >= -Q12 && h[i] <= Q12);
          assert.ok(c[i] >= -Q12 && c[i] <= Q12 && (c[i] + Q12) % 3 === 0);
        }
      }
    });
  });
});
