import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { StorageError } from '../storage';
import type { Storage } from '../storage';

/**
 * The SD card of the desktop simulator: a directory on the host.
 *
 * Synchronous on purpose: the interface is, because FatFs on the device is, and firmware/
 * relies on a write having finished (and being durable) when the call returns.
 *
 * Durability follows the interface's contract with the POSIX sequence:
 * - writeFileAtomic: write a temporary file in the same directory, fsync it, rename it over the
 *   target (atomic within one directory), fsync the directory so the rename itself survives.
 * - appendFile / truncateFile: fsync the file (and the directory when appendFile created it).
 * A crash can leave a temporary file behind; it is deleted the next time the card is opened.
 *
 * Temporary names start with "~", a character no valid path may contain, so they can never
 * collide with a real file and listDir never shows them. One Storage per directory at a time:
 * opening the card deletes leftover temporaries, including those of another live instance.
 *
 * The host file system may be case-sensitive where FAT is not; firmware/ must not rely on
 * either behaviour (it only uses names it creates itself).
 */

const TEMP_PREFIX = '~sgtmp-';
/** FAT long file names stop at 255 characters; longer segments are refused up front. */
const MAX_SEGMENT = 255;
/** Directory depth the start-up sweep descends; the card layout is a few levels deep. */
const MAX_SWEEP_DEPTH = 16;

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function isSegmentChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2e || c === 0x5f || c === 0x2d // . _ -
  );
}

/** True for a name the interface allows as one path segment. */
export function isValidSegment(name: string): boolean {
  if (name.length === 0 || name.length > MAX_SEGMENT || name === '.' || name === '..') return false;
  for (let i = 0; i < name.length; i++) {
    if (!isSegmentChar(name.charCodeAt(i))) return false;
  }
  return true;
}

/** Splits and checks a card path; `allowRoot` admits "" (the root directory). */
function segmentsOf(p: unknown, allowRoot: boolean): string[] {
  if (typeof p !== 'string') throw new StorageError('invalid-path', 'path must be a string');
  if (p === '') {
    if (allowRoot) return [];
    throw new StorageError('invalid-path', 'empty path: a file needs a name');
  }
  const segments = p.split('/');
  for (let i = 0; i < segments.length; i++) {
    if (!isValidSegment(segments[i])) {
      throw new StorageError(
        'invalid-path',
        'invalid path ' + JSON.stringify(p) + ': segments must be 1..255 of [A-Za-z0-9._-], not "." or "..", with no leading, trailing or double "/"',
      );
    }
  }
  return segments;
}

export function createNodeStorage(rootDir: string): Storage {
  const root = path.resolve(rootDir);
  if (!isDirectory(root)) throw new StorageError('not-mounted', 'card directory ' + root + ' does not exist or is not a directory');

  function isDirectory(p: string): boolean {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  }

  /** Maps a Node error to the interface's codes; a vanished root directory is a removed card. */
  function fail(op: string, cardPath: string, e: unknown): never {
    const errno = errnoOf(e);
    if (errno === 'ENOSPC' || errno === 'EDQUOT') throw new StorageError('no-space', op + ' ' + cardPath + ': the card is full');
    if (!isDirectory(root)) throw new StorageError('not-mounted', op + ' ' + cardPath + ': the card directory is gone');
    throw new StorageError('io', op + ' ' + cardPath + ' failed (' + errno + ')');
  }

  /** "Does not exist" answers (null, -1, []) are only honest while the card is still there. */
  function requireMounted(op: string, cardPath: string): void {
    if (!isDirectory(root)) throw new StorageError('not-mounted', op + ' ' + cardPath + ': the card directory is gone');
  }

  function full(segments: string[]): string {
    return segments.length === 0 ? root : path.join(root, segments.join(path.sep));
  }

  /** Makes a rename, creation or deletion in `dir` durable. */
  function syncDir(dir: string): void {
    let fd = -1;
    try {
      fd = openSync(dir, 'r');
      fsyncSync(fd);
    } catch (e) {
      // Some platforms cannot open or fsync a directory (Windows: EISDIR/EPERM; some file systems: EINVAL).
      const errno = errnoOf(e);
      if (errno !== 'EISDIR' && errno !== 'EPERM' && errno !== 'EINVAL') throw e;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  function writeAll(fd: number, data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      const n = writeSync(fd, data, offset, data.length - offset);
      if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      offset += n;
    }
  }

  function checkData(data: unknown, op: string): void {
    if (!(data instanceof Uint8Array)) throw new StorageError('io', op + ': data must be a Uint8Array');
  }

  /** Deletes temporaries a crash left behind, anywhere on the card. */
  function sweep(dir: string, depth: number): void {
    if (depth > MAX_SWEEP_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      fail('open card', path.relative(root, dir), e);
    }
    let removed = false;
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      if (entry.name.startsWith(TEMP_PREFIX) && entry.isFile()) {
        try {
          unlinkSync(p);
          removed = true;
        } catch (e) {
          fail('remove leftover temporary', path.relative(root, p), e);
        }
      } else if (entry.isDirectory()) {
        sweep(p, depth + 1); // Dirent types come from lstat: symbolic links are not followed.
      }
    }
    if (removed) syncDir(dir);
  }

  sweep(root, 0);

  return {
    readFile(p: string): Uint8Array | null {
      const file = full(segmentsOf(p, false));
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT' || errno === 'ENOTDIR' || errno === 'EISDIR') {
          requireMounted('read', p);
          return null;
        }
        fail('read', p, e);
      }
      // A plain Uint8Array with its own memory (a Buffer may share a pooled ArrayBuffer).
      return new Uint8Array(data);
    },

    writeFileAtomic(p: string, data: Uint8Array): void {
      const file = full(segmentsOf(p, false));
      checkData(data, 'write ' + p);
      const dir = path.dirname(file);
      const temp = path.join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
      let fd = -1;
      try {
        fd = openSync(temp, 'wx', 0o600);
        writeAll(fd, data);
        fsyncSync(fd);
        closeSync(fd);
        fd = -1;
        renameSync(temp, file);
        syncDir(dir);
      } catch (e) {
        if (fd >= 0) {
          try {
            closeSync(fd);
          } catch {
            // already failing; the original error is the one to report
          }
        }
        try {
          unlinkSync(temp);
        } catch {
          // never created, or already renamed
        }
        fail('write', p, e);
      }
    },

    appendFile(p: string, data: Uint8Array): void {
      const file = full(segmentsOf(p, false));
      checkData(data, 'append to ' + p);
      let fd = -1;
      try {
        let created = false;
        try {
          fd = openSync(file, 'wx', 0o600);
          created = true;
        } catch (e) {
          if (errnoOf(e) !== 'EEXIST') throw e;
          fd = openSync(file, 'a');
        }
        // (A directory cannot be opened for writing: EISDIR, reported as 'io'.)
        // 'wx' positions at 0 of an empty file and 'a' appends: either way the bytes go to the end.
        writeAll(fd, data);
        fsyncSync(fd);
        if (created) syncDir(path.dirname(file));
      } catch (e) {
        fail('append to', p, e);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    },

    truncateFile(p: string, size: number): void {
      const file = full(segmentsOf(p, false));
      if (typeof size !== 'number' || size !== Math.floor(size) || size < 0) {
        throw new StorageError('io', 'truncate ' + p + ': size must be a non-negative integer');
      }
      let fd = -1;
      try {
        fd = openSync(file, 'r+');
        const st = fstatSync(fd);
        if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
        // Only cutting is allowed: growing would invent zero bytes that a journal would then parse.
        if (size > st.size) {
          throw new StorageError('io', 'truncate ' + p + ': cannot grow a ' + st.size + '-byte file to ' + size + ' bytes');
        }
        ftruncateSync(fd, size);
        fsyncSync(fd);
      } catch (e) {
        if (e instanceof StorageError) throw e;
        fail('truncate', p, e);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    },

    deleteFile(p: string): void {
      const file = full(segmentsOf(p, false));
      try {
        unlinkSync(file);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT' || errno === 'ENOTDIR') {
          requireMounted('delete', p);
          return;
        }
        fail('delete', p, e);
      }
      try {
        syncDir(path.dirname(file));
      } catch (e) {
        fail('delete', p, e);
      }
    },

    fileSize(p: string): number {
      const file = full(segmentsOf(p, false));
      try {
        const st = statSync(file);
        return st.isFile() ? st.size : -1;
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT' || errno === 'ENOTDIR') {
          requireMounted('size of', p);
          return -1;
        }
        fail('size of', p, e);
      }
    },

    listDir(dir: string): string[] {
      const d = full(segmentsOf(dir, true));
      let names: string[];
      try {
        names = readdirSync(d);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT' || errno === 'ENOTDIR') {
          requireMounted('list', dir);
          return [];
        }
        fail('list', dir, e);
      }
      // Only names a caller could address: this hides temporaries ("~") and foreign host files.
      const out: string[] = [];
      for (const name of names) {
        if (isValidSegment(name)) out.push(name);
      }
      // Host directory order is arbitrary; a fixed order keeps runs reproducible.
      out.sort();
      return out;
    },

    makeDir(dir: string): void {
      const segments = segmentsOf(dir, true);
      let current = root;
      for (let i = 0; i < segments.length; i++) {
        const parent = current;
        current = path.join(current, segments[i]);
        try {
          const st = lstatSync(current);
          if (!st.isDirectory()) throw new StorageError('io', 'make directory ' + dir + ': ' + segments.slice(0, i + 1).join('/') + ' is a file');
          continue;
        } catch (e) {
          if (e instanceof StorageError) throw e;
          if (errnoOf(e) !== 'ENOENT') fail('make directory', dir, e);
        }
        try {
          mkdirSync(current);
          syncDir(parent);
        } catch (e) {
          if (errnoOf(e) === 'EEXIST' && isDirectory(current)) continue;
          fail('make directory', dir, e);
        }
      }
    },
  };
}
