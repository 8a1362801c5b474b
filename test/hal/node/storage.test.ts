import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorageError } from '../../../hal/storage';
import type { Storage, StorageErrorCode } from '../../../hal/storage';
import { createNodeStorage, isValidSegment } from '../../../hal/node/storage';

const dirs: string[] = [];

function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'simplego-card-'));
  dirs.push(d);
  return d;
}

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function expectStorageError(f: () => unknown, code: StorageErrorCode): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StorageError, 'expected StorageError, got ' + String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

/** Every entry under `dir`, as relative paths (to look for stray temporaries). */
function allEntries(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
}

describe('hal/node/storage', () => {
  let root: string;
  let card: Storage;

  beforeEach(() => {
    root = freshDir();
    card = createNodeStorage(root);
  });

  it('refuses a missing card directory or a file as not-mounted', () => {
    expectStorageError(() => createNodeStorage(path.join(root, 'missing')), 'not-mounted');
    writeFileSync(path.join(root, 'file'), 'x');
    expectStorageError(() => createNodeStorage(path.join(root, 'file')), 'not-mounted');
  });

  it('round-trips files of 0 bytes, a few bytes and 1 MiB, as plain Uint8Array copies', () => {
    const big = new Uint8Array(randomBytes(1 << 20));
    card.writeFileAtomic('empty', new Uint8Array(0));
    card.writeFileAtomic('small', bytes('hello'));
    card.makeDir('d');
    card.writeFileAtomic('d/big.bin', big);
    assert.equal(card.readFile('empty')!.length, 0);
    assert.equal(text(card.readFile('small')), 'hello');
    const back = card.readFile('d/big.bin')!;
    assert.ok(Buffer.from(back).equals(Buffer.from(big)));
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype, 'not a Buffer');
    assert.equal(back.byteOffset, 0);
    assert.equal(back.buffer.byteLength, back.length, 'owns its memory');
    back.fill(0);
    assert.ok(Buffer.from(card.readFile('d/big.bin')!).equals(Buffer.from(big)), 'a returned array is a copy');
    assert.equal(card.fileSize('d/big.bin'), 1 << 20);
  });

  it('replaces atomically and leaves no temporary files behind', () => {
    for (let i = 0; i < 20; i++) card.writeFileAtomic('state.bin', bytes('version ' + i));
    assert.equal(text(card.readFile('state.bin')), 'version 19');
    card.makeDir('a/b');
    card.writeFileAtomic('a/b/x', bytes('1'));
    card.writeFileAtomic('a/b/x', bytes('22'));
    assert.deepEqual(allEntries(root), ['a', 'a/b', 'a/b/x', 'state.bin']);
    assert.equal((statSync(path.join(root, 'state.bin')).mode & 0o777).toString(8), '600');
  });

  it('cleans up its temporary when a write fails', () => {
    card.makeDir('target');
    expectStorageError(() => card.writeFileAtomic('target', bytes('x')), 'io'); // a directory is in the way
    expectStorageError(() => card.writeFileAtomic('no/such/dir/file', bytes('x')), 'io');
    assert.deepEqual(allEntries(root), ['target']);
  });

  it('rejects invalid paths in every operation, without touching the disk', () => {
    const invalid = [
      '', '/', '/abs', '/etc/passwd', 'a/', 'a//b', '//a', '.', '..', '../escape', 'a/../b', './a', 'a/./b', 'a/..',
      'a b', 'a\\b', '..\\x', 'ä', 'a:b', 'a*b', 'a?', 'a"b', '~sgtmp-0011223344556677', 'a\u0000b', 'a\nb', 'C:', 'x'.repeat(256),
      'a/' + 'y'.repeat(256), 'emoji😀',
    ];
    for (const p of invalid) {
      expectStorageError(() => card.readFile(p), 'invalid-path');
      expectStorageError(() => card.writeFileAtomic(p, bytes('x')), 'invalid-path');
      expectStorageError(() => card.appendFile(p, bytes('x')), 'invalid-path');
      expectStorageError(() => card.truncateFile(p, 0), 'invalid-path');
      expectStorageError(() => card.deleteFile(p), 'invalid-path');
      expectStorageError(() => card.fileSize(p), 'invalid-path');
      if (p !== '') {
        expectStorageError(() => card.listDir(p), 'invalid-path');
        expectStorageError(() => card.makeDir(p), 'invalid-path');
      }
    }
    expectStorageError(() => card.readFile(42 as unknown as string), 'invalid-path');
    assert.deepEqual(allEntries(root), []);
    assert.ok(!existsSync(path.join(root, '..', 'escape')));
  });

  it('accepts every name made of [A-Za-z0-9._-] other than . and ..', () => {
    const valid = ['.hidden', '..a', 'a..', '...', 'a.', '-', '_', 'A-Z_0.9', 'x'.repeat(255)];
    for (const name of valid) {
      assert.equal(isValidSegment(name), true, name);
      card.writeFileAtomic(name, bytes(name.slice(0, 3)));
      assert.equal(text(card.readFile(name)), name.slice(0, 3));
    }
    card.makeDir('deep/er/still-deeper_');
    card.writeFileAtomic('deep/er/still-deeper_/f.1', bytes('z'));
    assert.deepEqual(card.listDir('deep/er'), ['still-deeper_']);
    assert.deepEqual(card.listDir(''), ['-', '...', '..a', '.hidden', 'A-Z_0.9', '_', 'a.', 'a..', 'deep', 'x'.repeat(255)]);
  });

  it('returns null, -1 and [] for what does not exist', () => {
    assert.equal(card.readFile('missing'), null);
    assert.equal(card.readFile('missing/child'), null);
    assert.equal(card.fileSize('missing'), -1);
    assert.deepEqual(card.listDir('missing'), []);
    card.makeDir('dir');
    card.writeFileAtomic('file', bytes('x'));
    assert.equal(card.readFile('dir'), null, 'a directory is not a file');
    assert.equal(card.fileSize('dir'), -1);
    assert.equal(card.readFile('file/child'), null);
    assert.deepEqual(card.listDir('file'), [], 'a file is not a directory');
    assert.deepEqual(card.listDir(''), ['dir', 'file']);
  });

  it('lists names sorted, hiding temporaries and names it could not address', () => {
    card.makeDir('sub');
    card.writeFileAtomic('b', bytes('1'));
    card.writeFileAtomic('a', bytes('1'));
    card.writeFileAtomic('sub/c', bytes('1'));
    writeFileSync(path.join(root, '~sgtmp-00aa'), 'half-written');
    writeFileSync(path.join(root, 'host file.txt'), 'not ours');
    assert.deepEqual(card.listDir(''), ['a', 'b', 'sub']);
    assert.deepEqual(card.listDir('sub'), ['c']);
  });

  it('makes directories with their parents, idempotently', () => {
    card.makeDir('');
    card.makeDir('a/b/c');
    card.makeDir('a/b/c');
    card.makeDir('a/b');
    assert.ok(statSync(path.join(root, 'a', 'b', 'c')).isDirectory());
    card.writeFileAtomic('a/file', bytes('x'));
    expectStorageError(() => card.makeDir('a/file'), 'io');
    expectStorageError(() => card.makeDir('a/file/below'), 'io');
  });

  it('appends durably, creating the file, and sizes it', () => {
    card.appendFile('journal', bytes('one'));
    card.appendFile('journal', bytes(''));
    card.appendFile('journal', bytes('two'));
    assert.equal(text(card.readFile('journal')), 'onetwo');
    assert.equal(card.fileSize('journal'), 6);
    card.appendFile('empty', new Uint8Array(0));
    assert.equal(card.fileSize('empty'), 0);
    card.makeDir('dir');
    expectStorageError(() => card.appendFile('dir', bytes('x')), 'io');
    expectStorageError(() => card.appendFile('missing-dir/journal', bytes('x')), 'io');
  });

  it('truncates (journal recovery) but never grows', () => {
    card.appendFile('journal', bytes('record1record2torn'));
    card.truncateFile('journal', 14);
    assert.equal(text(card.readFile('journal')), 'record1record2');
    card.truncateFile('journal', 14);
    card.appendFile('journal', bytes('record3'));
    assert.equal(text(card.readFile('journal')), 'record1record2record3');
    card.truncateFile('journal', 0);
    assert.equal(card.fileSize('journal'), 0);
    expectStorageError(() => card.truncateFile('journal', 1), 'io');
    expectStorageError(() => card.truncateFile('journal', -1), 'io');
    expectStorageError(() => card.truncateFile('journal', 0.5), 'io');
    expectStorageError(() => card.truncateFile('missing', 0), 'io');
    card.makeDir('dir');
    expectStorageError(() => card.truncateFile('dir', 0), 'io');
  });

  it('deletes files; a missing file is fine, a directory is not', () => {
    card.writeFileAtomic('x', bytes('1'));
    card.deleteFile('x');
    assert.equal(card.readFile('x'), null);
    card.deleteFile('x');
    card.deleteFile('never/existed');
    card.makeDir('dir');
    expectStorageError(() => card.deleteFile('dir'), 'io');
    assert.ok(statSync(path.join(root, 'dir')).isDirectory());
  });

  it('recovers from a crash mid-write: stray temporaries go, the old content stays', () => {
    card.makeDir('contacts/alice');
    card.writeFileAtomic('contacts/alice/ratchet', bytes('old state'));
    card.writeFileAtomic('settings', bytes('old settings'));
    // What a kill between "write temporary" and "rename" leaves: temporaries next to the targets.
    writeFileSync(path.join(root, 'contacts', 'alice', '~sgtmp-1122334455667788'), 'new sta');
    writeFileSync(path.join(root, '~sgtmp-8877665544332211'), '');
    mkdirSync(path.join(root, 'contacts', 'bob'));
    writeFileSync(path.join(root, 'contacts', 'bob', '~sgtmp-0000000000000001'), 'partial');
    const reopened = createNodeStorage(root);
    assert.equal(text(reopened.readFile('contacts/alice/ratchet')), 'old state');
    assert.equal(text(reopened.readFile('settings')), 'old settings');
    assert.deepEqual(allEntries(root), ['contacts', 'contacts/alice', 'contacts/alice/ratchet', 'contacts/bob', 'settings']);
    reopened.writeFileAtomic('contacts/alice/ratchet', bytes('new state'));
    assert.equal(text(reopened.readFile('contacts/alice/ratchet')), 'new state');
  });

  it('reports a full card as no-space (Linux /dev/full)', function () {
    if (!existsSync('/dev/full')) this.skip();
    symlinkSync('/dev/full', path.join(root, 'full'));
    expectStorageError(() => card.appendFile('full', bytes('x')), 'no-space');
  });

  it('reports a card that went away as not-mounted, not as missing files', () => {
    card.writeFileAtomic('f', bytes('1'));
    rmSync(root, { recursive: true, force: true });
    expectStorageError(() => card.readFile('f'), 'not-mounted');
    expectStorageError(() => card.fileSize('f'), 'not-mounted');
    expectStorageError(() => card.listDir(''), 'not-mounted');
    expectStorageError(() => card.writeFileAtomic('f', bytes('2')), 'not-mounted');
    expectStorageError(() => card.appendFile('f', bytes('2')), 'not-mounted');
    expectStorageError(() => card.deleteFile('f'), 'not-mounted');
    expectStorageError(() => card.makeDir('d'), 'not-mounted');
  });
});
