import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createNodeStorage } from '../../../hal/node/storage';
import { StoreType } from '../../../firmware/store/record-types';
import { Store } from '../../../firmware/store/store';
import { FAST, PIN, Rig, bytes, expectStoreError, text, texts } from './helpers';

const R = StoreType.Contact;
const H = StoreType.History;

describe('firmware/store: records, logs and transactions', () => {
  it('create, put, get, list, delete; state survives lock/unlock and a reopen', () => {
    const rig = new Rig();
    const s0 = rig.open();
    assert.equal(s0.state(), 'absent');
    s0.create(PIN, FAST);
    assert.equal(s0.state(), 'unlocked');
    s0.put(R, bytes('alice'), bytes('Alice A.'));
    s0.put(R, bytes('bob'), bytes('Bob B.'));
    s0.put(R, bytes(''), bytes('the empty id is an id'));
    s0.put(StoreType.Settings, new Uint8Array(0), bytes('settings'));
    assert.equal(text(s0.get(R, bytes('alice'))), 'Alice A.');
    assert.equal(s0.get(R, bytes('carol')), null);
    assert.deepEqual(texts(s0.list(R)), ['', 'bob', 'alice']); // by id length, then bytes
    s0.put(R, bytes('alice'), bytes('Alice, updated'));
    s0.delete(R, bytes('bob'));
    s0.delete(R, bytes('nobody')); // no-op
    s0.lock();
    assert.equal(s0.state(), 'locked');
    expectStoreError(() => s0.get(R, bytes('alice')), 'locked');
    s0.unlock(PIN);
    assert.equal(text(s0.get(R, bytes('alice'))), 'Alice, updated');
    const s1 = rig.reopen();
    assert.equal(text(s1.get(R, bytes('alice'))), 'Alice, updated');
    assert.equal(s1.get(R, bytes('bob')), null);
    assert.equal(s1.has(R, bytes('alice')), true);
    assert.equal(text(s1.get(StoreType.Settings, new Uint8Array(0))), 'settings');
    // One file per live record: the old slots and the deleted record's file are gone.
    assert.equal(rig.recordFiles().length, 3);
  });

  it('logs: append, read ranges across segments, truncate, empty, delete, recreate', () => {
    const rig = new Rig();
    const s = rig.create();
    s.createLog(H, bytes('chat'), 4);
    for (let i = 0; i < 10; i++) assert.equal(s.append(H, bytes('chat'), bytes('m' + i)), i);
    assert.deepEqual(s.logInfo(H, bytes('chat')), { first: 0, next: 10, perSegment: 4 });
    assert.deepEqual(texts(s.read(H, bytes('chat'), 0, 10)), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    assert.deepEqual(texts(s.read(H, bytes('chat'), 3, 5)), ['m3', 'm4']);
    assert.deepEqual(texts(s.read(H, bytes('chat'), 7, 7)), []);
    assert.equal(rig.segmentFiles().length, 3);
    s.truncateLog(H, bytes('chat'), 5);
    assert.equal(rig.segmentFiles().length, 2); // segment 0 (0..3) is gone
    expectStoreError(() => s.read(H, bytes('chat'), 4, 6), 'bad-argument');
    assert.deepEqual(texts(s.read(H, bytes('chat'), 5, 10)), ['m5', 'm6', 'm7', 'm8', 'm9']);
    const again = rig.reopen();
    assert.deepEqual(texts(again.read(H, bytes('chat'), 5, 10)), ['m5', 'm6', 'm7', 'm8', 'm9']);
    assert.equal(again.append(H, bytes('chat'), bytes('m10')), 10);
    // Emptying jumps to the next segment boundary and deletes every file.
    again.truncateLog(H, bytes('chat'), 11);
    assert.deepEqual(again.logInfo(H, bytes('chat')), { first: 12, next: 12, perSegment: 4 });
    assert.equal(rig.segmentFiles().length, 0);
    assert.equal(again.append(H, bytes('chat'), bytes('fresh')), 12);
    assert.deepEqual(texts(again.read(H, bytes('chat'), 12, 13)), ['fresh']);
    again.deleteLog(H, bytes('chat'));
    assert.equal(again.logInfo(H, bytes('chat')), null);
    assert.equal(rig.segmentFiles().length, 0);
    assert.equal(again.append(H, bytes('chat'), bytes('reborn')), 0); // implicit create, default size
    assert.equal(again.logInfo(H, bytes('chat'))!.perSegment, 16);
    assert.deepEqual(texts(rig.reopen().read(H, bytes('chat'), 0, 1)), ['reborn']);
  });

  it('a transaction commits a log append and a record together, and reports positions', () => {
    const rig = new Rig();
    const s = rig.create();
    const r = s
      .begin()
      .append(H, bytes('c1'), bytes('hello'))
      .put(StoreType.Ratchet, bytes('c1'), bytes('ratchet v1'))
      .append(H, bytes('c1'), bytes('world'))
      .append(StoreType.Outbox, bytes('q'), bytes('out-1'))
      .commit();
    assert.deepEqual(r.positions, [0, 1, 0]);
    const again = rig.reopen();
    assert.deepEqual(texts(again.read(H, bytes('c1'), 0, 2)), ['hello', 'world']);
    assert.equal(text(again.get(StoreType.Ratchet, bytes('c1'))), 'ratchet v1');
    // put + delete of the same record in one transaction: nothing remains, not even a file.
    again.begin().put(R, bytes('tmp'), bytes('x')).delete(R, bytes('tmp')).commit();
    assert.equal(again.get(R, bytes('tmp')), null);
    assert.equal(rig.recordFiles().length, 1);
    // Outbox: an entry is removed only when the router said OK.
    again.truncateLog(StoreType.Outbox, bytes('q'), 1);
    assert.deepEqual(again.logInfo(StoreType.Outbox, bytes('q')), { first: 16, next: 16, perSegment: 16 });
  });

  it('refuses wrong kinds, long ids, oversized payloads, stale and reused transactions', () => {
    const rig = new Rig();
    const s = rig.create();
    expectStoreError(() => s.put(H, bytes('x'), bytes('y')), 'bad-argument');
    expectStoreError(() => s.append(R, bytes('x'), bytes('y')), 'bad-argument');
    expectStoreError(() => s.put(0, bytes('x'), bytes('y')), 'bad-argument');
    expectStoreError(() => s.put(0xff, bytes('x'), bytes('y')), 'bad-argument');
    expectStoreError(() => s.put(R, new Uint8Array(33), bytes('y')), 'bad-argument');
    expectStoreError(() => s.put(R, bytes('x'), new Uint8Array(65537)), 'too-large');
    expectStoreError(() => s.append(H, bytes('x'), new Uint8Array(65537)), 'too-large');
    expectStoreError(() => s.createLog(H, bytes('x'), 0), 'bad-argument');
    expectStoreError(() => s.truncateLog(H, bytes('none'), 0), 'bad-argument');
    s.append(H, bytes('x'), bytes('1'));
    expectStoreError(() => s.truncateLog(H, bytes('x'), 2), 'bad-argument');
    expectStoreError(() => s.createLog(H, bytes('x'), 3), 'bad-argument');
    const tx = s.begin().put(R, bytes('a'), bytes('b'));
    s.lock();
    s.unlock(PIN);
    expectStoreError(() => tx.commit(), 'locked');
    assert.equal(s.get(R, bytes('a')), null);
    const tx2 = s.begin().put(R, bytes('a'), bytes('b'));
    tx2.commit();
    expectStoreError(() => tx2.commit(), 'bad-argument');
    expectStoreError(() => s.create(PIN, FAST), 'exists');
    expectStoreError(() => s.unlock(PIN), 'bad-argument');
  });

  it('compacts the journal into a snapshot and keeps everything', () => {
    const rig = new Rig({ journalLimit: 600 });
    const s = rig.create();
    for (let i = 0; i < 40; i++) s.put(R, bytes('k' + (i % 7)), bytes('v' + i));
    for (let i = 0; i < 30; i++) s.append(H, bytes('log'), bytes('e' + i));
    assert.ok(rig.card.fileSize('sg/journal') < 600 + 56 + 2000, 'the journal was compacted');
    const again = rig.reopen();
    for (let k = 0; k < 7; k++) {
      const last = 39 - ((39 - k) % 7);
      assert.equal(text(again.get(R, bytes('k' + k))), 'v' + last);
    }
    assert.equal(texts(again.read(H, bytes('log'), 0, 30)).join(','), Array.from({ length: 30 }, (_, i) => 'e' + i).join(','));
  });

  it('runs on the node card backend and the portable crypto backend', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simplego-store-'));
    try {
      const rig = new Rig({ portable: true });
      const card = createNodeStorage(dir);
      const s = Store.open({ crypto: rig.crypto, random: rig.random, clock: rig.clock, card });
      s.create(PIN, FAST);
      s.put(R, bytes('a'), bytes('on disk'));
      s.append(H, bytes('a'), bytes('entry'));
      s.lock();
      const t = Store.open({ crypto: rig.crypto, random: rig.random, clock: rig.clock, card: createNodeStorage(dir) });
      t.unlock(PIN);
      assert.equal(text(t.get(R, bytes('a'))), 'on disk');
      assert.deepEqual(texts(t.read(H, bytes('a'), 0, 1)), ['entry']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
