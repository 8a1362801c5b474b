import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LogFields } from '../../../hal/log';
import { createMemoryLog, createNodeLog } from '../../../hal/node/log';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function collector(): { lines: () => string[]; write(chunk: string): boolean } {
  let buffer = '';
  return {
    write(chunk: string): boolean {
      buffer += chunk;
      return true;
    },
    lines: () => buffer.split('\n'),
  };
}

describe('hal/node/log', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('writes one JSON object per line: time, level, event, fields', () => {
    const sink = collector();
    const log = createNodeLog({ stream: sink, now: () => T0 });
    log.write('info', 'smp.connected', { host: 'smp.example', port: 5223, v: 18, proxy: false, note: null });
    log.write('error', 'smp.closed');
    const lines = sink.lines();
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '', 'every record ends with a newline');
    assert.equal(lines[0], '{"time":"2026-01-02T03:04:05.678Z","level":"info","event":"smp.connected","fields":{"host":"smp.example","port":5223,"v":18,"proxy":false,"note":null}}');
    assert.deepEqual(JSON.parse(lines[1]), { time: '2026-01-02T03:04:05.678Z', level: 'error', event: 'smp.closed', fields: {} });
  });

  it('drops records below the minimum level (default info)', () => {
    const sink = collector();
    const log = createNodeLog({ stream: sink, now: () => T0 });
    log.write('debug', 'noise');
    log.write('info', 'a');
    log.write('warn', 'b');
    const warnOnly = collector();
    const strict = createNodeLog({ stream: warnOnly, level: 'warn', now: () => T0 });
    strict.write('info', 'dropped');
    strict.write('warn', 'kept');
    strict.write('error', 'kept too');
    assert.deepEqual(sink.lines().filter((l) => l).map((l) => JSON.parse(l).event), ['a', 'b']);
    assert.deepEqual(warnOnly.lines().filter((l) => l).map((l) => JSON.parse(l).event), ['kept', 'kept too']);
  });

  it('keeps each record on one line and each field a field, whatever the text', () => {
    const sink = collector();
    const log = createNodeLog({ stream: sink, now: () => T0 });
    const fields: LogFields = { msg: 'line1\nline2 "quoted" \u2028', ['__proto__']: 'just a name', time: 'not the record time' };
    log.write('warn', 'odd\nevent', fields);
    const lines = sink.lines();
    assert.equal(lines.length, 2);
    const record = JSON.parse(lines[0]);
    assert.equal(record.event, 'odd\nevent');
    assert.equal(record.time, '2026-01-02T03:04:05.678Z');
    assert.equal(record.fields.msg, 'line1\nline2 "quoted" \u2028');
    assert.equal(record.fields.time, 'not the record time');
    assert.ok(Object.prototype.hasOwnProperty.call(record.fields, '__proto__'));
  });

  it('never logs a value the interface does not allow (no bytes, no objects), nor a non-finite number', () => {
    const sink = collector();
    const log = createNodeLog({ stream: sink, now: () => T0 });
    const secret = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    log.write('info', 'smuggled', { key: secret as unknown as string, obj: { a: 1 } as unknown as string, n: NaN, inf: Infinity });
    const line = sink.lines()[0];
    assert.ok(!/222|173|190|239|dead|beef/.test(line), line);
    assert.deepEqual(JSON.parse(line).fields, { key: '[dropped: not a log value]', obj: '[dropped: not a log value]', n: null, inf: null });
  });

  it('survives a stream that throws', () => {
    const log = createNodeLog({
      stream: {
        write(): boolean {
          throw new Error('EPIPE');
        },
      },
    });
    log.write('error', 'still fine');
  });

  it('appends to a file created with mode 0600, and drops writes after close()', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simplego-log-'));
    dirs.push(dir);
    const file = path.join(dir, 'simplego.log');
    writeFileSync(file, '{"earlier":true}\n', { mode: 0o600 });
    const log = createNodeLog({ file, level: 'debug', now: () => T0 });
    log.write('debug', 'one', { i: 1 });
    log.write('info', 'two');
    log.close();
    log.close();
    log.write('info', 'after close');
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(lines.map((l) => (l ? JSON.parse(l).event ?? 'earlier' : '')), ['earlier', 'one', 'two', '']);
    const fresh = path.join(dir, 'fresh.log');
    const log2 = createNodeLog({ file: fresh });
    log2.write('info', 'x');
    log2.close();
    assert.equal((statSync(fresh).mode & 0o777).toString(8), '600');
  });

  it('createMemoryLog keeps copies of the records for tests', () => {
    let t = 1000;
    const log = createMemoryLog({ now: () => t++ });
    const fields: LogFields = { queue: 'abc', n: 1 };
    log.write('debug', 'first', fields);
    fields.n = 2;
    log.write('warn', 'second');
    log.write('info', 'third', { bad: new Uint8Array(1) as unknown as string });
    assert.deepEqual(log.records, [
      { time: 1000, level: 'debug', event: 'first', fields: { queue: 'abc', n: 1 } },
      { time: 1001, level: 'warn', event: 'second', fields: {} },
      { time: 1002, level: 'info', event: 'third', fields: { bad: '[dropped: not a log value]' } },
    ]);
    log.clear();
    assert.deepEqual(log.records, []);
    const filtered = createMemoryLog({ level: 'error' });
    filtered.write('warn', 'dropped');
    filtered.write('error', 'kept');
    assert.deepEqual(filtered.records.map((r) => r.event), ['kept']);
  });
});
