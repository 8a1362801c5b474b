import assert from 'node:assert/strict';
import { BackwardBitReader, highBit } from '../../../firmware/compression/bits';
import {
  LL_BASE, LL_BITS, LL_DEFAULT, ML_BASE, ML_BITS, ML_DEFAULT, OF_DEFAULT,
} from '../../../firmware/compression/block';
import { ZstdError } from '../../../firmware/compression/errors';
import { buildPredefinedTable, FseTable, readFseTable } from '../../../firmware/compression/fse';
import { decodeHuffmanStream, HuffmanTable, readHuffmanTree } from '../../../firmware/compression/huffman';
import { Rng } from './fixture-inputs';

function expectZstdError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ZstdError, 'expected a ZstdError, got ' + String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/**
 * RFC 8878 Appendix A: the decoding tables of the predefined distributions, as
 * "symbol/Number_of_Bits/Base" per state.
 */
const APPENDIX_A: { [name: string]: string } = {
  ll:
    '0/4/0 0/4/16 1/5/32 3/5/0 4/5/0 6/5/0 7/5/0 9/5/0 10/5/0 12/5/0 14/6/0 16/5/0 18/5/0 19/5/0 ' +
    '21/5/0 22/5/0 24/5/0 25/5/32 26/5/0 27/6/0 29/6/0 31/6/0 0/4/32 1/4/0 2/5/0 4/5/32 5/5/0 7/5/32 ' +
    '8/5/0 10/5/32 11/5/0 13/6/0 16/5/32 17/5/0 19/5/32 20/5/0 22/5/32 23/5/0 25/4/0 25/4/16 26/5/32 ' +
    '28/6/0 30/6/0 0/4/48 1/4/16 2/5/32 3/5/32 5/5/32 6/5/32 8/5/32 9/5/32 11/5/32 12/5/32 15/6/0 ' +
    '17/5/32 18/5/32 20/5/32 21/5/32 23/5/32 24/5/32 35/6/0 34/6/0 33/6/0 32/6/0',
  ml:
    '0/6/0 1/4/0 2/5/32 3/5/0 5/5/0 6/5/0 8/5/0 10/6/0 13/6/0 16/6/0 19/6/0 22/6/0 25/6/0 28/6/0 ' +
    '31/6/0 33/6/0 35/6/0 37/6/0 39/6/0 41/6/0 43/6/0 45/6/0 1/4/16 2/4/0 3/5/32 4/5/0 6/5/32 7/5/0 ' +
    '9/6/0 12/6/0 15/6/0 18/6/0 21/6/0 24/6/0 27/6/0 30/6/0 32/6/0 34/6/0 36/6/0 38/6/0 40/6/0 42/6/0 ' +
    '44/6/0 1/4/32 1/4/48 2/4/16 4/5/32 5/5/32 7/5/32 8/5/32 11/6/0 14/6/0 17/6/0 20/6/0 23/6/0 ' +
    '26/6/0 29/6/0 52/6/0 51/6/0 50/6/0 49/6/0 48/6/0 47/6/0 46/6/0',
  of:
    '0/5/0 6/4/0 9/5/0 15/5/0 21/5/0 3/5/0 7/4/0 12/5/0 18/5/0 23/5/0 5/5/0 8/4/0 14/5/0 20/5/0 2/5/0 ' +
    '7/4/16 11/5/0 17/5/0 22/5/0 4/5/0 8/4/16 13/5/0 19/5/0 1/5/0 6/4/16 10/5/0 16/5/0 28/5/0 27/5/0 ' +
    '26/5/0 25/5/0 24/5/0',
};

function tableRows(t: FseTable): string {
  const rows: string[] = [];
  for (let s = 0; s < 1 << t.log; s++) rows.push(t.symbol[s] + '/' + t.nbBits[s] + '/' + t.base[s]);
  return rows.join(' ');
}

function sameTable(a: FseTable, b: FseTable, what: string): void {
  assert.equal(a.log, b.log, what + ': log');
  assert.equal(tableRows(a), tableRows(b), what);
}

/** A forward little-endian bit writer, for building descriptions in tests. */
class BitWriter {
  private bytes: number[] = [];
  private bit = 0;
  write(value: number, n: number): void {
    for (let i = 0; i < n; i++) {
      if ((this.bit & 7) === 0) this.bytes.push(0);
      if ((value >> i) & 1) this.bytes[this.bytes.length - 1] |= 1 << (this.bit & 7);
      this.bit++;
    }
  }
  finish(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

/**
 * An FSE table description encoder written from RFC 8878 §4.1.1 (the inverse of readFseTable),
 * so descriptions can be round-tripped: encode a distribution, read it back, compare tables.
 */
function encodeFseDescription(dist: number[], log: number): Uint8Array {
  const w = new BitWriter();
  w.write(log - 5, 4);
  let remaining = (1 << log) + 1;
  let s = 0;
  while (remaining > 1) {
    const proba = dist[s++];
    const value = proba + 1;
    const bits = highBit(remaining) + 1;
    const threshold = (1 << bits) - 1 - remaining;
    const half = 1 << (bits - 1);
    if (value < threshold) w.write(value, bits - 1);
    else if (value < half) w.write(value, bits);
    else w.write(value + threshold, bits);
    remaining -= proba < 0 ? 1 : proba;
    if (proba === 0) {
      let zeros = 0;
      while (s < dist.length && dist[s] === 0) {
        zeros++;
        s++;
      }
      for (; zeros >= 3; zeros -= 3) w.write(3, 2);
      w.write(zeros, 2);
    }
  }
  return w.finish();
}

/** A random valid distribution over up to maxSymbol + 1 symbols summing to 2^log, last symbol non-zero. */
function randomDistribution(rng: Rng, log: number, maxSymbol: number): number[] {
  const count = 2 + rng.below(maxSymbol);
  const dist: number[] = [];
  let left = 1 << log;
  for (let s = 0; s < count - 1 && left > 1; s++) {
    const r = rng.below(10);
    if (r < 2) dist.push(0);
    else if (r < 4) {
      dist.push(-1);
      left -= 1;
    } else {
      const p = 1 + rng.below(Math.max(1, left >> 2));
      dist.push(p);
      left -= p;
    }
  }
  dist.push(left);
  return dist;
}

describe('zstd entropy decoding', () => {
  describe('length codes', () => {
    it('derives the RFC 8878 baselines for the literals and match length codes', () => {
      // §3.1.1.3.2.1.1: codes 16-35 and 32-52 (the lower codes are the identity, +3 for matches).
      assert.deepEqual(Array.from(LL_BASE.subarray(16)), [16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024,
        2048, 4096, 8192, 16384, 32768, 65536]);
      assert.deepEqual(Array.from(ML_BASE.subarray(32)), [35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027,
        2051, 4099, 8195, 16387, 32771, 65539]);
      for (let c = 0; c < 16; c++) assert.equal(LL_BASE[c], c);
      for (let c = 0; c < 32; c++) assert.equal(ML_BASE[c], c + 3);
      // The largest lengths: 65536 + 2^16 - 1 and 65539 + 2^16 - 1.
      assert.equal(LL_BASE[35] + (1 << LL_BITS[35]) - 1, 131071);
      assert.equal(ML_BASE[52] + (1 << ML_BITS[52]) - 1, 131074);
    });
  });

  describe('FSE tables', () => {
    it('builds the three predefined tables exactly as RFC 8878 Appendix A lists them', () => {
      const t = new FseTable(9);
      buildPredefinedTable(t, LL_DEFAULT, 6);
      assert.equal(tableRows(t), APPENDIX_A.ll);
      buildPredefinedTable(t, ML_DEFAULT, 6);
      assert.equal(tableRows(t), APPENDIX_A.ml);
      buildPredefinedTable(t, OF_DEFAULT, 5);
      assert.equal(tableRows(t), APPENDIX_A.of);
    });

    it('reads a description of each predefined distribution back to the same table', () => {
      const cases: Array<[Int16Array, number, number]> = [[LL_DEFAULT, 6, 35], [ML_DEFAULT, 6, 52], [OF_DEFAULT, 5, 31]];
      for (const [dist, log, maxSymbol] of cases) {
        const desc = encodeFseDescription(Array.from(dist), log);
        const read = new FseTable(9);
        assert.equal(readFseTable(read, desc, 0, desc.length, 9, maxSymbol, 'test'), desc.length);
        const built = new FseTable(9);
        buildPredefinedTable(built, dist, log);
        sameTable(read, built, 'log ' + log);
      }
    });

    it('round-trips 500 random distributions (every log 5..9, zero runs, "less than 1" symbols)', () => {
      const rng = new Rng(99);
      for (let i = 0; i < 500; i++) {
        const log = 5 + (i % 5);
        const dist = randomDistribution(rng, log, 52);
        const desc = encodeFseDescription(dist, log);
        // Trailing bytes after the description must not be consumed.
        const src = new Uint8Array(desc.length + 3).fill(0xa5);
        src.set(desc, 0);
        const read = new FseTable(9);
        assert.equal(readFseTable(read, src, 0, src.length, 9, 52, 'test'), desc.length, 'case ' + i);
        const built = new FseTable(9);
        buildPredefinedTable(built, new Int16Array(dist), log);
        sameTable(read, built, 'case ' + i + ': ' + dist.join(','));
      }
    });

    it('refuses an accuracy log above the limit of the alphabet', () => {
      const desc = encodeFseDescription(Array.from(LL_DEFAULT), 6);
      expectZstdError(() => readFseTable(new FseTable(9), desc, 0, desc.length, 5, 35, 'offsets'), 'corrupt', /accuracy log 6/);
      const log10 = new Uint8Array([0x05, 0xff, 0xff]); // low nibble 5: log 10
      expectZstdError(() => readFseTable(new FseTable(9), log10, 0, 3, 9, 52, 'x'), 'corrupt', /accuracy log 10/);
    });

    it('refuses symbols beyond the alphabet, including by a zero run', () => {
      const dist = Array.from(ML_DEFAULT); // 53 symbols
      const desc = encodeFseDescription(dist, 6);
      expectZstdError(() => readFseTable(new FseTable(9), desc, 0, desc.length, 9, 35, 'x'), 'corrupt', /too many symbols/);
      // 1, then 40 zeros through repeat flags, then the rest: the zero run passes symbol 35.
      const runs = [1, ...new Array(40).fill(0), 63];
      const d2 = encodeFseDescription(runs, 6);
      expectZstdError(() => readFseTable(new FseTable(9), d2, 0, d2.length, 9, 35, 'x'), 'corrupt', /too many symbols/);
      assert.equal(readFseTable(new FseTable(9), d2, 0, d2.length, 9, 52, 'x'), d2.length);
    });

    it('refuses a description that runs past its section, at every cut', () => {
      const desc = encodeFseDescription(Array.from(LL_DEFAULT), 6);
      for (let cut = 0; cut < desc.length; cut++) {
        expectZstdError(() => readFseTable(new FseTable(9), desc, 0, cut, 9, 35, 'x'), 'corrupt');
      }
    });

    it('ends every garbage description in a ZstdError or a valid table, quickly', () => {
      const rng = new Rng(5);
      let errors = 0;
      for (let i = 0; i < 3000; i++) {
        const junk = rng.bytes(1 + rng.below(40));
        try {
          const t = new FseTable(9);
          const used = readFseTable(t, junk, 0, junk.length, 9, 52, 'x');
          assert.ok(used >= 1 && used <= junk.length);
          // A table that was accepted must be fully populated with in-range entries.
          for (let s = 0; s < 1 << t.log; s++) {
            assert.ok(t.symbol[s] <= 52 && t.nbBits[s] <= t.log && t.base[s] < 1 << t.log);
          }
        } catch (e) {
          assert.ok(e instanceof ZstdError, String(e));
          errors++;
        }
      }
      assert.ok(errors > 0);
    });
  });

  describe('Huffman', () => {
    // RFC 8878 §4.2.1: weights 4 3 2 0 1 for literals 0-4; literal 5's weight (1) is implied.
    // Direct representation: header 127 + 5, then the nibbles 4,3 2,0 1,(pad).
    const RFC_TREE = new Uint8Array([132, 0x43, 0x20, 0x10]);

    it('builds the RFC 8878 example prefix code from direct weights', () => {
      const t = new HuffmanTable();
      assert.equal(readHuffmanTree(t, RFC_TREE, 0, RFC_TREE.length), 4);
      assert.equal(t.maxBits, 4);
      // Prefix codes per the RFC: 4 -> 0000, 5 -> 0001, 2 -> 001, 1 -> 01, 0 -> 1.
      const expect: Array<[number, number, number]> = [[0b0000, 4, 4], [0b0001, 5, 4], [0b0010, 2, 3], [0b0011, 2, 3]];
      for (let p = 4; p < 8; p++) expect.push([p, 1, 2]);
      for (let p = 8; p < 16; p++) expect.push([p, 0, 1]);
      for (const [peek, sym, len] of expect) {
        assert.equal(t.entries[peek] >> 4, sym, 'symbol at ' + peek);
        assert.equal(t.entries[peek] & 15, len, 'length at ' + peek);
      }
    });

    it('decodes a stream written with that code, and the RFC example bytes', () => {
      const t = new HuffmanTable();
      readHuffmanTree(t, RFC_TREE, 0, RFC_TREE.length);
      const out = new Uint8Array(4);
      // "0145" written in reverse (5 = 0001, 4 = 0000, 1 = 01, 0 = 1), then the end marker.
      decodeHuffmanStream(t, new Uint8Array([0x01, 0x0d]), 0, 2, out, 0, 4);
      assert.deepEqual(Array.from(out), [0, 1, 4, 5]);
      // The RFC's own example stream, 00010000 00001101, swaps the codes of 4 and 5 relative to
      // its code table (the table's order is the one real frames use; see zstd.test.ts).
      decodeHuffmanStream(t, new Uint8Array([0x10, 0x0d]), 0, 2, out, 0, 4);
      assert.deepEqual(Array.from(out), [0, 1, 5, 4]);
    });

    it('refuses a stream that is not consumed exactly, or has no end marker', () => {
      const t = new HuffmanTable();
      readHuffmanTree(t, RFC_TREE, 0, RFC_TREE.length);
      const out = new Uint8Array(8);
      const stream = new Uint8Array([0x01, 0x0d]);
      expectZstdError(() => decodeHuffmanStream(t, stream, 0, 2, out, 0, 3), 'corrupt', /does not match/);
      expectZstdError(() => decodeHuffmanStream(t, stream, 0, 2, out, 0, 5), 'corrupt');
      expectZstdError(() => decodeHuffmanStream(t, new Uint8Array([0x01, 0x00]), 0, 2, out, 0, 4), 'corrupt', /end marker/);
      expectZstdError(() => decodeHuffmanStream(t, stream, 1, 1, out, 0, 0), 'corrupt', /empty/);
      // A lone end marker is a valid empty stream.
      decodeHuffmanStream(t, new Uint8Array([0x01]), 0, 1, out, 0, 0);
    });

    it('refuses weight sets that do not form a valid prefix code', () => {
      const cases: Array<[number[], RegExp]> = [
        [[0, 0, 0], /fewer than two symbols/],
        [[12, 1], /exceeds 11/],
        [[11, 11], /exceed 11 bits/], // sum 2048: maxBits 12
        [[2, 1, 1, 1], /power of two/], // sum 5: rest 3
        [[2], /no weight-1 symbol/], // 2 + implied 2
        [[3, 2, 2], /no weight-1 symbol/], // 4 + 2 + 2 = 8 = 2^3: complete, but no weight 1
      ];
      for (const [weights, message] of cases) {
        const src = new Uint8Array(1 + ((weights.length + 1) >> 1));
        src[0] = 127 + weights.length;
        weights.forEach((w, i) => {
          src[1 + (i >> 1)] |= (i & 1) === 0 ? w << 4 : w;
        });
        expectZstdError(() => readHuffmanTree(new HuffmanTable(), src, 0, src.length), 'corrupt', message);
      }
    });

    it('refuses a description that runs past the literals section', () => {
      expectZstdError(() => readHuffmanTree(new HuffmanTable(), RFC_TREE, 0, 3), 'corrupt', /run past/);
      const fse = new Uint8Array([20, 1, 2, 3]); // FSE-compressed weights, 20 bytes announced
      expectZstdError(() => readHuffmanTree(new HuffmanTable(), fse, 0, fse.length), 'corrupt', /run past/);
      expectZstdError(() => readHuffmanTree(new HuffmanTable(), fse, 0, 0), 'corrupt', /missing/);
    });

    it('ends every garbage tree description in a ZstdError or a complete code, quickly', () => {
      const rng = new Rng(6);
      let accepted = 0;
      for (let i = 0; i < 5000; i++) {
        const junk = rng.bytes(2 + rng.below(60));
        if (i % 2 === 0) junk[0] = rng.below(junk.length); // FSE-compressed weights of a plausible size
        const t = new HuffmanTable();
        try {
          readHuffmanTree(t, junk, 0, junk.length);
          accepted++;
          // Kraft: every entry of the 2^maxBits table is owned by exactly one code.
          assert.ok(t.maxBits >= 1 && t.maxBits <= 11);
          for (let p = 0; p < 1 << t.maxBits; p++) {
            const len = t.entries[p] & 15;
            assert.ok(len >= 1 && len <= t.maxBits, 'entry ' + p);
          }
        } catch (e) {
          assert.ok(e instanceof ZstdError, String(e));
        }
      }
      assert.ok(accepted > 0, 'some garbage happens to be a valid tree');
    });
  });

  describe('backward bit reader', () => {
    /** Reference: bit i of the stream is bit (i & 7) of byte i >> 3; bits below 0 are zero. */
    function refRead(bytes: Uint8Array, from: number, n: number): number {
      let v = 0;
      for (let k = n - 1; k >= 0; k--) {
        const i = from + k;
        const bit = i < 0 ? 0 : (bytes[i >> 3] >> (i & 7)) & 1;
        v = v * 2 + bit;
      }
      return v;
    }

    it('starts below the end marker and reads fields most significant first', () => {
      const r = new BackwardBitReader();
      r.init(new Uint8Array([0xab, 0xcd, 0x01]), 0, 3, 'test');
      assert.equal(r.pos, 16);
      assert.equal(r.read(4), 0xc);
      assert.equal(r.read(8), 0xda);
      assert.equal(r.read(4), 0xb);
      assert.equal(r.pos, 0);
      assert.equal(r.read(3), 0);
      assert.equal(r.pos, -3);
    });

    it('matches a bit-by-bit reference for random widths 0..31, past the start too', () => {
      const rng = new Rng(11);
      const r = new BackwardBitReader();
      for (let i = 0; i < 300; i++) {
        const bytes = rng.bytes(1 + rng.below(20));
        bytes[bytes.length - 1] |= 1 << rng.below(8);
        // Embed the stream between other bytes: neither side may leak into the values read.
        const buf = new Uint8Array(bytes.length + 8).fill(0xff);
        buf.set(bytes, 4);
        r.init(buf, 4, 4 + bytes.length, 'test');
        let pos = (bytes.length - 1) * 8 + highBit(bytes[bytes.length - 1]);
        assert.equal(r.pos, pos);
        while (pos > -40) {
          const n = rng.below(32);
          pos -= n;
          assert.equal(r.read(n), refRead(bytes, pos, n), 'case ' + i + ' at ' + pos + ' width ' + n);
          assert.equal(r.pos, pos);
        }
      }
    });

    it('refuses an empty stream or one whose last byte is 0', () => {
      const r = new BackwardBitReader();
      expectZstdError(() => r.init(new Uint8Array([1, 2]), 1, 1, 'the stream'), 'corrupt', /the stream is empty/);
      expectZstdError(() => r.init(new Uint8Array([1, 0]), 0, 2, 'the stream'), 'corrupt', /end marker/);
    });
  });
});
