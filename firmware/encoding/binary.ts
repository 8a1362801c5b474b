import { DecodeError, EncodeError } from './errors';
import { utf8Decode, utf8Encode } from './utf8';

/**
 * The SMP binary encoding: simplexmq's `Encoding` class (src/Simplex/Messaging/Encoding.hs),
 * smp.md §0 and agent.md §2. Integers are big-endian; byte strings carry a 1-byte (`short`) or
 * 2-byte (`large`) length, or none when they run to the end of the frame (`tail`); `Bool` is
 * 'T'/'F', `Maybe` is '0'/'1' (ASCII digits), lists carry a 1-byte count.
 *
 * Where Haskell is lenient we are strict, and say so: `short` and list counts above 255 wrap
 * silently in Haskell (the length byte is `fromIntegral`), here they are an EncodeError.
 *
 * No big-integer type: Espruino lacks one. An int64 is read and written either as a JS number, exact only
 * within ±(2^53 − 1), or as `Int64Parts` for the full range.
 */

/** A full-range int64 as two 32-bit halves: value = hi × 2^32 + lo (two's complement). */
export interface Int64Parts {
  /** Signed high word, −2^31 .. 2^31 − 1. */
  readonly hi: number;
  /** Unsigned low word, 0 .. 2^32 − 1. */
  readonly lo: number;
}

/** `VersionRange`: both ends inclusive, min ≤ max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** The outcome of `decode`: callers branch on `ok` instead of catching. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

const TWO_32 = 4294967296;
/** 2^53 − 1 (Number.MAX_SAFE_INTEGER, which Espruino lacks). */
const MAX_SAFE = 9007199254740991;
/** The largest high word of a safe int64: (2^21 − 1) × 2^32 + (2^32 − 1) = 2^53 − 1. */
const SAFE_HI_MAX = 2097151;
/** The smallest high word of a safe int64; with it the low word must be ≥ 1 (−2^53 itself is unsafe). */
const SAFE_HI_MIN = -2097152;

const TAG_TRUE = 0x54; // 'T'
const TAG_FALSE = 0x46; // 'F'
const TAG_NOTHING = 0x30; // '0'
const TAG_JUST = 0x31; // '1'

/**
 * A growable byte writer. Methods return the encoder so fields can be chained in wire order:
 * `new Encoder().short(corrId).short(entityId).ascii('SUB').finish()`.
 * Every method checks its value before writing anything; after an EncodeError (including one
 * thrown by a `maybe`/`list` callback) discard the encoder.
 */
export class Encoder {
  private buf: Uint8Array;
  private len: number;
  /** Set by `tail` (nothing may follow a length-less field) and by `finish`. */
  private closedBy: string | null;

  constructor(initialCapacity: number = 64) {
    this.buf = new Uint8Array(initialCapacity >= 1 ? Math.floor(initialCapacity) : 1);
    this.len = 0;
    this.closedBy = null;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  u8(n: number): this {
    checkUint(n, 255, 'u8');
    const p = this.reserve(1);
    this.buf[p] = n;
    return this;
  }

  word16(n: number): this {
    checkUint(n, 65535, 'word16');
    const p = this.reserve(2);
    this.buf[p] = n >> 8;
    this.buf[p + 1] = n & 0xff;
    return this;
  }

  word32(n: number): this {
    checkUint(n, 4294967295, 'word32');
    this.put32(this.reserve(4), n);
    return this;
  }

  /** An int64 given as a JS number; it must be a safe integer, or the encoding would be a guess. */
  int64(n: number): this {
    return this.int64Parts(int64PartsFromNumber(n));
  }

  int64Parts(v: Int64Parts): this {
    if (!isIntegerIn(v.hi, -2147483648, 2147483647) || !isIntegerIn(v.lo, 0, 4294967295)) {
      throw new EncodeError('invalid-value', 'int64 parts out of range: hi must be a signed and lo an unsigned 32-bit integer');
    }
    const p = this.reserve(8);
    this.put32(p, v.hi);
    this.put32(p + 4, v.lo);
    return this;
  }

  /** `ByteString`: 1-byte length, then the bytes. */
  short(bytes: Uint8Array): this {
    if (bytes.length > 255) {
      throw new EncodeError('too-long', 'short byte string of ' + bytes.length + ' bytes exceeds its 255-byte limit');
    }
    const p = this.reserve(1 + bytes.length);
    this.buf[p] = bytes.length;
    this.buf.set(bytes, p + 1);
    return this;
  }

  /** `Large`: word16 length, then the bytes. */
  large(bytes: Uint8Array): this {
    if (bytes.length > 65535) {
      throw new EncodeError('too-long', 'large byte string of ' + bytes.length + ' bytes exceeds its 65535-byte limit');
    }
    const p = this.reserve(2 + bytes.length);
    this.buf[p] = bytes.length >> 8;
    this.buf[p + 1] = bytes.length & 0xff;
    this.buf.set(bytes, p + 2);
    return this;
  }

  /** `Tail`: the bytes with no length, running to the end of the frame, so nothing may follow. */
  tail(bytes: Uint8Array): this {
    this.raw(bytes);
    this.closedBy = 'tail';
    return this;
  }

  /** Fixed-size bytes with no length prefix (nonces, fixed-length fields, nested encodings). */
  raw(bytes: Uint8Array): this {
    const p = this.reserve(bytes.length);
    this.buf.set(bytes, p);
    return this;
  }

  /** ASCII text with no length prefix: command and message tags, the SP separator. */
  ascii(text: string): this {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) throw new EncodeError('invalid-value', 'ASCII tag has a non-ASCII character at index ' + i);
    }
    const p = this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buf[p + i] = text.charCodeAt(i);
    return this;
  }

  /** `Text`: UTF-8 inside `short`. */
  text(text: string): this {
    return this.short(utf8Encode(text));
  }

  bool(b: boolean): this {
    return this.u8(b ? TAG_TRUE : TAG_FALSE);
  }

  /** `Maybe`: '0' for null/undefined, else '1' followed by what `write` puts. */
  maybe<T>(value: T | null | undefined, write: (e: Encoder, v: T) => void): this {
    if (value === null || value === undefined) return this.u8(TAG_NOTHING);
    this.u8(TAG_JUST);
    write(this, value);
    return this;
  }

  /** A list: 1-byte count, then the items. */
  list<T>(items: readonly T[], write: (e: Encoder, v: T) => void): this {
    if (items.length > 255) {
      throw new EncodeError('too-long', 'list of ' + items.length + ' items exceeds its 255-item limit');
    }
    this.u8(items.length);
    for (let i = 0; i < items.length; i++) write(this, items[i]);
    return this;
  }

  /** `NonEmpty`: as `list`, but an empty list is refused (the peer would reject it). */
  nonEmpty<T>(items: readonly T[], write: (e: Encoder, v: T) => void): this {
    if (items.length === 0) throw new EncodeError('invalid-value', 'NonEmpty list is empty');
    return this.list(items, write);
  }

  version(v: number): this {
    checkUint(v, 65535, 'version');
    return this.word16(v);
  }

  versionRange(r: VersionRange): this {
    checkUint(r.min, 65535, 'version range minimum');
    checkUint(r.max, 65535, 'version range maximum');
    if (r.min > r.max) throw new EncodeError('invalid-value', 'version range ' + r.min + '-' + r.max + ' has min > max');
    return this.word16(r.min).word16(r.max);
  }

  /** `SystemTime`: int64 whole seconds since the epoch (the nanoseconds are not sent). */
  systemTime(seconds: number): this {
    return this.int64(seconds);
  }

  /** The encoded bytes, exactly `length` long. The encoder accepts no more writes afterwards. */
  finish(): Uint8Array {
    this.closedBy = 'finish';
    if (this.len === this.buf.length) return this.buf;
    // Copy rather than return a view: the spare capacity would otherwise stay allocated.
    return new Uint8Array(this.buf.subarray(0, this.len));
  }

  /** Makes room for n more bytes and returns where they go. */
  private reserve(n: number): number {
    if (this.closedBy !== null) {
      throw new EncodeError('invalid-value', 'cannot write after ' + this.closedBy + '()');
    }
    const p = this.len;
    const need = p + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      if (cap < need) cap = need;
      const grown = new Uint8Array(cap);
      grown.set(this.buf.subarray(0, p));
      this.buf = grown;
    }
    this.len = need;
    return p;
  }

  /** Writes a 32-bit word, signed or unsigned: only the low 32 bits of the two's complement matter. */
  private put32(p: number, n: number): void {
    this.buf[p] = (n >> 24) & 0xff;
    this.buf[p + 1] = (n >> 16) & 0xff;
    this.buf[p + 2] = (n >> 8) & 0xff;
    this.buf[p + 3] = n & 0xff;
  }
}

/**
 * A reader over one frame. Every method checks the remaining length before it reads, so nothing
 * is ever read past the end, and every failure is a DecodeError naming the field type and offset.
 *
 * Byte strings are returned as views into the input (no copy): copy (copyBytes) anything that
 * must outlive a buffer the caller will reuse or wipe. After a DecodeError the position is
 * unspecified; discard the decoder.
 */
export class Decoder {
  private readonly buf: Uint8Array;
  private pos: number;

  constructor(bytes: Uint8Array) {
    this.buf = bytes;
    this.pos = 0;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** The next byte without consuming it, or −1 at the end (for formats that branch on it). */
  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos] : -1;
  }

  u8(): number {
    return this.buf[this.take(1, 'u8')];
  }

  word16(): number {
    const p = this.take(2, 'word16');
    return (this.buf[p] << 8) | this.buf[p + 1];
  }

  word32(): number {
    return this.get32(this.take(4, 'word32'));
  }

  /** An int64 as a JS number; values beyond ±(2^53 − 1) are refused, not rounded. */
  int64(): number {
    const at = this.pos;
    const v = this.int64Parts();
    if (v.hi > SAFE_HI_MAX || v.hi < SAFE_HI_MIN || (v.hi === SAFE_HI_MIN && v.lo === 0)) {
      throw new DecodeError('invalid-value', 'int64 at byte ' + at + ' is outside ±(2^53 − 1), which a JS number cannot hold exactly');
    }
    return v.hi * TWO_32 + v.lo;
  }

  int64Parts(): Int64Parts {
    const p = this.take(8, 'int64');
    const hi = this.get32(p);
    return { hi: hi >= 2147483648 ? hi - TWO_32 : hi, lo: this.get32(p + 4) };
  }

  /** `ByteString`: 1-byte length, then the bytes (a view). */
  short(): Uint8Array {
    const at = this.pos;
    const n = this.buf[this.take(1, 'short byte string length')];
    return this.view(at, n, 'short byte string');
  }

  /** `Large`: word16 length, then the bytes (a view). */
  large(): Uint8Array {
    const at = this.pos;
    const p = this.take(2, 'large byte string length');
    const n = (this.buf[p] << 8) | this.buf[p + 1];
    return this.view(at, n, 'large byte string');
  }

  /** `Tail`: everything that is left (a view, possibly empty). */
  tail(): Uint8Array {
    const p = this.pos;
    this.pos = this.buf.length;
    return this.buf.subarray(p);
  }

  /** Exactly n bytes with no length prefix (a view). */
  raw(n: number): Uint8Array {
    const p = this.take(n, n + '-byte field');
    return this.buf.subarray(p, p + n);
  }

  /** n bytes that must be ASCII, as a string. */
  ascii(n: number): string {
    const p = this.take(n, n + '-character ASCII field');
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.buf[p + i];
      if (c > 0x7f) throw new DecodeError('invalid-value', 'non-ASCII byte at ' + (p + i) + ' in an ASCII field');
      s += String.fromCharCode(c);
    }
    return s;
  }

  /** Consumes the given ASCII tag, or fails if the next bytes are anything else. */
  expectAscii(tag: string): void {
    const at = this.pos;
    const p = this.take(tag.length, 'tag "' + tag + '"');
    for (let i = 0; i < tag.length; i++) {
      if (this.buf[p + i] !== tag.charCodeAt(i)) {
        throw new DecodeError('invalid-value', 'expected tag "' + tag + '" at byte ' + at);
      }
    }
  }

  /** `Text`: `short` holding strict UTF-8. */
  text(): string {
    const at = this.pos;
    const bytes = this.short();
    try {
      return utf8Decode(bytes);
    } catch (e) {
      if (e instanceof DecodeError) throw new DecodeError(e.code, 'Text at byte ' + at + ': ' + e.message);
      throw e;
    }
  }

  bool(): boolean {
    const at = this.pos;
    const b = this.buf[this.take(1, 'Bool')];
    if (b === TAG_TRUE) return true;
    if (b === TAG_FALSE) return false;
    throw new DecodeError('invalid-value', "Bool at byte " + at + " is neither 'T' nor 'F'");
  }

  /** `Maybe`: '0' gives null, '1' gives what `read` returns. */
  maybe<T>(read: (d: Decoder) => T): T | null {
    const at = this.pos;
    const b = this.buf[this.take(1, 'Maybe tag')];
    if (b === TAG_NOTHING) return null;
    if (b === TAG_JUST) return read(this);
    throw new DecodeError('invalid-value', "Maybe tag at byte " + at + " is neither '0' nor '1'");
  }

  /** A list: 1-byte count, then that many items. */
  list<T>(read: (d: Decoder) => T): T[] {
    const n = this.buf[this.take(1, 'list count')];
    const items: T[] = [];
    for (let i = 0; i < n; i++) items.push(read(this));
    return items;
  }

  /** `NonEmpty`: as `list`, but a count of 0 is invalid. */
  nonEmpty<T>(read: (d: Decoder) => T): T[] {
    if (this.peek() === 0) throw new DecodeError('invalid-value', 'NonEmpty list at byte ' + this.pos + ' is empty');
    return this.list(read);
  }

  version(): number {
    return this.word16();
  }

  versionRange(): VersionRange {
    const at = this.pos;
    const min = this.word16();
    const max = this.word16();
    if (min > max) throw new DecodeError('invalid-value', 'version range at byte ' + at + ' has min ' + min + ' > max ' + max);
    return { min: min, max: max };
  }

  /** `SystemTime`: int64 seconds (Haskell sets the nanoseconds to 0 on decode). */
  systemTime(): number {
    return this.int64();
  }

  /** Requires that the whole input was consumed. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new DecodeError('trailing-bytes', this.remaining + ' unexpected bytes after the end of the value at byte ' + this.pos);
    }
  }

  /** Advances over n bytes and returns where they start. */
  private take(n: number, what: string): number {
    const p = this.pos;
    if (!(n >= 0 && Math.floor(n) === n)) {
      throw new DecodeError('invalid-value', what + ' at byte ' + p + ': ' + n + ' is not a byte count');
    }
    if (n > this.buf.length - p) {
      throw new DecodeError('truncated', what + ' at byte ' + p + ' needs ' + n + ' bytes, ' + (this.buf.length - p) + ' left');
    }
    this.pos = p + n;
    return p;
  }

  /** The n bytes after a length prefix that started at `at`. */
  private view(at: number, n: number, what: string): Uint8Array {
    const p = this.pos;
    if (n > this.buf.length - p) {
      throw new DecodeError('truncated', what + ' at byte ' + at + ' declares ' + n + ' bytes, ' + (this.buf.length - p) + ' left');
    }
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  private get32(p: number): number {
    // Multiplication, not `<< 24`, so the result stays unsigned without relying on `>>> 0`.
    return this.buf[p] * 16777216 + ((this.buf[p + 1] << 16) | (this.buf[p + 2] << 8) | this.buf[p + 3]);
  }
}

/**
 * Runs `fn` over the whole of `bytes` and requires that it consumed all of it. A DecodeError
 * becomes `{ ok: false }`; any other exception is a bug in `fn` and propagates.
 */
export function decode<T>(bytes: Uint8Array, fn: (d: Decoder) => T): Result<T> {
  const d = new Decoder(bytes);
  try {
    const value = fn(d);
    d.end();
    return { ok: true, value: value };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    throw e;
  }
}

/** The int64 parts of a safe integer; anything else is refused rather than rounded. */
export function int64PartsFromNumber(n: number): Int64Parts {
  if (!isSafeInteger(n)) {
    throw new EncodeError('invalid-value', 'int64 value is not an integer within ±(2^53 − 1); use Int64Parts');
  }
  // Division by 2^32 and floor are exact for safe integers, and floor (not truncation toward 0)
  // gives the two's-complement split for negatives: −1 → hi = −1, lo = 2^32 − 1.
  const hi = Math.floor(n / TWO_32);
  return { hi: hi, lo: n - hi * TWO_32 };
}

function isSafeInteger(n: number): boolean {
  return typeof n === 'number' && Math.floor(n) === n && n >= -MAX_SAFE && n <= MAX_SAFE;
}

function isIntegerIn(n: number, min: number, max: number): boolean {
  return typeof n === 'number' && Math.floor(n) === n && n >= min && n <= max;
}

function checkUint(n: number, max: number, what: string): void {
  if (!isIntegerIn(n, 0, max)) throw new EncodeError('invalid-value', what + ' must be an integer in 0..' + max);
}
