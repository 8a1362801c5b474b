import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { LL_BASE, ML_BASE } from '../../../firmware/compression/block';
import { decompressZstd, ZstdError } from '../../../firmware/compression/zstd';
import { blockHeader, frameBody, frameHeader, skippableFrame, type HeaderOptions } from './crafted-frames';
import { fixtureInput, Rng } from './fixture-inputs';
import { crafted, fixtureFile, referenceFixture } from './fixtures';
import { inspectFrames, type Feature } from './frame-inspector';

function sha256(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, what + ': length');
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected)), what + ': bytes differ');
}

function expectZstdError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ZstdError, 'expected a ZstdError, got ' + String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Decodes; returns the output, or the ZstdError code. Any other exception fails the test. */
function tryDecode(frame: Uint8Array, maxOutput: number): Uint8Array | string {
  try {
    return decompressZstd(frame, maxOutput);
  } catch (e) {
    if (!(e instanceof ZstdError)) throw new Error('not a ZstdError: ' + String(e));
    return e.code;
  }
}

const DECODABLE = fixtureFile().cases.filter((c) => c.expect === undefined).map((c) => c.name);

// ---- a writer for hand-built sequence sections ----------------------------------------------

/** Code of a length: the last code whose baseline does not exceed it. */
function lengthCode(base: Uint32Array, value: number): number {
  let c = 0;
  while (c + 1 < base.length && base[c + 1] <= value) c++;
  return c;
}

interface Seq {
  literals: number;
  /** Offset_Value: an offset plus 3, or 1-3 for a repeat offset. */
  offsetValue: number;
  match: number;
}

/**
 * A compressed block with raw literals and the given sequences, all three tables in RLE_Mode
 * (so every sequence must share its codes with the first). The bitstream is written forward
 * in the reverse of the order the decoder reads it: last sequence first, and within a sequence
 * literals-length bits, then match-length bits, then offset bits; then the end marker.
 */
function sequenceBlock(last: boolean, literals: Uint8Array, seqs: Seq[], modesOverride?: number): Uint8Array {
  const llCode = lengthCode(LL_BASE, seqs[0].literals);
  const mlCode = lengthCode(ML_BASE, seqs[0].match);
  const ofCode = 31 - Math.clz32(seqs[0].offsetValue);
  const bits: number[] = [];
  const put = (value: number, n: number): void => {
    for (let i = 0; i < n; i++) bits.push(Math.floor(value / 2 ** i) % 2);
  };
  for (let i = seqs.length - 1; i >= 0; i--) {
    const s = seqs[i];
    put(s.literals - LL_BASE[llCode], 31 - Math.clz32(LL_BASE[llCode + 1] - LL_BASE[llCode] || 1));
    put(s.match - ML_BASE[mlCode], 31 - Math.clz32(ML_BASE[mlCode + 1] - ML_BASE[mlCode] || 1));
    put(s.offsetValue - 2 ** ofCode, ofCode);
  }
  bits.push(1);
  const stream = new Uint8Array((bits.length + 7) >> 3);
  bits.forEach((b, i) => {
    stream[i >> 3] |= b << (i & 7);
  });
  const litHeader = literals.length < 32
    ? new Uint8Array([literals.length << 3])
    : new Uint8Array([(1 << 2) | ((literals.length & 15) << 4), literals.length >> 4]);
  const modes = modesOverride ?? (1 << 6) | (1 << 4) | (1 << 2);
  const body = concat([litHeader, literals, new Uint8Array([seqs.length, modes, llCode, ofCode, mlCode]), stream]);
  return concat([blockHeader(last, 2, body.length), body]);
}

function rawBlock(last: boolean, data: Uint8Array): Uint8Array {
  return concat([blockHeader(last, 0, data.length), data]);
}

function frameOf(o: Omit<HeaderOptions, 'contentSize'> & { contentSize?: number }, blocks: Uint8Array[]): Uint8Array {
  return concat([frameHeader({ contentSize: 0, ...o }), ...blocks]);
}

/**
 * A header for small hand-built frames: a 1 KB window and a 4-byte size. (A single-segment
 * frame's window is its content size, which also caps each block's compressed size, and a
 * hand-built block is often larger than the few bytes it decodes to.)
 */
function small(contentSize: number): HeaderOptions {
  return { single: false, fcsBytes: 4, contentSize, windowDescriptor: 0 };
}

describe('zstd decompression', () => {
  describe('frames from the reference encoder', () => {
    it('regenerates every fixture input exactly as it was compressed', () => {
      for (const c of fixtureFile().cases) {
        const input = fixtureInput(c.input);
        assert.equal(input.length, c.size, c.name);
        assert.equal(sha256(input), c.sha256, c.name + ': fixture-inputs.ts no longer makes the compressed input');
      }
    });

    for (const name of DECODABLE) {
      const f = referenceFixture(name);
      it(name + ' (' + f.case.command + ', ' + f.case.size + ' bytes)', () => {
        const out = decompressZstd(f.frame, f.maxOutput);
        assert.ok(out instanceof Uint8Array);
        sameBytes(out, f.content, name);
        assert.equal(sha256(out), f.case.sha256);
      });
    }

    it('refuses a frame that names a dictionary, and fails on one that needs an unnamed one', () => {
      expectZstdError(() => decompressZstd(referenceFixture('dictionary-id').frame, 16384), 'unsupported', /dictionar/);
      expectZstdError(() => decompressZstd(referenceFixture('dictionary-no-id').frame, 16384), 'corrupt');
    });

    it('together with the crafted frames, exercises every format feature the decoder implements', () => {
      const all: Feature[] = [
        'single-segment', 'window-descriptor', 'checksum', 'no-content-size', 'fcs-1', 'fcs-2', 'fcs-4', 'fcs-8',
        'block-raw', 'block-rle', 'block-compressed', 'multiple-blocks', 'skippable',
        'literals-raw', 'literals-rle', 'literals-huffman', 'literals-treeless',
        'huffman-1-stream', 'huffman-4-streams', 'literals-size-10', 'literals-size-14', 'literals-size-18',
        'weights-fse', 'weights-direct',
        'no-sequences', 'sequences-count-1', 'sequences-count-2', 'sequences-count-3',
        'seq-predefined', 'seq-rle', 'seq-fse', 'seq-repeat',
      ];
      const fromReference = new Set<Feature>();
      for (const name of DECODABLE) for (const x of inspectFrames(referenceFixture(name).frame)) fromReference.add(x);
      const fromCrafted = new Set<Feature>();
      for (const c of crafted()) for (const x of inspectFrames(c.built.frame)) fromCrafted.add(x);
      // What the reference encoder never produced from our inputs, so crafted frames supply it.
      const craftedOnly: Feature[] = ['fcs-8', 'skippable', 'literals-rle', 'sequences-count-3'];
      for (const x of all) {
        if (craftedOnly.indexOf(x) >= 0) assert.ok(fromCrafted.has(x), x + ' (crafted)');
        else assert.ok(fromReference.has(x), x + ' (reference encoder)');
      }
    });
  });

  describe('crafted frames (each one decoded by the reference zstd -d when the fixtures were made)', () => {
    const records = fixtureFile().crafted;
    for (const c of crafted()) {
      it(c.name + ': ' + c.description, () => {
        const rec = records.find((r) => r.name === c.name);
        assert.ok(rec, 'make-fixtures.ts did not verify ' + c.name);
        assert.equal(sha256(c.built.frame), rec.frameSha256, 'the frame differs from the one the reference decoded');
        assert.equal(sha256(c.built.content), rec.contentSha256);
        sameBytes(decompressZstd(c.built.frame, c.maxOutput ?? 16384), c.built.content, c.name);
      });
    }
  });

  describe('frame headers', () => {
    const k1 = referenceFixture('chat-1k-l3');
    const body = frameBody(k1.frame);

    it('refuses non-zero dictionary IDs of every size', () => {
      for (const didBytes of [1, 2, 4] as const) {
        const frame = frameOf({ single: true, fcsBytes: 2, contentSize: 1000, didBytes, dictionaryId: 0x80 }, [body]);
        expectZstdError(() => decompressZstd(frame, 16384), 'unsupported', /dictionary 128/);
      }
    });

    it('refuses the reserved header bit', () => {
      const frame = frameOf({ single: true, fcsBytes: 2, contentSize: 1000, reservedBit: true }, [body]);
      expectZstdError(() => decompressZstd(frame, 16384), 'unsupported', /reserved bit/);
    });

    it('decodes within maxOutput under the largest window the format can announce (3.75 TB)', () => {
      const frame = frameOf({ single: false, fcsBytes: 0, windowDescriptor: 0xff }, [body]);
      const out = decompressZstd(frame, 1000);
      sameBytes(out, k1.content, 'huge window');
      expectZstdError(() => decompressZstd(frame, 999), 'too-large');
    });

    it('refuses content that disagrees with the declared size, either way', () => {
      for (const declared of [999, 1001]) {
        const frame = frameOf({ single: true, fcsBytes: 2, contentSize: declared }, [body]);
        expectZstdError(() => decompressZstd(frame, 16384), 'corrupt', /declare/);
      }
    });

    it('refuses a declared size above maxOutput before reading any block', () => {
      // 2^40 bytes declared, followed by nothing that is a valid block.
      const frame = concat([frameOf({ single: true, fcsBytes: 8, contentSize: 2 ** 40 }, []), new Uint8Array([0xff, 0xff, 0xff])]);
      expectZstdError(() => decompressZstd(frame, 16384), 'too-large', /declared content size/);
      const f = referenceFixture('chat-16k-l3');
      expectZstdError(() => decompressZstd(f.frame, 15601), 'too-large');
      const out = decompressZstd(f.frame, 15602);
      // Allocated at exactly the declared size.
      assert.equal(out.buffer.byteLength, 15602);
    });

    it('refuses the reserved block type and blocks over the block size limit', () => {
      const reserved = frameOf({ single: true, fcsBytes: 2, contentSize: 1000 }, [blockHeader(true, 3, 0)]);
      expectZstdError(() => decompressZstd(reserved, 16384), 'corrupt', /reserved type/);
      // chat-16k-l3's one 4.7 KB block under a 1 KB window.
      const big = frameBody(referenceFixture('chat-16k-l3').frame);
      const narrow = frameOf({ single: false, fcsBytes: 2, contentSize: 15602, windowDescriptor: 0 }, [big]);
      expectZstdError(() => decompressZstd(narrow, 16384), 'corrupt', /block size limit/);
      // A raw block larger than a single-segment frame's content (its window).
      const raw = frameOf({ single: true, fcsBytes: 1, contentSize: 10 }, [rawBlock(true, new Uint8Array(11))]);
      expectZstdError(() => decompressZstd(raw, 16384), 'corrupt', /block size limit/);
    });
  });

  describe('sequences and offsets', () => {
    const prefix = new Rng(77).bytes(3000);
    const rawPrefix = [rawBlock(false, prefix.subarray(0, 1000)), rawBlock(false, prefix.subarray(1000, 2000)), rawBlock(false, prefix.subarray(2000))];

    it('copies a match from 2000 bytes back, within a 4 KB window', () => {
      const frame = frameOf({ single: false, fcsBytes: 2, contentSize: 3010, windowDescriptor: 2 << 3 }, [
        ...rawPrefix,
        sequenceBlock(true, new Uint8Array(0), [{ literals: 0, offsetValue: 2003, match: 10 }]),
      ]);
      sameBytes(decompressZstd(frame, 16384), concat([prefix, prefix.subarray(1000, 1010)]), 'far match');
    });

    it('refuses the same match under a 1 KB window, and one reaching before the frame', () => {
      const narrow = frameOf({ single: false, fcsBytes: 2, contentSize: 3010, windowDescriptor: 0 }, [
        ...rawPrefix,
        sequenceBlock(true, new Uint8Array(0), [{ literals: 0, offsetValue: 2003, match: 10 }]),
      ]);
      expectZstdError(() => decompressZstd(narrow, 16384), 'corrupt', /window/);
      const before = frameOf({ single: false, fcsBytes: 2, contentSize: 3010, windowDescriptor: 3 << 3 }, [
        ...rawPrefix,
        sequenceBlock(true, new Uint8Array(0), [{ literals: 0, offsetValue: 3004, match: 10 }]),
      ]);
      expectZstdError(() => decompressZstd(before, 16384), 'corrupt', /before the start/);
      // A match in the second of two frames may not reach into the first one's output.
      const first = frameOf({ single: true, fcsBytes: 2, contentSize: 1000 }, [rawBlock(true, prefix.subarray(0, 1000))]);
      const second = frameOf(small(13), [
        sequenceBlock(true, new Uint8Array([1, 2, 3]), [{ literals: 3, offsetValue: 500 + 3, match: 10 }]),
      ]);
      expectZstdError(() => decompressZstd(concat([first, second]), 16384), 'corrupt', /before the start/);
    });

    it('applies the repeat-offset rules, and refuses repeat offset 1 minus 1 = 0', () => {
      // Offsets 1, 4, 8 at the start. With literals, Offset_Value 2 is repeat offset 2 (= 4).
      const lits = new Uint8Array([10, 20, 30, 40, 50]);
      const rep2 = frameOf(small(9), [
        sequenceBlock(true, lits, [{ literals: 5, offsetValue: 2, match: 4 }]),
      ]);
      sameBytes(decompressZstd(rep2, 100), new Uint8Array([10, 20, 30, 40, 50, 20, 30, 40, 50]), 'repeat offset 2');
      // Without literals, Offset_Value 3 means repeat offset 1 minus one: 1 - 1 = 0.
      const zero = frameOf(small(8), [
        rawBlock(false, lits),
        sequenceBlock(true, new Uint8Array(0), [{ literals: 0, offsetValue: 3, match: 3 }]),
      ]);
      expectZstdError(() => decompressZstd(zero, 100), 'corrupt', /offset/);
    });

    it('refuses Repeat_Mode and treeless literals with nothing to repeat', () => {
      const repeatModes = frameOf(small(8), [
        sequenceBlock(true, new Uint8Array([1, 2, 3, 4, 5]), [{ literals: 5, offsetValue: 4, match: 3 }], (3 << 6) | (1 << 4) | (1 << 2)),
      ]);
      expectZstdError(() => decompressZstd(repeatModes, 100), 'corrupt', /Repeat_Mode/);
      // Literals block type 3 (treeless), 1 stream, sizes 1/1, as the first compressed block.
      const body = new Uint8Array([0x03 | (1 << 4), 0x40, 0x00, 0x80, 0x00]);
      const treeless = frameOf(small(1), [blockHeader(true, 2, body.length), body]);
      expectZstdError(() => decompressZstd(treeless, 100), 'corrupt', /treeless/);
    });

    it('refuses sequences that take more literals than the block has', () => {
      const frame = frameOf(small(20), [
        rawBlock(false, new Uint8Array([9])),
        sequenceBlock(true, new Uint8Array([1, 2]), [{ literals: 5, offsetValue: 4, match: 3 }]),
      ]);
      expectZstdError(() => decompressZstd(frame, 100), 'corrupt', /more literals/);
    });

    it('refuses a sequences bitstream with bits left over or missing', () => {
      const good = sequenceBlock(true, new Uint8Array([1, 2, 3]), [{ literals: 3, offsetValue: 4, match: 3 }]);
      const ok = frameOf(small(6), [good]);
      sameBytes(decompressZstd(ok, 100), new Uint8Array([1, 2, 3, 3, 3, 3]), 'control');
      // Move the end marker up one bit: one unread zero bit is left over.
      const extra = good.slice();
      extra[extra.length - 1] <<= 1;
      expectZstdError(() => decompressZstd(frameOf(small(6), [extra]), 100), 'corrupt', /left over/);
      // Two sequences announced, one encoded.
      const short = good.slice();
      short[3 + 1 + 3] = 2;
      expectZstdError(() => decompressZstd(frameOf(small(9), [short]), 100), 'corrupt');
    });

    it('refuses bytes after an empty sequences section, and reserved mode bits', () => {
      const body = new Uint8Array([0x01 << 3, 7, 0x00, 0x00]); // raw literal "7", 0 sequences, then a stray byte
      const frame = frameOf(small(1), [blockHeader(true, 2, body.length), body]);
      expectZstdError(() => decompressZstd(frame, 100), 'corrupt', /empty sequences section/);
      const reserved = frameOf(small(8), [
        sequenceBlock(true, new Uint8Array([1, 2, 3, 4, 5]), [{ literals: 5, offsetValue: 4, match: 3 }], 0x55),
      ]);
      expectZstdError(() => decompressZstd(reserved, 100), 'corrupt', /reserved bits/);
    });
  });

  describe('output limits', () => {
    it('stops a frame without a declared size at maxOutput', () => {
      const f = referenceFixture('chat-16k-l3-no-size');
      expectZstdError(() => decompressZstd(f.frame, 15601), 'too-large', /maxOutput/);
      sameBytes(decompressZstd(f.frame, 15602), f.content, 'exact limit');
      sameBytes(decompressZstd(f.frame, 16384), f.content, 'spare room');
      const s = referenceFixture('chats-150k-l3-stream');
      expectZstdError(() => decompressZstd(s.frame, 149999), 'too-large');
      expectZstdError(() => decompressZstd(s.frame, 16384), 'too-large');
    });

    it('stops raw, RLE and sequence output at maxOutput', () => {
      const header = { single: false, fcsBytes: 0 as const, windowDescriptor: 4 << 3 };
      const raw = frameOf(header, [rawBlock(true, new Uint8Array(2000))]);
      expectZstdError(() => decompressZstd(raw, 1999), 'too-large');
      const rle = frameOf(header, [blockHeader(true, 1, 2000), new Uint8Array([5])]);
      expectZstdError(() => decompressZstd(rle, 1999), 'too-large');
      assert.equal(decompressZstd(rle, 2000).length, 2000);
      const seq = frameOf(header, [
        sequenceBlock(true, new Uint8Array([1, 2, 3]), [{ literals: 3, offsetValue: 4, match: 3000 }]),
      ]);
      expectZstdError(() => decompressZstd(seq, 3002), 'too-large');
      assert.equal(decompressZstd(seq, 3003).length, 3003);
    });

    it('refuses 33000 sequences that cannot fit before decoding them', () => {
      const c = crafted().find((x) => x.name === 'many-sequences');
      assert.ok(c);
      // The same blocks without a declared size.
      const frame = concat([frameHeader({ single: false, fcsBytes: 0, contentSize: 0, windowDescriptor: 7 << 3 }), frameBody(c.built.frame)]);
      const started = performance.now();
      expectZstdError(() => decompressZstd(frame, 50000), 'too-large');
      assert.ok(performance.now() - started < 50, 'refused up front');
      assert.equal(decompressZstd(frame, 99001).length, 99001);
    });

    it('bounds the sum of concatenated frames', () => {
      const a = referenceFixture('chat-16k-l3');
      const b = referenceFixture('tiny-chat-l3');
      const both = concat([a.frame, b.frame]);
      expectZstdError(() => decompressZstd(both, 15602 + 110), 'too-large');
      sameBytes(decompressZstd(both, 15602 + 111), concat([a.content, b.content]), 'exact');
      // A sized frame after an unsized one must fit in what the first one left.
      const c = referenceFixture('tiny-chat-stream');
      const mixed = concat([c.frame, b.frame]);
      expectZstdError(() => decompressZstd(mixed, 160 + 110), 'too-large');
      sameBytes(decompressZstd(mixed, 160 + 111), concat([c.content, b.content]), 'mixed');
    });

    it('refuses an impossible maxOutput', () => {
      const f = referenceFixture('tiny-chat-l3').frame;
      for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 31]) {
        expectZstdError(() => decompressZstd(f, bad), 'invalid-argument');
      }
      assert.equal(decompressZstd(referenceFixture('empty').frame, 0).length, 0);
    });
  });

  describe('framing', () => {
    it('skips skippable frames, even when they are all there is', () => {
      const only = concat([skippableFrame(3, new Uint8Array(10)), skippableFrame(12, new Uint8Array(0))]);
      assert.equal(decompressZstd(only, 100).length, 0);
    });

    it('reports a cut-off or oversized skippable frame as truncated', () => {
      expectZstdError(() => decompressZstd(skippableFrame(0, new Uint8Array(10)).subarray(0, 7), 100), 'truncated');
      const lying = concat([new Uint8Array([0x50, 0x2a, 0x4d, 0x18]), new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array(5)]);
      expectZstdError(() => decompressZstd(lying, 100), 'truncated', /skippable/);
    });

    it('refuses empty input, a wrong magic number, and trailing bytes', () => {
      expectZstdError(() => decompressZstd(new Uint8Array(0), 100), 'truncated', /empty/);
      expectZstdError(() => decompressZstd(new Uint8Array([0x28, 0xb5]), 100), 'truncated');
      expectZstdError(() => decompressZstd(new Uint8Array([0x28, 0xb5, 0x2f, 0xfe, 0, 0]), 100), 'bad-magic');
      const f = referenceFixture('tiny-chat-l3').frame;
      expectZstdError(() => decompressZstd(concat([f, new Uint8Array(4)]), 100_000), 'bad-magic', new RegExp('byte ' + f.length));
      expectZstdError(() => decompressZstd(concat([f, new Uint8Array(2)]), 100_000), 'truncated');
      // The legacy (v0.x) magic numbers are not zstd frames this decoder knows.
      expectZstdError(() => decompressZstd(new Uint8Array([0x27, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]), 100), 'bad-magic');
    });

    it('returns an exact-size array when every frame declares its size, and a view otherwise', () => {
      const sized = decompressZstd(referenceFixture('chat-1k-l3').frame, 16384);
      assert.equal(sized.buffer.byteLength, 1000);
      const unsized = decompressZstd(referenceFixture('tiny-chat-stream').frame, 16384);
      assert.equal(unsized.length, 160);
      assert.equal(unsized.buffer.byteLength, 16384);
    });
  });

  describe('hostile input', () => {
    /** Single-frame inputs: every strict prefix of these is a truncated frame. */
    const singles = (): Array<{ name: string; frame: Uint8Array; maxOutput: number }> => [
      ...DECODABLE.map((n) => ({ name: n, frame: referenceFixture(n).frame, maxOutput: referenceFixture(n).maxOutput })),
      ...crafted()
        .filter((c) => c.name !== 'skippable-around' && c.name !== 'concatenated')
        .map((c) => ({ name: c.name, frame: c.built.frame, maxOutput: c.maxOutput ?? 16384 })),
    ];

    it('reports every truncation of every single-frame fixture as truncated', () => {
      let cases = 0;
      for (const s of singles()) {
        for (let cut = 0; cut < s.frame.length; cut++) {
          const r = tryDecode(s.frame.subarray(0, cut), s.maxOutput);
          assert.equal(r, 'truncated', s.name + ' cut at ' + cut);
          cases++;
        }
      }
      assert.ok(cases > 100_000, cases + ' truncations');
    });

    it('ends 6,000 random bit flips in a ZstdError or a bounded result, never a hang', () => {
      const names = ['tiny-chat-l3', 'tiny-chat-l3-check', 'chat-1k-l3', 'chat-16k-l3', 'chat-16k-l3-check', 'chat-16k-l19',
        'chat-16k-l19-window1k', 'alphabet-16k-l19-window1k', 'alphabet-8k-l3', 'info-14k-l19-check', 'ticks-9k-l3',
        'same-16k-window1k', 'chat-16k-l3-stream'];
      const rng = new Rng(2024);
      const codes: { [code: string]: number } = {};
      let slowest = 0;
      for (let i = 0; i < 6000; i++) {
        const f = referenceFixture(names[i % names.length]);
        const hasChecksum = f.case.command.indexOf('--no-check') < 0;
        const frame = f.frame.slice();
        const flips = 1 + rng.below(3);
        for (let k = 0; k < flips; k++) {
          // Half the flips land in the first 64 bytes, where the headers and tables are.
          const at = rng.below(2) === 0 ? rng.below(Math.min(64, frame.length)) : rng.below(frame.length);
          frame[at] ^= 1 << rng.below(8);
        }
        const started = performance.now();
        const r = tryDecode(frame, 16384);
        slowest = Math.max(slowest, performance.now() - started);
        if (typeof r === 'string') {
          codes[r] = (codes[r] ?? 0) + 1;
        } else {
          assert.ok(r.length <= 16384);
          // A checksummed frame that still decodes must decode to its content (a flip in a
          // bit the decoder ignores); anything else would have failed the checksum.
          if (hasChecksum) sameBytes(r, f.content, 'case ' + i);
          codes.ok = (codes.ok ?? 0) + 1;
        }
      }
      assert.ok(slowest < 1000, 'slowest case took ' + slowest.toFixed(1) + ' ms');
      for (const code of ['corrupt', 'checksum', 'truncated']) assert.ok((codes[code] ?? 0) > 0, code + ' seen: ' + JSON.stringify(codes));
    });

    it('ends 4,000 random compressed-block payloads in a ZstdError or a bounded result', () => {
      const rng = new Rng(31337);
      let slowest = 0;
      let errors = 0;
      for (let i = 0; i < 4000; i++) {
        const payload = rng.bytes(1 + rng.below(300));
        // Bias the literals header toward the Huffman types, so trees and streams get exercised.
        if (i % 2 === 0) payload[0] = (payload[0] & 0xfc) | 2;
        const header: HeaderOptions = i % 3 === 0
          ? { single: true, fcsBytes: 2, contentSize: 256 + rng.below(8000) }
          : { single: false, fcsBytes: 0, contentSize: 0, windowDescriptor: rng.below(40) };
        const frame = concat([frameHeader(header), blockHeader(true, 2, payload.length), payload]);
        const started = performance.now();
        const r = tryDecode(frame, 8192);
        slowest = Math.max(slowest, performance.now() - started);
        if (typeof r === 'string') errors++;
        else assert.ok(r.length <= 8192);
      }
      assert.ok(errors > 3500, errors + ' errors');
      assert.ok(slowest < 1000, 'slowest case took ' + slowest.toFixed(1) + ' ms');
    });
  });
});
