/**
 * Bit-level helpers shared by the FSE, Huffman and sequence decoders.
 *
 * zstd's entropy-coded streams are written forward and read backward (RFC 8878 §4.1): the
 * encoder ends each stream with a 1 bit and zero padding, so the decoder starts at the highest
 * set bit of the last byte and walks down to bit 0 of the first. Fields are little-endian
 * numbers: "read n bits" takes stream bits [pos - n, pos) with bit pos - 1 as the most significant.
 */

import { ZstdError } from './errors';

/** floor(log2(x)) for 1 <= x < 2^32 (Espruino has no Math.clz32). */
export function highBit(x: number): number {
  let r = 0;
  if (x >= 65536) {
    x = x >>> 16;
    r += 16;
  }
  if (x >= 256) {
    x = x >>> 8;
    r += 8;
  }
  if (x >= 16) {
    x = x >>> 4;
    r += 4;
  }
  if (x >= 4) {
    x = x >>> 2;
    r += 2;
  }
  if (x >= 2) r += 1;
  return r;
}

/** MASK[n] = 2^n - 1 for n <= 24: the widths the fast path of `read` serves. */
const MASK = new Int32Array(25);
for (let n = 1; n <= 24; n++) MASK[n] = (MASK[n - 1] << 1) | 1;

const EMPTY = new Uint8Array(0);

/**
 * Reads one backward bitstream. One instance is reused for every stream of a decode, so it
 * holds no per-stream allocation.
 *
 * Reading past the start of the stream is allowed and yields zero bits, as RFC 8878 §4.1.1
 * requires for the Huffman weight streams; `pos` then goes negative, which is how callers
 * detect overflow (and every other stream treats a negative or non-zero final `pos` as corrupt).
 */
export class BackwardBitReader {
  private buf: Uint8Array = EMPTY;
  /** Index in `buf` of the stream's first byte. */
  private origin = 0;
  /** Bits not yet read; negative once reads went past the stream's start. */
  pos = 0;

  /**
   * Starts on the stream buf[start, end). `what` names the stream in the error for an empty
   * stream or a last byte without the end marker.
   */
  init(buf: Uint8Array, start: number, end: number, what: string): void {
    if (end <= start) throw new ZstdError('corrupt', what + ' is empty');
    const last = buf[end - 1];
    if (last === 0) throw new ZstdError('corrupt', what + ' has no end marker (its last byte is 0)');
    this.buf = buf;
    this.origin = start;
    this.pos = (end - 1 - start) * 8 + highBit(last);
  }

  /** The next n bits (0 <= n <= 31) as a number. */
  read(n: number): number {
    const start = this.pos - n;
    this.pos = start;
    if (start >= 0 && n <= 24) {
      // Four bytes always cover 24 bits at any bit offset. Bytes past the end of the stream
      // (or of `buf`, which read as undefined and so as 0) only land above bit n and are masked.
      const b = this.buf;
      const i = this.origin + (start >>> 3);
      return ((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> (start & 7)) & MASK[n];
    }
    return this.readSlow(start, n);
  }

  private readSlow(start: number, n: number): number {
    if (start >= 0) return this.bitsAt(start, n);
    // Bits below the stream's start are zeros: the available top part is shifted up over them.
    const available = start + n;
    if (available <= 0) return 0;
    return this.bitsAt(0, available) * (1 << (n - available));
  }

  /** k (1..31) bits at bit offset `at` >= 0 of the stream. */
  private bitsAt(at: number, k: number): number {
    if (k > 24) return this.bitsAt(at + 16, k - 16) * 65536 + this.bitsAt(at, 16);
    const b = this.buf;
    const i = this.origin + (at >>> 3);
    return ((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> (at & 7)) & MASK[k];
  }
}
