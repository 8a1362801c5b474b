/**
 * Huffman-coded literals, RFC 8878 §4.2: the tree description (weights, FSE-compressed or
 * direct) and the decoding of one backward stream.
 */

import { BackwardBitReader, highBit } from './bits';
import { ZstdError } from './errors';
import { FseTable, readFseTable } from './fse';

/** The format's limit on code length. */
const MAX_BITS = 11;

/**
 * A literal decoding table indexed by the next `maxBits` bits of a stream: each entry is
 * (symbol << 4) | code length. A code of length n owns the 2^(maxBits - n) entries that start
 * with it, so one lookup decodes one literal.
 */
export class HuffmanTable {
  readonly entries = new Uint16Array(1 << MAX_BITS);
  /** 0 while no tree has been described in this frame (a Treeless block must then fail). */
  maxBits = 0;
}

// Scratch for one tree description; see the note on re-entrancy in fse.ts.
const weights = new Uint8Array(256);
const rankStart = new Uint16Array(MAX_BITS + 1);
const weightTable = new FseTable(6);
const weightBits = new BackwardBitReader();

/**
 * Reads the Huffman_Tree_Description at src[start, end) into `table` and returns its size in
 * bytes. Validates everything RFC 8878 §4.2.1 requires: at most 255 listed weights, every
 * weight <= 11, weights summing to a power of two once the implied last weight is added, a
 * maximum code length of 11, and at least one weight-1 symbol.
 */
export function readHuffmanTree(table: HuffmanTable, src: Uint8Array, start: number, end: number): number {
  if (start >= end) throw new ZstdError('corrupt', 'Huffman tree description is missing');
  const header = src[start];
  let count: number;
  let size: number;
  if (header < 128) {
    // FSE-compressed weights: `header` bytes of table description plus a two-state bitstream.
    size = 1 + header;
    if (start + size > end) throw new ZstdError('corrupt', 'Huffman weights run past the literals section');
    const streamEnd = start + size;
    const used = readFseTable(weightTable, src, start + 1, streamEnd, 6, MAX_BITS, 'Huffman weights');
    count = decodeWeights(src, start + 1 + used, streamEnd);
  } else {
    // Direct representation: 4 bits per weight, first weight in the high nibble.
    count = header - 127;
    size = 1 + ((count + 1) >>> 1);
    if (start + size > end) throw new ZstdError('corrupt', 'Huffman weights run past the literals section');
    for (let i = 0; i < count; i++) {
      const b = src[start + 1 + (i >>> 1)];
      const w = (i & 1) === 0 ? b >>> 4 : b & 15;
      if (w > MAX_BITS) throw new ZstdError('corrupt', 'Huffman weight ' + w + ' exceeds ' + MAX_BITS);
      weights[i] = w;
    }
  }
  buildTable(table, count);
  return size;
}

/**
 * Decodes FSE-compressed weights from src[start, end) into `weights`; returns their count.
 * Two states share the table and alternate; the stream ends when a state update needs more
 * bits than remain, and then each state emits one final symbol (RFC 8878 §4.2.1.2).
 */
function decodeWeights(src: Uint8Array, start: number, end: number): number {
  const bits = weightBits;
  bits.init(src, start, end, 'Huffman weight stream');
  const log = weightTable.log;
  const symbol = weightTable.symbol;
  const nbBits = weightTable.nbBits;
  const base = weightTable.base;
  let s1 = bits.read(log);
  let s2 = bits.read(log);
  let n = 0;
  // Every write may be followed by the final one, so a write needs room for two of the 255.
  for (;;) {
    if (n > 253) throw new ZstdError('corrupt', 'Huffman weight stream lists more than 255 weights');
    weights[n++] = symbol[s1];
    s1 = base[s1] + bits.read(nbBits[s1]);
    if (bits.pos < 0) {
      weights[n++] = symbol[s2];
      return n;
    }
    if (n > 253) throw new ZstdError('corrupt', 'Huffman weight stream lists more than 255 weights');
    weights[n++] = symbol[s2];
    s2 = base[s2] + bits.read(nbBits[s2]);
    if (bits.pos < 0) {
      weights[n++] = symbol[s1];
      return n;
    }
  }
}

/** Turns `count` listed weights (plus the implied last one) into the decoding table. */
function buildTable(table: HuffmanTable, count: number): void {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const w = weights[i];
    if (w !== 0) sum += 1 << (w - 1);
  }
  if (sum === 0) throw new ZstdError('corrupt', 'Huffman tree has fewer than two symbols');
  const maxBits = highBit(sum) + 1;
  if (maxBits > MAX_BITS) throw new ZstdError('corrupt', 'Huffman codes would exceed ' + MAX_BITS + ' bits');
  // The last symbol's weight completes the sum to 2^maxBits, which only one power of two can do.
  const rest = (1 << maxBits) - sum;
  if ((rest & (rest - 1)) !== 0) throw new ZstdError('corrupt', 'Huffman weights do not complete to a power of two');
  weights[count] = highBit(rest) + 1;
  const symbols = count + 1;

  rankStart.fill(0);
  for (let s = 0; s < symbols; s++) rankStart[weights[s]]++;
  if (rankStart[1] === 0) throw new ZstdError('corrupt', 'Huffman tree has no weight-1 symbol');
  // Codes go out from the lowest weight (longest code) up, and in symbol order within a weight,
  // so each weight's entries form one run that starts where the lighter weights' runs end.
  let pos = 0;
  for (let w = 1; w <= maxBits; w++) {
    const n = rankStart[w];
    rankStart[w] = pos;
    pos += n << (w - 1);
  }
  const entries = table.entries;
  for (let s = 0; s < symbols; s++) {
    const w = weights[s];
    if (w === 0) continue;
    const from = rankStart[w];
    const len = 1 << (w - 1);
    entries.fill((s << 4) | (maxBits + 1 - w), from, from + len);
    rankStart[w] = from + len;
  }
  table.maxBits = maxBits;
}

/**
 * Decodes exactly `count` literals from the Huffman stream src[start, end) into out[at, ...).
 * The caller guarantees the output range fits. The stream must be consumed to its last bit.
 */
export function decodeHuffmanStream(
  table: HuffmanTable,
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
  count: number,
): void {
  if (end <= start) throw new ZstdError('corrupt', 'Huffman stream is empty');
  const last = src[end - 1];
  if (last === 0) throw new ZstdError('corrupt', 'Huffman stream has no end marker (its last byte is 0)');
  let pos = (end - 1 - start) * 8 + highBit(last);
  const maxBits = table.maxBits;
  const mask = (1 << maxBits) - 1;
  const entries = table.entries;
  const stop = at + count;
  let o = at;
  while (o < stop) {
    // Peek the next maxBits bits (the code is at their top) and drop only the code's length.
    const low = pos - maxBits;
    let peek: number;
    if (low >= 0) {
      // Three bytes cover 11 bits at any offset; bytes past the stream only fill masked-out bits.
      const i = start + (low >>> 3);
      peek = ((src[i] | (src[i + 1] << 8) | (src[i + 2] << 16)) >>> (low & 7)) & mask;
    } else {
      // Fewer than maxBits bits left: they are the top of the peek, the rest is zero padding.
      if (pos <= 0) throw new ZstdError('corrupt', 'Huffman stream ends before its literals do');
      peek = (((src[start] | (src[start + 1] << 8)) & ((1 << pos) - 1)) << -low) & mask;
    }
    const e = entries[peek];
    out[o++] = e >>> 4;
    pos -= e & 15;
  }
  if (pos !== 0) throw new ZstdError('corrupt', 'Huffman stream length does not match its literals');
}
