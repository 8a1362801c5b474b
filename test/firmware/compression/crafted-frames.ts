/**
 * Hand-built zstd frames for format features the reference encoder does not emit on its own
 * (every frame header variant, RLE literals, the 3-byte sequence count, RLE sequence tables
 * with a shared repeat offset) and for skippable and concatenated frames.
 *
 * make-fixtures.ts runs each one through the reference decoder (`zstd -d`) and records the
 * frame's SHA-256 only if the reference decodes it to `content`; the tests rebuild the frames,
 * check they are byte-identical to what the reference accepted, then decode them.
 */

export interface Built {
  frame: Uint8Array;
  content: Uint8Array;
}

export interface Crafted {
  name: string;
  description: string;
  built: Built;
  maxOutput?: number;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    out[i] = value % 256;
    value = Math.floor(value / 256);
  }
  return out;
}

const MAGIC = le(0xfd2fb528, 4);

export interface HeaderOptions {
  /** Single_Segment_flag (then no window descriptor). */
  single: boolean;
  /** FCS field size 0, 1, 2, 4 or 8 (1 only with single, 0 only without). */
  fcsBytes: 0 | 1 | 2 | 4 | 8;
  contentSize: number;
  /** Window_Descriptor byte when not single. */
  windowDescriptor?: number;
  /** DID field size 0, 1, 2 or 4 and its value. */
  didBytes?: 0 | 1 | 2 | 4;
  dictionaryId?: number;
  checksum?: boolean;
  /** Sets Unused_bit, which a decoder must ignore. */
  unusedBit?: boolean;
  /** Sets Reserved_bit, which a decoder must refuse. */
  reservedBit?: boolean;
}

/** Magic number and frame header (RFC 8878 §3.1.1.1). */
export function frameHeader(o: HeaderOptions): Uint8Array {
  const fcsFlag = o.fcsBytes === 8 ? 3 : o.fcsBytes === 4 ? 2 : o.fcsBytes === 2 ? 1 : 0;
  const didBytes = o.didBytes ?? 0;
  const didFlag = didBytes === 4 ? 3 : didBytes;
  const fhd = (fcsFlag << 6) | (o.single ? 0x20 : 0) | (o.unusedBit ? 0x10 : 0) | (o.reservedBit ? 0x08 : 0) |
    (o.checksum ? 0x04 : 0) | didFlag;
  const parts = [MAGIC, new Uint8Array([fhd])];
  if (!o.single) parts.push(new Uint8Array([o.windowDescriptor ?? 0]));
  if (didBytes > 0) parts.push(le(o.dictionaryId ?? 0, didBytes));
  if (o.fcsBytes === 2) parts.push(le(o.contentSize - 256, 2));
  else if (o.fcsBytes > 0) parts.push(le(o.contentSize, o.fcsBytes));
  return concat(parts);
}

/** Block header: last flag, type (0 raw, 1 RLE, 2 compressed), size. */
export function blockHeader(last: boolean, type: number, size: number): Uint8Array {
  return le((size << 3) | (type << 1) | (last ? 1 : 0), 3);
}

export function skippableFrame(magicLowNibble: number, data: Uint8Array): Uint8Array {
  return concat([le(0x184d2a50 + magicLowNibble, 4), le(data.length, 4), data]);
}

/** The blocks (and checksum, if any) of a frame: everything after its header. */
export function frameBody(frame: Uint8Array): Uint8Array {
  const fhd = frame[4];
  const single = (fhd & 0x20) !== 0;
  const fcsFlag = fhd >> 6;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  const didBytes = [0, 1, 2, 4][fhd & 3];
  return frame.subarray(5 + (single ? 0 : 1) + didBytes + fcsBytes);
}

/** A compressed block made only of RLE literals (no sequences): the 1-, 2- and 3-byte size headers by size. */
function rleLiteralsBlock(last: boolean, byte: number, count: number): Uint8Array {
  let lit: Uint8Array;
  if (count < 32) lit = new Uint8Array([1 | (count << 3)]);
  else if (count < 4096) lit = new Uint8Array([1 | (1 << 2) | ((count & 15) << 4), count >> 4]);
  else lit = new Uint8Array([1 | (3 << 2) | ((count & 15) << 4), (count >> 4) & 255, count >> 12]);
  const body = concat([lit, new Uint8Array([byte, 0])]); // literal byte, then Number_of_Sequences = 0
  return concat([blockHeader(last, 2, body.length), body]);
}

/**
 * A compressed block of `count` (>= 0x7F00, so the 3-byte count form) sequences with no literals,
 * each "match 3 bytes at offset 1": all three tables in RLE_Mode (literals length code 0, offset
 * code 2, match length code 0). Offset code 2 reads 2 extra bits; all zero gives Offset_Value 4,
 * offset 1. So the bitstream is 2 * count zero bits, then the end marker.
 */
function manySequencesBlock(last: boolean, count: number): Uint8Array {
  const n = count - 0x7f00;
  const header = new Uint8Array([0x00, 0xff, n & 255, n >> 8, (1 << 6) | (1 << 4) | (1 << 2), 0, 2, 0]);
  const bits = 2 * count;
  const stream = new Uint8Array((bits >> 3) + 1);
  stream[bits >> 3] = 1 << (bits & 7);
  const body = concat([header, stream]);
  return concat([blockHeader(last, 2, body.length), body]);
}

function repeatByte(byte: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

/** Every crafted frame, built from the reference-encoded fixtures `ref` returns by name. */
export function craftedFrames(ref: (name: string) => Built): Crafted[] {
  const out: Crafted[] = [];
  const k1 = ref('chat-1k-l3'); // 1000 bytes, single segment, 2-byte FCS, no checksum
  const body = frameBody(k1.frame);
  const rewrap = (name: string, description: string, o: Omit<HeaderOptions, 'contentSize'>): void => {
    out.push({ name, description, built: { frame: concat([frameHeader({ ...o, contentSize: 1000 }), body]), content: k1.content } });
  };
  rewrap('header-fcs4-single', 'chat-1k-l3 blocks under a 4-byte Frame_Content_Size', { single: true, fcsBytes: 4 });
  rewrap('header-fcs8-single', 'chat-1k-l3 blocks under an 8-byte Frame_Content_Size', { single: true, fcsBytes: 8 });
  rewrap('header-window1k-fcs2', 'chat-1k-l3 blocks, 1 KB Window_Descriptor and a 2-byte size', { single: false, fcsBytes: 2, windowDescriptor: 0 });
  rewrap('header-window1k-no-fcs', 'chat-1k-l3 blocks, 1 KB Window_Descriptor, no size', { single: false, fcsBytes: 0, windowDescriptor: 0 });
  rewrap('header-window8m-fcs8', 'chat-1k-l3 blocks, 8 MB window (exponent 13) and an 8-byte size', { single: false, fcsBytes: 8, windowDescriptor: 13 << 3 });
  rewrap('header-window-mantissa', 'chat-1k-l3 blocks, window 2^10 + 7/8 of it (mantissa 7), no size', { single: false, fcsBytes: 0, windowDescriptor: 7 });
  rewrap('header-did1-zero', 'chat-1k-l3 blocks, 1-byte Dictionary_ID 0 (no dictionary)', { single: true, fcsBytes: 2, didBytes: 1 });
  rewrap('header-did2-zero', 'chat-1k-l3 blocks, 2-byte Dictionary_ID 0', { single: true, fcsBytes: 2, didBytes: 2 });
  rewrap('header-did4-zero', 'chat-1k-l3 blocks, 4-byte Dictionary_ID 0', { single: true, fcsBytes: 2, didBytes: 4 });
  rewrap('header-unused-bit', 'chat-1k-l3 blocks with Unused_bit set', { single: true, fcsBytes: 2, unusedBit: true });

  const a = repeatByte(0x78, 20);
  const b = repeatByte(0x79, 1000);
  const c = repeatByte(0x7a, 5000);
  const rleLiterals: Crafted = {
    name: 'rle-literals',
    description: 'three compressed blocks of RLE literals only (1-, 2- and 3-byte literal headers)',
    built: {
      frame: concat([
        frameHeader({ single: true, fcsBytes: 2, contentSize: 6020, checksum: false }),
        rleLiteralsBlock(false, 0x78, 20),
        rleLiteralsBlock(false, 0x79, 1000),
        rleLiteralsBlock(true, 0x7a, 5000),
      ]),
      content: concat([a, b, c]),
    },
  };
  out.push(rleLiterals);

  const count = 33000;
  out.push({
    name: 'many-sequences',
    description: 'a raw block of one byte, then 33000 sequences (3-byte count, RLE tables) repeating it',
    built: {
      frame: concat([
        frameHeader({ single: true, fcsBytes: 4, contentSize: 1 + 3 * count }),
        blockHeader(false, 0, 1),
        new Uint8Array([0x61]),
        manySequencesBlock(true, count),
      ]),
      content: repeatByte(0x61, 1 + 3 * count),
    },
    maxOutput: 1 + 3 * count,
  });

  const t1 = ref('tiny-chat-l3');
  const t2 = ref('tiny-chat-l3-check');
  out.push({
    name: 'skippable-around',
    description: 'skippable frames (magic ...50, ...5F, ...57) before, between and after two frames',
    built: {
      frame: concat([
        skippableFrame(0, new Uint8Array([1, 2, 3, 4, 5])),
        t1.frame,
        skippableFrame(15, new Uint8Array(0)),
        t2.frame,
        skippableFrame(7, new Uint8Array(300).fill(0xee)),
      ]),
      content: concat([t1.content, t2.content]),
    },
  });

  const big = ref('chat-16k-l3');
  const info = ref('info-14k-l19-check');
  const stream = ref('tiny-chat-stream');
  out.push({
    name: 'concatenated',
    description: 'chat-16k-l3, tiny-chat-stream (no size), info-14k-l19-check and rle-literals, back to back',
    built: {
      frame: concat([big.frame, stream.frame, info.frame, rleLiterals.built.frame]),
      content: concat([big.content, stream.content, info.content, rleLiterals.built.content]),
    },
    maxOutput: 65536,
  });
  return out;
}
