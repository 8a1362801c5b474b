import assert from 'node:assert/strict';
import { StoreError } from '../../../firmware/store/errors';
import { KIND_COMMIT, KIND_SNAPSHOT, frameTag, journalKey, newJournalHeader, scanJournal, sealFrame } from '../../../firmware/store/journal';
import type { Frame } from '../../../firmware/store/journal';
import { Rig, expectStoreError } from './helpers';

const rig = new Rig();
const c = rig.crypto;
const mk = new Uint8Array(32).fill(1);
const storeId = new Uint8Array(16).fill(2);

/** A journal: header, a snapshot (seq 10) and `commits` commit frames of varying size. */
function journal(commits: number): { file: Uint8Array; starts: number[]; key: Uint8Array } {
  const header = newJournalHeader(rig.random, storeId);
  const key = journalKey(c, mk, storeId, header);
  const parts = [header];
  const starts: number[] = [];
  let pos = header.length;
  let prev: Uint8Array = new Uint8Array(16).fill(0xee);
  for (let i = 0; i <= commits; i++) {
    const frame = sealFrame(c, rig.random, key, 10 + i, i === 0 ? KIND_SNAPSHOT : KIND_COMMIT, prev, new Uint8Array(i * 69).fill(i));
    starts.push(pos);
    parts.push(frame);
    pos += frame.length;
    prev = new Uint8Array(frameTag(frame));
  }
  const file = new Uint8Array(pos);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return { file, starts, key };
}

function scan(file: Uint8Array, key: Uint8Array) {
  const seen: Frame[] = [];
  const r = scanJournal(c, key, file, (f) => seen.push(f));
  return { ...r, seqs: seen.map((f) => f.seq) };
}

describe('firmware/store/journal', () => {
  it('reads every frame in order and joins the chain', () => {
    const { file, key } = journal(4);
    const r = scan(file, key);
    assert.deepEqual(r.seqs, [10, 11, 12, 13, 14]);
    assert.equal(r.validEnd, file.length);
    assert.equal(r.damage, null);
    assert.equal(r.baseSeq, 10);
    assert.deepEqual([...r.basePrevTag], new Array(16).fill(0xee));
  });

  it('a torn last frame, cut at any byte or zero-filled from any byte, is a torn tail', () => {
    const { file, starts, key } = journal(3);
    const last = starts[starts.length - 1];
    for (let cut = last; cut < file.length; cut++) {
      const prefix = scan(file.subarray(0, cut), key);
      assert.deepEqual([prefix.damage, prefix.validEnd, prefix.seqs.length], [null, last, 3], 'cut at ' + cut);
      const zeros = file.slice();
      zeros.fill(0, cut);
      const z = scan(zeros, key);
      assert.deepEqual([z.damage, z.validEnd, z.seqs.length], [null, last, 3], 'zero-filled from ' + cut);
    }
  });

  it('a flipped bit at any offset of a middle frame is damage, never a torn tail', () => {
    const { file, starts, key } = journal(4);
    for (let at = starts[2]; at < starts[3]; at++) {
      const bad = file.slice();
      bad[at] ^= 0x10;
      const r = scan(bad, key);
      assert.ok(r.damage !== null, 'flip at ' + at + ' was taken for a torn tail');
      assert.equal(r.validEnd, starts[2]);
      assert.deepEqual(r.seqs, [10, 11]);
    }
  });

  it('frames swapped, repeated, or a snapshot after the first frame: damage', () => {
    const { file, starts, key } = journal(3);
    const f1 = file.slice(starts[1], starts[2]);
    const f2 = file.slice(starts[2], starts[3]);
    const swapped = file.slice();
    swapped.set(f2, starts[1]);
    swapped.set(f1, starts[1] + f2.length);
    assert.match(scan(swapped, key).damage!, /does not continue/);
    const repeated = new Uint8Array([...file, ...f2]);
    assert.match(scan(repeated, key).damage!, /does not continue/);
    const snapshotAgain = new Uint8Array([...file, ...file.subarray(starts[0], starts[1])]);
    assert.ok(scan(snapshotAgain, key).damage !== null);
  });

  it('an unreadable snapshot, the wrong key, a foreign or broken header: typed errors', () => {
    const { file, starts, key } = journal(2);
    const bad = file.slice();
    bad[starts[0] + 30] ^= 1;
    expectStoreError(() => scan(bad, key), 'damaged', 'journal');
    expectStoreError(() => scan(file, new Uint8Array(32)), 'damaged', 'journal');
    expectStoreError(() => scan(file.subarray(0, 56), key), 'damaged', 'journal');
    expectStoreError(() => journalKey(c, mk, new Uint8Array(16), file), 'damaged', 'journal');
    for (let n = 0; n < 56; n++) expectStoreError(() => journalKey(c, mk, storeId, file.subarray(0, n)), 'damaged', 'journal');
  });

  it('garbage of any length never escapes as anything but a typed error', () => {
    const { file, key } = journal(1);
    for (let i = 0; i < 300; i++) {
      const g = rig.random.bytes(i * 3);
      if (i % 2 === 0) g.set(file.subarray(0, Math.min(56, g.length)), 0);
      try {
        journalKey(c, mk, storeId, g);
        scan(g, key);
      } catch (e) {
        assert.ok(e instanceof StoreError, String(e));
      }
    }
  });
});
