/**
 * Durability (store-log.ts, append-log.ts): queues and undelivered messages survive restarts and
 * kill -9, a torn last record is dropped, a damaged earlier one stops the router, and runtime
 * compaction keeps the state.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';
import { RouterError } from '../../../tools/router/errors';
import { startRouter } from '../../../tools/router/router';
import { MESSAGE_LOG_FILE, QUEUE_LOG_FILE } from '../../../tools/router/store-log';
import {
  assertErr,
  assertOk,
  bytesEqual,
  describe as describeMsg,
  ed25519Key,
  messageText,
  random,
  removeTempDirs,
  startTestRouter,
  tempDir,
  TestClient,
  text,
  type QueueHandle,
} from './helpers';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Receives with GET/ACK until the queue is empty; returns the texts in order. */
async function drain(client: TestClient, q: QueueHandle, limit: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < limit; i++) {
    const msg = await client.cmd(q.rcvId, { type: 'GET' }, q.rcvKey);
    if (msg.type === 'OK') return out;
    if (msg.type !== 'MSG') assert.fail('GET answered ' + describeMsg(msg));
    out.push(messageText(q, msg));
    assertOk(await client.cmd(q.rcvId, { type: 'ACK', msgId: msg.msgId }, q.rcvKey));
  }
  assert.fail('queue not empty after ' + limit + ' messages');
}

describe('router durability', function () {
  after(removeTempDirs);

  it('keeps queues, keys, link data and messages across a restart; a delivered but unacknowledged message comes again', async () => {
    const dir = tempDir();
    let r = await startTestRouter({ storeDir: dir });
    let rcv = await TestClient.connect(r.server);
    let snd = await TestClient.connect(r.server);
    const q = await rcv.newQueue();
    const sender = ed25519Key();
    assertOk(await snd.cmd(q.sndId, { type: 'SKEY', senderKey: sender.publicKey }, sender));
    for (const m of ['one', 'two', 'three']) assertOk(await snd.send(q, text(m), sender));
    const one = await rcv.nextMessage(q);
    assert.equal(messageText(q, one), 'one');
    const two = await rcv.cmd(q.rcvId, { type: 'ACK', msgId: one.msgId }, q.rcvKey);
    assert.equal(messageText(q, two), 'two'); // delivered, not acknowledged

    const off = await rcv.newQueue();
    assertOk(await rcv.cmd(off.rcvId, { type: 'OFF' }, off.rcvKey));
    const gone = await rcv.newQueue();
    assertOk(await snd.send(gone, text('lost with its queue')));
    assertOk(await rcv.cmd(gone.rcvId, { type: 'DEL' }, gone.rcvKey));
    const corrId = random.bytes(24);
    const linkId = random.bytes(24);
    const contact = await rcv.newQueue({
      corrId: corrId,
      queueReqData: { mode: 'contact', link: { linkId: linkId, senderId: (await import('./helpers')).crypto.sha3_384(corrId).subarray(0, 24), fixedData: text('F'), userData: text('U') } },
    });
    rcv.close();
    snd.close();
    await r.stop(true);

    r = await startTestRouter({ storeDir: dir });
    assert.equal(r.router.recovery.queues, 3);
    assert.equal(r.router.recovery.messages, 2);
    rcv = await TestClient.connect(r.server);
    snd = await TestClient.connect(r.server);
    try {
      assertErr(await snd.send(q, text('unsigned')), { type: 'AUTH' }); // still secured
      assertOk(await snd.send(q, text('four'), sender));
      assert.equal((await rcv.cmd(q.rcvId, { type: 'SUB' }, q.rcvKey)).type, 'SOK');
      const again = await rcv.nextMessage(q);
      assert.equal(messageText(q, again), 'two');
      assert.ok(bytesEqual(again.msgId, (two as { msgId: Uint8Array }).msgId), 'the same message, with its id');
      const three = await rcv.cmd(q.rcvId, { type: 'ACK', msgId: again.msgId }, q.rcvKey);
      assert.equal(messageText(q, three), 'three');
      const four = await rcv.cmd(q.rcvId, { type: 'ACK', msgId: (three as { msgId: Uint8Array }).msgId }, q.rcvKey);
      assert.equal(messageText(q, four), 'four');

      assertErr(await snd.send(off, text('x')), { type: 'AUTH' });
      assertErr(await rcv.cmd(gone.rcvId, { type: 'SUB' }, gone.rcvKey), { type: 'AUTH' });
      assert.deepEqual(await snd.cmd(linkId, { type: 'LGET' }, null), { type: 'LNK', senderId: contact.sndId, fixedData: text('F'), userData: text('U') });
      // The recipient's DH secret survived: the MSG bodies above opened.
    } finally {
      rcv.close();
      snd.close();
      await r.stop();
    }
  });

  it('drops a torn last line from each file and recovers everything before it', async () => {
    const dir = tempDir();
    let r = await startTestRouter({ storeDir: dir });
    let c = await TestClient.connect(r.server);
    const q = await c.newQueue({ subscribe: false });
    assertOk(await c.send(q, text('kept')));
    c.close();
    await r.stop(true);
    const tornQueue = '{"op":"create","rid":"AAAA';
    const tornMessage = '{"op":"store","rid":';
    appendFileSync(path.join(dir, QUEUE_LOG_FILE), tornQueue);
    appendFileSync(path.join(dir, MESSAGE_LOG_FILE), tornMessage);

    r = await startTestRouter({ storeDir: dir });
    c = await TestClient.connect(r.server);
    try {
      assert.equal(r.router.recovery.tornBytes, tornQueue.length + tornMessage.length);
      assert.ok(readFileSync(path.join(dir, MESSAGE_LOG_FILE), 'utf8').endsWith('\n'), 'the torn tail is gone from the file');
      assert.deepEqual(await drain(c, q, 5), ['kept']);
    } finally {
      c.close();
      await r.stop();
    }
  });

  it('refuses to start when a line before the last is damaged', async () => {
    const dir = tempDir();
    const r = await startTestRouter({ storeDir: dir });
    const c = await TestClient.connect(r.server);
    await c.newQueue();
    await c.newQueue();
    c.close();
    await r.stop(true);
    const file = path.join(dir, QUEUE_LOG_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[0] = lines[0].replace('"op":"create"', '"op":"creat"');
    writeFileSync(file, lines.join('\n'));
    await assert.rejects(startRouter({ storeDir: dir }), (e: unknown) => e instanceof RouterError && e.code === 'store-corrupt' && /queues\.log line 1/.test(e.message));
    writeFileSync(file, 'not json\n' + lines.slice(1).join('\n'));
    await assert.rejects(startRouter({ storeDir: dir }), (e: unknown) => e instanceof RouterError && e.code === 'store-corrupt');
  });

  it('compacts the message journal at runtime without losing or resurrecting messages', async () => {
    const dir = tempDir();
    let r = await startTestRouter({ storeDir: dir, compactAfterBytes: 4096 });
    let c = await TestClient.connect(r.server);
    const q = await c.newQueue({ subscribe: false });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) assertOk(await c.send(q, text('r' + round + 'm' + i + '-' + 'x'.repeat(300))));
      assert.equal((await drain(c, q, 10)).length, 5);
    }
    assertOk(await c.send(q, text('survivor')));
    // 100 messages of ~400 bytes came and went; the journal holds about the one that is left.
    assert.ok(statSync(path.join(dir, MESSAGE_LOG_FILE)).size < 8192, 'journal size ' + statSync(path.join(dir, MESSAGE_LOG_FILE)).size);
    c.close();
    await r.stop(true);
    r = await startTestRouter({ storeDir: dir });
    c = await TestClient.connect(r.server);
    try {
      assert.deepEqual(await drain(c, q, 5), ['survivor']);
    } finally {
      c.close();
      await r.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI, and kill -9

interface RouterProcess {
  readonly child: ChildProcess;
  readonly server: SmpServer;
  readonly stdout: () => string;
}

function spawnRouter(args: string[]): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'tools/router/main.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise<RouterProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the router printed no address within 20 s')), 20000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /^Server address: (smp:\/\/\S+)\n/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child: child, server: parseSmpServer(m[1]).server, stdout: () => out });
      }
    });
    child.stderr?.on('data', () => undefined);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error('the router exited with ' + code + ' before printing its address'));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('router process', function () {
  after(removeTempDirs);

  it('prints exactly one address line, with the password, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const p = await spawnRouter(['--store', dir, '--port', '0', '--password', 'pw1']);
    try {
      assert.match(p.stdout(), /^Server address: smp:\/\/[A-Za-z0-9_-]{43}=:pw1@127\.0\.0\.1:\d+\n$/);
      const c = await TestClient.connect(p.server);
      assert.equal((await c.cmd(new Uint8Array(0), { type: 'PING' }, null)).type, 'PONG');
      c.close();
    } finally {
      p.child.kill('SIGTERM');
    }
    assert.equal(await exited(p.child), 0);
    assert.equal(p.stdout().split('\n').length, 2, 'one line and its newline');
  });

  it('exits with usage on bad arguments', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'tools/router/main.ts'), '--port', 'x'], { cwd: REPO, stdio: 'ignore' });
    assert.equal(await exited(child), 2);
  });

  it('kill -9 during a stream of SENDs loses no confirmed message; after restart each is delivered once', async function () {
    this.timeout(60000);
    const dir = tempDir();
    let p = await spawnRouter(['--store', dir, '--port', '0']);
    const port = p.server.port as number;
    const rcv = await TestClient.connect(p.server);
    const q = await rcv.newQueue({ subscribe: false });
    rcv.close();
    const snd = await TestClient.connect(p.server);
    const confirmed: number[] = [];
    let next = 0;
    let killed = false;
    // Keep 16 SENDs in flight; kill the router once 60 are confirmed, mid-stream.
    const worker = async (): Promise<void> => {
      while (!killed) {
        const n = next++;
        let msg;
        try {
          msg = await snd.send(q, text('m' + n));
        } catch (e) {
          return; // the connection died with the router
        }
        if (msg.type === 'OK') confirmed.push(n);
        if (confirmed.length >= 60 && !killed) {
          killed = true;
          p.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await exited(p.child);
    snd.close();
    assert.ok(confirmed.length >= 60 && confirmed.length < next);

    p = await spawnRouter(['--store', dir, '--port', String(port)]);
    const after = await TestClient.connect(p.server);
    try {
      const received = await drain(after, q, 200);
      const numbers = received.map((t) => parseInt(t.substring(1), 10));
      assert.equal(new Set(numbers).size, numbers.length, 'no message twice');
      for (const n of confirmed) assert.ok(numbers.indexOf(n) >= 0, 'confirmed message m' + n + ' was lost');
      for (const n of numbers) assert.ok(n < next, 'a message nobody sent');
      // One sending connection: the router stored them in the order they were sent.
      for (let i = 1; i < numbers.length; i++) assert.ok(numbers[i - 1] < numbers[i], 'out of order: ' + numbers.join(','));
      // A second kill after delivery: acknowledged messages stay gone. ACK removals are journaled
      // without waiting for the disk, but in journal order: once a later SEND is confirmed, they are on disk.
      assertOk(await after.send(q, text('sentinel')));
      p.child.kill('SIGKILL');
      await exited(p.child);
      p = await spawnRouter(['--store', dir, '--port', String(port)]);
      const third = await TestClient.connect(p.server);
      const left = await drain(third, q, 200);
      third.close();
      assert.deepEqual(left, ['sentinel']);
    } finally {
      after.close();
      p.child.kill('SIGKILL');
      await exited(p.child);
    }
  });
});
