import assert from 'node:assert/strict';
import { toHex } from '../../../firmware/encoding/bytes';
import {
  DerError,
  DerReader,
  TAG_BIT_STRING,
  TAG_BMP_STRING,
  TAG_GENERALIZED_TIME,
  TAG_IA5_STRING,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_PRINTABLE_STRING,
  TAG_SEQUENCE,
  TAG_T61_STRING,
  TAG_UTC_TIME,
  TAG_UTF8_STRING,
  civilFromDays,
  contextTag,
  daysFromCivil,
  decodeBitStringBytes,
  decodeBoolean,
  decodeInteger,
  decodeNamedBits,
  decodeNull,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  derBitString,
  derBoolean,
  derEncode,
  derExplicit,
  derGeneralizedTime,
  derImplicit,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtcTime,
  derUtf8String,
  readSingle,
  readerOf,
  type DerElement,
} from '../../../firmware/x509/der';
import { expectError, hex, onlyTypedErrors, prng, randomBytes } from './helpers';

/** The single element that `h` encodes. */
function el(h: string): DerElement {
  const bytes = hex(h);
  return readSingle(bytes, bytes[0], 'test element');
}

describe('x509/der reader', () => {
  it('reads nested elements as views with tag, raw and content', () => {
    const input = hex('3008 0201 05 0403 aabbcc');
    const seq = readSingle(input, TAG_SEQUENCE, 'seq');
    assert.equal(seq.tag, 0x30);
    assert.equal(toHex(seq.raw), '30080201050403aabbcc');
    assert.equal(seq.content.buffer, input.buffer, 'a view, not a copy');
    const r = readerOf(seq, 'seq');
    assert.equal(r.peekTag(), TAG_INTEGER);
    assert.equal(decodeSmallInteger(r.read(TAG_INTEGER, 'n'), 'n'), 5);
    assert.equal(r.readOptional(TAG_INTEGER, 'absent'), null);
    assert.equal(toHex(decodeOctetString(r.read(TAG_OCTET_STRING, 'o'), 'o')), 'aabbcc');
    assert.equal(r.hasMore(), false);
    assert.equal(r.peekTag(), -1);
    r.finish();
  });

  it('accepts minimal long-form lengths (1 to 3 length bytes)', () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70000]) {
      const encoded = derOctetString(new Uint8Array(n).fill(7));
      const header = n < 128 ? [0x04, n] : n < 256 ? [0x04, 0x81, n] : n < 65536 ? [0x04, 0x82, n >> 8, n & 255] : [0x04, 0x83, n >> 16, (n >> 8) & 255, n & 255];
      assert.deepEqual(Array.from(encoded.subarray(0, header.length)), header, 'header for ' + n);
      assert.equal(encoded.length, header.length + n);
      const back = readSingle(encoded, TAG_OCTET_STRING, 'big');
      assert.equal(back.content.length, n);
    }
  });

  it('rejects indefinite, non-minimal, oversized and truncated lengths', () => {
    expectError(() => readSingle(hex('3080 0000'), TAG_SEQUENCE, 'x'), DerError, 'bad-length'); // BER indefinite
    expectError(() => readSingle(hex('04817f' + '00'.repeat(127)), TAG_OCTET_STRING, 'x'), DerError, 'bad-length'); // fits short form
    expectError(() => readSingle(hex('048105' + '00'.repeat(5)), TAG_OCTET_STRING, 'x'), DerError, 'bad-length');
    expectError(() => readSingle(hex('04820080' + '00'.repeat(128)), TAG_OCTET_STRING, 'x'), DerError, 'bad-length'); // leading zero
    expectError(() => readSingle(hex('0485' + '0000000001' + '00'), TAG_OCTET_STRING, 'x'), DerError, 'bad-length'); // 5 length bytes
    expectError(() => readSingle(hex('04ff'), TAG_OCTET_STRING, 'x'), DerError, 'bad-length'); // reserved 0xff form
    expectError(() => readSingle(hex('0484ffffffff'), TAG_OCTET_STRING, 'x'), DerError, 'bad-length'); // above 2^31-1
    expectError(() => readSingle(hex('0403aabb'), TAG_OCTET_STRING, 'x'), DerError, 'truncated');
    expectError(() => readSingle(hex('0482'), TAG_OCTET_STRING, 'x'), DerError, 'truncated');
    expectError(() => readSingle(hex('048201'), TAG_OCTET_STRING, 'x'), DerError, 'truncated');
    expectError(() => readSingle(hex('04'), TAG_OCTET_STRING, 'x'), DerError, 'truncated');
    expectError(() => readSingle(new Uint8Array(0), TAG_OCTET_STRING, 'x'), DerError, 'truncated');
  });

  it('rejects trailing bytes, wrong tags and multi-byte tags', () => {
    expectError(() => readSingle(hex('0400 00'), TAG_OCTET_STRING, 'x'), DerError, 'trailing-data');
    expectError(() => readSingle(hex('0400'), TAG_SEQUENCE, 'x'), DerError, 'unexpected-tag');
    expectError(() => readSingle(hex('1f2100'), 0x1f, 'x'), DerError, 'unexpected-tag');
    const r = readerOf(el('3003 020101'), 'seq');
    expectError(() => r.read(TAG_OCTET_STRING, 'o'), DerError, 'unexpected-tag');
    r.read(TAG_INTEGER, 'i');
    expectError(() => r.read(TAG_INTEGER, 'missing'), DerError, 'truncated');
    const partial = new DerReader(hex('020101 05'), 'partial');
    partial.read(TAG_INTEGER, 'i');
    expectError(() => partial.finish(), DerError, 'trailing-data');
    expectError(() => readerOf(el('0400'), 'primitive'), DerError, 'unexpected-tag');
  });

  it('decodes INTEGERs only in minimal two\'s complement', () => {
    assert.equal(toHex(decodeInteger(el('020100'), 'i')), '00');
    assert.equal(toHex(decodeInteger(el('02020080'), 'i')), '0080');
    assert.equal(toHex(decodeInteger(el('0201ff'), 'i')), 'ff');
    assert.equal(toHex(decodeInteger(el('0202ff7f'), 'i')), 'ff7f');
    expectError(() => decodeInteger(el('0200'), 'i'), DerError, 'bad-value');
    expectError(() => decodeInteger(el('0202007f'), 'i'), DerError, 'bad-value');
    expectError(() => decodeInteger(el('0202ff80'), 'i'), DerError, 'bad-value');
    expectError(() => decodeInteger(el('0400'), 'i'), DerError, 'unexpected-tag');
    assert.equal(decodeSmallInteger(el('020100'), 'n'), 0);
    assert.equal(decodeSmallInteger(el('02020080'), 'n'), 128);
    assert.equal(decodeSmallInteger(el('02047fffffff'), 'n'), 0x7fffffff);
    expectError(() => decodeSmallInteger(el('02050080000000'), 'n'), DerError, 'bad-value');
    expectError(() => decodeSmallInteger(el('0201ff'), 'n'), DerError, 'bad-value');
  });

  it('decodes BOOLEAN (00/FF only) and NULL', () => {
    assert.equal(decodeBoolean(el('0101ff'), 'b'), true);
    assert.equal(decodeBoolean(el('010100'), 'b'), false);
    expectError(() => decodeBoolean(el('010101'), 'b'), DerError, 'bad-value');
    expectError(() => decodeBoolean(el('0102ffff'), 'b'), DerError, 'bad-value');
    expectError(() => decodeBoolean(el('0100'), 'b'), DerError, 'bad-value');
    decodeNull(el('0500'), 'n');
    expectError(() => decodeNull(el('050100'), 'n'), DerError, 'bad-value');
  });

  it('decodes OBJECT IDENTIFIERs strictly', () => {
    assert.equal(decodeOid(el('06032b6570'), 'o'), '1.3.101.112');
    assert.equal(decodeOid(el('0603551d13'), 'o'), '2.5.29.19');
    assert.equal(decodeOid(el('06082b06010505070301'), 'o'), '1.3.6.1.5.5.7.3.1');
    assert.equal(decodeOid(el('06092a864886f70d01010b'), 'o'), '1.2.840.113549.1.1.11');
    assert.equal(decodeOid(el('06028837'), 'o'), '2.999');
    assert.equal(decodeOid(el('060127'), 'o'), '0.39');
    expectError(() => decodeOid(el('0600'), 'o'), DerError, 'bad-value');
    expectError(() => decodeOid(el('0603808101'), 'o'), DerError, 'bad-value'); // leading 0x80 in first arc
    expectError(() => decodeOid(el('06032b8001'), 'o'), DerError, 'bad-value'); // leading 0x80 in later arc
    expectError(() => decodeOid(el('06022b81'), 'o'), DerError, 'bad-value'); // ends inside an arc
    expectError(() => decodeOid(el('060a2affffffffffffffff7f'), 'o'), DerError, 'bad-value');
  });

  it('decodes BIT STRINGs: whole bytes, and named bits with DER trailing-bit rules', () => {
    assert.equal(toHex(decodeBitStringBytes(el('030100'), 'b')), '');
    assert.equal(toHex(decodeBitStringBytes(el('030300abcd'), 'b')), 'abcd');
    expectError(() => decodeBitStringBytes(el('0300'), 'b'), DerError, 'bad-value');
    expectError(() => decodeBitStringBytes(el('030201c8'), 'b'), DerError, 'bad-value');
    // keyUsage digitalSignature, nonRepudiation, keyAgreement = bits 0, 1, 4 (the reference server's).
    assert.equal(decodeNamedBits(el('030203c8'), 'ku'), 0b10011);
    assert.equal(decodeNamedBits(el('03020106'), 'ku'), (1 << 5) | (1 << 6)); // keyCertSign, cRLSign
    assert.equal(decodeNamedBits(el('0303078080'), 'ku'), (1 << 0) | (1 << 8));
    assert.equal(decodeNamedBits(el('030100'), 'ku'), 0);
    expectError(() => decodeNamedBits(el('030203c9'), 'ku'), DerError, 'bad-value'); // padding bit set
    expectError(() => decodeNamedBits(el('030202c8'), 'ku'), DerError, 'bad-value'); // trailing zero bit kept
    expectError(() => decodeNamedBits(el('030108'), 'ku'), DerError, 'bad-value'); // unused bits without bytes
    expectError(() => decodeNamedBits(el('030208ff'), 'ku'), DerError, 'bad-value'); // unused > 7
    expectError(() => decodeNamedBits(el('030600ffffffff01'), 'ku'), DerError, 'bad-value'); // > 32 bits
  });

  it('decodes UTCTime and GeneralizedTime to epoch milliseconds', () => {
    assert.equal(decodeTime(el('170d3231313232333136303130325a'), 't'), Date.UTC(2021, 11, 23, 16, 1, 2));
    assert.equal(decodeTime(el('180f34373539313131393136303130325a'), 't'), Date.UTC(4759, 10, 19, 16, 1, 2));
    const utc = (s: string) => decodeTime(readSingle(derEncode(TAG_UTC_TIME, new TextEncoder().encode(s)), TAG_UTC_TIME, 't'), 't');
    const gen = (s: string) => decodeTime(readSingle(derEncode(TAG_GENERALIZED_TIME, new TextEncoder().encode(s)), TAG_GENERALIZED_TIME, 't'), 't');
    assert.equal(utc('500101000000Z'), Date.UTC(1950, 0, 1));
    assert.equal(utc('491231235959Z'), Date.UTC(2049, 11, 31, 23, 59, 59));
    assert.equal(utc('000229000000Z'), Date.UTC(2000, 1, 29));
    assert.equal(gen('20240229120000Z'), Date.UTC(2024, 1, 29, 12));
    assert.equal(gen('19691231235959Z'), -1000);
    for (const bad of ['230229000000Z', '231301000000Z', '230132000000Z', '230101240000Z', '230101006000Z', '230101000060Z', '2301010000Z', '230101000000', '23010100000aZ', '230101000000+0100', '230100000000Z']) {
      expectError(() => utc(bad), DerError, 'bad-value');
    }
    for (const bad of ['21000229000000Z', '20240101000000.5Z', '2024010100000Z', '20240101000000z', '202401010000000']) {
      expectError(() => gen(bad), DerError, 'bad-value');
    }
    expectError(() => decodeTime(el('0400'), 't'), DerError, 'unexpected-tag');
  });

  it('agrees with Date.UTC on the calendar for 20000 random days across years 1..9999', () => {
    const next = prng(0x5eed);
    const min = daysFromCivil(1, 1, 1);
    const max = daysFromCivil(9999, 12, 31);
    assert.equal(daysFromCivil(1970, 1, 1), 0);
    for (let i = 0; i < 20000; i++) {
      const day = min + (next() % (max - min + 1));
      const [y, m, d] = civilFromDays(day);
      const date = new Date(day * 86400000);
      assert.deepEqual([y, m, d], [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()], 'day ' + day);
      assert.equal(daysFromCivil(y, m, d), day);
    }
  });

  it('decodes the directory string types', () => {
    assert.equal(decodeString(readSingle(derUtf8String('héllo € 𝄞'), TAG_UTF8_STRING, 's'), 's'), 'héllo € 𝄞');
    assert.equal(decodeString(el('130b534d50207365727665722e'), 's'), 'SMP server.');
    assert.equal(decodeString(el('160461406221'), 's'), 'a@b!');
    assert.equal(decodeString(el('1402e9e8'), 's'), 'éè');
    assert.equal(decodeString(el('1e0400410042'), 's'), 'AB');
    expectError(() => decodeString(el('0c02c328'), 's'), DerError, 'bad-value'); // invalid UTF-8
    expectError(() => decodeString(el('0c02c0af'), 's'), DerError, 'bad-value'); // overlong
    expectError(() => decodeString(el('130140'), 's'), DerError, 'bad-value'); // '@' not printable
    expectError(() => decodeString(el('160180'), 's'), DerError, 'bad-value'); // IA5 is 7-bit
    expectError(() => decodeString(el('1e03004100'), 's'), DerError, 'bad-value'); // odd BMP
    expectError(() => decodeString(el('1e02d800'), 's'), DerError, 'bad-value'); // surrogate
    expectError(() => decodeString(el('020101'), 's'), DerError, 'unexpected-tag');
  });
});

describe('x509/der writer', () => {
  it('encodes the primitive types byte for byte', () => {
    assert.equal(toHex(derSmallInteger(0)), '020100');
    assert.equal(toHex(derSmallInteger(2)), '020102');
    assert.equal(toHex(derSmallInteger(128)), '02020080');
    assert.equal(toHex(derSmallInteger(256)), '02020100');
    assert.equal(toHex(derSmallInteger(0x7fffffff)), '02047fffffff');
    expectError(() => derSmallInteger(-1), DerError, 'bad-value');
    expectError(() => derSmallInteger(1.5), DerError, 'bad-value');
    assert.equal(toHex(derUnsignedInteger(hex('80'))), '02020080');
    assert.equal(toHex(derUnsignedInteger(hex('000001'))), '020101');
    assert.equal(toHex(derUnsignedInteger(hex('0000'))), '020100');
    assert.equal(toHex(derUnsignedInteger(new Uint8Array(0))), '020100');
    assert.equal(toHex(derUnsignedInteger(hex('7fff'))), '02027fff');
    assert.equal(toHex(derBoolean(true)), '0101ff');
    assert.equal(toHex(derBoolean(false)), '010100');
    assert.equal(toHex(derNull()), '0500');
    assert.equal(toHex(derOid('1.3.101.112')), '06032b6570');
    assert.equal(toHex(derOid('1.3.101.113')), '06032b6571');
    assert.equal(toHex(derOid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
    assert.equal(toHex(derOid('2.999')), '06028837');
    assert.equal(toHex(derBitString(hex('abcd'))), '030300abcd');
    assert.equal(toHex(derNamedBits(0b10011)), '030203c8');
    assert.equal(toHex(derNamedBits((1 << 5) | (1 << 6))), '03020106');
    assert.equal(toHex(derNamedBits(1 | (1 << 8))), '0303078080');
    assert.equal(toHex(derNamedBits(0)), '030100');
    assert.equal(toHex(derOctetString(hex('0102'))), '04020102');
    assert.equal(toHex(derUtf8String('SimpleX')), '0c0753696d706c6558');
    assert.equal(toHex(derPrintableString('CA 1')), '130443412031');
    expectError(() => derPrintableString('a@b'), DerError, 'bad-value');
    assert.equal(toHex(derExplicit(0, derSmallInteger(2))), 'a003020102');
    assert.equal(toHex(derImplicit(0, hex('aa'))), '8001aa');
    assert.equal(contextTag(3, true), 0xa3);
    expectError(() => contextTag(31, false), DerError, 'bad-value');
    assert.equal(toHex(derSequence([])), '3000');
  });

  it('round-trips OIDs, including arcs up to 2^53 - 1', () => {
    for (const oid of ['0.0', '0.39', '1.0', '1.39', '2.0', '2.5.4.3', '2.25.9007199254740991', '1.2.840.113549.1.1.11', '2.999.3']) {
      assert.equal(decodeOid(readSingle(derOid(oid), TAG_OID, 'o'), 'o'), oid);
    }
    for (const bad of ['', '1', '3.1', '0.40', '1.40', '1..2', '1.2.', '1.02', '1.a', '2.25.9007199254740992', '2.25.99999999999999999']) {
      expectError(() => derOid(bad), DerError, 'bad-value');
    }
    expectError(() => decodeOid(readSingle(hex('060a' + '2a' + '90808080808080807f'), TAG_OID, 'o'), 'o'), DerError, 'bad-value'); // arc of 2^63
  });

  it('writes times with the RFC 5280 UTCTime/GeneralizedTime split and round-trips them', () => {
    assert.equal(toHex(derTime(Date.UTC(2021, 11, 23, 16, 1, 2))), '170d3231313232333136303130325a');
    assert.equal(toHex(derTime(Date.UTC(4759, 10, 19, 16, 1, 2))), '180f34373539313131393136303130325a');
    assert.equal(derTime(Date.UTC(2049, 11, 31, 23, 59, 59))[0], TAG_UTC_TIME);
    assert.equal(derTime(Date.UTC(2050, 0, 1))[0], TAG_GENERALIZED_TIME);
    assert.equal(derTime(Date.UTC(1949, 11, 31))[0], TAG_GENERALIZED_TIME);
    assert.equal(toHex(derTime(Date.UTC(2021, 0, 1) + 999)), toHex(derTime(Date.UTC(2021, 0, 1))), 'milliseconds are truncated');
    expectError(() => derUtcTime(Date.UTC(2050, 0, 1)), DerError, 'bad-value');
    expectError(() => derGeneralizedTime(Date.UTC(10000, 0, 1)), DerError, 'bad-value');
    expectError(() => derTime(NaN), DerError, 'bad-value');
    expectError(() => derTime(Infinity), DerError, 'bad-value');
    const next = prng(77);
    for (let i = 0; i < 2000; i++) {
      const seconds = (next() * 65536 + (next() & 0xffff)) % 253402300800; // 1970 .. 9999
      const encoded = derTime(seconds * 1000);
      assert.equal(decodeTime(readSingle(encoded, encoded[0], 't'), 't'), seconds * 1000);
    }
  });

  it('sorts SET OF members by their encodings', () => {
    const a = derOctetString(hex('02'));
    const b = derOctetString(hex('01'));
    const c = derSmallInteger(5);
    assert.equal(toHex(derSetOf([a, b, c])), '3109' + '020105' + '040101' + '040102');
  });

  it('reads back everything it writes inside a structure', () => {
    const encoded = derSequence([
      derSmallInteger(7),
      derOid('2.5.29.37'),
      derBitString(hex('00ff')),
      derNamedBits(19),
      derBoolean(true),
      derExplicit(3, derSequence([derUtf8String('ünïcode')])),
      derImplicit(0, hex('1234')),
      derTime(Date.UTC(2026, 1, 2, 9, 11, 35)),
    ]);
    const r = readerOf(readSingle(encoded, TAG_SEQUENCE, 's'), 's');
    assert.equal(decodeSmallInteger(r.read(TAG_INTEGER, 'a'), 'a'), 7);
    assert.equal(decodeOid(r.read(TAG_OID, 'b'), 'b'), '2.5.29.37');
    assert.equal(toHex(decodeBitStringBytes(r.read(TAG_BIT_STRING, 'c'), 'c')), '00ff');
    assert.equal(decodeNamedBits(r.read(TAG_BIT_STRING, 'd'), 'd'), 19);
    assert.equal(decodeBoolean(r.readAny('e'), 'e'), true);
    const inner = readerOf(r.read(contextTag(3, true), 'f'), 'f');
    const str = readerOf(inner.read(TAG_SEQUENCE, 'g'), 'g');
    assert.equal(decodeString(str.readAny('h'), 'h'), 'ünïcode');
    assert.equal(toHex(r.read(contextTag(0, false), 'i').content), '1234');
    assert.equal(decodeTime(r.readAny('j'), 'j'), Date.UTC(2026, 1, 2, 9, 11, 35));
    r.finish();
  });
});

/** Walks any DER tree and decodes every element by its tag: what a parser does with hostile input. */
function walk(bytes: Uint8Array, depth: number): void {
  const r = new DerReader(bytes, 'fuzz');
  while (r.hasMore()) {
    const e = r.readAny('element');
    if (depth < 8 && (e.tag & 0x20) !== 0) walk(e.content, depth + 1);
    switch (e.tag) {
      case TAG_INTEGER:
        decodeInteger(e, 'i');
        if (e.content.length <= 5) onlyTypedErrors(() => decodeSmallInteger(e, 'i'), 'small integer');
        break;
      case 0x01:
        decodeBoolean(e, 'b');
        break;
      case 0x05:
        decodeNull(e, 'n');
        break;
      case TAG_OID:
        decodeOid(e, 'o');
        break;
      case TAG_BIT_STRING:
        onlyTypedErrors(() => decodeNamedBits(e, 'k'), 'named bits');
        decodeBitStringBytes(e, 'b');
        break;
      case TAG_UTC_TIME:
      case TAG_GENERALIZED_TIME:
        decodeTime(e, 't');
        break;
      case TAG_UTF8_STRING:
      case TAG_PRINTABLE_STRING:
      case TAG_IA5_STRING:
      case TAG_T61_STRING:
      case TAG_BMP_STRING:
        decodeString(e, 's');
        break;
    }
  }
}

describe('x509/der robustness', () => {
  it('meets 5000 random inputs with DerError only', () => {
    const next = prng(0xde7);
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      const input = randomBytes(next, next() % 64);
      // Bias toward structure: often start with a SEQUENCE header of a plausible length.
      if (i % 2 === 0 && input.length > 2) {
        input[0] = 0x30;
        input[1] = input.length - 2 - (next() % 3);
      }
      if (onlyTypedErrors(() => walk(input, 0), 'walk ' + toHex(input))) parsed++;
    }
    assert.ok(parsed > 0 && parsed < 5000, 'some inputs parse and some fail (' + parsed + ')');
  });

  it('throws DerError for every truncation of a nested structure', () => {
    const encoded = derSequence([derSmallInteger(300), derSequence([derOid('1.3.101.112'), derUtf8String('x'.repeat(200))]), derBitString(new Uint8Array(70))]);
    walk(encoded, 0);
    for (let n = 0; n < encoded.length; n++) {
      assert.equal(onlyTypedErrors(() => readSingle(encoded.subarray(0, n), TAG_SEQUENCE, 'cut'), 'cut ' + n), false, 'prefix of ' + n + ' bytes must fail');
    }
  });
});
