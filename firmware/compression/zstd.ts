/**
 * A zstd decompressor (RFC 8878) for the compressed chat bodies SimpleX peers send
 * (agent.md §10.1: 'X' ‖ NonEmpty Compressed, zstd level 3, at most ~16 KB decoded).
 *
 * Limits on hostile input:
 * - The output never exceeds `maxOutput`. The input is first walked frame by frame and block by
 *   block (headers only), so truncation, dictionaries and oversized declared sizes fail before
 *   any allocation. If every frame declares its content size, the sum must fit and the output
 *   buffer is allocated at exactly that size; otherwise it is allocated at `maxOutput` and
 *   decoding stops with 'too-large' at the first byte beyond it.
 * - Window size: this decoder writes the whole output into one flat buffer and matches read
 *   from it directly, so the window costs no memory of its own: a frame announcing an 8 MB (or
 *   larger) window is accepted and still decoded within `maxOutput` bytes. The window still
 *   bounds every match offset, as the RFC requires. Rejecting large windows would only refuse
 *   valid streamed frames (which announce a window because they cannot announce a size).
 * - Dictionaries are not supported: a frame naming one fails with 'unsupported'.
 * - Every table is validated as it is built, every read is bounds-checked, and every loop is
 *   bounded by the input or output size, so hostile input ends in a ZstdError, quickly.
 */

import { decodeCompressedBlock, FrameState } from './block';
import { ZstdError } from './errors';
import { xxh64 } from './xxhash64';

export { ZstdError } from './errors';
export type { ZstdErrorCode } from './errors';

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames use the 16 magic numbers 0x184D2A50..0x184D2A5F. */
const SKIPPABLE_MAGIC = 0x184d2a50;

/** No caller needs more, and it keeps every output position a small integer. */
const MAX_OUTPUT_LIMIT = 0x40000000;

/**
 * Decompresses one or more concatenated zstd frames (skippable frames are skipped).
 * `maxOutput` bounds the decompressed size; more is a ZstdError 'too-large'.
 *
 * The result may be a view (subarray) of a larger buffer when no frame declared its size.
 */
export function decompressZstd(frame: Uint8Array, maxOutput: number): Uint8Array {
  if (!(maxOutput >= 0 && maxOutput <= MAX_OUTPUT_LIMIT && maxOutput % 1 === 0)) {
    throw new ZstdError('invalid-argument', 'maxOutput must be an integer from 0 to ' + MAX_OUTPUT_LIMIT);
  }
  const declared = scanFrames(frame, maxOutput);
  const out = new Uint8Array(declared >= 0 ? declared : maxOutput);
  const st = new FrameState(frame, out);
  let pos = 0;
  while (pos < frame.length) pos = decodeFrame(st, pos);
  return st.op === out.length ? out : out.subarray(0, st.op);
}

interface FrameHeader {
  /** Bytes after the magic number up to the first block. */
  size: number;
  /** Frame_Content_Size, or -1 when the header does not say. */
  contentSize: number;
  windowSize: number;
  hasChecksum: boolean;
}

function u32le(src: Uint8Array, p: number): number {
  return (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
}

function truncated(what: string, at: number): ZstdError {
  return new ZstdError('truncated', 'input ends inside ' + what + ' (at byte ' + at + ')');
}

/** The magic number at `pos`, which must have four bytes. */
function readMagic(src: Uint8Array, pos: number): number {
  if (pos + 4 > src.length) throw truncated('a frame magic number', pos);
  return u32le(src, pos);
}

function isSkippable(magic: number): boolean {
  return (magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC;
}

/** Returns the position after the skippable frame at `pos`. */
function skipSkippable(src: Uint8Array, pos: number): number {
  if (pos + 8 > src.length) throw truncated('a skippable frame header', pos);
  const end = pos + 8 + u32le(src, pos + 4);
  if (end > src.length) throw truncated('a skippable frame', pos);
  return end;
}

/** RFC 8878 §3.1.1.1: the frame header that follows the magic number at `pos - 4`. */
function readFrameHeader(src: Uint8Array, pos: number): FrameHeader {
  if (pos >= src.length) throw truncated('a frame header', pos);
  const fhd = src[pos];
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  if ((fhd & 0x08) !== 0) {
    throw new ZstdError('unsupported', 'frame header at byte ' + pos + ' sets the reserved bit (a newer format?)');
  }
  const didFlag = fhd & 3;
  const didSize = didFlag === 3 ? 4 : didFlag;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  const size = 1 + (singleSegment ? 0 : 1) + didSize + fcsSize;
  if (pos + size > src.length) throw truncated('a frame header', pos);

  let p = pos + 1;
  let windowSize = 0;
  if (!singleSegment) {
    const wd = src[p++];
    // windowBase = 2^(10 + exponent), plus mantissa eighths of it; up to 2^41 + 7 * 2^38.
    let windowBase = 1024;
    for (let e = wd >>> 3; e > 0; e--) windowBase *= 2;
    windowSize = windowBase + (windowBase / 8) * (wd & 7);
  }
  if (didSize > 0) {
    let id = 0;
    let scale = 1;
    for (let i = 0; i < didSize; i++) {
      id += src[p++] * scale;
      scale *= 256;
    }
    // ID 0 means "no dictionary named"; any other one names content we do not have.
    if (id !== 0) throw new ZstdError('unsupported', 'frame needs dictionary ' + id + ', and dictionaries are not supported');
  }
  let contentSize = -1;
  if (fcsSize === 1) {
    contentSize = src[p];
  } else if (fcsSize === 2) {
    contentSize = (src[p] | (src[p + 1] << 8)) + 256;
  } else if (fcsSize === 4) {
    contentSize = u32le(src, p);
  } else if (fcsSize === 8) {
    // Exact below 2^53; anything at or above 2^32 is far past any maxOutput anyway.
    contentSize = u32le(src, p + 4) * 4294967296 + u32le(src, p);
  }
  if (singleSegment) windowSize = contentSize;
  return { size, contentSize, windowSize, hasChecksum: (fhd & 0x04) !== 0 };
}

/** The 3-byte block header at `p`: bit 0 last, bits 1-2 type, bits 3-23 size. */
function readBlockHeader(src: Uint8Array, p: number): number {
  if (p + 3 > src.length) throw truncated('a block header', p);
  return src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
}

/**
 * Walks every frame's headers and block headers without decoding, so structure, truncation,
 * dictionaries and oversized declared content fail before any allocation. Returns the total
 * declared content size, or -1 when some frame does not declare its size.
 */
function scanFrames(src: Uint8Array, maxOutput: number): number {
  if (src.length === 0) throw new ZstdError('truncated', 'input is empty: no zstd frame');
  let pos = 0;
  let total = 0;
  let allDeclared = true;
  while (pos < src.length) {
    const magic = readMagic(src, pos);
    if (isSkippable(magic)) {
      pos = skipSkippable(src, pos);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new ZstdError('bad-magic', 'no zstd frame at byte ' + pos);
    const header = readFrameHeader(src, pos + 4);
    if (header.contentSize < 0) {
      allDeclared = false;
    } else {
      total += header.contentSize;
      if (total > maxOutput) {
        throw new ZstdError('too-large', 'declared content size exceeds maxOutput (' + maxOutput + ' bytes)');
      }
    }
    const blockMax = header.windowSize < 131072 ? header.windowSize : 131072;
    let p = pos + 4 + header.size;
    for (;;) {
      const bh = readBlockHeader(src, p);
      const type = (bh >>> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) throw new ZstdError('corrupt', 'block at byte ' + p + ' has the reserved type');
      if (size > blockMax) throw new ZstdError('corrupt', 'block at byte ' + p + ' exceeds the block size limit');
      p += 3 + (type === 1 ? 1 : size);
      if (p > src.length) throw truncated('a block', p);
      if ((bh & 1) !== 0) break;
    }
    if (header.hasChecksum) {
      p += 4;
      if (p > src.length) throw truncated('a content checksum', p - 4);
    }
    pos = p;
  }
  return allDeclared ? total : -1;
}

/** Decodes the frame (or skips the skippable frame) at `pos`; returns the position after it. */
function decodeFrame(st: FrameState, pos: number): number {
  const src = st.src;
  const out = st.out;
  const magic = readMagic(src, pos);
  if (isSkippable(magic)) return skipSkippable(src, pos);
  if (magic !== ZSTD_MAGIC) throw new ZstdError('bad-magic', 'no zstd frame at byte ' + pos);
  const header = readFrameHeader(src, pos + 4);
  st.startFrame(header.contentSize, header.windowSize);
  let p = pos + 4 + header.size;
  for (;;) {
    const bh = readBlockHeader(src, p);
    const type = (bh >>> 1) & 3;
    const size = bh >>> 3;
    const blockAt = p;
    p += 3;
    if (size > st.blockMax) throw new ZstdError('corrupt', 'block at byte ' + blockAt + ' exceeds the block size limit');
    if (type === 0) {
      if (p + size > src.length) throw truncated('a raw block', p);
      if (size > st.limit - st.op) throw st.overflow();
      out.set(src.subarray(p, p + size), st.op);
      st.op += size;
      p += size;
    } else if (type === 1) {
      if (p + 1 > src.length) throw truncated('an RLE block', p);
      if (size > st.limit - st.op) throw st.overflow();
      out.fill(src[p], st.op, st.op + size);
      st.op += size;
      p += 1;
    } else if (type === 2) {
      if (p + size > src.length) throw truncated('a compressed block', p);
      const blockStart = st.op;
      decodeCompressedBlock(st, p, p + size);
      if (st.op - blockStart > st.blockMax) {
        throw new ZstdError('corrupt', 'block at byte ' + blockAt + ' decodes to more than the block size limit');
      }
      p += size;
    } else {
      throw new ZstdError('corrupt', 'block at byte ' + blockAt + ' has the reserved type');
    }
    if ((bh & 1) !== 0) break;
  }
  if (header.contentSize >= 0 && st.op - st.frameStart !== header.contentSize) {
    throw new ZstdError('corrupt', 'frame at byte ' + pos + ' decodes to a size other than the one it declares');
  }
  if (header.hasChecksum) {
    if (p + 4 > src.length) throw truncated('a content checksum', p);
    // XXH64 of the frame's content, low 32 bits, little-endian. Not a secret: a plain compare is right.
    if (xxh64(out.subarray(st.frameStart, st.op)).lo !== u32le(src, p)) {
      throw new ZstdError('checksum', 'frame at byte ' + pos + ' fails its content checksum');
    }
    p += 4;
  }
  return p;
}
