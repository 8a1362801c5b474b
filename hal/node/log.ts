import { closeSync, openSync, writeSync } from 'node:fs';
import type { Log, LogFields, LogLevel, LogValue } from '../log';

/**
 * Structured logs for the desktop simulator: one JSON object per line,
 *   {"time":"2026-01-02T03:04:05.678Z","level":"info","event":"smp.connected","fields":{"host":"..."}}
 * so a run can be searched with grep or jq. Fields sit under "fields" so no field can shadow
 * time, level or event.
 */

const RANK: { [level: string]: number } = { debug: 10, info: 20, warn: 30, error: 40 };

/** Anything with a write(string) method: process.stderr, a file stream, a test's collector. */
export interface LineSink {
  write(chunk: string): unknown;
}

export interface NodeLogOptions {
  /** Records below this level are dropped. Default 'info'. */
  level?: LogLevel;
  /** Append to this file (created with mode 0600 if missing). Takes precedence over `stream`. */
  file?: string;
  /** Write to this stream. Default process.stderr, keeping stdout free for program output. */
  stream?: LineSink;
  /** Wall clock for the "time" member; default Date.now. */
  now?: () => number;
}

export interface NodeLog extends Log {
  /** Closes the file, if any; later writes are dropped. */
  close(): void;
}

export interface LogRecord {
  readonly time: number;
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: LogFields;
}

export interface MemoryLog extends Log {
  /** Every record written so far that passed the level filter, oldest first. */
  readonly records: LogRecord[];
  clear(): void;
}

function rankOf(level: string): number {
  const r = RANK[level];
  // An unknown level is shown rather than lost.
  return r === undefined ? RANK.error : r;
}

/**
 * The interface only admits string, number, boolean and null; this re-checks at run time so that
 * a value smuggled past the type checker (a Uint8Array holding a key, an object) never reaches
 * the log, and says so in its place.
 */
function safeValue(value: unknown): LogValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value as LogValue;
  if (typeof value === 'number') return isFinite(value) ? value : null;
  return '[dropped: not a log value]';
}

function copyFields(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  if (fields === undefined || fields === null) return out;
  const keys = Object.keys(fields);
  for (let i = 0; i < keys.length; i++) {
    // defineProperty, not assignment: a field named "__proto__" must stay a field.
    Object.defineProperty(out, keys[i], { value: safeValue(fields[keys[i]]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** JSON text of one record, built member by member so that a field named "__proto__" is just a name. */
export function formatRecord(time: number, level: LogLevel, event: string, fields: LogFields): string {
  let text = '{"time":' + JSON.stringify(new Date(time).toISOString()) + ',"level":' + JSON.stringify(String(level)) +
    ',"event":' + JSON.stringify(String(event)) + ',"fields":{';
  const keys = Object.keys(fields);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) text += ',';
    text += JSON.stringify(keys[i]) + ':' + JSON.stringify(fields[keys[i]]);
  }
  return text + '}}';
}

export function createNodeLog(options: NodeLogOptions = {}): NodeLog {
  const minRank = rankOf(options.level ?? 'info');
  const now = options.now ?? Date.now;
  let fd = options.file !== undefined ? openSync(options.file, 'a', 0o600) : -1;
  const toFile = options.file !== undefined;
  const stream: LineSink = options.stream ?? process.stderr;

  return {
    write(level: LogLevel, event: string, fields?: LogFields): void {
      if (rankOf(level) < minRank) return;
      const line = formatRecord(now(), level, event, copyFields(fields)) + '\n';
      // Logging must never take the program down: a full disk or a closed pipe loses the line.
      try {
        if (toFile) {
          if (fd >= 0) writeSync(fd, line);
        } else {
          stream.write(line);
        }
      } catch {
        // dropped
      }
    },
    close(): void {
      if (fd >= 0) {
        const f = fd;
        fd = -1;
        closeSync(f);
      }
    },
  };
}

/** A log that keeps its records in memory, for tests that check what was (and was not) logged. */
export function createMemoryLog(options: { level?: LogLevel; now?: () => number } = {}): MemoryLog {
  const minRank = rankOf(options.level ?? 'debug');
  const now = options.now ?? Date.now;
  const records: LogRecord[] = [];
  return {
    records,
    write(level: LogLevel, event: string, fields?: LogFields): void {
      if (rankOf(level) < minRank) return;
      records.push({ time: now(), level, event: String(event), fields: copyFields(fields) });
    },
    clear(): void {
      records.length = 0;
    },
  };
}
