/**
 * The store's files without the network: append-log.ts (ordering, group commit, torn tails,
 * compaction, closing) and store-log.ts (every change survives a reopen exactly).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AppendLog, readLines } from '../../../tools/router/append-log';
import { RouterError } from '../../../tools/router/errors';
import { openStore, QUEUE_LOG_FILE, type OpenedStore } from '../../../tools/router/store-log';
import type { QueueState } from '../../../tools/router/queues';
import { crypto, random, removeTempDirs, tempDir, text } from './helpers';

describe('router append log', function () {
  after(removeTempDirs);

  it('writes lines in append order and settles them in that order, many per sync', async () => {
    const file = path.join(tempDir(), 'log');
    const log = new AppendLog(file, ['first'], { sync: true, compactor: null });
    const settled: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) all.push(log.append('line ' + i).then(() => void settled.push(i)));
    await Promise.all(all);
    assert.deepEqual(settled, Array.from({ length: 200 }, (_, i) => i));
    await log.close();
    const lines = readLines(file);
    assert.equal(lines.tornBytes, 0);
    assert.deepEqual(lines.lines, ['first'].concat(Array.from({ length: 200 }, (_, i) => 'line ' + i)));
    await assert.rejects(log.append('late'), (e: unknown) => e instanceof RouterError && e.code === 'store-io');
  });

  it('reads a missing file as empty and separates a torn last line', () => {
    const dir = tempDir();
    assert.deepEqual(readLines(path.join(dir, 'none')), { lines: [], tornBytes: 0 });
    const file = path.join(dir, 'torn');
    writeFileSync(file, 'a\nb\npartial');
    assert.deepEqual(readLines(file), { lines: ['a', 'b'], tornBytes: 7 });
    writeFileSync(file, 'only-torn');
    assert.deepEqual(readLines(file), { lines: [], tornBytes: 9 });
    writeFileSync(file, '\n');
    assert.deepEqual(readLines(file), { lines: [''], tornBytes: 0 });
  });

  it('replaces the file with the snapshot when the compactor says so, settling the appends it covers', async () => {
    const file = path.join(tempDir(), 'log');
    let live: string[] = [];
    let rewrites = 0;
    const log = new AppendLog(file, [], {
      sync: true,
      compactor: {
        due: (bytes) => bytes > 100,
        snapshot: () => {
          rewrites++;
          return live.slice();
        },
      },
    });
    for (let i = 0; i < 50; i++) {
      live = ['state ' + i];
      await log.append('change ' + i);
    }
    await log.close();
    assert.ok(rewrites > 0);
    const lines = readLines(file).lines;
    assert.ok(lines.length < 10, 'compacted: ' + lines.length + ' lines');
    assert.ok(lines[0].startsWith('state '));
  });

  it('fails with store-io when the file cannot be written', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'log.tmp')); // the temporary the rewrite needs is a directory
    assert.throws(() => new AppendLog(path.join(dir, 'log'), ['x'], { sync: true, compactor: null }), (e: unknown) => e instanceof RouterError && e.code === 'store-io');
  });
});

describe('router store log', function () {
  after(removeTempDirs);

  function open(dir: string): OpenedStore {
    return openStore({ dir: dir, sync: true, quota: 4, compactAfterBytes: 1 << 30 });
  }

  function newState(): QueueState {
    return {
      rcvId: random.bytes(24),
      senderId: random.bytes(24),
      recipientKeys: [{ alg: 'ed25519', raw: crypto.ed25519KeyPair().publicKey }],
      rcvDhSecret: random.bytes(32),
      senderKey: null,
      mode: 'messaging',
      link: null,
      notifier: null,
      status: 'active',
    };
  }

  it('every kind of change is journaled and replays to the same state', async () => {
    const dir = tempDir();
    let opened = open(dir);
    const store = opened.store;
    const states = [newState(), newState(), newState(), { ...newState(), mode: 'contact' as const }, { ...newState(), mode: null }];
    for (const s of states) {
      const r = store.create(s);
      assert.ok(r.ok);
      await r.durable;
    }
    const [a, b, c, d] = states.map((s) => store.recipientQueue(s.rcvId)!);
    const done: Promise<void>[] = [];
    const push = (r: { ok: boolean; durable?: Promise<void> }): void => {
      assert.ok(r.ok);
      done.push((r as { durable: Promise<void> }).durable);
    };
    push(store.secure(a, { alg: 'x25519', raw: crypto.x25519KeyPair().publicKey }));
    push(store.setRecipientKeys(d, [{ alg: 'ed448', raw: crypto.ed448KeyPair().publicKey }, { alg: 'ed25519', raw: crypto.ed25519KeyPair().publicKey }]));
    push(store.setLink(d, { linkId: random.bytes(24), fixedData: text('fixed'), userData: new Uint8Array(0) }));
    push(store.setNotifier(b, { notifierId: random.bytes(24), notifierKey: { alg: 'ed25519', raw: crypto.ed25519KeyPair().publicKey }, rcvNtfDhSecret: random.bytes(32) }));
    done.push(store.suspend(c));
    for (let i = 0; i < 3; i++) {
      const w = store.write(a, random.bytes(24), 1700000000 + i, i === 1, text('message ' + i));
      assert.ok(w.ok);
      done.push(w.durable);
    }
    store.removeIfHead(a, a.messages[0].msgId);
    const e = store.recipientQueue(states[4].rcvId)!;
    done.push(store.delete(e));
    // Over the quota: the marker is stored too.
    const full = store.recipientQueue(states[1].rcvId)!;
    for (let i = 0; i < 5; i++) {
      const w = store.write(full, random.bytes(24), 1700000100, false, text('q' + i));
      if (w.ok) done.push(w.durable);
    }
    await Promise.all(done);
    const queuesBefore = JSON.stringify(store.queueSnapshot(), replacer);
    const messagesBefore = JSON.stringify(store.messageSnapshot(), replacer);
    await opened.log.close();

    opened = open(dir);
    try {
      assert.equal(opened.recovery.queues, 4);
      assert.equal(JSON.stringify(opened.store.queueSnapshot(), replacer), queuesBefore);
      assert.equal(JSON.stringify(opened.store.messageSnapshot(), replacer), messagesBefore);
      const fullAgain = opened.store.recipientQueue(states[1].rcvId)!;
      assert.deepEqual(fullAgain.messages.map((m) => m.kind), ['message', 'message', 'message', 'message', 'quota']);
      assert.equal(opened.store.write(fullAgain, random.bytes(24), 1, false, text('x')).ok, false, 'still over quota after recovery');
      assert.equal(opened.store.recipientQueue(states[4].rcvId), null);
      assert.ok(opened.store.linkQueue(d.state.link!.linkId) !== null);
      assert.ok(opened.store.notifierQueue(b.state.notifier!.notifierId) !== null);
    } finally {
      await opened.log.close();
    }
  });

  it('refuses a record about a queue the log never created', async () => {
    const dir = tempDir();
    const opened = open(dir);
    await opened.log.close();
    appendFileSync(path.join(dir, QUEUE_LOG_FILE), JSON.stringify({ op: 'suspend', rid: 'AAAA' }) + '\n');
    // The error names the file and line, never the content (records hold secrets).
    assert.throws(() => open(dir), (e: unknown) => e instanceof RouterError && e.code === 'store-corrupt' && /queues\.log line 1 /.test(e.message) && !e.message.includes('AAAA'));
  });
});

/** Uint8Arrays as hex, so snapshots compare by content. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
