import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeCrypto } from '../../hal/node/crypto';
import { createNodeRandom } from '../../hal/node/random';
import { RatchetRepl } from '../../tools/ratchet-repl';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function hexText(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

function ok(reply: string): string {
  assert.ok(!reply.startsWith('ERR'), reply);
  return reply;
}

/** A harness process: one line in, one line out. */
class Party {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];
  private lines: string[] = [];

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools/ratchet-repl.ts')], { cwd: ROOT });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.substring(0, nl);
        this.buffer = this.buffer.substring(nl + 1);
        const w = this.waiting.shift();
        if (w !== undefined) w(line);
        else this.lines.push(line);
      }
    });
  }

  ask(line: string): Promise<string> {
    this.child.stdin.write(line + '\n');
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

interface Asker {
  ask(line: string): Promise<string> | string;
}

/** Alice (INIT_RCV) and Bob (INIT_SND) converse, with Bob's second batch delivered in reverse. */
async function converse(alice: Asker, bob: Asker, pq: boolean): Promise<void> {
  const offer = ok(await alice.ask('INIT_RCV ' + (pq ? 1 : 0)));
  const reply = ok(await bob.ask('INIT_SND ' + offer + ' ' + (pq ? 1 : 0)));
  assert.equal(await alice.ask('COMPLETE ' + reply), 'OK');
  assert.match(await alice.ask('ENC ' + hexText('too early')), /^ERR state/);
  for (let round = 0; round < 4; round++) {
    const fromBob: string[] = [];
    for (let i = 0; i < 3; i++) fromBob.push(ok(await bob.ask('ENC ' + hexText('bob ' + round + '.' + i))));
    const order = round % 2 === 1 ? [2, 0, 1] : [0, 1, 2];
    for (const i of order) assert.equal(await alice.ask('DEC ' + fromBob[i]), hexText('bob ' + round + '.' + i));
    // A replay is refused and changes nothing.
    assert.match(await alice.ask('DEC ' + fromBob[0]), /^ERR /);
    const fromAlice = ok(await alice.ask('ENC ' + hexText('alice ' + round)));
    const tampered = fromAlice.substring(0, 200) + (fromAlice[200] === '0' ? '1' : '0') + fromAlice.substring(201);
    assert.match(await bob.ask('DEC ' + tampered), /^ERR /);
    assert.equal(await bob.ask('DEC ' + fromAlice), hexText('alice ' + round));
  }
}

describe('tools/ratchet-repl', () => {
  it('converses in both directions in-process, with and without PQ, out of order, refusing replays and tampering', async function () {
    this.timeout(20000);
    for (const pq of [false, true]) {
      const c = () => createNodeCrypto(createNodeRandom());
      const a = new RatchetRepl(c());
      const b = new RatchetRepl(c());
      await converse({ ask: (l) => a.handle(l) }, { ask: (l) => b.handle(l) }, pq);
    }
  });

  it('answers bad requests with ERR and a reason, never crashing', () => {
    const r = new RatchetRepl(createNodeCrypto(createNodeRandom()));
    assert.match(r.handle('HELLO'), /^ERR unknown-command/);
    assert.match(r.handle(''), /^ERR unknown-command/);
    assert.match(r.handle('ENC 00'), /^ERR state/);
    assert.match(r.handle('COMPLETE 00'), /^ERR state/);
    assert.match(r.handle('INIT_RCV 2'), /^ERR bad-pq/);
    assert.match(r.handle('INIT_SND zz 0'), /^ERR bad-hex/);
    assert.match(r.handle('INIT_SND 0003 0'), /^ERR bad-params/);
    ok(r.handle('INIT_RCV 0'));
    assert.match(r.handle('COMPLETE 0102'), /^ERR bad-params/);
    assert.match(r.handle('INIT_SND'), /^ERR usage/);
  });

  it('two harness processes wired together converse, with and without PQ', async function () {
    this.timeout(60000);
    for (const pq of [false, true]) {
      const alice = new Party();
      const bob = new Party();
      try {
        await converse(alice, bob, pq);
      } finally {
        alice.close();
        bob.close();
      }
    }
  });
});
