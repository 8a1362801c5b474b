/**
 * A test-only walk over zstd frame structure (headers of frames, blocks, literals and sequences
 * sections; RFC 8878 §3), independent of the decoder. It lists which format features a frame
 * uses, so the tests can prove the fixture set exercises every one the decoder implements.
 * It trusts its input: use it only on the reference encoder's frames.
 */

export type Feature =
  | 'single-segment' | 'window-descriptor' | 'checksum' | 'no-content-size'
  | 'fcs-1' | 'fcs-2' | 'fcs-4' | 'fcs-8'
  | 'block-raw' | 'block-rle' | 'block-compressed' | 'multiple-blocks' | 'skippable'
  | 'literals-raw' | 'literals-rle' | 'literals-huffman' | 'literals-treeless'
  | 'huffman-1-stream' | 'huffman-4-streams' | 'literals-size-10' | 'literals-size-14' | 'literals-size-18'
  | 'weights-fse' | 'weights-direct'
  | 'no-sequences' | 'sequences-count-1' | 'sequences-count-2' | 'sequences-count-3'
  | 'seq-predefined' | 'seq-rle' | 'seq-fse' | 'seq-repeat';

export function inspectFrames(src: Uint8Array): Set<Feature> {
  const f = new Set<Feature>();
  let pos = 0;
  const u32 = (p: number): number => (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
  while (pos < src.length) {
    const magic = u32(pos);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      f.add('skippable');
      pos += 8 + u32(pos + 4);
      continue;
    }
    if (magic !== 0xfd2fb528) throw new Error('inspector: not a zstd frame at ' + pos);
    const fhd = src[pos + 4];
    const single = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >> 6;
    const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
    const didSize = [0, 1, 2, 4][fhd & 3];
    f.add(single ? 'single-segment' : 'window-descriptor');
    if (fhd & 4) f.add('checksum');
    f.add(fcsSize === 0 ? 'no-content-size' : (('fcs-' + fcsSize) as Feature));
    let p = pos + 5 + (single ? 0 : 1) + didSize + fcsSize;
    let blocks = 0;
    for (;;) {
      const bh = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      p += 3;
      blocks++;
      if (type === 0) f.add('block-raw');
      if (type === 1) f.add('block-rle');
      if (type === 2) {
        f.add('block-compressed');
        inspectBlock(src, p, p + size, f);
      }
      p += type === 1 ? 1 : size;
      if (bh & 1) break;
    }
    if (blocks > 1) f.add('multiple-blocks');
    pos = p + (fhd & 4 ? 4 : 0);
  }
  return f;
}

function inspectBlock(src: Uint8Array, start: number, end: number, f: Set<Feature>): void {
  const b0 = src[start];
  const type = b0 & 3;
  const format = (b0 >> 2) & 3;
  let p: number;
  if (type < 2) {
    const hdr = (format & 1) === 0 ? 1 : format === 1 ? 2 : 3;
    const regen = hdr === 1 ? b0 >> 3 : hdr === 2 ? (b0 >> 4) + (src[start + 1] << 4) : (b0 >> 4) + (src[start + 1] << 4) + (src[start + 2] << 12);
    f.add(type === 0 ? 'literals-raw' : 'literals-rle');
    p = start + hdr + (type === 0 ? regen : 1);
  } else {
    f.add(type === 2 ? 'literals-huffman' : 'literals-treeless');
    f.add(format === 0 ? 'huffman-1-stream' : 'huffman-4-streams');
    const hdr = format <= 1 ? 3 : format === 2 ? 4 : 5;
    f.add(hdr === 3 ? 'literals-size-10' : hdr === 4 ? 'literals-size-14' : 'literals-size-18');
    let v = 0;
    for (let i = hdr - 1; i >= 0; i--) v = v * 256 + src[start + i];
    const compressed = Math.floor(v / (1 << (4 + (hdr === 3 ? 10 : hdr === 4 ? 14 : 18))));
    if (type === 2) f.add(src[start + hdr] < 128 ? 'weights-fse' : 'weights-direct');
    p = start + hdr + compressed;
  }
  const c0 = src[p];
  if (c0 === 0) {
    f.add('no-sequences');
    return;
  }
  f.add(c0 < 128 ? 'sequences-count-1' : c0 < 255 ? 'sequences-count-2' : 'sequences-count-3');
  p += c0 < 128 ? 1 : c0 < 255 ? 2 : 3;
  if (p >= end) throw new Error('inspector: sequences section cut off');
  const modes = src[p];
  const names: Feature[] = ['seq-predefined', 'seq-rle', 'seq-fse', 'seq-repeat'];
  f.add(names[(modes >> 6) & 3]);
  f.add(names[(modes >> 4) & 3]);
  f.add(names[(modes >> 2) & 3]);
}
