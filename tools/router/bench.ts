/**
 * Router benchmark: delivered messages per second and SEND→MSG latency (p50, p99) with 1, 10
 * and 100 client connections on loopback, and heap memory per 1,000 queues.
 *
 * Throughput runs against a router in a child process (as `npm run router` starts it, with the
 * store synced before every answer), so router and clients do not share a core. Each connection
 * owns one subscribed queue and keeps one message in flight: SEND, wait for the MSG, ACK, again.
 * Latency is from issuing the SEND to receiving its MSG, so it includes the store's fsync and the
 * router's MSG encryption. Bodies are 16,000 random bytes, the size every real message is padded
 * to, so every block is full size; blocks are encrypted (v18 with hello keys).
 *
 * Memory runs in-process: heap growth after 1,000 NEWs (subscribed, empty queues), measured
 * between forced garbage collections. This is a measurement, not a test: nothing is asserted.
 *
 * benchRouter() returns rows for tools/bench.ts; `npx tsx tools/router/bench.ts` prints them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Crypto } from '../../hal/crypto';
import { createMemoryLog } from '../../hal/node/log';
import { createNodeCrypto } from '../../hal/node/crypto';
import { createNodeRandom } from '../../hal/node/random';
import { parseSmpServer, type SmpServer } from '../../firmware/smp/address';
import { encodeCommand, type Command } from '../../firmware/smp/commands';
import type { BrokerMsg } from '../../firmware/smp/responses';
import { authorizedBytes } from '../../firmware/smp/transmission';
import { SmpClient } from './client';
import { startRouter } from './router';

export interface RouterBenchRow {
  readonly name: string;
  /** Delivered messages per second; null for the memory row. */
  readonly messagesPerSecond: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Heap bytes per 1,000 queues; null for throughput rows. */
  readonly bytesPer1000Queues: number | null;
}

export interface RouterBenchOptions {
  /** Measuring time per connection count; default 3000 ms. */
  readonly runMs?: number;
  /** Default [1, 10, 100]. */
  readonly connections?: number[];
  readonly bodySize?: number;
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EMPTY = new Uint8Array(0);
const random = createNodeRandom();

export async function benchRouter(options: RouterBenchOptions = {}): Promise<RouterBenchRow[]> {
  const crypto = createNodeCrypto(random);
  const runMs = options.runMs ?? 3000;
  const body = random.bytes(options.bodySize ?? 16000);
  const rows: RouterBenchRow[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simplego-router-bench-'));
  const child = await spawnRouter(dir);
  try {
    await throughput(crypto, child.server, 4, 500, body); // warm-up
    for (const n of options.connections ?? [1, 10, 100]) {
      const r = await throughput(crypto, child.server, n, runMs, body);
      rows.push({ name: 'SEND→MSG, ' + n + ' connection' + (n === 1 ? '' : 's'), messagesPerSecond: r.rate, p50Ms: r.p50, p99Ms: r.p99, bytesPer1000Queues: null });
    }
  } finally {
    child.process.kill('SIGTERM');
    await new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push({ name: 'heap per 1,000 queues', messagesPerSecond: null, p50Ms: null, p99Ms: null, bytesPer1000Queues: await memoryPer1000Queues(crypto) });
  return rows;
}

export function formatRouterBench(rows: RouterBenchRow[]): string {
  const lines = ['measurement                      msgs/s    p50 ms    p99 ms   bytes/1,000 queues'];
  for (const r of rows) {
    lines.push(
      r.name.padEnd(30) +
        fmt(r.messagesPerSecond, 0).padStart(10) +
        fmt(r.p50Ms, 2).padStart(10) +
        fmt(r.p99Ms, 2).padStart(10) +
        fmt(r.bytesPer1000Queues, 0).padStart(21),
    );
  }
  return lines.join('\n');
}

function fmt(x: number | null, digits: number): string {
  if (x === null) return '';
  return digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
}

// ---------------------------------------------------------------------------------------------

interface Run {
  rate: number;
  p50: number;
  p99: number;
}

async function throughput(crypto: Crypto, server: SmpServer, connections: number, runMs: number, body: Uint8Array): Promise<Run> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < connections; i++) clients.push(await BenchClient.connect(crypto, server));
  await Promise.all(clients.map((c) => c.createQueue()));
  const latencies: number[] = [];
  const started = performance.now();
  const stopAt = started + runMs;
  await Promise.all(clients.map((c) => c.loop(stopAt, body, latencies)));
  const elapsed = performance.now() - started;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return { rate: (latencies.length * 1000) / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Heap growth for 1,000 subscribed queues, router and client in this process, between full GCs. */
async function memoryPer1000Queues(crypto: Crypto): Promise<number> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simplego-router-bench-'));
  const router = await startRouter({ storeDir: dir, log: createMemoryLog({ level: 'error' }) });
  const client = await BenchClient.connect(crypto, parseSmpServer(router.address).server);
  try {
    await client.createQueue(); // warm paths and caches
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) await client.createQueue();
    gc();
    return process.memoryUsage().heapUsed - before;
  } finally {
    client.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

class BenchClient {
  private readonly crypto: Crypto;
  private readonly client: SmpClient;
  private rcvId: Uint8Array = EMPTY;
  private rcvKey: Uint8Array = EMPTY;
  private sndId: Uint8Array = EMPTY;
  private onMessage: ((msg: Extract<BrokerMsg, { type: 'MSG' }>) => void) | null = null;
  private readonly early: Array<Extract<BrokerMsg, { type: 'MSG' }>> = [];

  private constructor(crypto: Crypto, client: SmpClient) {
    this.crypto = crypto;
    this.client = client;
  }

  static async connect(crypto: Crypto, server: SmpServer): Promise<BenchClient> {
    let self: BenchClient | null = null;
    const client = await SmpClient.connect({
      server: server,
      crypto: crypto,
      onPush: (t) => {
        if (self !== null && t.msg.type === 'MSG') self.delivered(t.msg);
      },
    });
    self = new BenchClient(crypto, client);
    return self;
  }

  async createQueue(): Promise<void> {
    const key = this.crypto.ed25519KeyPair();
    const dh = this.crypto.x25519KeyPair();
    const msg = await this.request(EMPTY, {
      type: 'NEW',
      rcvAuthKey: { alg: 'ed25519', raw: key.publicKey },
      rcvDhKey: { alg: 'x25519', raw: dh.publicKey },
      basicAuth: null,
      subMode: 'subscribe',
      queueReqData: { mode: 'messaging', link: null },
      ntfCreds: null,
    }, key.privateKey);
    if (msg.type !== 'IDS') throw new Error('NEW answered ' + msg.type);
    this.rcvId = msg.rcvId;
    this.sndId = msg.sndId;
    this.rcvKey = key.privateKey;
  }

  /** One message in flight until `stopAt`: SEND, its MSG, ACK. */
  async loop(stopAt: number, body: Uint8Array, latencies: number[]): Promise<void> {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      const delivered = this.nextMessage();
      const ok = await this.request(this.sndId, { type: 'SEND', flags: { notification: false }, body: body }, null);
      if (ok.type !== 'OK') throw new Error('SEND answered ' + ok.type);
      const msg = await delivered;
      latencies.push(performance.now() - t0);
      const ack = await this.request(this.rcvId, { type: 'ACK', msgId: msg.msgId }, this.rcvKey);
      if (ack.type !== 'OK') throw new Error('ACK answered ' + ack.type);
    }
  }

  close(): void {
    this.client.close();
  }

  private nextMessage(): Promise<Extract<BrokerMsg, { type: 'MSG' }>> {
    const waiting = this.early.shift();
    if (waiting !== undefined) return Promise.resolve(waiting);
    return new Promise((resolve) => {
      this.onMessage = resolve;
    });
  }

  private delivered(msg: Extract<BrokerMsg, { type: 'MSG' }>): void {
    const f = this.onMessage;
    this.onMessage = null;
    if (f !== null) f(msg);
    else this.early.push(msg);
  }

  private async request(entityId: Uint8Array, cmd: Command, signingKey: Uint8Array | null): Promise<BrokerMsg> {
    const corrId = random.bytes(24);
    const command = encodeCommand(this.client.version, cmd);
    const authorization = signingKey === null ? EMPTY : this.crypto.ed25519Sign(signingKey, authorizedBytes(this.client.sessionId, corrId, entityId, command));
    return (await this.client.request({ authorization: authorization, corrId: corrId, entityId: entityId, command: command })).msg;
  }
}

interface ChildRouter {
  readonly process: ChildProcess;
  readonly server: SmpServer;
}

function spawnRouter(dir: string): Promise<ChildRouter> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'tools/router/main.ts'), '--store', dir, '--port', '0'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  return new Promise<ChildRouter>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /Server address: (\S+)\n/.exec(out);
      if (m !== null) resolve({ process: child, server: parseSmpServer(m[1]).server });
    });
    child.once('exit', (code) => reject(new Error('the router exited (' + code + ') before printing its address')));
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  benchRouter().then(
    (rows) => console.log(formatRouterBench(rows)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
