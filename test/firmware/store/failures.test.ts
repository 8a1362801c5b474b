/**
 * Card errors at the worst moments (not power cuts: the device keeps running): a failed commit
 * changes nothing, a failure after the commit point never makes a durable commit look failed,
 * and unfinished work is finished later.
 */
import assert from 'node:assert/strict';
import { StorageError } from '../../../hal/storage';
import type { Storage } from '../../../hal/storage';
import { StoreType } from '../../../firmware/store/record-types';
import { MemoryStorage } from './memory-storage';
import { PIN, Rig, bytes, expectStoreError, text, texts } from './helpers';

const R = StoreType.Contact;
const H = StoreType.History;

type Op = 'readFile' | 'writeFileAtomic' | 'appendFile' | 'truncateFile' | 'deleteFile' | 'listDir' | 'makeDir';

/** A card that fails the calls `fail` picks (with StorageError 'io'), and works otherwise. */
class FlakyStorage implements Storage {
  fail: (op: Op, path: string) => boolean = () => false;
  constructor(readonly inner: MemoryStorage) {}
  private check(op: Op, path: string): void {
    if (this.fail(op, path)) throw new StorageError('io', op + ' ' + path + ' failed (test)');
  }
  readFile(p: string): Uint8Array | null {
    this.check('readFile', p);
    return this.inner.readFile(p);
  }
  writeFileAtomic(p: string, d: Uint8Array): void {
    this.check('writeFileAtomic', p);
    this.inner.writeFileAtomic(p, d);
  }
  appendFile(p: string, d: Uint8Array): void {
    this.check('appendFile', p);
    this.inner.appendFile(p, d);
  }
  truncateFile(p: string, n: number): void {
    this.check('truncateFile', p);
    this.inner.truncateFile(p, n);
  }
  deleteFile(p: string): void {
    this.check('deleteFile', p);
    this.inner.deleteFile(p);
  }
  fileSize(p: string): number {
    return this.inner.fileSize(p);
  }
  listDir(d: string): string[] {
    this.check('listDir', d);
    return this.inner.listDir(d);
  }
  makeDir(d: string): void {
    this.check('makeDir', d);
    this.inner.makeDir(d);
  }
}

function setup(anchor = false) {
  const rig = new Rig({ anchor });
  const card = new FlakyStorage(rig.card);
  const flash = rig.flash === null ? null : new FlakyStorage(rig.flash);
  const s = rig.open(card, flash);
  s.create(PIN, { iterations: 1000 });
  s.put(R, bytes('a'), bytes('v1'));
  return { rig, card, flash, s };
}

describe('firmware/store: card errors during a commit', () => {
  it('a record write that fails before the commit point changes nothing', () => {
    const { rig, card, s } = setup();
    card.fail = (op, p) => op === 'writeFileAtomic' && p.startsWith('sg/r/');
    assert.throws(() => s.put(R, bytes('a'), bytes('v2')), StorageError);
    card.fail = () => false;
    assert.equal(text(s.get(R, bytes('a'))), 'v1');
    s.put(R, bytes('a'), bytes('v3'));
    assert.equal(text(rig.reopen().get(R, bytes('a'))), 'v3');
  });

  it('a failed journal append is cut back, so the next commit does not land behind garbage', () => {
    const { rig, card, s } = setup();
    const size = rig.card.fileSize('sg/journal');
    // The failing append first writes part of the frame, as a real card error mid-write can.
    card.fail = (op, p) => {
      if (op === 'appendFile' && p === 'sg/journal') {
        rig.card.appendFile(p, new Uint8Array(20).fill(0x77));
        card.fail = () => false;
        return true;
      }
      return false;
    };
    assert.throws(() => s.put(R, bytes('a'), bytes('v2')), StorageError);
    assert.equal(rig.card.fileSize('sg/journal'), size);
    assert.equal(text(s.get(R, bytes('a'))), 'v1');
    s.put(R, bytes('b'), bytes('next commit'));
    const t = rig.reopen();
    assert.equal(text(t.get(R, bytes('a'))), 'v1');
    assert.equal(text(t.get(R, bytes('b'))), 'next commit');
  });

  it('if the cut-back fails too, writes stop until the store is unlocked again; reads go on', () => {
    const { rig, card, s } = setup();
    card.fail = (op, p) => (op === 'appendFile' && p === 'sg/journal') || op === 'truncateFile';
    assert.throws(() => s.put(R, bytes('a'), bytes('v2')), StorageError);
    card.fail = () => false;
    expectStoreError(() => s.put(R, bytes('b'), bytes('x')), 'needs-recovery');
    assert.equal(text(s.get(R, bytes('a'))), 'v1');
    s.lock();
    s.unlock(PIN);
    s.put(R, bytes('b'), bytes('x'));
    assert.equal(text(rig.reopen().get(R, bytes('b'))), 'x');
  });

  it('a failed cleanup after the commit point: the commit stands, the cleanup is finished before the next write', () => {
    const { rig, card, s } = setup();
    const before = rig.recordFiles();
    card.fail = (op, p) => op === 'deleteFile' && p.startsWith('sg/r/');
    s.put(R, bytes('a'), bytes('v2')); // returns normally: the commit is durable
    assert.equal(text(s.get(R, bytes('a'))), 'v2');
    assert.equal(rig.recordFiles().length, 2, 'the old version is still there');
    assert.throws(() => s.put(R, bytes('b'), bytes('x')), StorageError, 'the next write retries the cleanup first');
    card.fail = () => false;
    s.put(R, bytes('b'), bytes('x'));
    assert.equal(rig.recordFiles().length, 2, 'a and b, one file each');
    assert.ok(!rig.recordFiles().includes(before[0]), 'the old version of a is gone');
    assert.equal(text(rig.reopen().get(R, bytes('a'))), 'v2');
  });

  it('a failed anchor write leaves the anchor behind (never ahead); it catches up, and a reboot in between is no rollback', () => {
    const { rig, flash, s } = setup(true);
    flash!.fail = (op, p) => op === 'writeFileAtomic' && p === 'sgseq';
    s.put(R, bytes('a'), bytes('v2'));
    s.put(R, bytes('a'), bytes('v3'));
    flash!.fail = () => false;
    s.lock();
    const t = rig.reopen(); // the anchor is two frames behind: fine, and brought up to date
    assert.equal(text(t.get(R, bytes('a'))), 'v3');
    t.put(R, bytes('a'), bytes('v4'));
    assert.equal(text(rig.reopen().get(R, bytes('a'))), 'v4');
  });

  it('collectGarbage removes what failed commits left, and nothing else', () => {
    const rig = new Rig();
    const flaky = new FlakyStorage(rig.card);
    const s = rig.open(flaky);
    s.create(PIN, { iterations: 1000 });
    s.put(R, bytes('keep'), bytes('kept'));
    s.append(H, bytes('log'), bytes('kept entry'));
    const before = new Set(rig.cardFiles());
    const sizes = new Map(rig.cardFiles().map((f) => [f, rig.card.fileSize(f)]));
    // Everything before the commit point is written, then the journal append fails.
    flaky.fail = (op, path) => op === 'appendFile' && path === 'sg/journal';
    assert.throws(() => s.begin().put(R, bytes('orphan'), bytes('never committed')).append(H, bytes('log'), bytes('e')).append(H, bytes('log2'), bytes('e')).commit(), StorageError);
    flaky.fail = () => false;
    const leftovers = rig.cardFiles().filter((f) => !before.has(f));
    assert.equal(leftovers.length, 2, 'a record file and a new segment were left: ' + leftovers.join(', '));
    const segment = [...before].find((f) => f.startsWith('sg/l/'))!;
    assert.ok(rig.card.fileSize(segment) > sizes.get(segment)!, 'an uncommitted entry was appended');
    assert.equal(s.collectGarbage(), 2);
    assert.equal(rig.card.fileSize(segment), sizes.get(segment), 'and is cut off again');
    assert.deepEqual(new Set(rig.cardFiles()), before);
    assert.equal(text(s.get(R, bytes('keep'))), 'kept');
    assert.deepEqual(texts(s.read(H, bytes('log'), 0, 1)), ['kept entry']);
    assert.equal(s.collectGarbage(), 0);
    assert.equal(s.append(H, bytes('log'), bytes('second')), 1);
    assert.deepEqual(texts(rig.reopen().read(H, bytes('log'), 0, 2)), ['kept entry', 'second']);
  });
});
