/**
 * Store benchmark rows, for tools/bench.ts to merge: unlock time (dominated by the PIN KDF), and
 * write/read throughput of records and log entries, on an in-memory card (the store's own cost:
 * crypto, encoding, index) and on the node card backend in a temporary directory (with its fsyncs,
 * which is what a real card adds).
 *
 * Run alone with `npx tsx tools/store-bench.ts`. A measurement, not a test: nothing is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Crypto } from '../hal/crypto';
import type { Storage } from '../hal/storage';
import { createNodeClock } from '../hal/node/clock';
import { createNodeCrypto } from '../hal/node/crypto';
import { createNodeRandom } from '../hal/node/random';
import { createNodeStorage } from '../hal/node/storage';
import { createPortableCrypto } from '../hal/portable/crypto';
import { DEFAULT_ITERATIONS, Store, StoreType } from '../firmware/store/store';

export interface StoreBenchRow {
  name: string;
  value: number;
  unit: string;
  note: string;
}

const PIN = '482916';
const random = createNodeRandom();
const clock = createNodeClock();

/** The smallest Storage with the interface's semantics; the store's cost without a file system. */
function memoryCard(): Storage {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>(['']);
  return {
    readFile: (p) => (files.has(p) ? (files.get(p) as Uint8Array).slice() : null),
    writeFileAtomic: (p, d) => void files.set(p, d.slice()),
    appendFile: (p, d) => {
      const old = files.get(p) ?? new Uint8Array(0);
      const out = new Uint8Array(old.length + d.length);
      out.set(old, 0);
      out.set(d, old.length);
      files.set(p, out);
    },
    truncateFile: (p, n) => void files.set(p, (files.get(p) as Uint8Array).slice(0, n)),
    deleteFile: (p) => void files.delete(p),
    fileSize: (p) => (files.has(p) ? (files.get(p) as Uint8Array).length : -1),
    listDir: (dir) => {
      const prefix = dir === '' ? '' : dir + '/';
      const out = new Set<string>();
      for (const k of [...files.keys(), ...dirs]) if (k !== dir && k.startsWith(prefix) && k.length > prefix.length) out.add(k.slice(prefix.length).split('/')[0]);
      return [...out].sort();
    },
    makeDir: (dir) => {
      const parts = dir.split('/');
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    },
  };
}

/** Calls fn until `ms` have passed (at least `min` times); returns calls per second. */
function rate(fn: (i: number) => void, ms: number, min: number = 3): number {
  const start = performance.now();
  let n = 0;
  while (n < min || performance.now() - start < ms) fn(n++);
  return (n * 1000) / (performance.now() - start);
}

function open(crypto: Crypto, card: Storage, iterations: number): Store {
  const s = Store.open({ crypto, random, clock, card });
  s.create(PIN, { iterations });
  return s;
}

function throughputRows(label: string, crypto: Crypto, card: Storage, ms: number): StoreBenchRow[] {
  const rows: StoreBenchRow[] = [];
  const s = open(crypto, card, 1000);
  for (const size of [1024, 16384]) {
    const data = random.bytes(size);
    const puts = rate((i) => s.put(StoreType.Ratchet, new Uint8Array([i % 64]), data), ms);
    rows.push({ name: 'record put ' + size / 1024 + ' KB (' + label + ')', value: puts, unit: 'ops/s', note: ((puts * size) / 1e6).toFixed(2) + ' MB/s' });
    const gets = rate((i) => s.get(StoreType.Ratchet, new Uint8Array([i % 64])), ms);
    rows.push({ name: 'record get ' + size / 1024 + ' KB (' + label + ')', value: gets, unit: 'ops/s', note: ((gets * size) / 1e6).toFixed(2) + ' MB/s' });
  }
  const message = random.bytes(200);
  const ratchet = random.bytes(5 * 1024);
  const tx = rate((i) => {
    s.begin().append(StoreType.History, new Uint8Array([i % 8]), message).put(StoreType.Ratchet, new Uint8Array([i % 8]), ratchet).commit();
  }, ms);
  rows.push({ name: 'message + 5 KB ratchet commit (' + label + ')', value: tx, unit: 'ops/s', note: 'one transaction: log append and record put' });
  s.createLog(StoreType.History, new Uint8Array([99]), 64);
  for (let i = 0; i < 256; i++) s.append(StoreType.History, new Uint8Array([99]), message);
  const reads = rate((i) => s.read(StoreType.History, new Uint8Array([99]), (i * 16) % 240, ((i * 16) % 240) + 16), ms);
  rows.push({ name: 'log read 16 x 200 B (' + label + ')', value: reads * 16, unit: 'entries/s', note: 'ranges within 64-entry segments' });
  s.lock();
  return rows;
}

export async function storeBenchRows(measureMs: number = 400): Promise<StoreBenchRow[]> {
  const rows: StoreBenchRow[] = [];
  const node = createNodeCrypto(random);
  const portable = createPortableCrypto(random);
  for (const [name, c] of [['node', node], ['portable', portable]] as [string, Crypto][]) {
    const card = memoryCard();
    const s = open(c, card, DEFAULT_ITERATIONS);
    s.lock();
    const t0 = performance.now();
    s.unlock(PIN);
    const ms = performance.now() - t0;
    rows.push({ name: 'unlock, ' + DEFAULT_ITERATIONS + ' PBKDF2-SHA512 iterations (' + name + ' crypto)', value: ms, unit: 'ms', note: 'empty store; the KDF dominates' });
  }
  {
    // Unlock of a store with 500 records and a full journal: the index load and replay.
    const card = memoryCard();
    const s = open(node, card, 1000);
    for (let i = 0; i < 500; i++) s.put(StoreType.Contact, new Uint8Array([i >> 8, i & 255]), random.bytes(64));
    s.lock();
    const t0 = performance.now();
    s.unlock(PIN);
    rows.push({ name: 'unlock with 500 records, 1000 iterations (node crypto)', value: performance.now() - t0, unit: 'ms', note: 'index of 34 KB, journal replay' });
  }
  rows.push(...throughputRows('node crypto, memory card', node, memoryCard(), measureMs));
  const dir = mkdtempSync(path.join(tmpdir(), 'simplego-store-bench-'));
  try {
    rows.push(...throughputRows('node crypto, node card + fsync', node, createNodeStorage(dir), measureMs));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push(...throughputRows('portable crypto, memory card', portable, memoryCard(), measureMs));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void storeBenchRows().then((rows) => {
    for (const r of rows) {
      const v = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(1);
      console.log(r.name.padEnd(62) + ' ' + v.padStart(10) + ' ' + r.unit.padEnd(10) + ' ' + r.note);
    }
  });
}
