import assert from 'node:assert/strict';
import { makeKey } from '../../../firmware/store/index-table';
import {
  SEGMENT_HEADER_SIZE,
  entryTag,
  frameOffsets,
  isSegmentOf,
  openEntry,
  sealEntry,
  segmentHeader,
  segmentKey,
} from '../../../firmware/store/log-segment';
import { Rig } from './helpers';

const rig = new Rig();
const c = rig.crypto;
const mk = new Uint8Array(32).fill(4);
const storeId = new Uint8Array(16).fill(5);
const key34 = makeKey(0x81, new Uint8Array([1, 2, 3]));

function segment(segNo: number, entries: string[]): { file: Uint8Array; key: Uint8Array } {
  const header = segmentHeader(rig.random, segNo, new Uint8Array(16).fill(0xaa));
  const key = segmentKey(c, mk, storeId, key34, 7, header);
  const parts: number[] = [...header];
  let prev: Uint8Array = header.subarray(40, 56);
  entries.forEach((text, k) => {
    const frame = sealEntry(c, rig.random, key, segNo * 4 + k, prev, Buffer.from(text));
    parts.push(...frame);
    prev = new Uint8Array(entryTag(frame, 0));
  });
  return { file: new Uint8Array(parts), key };
}

describe('firmware/store/log-segment', () => {
  it('entries open at their position after their predecessor, and nowhere else', () => {
    const { file, key } = segment(2, ['zero', 'one', 'two']);
    assert.equal(isSegmentOf(file, 2), true);
    assert.equal(isSegmentOf(file, 3), false);
    const offs = frameOffsets(file, 4);
    assert.equal(offs.length, 3);
    const headerPrev = file.subarray(40, 56);
    assert.equal(Buffer.from(openEntry(c, key, file, offs[0], 8, headerPrev)!).toString(), 'zero');
    assert.equal(Buffer.from(openEntry(c, key, file, offs[1], 9, entryTag(file, offs[0]))!).toString(), 'one');
    assert.equal(openEntry(c, key, file, offs[1], 10, entryTag(file, offs[0])), null, 'wrong position');
    assert.equal(openEntry(c, key, file, offs[1], 9, headerPrev), null, 'wrong predecessor');
    const otherKey = segmentKey(c, mk, storeId, key34, 8, file); // another incarnation of the log
    assert.equal(openEntry(c, otherKey, file, offs[0], 8, headerPrev), null);
  });

  it('frameOffsets never reads past the end: truncated and garbage files give only complete frames', () => {
    const { file } = segment(0, ['a', 'bb', 'ccc']);
    const full = frameOffsets(file, 255);
    for (let n = 0; n <= file.length; n++) {
      const offs = frameOffsets(file.subarray(0, n), 255);
      for (const o of offs) assert.ok(o + 4 + ((file[o] << 24) | (file[o + 1] << 16) | (file[o + 2] << 8) | file[o + 3]) <= n);
      assert.deepEqual(offs, full.filter((_o, i) => (i + 1 < full.length ? full[i + 1] : file.length) <= n));
    }
    assert.equal(frameOffsets(file, 2).length, 2, 'limit');
    for (let i = 0; i < 200; i++) {
      const g = rig.random.bytes(SEGMENT_HEADER_SIZE + i * 5);
      for (const o of frameOffsets(g, 255)) assert.ok(o >= SEGMENT_HEADER_SIZE && o < g.length);
    }
  });
});
