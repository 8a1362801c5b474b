/**
 * A hal Storage in memory, with the node backend's path rules: the card for tests that need
 * to copy, inspect or corrupt it byte by byte. Writes keep a private copy of the data, reads hand
 * out a copy, and a file must be written into an existing directory (as on FatFs).
 */
import { StorageError } from '../../../hal/storage';
import type { Storage } from '../../../hal/storage';

const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;

function check(p: string, allowRoot: boolean): string[] {
  if (p === '' && allowRoot) return [];
  const parts = p.split('/');
  for (const part of parts) {
    if (!SEGMENT.test(part) || part === '.' || part === '..') throw new StorageError('invalid-path', 'invalid path ' + JSON.stringify(p));
  }
  return parts;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export class MemoryStorage implements Storage {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['']);

  /** An independent copy of the whole card. */
  clone(): MemoryStorage {
    const c = new MemoryStorage();
    for (const [k, v] of this.files) c.files.set(k, v.slice());
    for (const d of this.dirs) c.dirs.add(d);
    return c;
  }

  private requireParent(p: string): void {
    if (!this.dirs.has(parentOf(p))) throw new StorageError('io', 'no directory for ' + p);
    if (this.dirs.has(p)) throw new StorageError('io', p + ' is a directory');
  }

  readFile(p: string): Uint8Array | null {
    check(p, false);
    const f = this.files.get(p);
    return f === undefined ? null : f.slice();
  }

  writeFileAtomic(p: string, data: Uint8Array): void {
    check(p, false);
    this.requireParent(p);
    this.files.set(p, data.slice());
  }

  appendFile(p: string, data: Uint8Array): void {
    check(p, false);
    this.requireParent(p);
    const old = this.files.get(p) ?? new Uint8Array(0);
    const out = new Uint8Array(old.length + data.length);
    out.set(old, 0);
    out.set(data, old.length);
    this.files.set(p, out);
  }

  truncateFile(p: string, size: number): void {
    check(p, false);
    const old = this.files.get(p);
    if (old === undefined) throw new StorageError('io', 'truncate ' + p + ': no such file');
    if (size > old.length) throw new StorageError('io', 'truncate ' + p + ': cannot grow');
    this.files.set(p, old.slice(0, size));
  }

  deleteFile(p: string): void {
    check(p, false);
    this.files.delete(p);
  }

  fileSize(p: string): number {
    check(p, false);
    const f = this.files.get(p);
    return f === undefined ? -1 : f.length;
  }

  listDir(dir: string): string[] {
    check(dir, true);
    const prefix = dir === '' ? '' : dir + '/';
    const out = new Set<string>();
    for (const k of [...this.files.keys(), ...this.dirs]) {
      if (k !== dir && k.startsWith(prefix) && k.length > prefix.length) out.add(k.slice(prefix.length).split('/')[0]);
    }
    return [...out].sort();
  }

  makeDir(dir: string): void {
    const parts = check(dir, true);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (this.files.has(d)) throw new StorageError('io', d + ' is a file');
      this.dirs.add(d);
    }
  }
}
