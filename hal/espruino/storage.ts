/**
 * The device SD card: hal/storage.ts over Espruino's FatFs wrapper (`require("fs")` and
 * `E.openFile`), on a card mounted with E.connectSDCard on the display's SPI bus.
 *
 * FatFs as Espruino exposes it has no rename, no truncate and no explicit fsync (every
 * File.write ends with f_sync, and close() flushes), so the interface's two durability
 * guarantees are built from what exists:
 *
 * writeFileAtomic(p) uses a commit marker instead of a rename:
 *   1. write the new content to `p~t` and close it (synced);
 *   2. create the marker `p~c` (its existence is the commit point);
 *   3. overwrite `p` with the new content;
 *   4. delete `p~c`, then `p~t`.
 * Recovery, run once per path per boot before the path is used: if `p~c` exists, `p~t` is
 * complete, so step 3 is redone from it and step 4 follows; if only `p~t` exists, the write
 * never committed and `p~t` is deleted. Whatever moment power fails, after recovery `p` holds
 * the old content or the new, never a mix. The "~" cannot occur in a valid path, so these names
 * never collide with real files, and listDir hides them.
 *
 * appendFile opens in append mode, writes (File.write syncs) and closes: durable on return, and
 * a power cut can leave a prefix of the appended bytes (the interface allows a torn tail).
 *
 * Gaps against the interface (documented in the README):
 * - truncateFile cannot cut in place: it copies the first `size` bytes through the same
 *   marker protocol, so it needs free space for the copy and takes time proportional to `size`.
 * - Paths are limited to 61 characters: Espruino's fs takes at most 63 (JS_DIR_BUF_SIZE 64 on
 *   the device) and the "~t" suffix needs two of them.
 * - FAT is case-insensitive: "a" and "A" are the same file; firmware/ only uses names it creates.
 * - A full card shows up as a short write; 'no-space' is reported when the volume then has no
 *   free cluster, 'io' otherwise.
 */
import { StorageError } from '../storage';
import type { Storage, StorageErrorCode } from '../storage';
import type { EspruinoFileApi, EspruinoFs } from './builtins';

/** Espruino's fs path buffer holds 63 characters; "~t" must still fit. */
export const MAX_PATH_LENGTH = 61;
const TEMP_SUFFIX = '~t';
const COMMIT_SUFFIX = '~c';
/** Bytes copied per read/write during recovery and truncation (one SD sector multiple). */
const COPY_CHUNK = 4096;

function isSegmentChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d;
}

function isValidSegment(name: string): boolean {
  if (name.length === 0 || name === '.' || name === '..') return false;
  for (let i = 0; i < name.length; i++) if (!isSegmentChar(name.charCodeAt(i))) return false;
  return true;
}

/** Checks a card path; `allowRoot` admits "" (the root directory). Returns it unchanged. */
function checkPath(p: unknown, allowRoot: boolean): string {
  if (typeof p !== 'string') throw new StorageError('invalid-path', 'path must be a string');
  if (p === '') {
    if (allowRoot) return p;
    throw new StorageError('invalid-path', 'empty path: a file needs a name');
  }
  if (p.length > MAX_PATH_LENGTH) {
    throw new StorageError('invalid-path', 'path longer than ' + MAX_PATH_LENGTH + ' characters (the device file system limit)');
  }
  const segments = p.split('/');
  for (let i = 0; i < segments.length; i++) {
    if (!isValidSegment(segments[i])) {
      throw new StorageError('invalid-path', 'invalid path segment ' + JSON.stringify(segments[i]) + ': use [A-Za-z0-9._-], not "." or ".."');
    }
  }
  return p;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Espruino reports FatFs failures as "<what> : <FRESULT name>"; group them into the interface's codes. */
export function storageCodeOf(message: string): StorageErrorCode {
  const m = message.toUpperCase();
  if (m.indexOf('MOUNT') >= 0 || m.indexOf('NOT_READY') >= 0 || m.indexOf('NO_FILESYSTEM') >= 0 ||
    m.indexOf('NOT_ENABLED') >= 0 || m.indexOf('INVALID_DRIVE') >= 0) return 'not-mounted';
  return 'io';
}

export function createEspruinoStorage(fs: EspruinoFs, files: EspruinoFileApi): Storage {
  /** Paths whose leftover temporaries have been dealt with since this card was mounted (boot). */
  const recovered: { [path: string]: true } = {};

  function fail(op: string, p: string, e: unknown): never {
    if (e instanceof StorageError) throw e;
    const message = messageOf(e);
    throw new StorageError(storageCodeOf(message), op + ' ' + p + ': ' + message);
  }

  function exists(p: string): boolean {
    return fs.statSync(p) !== undefined;
  }

  function removeIfPresent(p: string): void {
    if (exists(p)) fs.unlinkSync(p);
  }

  /** A short write means a full card when the volume has no free cluster left. */
  function shortWrite(p: string): never {
    let code: StorageErrorCode = 'io';
    try {
      const free = fs.getFree();
      if (free !== undefined && free.freeSectors === 0) code = 'no-space';
    } catch (e) {
      // The card vanished as well: the 'io' report stands.
    }
    throw new StorageError(code, 'write ' + p + ': the card accepted only part of the data' + (code === 'no-space' ? ' (card full)' : ''));
  }

  function writeWhole(p: string, data: Uint8Array, mode: string): void {
    const f = files.openFile(p, mode);
    try {
      const n = data.length === 0 ? 0 : f.write(data);
      if (n !== data.length) shortWrite(p);
    } finally {
      f.close();
    }
  }

  /** Copies the first `limit` bytes of `from` over `to` in chunks (no whole-file buffer). */
  function copyPrefix(from: string, to: string, limit: number): void {
    const src = files.openFile(from, 'r');
    try {
      const dst = files.openFile(to, 'w');
      try {
        let done = 0;
        while (done < limit) {
          const want = limit - done < COPY_CHUNK ? limit - done : COPY_CHUNK;
          const s = src.read(want);
          if (s === undefined || s.length === 0) break;
          const chunk = files.toUint8Array(s);
          if (dst.write(chunk) !== chunk.length) shortWrite(to);
          done += chunk.length;
        }
        if (done !== limit) throw new StorageError('io', 'copy ' + from + ': the file ended after ' + done + ' of ' + limit + ' bytes');
      } finally {
        dst.close();
      }
    } finally {
      src.close();
    }
  }

  /** Finishes or discards an interrupted writeFileAtomic/truncateFile of `p` (see the header). */
  function recover(p: string): void {
    if (recovered[p]) return;
    const temp = p + TEMP_SUFFIX;
    const commit = p + COMMIT_SUFFIX;
    if (exists(commit)) {
      const st = fs.statSync(temp);
      if (st !== undefined) {
        copyPrefix(temp, p, st.size);
        fs.unlinkSync(commit);
        fs.unlinkSync(temp);
      } else {
        // Step 4 had begun: the target already holds the new content.
        fs.unlinkSync(commit);
      }
    } else {
      removeIfPresent(temp);
    }
    recovered[p] = true;
  }

  /** The marker protocol, with step 3 supplied by the caller. */
  function commitReplace(p: string, writeTemp: (temp: string) => void, writeTarget: () => void): void {
    const temp = p + TEMP_SUFFIX;
    const commit = p + COMMIT_SUFFIX;
    removeIfPresent(temp);
    writeTemp(temp);
    writeWhole(commit, new Uint8Array([1]), 'w');
    writeTarget();
    fs.unlinkSync(commit);
    fs.unlinkSync(temp);
  }

  function requireFile(p: string, st: { dir: boolean } | undefined): void {
    if (st !== undefined && st.dir) throw new StorageError('io', p + ' is a directory');
  }

  return {
    readFile(path: string): Uint8Array | null {
      const p = checkPath(path, false);
      try {
        recover(p);
        const st = fs.statSync(p);
        if (st === undefined) return null;
        requireFile(p, st);
        if (st.size === 0) return new Uint8Array(0);
        const f = files.openFile(p, 'r');
        try {
          const s = f.read(st.size);
          const out = s === undefined ? new Uint8Array(0) : files.toUint8Array(s);
          if (out.length !== st.size) throw new StorageError('io', 'read ' + p + ': got ' + out.length + ' of ' + st.size + ' bytes');
          return out;
        } finally {
          f.close();
        }
      } catch (e) {
        return fail('read', p, e);
      }
    },

    writeFileAtomic(path: string, data: Uint8Array): void {
      const p = checkPath(path, false);
      try {
        recover(p);
        requireFile(p, fs.statSync(p));
        commitReplace(
          p,
          (temp) => writeWhole(temp, data, 'w'),
          () => writeWhole(p, data, 'w'),
        );
      } catch (e) {
        fail('write', p, e);
      }
    },

    appendFile(path: string, data: Uint8Array): void {
      const p = checkPath(path, false);
      try {
        recover(p);
        requireFile(p, fs.statSync(p));
        writeWhole(p, data, 'a');
      } catch (e) {
        fail('append to', p, e);
      }
    },

    truncateFile(path: string, size: number): void {
      const p = checkPath(path, false);
      if (typeof size !== 'number' || size !== Math.floor(size) || size < 0) {
        throw new StorageError('io', 'truncate ' + p + ': size must be a non-negative integer');
      }
      try {
        recover(p);
        const st = fs.statSync(p);
        if (st === undefined) throw new StorageError('io', 'truncate ' + p + ': no such file');
        requireFile(p, st);
        // Only cutting is allowed: growing would invent bytes that a journal would then parse.
        if (size > st.size) throw new StorageError('io', 'truncate ' + p + ': cannot grow a ' + st.size + '-byte file to ' + size + ' bytes');
        if (size === st.size) return;
        commitReplace(
          p,
          (temp) => copyPrefix(p, temp, size),
          () => copyPrefix(p + TEMP_SUFFIX, p, size),
        );
      } catch (e) {
        fail('truncate', p, e);
      }
    },

    deleteFile(path: string): void {
      const p = checkPath(path, false);
      try {
        recover(p);
        const st = fs.statSync(p);
        if (st === undefined) return;
        requireFile(p, st);
        fs.unlinkSync(p);
      } catch (e) {
        fail('delete', p, e);
      }
    },

    fileSize(path: string): number {
      const p = checkPath(path, false);
      try {
        recover(p);
        const st = fs.statSync(p);
        if (st === undefined) return -1;
        requireFile(p, st);
        return st.size;
      } catch (e) {
        return fail('stat', p, e);
      }
    },

    listDir(dir: string): string[] {
      const d = checkPath(dir, true);
      try {
        if (d !== '') {
          const st = fs.statSync(d);
          if (st === undefined) return [];
          if (!st.dir) throw new StorageError('io', d + ' is not a directory');
        }
        const names = fs.readdirSync(d === '' ? '/' : d) || [];
        const out: string[] = [];
        for (let i = 0; i < names.length; i++) {
          const n = names[i];
          // Hide ".", ".." and this backend's temporaries (no valid name contains "~").
          if (n !== '.' && n !== '..' && n.indexOf('~') < 0) out.push(n);
        }
        out.sort();
        return out;
      } catch (e) {
        return fail('list', d === '' ? '/' : d, e);
      }
    },

    makeDir(dir: string): void {
      const d = checkPath(dir, false);
      try {
        const segments = d.split('/');
        let cur = '';
        for (let i = 0; i < segments.length; i++) {
          cur = cur === '' ? segments[i] : cur + '/' + segments[i];
          const st = fs.statSync(cur);
          if (st === undefined) fs.mkdirSync(cur);
          else if (!st.dir) throw new StorageError('io', cur + ' exists and is not a directory');
        }
      } catch (e) {
        fail('make directory', d, e);
      }
    },
  };
}
