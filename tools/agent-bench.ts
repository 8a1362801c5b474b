/**
 * Agent benchmark rows (part of `npm run bench`): the double ratchet's message throughput and
 * the cryptographic cost of setting up a connection, with and without sntrup761, on the node
 * crypto backend. The baseline in the same run is the AEAD work a ratchet message cannot avoid:
 * one AES-256-GCM seal and open of the same padded size.
 */
import * as nodeCrypto from 'node:crypto';
import type { Crypto } from '../hal/crypto';
import type { Random } from '../hal/random';
import { createNodeCrypto } from '../hal/node/crypto';
import { Ratchet, agentMessagePadLength } from '../firmware/agent/ratchet';
import { generateInitiatorParams, generateJoinerParams, replyKem, x3dhInitiator, x3dhJoiner } from '../firmware/agent/x3dh';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMemoryLog } from '../hal/node/log';
import { parseSmpServer } from '../firmware/smp/address';
import { connect as connectAgents, Party, removeAgentDirs } from '../test/firmware/agent/agent-helpers';
import { fmtNumber, measureOps, printTable } from './bench-table';
import { startRouter } from './router/router';

const random: Random = { bytes: (n: number) => new Uint8Array(nodeCrypto.randomBytes(n)) };

interface Pair {
  initiator: Ratchet;
  joiner: Ratchet;
}

/** The crypto of a connection set-up: both X3DHs, both ratchets, one message each way. */
function connect(c: Crypto, pq: boolean): Pair {
  const link = generateInitiatorParams(c, 3, pq);
  const reply = generateJoinerParams(c, 3, replyKem(3, link.params.kem, pq));
  const joiner = Ratchet.initJoiner(c, { current: 3, max: 3 }, x3dhJoiner(c, reply.keys, link.params), link.params.key2);
  const initiator = Ratchet.initInitiator(c, { current: 3, max: 3 }, x3dhInitiator(c, link.keys, reply.params), link.keys.key2, pq);
  const pad = agentMessagePadLength(7, pq);
  initiator.decrypt(joiner.encrypt(new Uint8Array(100), pad, pq).message);
  joiner.decrypt(initiator.encrypt(new Uint8Array(100), pad, pq).message);
  return { initiator, joiner };
}

/**
 * Connection set-up over the network: two agents with encrypted stores on disk, one local router
 * on loopback, from createInvitation until both report connected (NEW, SKEY, confirmations both
 * ways, profiles). The median of a few runs.
 */
async function networkSetupMs(pq: boolean, runs: number): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simplego-agent-bench-'));
  const router = await startRouter({ storeDir: dir, log: createMemoryLog({ level: 'error' }) });
  const routers = [{ server: parseSmpServer(router.address).server, basicAuth: null }];
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const alice = new Party('alice', routers, { pq });
      const bob = new Party('bob', routers, { pq });
      try {
        await alice.agent.start();
        await bob.agent.start();
        const t = performance.now();
        await connectAgents(alice, bob);
        times.push(performance.now() - t);
      } finally {
        alice.close();
        bob.close();
      }
    }
  } finally {
    await router.close();
    rmSync(dir, { recursive: true, force: true });
    removeAgentDirs();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchAgentNetwork(): Promise<void> {
  const rows: string[][] = [];
  const plain = await networkSetupMs(false, 5);
  const pq = await networkSetupMs(true, 5);
  rows.push(['connection set-up through the local router, no PQ (baseline)', plain.toFixed(1), '1.00']);
  rows.push(['connection set-up through the local router, PQ (sntrup761)', pq.toFixed(1), fmtNumber(pq / plain)]);
  printTable(
    'Agent: connection set-up over the network (median of 5)',
    ['operation', 'ms', 'time / no-PQ set-up'],
    rows,
    'From createInvitation to both agents connected: queues created and secured, confirmations and profiles exchanged, everything committed to encrypted stores on disk.',
  );
}

export function benchAgent(): void {
  const c = createNodeCrypto(random);
  const rows: string[][] = [];
  const body = new Uint8Array(1000).fill(0x41);
  const key = c.sha256(new Uint8Array(1));
  const iv = new Uint8Array(16);
  const padded = new Uint8Array(agentMessagePadLength(7, false));
  const aead = measureOps(() => c.aes256GcmDecrypt(key, iv, c.aes256GcmEncrypt(key, iv, padded, iv), iv));
  rows.push(['AES-256-GCM seal+open, 15840 B (baseline)', fmtNumber(aead), (1000 / aead).toFixed(3), '1.00']);

  for (const pq of [false, true]) {
    const label = pq ? 'PQ' : 'no PQ';
    const pad = agentMessagePadLength(7, pq);
    const same = connect(c, pq);
    const sameOps = measureOps(() => same.initiator.decrypt(same.joiner.encrypt(body, pad, pq).message).plaintext);
    rows.push(['ratchet enc+dec, same chain, ' + label, fmtNumber(sameOps), (1000 / sameOps).toFixed(2), fmtNumber(aead / sameOps)]);
    const alt = connect(c, pq);
    let turn = 0;
    const altOps = measureOps(() => {
      turn++;
      const [from, to] = turn % 2 === 0 ? [alt.initiator, alt.joiner] : [alt.joiner, alt.initiator];
      return to.decrypt(from.encrypt(body, pad, pq).message).plaintext;
    }, 800);
    rows.push(['ratchet enc+dec, replies (DH step each), ' + label, fmtNumber(altOps), (1000 / altOps).toFixed(2), fmtNumber(aead / altOps)]);
    const setup = measureOps(() => connect(c, pq).initiator.serialize(), 1000);
    rows.push(['connection set-up crypto, ' + label, fmtNumber(setup), (1000 / setup).toFixed(1), fmtNumber(aead / setup)]);
  }
  printTable(
    'Agent: double ratchet (node backend)',
    ['operation', 'ops/s', 'ms/op', 'time / baseline'],
    rows,
    'Set-up = both X3DHs, both ratchets and one 100-byte message each way (no network); with PQ it includes sntrup761 key generation, encapsulation and decapsulation. Messages are 1,000-byte bodies padded as agent messages.',
  );
}

if (process.argv[1] !== undefined && /agent-bench\.ts$/.test(process.argv[1])) {
  benchAgent();
  void benchAgentNetwork();
}
