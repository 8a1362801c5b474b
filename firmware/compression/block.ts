/**
 * Compressed blocks, RFC 8878 §3.1.1.3: the literals section, the sequences section, and
 * sequence execution.
 *
 * Memory: a decode holds one output buffer and nothing proportional to the window or the
 * block. Decoded literals are staged at the end of the frame's output space, [limit - n, limit),
 * which the block has not written yet. That is safe because every literal is eventually copied
 * to the output, so `op + literals not yet copied <= limit` must hold anyway (a frame that breaks
 * it is rejected as too large), and so the write position never passes the next unread literal;
 * a literal copy may overlap its own source, which `set` handles as a move. This saves a
 * literals buffer as large as the output (16 KB, some 1,200 Espruino variables). Raw literals
 * are not staged at all: they are copied straight from the input.
 */

import { BackwardBitReader } from './bits';
import { ZstdError } from './errors';
import { buildPredefinedTable, FseTable, readFseTable } from './fse';
import { decodeHuffmanStream, HuffmanTable, readHuffmanTree } from './huffman';

const EMPTY = new Uint8Array(0);

/**
 * Each length code's baseline is the previous code's baseline plus the range the previous code
 * covers. (Declared before its module-level use: Espruino does not hoist function declarations.)
 */
function baselines(bits: Uint8Array, first: number): Uint32Array {
  const base = new Uint32Array(bits.length);
  base[0] = first;
  for (let c = 1; c < bits.length; c++) base[c] = base[c - 1] + (1 << bits[c - 1]);
  return base;
}

// Extra-bit counts of the literals length codes 0..35 and match length codes 0..52
// (RFC 8878 §3.1.1.3.2.1.1); the baselines are derived from them rather than written out twice.
export const LL_BITS = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
  13, 14, 15, 16,
]);
export const ML_BITS = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
]);
export const LL_BASE = baselines(LL_BITS, 0);
export const ML_BASE = baselines(ML_BITS, 3);

// Predefined distributions (RFC 8878 §3.1.1.3.2.2), with their accuracy logs 6, 6 and 5.
export const LL_DEFAULT = new Int16Array([
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1,
]);
export const ML_DEFAULT = new Int16Array([
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
]);
export const OF_DEFAULT = new Int16Array([
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
]);

/** Largest symbols and accuracy logs per RFC 8878 §3.1.1.3.2.1. Offset codes above 31 are refused. */
const LL_MAX_SYMBOL = 35;
const ML_MAX_SYMBOL = 52;
const OF_MAX_SYMBOL = 31;
const LL_MAX_LOG = 9;
const ML_MAX_LOG = 9;
const OF_MAX_LOG = 8;

/**
 * Everything that carries from block to block within a frame (output, repeat offsets, the
 * Huffman and FSE tables for Treeless and Repeat modes), plus the current block's literals.
 * One instance serves a whole decode; its tables are allocated once (about 9 KB).
 */
export class FrameState {
  readonly src: Uint8Array;
  readonly out: Uint8Array;
  /** Next output position. */
  op = 0;
  /** Where the current frame's output starts: no match may reach before it. */
  frameStart = 0;
  /** The current frame's output must end at or before this position. */
  limit = 0;
  /** True when `limit` comes from the frame's declared content size rather than `maxOutput`. */
  limitIsDeclared = false;
  windowSize = 0;
  blockMax = 0;
  rep1 = 1;
  rep2 = 4;
  rep3 = 8;
  readonly huffman = new HuffmanTable();
  readonly ll = new FseTable(LL_MAX_LOG);
  readonly of = new FseTable(OF_MAX_LOG);
  readonly ml = new FseTable(ML_MAX_LOG);
  readonly bits = new BackwardBitReader();
  /** The current block's literals not yet copied: litBuf[litPos, litEnd). */
  litBuf: Uint8Array = EMPTY;
  litPos = 0;
  litEnd = 0;

  constructor(src: Uint8Array, out: Uint8Array) {
    this.src = src;
    this.out = out;
  }

  /** Resets what must not leak from one frame into the next (RFC 8878 §3.1.1.3, "Prerequisites"). */
  startFrame(contentSize: number, windowSize: number): void {
    this.frameStart = this.op;
    if (contentSize >= 0) {
      if (contentSize > this.out.length - this.op) {
        throw new ZstdError('too-large', 'a frame declares more content than maxOutput leaves room for');
      }
      this.limit = this.op + contentSize;
      this.limitIsDeclared = true;
    } else {
      this.limit = this.out.length;
      this.limitIsDeclared = false;
    }
    this.windowSize = windowSize;
    this.blockMax = windowSize < 131072 ? windowSize : 131072;
    this.rep1 = 1;
    this.rep2 = 4;
    this.rep3 = 8;
    this.huffman.maxBits = 0;
    this.ll.log = -1;
    this.of.log = -1;
    this.ml.log = -1;
  }

  /** The error for output that would pass `limit`. */
  overflow(): ZstdError {
    return this.limitIsDeclared
      ? new ZstdError('corrupt', 'a frame decodes to more than its declared content size')
      : new ZstdError('too-large', 'the content exceeds maxOutput (' + this.out.length + ' bytes)');
  }
}

/** Decodes the compressed block src[start, end) onto the output. */
export function decodeCompressedBlock(st: FrameState, start: number, end: number): void {
  const p = decodeLiterals(st, start, end);
  decodeSequences(st, p, end);
  // Literals left over after the last sequence end the block.
  const rest = st.litEnd - st.litPos;
  if (rest > 0) {
    st.out.set(st.litBuf.subarray(st.litPos, st.litEnd), st.op);
    st.op += rest;
    st.litPos = st.litEnd;
  }
}

function corrupt(message: string): ZstdError {
  return new ZstdError('corrupt', message);
}

/** Checks that `n` literals can still reach the output, then claims n bytes at the buffer's end for them. */
function reserveLiterals(st: FrameState, n: number): number {
  if (n > st.blockMax) throw corrupt('literals section is larger than the block size limit');
  if (n > st.limit - st.op) throw st.overflow();
  return st.limit - n;
}

/** RFC 8878 §3.1.1.3.1. Returns where the sequences section starts. */
function decodeLiterals(st: FrameState, start: number, end: number): number {
  const src = st.src;
  if (start >= end) throw corrupt('literals section header is missing');
  const b0 = src[start];
  const type = b0 & 3;
  const format = (b0 >>> 2) & 3;

  if (type < 2) {
    // Raw or RLE: a 5-, 12- or 20-bit size, no compressed size.
    let p: number;
    let regen: number;
    if ((format & 1) === 0) {
      p = start + 1;
      regen = b0 >>> 3;
    } else if (format === 1) {
      p = start + 2;
      if (p > end) throw corrupt('literals section header is cut off');
      regen = (b0 >>> 4) + (src[start + 1] << 4);
    } else {
      p = start + 3;
      if (p > end) throw corrupt('literals section header is cut off');
      regen = (b0 >>> 4) + (src[start + 1] << 4) + (src[start + 2] << 12);
    }
    if (type === 0) {
      if (regen > end - p) throw corrupt('raw literals run past the block');
      reserveLiterals(st, regen);
      st.litBuf = src;
      st.litPos = p;
      st.litEnd = p + regen;
      return p + regen;
    }
    if (p >= end) throw corrupt('RLE literals byte is missing');
    const at = reserveLiterals(st, regen);
    st.out.fill(src[p], at, at + regen);
    st.litBuf = st.out;
    st.litPos = at;
    st.litEnd = at + regen;
    return p + 1;
  }

  // Huffman-coded (type 2 with a tree, type 3 reusing the previous one): sizes of 10, 14 or 18 bits.
  let p: number;
  let regen: number;
  let compressed: number;
  let streams = 4;
  if (format <= 1) {
    p = start + 3;
    if (p > end) throw corrupt('literals section header is cut off');
    const v = b0 | (src[start + 1] << 8) | (src[start + 2] << 16);
    regen = (v >>> 4) & 0x3ff;
    compressed = (v >>> 14) & 0x3ff;
    if (format === 0) streams = 1;
  } else if (format === 2) {
    p = start + 4;
    if (p > end) throw corrupt('literals section header is cut off');
    const v = (b0 | (src[start + 1] << 8) | (src[start + 2] << 16) | (src[start + 3] << 24)) >>> 0;
    regen = (v >>> 4) & 0x3fff;
    compressed = v >>> 18;
  } else {
    p = start + 5;
    if (p > end) throw corrupt('literals section header is cut off');
    const v = (b0 | (src[start + 1] << 8) | (src[start + 2] << 16) | (src[start + 3] << 24)) >>> 0;
    regen = (v >>> 4) & 0x3ffff;
    compressed = (v >>> 22) + (src[start + 4] << 10);
  }
  const sectionEnd = p + compressed;
  if (sectionEnd > end) throw corrupt('compressed literals run past the block');
  const at = reserveLiterals(st, regen);
  const huffman = st.huffman;
  let q = p;
  if (type === 2) {
    q += readHuffmanTree(huffman, src, p, sectionEnd);
  } else if (huffman.maxBits === 0) {
    throw corrupt('treeless literals block without an earlier Huffman table in the frame');
  }
  const out = st.out;
  if (streams === 1) {
    decodeHuffmanStream(huffman, src, q, sectionEnd, out, at, regen);
  } else {
    // A jump table gives the sizes of streams 1-3; stream 4 takes the rest and is never empty.
    if (q + 6 > sectionEnd) throw corrupt('Huffman jump table is cut off');
    const d1 = q + 6;
    const d2 = d1 + (src[q] | (src[q + 1] << 8));
    const d3 = d2 + (src[q + 2] | (src[q + 3] << 8));
    const d4 = d3 + (src[q + 4] | (src[q + 5] << 8));
    if (d4 >= sectionEnd) throw corrupt('Huffman jump table sizes exceed the literals section');
    const segment = (regen + 3) >>> 2;
    const lastSegment = regen - 3 * segment;
    if (lastSegment < 0) throw corrupt('too few literals for four Huffman streams');
    decodeHuffmanStream(huffman, src, d1, d2, out, at, segment);
    decodeHuffmanStream(huffman, src, d2, d3, out, at + segment, segment);
    decodeHuffmanStream(huffman, src, d3, d4, out, at + 2 * segment, segment);
    decodeHuffmanStream(huffman, src, d4, sectionEnd, out, at + 3 * segment, lastSegment);
  }
  st.litBuf = out;
  st.litPos = at;
  st.litEnd = at + regen;
  return sectionEnd;
}

/** RFC 8878 §3.1.1.3.2: the header, the three tables, then the sequences themselves. */
function decodeSequences(st: FrameState, start: number, end: number): void {
  const src = st.src;
  if (start >= end) throw corrupt('sequences section header is missing');
  let p = start;
  const b0 = src[p++];
  let count: number;
  if (b0 < 128) {
    count = b0;
  } else if (b0 < 255) {
    if (p >= end) throw corrupt('sequence count is cut off');
    count = ((b0 - 128) << 8) + src[p++];
  } else {
    if (p + 2 > end) throw corrupt('sequence count is cut off');
    count = src[p] + (src[p + 1] << 8) + 0x7f00;
    p += 2;
  }
  if (count === 0) {
    // Nothing else may follow; the tables stay as they were for later Repeat_Mode.
    if (p !== end) throw corrupt('bytes follow an empty sequences section');
    return;
  }
  if (p >= end) throw corrupt('sequence compression modes are missing');
  const modes = src[p++];
  if ((modes & 3) !== 0) throw corrupt('reserved bits of the sequence compression modes are set');
  p = prepareTable(st.ll, modes >>> 6, src, p, end, LL_DEFAULT, 6, LL_MAX_LOG, LL_MAX_SYMBOL, 'literals lengths');
  p = prepareTable(st.of, (modes >>> 4) & 3, src, p, end, OF_DEFAULT, 5, OF_MAX_LOG, OF_MAX_SYMBOL, 'offsets');
  p = prepareTable(st.ml, (modes >>> 2) & 3, src, p, end, ML_DEFAULT, 6, ML_MAX_LOG, ML_MAX_SYMBOL, 'match lengths');
  // Each sequence's match is at least 3 bytes: refuse a count that cannot fit before decoding any.
  if (count * 3 > st.limit - st.op - (st.litEnd - st.litPos)) throw st.overflow();
  executeSequences(st, count, p, end);
}

/** Sets up one symbol type's table for the mode given; returns the position after its description. */
function prepareTable(
  table: FseTable,
  mode: number,
  src: Uint8Array,
  p: number,
  end: number,
  predefined: Int16Array,
  predefinedLog: number,
  maxLog: number,
  maxSymbol: number,
  what: string,
): number {
  if (mode === 0) {
    buildPredefinedTable(table, predefined, predefinedLog);
    return p;
  }
  if (mode === 1) {
    if (p >= end) throw corrupt(what + ': RLE symbol is missing');
    const sym = src[p];
    if (sym > maxSymbol) throw corrupt(what + ': RLE symbol ' + sym + ' is out of range');
    table.setRle(sym);
    return p + 1;
  }
  if (mode === 2) return p + readFseTable(table, src, p, end, maxLog, maxSymbol, what);
  if (table.log < 0) throw corrupt(what + ': Repeat_Mode without an earlier table in the frame');
  return p;
}

/**
 * Decodes `count` sequences from the backward bitstream src[start, end) and executes each as it
 * is decoded (literal copy, then match copy), so no sequence is ever stored.
 */
function executeSequences(st: FrameState, count: number, start: number, end: number): void {
  const bits = st.bits;
  bits.init(st.src, start, end, 'sequences bitstream');
  const llSymbol = st.ll.symbol;
  const llBits = st.ll.nbBits;
  const llBase = st.ll.base;
  const ofSymbol = st.of.symbol;
  const ofBits = st.of.nbBits;
  const ofBase = st.of.base;
  const mlSymbol = st.ml.symbol;
  const mlBits = st.ml.nbBits;
  const mlBase = st.ml.base;
  let llState = bits.read(st.ll.log);
  let ofState = bits.read(st.of.log);
  let mlState = bits.read(st.ml.log);

  const out = st.out;
  const litBuf = st.litBuf;
  const litEnd = st.litEnd;
  const frameStart = st.frameStart;
  const windowSize = st.windowSize;
  const limit = st.limit;
  let litPos = st.litPos;
  let op = st.op;
  let rep1 = st.rep1;
  let rep2 = st.rep2;
  let rep3 = st.rep3;

  for (let i = 0; i < count; i++) {
    // Extra bits come in the order offset, match length, literals length (RFC 8878 §3.1.1.3.2.1.2).
    const ofCode = ofSymbol[ofState];
    // Code 31 would mean an offset beyond 2^31, past any output this decoder accepts.
    if (ofCode > 30) throw corrupt('offset code ' + ofCode + ' is out of range');
    const ofValue = (1 << ofCode) + bits.read(ofCode);
    const mlCode = mlSymbol[mlState];
    const matchLength = ML_BASE[mlCode] + bits.read(ML_BITS[mlCode]);
    const llCode = llSymbol[llState];
    const literalsLength = LL_BASE[llCode] + bits.read(LL_BITS[llCode]);

    // Repeat offsets (RFC 8878 §3.1.2.5): values 1-3 name a recent offset, shifted by one when
    // the sequence has no literals; the used offset moves to the front.
    let offset: number;
    if (ofValue > 3) {
      offset = ofValue - 3;
      rep3 = rep2;
      rep2 = rep1;
      rep1 = offset;
    } else {
      const index = literalsLength === 0 ? ofValue : ofValue - 1;
      if (index === 0) {
        offset = rep1;
      } else if (index === 1) {
        offset = rep2;
        rep2 = rep1;
        rep1 = offset;
      } else {
        offset = index === 2 ? rep3 : rep1 - 1;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = offset;
      }
    }

    if (i + 1 < count) {
      // State updates come in the order literals length, match length, offset.
      llState = llBase[llState] + bits.read(llBits[llState]);
      mlState = mlBase[mlState] + bits.read(mlBits[mlState]);
      ofState = ofBase[ofState] + bits.read(ofBits[ofState]);
    }
    if (bits.pos < 0) throw corrupt('sequences bitstream ends before its sequences do');

    if (literalsLength > litEnd - litPos) throw corrupt('a sequence copies more literals than the block has');
    if (literalsLength > 0) {
      out.set(litBuf.subarray(litPos, litPos + literalsLength), op);
      op += literalsLength;
      litPos += literalsLength;
    }
    if (offset === 0 || offset > op - frameStart || offset > windowSize) {
      throw corrupt('a match offset reaches before the start of the frame or its window');
    }
    if (matchLength > limit - op - (litEnd - litPos)) {
      st.op = op;
      throw st.overflow();
    }
    copyMatch(out, op, offset, matchLength);
    op += matchLength;
  }
  if (bits.pos !== 0) throw corrupt('sequences bitstream has bits left over');
  st.op = op;
  st.litPos = litPos;
  st.rep1 = rep1;
  st.rep2 = rep2;
  st.rep3 = rep3;
}

/** Copies `length` bytes from `offset` back to out[op...]; the ranges may overlap (then the match repeats). */
function copyMatch(out: Uint8Array, op: number, offset: number, length: number): void {
  const from = op - offset;
  if (offset >= length) {
    out.set(out.subarray(from, from + length), op);
    return;
  }
  if (offset === 1) {
    out.fill(out[from], op, op + length);
    return;
  }
  // An overlapping match repeats the last `offset` bytes. Copy them once, then keep copying the
  // whole run written so far (doubling it): every copy reads only bytes already in place, and
  // since each run is a whole number of periods, the pattern continues unbroken.
  out.set(out.subarray(from, op), op);
  let done = offset;
  while (done < length) {
    const n = Math.min(length - done, offset + done);
    out.set(out.subarray(from, from + n), op + done);
    done += n;
  }
}
