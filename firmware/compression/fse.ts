/**
 * FSE (tANS) decoding tables, RFC 8878 §4.1: reading a table description and building the
 * decoding table from a normalized distribution.
 */

import { highBit } from './bits';
import { ZstdError } from './errors';

/**
 * A decoding table: for each state, the symbol it emits and how to reach the next state
 * (read `nbBits[state]` bits and add `base[state]`). The arrays are sized for the largest
 * accuracy log the table may hold and reused for every table built into it.
 */
export class FseTable {
  readonly symbol: Uint8Array;
  readonly nbBits: Uint8Array;
  readonly base: Uint16Array;
  /** Accuracy log of the table now held; -1 while it holds none (so Repeat_Mode must fail). */
  log = -1;

  constructor(maxLog: number) {
    const size = 1 << maxLog;
    this.symbol = new Uint8Array(size);
    this.nbBits = new Uint8Array(size);
    this.base = new Uint16Array(size);
  }

  /** The one-state table of RLE_Mode: every sequence uses `sym`, and no bits are read. */
  setRle(sym: number): void {
    this.symbol[0] = sym;
    this.nbBits[0] = 0;
    this.base[0] = 0;
    this.log = 0;
  }
}

// Scratch for one table build. Every caller finishes with it before returning, and nothing in
// the decoder is re-entrant, so one module-level copy serves all tables.
const norm = new Int16Array(256);
const next = new Uint16Array(256);

/**
 * Reads an FSE table description at src[start, end) (RFC 8878 §4.1.1) and builds it into
 * `table`. Returns the number of bytes the description used. `maxLog` and `maxSymbol` are the
 * limits of the alphabet being described; anything beyond them, or a description running past
 * `end`, is corrupt. Every loop is bounded by the symbol count, so garbage ends quickly.
 */
export function readFseTable(
  table: FseTable,
  src: Uint8Array,
  start: number,
  end: number,
  maxLog: number,
  maxSymbol: number,
  what: string,
): number {
  if (start >= end) throw new ZstdError('corrupt', what + ': FSE table description is missing');
  const log = (src[start] & 15) + 5;
  if (log > maxLog) {
    throw new ZstdError('corrupt', what + ': FSE accuracy log ' + log + ' exceeds the maximum ' + maxLog);
  }
  let bitPos = start * 8 + 4;
  // "Remaining probabilities + 1" in the RFC's words: the largest value the next field can hold.
  let remaining = (1 << log) + 1;
  let sym = 0;
  while (remaining > 1) {
    if (sym > maxSymbol) throw new ZstdError('corrupt', what + ': FSE table describes too many symbols');
    // The field is `bits` wide, but its `threshold` smallest values are sent in one bit less.
    const bits = highBit(remaining) + 1;
    const half = 1 << (bits - 1);
    const threshold = (1 << bits) - 1 - remaining;
    const v = peek(src, bitPos, bits, end);
    const low = v & (half - 1);
    let value: number;
    if (low < threshold) {
      value = low;
      bitPos += bits - 1;
    } else {
      value = v >= half ? v - threshold : v;
      bitPos += bits;
    }
    const proba = value - 1; // -1 means "less than 1": one cell, and a full state reset
    norm[sym++] = proba;
    remaining -= proba < 0 ? 1 : proba;
    if (proba === 0) {
      // A zero probability is followed by 2-bit counts of further zeros; 3 means "and more".
      let repeat: number;
      do {
        repeat = peek(src, bitPos, 2, end);
        bitPos += 2;
        if (sym + repeat > maxSymbol + 1) {
          throw new ZstdError('corrupt', what + ': FSE table describes too many symbols');
        }
        for (let k = 0; k < repeat; k++) norm[sym++] = 0;
      } while (repeat === 3);
    }
  }
  const used = ((bitPos + 7) >>> 3) - start;
  if (start + used > end) throw new ZstdError('corrupt', what + ': FSE table description runs past its section');
  buildFseTable(table, sym, log, what);
  return used;
}

/**
 * Builds the decoding table for a distribution that is a known constant (RFC 8878 §3.1.1.3.2.2,
 * the predefined modes). `dist` must already be a valid distribution summing to 2^log.
 */
export function buildPredefinedTable(table: FseTable, dist: Int16Array, log: number): void {
  for (let s = 0; s < dist.length; s++) norm[s] = dist[s];
  buildFseTable(table, dist.length, log, 'predefined table');
}

/** RFC 8878 §4.1.1 "From normalized distribution to decoding tables", on `norm[0..count)`. */
function buildFseTable(table: FseTable, count: number, log: number, what: string): void {
  const size = 1 << log;
  const symbol = table.symbol;
  const nbBits = table.nbBits;
  const base = table.base;
  // "Less than 1" symbols take one cell each from the top of the table.
  let high = size - 1;
  for (let s = 0; s < count; s++) {
    if (norm[s] === -1) {
      symbol[high--] = s;
      next[s] = 1;
    } else {
      next[s] = norm[s];
    }
  }
  // The rest are spread with a fixed odd step, which visits every cell once per lap.
  const step = (size >>> 1) + (size >>> 3) + 3;
  const mask = size - 1;
  let pos = 0;
  for (let s = 0; s < count; s++) {
    const n = norm[s];
    for (let i = 0; i < n; i++) {
      symbol[pos] = s;
      do {
        pos = (pos + step) & mask;
      } while (pos > high);
    }
  }
  // A distribution that sums to `size` lands back on cell 0; anything else left cells unset.
  if (pos !== 0) throw new ZstdError('corrupt', what + ': FSE distribution does not fill its table');
  // In state order, each symbol's k-th cell gets x = count + k: the next state is x scaled back up to
  // the table size, i.e. nbBits = log - floor(log2 x) fresh bits added to base = (x << nbBits) - size.
  for (let u = 0; u < size; u++) {
    const s = symbol[u];
    const x = next[s]++;
    const nb = log - highBit(x);
    nbBits[u] = nb;
    base[u] = (x << nb) - size;
  }
  table.log = log;
}

/** n (<= 16) bits of a forward little-endian bitstream at bit `bitPos`; bytes at or past `end` read as 0. */
function peek(src: Uint8Array, bitPos: number, n: number, end: number): number {
  const i = bitPos >>> 3;
  const b0 = i < end ? src[i] : 0;
  const b1 = i + 1 < end ? src[i + 1] : 0;
  const b2 = i + 2 < end ? src[i + 2] : 0;
  return ((b0 | (b1 << 8) | (b2 << 16)) >>> (bitPos & 7)) & ((1 << n) - 1);
}
