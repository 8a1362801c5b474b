import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorageError } from '../../../hal/storage';
import type { Storage, StorageErrorCode } from '../../../hal/storage';
import { MAX_PATH_LENGTH, createEspruinoStorage, storageCodeOf } from '../../../hal/espruino/storage';
import { createNodeEspruinoFs } from './espruino-fs';
import type { NodeEspruinoFs } from './espruino-fs';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh(): { root: string; card: NodeEspruinoFs; storage: Storage } {
  const root = mkdtempSync(path.join(tmpdir(), 'simplego-espruino-card-'));
  dirs.push(root);
  const card = createNodeEspruinoFs(root);
  return { root, card, storage: createEspruinoStorage(card.fs, card.files) };
}

/** A new Storage over the same card: what a reboot after a power cut sees. */
function reboot(root: string): Storage {
  const card = createNodeEspruinoFs(root);
  return createEspruinoStorage(card.fs, card.files);
}

function expectStorageError(f: () => unknown, code: StorageErrorCode): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StorageError, 'expected StorageError, got ' + String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** The backend reports the stand-in's power cut as the card failing (an io StorageError). */
function isPowerCut(e: unknown): boolean {
  return e instanceof StorageError && e.code === 'io' && e.message.indexOf('power cut') >= 0;
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('latin1'));

describe('hal/espruino Storage over Espruino fs (node:fs stand-in)', () => {
  it('round-trips empty, small and binary files as plain Uint8Arrays', () => {
    const { storage } = fresh();
    const bin = new Uint8Array(randomBytes(70000));
    storage.writeFileAtomic('empty', new Uint8Array(0));
    storage.writeFileAtomic('small', bytes('hello'));
    storage.makeDir('d/e');
    storage.writeFileAtomic('d/e/bin', bin);
    assert.equal(storage.readFile('empty')!.length, 0);
    assert.equal(text(storage.readFile('small')), 'hello');
    const back = storage.readFile('d/e/bin')!;
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype);
    assert.ok(Buffer.from(back).equals(Buffer.from(bin)), 'all 256 byte values survive the 8-bit string path');
    assert.equal(storage.fileSize('d/e/bin'), 70000);
    assert.equal(storage.readFile('missing'), null);
    assert.equal(storage.fileSize('missing'), -1);
  });

  it('replaces atomically and leaves no temporaries; listDir hides them and sorts', () => {
    const { root, storage } = fresh();
    for (let i = 0; i < 10; i++) storage.writeFileAtomic('state', bytes('version ' + i));
    assert.equal(text(storage.readFile('state')), 'version 9');
    storage.makeDir('b');
    storage.writeFileAtomic('a', bytes('1'));
    assert.deepEqual(readdirSync(root).sort(), ['a', 'b', 'state']);
    assert.deepEqual(storage.listDir(''), ['a', 'b', 'state']);
    assert.deepEqual(storage.listDir('nowhere'), []);
  });

  it('appends durably, creating the file; truncates only downwards', () => {
    const { storage } = fresh();
    storage.appendFile('j', bytes('abc'));
    storage.appendFile('j', bytes('def'));
    storage.appendFile('j', new Uint8Array(0));
    assert.equal(text(storage.readFile('j')), 'abcdef');
    storage.truncateFile('j', 4);
    assert.equal(text(storage.readFile('j')), 'abcd');
    storage.truncateFile('j', 4);
    storage.truncateFile('j', 0);
    assert.equal(storage.fileSize('j'), 0);
    expectStorageError(() => storage.truncateFile('j', 1), 'io');
    expectStorageError(() => storage.truncateFile('none', 0), 'io');
    expectStorageError(() => storage.truncateFile('j', -1), 'io');
    expectStorageError(() => storage.truncateFile('j', 1.5), 'io');
  });

  it('deletes quietly when missing; makeDir makes parents and tolerates existing ones', () => {
    const { storage } = fresh();
    storage.deleteFile('none');
    storage.makeDir('x/y/z');
    storage.makeDir('x/y');
    storage.writeFileAtomic('x/y/z/f', bytes('1'));
    storage.deleteFile('x/y/z/f');
    assert.equal(storage.readFile('x/y/z/f'), null);
    storage.writeFileAtomic('file', bytes('1'));
    expectStorageError(() => storage.makeDir('file/sub'), 'io');
    expectStorageError(() => storage.readFile('x'), 'io'); // a directory
    expectStorageError(() => storage.appendFile('no/such/dir/f', bytes('x')), 'io');
  });

  it('rejects invalid paths, including the device limit of 61 characters and "~" names', () => {
    const { root, storage } = fresh();
    const bad = ['', '/', '/abs', 'a/', 'a//b', '.', '..', 'a/../b', 'a b', 'a\\b', 'ä', 'x~t', 'x~c', 'x'.repeat(MAX_PATH_LENGTH + 1)];
    for (const p of bad) {
      expectStorageError(() => storage.readFile(p), 'invalid-path');
      expectStorageError(() => storage.writeFileAtomic(p, bytes('x')), 'invalid-path');
      expectStorageError(() => storage.appendFile(p, bytes('x')), 'invalid-path');
      expectStorageError(() => storage.truncateFile(p, 0), 'invalid-path');
      expectStorageError(() => storage.deleteFile(p), 'invalid-path');
      expectStorageError(() => storage.fileSize(p), 'invalid-path');
    }
    expectStorageError(() => storage.readFile(7 as unknown as string), 'invalid-path');
    storage.writeFileAtomic('x'.repeat(MAX_PATH_LENGTH), bytes('ok'));
    assert.deepEqual(readdirSync(root), ['x'.repeat(MAX_PATH_LENGTH)]);
  });

  it('reports an unmounted card as not-mounted and a full card as no-space', () => {
    const a = fresh();
    a.card.unmount();
    expectStorageError(() => a.storage.listDir(''), 'not-mounted');
    expectStorageError(() => a.storage.readFile('x'), 'not-mounted');
    const b = fresh();
    b.card.fillCard();
    b.card.setFreeSectors(0);
    expectStorageError(() => b.storage.appendFile('f', bytes('data')), 'no-space');
    const c = fresh();
    c.card.fillCard();
    expectStorageError(() => c.storage.appendFile('f', bytes('data')), 'io');
    assert.equal(storageCodeOf('Unable to mount media : NO_FILESYSTEM'), 'not-mounted');
    assert.equal(storageCodeOf('Unable to delete file : DENIED'), 'io');
  });

  it('writeFileAtomic survives a power cut at every step: old or new content, never a mix', () => {
    const { root, card, storage } = fresh();
    const oldContent = bytes('old content, 29 bytes long!!');
    storage.writeFileAtomic('s', oldContent);
    const before = card.steps();
    storage.writeFileAtomic('s', bytes('x'));
    const stepsPerWrite = card.steps() - before;
    assert.ok(stepsPerWrite >= 6, 'the protocol has its steps: ' + stepsPerWrite);
    let sawOld = 0;
    let sawNew = 0;
    for (let cut = 1; cut <= stepsPerWrite; cut++) {
      storage.writeFileAtomic('s', oldContent);
      const newContent = new Uint8Array(randomBytes(5000));
      card.powerCutAfter(cut);
      assert.throws(() => storage.writeFileAtomic('s', newContent), isPowerCut);
      const after = reboot(root);
      const got = after.readFile('s')!;
      const isOld = Buffer.from(got).equals(Buffer.from(oldContent));
      const isNew = Buffer.from(got).equals(Buffer.from(newContent));
      assert.ok(isOld || isNew, 'cut at step ' + cut + ' left ' + got.length + ' bytes of neither version');
      if (isOld) sawOld++;
      else sawNew++;
      assert.deepEqual(readdirSync(root).filter((n) => n.indexOf('~') >= 0), [], 'recovery removes the temporaries');
      after.writeFileAtomic('s', oldContent); // the card is usable again
    }
    assert.ok(sawOld > 0 && sawNew > 0, 'cuts before and after the commit point were both exercised');
  });

  it('truncateFile survives a power cut at every step: the old length or the new', () => {
    const { root, card, storage } = fresh();
    const journal = new Uint8Array(randomBytes(9000));
    storage.writeFileAtomic('j', journal);
    const before = card.steps();
    storage.truncateFile('j', 8000);
    const steps = card.steps() - before;
    for (let cut = 1; cut <= steps; cut++) {
      storage.writeFileAtomic('j', journal);
      card.powerCutAfter(cut);
      assert.throws(() => storage.truncateFile('j', 5000), isPowerCut);
      const got = reboot(root).readFile('j')!;
      assert.ok(got.length === 9000 || got.length === 5000, 'cut at step ' + cut + ': ' + got.length + ' bytes');
      assert.ok(Buffer.from(got).equals(Buffer.from(journal.subarray(0, got.length))));
    }
  });

  it('an append cut short leaves a prefix of the appended bytes (the torn tail the interface allows)', () => {
    const { root, card, storage } = fresh();
    storage.appendFile('j', bytes('record-1;'));
    card.powerCutAfter(1);
    assert.throws(() => storage.appendFile('j', bytes('record-2;')), isPowerCut);
    const got = text(reboot(root).readFile('j'))!;
    assert.ok(got.startsWith('record-1;') && 'record-1;record-2;'.startsWith(got), got);
  });
});
