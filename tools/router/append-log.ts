/**
 * A durable append-only file of text lines with group commit: the mechanics under the router's
 * store log and message journal (store-log.ts gives the lines their meaning).
 *
 * append() returns a promise that settles once the line is on disk (fdatasync). Lines appended
 * while a sync is running are written and synced together afterwards, so many concurrent
 * commands share one fsync instead of queueing behind one each. Lines reach the file in the
 * order append() was called, and promises settle in that order.
 *
 * A crash can leave a torn last line (no '\n'). Every line ends with '\n', and a write is a single
 * sequential append, so a torn line is always the last bytes of the file: read() separates it, and
 * the owner rewrites the file without it. A complete line is never torn.
 *
 * Compaction: when the owner says the file holds mostly dead records, the next flush replaces the
 * whole file with a snapshot of the live state instead of appending (write a temporary file, sync,
 * rename, sync the directory). The snapshot is taken from the owner's in-memory state, which
 * already includes every line appended so far, so those lines are settled by the rewrite.
 *
 * After a write or sync error every pending and later append rejects with that error: a log with
 * an unknown tail must not accept more records (fail-stop).
 */
import { closeSync, fdatasync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { RouterError } from './errors';

export interface RecoveredLines {
  /** Every complete line, without its '\n'. */
  readonly lines: string[];
  /** Bytes after the last '\n': a record torn by a crash, dropped. */
  readonly tornBytes: number;
}

export interface Compactor {
  /** Asked before each flush with the bytes appended since the file was last rewritten. */
  due(bytesSinceRewrite: number): boolean;
  /** The live state as lines, reflecting every append() made so far. */
  snapshot(): string[];
}

export interface AppendLogOptions {
  /** fdatasync before settling (default true). False trades crash safety for speed (benchmarks only). */
  readonly sync: boolean;
  readonly compactor: Compactor | null;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

const NEWLINE = 0x0a;

/** Reads a log file; a missing file is an empty log. */
export function readLines(file: string): RecoveredLines {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { lines: [], tornBytes: 0 };
    throw new RouterError('store-io', 'cannot read ' + file + ' (' + errnoOf(e) + ')');
  }
  const end = data.lastIndexOf(NEWLINE) + 1;
  const text = data.subarray(0, end).toString('utf8');
  const lines = end === 0 ? [] : text.substring(0, text.length - 1).split('\n');
  return { lines: lines, tornBytes: data.length - end };
}

export class AppendLog {
  private readonly file: string;
  private readonly options: AppendLogOptions;
  private fd: number;
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  private failure: Error | null = null;
  private closed = false;
  private bytesSinceRewrite = 0;
  private idle: Array<() => void> = [];

  /**
   * Replaces the file's content with `lines` (atomically) and opens it for appending. The owner
   * calls this once at start with its recovered state, which also drops a torn tail.
   */
  constructor(file: string, lines: string[], options: AppendLogOptions) {
    this.file = file;
    this.options = options;
    this.fd = -1;
    this.rewrite(lines);
  }

  append(line: string): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new RouterError('store-io', this.file + ' is closed'));
    this.pending.push(line + '\n');
    const done = new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve: resolve, reject: reject });
    });
    if (!this.flushing) {
      this.flushing = true;
      // One tick later, so the lines of every command in the current block share the sync.
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Settles after every append made so far has settled; then later appends are refused. */
  close(): Promise<void> {
    this.closed = true;
    const finish = (): void => {
      if (this.fd >= 0) {
        closeSync(this.fd);
        this.fd = -1;
      }
    };
    if (!this.flushing) {
      finish();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.idle.push(() => {
        finish();
        resolve();
      });
    });
  }

  private flush(): void {
    if (this.pending.length === 0 || this.failure !== null) {
      this.flushing = false;
      const idle = this.idle;
      this.idle = [];
      for (let i = 0; i < idle.length; i++) idle[i]();
      return;
    }
    const lines = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    try {
      const compactor = this.options.compactor;
      if (compactor !== null && compactor.due(this.bytesSinceRewrite)) {
        this.rewrite(compactor.snapshot());
        settle(waiters, null);
        this.flush();
        return;
      }
      const data = Buffer.from(lines.join(''), 'utf8');
      writeAll(this.fd, data);
      this.bytesSinceRewrite += data.length;
    } catch (e) {
      this.fail(e, waiters);
      return;
    }
    if (!this.options.sync) {
      settle(waiters, null);
      this.flush();
      return;
    }
    fdatasync(this.fd, (e) => {
      if (e !== null) {
        this.fail(e, waiters);
        return;
      }
      settle(waiters, null);
      this.flush();
    });
  }

  private fail(e: unknown, waiters: Waiter[]): void {
    this.failure = new RouterError('store-io', 'writing ' + this.file + ' failed (' + errnoOf(e) + '); the router stopped accepting changes');
    settle(waiters, this.failure);
    settle(this.waiters, this.failure);
    this.waiters = [];
    this.pending = [];
    this.flush();
  }

  private rewrite(lines: string[]): void {
    const temp = this.file + '.tmp';
    let fd = -1;
    try {
      fd = openSync(temp, 'w', 0o600);
      // In slices, so a large state never needs one string of its whole size.
      const SLICE = 4096;
      for (let i = 0; i < lines.length; i += SLICE) {
        writeAll(fd, Buffer.from(lines.slice(i, i + SLICE).join('\n') + '\n', 'utf8'));
      }
      fsyncSync(fd);
      closeSync(fd);
      fd = -1;
      renameSync(temp, this.file);
      syncDirectory(path.dirname(this.file));
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = openSync(this.file, 'a', 0o600);
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      throw new RouterError('store-io', 'rewriting ' + this.file + ' failed (' + errnoOf(e) + ')');
    }
    this.bytesSinceRewrite = 0;
  }
}

function settle(waiters: Waiter[], error: Error | null): void {
  for (let i = 0; i < waiters.length; i++) {
    if (error === null) waiters[i].resolve();
    else waiters[i].reject(error);
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

/** Makes the rename durable; platforms that cannot sync a directory are let through. */
function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno !== 'EISDIR' && errno !== 'EPERM' && errno !== 'EINVAL') throw e;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
