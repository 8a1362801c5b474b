import { SimpleGoError } from '../../hal/errors';
import { concatBytes } from '../encoding/bytes';
import { utf8Decode, utf8Encode } from '../encoding/utf8';

/**
 * A strict reader and a small writer for ASN.1 DER (ITU-T X.690 §10), enough for X.509
 * certificates and the SMP server's signed session key (smp.md §3.4, §4.1).
 *
 * Strict means the reader accepts exactly one encoding of every value: definite lengths in
 * their shortest form, minimal INTEGERs and OID arcs, BOOLEAN as 00/FF, BIT STRINGs with zero
 * padding bits, times as `...Z` without fractions, and no bytes after the last element.
 * Certificates are signed over their DER bytes and pinned by the hash of those bytes, so a
 * lenient parser would let two different byte strings mean "the same" certificate; strictness
 * closes that gap and keeps every input that is not canonical out of the code behind it.
 *
 * Everything malformed raises DerError; nothing else escapes (no RangeError, no TypeError).
 * Only single-byte tags (tag numbers 0..30) exist in X.509, so high tag numbers are refused.
 */

export type DerErrorCode =
  | 'truncated' // the input ends inside an element
  | 'bad-length' // an indefinite, non-minimal or oversized length
  | 'unexpected-tag' // an element other than the one the structure requires here
  | 'trailing-data' // bytes after the last element of a structure
  | 'bad-value'; // contents that break the DER rules for their type

export class DerError extends SimpleGoError {
  constructor(code: DerErrorCode, message: string) {
    super(code, message);
    this.name = 'DerError';
  }
}

// Universal tags as they appear in the identifier octet (constructed bit included where DER requires it).
export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_NUMERIC_STRING = 0x12;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_T61_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_VISIBLE_STRING = 0x1a;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** The identifier octet of a context-specific tag [n]; `constructed` for EXPLICIT tags and constructed types. */
export function contextTag(n: number, constructed: boolean): number {
  if (n < 0 || n > 30 || n !== Math.floor(n)) throw new DerError('bad-value', 'context tag number ' + n + ' is outside 0..30');
  return (constructed ? 0xa0 : 0x80) | n;
}

/** Lengths above this are refused: nothing SimpleGo parses comes close, and it keeps arithmetic exact. */
const MAX_LENGTH = 0x7fffffff;

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/** One element. `raw` and `content` are views into the reader's input, not copies. */
export interface DerElement {
  /** The identifier octet. */
  readonly tag: number;
  /** The whole element: identifier, length and contents (the bytes a signature covers). */
  readonly raw: Uint8Array;
  /** The contents only. */
  readonly content: Uint8Array;
}

/**
 * Reads consecutive elements from a byte string. `what` arguments name the field being read;
 * they only go into error messages, so a failure says which part of which structure was wrong.
 */
export class DerReader {
  private readonly input: Uint8Array;
  private pos: number;
  private readonly context: string;

  constructor(input: Uint8Array, context: string) {
    this.input = input;
    this.pos = 0;
    this.context = context;
  }

  /** True while elements remain. */
  hasMore(): boolean {
    return this.pos < this.input.length;
  }

  /** The identifier octet of the next element, or -1 at the end. */
  peekTag(): number {
    return this.pos < this.input.length ? this.input[this.pos] : -1;
  }

  /** Reads the next element, whatever its tag. */
  readAny(what: string): DerElement {
    const input = this.input;
    const start = this.pos;
    const available = input.length - start;
    if (available < 2) throw new DerError('truncated', this.context + ': ' + what + ' is missing or truncated');
    const tag = input[start];
    if ((tag & 0x1f) === 0x1f) {
      throw new DerError('unexpected-tag', this.context + ': ' + what + ' uses a multi-byte tag, which X.509 never needs');
    }
    let length = input[start + 1];
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0) throw new DerError('bad-length', this.context + ': ' + what + ' has an indefinite length (BER, not DER)');
      if (count > 4) throw new DerError('bad-length', this.context + ': ' + what + ' has a ' + count + '-byte length field');
      if (available < 2 + count) throw new DerError('truncated', this.context + ': ' + what + ' length field is truncated');
      if (input[start + 2] === 0) throw new DerError('bad-length', this.context + ': ' + what + ' length has a leading zero byte');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + input[start + 2 + i];
      if (length < 0x80) throw new DerError('bad-length', this.context + ': ' + what + ' uses the long length form for ' + length + ' bytes');
      if (length > MAX_LENGTH) throw new DerError('bad-length', this.context + ': ' + what + ' is too long');
      header = 2 + count;
    }
    if (length > available - header) {
      throw new DerError('truncated', this.context + ': ' + what + ' claims ' + length + ' bytes but only ' + (available - header) + ' remain');
    }
    const end = start + header + length;
    this.pos = end;
    return { tag, raw: input.subarray(start, end), content: input.subarray(start + header, end) };
  }

  /** Reads the next element and requires its identifier octet to be `tag`. */
  read(tag: number, what: string): DerElement {
    const next = this.peekTag();
    if (next < 0) throw new DerError('truncated', this.context + ': ' + what + ' is missing');
    if (next !== tag) throw new DerError('unexpected-tag', this.context + ': ' + what + ' should have tag ' + hexByte(tag) + ', found ' + hexByte(next));
    return this.readAny(what);
  }

  /** Reads the next element only if it carries `tag` (OPTIONAL and DEFAULT fields); null otherwise. */
  readOptional(tag: number, what: string): DerElement | null {
    return this.peekTag() === tag ? this.readAny(what) : null;
  }

  /** Requires that the structure has been read completely. */
  finish(): void {
    if (this.pos !== this.input.length) {
      throw new DerError('trailing-data', this.context + ': ' + (this.input.length - this.pos) + ' unexpected bytes after the last element');
    }
  }
}

/** Reads the single element that makes up `input` (nothing before or after it) and requires its tag. */
export function readSingle(input: Uint8Array, tag: number, what: string): DerElement {
  const reader = new DerReader(input, what);
  const element = reader.read(tag, what);
  reader.finish();
  return element;
}

/** A reader over the contents of a constructed element (SEQUENCE, SET, EXPLICIT tag). */
export function readerOf(element: DerElement, what: string): DerReader {
  if ((element.tag & 0x20) === 0) throw new DerError('unexpected-tag', what + ' must be a constructed element');
  return new DerReader(element.content, what);
}

// ---------------------------------------------------------------------------------------------
// Content decoders
// ---------------------------------------------------------------------------------------------

function requireTag(element: DerElement, tag: number, what: string): void {
  if (element.tag !== tag) throw new DerError('unexpected-tag', what + ' should have tag ' + hexByte(tag) + ', found ' + hexByte(element.tag));
}

/** INTEGER contents (two's complement, big-endian), checked to be minimal. A view, not a copy. */
export function decodeInteger(element: DerElement, what: string): Uint8Array {
  requireTag(element, TAG_INTEGER, what);
  const c = element.content;
  if (c.length === 0) throw new DerError('bad-value', what + ': an INTEGER needs at least one byte');
  if (c.length > 1 && ((c[0] === 0x00 && (c[1] & 0x80) === 0) || (c[0] === 0xff && (c[1] & 0x80) !== 0))) {
    throw new DerError('bad-value', what + ': INTEGER is not minimally encoded');
  }
  return c;
}

/** A non-negative INTEGER below 2^31 (versions, path lengths) as a number. */
export function decodeSmallInteger(element: DerElement, what: string): number {
  const c = decodeInteger(element, what);
  if (c[0] & 0x80) throw new DerError('bad-value', what + ' must not be negative');
  if (c.length > 5) throw new DerError('bad-value', what + ' is too large');
  let n = 0;
  for (let i = 0; i < c.length; i++) n = n * 256 + c[i];
  if (n > 0x7fffffff) throw new DerError('bad-value', what + ' is too large');
  return n;
}

/** BOOLEAN: DER allows only 00 (false) and FF (true). */
export function decodeBoolean(element: DerElement, what: string): boolean {
  requireTag(element, TAG_BOOLEAN, what);
  const c = element.content;
  if (c.length !== 1 || (c[0] !== 0x00 && c[0] !== 0xff)) throw new DerError('bad-value', what + ': BOOLEAN must be one byte, 00 or FF');
  return c[0] === 0xff;
}

export function decodeNull(element: DerElement, what: string): void {
  requireTag(element, TAG_NULL, what);
  if (element.content.length !== 0) throw new DerError('bad-value', what + ': NULL must be empty');
}

/** Largest arc value decoded exactly (2^53 - 1, written out: no Math.pow on the device). */
const MAX_ARC = 9007199254740991;

/**
 * OBJECT IDENTIFIER as a dotted string ("1.3.101.112"). Arcs must be minimally encoded and
 * end inside the contents; arcs beyond 2^53 cannot be represented exactly here and are refused.
 */
export function decodeOid(element: DerElement, what: string): string {
  requireTag(element, TAG_OID, what);
  const c = element.content;
  if (c.length === 0) throw new DerError('bad-value', what + ': an OBJECT IDENTIFIER needs at least one byte');
  let out = '';
  let value = 0;
  let first = true;
  let startOfArc = true;
  for (let i = 0; i < c.length; i++) {
    const b = c[i];
    if (startOfArc && b === 0x80) throw new DerError('bad-value', what + ': OBJECT IDENTIFIER arc has a leading 0x80 byte');
    if (value > (MAX_ARC - 127) / 128) throw new DerError('bad-value', what + ': OBJECT IDENTIFIER arc is too large');
    value = value * 128 + (b & 0x7f);
    startOfArc = (b & 0x80) === 0;
    if (!startOfArc) continue;
    if (first) {
      // The first subidentifier packs the first two arcs as 40 * X + Y (X.690 §8.19.4).
      if (value < 40) out = '0.' + value;
      else if (value < 80) out = '1.' + (value - 40);
      else out = '2.' + (value - 80);
      first = false;
    } else {
      out += '.' + value;
    }
    value = 0;
  }
  if (!startOfArc) throw new DerError('bad-value', what + ': OBJECT IDENTIFIER ends inside an arc');
  return out;
}

/** BIT STRING contents as whole bytes: requires zero unused bits (keys and signatures are octet strings in disguise). */
export function decodeBitStringBytes(element: DerElement, what: string): Uint8Array {
  requireTag(element, TAG_BIT_STRING, what);
  const c = element.content;
  if (c.length === 0) throw new DerError('bad-value', what + ': BIT STRING lacks its unused-bits byte');
  if (c[0] !== 0) throw new DerError('bad-value', what + ': BIT STRING must have no unused bits');
  return c.subarray(1);
}

/**
 * A named-bit BIT STRING (keyUsage) as a mask: bit i of the result is named bit i (bit 0 is
 * the most significant bit of the first byte). DER requires the padding bits to be zero and
 * trailing zero bits to be dropped, so the last bit present must be a one. At most 32 bits.
 */
export function decodeNamedBits(element: DerElement, what: string): number {
  requireTag(element, TAG_BIT_STRING, what);
  const c = element.content;
  if (c.length === 0) throw new DerError('bad-value', what + ': BIT STRING lacks its unused-bits byte');
  const unused = c[0];
  if (unused > 7 || (c.length === 1 && unused !== 0)) throw new DerError('bad-value', what + ': BIT STRING has an invalid unused-bits count');
  if (c.length > 5) throw new DerError('bad-value', what + ': more than 32 named bits');
  if (c.length === 1) return 0;
  const last = c[c.length - 1];
  if ((last & ((1 << unused) - 1)) !== 0) throw new DerError('bad-value', what + ': BIT STRING padding bits are not zero');
  if ((last & (1 << unused)) === 0) throw new DerError('bad-value', what + ': named-bit BIT STRING keeps trailing zero bits');
  let mask = 0;
  for (let i = 1; i < c.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      if (c[i] & (0x80 >> bit)) mask = (mask | (1 << ((i - 1) * 8 + bit))) >>> 0;
    }
  }
  return mask;
}

/** OCTET STRING contents (a view). */
export function decodeOctetString(element: DerElement, what: string): Uint8Array {
  requireTag(element, TAG_OCTET_STRING, what);
  return element.content;
}

/** UTCTime or GeneralizedTime as milliseconds since the Unix epoch (RFC 5280 §4.1.2.5 forms only). */
export function decodeTime(element: DerElement, what: string): number {
  const c = element.content;
  let year: number;
  let pos: number;
  if (element.tag === TAG_UTC_TIME) {
    // YYMMDDHHMMSSZ; RFC 5280: YY >= 50 is 19YY, otherwise 20YY.
    if (c.length !== 13) throw new DerError('bad-value', what + ': UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(c, 0, 2, what);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    pos = 2;
  } else if (element.tag === TAG_GENERALIZED_TIME) {
    if (c.length !== 15) throw new DerError('bad-value', what + ': GeneralizedTime must be YYYYMMDDHHMMSSZ');
    year = digits(c, 0, 4, what);
    pos = 4;
  } else {
    throw new DerError('unexpected-tag', what + ' should be UTCTime or GeneralizedTime, found tag ' + hexByte(element.tag));
  }
  if (c[c.length - 1] !== 0x5a) throw new DerError('bad-value', what + ': time must end in Z (UTC)');
  const month = digits(c, pos, 2, what);
  const day = digits(c, pos + 2, 2, what);
  const hour = digits(c, pos + 4, 2, what);
  const minute = digits(c, pos + 6, 2, what);
  const second = digits(c, pos + 8, 2, what);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('bad-value', what + ': time is not a valid calendar date and time');
  }
  return (daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
}

function digits(c: Uint8Array, start: number, count: number, what: string): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = c[i] - 0x30;
    if (d < 0 || d > 9) throw new DerError('bad-value', what + ': time contains a non-digit');
    n = n * 10 + d;
  }
  return n;
}

/**
 * A directory string (the value of a CN or O attribute) as a JavaScript string.
 * UTF8String must be valid UTF-8; PrintableString, IA5String, NumericString and VisibleString
 * are checked against their alphabets; T61String is read as Latin-1 (the usual practice);
 * BMPString is UCS-2 big-endian.
 */
export function decodeString(element: DerElement, what: string): string {
  const c = element.content;
  switch (element.tag) {
    case TAG_UTF8_STRING: {
      try {
        return utf8Decode(c);
      } catch (e) {
        // utf8Decode raises DecodeError; this module's callers expect DerError only.
        throw new DerError('bad-value', what + ': UTF8String is not valid UTF-8');
      }
    }
    case TAG_PRINTABLE_STRING:
    case TAG_NUMERIC_STRING:
    case TAG_IA5_STRING:
    case TAG_VISIBLE_STRING: {
      let s = '';
      for (let i = 0; i < c.length; i++) {
        if (!inAlphabet(element.tag, c[i])) throw new DerError('bad-value', what + ': character ' + hexByte(c[i]) + ' is not allowed in this string type');
        s += String.fromCharCode(c[i]);
      }
      return s;
    }
    case TAG_T61_STRING: {
      let s = '';
      for (let i = 0; i < c.length; i++) s += String.fromCharCode(c[i]);
      return s;
    }
    case TAG_BMP_STRING: {
      if (c.length % 2 !== 0) throw new DerError('bad-value', what + ': BMPString has an odd length');
      let s = '';
      for (let i = 0; i < c.length; i += 2) {
        const unit = (c[i] << 8) | c[i + 1];
        if (unit >= 0xd800 && unit <= 0xdfff) throw new DerError('bad-value', what + ': BMPString contains a surrogate');
        s += String.fromCharCode(unit);
      }
      return s;
    }
    default:
      throw new DerError('unexpected-tag', what + ' should be a string, found tag ' + hexByte(element.tag));
  }
}

function inAlphabet(tag: number, b: number): boolean {
  if (tag === TAG_IA5_STRING) return b < 0x80;
  if (tag === TAG_VISIBLE_STRING) return b >= 0x20 && b < 0x7f;
  if (tag === TAG_NUMERIC_STRING) return b === 0x20 || (b >= 0x30 && b <= 0x39);
  return isPrintableChar(b);
}

/** X.680 PrintableString: A-Z a-z 0-9 space ' ( ) + , - . / : = ? */
function isPrintableChar(b: number): boolean {
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)) return true;
  return (
    b === 0x20 || b === 0x27 || b === 0x28 || b === 0x29 || b === 0x2b || b === 0x2c ||
    b === 0x2d || b === 0x2e || b === 0x2f || b === 0x3a || b === 0x3d || b === 0x3f
  );
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/** One element from its identifier octet and contents, with the shortest length form. */
export function derEncode(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  let header: number;
  if (len < 0x80) header = 2;
  else if (len < 0x100) header = 3;
  else if (len < 0x10000) header = 4;
  else if (len < 0x1000000) header = 5;
  else header = 6;
  const out = new Uint8Array(header + len);
  out[0] = tag;
  if (header === 2) {
    out[1] = len;
  } else {
    out[1] = 0x80 | (header - 2);
    let rest = len;
    for (let i = header - 1; i >= 2; i--) {
      out[i] = rest & 0xff;
      rest = Math.floor(rest / 256);
    }
  }
  out.set(content, header);
  return out;
}

/** SEQUENCE of already-encoded elements, in the order given. */
export function derSequence(elements: Uint8Array[]): Uint8Array {
  return derEncode(TAG_SEQUENCE, concatBytes(elements));
}

/** SET OF already-encoded elements, sorted by their encodings as DER requires (X.690 §11.6). */
export function derSetOf(elements: Uint8Array[]): Uint8Array {
  const sorted: Uint8Array[] = [];
  for (let i = 0; i < elements.length; i++) {
    let j = sorted.length;
    while (j > 0 && compareBytes(sorted[j - 1], elements[i]) > 0) j--;
    sorted.splice(j, 0, elements[i]);
  }
  return derEncode(TAG_SET, concatBytes(sorted));
}

/** Lexicographic order of two byte strings, a shorter prefix first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** Explicitly tagged [n]: wraps one encoded element. */
export function derExplicit(n: number, element: Uint8Array): Uint8Array {
  return derEncode(contextTag(n, true), element);
}

/** Implicitly tagged primitive [n] with the given contents. */
export function derImplicit(n: number, content: Uint8Array): Uint8Array {
  return derEncode(contextTag(n, false), content);
}

/**
 * INTEGER from an unsigned big-endian magnitude (serial numbers): leading zero bytes are
 * dropped and one is added back when the top bit is set, so the value stays positive.
 */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  if (magnitude.length === 0) return derEncode(TAG_INTEGER, new Uint8Array(1));
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  if (body[0] & 0x80) {
    const padded = new Uint8Array(body.length + 1);
    padded.set(body, 1);
    return derEncode(TAG_INTEGER, padded);
  }
  return derEncode(TAG_INTEGER, body);
}

/** INTEGER from a non-negative number below 2^31 (versions). */
export function derSmallInteger(n: number): Uint8Array {
  if (n < 0 || n > 0x7fffffff || n !== Math.floor(n)) throw new DerError('bad-value', 'INTEGER ' + n + ' is outside 0..2^31-1');
  const bytes: number[] = [];
  let rest = n;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return derEncode(TAG_INTEGER, new Uint8Array(bytes));
}

export function derBoolean(value: boolean): Uint8Array {
  const out = new Uint8Array(3);
  out[0] = TAG_BOOLEAN;
  out[1] = 1;
  out[2] = value ? 0xff : 0x00;
  return out;
}

export function derNull(): Uint8Array {
  const out = new Uint8Array(2);
  out[0] = TAG_NULL;
  return out;
}

/** OBJECT IDENTIFIER from its dotted form ("2.5.29.19"). */
export function derOid(dotted: string): Uint8Array {
  const parts = dotted.split('.');
  if (parts.length < 2) throw new DerError('bad-value', 'OID "' + dotted + '" needs at least two arcs');
  const arcs: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length === 0 || p.length > 16 || (p.length > 1 && p.charAt(0) === '0')) throw new DerError('bad-value', 'OID "' + dotted + '" has a malformed arc');
    let v = 0;
    for (let j = 0; j < p.length; j++) {
      const d = p.charCodeAt(j) - 48;
      if (d < 0 || d > 9) throw new DerError('bad-value', 'OID "' + dotted + '" has a non-digit');
      v = v * 10 + d;
    }
    // Prefixes of a value <= 2^53 - 1 are exact, so this comparison is exact where it matters.
    if (v > MAX_ARC) throw new DerError('bad-value', 'OID "' + dotted + '" has an arc that is too large');
    arcs.push(v);
  }
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) throw new DerError('bad-value', 'OID "' + dotted + '" has invalid first arcs');
  const out: number[] = [];
  for (let i = 1; i < arcs.length; i++) {
    const v = i === 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
    if (v > MAX_ARC) throw new DerError('bad-value', 'OID "' + dotted + '" has an arc that is too large');
    const groups: number[] = [];
    let rest = v;
    do {
      groups.unshift(rest % 128);
      rest = Math.floor(rest / 128);
    } while (rest > 0);
    for (let j = 0; j < groups.length; j++) out.push(j < groups.length - 1 ? groups[j] | 0x80 : groups[j]);
  }
  return derEncode(TAG_OID, new Uint8Array(out));
}

/** BIT STRING holding whole bytes (keys, signatures). */
export function derBitString(bytes: Uint8Array): Uint8Array {
  const content = new Uint8Array(bytes.length + 1);
  content.set(bytes, 1);
  return derEncode(TAG_BIT_STRING, content);
}

/** Named-bit BIT STRING from a mask (bit i = named bit i), trailing zero bits dropped as DER requires. */
export function derNamedBits(mask: number): Uint8Array {
  let highest = -1;
  for (let bit = 0; bit < 32; bit++) {
    if ((mask >>> bit) & 1) highest = bit;
  }
  if (highest < 0) return derEncode(TAG_BIT_STRING, new Uint8Array(1));
  const byteCount = (highest >> 3) + 1;
  const content = new Uint8Array(byteCount + 1);
  content[0] = 7 - (highest & 7);
  for (let bit = 0; bit <= highest; bit++) {
    if ((mask >>> bit) & 1) content[1 + (bit >> 3)] |= 0x80 >> (bit & 7);
  }
  return derEncode(TAG_BIT_STRING, content);
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derEncode(TAG_OCTET_STRING, bytes);
}

export function derUtf8String(text: string): Uint8Array {
  return derEncode(TAG_UTF8_STRING, utf8Encode(text));
}

export function derPrintableString(text: string): Uint8Array {
  const content = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isPrintableChar(c)) throw new DerError('bad-value', 'character ' + JSON.stringify(text.charAt(i)) + ' is not allowed in a PrintableString');
    content[i] = c;
  }
  return derEncode(TAG_PRINTABLE_STRING, content);
}

/** UTCTime (years 1950..2049). Milliseconds are truncated to whole seconds. */
export function derUtcTime(ms: number): Uint8Array {
  const t = splitTime(ms);
  if (t[0] < 1950 || t[0] > 2049) throw new DerError('bad-value', 'year ' + t[0] + ' cannot be written as UTCTime');
  return derEncode(TAG_UTC_TIME, asciiBytes(pad2(t[0] % 100) + timeTail(t)));
}

/** GeneralizedTime (years 0..9999) without fractional seconds. */
export function derGeneralizedTime(ms: number): Uint8Array {
  const t = splitTime(ms);
  if (t[0] < 0 || t[0] > 9999) throw new DerError('bad-value', 'year ' + t[0] + ' cannot be written as GeneralizedTime');
  return derEncode(TAG_GENERALIZED_TIME, asciiBytes(pad2(Math.floor(t[0] / 100)) + pad2(t[0] % 100) + timeTail(t)));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on. */
export function derTime(ms: number): Uint8Array {
  const year = splitTime(ms)[0];
  return year >= 1950 && year <= 2049 ? derUtcTime(ms) : derGeneralizedTime(ms);
}

/** [year, month, day, hour, minute, second] in UTC. */
function splitTime(ms: number): number[] {
  if (typeof ms !== 'number' || ms !== ms || ms === Infinity || ms === -Infinity) {
    throw new DerError('bad-value', 'time must be a finite number of milliseconds');
  }
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86400);
  const inDay = seconds - days * 86400;
  const date = civilFromDays(days);
  return [date[0], date[1], date[2], Math.floor(inDay / 3600), Math.floor((inDay % 3600) / 60), inDay % 60];
}

function timeTail(t: number[]): string {
  return pad2(t[1]) + pad2(t[2]) + pad2(t[3]) + pad2(t[4]) + pad2(t[5]) + 'Z';
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, days relative to 1970-01-01). Written out because
// the device's Date cannot be trusted for years far from now (validity runs to year 4759).
// ---------------------------------------------------------------------------------------------

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (the era-based method: exact for any year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9; // March-based, so the leap day ends the year
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The inverse of daysFromCivil: [year, month, day]. */
export function civilFromDays(days: number): number[] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function hexByte(b: number): string {
  const h = '0123456789abcdef';
  return '0x' + h.charAt((b >> 4) & 15) + h.charAt(b & 15);
}
