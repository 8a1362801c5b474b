import assert from 'node:assert/strict';
import { Decoder, Encoder, decode, int64PartsFromNumber, type Int64Parts, type VersionRange } from '../../../firmware/encoding/binary';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from './helpers';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** An independent int64 reference: Node's BigInt DataView. */
function refInt64(v: bigint): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, false);
  return toHex(b);
}

function enc(f: (e: Encoder) => void): string {
  const e = new Encoder();
  f(e);
  return toHex(e.finish());
}

function dec<T>(h: string, f: (d: Decoder) => T): T {
  const r = decode(hex(h), f);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('binary encoding (simplexmq Encoding)', () => {
  describe('fixed-width integers', () => {
    it('writes big-endian u8, word16, word32 and reads them back', () => {
      assert.equal(enc((e) => e.u8(0).u8(0x7f).u8(255)), '007fff');
      assert.equal(enc((e) => e.word16(0).word16(0x1234).word16(65535)), '00001234ffff');
      assert.equal(enc((e) => e.word32(0).word32(0x12345678).word32(4294967295)), '0000000012345678ffffffff');
      assert.deepEqual(dec('007fff', (d) => [d.u8(), d.u8(), d.u8()]), [0, 0x7f, 255]);
      assert.deepEqual(dec('00001234ffff', (d) => [d.word16(), d.word16(), d.word16()]), [0, 0x1234, 65535]);
      assert.deepEqual(dec('0000000012345678ffffffff80000000', (d) => [d.word32(), d.word32(), d.word32(), d.word32()]), [
        0, 0x12345678, 4294967295, 2147483648,
      ]);
    });

    it('refuses values that do not fit instead of truncating them', () => {
      for (const bad of [-1, 256, 1.5, NaN, Infinity]) expectEncodeError(() => new Encoder().u8(bad), 'invalid-value');
      for (const bad of [-1, 65536, 0.5, NaN]) expectEncodeError(() => new Encoder().word16(bad), 'invalid-value');
      for (const bad of [-1, 4294967296, 2.25, NaN, -Infinity]) expectEncodeError(() => new Encoder().word32(bad), 'invalid-value');
      for (const bad of [-1, 65536]) expectEncodeError(() => new Encoder().version(bad), 'invalid-value');
    });
  });

  describe('int64', () => {
    it('encodes the simplexmq int64 vector 1234567890123456789 via its hi/lo parts', () => {
      const v = vectorCase('encoding.json', 'int64');
      // The JSON number is above 2^53, so it arrived rounded: only the hex and the parts are exact.
      const parts: Int64Parts = { hi: 0x112210f4, lo: 0x7de98115 };
      assert.equal(BigInt(parts.hi) * 4294967296n + BigInt(parts.lo), 1234567890123456789n);
      assert.equal(enc((e) => e.int64Parts(parts)), v.encoded);
      assert.equal(v.encoded, '112210f47de98115');
      assert.deepEqual(dec(v.encoded, (d) => d.int64Parts()), parts);
      // As a plain number the value is out of the exact range: a typed error, not a rounded value.
      const err = expectDecodeError(() => new Decoder(hex(v.encoded)).int64(), 'invalid-value');
      assert.match(err.message, /int64 at byte 0/);
      expectEncodeError(() => new Encoder().int64(v.value as number), 'invalid-value');
    });

    it('encodes and decodes the system_time vector', () => {
      const v = vectorCase('encoding.json', 'system_time');
      assert.equal(v.seconds, Date.parse(v.value_iso) / 1000);
      assert.equal(enc((e) => e.systemTime(v.seconds)), v.encoded);
      assert.equal(dec(v.encoded, (d) => d.systemTime()), v.seconds);
      assert.equal(dec(v.encoded, (d) => d.int64()), v.seconds);
    });

    it('matches two\'s complement at the edges of the safe range', () => {
      const edges = [0, 1, -1, 255, -256, 4294967295, 4294967296, -4294967296, -4294967297, 2147483648, -2147483649, MAX_SAFE, -MAX_SAFE, MAX_SAFE - 1, -MAX_SAFE + 1];
      for (const n of edges) {
        const h = enc((e) => e.int64(n));
        assert.equal(h, refInt64(BigInt(n)), 'int64 ' + n);
        assert.equal(dec(h, (d) => d.int64()), n);
        const parts = dec(h, (d) => d.int64Parts());
        assert.deepEqual(parts, int64PartsFromNumber(n));
        assert.equal(BigInt(parts.hi) * 4294967296n + BigInt(parts.lo), BigInt(n));
      }
      assert.equal(enc((e) => e.int64(-1)), 'ffffffffffffffff');
    });

    it('refuses unsafe numbers on encode and unsafe values on decode', () => {
      for (const bad of [MAX_SAFE + 1, -MAX_SAFE - 1, 2 ** 63, 0.5, -0.5, NaN, Infinity, -Infinity]) {
        expectEncodeError(() => new Encoder().int64(bad), 'invalid-value');
        expectEncodeError(() => new Encoder().systemTime(bad), 'invalid-value');
      }
      // 2^53, -2^53, and the full-range extremes: readable as parts only.
      for (const big of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 1234567890123456789n]) {
        const h = refInt64(big);
        expectDecodeError(() => new Decoder(hex(h)).int64(), 'invalid-value');
        expectDecodeError(() => new Decoder(hex(h)).systemTime(), 'invalid-value');
        const p = dec(h, (d) => d.int64Parts());
        assert.equal(BigInt(p.hi) * 4294967296n + BigInt(p.lo), big);
        assert.equal(enc((e) => e.int64Parts(p)), h);
      }
    });

    it('agrees with BigInt on random values (parts and safe numbers)', () => {
      const rng = prng(0x1164);
      for (let i = 0; i < 3000; i++) {
        const bytes = randomBytes(rng, 8);
        const big = new DataView(bytes.buffer).getBigInt64(0, false);
        const p = dec(toHex(bytes), (d) => d.int64Parts());
        assert.ok(p.hi >= -2147483648 && p.hi <= 2147483647 && p.lo >= 0 && p.lo <= 4294967295);
        assert.equal(BigInt(p.hi) * 4294967296n + BigInt(p.lo), big);
        assert.equal(enc((e) => e.int64Parts(p)), toHex(bytes));
        // A random safe integer of random magnitude.
        const n = Math.floor((rng() * 2 - 1) * MAX_SAFE * rng() ** 3);
        assert.equal(enc((e) => e.int64(n)), refInt64(BigInt(n)));
        assert.equal(dec(refInt64(BigInt(n)), (d) => d.int64()), n);
      }
    });

    it('validates Int64Parts on encode', () => {
      for (const bad of [
        { hi: 2147483648, lo: 0 },
        { hi: -2147483649, lo: 0 },
        { hi: 0, lo: -1 },
        { hi: 0, lo: 4294967296 },
        { hi: 0.5, lo: 0 },
        { hi: 0, lo: NaN },
      ]) {
        expectEncodeError(() => new Encoder().int64Parts(bad), 'invalid-value');
      }
      assert.equal(enc((e) => e.int64Parts({ hi: -2147483648, lo: 0 })), '8000000000000000');
      assert.equal(enc((e) => e.int64Parts({ hi: 2147483647, lo: 4294967295 })), '7fffffffffffffff');
    });
  });

  describe('byte strings', () => {
    it('short: 1-byte length, 0..255 bytes, and refuses 256 instead of wrapping', () => {
      assert.equal(enc((e) => e.short(new Uint8Array(0))), '00');
      assert.equal(enc((e) => e.short(hex('abcd'))), '02abcd');
      const b255 = new Uint8Array(255).fill(7);
      const e255 = new Encoder().short(b255).finish();
      assert.equal(e255.length, 256);
      assert.equal(e255[0], 255);
      assert.deepEqual(decode(e255, (d) => d.short()), { ok: true, value: b255 });
      const err = expectEncodeError(() => new Encoder().short(new Uint8Array(256)), 'too-long');
      assert.match(err.message, /256/);
      assert.equal(toHex(dec('02abcd', (d) => d.short())), 'abcd');
    });

    it('large: word16 length, up to 65535 bytes', () => {
      assert.equal(enc((e) => e.large(hex('abcd'))), '0002abcd');
      const big = new Uint8Array(65535).fill(0x23);
      const out = new Encoder(4).large(big).finish();
      assert.equal(out.length, 65537);
      assert.deepEqual([out[0], out[1]], [0xff, 0xff]);
      const r = decode(out, (d) => d.large());
      assert.ok(r.ok && r.value.length === 65535 && r.value.every((x) => x === 0x23));
      expectEncodeError(() => new Encoder().large(new Uint8Array(65536)), 'too-long');
      assert.equal(toHex(dec('0000', (d) => d.large())), '');
    });

    it('tail: the rest of the frame; nothing may be written after it', () => {
      assert.equal(enc((e) => e.u8(1).tail(hex('0203'))), '010203');
      assert.deepEqual(dec('010203', (d) => [d.u8(), toHex(d.tail())]), [1, '0203']);
      assert.equal(dec('01', (d) => (d.u8(), toHex(d.tail()))), '');
      expectEncodeError(() => new Encoder().tail(hex('00')).u8(1), 'invalid-value');
    });

    it('raw and ASCII tags carry no length', () => {
      assert.equal(enc((e) => e.ascii('SUB').ascii(' ').raw(hex('0102'))), '535542200102');
      assert.equal(dec('535542200102', (d) => (d.expectAscii('SUB '), toHex(d.raw(2)))), '0102');
      assert.equal(dec('4e455720', (d) => d.ascii(4)), 'NEW ');
      expectEncodeError(() => new Encoder().ascii('caf\u00e9'), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('535542')).expectAscii('SUX'), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('5355')).expectAscii('SUB'), 'truncated');
      expectDecodeError(() => new Decoder(hex('41c3a9')).ascii(3), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('0102')).raw(3), 'truncated');
      expectDecodeError(() => new Decoder(hex('0102')).raw(-1), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('0102')).raw(0.5), 'invalid-value');
      assert.equal(dec('', (d) => toHex(d.raw(0))), '');
    });

    it('Text is short(UTF-8), decoded strictly', () => {
      assert.equal(enc((e) => e.text('h\u00e9')), '0368c3a9');
      assert.equal(dec('0368c3a9', (d) => d.text()), 'h\u00e9');
      expectDecodeError(() => new Decoder(hex('02c328')).text(), 'bad-utf8');
      expectDecodeError(() => new Decoder(hex('03c328')).text(), 'truncated');
      expectEncodeError(() => new Encoder().text('\u20ac'.repeat(86)), 'too-long'); // 258 bytes
    });
  });

  describe('tags and containers', () => {
    it("Bool is 'T'/'F' and nothing else", () => {
      assert.equal(enc((e) => e.bool(true).bool(false)), '5446');
      assert.deepEqual(dec('5446', (d) => [d.bool(), d.bool()]), [true, false]);
      for (const b of ['00', '01', '74', '66', '30']) expectDecodeError(() => new Decoder(hex(b)).bool(), 'invalid-value');
    });

    it("Maybe is '0' or '1' + value (ASCII digits, not 0x00/0x01)", () => {
      const w = (e: Encoder, v: number) => e.word16(v);
      assert.equal(enc((e) => e.maybe(null, w).maybe(undefined, w).maybe(0x0102, w)), '3030310102');
      assert.deepEqual(dec('3030310102', (d) => [d.maybe((x) => x.word16()), d.maybe((x) => x.word16()), d.maybe((x) => x.word16())]), [
        null, null, 0x0102,
      ]);
      for (const b of ['00', '01', '32', '4e']) expectDecodeError(() => new Decoder(hex(b)).maybe((x) => x.u8()), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('31')).maybe((x) => x.u8()), 'truncated');
    });

    it('list and NonEmpty carry a 1-byte count', () => {
      const w = (e: Encoder, v: Uint8Array) => e.short(v);
      assert.equal(enc((e) => e.list([], w)), '00');
      assert.equal(enc((e) => e.list([hex('aa'), hex('')], w)), '0201aa00');
      assert.equal(enc((e) => e.nonEmpty([hex('aa')], w)), '0101aa');
      assert.deepEqual(dec('0201aa00', (d) => d.list((x) => toHex(x.short()))), ['aa', '']);
      assert.deepEqual(dec('0101aa', (d) => d.nonEmpty((x) => toHex(x.short()))), ['aa']);
      assert.deepEqual(dec('00', (d) => d.list((x) => x.u8())), []);
      expectDecodeError(() => new Decoder(hex('00')).nonEmpty((x) => x.u8()), 'invalid-value');
      expectDecodeError(() => new Decoder(hex('')).nonEmpty((x) => x.u8()), 'truncated');
      expectDecodeError(() => new Decoder(hex('0301aa00')).list((x) => x.short()), 'truncated');
      expectEncodeError(() => new Encoder().nonEmpty([], w), 'invalid-value');
      const many = new Array<number>(256).fill(1);
      expectEncodeError(() => new Encoder().list(many, (e, v) => e.u8(v)), 'too-long');
      const max = new Encoder().list(many.slice(1), (e, v) => e.u8(v)).finish();
      assert.equal(max.length, 256);
      assert.equal(max[0], 255);
    });

    it('versions and version ranges; a range with min > max is refused both ways', () => {
      assert.equal(enc((e) => e.version(7)), '0007');
      assert.equal(enc((e) => e.versionRange({ min: 2, max: 7 })), '00020007');
      assert.equal(enc((e) => e.versionRange({ min: 4, max: 4 })), '00040004');
      assert.deepEqual(dec('00020007', (d) => d.versionRange()), { min: 2, max: 7 } satisfies VersionRange);
      assert.equal(dec('0012', (d) => d.version()), 18);
      expectEncodeError(() => new Encoder().versionRange({ min: 7, max: 2 }), 'invalid-value');
      expectEncodeError(() => new Encoder().versionRange({ min: -1, max: 2 }), 'invalid-value');
      const err = expectDecodeError(() => new Decoder(hex('00070002')).versionRange(), 'invalid-value');
      assert.match(err.message, /min 7 > max 2/);
    });
  });

  describe('Encoder buffer management', () => {
    it('grows from a 1-byte buffer and returns exactly the bytes written', () => {
      const rng = prng(7);
      const parts: Uint8Array[] = [];
      const e = new Encoder(1);
      for (let i = 0; i < 200; i++) {
        const b = randomBytes(rng, randomInt(rng, 300));
        parts.push(b);
        e.raw(b);
      }
      const expected = concatBytes(parts);
      assert.equal(e.length, expected.length);
      const out = e.finish();
      assert.ok(out instanceof Uint8Array);
      assert.equal(out.length, expected.length);
      assert.equal(out.buffer.byteLength, expected.length, 'no spare capacity kept alive');
      assert.deepEqual(out, expected);
    });

    it('accepts no writes after finish()', () => {
      const e = new Encoder();
      e.u8(1);
      assert.equal(toHex(e.finish()), '01');
      expectEncodeError(() => e.u8(2), 'invalid-value');
    });

    it('leaves the output unchanged by a rejected write', () => {
      const e = new Encoder().u8(1);
      expectEncodeError(() => e.ascii('ab\u0100'), 'invalid-value');
      expectEncodeError(() => e.short(new Uint8Array(300)), 'too-long');
      assert.equal(toHex(e.finish()), '01');
    });
  });

  describe('Decoder', () => {
    it('reports position, remaining and peek without reading past the end', () => {
      const d = new Decoder(hex('0102'));
      assert.equal(d.peek(), 1);
      assert.equal(d.u8(), 1);
      assert.equal(d.offset, 1);
      assert.equal(d.remaining, 1);
      assert.equal(d.u8(), 2);
      assert.equal(d.peek(), -1);
      const err = expectDecodeError(() => d.u8(), 'truncated');
      assert.match(err.message, /u8 at byte 2 needs 1 bytes, 0 left/);
      d.end();
    });

    it('returns byte strings as views that stay inside the input', () => {
      const input = hex('ff02abcdee');
      const sub = input.subarray(1, 4); // a Decoder over a view of a larger buffer
      const d = new Decoder(sub);
      const s = d.short();
      assert.equal(toHex(s), 'abcd');
      assert.equal(s.buffer, input.buffer);
      expectDecodeError(() => d.u8(), 'truncated'); // 0xee is outside the view
    });

    it('decode() wants all input consumed and returns a typed result', () => {
      assert.deepEqual(decode(hex('0001'), (d) => d.word16()), { ok: true, value: 1 });
      const r = decode(hex('000102'), (d) => d.word16());
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.ok(r.error instanceof DecodeError);
        assert.equal(r.error.code, 'trailing-bytes');
        assert.match(r.error.message, /1 unexpected bytes .* at byte 2/);
      }
      const t = decode(hex('00'), (d) => d.word16());
      assert.ok(!t.ok && t.error.code === 'truncated');
      // Anything other than a DecodeError is a bug in the callback and must not be swallowed.
      assert.throws(() => decode(hex('00'), () => { throw new TypeError('bug'); }), TypeError);
    });
  });

  describe('hostile input', () => {
    // A record in the style of the agent structures: every field kind except tail.
    interface Sample {
      vr: VersionRange;
      hosts: Uint8Array[];
      port: Uint8Array;
      data: Uint8Array | null;
      flag: boolean;
      ts: number;
      big: Int64Parts;
      name: string;
      ids: number[];
    }
    const writeSample = (e: Encoder, s: Sample) =>
      e
        .versionRange(s.vr)
        .nonEmpty(s.hosts, (x, h) => x.short(h))
        .short(s.port)
        .maybe(s.data, (x, v) => x.large(v))
        .bool(s.flag)
        .systemTime(s.ts)
        .int64Parts(s.big)
        .text(s.name)
        .list(s.ids, (x, v) => x.word32(v))
        .ascii('OK');
    const readSample = (d: Decoder): Sample => {
      const vr = d.versionRange();
      const hosts = d.nonEmpty((x) => x.short());
      const port = d.short();
      const data = d.maybe((x) => x.large());
      const flag = d.bool();
      const ts = d.systemTime();
      const big = d.int64Parts();
      const name = d.text();
      const ids = d.list((x) => x.word32());
      d.expectAscii('OK');
      return { vr, hosts, port, data, flag, ts, big, name, ids };
    };
    const sample: Sample = {
      vr: { min: 1, max: 4 },
      hosts: [new TextEncoder().encode('smp.simplex.im'), new TextEncoder().encode('abc.onion')],
      port: new TextEncoder().encode('5223'),
      data: hex('00ff00ff'),
      flag: true,
      ts: 1641032645,
      big: { hi: 0x112210f4, lo: 0x7de98115 },
      name: 'Zo\u00eb \ud83d\ude00',
      ids: [0, 1, 4294967295],
    };

    it('round-trips a record with every field kind', () => {
      const bytes = writeSample(new Encoder(), sample).finish();
      const r = decode(bytes, readSample);
      assert.ok(r.ok);
      assert.deepEqual(r.value, sample);
    });

    it('rejects every strict prefix with a truncated DecodeError, and any extra byte', () => {
      const bytes = writeSample(new Encoder(), sample).finish();
      for (let n = 0; n < bytes.length; n++) {
        const r = decode(bytes.subarray(0, n), readSample);
        assert.ok(!r.ok, 'prefix of ' + n + ' bytes decoded');
        assert.ok(r.error instanceof DecodeError);
        assert.equal(r.error.code, 'truncated', 'prefix ' + n + ': ' + r.error.message);
      }
      const longer = concatBytes([bytes, hex('00')]);
      const r = decode(longer, readSample);
      assert.ok(!r.ok && r.error.code === 'trailing-bytes');
    });

    it('survives random garbage and random corruption with nothing but DecodeErrors', () => {
      const rng = prng(0xdecade);
      const valid = writeSample(new Encoder(), sample).finish();
      let rejected = 0;
      for (let i = 0; i < 3000; i++) {
        let input: Uint8Array;
        if (i % 2 === 0) {
          input = randomBytes(rng, randomInt(rng, 80));
        } else {
          input = new Uint8Array(valid);
          const flips = 1 + randomInt(rng, 3);
          for (let k = 0; k < flips; k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
          if (rng() < 0.3) input = input.subarray(0, randomInt(rng, input.length + 1));
        }
        const r = decode(input, readSample);
        if (!r.ok) {
          assert.ok(r.error instanceof DecodeError);
          rejected++;
        }
        // Each primitive reader on its own, from every starting point.
        const start = randomInt(rng, input.length + 1);
        const d = new Decoder(input.subarray(start));
        const readers: Array<(d: Decoder) => unknown> = [
          (x) => x.u8(), (x) => x.word16(), (x) => x.word32(), (x) => x.int64(), (x) => x.int64Parts(),
          (x) => x.short(), (x) => x.large(), (x) => x.tail(), (x) => x.raw(5), (x) => x.ascii(3),
          (x) => x.expectAscii('T'), (x) => x.text(), (x) => x.bool(), (x) => x.maybe((y) => y.u8()),
          (x) => x.list((y) => y.short()), (x) => x.nonEmpty((y) => y.word16()), (x) => x.version(),
          (x) => x.versionRange(), (x) => x.systemTime(), (x) => x.end(),
        ];
        onlyDecodeErrors(() => readers[randomInt(rng, readers.length)](d), 'primitive reader');
        assert.ok(d.offset <= input.length - start, 'read past the end');
      }
      assert.ok(rejected > 1500, 'the fuzz input should mostly be rejected (' + rejected + ')');
    });
  });
});
