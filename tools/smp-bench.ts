/**
 * SMP client benchmark rows (part of `npm run bench`): the device's own stack (client.ts over
 * transport.ts over hal/node/net, block encryption on, v18) against the local router on
 * loopback, one message in flight: SEND, the MSG it causes, its ACK. The denominator measured in
 * the same run is a raw TLS echo of one 16,384-byte block on the same loopback, i.e. what TLS and
 * the network stack alone cost for the same bytes; routers and clients share this process. The
 * same round trip through a forwarding router (private routing) gives the proxied/direct ratio.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createNodeClock } from '../hal/node/clock';
import { createNodeCrypto } from '../hal/node/crypto';
import { createMemoryLog } from '../hal/node/log';
import { createNodeNet } from '../hal/node/net';
import { createNodeRandom } from '../hal/node/random';
import { parseSmpServer, type SmpServer } from '../firmware/smp/address';
import { SmpClient, type AuthKeyPair, type QueueEvent } from '../firmware/smp/client';
import { connectSmpTransport } from '../firmware/smp/transport';
import { ProxyClient } from '../firmware/smp/proxy-client';
import { makeChain, pem } from '../test/hal/node/tls-chain';
import { startRouter } from './router/router';
import { fmtNumber, printTable } from './bench-table';

const BLOCK = 16384;
const RUN_MS = 2000;

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
}

function summarize(latencies: number[], elapsedMs: number): Result {
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { perSecond: (latencies.length * 1000) / elapsedMs, p50: at(0.5), p99: at(0.99) };
}

/** A node:tls server that echoes every byte; the client sends one block and waits for it back. */
async function tlsEcho(): Promise<Result> {
  const chain = makeChain('ed25519');
  const server = tls.createServer({
    key: chain.keyPem,
    cert: pem('CERTIFICATE', chain.leaf) + pem('CERTIFICATE', chain.ca),
    minVersion: 'TLSv1.3',
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
    ALPNProtocols: ['smp/1'],
  });
  server.on('secureConnection', (s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['smp/1'], minVersion: 'TLSv1.3' });
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
  socket.setNoDelay(true);
  const block = Buffer.alloc(BLOCK, 0x23);
  let got = 0;
  let done: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= BLOCK && done !== null) {
      got -= BLOCK;
      const f = done;
      done = null;
      f();
    }
  });
  const latencies: number[] = [];
  const started = performance.now();
  while (performance.now() - started < RUN_MS) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
      done = resolve;
      socket.write(block);
    });
    latencies.push(performance.now() - t);
  }
  const elapsed = performance.now() - started;
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return summarize(latencies, elapsed);
}

/**
 * SEND -> MSG -> ACK round trips to a queue on router B: sent directly to B, or through router A
 * as the forwarding router (PRXY/PFWD -> RFWD), the recipient subscribed on B either way.
 */
async function smpRoundTrips(proxied: boolean): Promise<Result> {
  const random = createNodeRandom();
  const crypto = createNodeCrypto(random);
  const clock = createNodeClock();
  const net = createNodeNet();
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'simplego-smp-bench-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'simplego-smp-bench-'));
  const routerA = await startRouter({ storeDir: dirA, log: createMemoryLog({ level: 'error' }) });
  const routerB = await startRouter({ storeDir: dirB, log: createMemoryLog({ level: 'error' }) });
  const serverA: SmpServer = parseSmpServer(routerA.address).server;
  const serverB: SmpServer = parseSmpServer(routerB.address).server;
  const mk = (server: SmpServer): SmpClient =>
    new SmpClient({
      server,
      basicAuth: null,
      connect: (h) => connectSmpTransport({ net, crypto, clock }, server, {}, h),
      crypto,
      clock,
      random,
      log: createMemoryLog({ level: 'error' }),
    });
  const recipient = mk(serverB);
  const sender = mk(proxied ? serverA : serverB);
  const proxy = new ProxyClient({ crypto, random, log: createMemoryLog({ level: 'error' }) });
  const route = { proxy: sender, proxyAuth: null, relay: serverB };
  try {
    let wake: ((e: QueueEvent) => void) | null = null;
    const k = crypto.ed25519KeyPair();
    const rcvKey: AuthKeyPair = { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey };
    const queue = await recipient.createQueue({
      rcvAuthKey: rcvKey,
      rcvDhKey: crypto.x25519KeyPair(),
      queueMode: 'messaging',
      link: null,
      ntfCreds: null,
      onEvent: (e) => {
        const w = wake;
        wake = null;
        if (w !== null) w(e);
      },
    });
    const s = crypto.ed25519KeyPair();
    const senderKey: AuthKeyPair = { alg: 'ed25519', privateKey: s.privateKey, publicKey: s.publicKey };
    if (proxied) await proxy.proxySecure(route, queue.sndId, senderKey);
    else await sender.secureQueueBySender(queue.sndId, senderKey);
    // The size every real message is padded to (agent.md §6.5: ClientMsgEnvelope 16043 bytes).
    const body = random.bytes(16043);
    const latencies: number[] = [];
    const started = performance.now();
    while (performance.now() - started < RUN_MS) {
      const t = performance.now();
      const got = new Promise<QueueEvent>((resolve) => {
        wake = resolve;
      });
      const req = { sndId: queue.sndId, senderKey, body, notification: false };
      if (proxied) await proxy.proxySend(route, req);
      else await sender.sendMessage(req);
      const e = await got;
      if (e.type !== 'message') throw new Error('unexpected ' + e.type);
      await recipient.ack(queue, e.msgId);
      latencies.push(performance.now() - t);
    }
    return summarize(latencies, performance.now() - started);
  } finally {
    recipient.close();
    sender.close();
    await routerA.close();
    await routerB.close();
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
  }
}

/** Prints the table and returns the TLS echo baseline for the router section. */
export async function benchSmp(): Promise<{ echoP50Ms: number }> {
  const echo = await tlsEcho();
  const smp = await smpRoundTrips(false);
  const viaProxy = await smpRoundTrips(true);
  printTable(
    'SMP client through the local router (loopback, one message in flight)',
    ['operation', 'per second', 'p50 ms', 'p99 ms', 'p50 / TLS echo p50'],
    [
      ['raw TLS echo of one 16,384-byte block (baseline)', fmtNumber(echo.perSecond), echo.p50.toFixed(3), echo.p99.toFixed(3), '1.00'],
      ['SEND -> MSG -> ACK, 16,043-byte body, v18 + block encryption', fmtNumber(smp.perSecond), smp.p50.toFixed(2), smp.p99.toFixed(2), fmtNumber(smp.p50 / echo.p50)],
      ['the same through a forwarding router (PFWD -> RFWD)', fmtNumber(viaProxy.perSecond), viaProxy.p50.toFixed(2), viaProxy.p99.toFixed(2), fmtNumber(viaProxy.p50 / echo.p50)],
      ['  private routing / direct (p50)', '', '', '', fmtNumber(viaProxy.p50 / smp.p50)],
    ],
    'Router, sender and recipient run in this one process; the router fsyncs its store before each OK. A round trip is two TLS connections and about six 16 KB blocks with their encryption, so the ratio is the price of SMP over a bare TLS round trip.',
  );
  return { echoP50Ms: echo.p50 };
}

if (process.argv[1] !== undefined && /smp-bench\.ts$/.test(process.argv[1])) void benchSmp();
