/**
 * Every kind of file on the card, damaged, truncated, swapped and replayed: each case is a typed
 * error naming what is wrong, and the rest of the store keeps working.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StoreError } from '../../../firmware/store/errors';
import { StoreType } from '../../../firmware/store/record-types';
import type { Store } from '../../../firmware/store/store';
import { FaultyStorage, PowerBudget } from './faulty-storage';
import { PIN, Rig, bytes, changedBy, expectStoreError, fileCopy, flipByte, text, texts } from './helpers';
import { StorageError } from '../../../hal/storage';

const R = StoreType.Contact;
const H = StoreType.History;

/** A store with two records and a log of 5 entries in segments of 2; returns the files of each. */
function populated(options: { anchor?: boolean; journalLimit?: number } = {}) {
  const rig = new Rig(options);
  const s = rig.create();
  const aFiles = changedBy(rig.card, () => s.put(R, bytes('a'), bytes('record a'))).filter((p) => p.startsWith('sg/r/'));
  const bFiles = changedBy(rig.card, () => s.put(R, bytes('b'), bytes('record b'))).filter((p) => p.startsWith('sg/r/'));
  s.createLog(H, bytes('log'), 2);
  for (let i = 0; i < 5; i++) s.append(H, bytes('log'), bytes('entry ' + i));
  assert.equal(aFiles.length, 1);
  assert.equal(bFiles.length, 1);
  const segments = rig.segmentFiles();
  assert.equal(segments.length, 3);
  return { rig, s, a: aFiles[0], b: bFiles[0], segments };
}

/** The store still reads and writes everything not damaged. */
function stillWorks(s: Store, skip: string[] = []): void {
  if (!skip.includes('a')) assert.equal(text(s.get(R, bytes('a'))), 'record a');
  if (!skip.includes('b')) assert.equal(text(s.get(R, bytes('b'))), 'record b');
  s.put(R, bytes('c'), bytes('new record'));
  assert.equal(text(s.get(R, bytes('c'))), 'new record');
  s.append(H, bytes('other'), bytes('other log'));
  assert.deepEqual(texts(s.read(H, bytes('other'), 0, 1)), ['other log']);
}

describe('firmware/store: damaged and tampered files', () => {
  describe('keyring', () => {
    it('a flipped bit anywhere is reported as a damaged keyring, not a wrong PIN, and is not counted', () => {
      const { rig, s } = populated();
      s.lock();
      const good = fileCopy(rig.card, 'sg/keyring');
      for (let i = 0; i < good.length; i++) {
        rig.card.files.set('sg/keyring', good.slice());
        flipByte(rig.card, 'sg/keyring', i, 1 << i % 8);
        expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'keyring');
      }
      assert.equal(rig.open().attempts().failures, 0);
      rig.card.files.set('sg/keyring', good);
      stillWorks(rig.reopen());
    });

    it('truncated, extended, empty, garbage or missing', () => {
      const { rig, s } = populated();
      s.lock();
      const good = fileCopy(rig.card, 'sg/keyring');
      for (const bad of [good.slice(0, 139), new Uint8Array([...good, 0]), new Uint8Array(0), new Uint8Array(140).fill(0x5a)]) {
        rig.card.files.set('sg/keyring', bad);
        expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'keyring');
      }
      rig.card.files.delete('sg/keyring');
      expectStoreError(() => rig.open().unlock(PIN), 'no-store');
      assert.equal(rig.open().state(), 'absent');
    });

    it('edits with a recomputed checksum: the header is bound to the wrapped key, so no PIN opens it', () => {
      const { rig, s } = populated();
      s.lock();
      const good = fileCopy(rig.card, 'sg/keyring');
      const reseal = (k: Uint8Array): Uint8Array => {
        k.set(createHash('sha256').update(k.subarray(0, 124)).digest().subarray(0, 16), 124);
        return k;
      };
      // iterations lowered, wipe count removed, store id changed, salt changed, wrapped key changed
      for (const [at, mask] of [[11, 0x01], [13, 0x05], [20, 0x80], [40, 0x01], [100, 0x01]]) {
        const k = good.slice();
        k[at] ^= mask;
        rig.card.files.set('sg/keyring', reseal(k));
        const t = rig.open();
        rig.clock.advance(3600000); // these do count as wrong PINs: wait out the delay
        const e = expectStoreError(() => t.unlock(PIN), 'wrong-pin');
        assert.equal(e.item, '');
      }
      const v2 = good.slice();
      v2[4] = 2;
      rig.card.files.set('sg/keyring', reseal(v2));
      expectStoreError(() => rig.open().unlock(PIN), 'unsupported', 'keyring');
      const lowIterations = good.slice();
      lowIterations.set([0, 0, 0, 1], 8);
      rig.card.files.set('sg/keyring', reseal(lowIterations));
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'keyring');
      rig.card.files.set('sg/keyring', good);
      const ok = rig.open();
      rig.clock.advance(3600000);
      ok.unlock(PIN);
      stillWorks(ok);
    });

    it('a garbage wrong-PIN counter counts as zero (it is unauthenticated by necessity)', () => {
      const { rig, s } = populated();
      s.lock();
      rig.card.files.set('sg/tries', new Uint8Array([1, 2, 3]));
      assert.equal(rig.open().attempts().failures, 0);
      stillWorks(rig.reopen());
    });
  });

  describe('journal', () => {
    it('a damaged snapshot: the index is lost, reported as such', () => {
      const { rig, s } = populated({ journalLimit: 100 }); // compacted after every commit
      s.lock();
      flipByte(rig.card, 'sg/journal', 56 + 40);
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'journal');
      expectStoreError(() => rig.open().unlock(PIN, { repair: true }), 'damaged', 'journal');
    });

    it('a damaged frame in the middle is refused; repair keeps the commits before it', () => {
      const { rig, s } = populated();
      const before = rig.card.fileSize('sg/journal');
      s.put(R, bytes('late'), bytes('written after the damage'));
      s.lock();
      // The frame of the 2nd commit (put b) sits after the snapshot and the 1st commit.
      const j = fileCopy(rig.card, 'sg/journal');
      const firstCommit = 56 + 4 + readLen(j, 56);
      const secondCommit = firstCommit + 4 + readLen(j, firstCommit);
      for (const at of [secondCommit + 50, secondCommit + 2 /* its length field */, secondCommit + 6 /* its seq */]) {
        rig.card.files.set('sg/journal', j.slice());
        flipByte(rig.card, 'sg/journal', at);
        const e = expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'journal');
        assert.match(e.message, /repair/);
      }
      const t = rig.open();
      const report = t.unlock(PIN, { repair: true });
      assert.equal(report.repaired, true);
      assert.equal(text(t.get(R, bytes('a'))), 'record a');
      assert.equal(t.get(R, bytes('b')), null, 'the damaged commit is gone');
      assert.equal(t.get(R, bytes('late')), null, 'and so is everything after it');
      assert.ok(rig.card.fileSize('sg/journal') < before);
      t.put(R, bytes('b'), bytes('record b'));
      stillWorks(t);
      stillWorks(rig.reopen());
    });

    it('a damaged last frame is indistinguishable from a torn append: dropped without an anchor, refused with one', () => {
      for (const anchor of [false, true]) {
        const { rig, s } = populated({ anchor });
        s.put(R, bytes('last'), bytes('last commit'));
        s.lock();
        flipByte(rig.card, 'sg/journal', -1);
        if (!anchor) {
          const t = rig.open();
          assert.ok(t.unlock(PIN).tornBytes > 0);
          assert.equal(t.get(R, bytes('last')), null);
          stillWorks(t);
        } else {
          expectStoreError(() => rig.open().unlock(PIN), 'rollback', 'card');
        }
      }
    });

    it('garbage after the last frame is cut off as a torn tail', () => {
      const { rig, s } = populated();
      s.lock();
      const j = fileCopy(rig.card, 'sg/journal');
      for (const tail of [new Uint8Array(1), new Uint8Array(37), new Uint8Array(300).fill(0xab), j.subarray(60, 200)]) {
        rig.card.files.set('sg/journal', new Uint8Array([...j, ...tail]));
        const t = rig.open();
        assert.equal(t.unlock(PIN).tornBytes, tail.length);
        assert.equal(rig.card.fileSize('sg/journal'), j.length);
        stillWorks(t, []);
        t.lock();
        rig.card.files.set('sg/journal', j.slice());
      }
      // A complete, authentic frame cannot come from a torn append: replaying one is damage.
      rig.card.files.set('sg/journal', new Uint8Array([...j, ...j.subarray(56, 200)]));
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'journal');
    });

    it('an older journal with newer record files: the stale index is caught record by record', () => {
      const { rig, s, a } = populated();
      const oldJournal = fileCopy(rig.card, 'sg/journal');
      s.put(R, bytes('a'), bytes('record a, v2'));
      s.put(R, bytes('a'), bytes('record a, v3')); // back in the original slot
      s.lock();
      rig.card.files.set('sg/journal', oldJournal);
      const t = rig.open();
      t.unlock(PIN); // without an anchor this cannot be seen at unlock...
      const e = expectStoreError(() => t.get(R, bytes('a')), 'rollback', 'record 0x03 61');
      assert.match(e.message, /index does not know/);
      assert.ok(rig.card.files.has(a));
      assert.equal(text(t.get(R, bytes('b'))), 'record b'); // ...and everything else still works
      t.put(R, bytes('a'), bytes('healed'));
      assert.equal(text(t.get(R, bytes('a'))), 'healed');
    });

    it('a journal from another store is refused', () => {
      const one = populated();
      const two = populated();
      one.s.lock();
      one.rig.card.files.set('sg/journal', fileCopy(two.rig.card, 'sg/journal'));
      expectStoreError(() => one.rig.open().unlock(PIN), 'damaged', 'journal');
    });

    it('a missing journal, or one with a broken header', () => {
      const { rig, s } = populated();
      s.lock();
      const j = fileCopy(rig.card, 'sg/journal');
      rig.card.files.delete('sg/journal');
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'journal');
      for (const at of [0, 10, 30, 53]) {
        rig.card.files.set('sg/journal', j.slice());
        flipByte(rig.card, 'sg/journal', at);
        expectStoreError(() => rig.open().unlock(PIN), at === 53 ? 'unsupported' : 'damaged', 'journal');
      }
    });
  });

  describe('rollback of the whole card', () => {
    function snapshotCard(rig: Rig): Map<string, Uint8Array> {
      return new Map([...rig.card.files].map(([k, v]) => [k, v.slice()]));
    }
    function restoreCard(rig: Rig, copy: Map<string, Uint8Array>): void {
      rig.card.files.clear();
      for (const [k, v] of copy) rig.card.files.set(k, v.slice());
    }

    it('without an anchor an older copy of the whole card cannot be told from the past (documented limit)', () => {
      const { rig, s } = populated();
      s.lock();
      const old = snapshotCard(rig);
      const t = rig.reopen();
      t.put(R, bytes('a'), bytes('newer'));
      t.lock();
      restoreCard(rig, old);
      assert.equal(text(rig.reopen().get(R, bytes('a'))), 'record a');
    });

    it('with an anchor it is refused at unlock; acceptRollback re-anchors to the card on purpose', () => {
      const { rig, s } = populated({ anchor: true });
      s.lock();
      const old = snapshotCard(rig);
      const t = rig.reopen();
      t.put(R, bytes('a'), bytes('newer'));
      t.lock();
      restoreCard(rig, old);
      const e = expectStoreError(() => rig.open().unlock(PIN), 'rollback', 'card');
      assert.match(e.message, /older than this device has seen/);
      const u = rig.open();
      assert.ok(u.unlock(PIN, { acceptRollback: true }).acceptedRollbackFrom > 0);
      assert.equal(text(u.get(R, bytes('a'))), 'record a');
      u.put(R, bytes('x'), bytes('after the accepted rollback'));
      u.lock();
      assert.equal(text(rig.reopen().get(R, bytes('x'))), 'after the accepted rollback');
    });

    it('with an anchor a forked history (old copy written to afterwards) is refused too', () => {
      const { rig, s } = populated({ anchor: true });
      s.lock();
      const old = snapshotCard(rig);
      const oldFlash = new Map([...rig.flash!.files].map(([k, v]) => [k, v.slice()]));
      const t = rig.reopen();
      t.put(R, bytes('a'), bytes('branch one'));
      t.lock();
      const flashNow = new Map([...rig.flash!.files].map(([k, v]) => [k, v.slice()]));
      // The old card, written on once with the old flash: same length of history, other content.
      restoreCard(rig, old);
      rig.flash!.files.clear();
      for (const [k, v] of oldFlash) rig.flash!.files.set(k, v);
      const u = rig.reopen();
      u.put(R, bytes('a'), bytes('branch two'));
      u.lock();
      rig.flash!.files.clear();
      for (const [k, v] of flashNow) rig.flash!.files.set(k, v);
      const e = expectStoreError(() => rig.open().unlock(PIN), 'rollback', 'card');
      assert.match(e.message, /differs/);
    });

    it('with an anchor, cutting committed frames off the journal end is refused', () => {
      const { rig, s } = populated({ anchor: true });
      const size = rig.card.fileSize('sg/journal');
      s.put(R, bytes('a'), bytes('newer'));
      s.lock();
      rig.card.truncateFile('sg/journal', size);
      expectStoreError(() => rig.open().unlock(PIN), 'rollback', 'card');
    });

    it('a corrupted device key part in internal flash is damage, never a wrong PIN (which could end in a wipe)', () => {
      const { rig, s } = populated({ anchor: true });
      s.lock();
      const good = fileCopy(rig.flash!, 'sgsec');
      for (let i = 0; i < good.length; i++) {
        rig.flash!.files.set('sgsec', good.slice());
        flipByte(rig.flash!, 'sgsec', i);
        expectStoreError(() => rig.open().unlock(PIN), i < 20 ? 'anchor-missing' : 'damaged', 'anchor');
      }
      rig.flash!.files.set('sgsec', good.slice(0, 52));
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'anchor');
      assert.equal(rig.open().attempts().failures, 0);
      rig.flash!.files.set('sgsec', good);
      stillWorks(rig.reopen());
    });

    it('a damaged or missing anchor is reported; acceptRollback recovers', () => {
      const { rig, s } = populated({ anchor: true });
      s.lock();
      flipByte(rig.flash!, 'sgseq', 60);
      expectStoreError(() => rig.open().unlock(PIN), 'damaged', 'anchor');
      rig.flash!.files.delete('sgseq');
      expectStoreError(() => rig.open().unlock(PIN), 'anchor-missing', 'anchor');
      const t = rig.open();
      t.unlock(PIN, { acceptRollback: true });
      stillWorks(t);
      stillWorks(rig.reopen());
    });
  });

  describe('record files', () => {
    it('a flipped bit anywhere in a record file: that record is damaged, the rest works, a put heals it', () => {
      const { rig, s, a } = populated();
      const good = fileCopy(rig.card, a);
      for (let i = 0; i < good.length; i++) {
        rig.card.files.set(a, good.slice());
        flipByte(rig.card, a, i, 0x80 >> i % 8);
        expectStoreError(() => s.get(R, bytes('a')), 'damaged', 'record 0x03 61');
      }
      stillWorks(s, ['a']);
      s.put(R, bytes('a'), bytes('record a'));
      stillWorks(rig.reopen());
    });

    it('truncated, emptied, missing, or replaced by garbage', () => {
      const { rig, s, a } = populated();
      const good = fileCopy(rig.card, a);
      for (const bad of [good.slice(0, good.length - 1), good.slice(0, 56), good.slice(0, 10), new Uint8Array(0), new Uint8Array(200).fill(7)]) {
        rig.card.files.set(a, bad);
        expectStoreError(() => s.get(R, bytes('a')), 'damaged', 'record');
      }
      rig.card.files.delete(a);
      const e = expectStoreError(() => s.get(R, bytes('a')), 'damaged', 'record');
      assert.match(e.message, /missing/);
      stillWorks(s, ['a']);
    });

    it('two records swapped on the card: both refused', () => {
      const { rig, s, a, b } = populated();
      const fa = fileCopy(rig.card, a);
      rig.card.files.set(a, fileCopy(rig.card, b));
      rig.card.files.set(b, fa);
      expectStoreError(() => s.get(R, bytes('a')), 'damaged', 'record 0x03 61');
      expectStoreError(() => s.get(R, bytes('b')), 'damaged', 'record 0x03 62');
    });

    it('an older version put back in place of the current one: rollback', () => {
      const { rig, s, a } = populated();
      const v1 = fileCopy(rig.card, a);
      const changed = changedBy(rig.card, () => s.put(R, bytes('a'), bytes('record a, v2'))).filter((p) => p.startsWith('sg/r/'));
      assert.equal(changed.length, 1);
      assert.equal(rig.card.files.has(a), false, 'the old version was deleted');
      rig.card.files.set(changed[0], v1);
      const e = expectStoreError(() => s.get(R, bytes('a')), 'rollback', 'record 0x03 61');
      assert.match(e.message, /older version/);
      stillWorks(s, ['a']);
    });

    it('a version a power cut left uncommitted cannot be swapped in for the committed one', () => {
      const { rig, s } = populated();
      s.lock();
      // Where the next version of 'a' goes and how many units writing it takes (on a throwaway copy).
      const probe = rig.card.clone();
      const dry = rig.open(probe);
      dry.unlock(PIN);
      const written = changedBy(probe, () => dry.put(R, bytes('a'), bytes('uncommitted'))).filter((p) => p.startsWith('sg/r/'));
      assert.equal(written.length, 1);
      // On the real card: cut the power right after that file is written, before the journal frame.
      const budget = new PowerBudget(Infinity);
      const u = rig.open(new FaultyStorage(rig.card, budget));
      u.unlock(PIN);
      budget.remaining = fileCopy(probe, written[0]).length + 1;
      assert.throws(() => u.put(R, bytes('a'), bytes('uncommitted')), StorageError);
      const orphan = fileCopy(rig.card, written[0]);
      // Reboot; the record is written again and committed, into the same slot.
      const v = rig.reopen();
      assert.equal(text(v.get(R, bytes('a'))), 'record a');
      v.put(R, bytes('a'), bytes('committed'));
      assert.equal(text(v.get(R, bytes('a'))), 'committed');
      rig.card.files.set(written[0], orphan);
      expectStoreError(() => v.get(R, bytes('a')), 'rollback', 'record 0x03 61');
    });

    it('a record file from another store at the same place is refused', () => {
      const one = populated();
      const two = populated();
      one.rig.card.files.set(one.a, fileCopy(two.rig.card, two.a));
      expectStoreError(() => one.s.get(R, bytes('a')), 'damaged', 'record');
    });
  });

  describe('log segments', () => {
    it('a flipped bit in a closed segment: the entries it touches are damaged, the rest of the log works', () => {
      const { rig, s, segments } = populated();
      const seg0 = segments[0];
      const good = fileCopy(rig.card, seg0);
      for (let i = 0; i < good.length; i++) {
        rig.card.files.set(seg0, good.slice());
        flipByte(rig.card, seg0, i, 1 << i % 8);
        expectStoreError(() => s.read(H, bytes('log'), 0, 2), 'damaged', 'log 0x81 6c6f67');
      }
      assert.deepEqual(texts(s.read(H, bytes('log'), 2, 5)), ['entry 2', 'entry 3', 'entry 4']);
      s.append(H, bytes('log'), bytes('entry 5'));
      s.truncateLog(H, bytes('log'), 2); // dropping the damaged segment heals the log
      assert.deepEqual(texts(s.read(H, bytes('log'), 2, 6)), ['entry 2', 'entry 3', 'entry 4', 'entry 5']);
      stillWorks(s);
    });

    it('a cut-short tail segment: reads and appends say so; emptying the log heals it', () => {
      const { rig, s, segments } = populated();
      const tail = segments[2];
      const good = fileCopy(rig.card, tail);
      rig.card.files.set(tail, good.slice(0, good.length - 3));
      expectStoreError(() => s.read(H, bytes('log'), 4, 5), 'damaged', 'log');
      s.append(H, bytes('other'), bytes('x'));
      assert.deepEqual(texts(s.read(H, bytes('log'), 0, 3)), ['entry 0', 'entry 1', 'entry 2']);
      // Entry 3 is pinned by its successor, which is gone: it cannot be vouched for either.
      expectStoreError(() => s.read(H, bytes('log'), 0, 4), 'damaged', 'log');
      // The open segment is segment 2 (entry 4): appending must not build on a damaged file.
      expectStoreError(() => s.append(H, bytes('log'), bytes('entry 5')), 'damaged', 'log');
      s.truncateLog(H, bytes('log'), 5);
      assert.equal(s.append(H, bytes('log'), bytes('fresh')), 6);
      assert.deepEqual(texts(s.read(H, bytes('log'), 6, 7)), ['fresh']);
    });

    it('segments swapped within a log, or taken from another log, are refused', () => {
      const { rig, s, segments } = populated();
      const [s0, s1] = [fileCopy(rig.card, segments[0]), fileCopy(rig.card, segments[1])];
      rig.card.files.set(segments[0], s1);
      rig.card.files.set(segments[1], s0);
      expectStoreError(() => s.read(H, bytes('log'), 0, 1), 'damaged', 'log');
      expectStoreError(() => s.read(H, bytes('log'), 2, 3), 'damaged', 'log');
      rig.card.files.set(segments[0], s0);
      rig.card.files.set(segments[1], s1);
      // Another log with the same shape: its segment 0 at this log's segment 0.
      s.createLog(H, bytes('twin'), 2);
      for (let i = 0; i < 2; i++) s.append(H, bytes('twin'), bytes('entry ' + i));
      const twin = rig.segmentFiles().filter((p) => !segments.includes(p));
      assert.equal(twin.length, 1);
      rig.card.files.set(segments[0], fileCopy(rig.card, twin[0]));
      expectStoreError(() => s.read(H, bytes('log'), 0, 1), 'damaged', 'log');
    });

    it('an older copy of the tail segment (before the last append): the newest entry is missing', () => {
      const { rig, s, segments } = populated();
      const before = fileCopy(rig.card, segments[2]);
      s.append(H, bytes('log'), bytes('entry 5'));
      rig.card.files.set(segments[2], before);
      expectStoreError(() => s.read(H, bytes('log'), 5, 6), 'damaged', 'log');
      expectStoreError(() => s.read(H, bytes('log'), 4, 5), 'damaged', 'log'); // its successor is gone
      assert.deepEqual(texts(s.read(H, bytes('log'), 0, 4)), ['entry 0', 'entry 1', 'entry 2', 'entry 3']);
    });

    it('an entry a power cut left uncommitted cannot be swapped in, at the tail or at a segment end', () => {
      for (const atSegmentEnd of [false, true]) {
        const { rig, s, segments } = populated();
        s.lock();
        const tail = segments[2]; // holds entry 4; entry 5 goes into its last slot
        // Cut the power after entry 5 reaches the segment, before the journal frame commits it.
        const budget = new PowerBudget(Infinity);
        const t = rig.open(new FaultyStorage(rig.card, budget));
        t.unlock(PIN);
        budget.remaining = 4 + 12 + 16 + 'UNCOMMITTED'.length;
        assert.throws(() => t.append(H, bytes('log'), bytes('UNCOMMITTED')), StorageError);
        const orphanSegment = fileCopy(rig.card, tail);
        // Reboot; a different entry 5 of the same length is committed in its place.
        const v = rig.reopen();
        assert.deepEqual(v.logInfo(H, bytes('log')), { first: 0, next: 5, perSegment: 2 });
        assert.equal(v.append(H, bytes('log'), bytes('COMMITTED!!')), 5);
        if (atSegmentEnd) v.append(H, bytes('log'), bytes('entry 6')); // entry 5 now ends a closed segment
        assert.deepEqual(texts(v.read(H, bytes('log'), 5, 6)), ['COMMITTED!!']);
        rig.card.files.set(tail, orphanSegment);
        const e = expectStoreError(() => v.read(H, bytes('log'), 5, 6), atSegmentEnd ? 'damaged' : 'rollback', 'log');
        assert.match(e.message, atSegmentEnd ? /does not continue/ : /newest entry/);
        // Entry 4 is genuine, and the orphan does follow it: it still reads.
        assert.deepEqual(texts(v.read(H, bytes('log'), 4, 5)), ['entry 4']);
      }
    });

    it('an authentic frame moved to another position is refused', () => {
      const { rig, s } = populated();
      const seg1 = rig.segmentFiles()[1];
      const good = fileCopy(rig.card, seg1);
      // Replace entry 2's frame by entry 3's frame (same length): authentic bytes, wrong place.
      const off2 = 56;
      const len = 4 + readLen(good, off2);
      const swapped = good.slice();
      swapped.set(good.subarray(off2 + len, off2 + 2 * len), off2);
      rig.card.files.set(seg1, swapped);
      expectStoreError(() => s.read(H, bytes('log'), 2, 3), 'damaged', 'log');
      expectStoreError(() => s.read(H, bytes('log'), 3, 4), 'damaged', 'log');
    });

    it('a missing segment in the middle of a read', () => {
      const { rig, s, segments } = populated();
      rig.card.files.delete(segments[1]);
      const e = expectStoreError(() => s.read(H, bytes('log'), 0, 5), 'damaged', 'log');
      assert.match(e.message, /missing/);
      assert.deepEqual(texts(s.read(H, bytes('log'), 4, 5)), ['entry 4']);
    });
  });

  it('random corruption of any file never escapes as anything but a typed error', () => {
    const { rig, s } = populated({ anchor: true });
    s.lock();
    const pristine = rig.card.clone();
    const flashPristine = rig.flash!.clone();
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      rig.card.files.clear();
      for (const [k, v] of pristine.files) rig.card.files.set(k, v.slice());
      rig.flash!.files.clear();
      for (const [k, v] of flashPristine.files) rig.flash!.files.set(k, v.slice());
      const all = [...rig.card.files.keys(), ...[...rig.flash!.files.keys()].map((k) => 'flash:' + k)];
      const victim = all[rnd(all.length)];
      const store = victim.startsWith('flash:') ? rig.flash! : rig.card;
      const path = victim.replace('flash:', '');
      const f = store.files.get(path)!;
      const kind = rnd(3);
      if (kind === 0 && f.length > 0) f[rnd(f.length)] ^= 1 + rnd(255);
      else if (kind === 1) store.files.set(path, f.slice(0, rnd(f.length + 1)));
      else store.files.set(path, new Uint8Array([...f, ...new Uint8Array(rnd(64)).fill(rnd(256))]));
      try {
        rig.clock.advance(3600000);
        const t = rig.open();
        t.unlock(PIN);
        for (const id of ['a', 'b']) {
          try {
            t.get(R, bytes(id));
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
          }
        }
        try {
          t.read(H, bytes('log'), 0, 5);
        } catch (e) {
          if (!(e instanceof StoreError)) throw e;
        }
        t.lock();
      } catch (e) {
        if (!(e instanceof StoreError)) throw new Error('corrupting ' + victim + ' escaped as ' + String(e));
      }
    }
  });
});

function readLen(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
