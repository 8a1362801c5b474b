/**
 * Crypto benchmark (npm run bench): operations per second of the portable backend (noble), the
 * node backend (OpenSSL through node:crypto), and the same work done straight on node:crypto
 * from raw bytes, which shows what the node backend's wrapping costs (the goal is node/direct
 * >= 0.8). For sntrup761, which Node lacks, the reference is the documented speed of the
 * portable C implementation instead.
 *
 * Each measurement warms up, then runs for a bounded time; the whole run takes well under a
 * minute. This is a measurement, not a test: nothing is asserted.
 */
import * as nodeCrypto from 'node:crypto';
import * as os from 'node:os';
import type { Crypto } from '../hal/crypto';
import type { Random } from '../hal/random';
import { createNodeCrypto } from '../hal/node/crypto';
import { createPortableCrypto } from '../hal/portable/crypto';
import { cbEncrypt } from '../firmware/crypto/box';
import { benchAgent, benchAgentNetwork } from './agent-bench';
import { fmtNumber, measureOps, printTable } from './bench-table';
import { benchZstd } from './zstd-bench';
import { benchSmp } from './smp-bench';
import { benchRouter } from './router/bench';
import { storeBenchRows } from './store-bench';
import { createNodeRandom } from '../hal/node/random';

const WARMUP_MS = 100;
const MEASURE_MS = 400;

/** Benchmarks need key material, not secrecy: node's CSPRNG is fine and fast. */
const random: Random = { bytes: (n: number) => new Uint8Array(nodeCrypto.randomBytes(n)) };

let sink = 0; // consumed results, so no engine can drop the work

function runFor(fn: () => Uint8Array | boolean | object, ms: number): { ops: number; elapsed: number } {
  let ops = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) {
      const r = fn();
      sink += r instanceof Uint8Array ? r.length : r === true ? 1 : 0;
    }
    ops += batch;
    elapsed = performance.now() - start;
    // Grow batches while they are short, so timer reads do not dominate fast operations.
    if (elapsed < ms / 20) batch *= 2;
  }
  return { ops, elapsed };
}

function opsPerSecond(fn: (() => Uint8Array | boolean | object) | null): number | null {
  if (fn === null) return null;
  runFor(fn, WARMUP_MS);
  const { ops, elapsed } = runFor(fn, MEASURE_MS);
  return (ops * 1000) / elapsed;
}

// ----- direct node:crypto, from raw bytes, the way a caller without the HAL would do it -----

type OkpCurve = 'X25519' | 'X448' | 'Ed25519' | 'Ed448';

/** JWK import: on Node 20 / OpenSSL 3.0 the fastest way from raw bytes to a KeyObject. */
function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}
function jwkPrivate(crv: OkpCurve, priv: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(priv), x: '' }, format: 'jwk' });
}
function jwkPublic(crv: OkpCurve, pub: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv, x: b64u(pub) }, format: 'jwk' });
}

function directDh(crv: OkpCurve, priv: Uint8Array, pub: Uint8Array): Buffer {
  return nodeCrypto.diffieHellman({ privateKey: jwkPrivate(crv, priv), publicKey: jwkPublic(crv, pub) });
}

/** The PKCS#8/SPKI DER route, measured once for comparison (footnote). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
function directDhDer(priv: Uint8Array, pub: Uint8Array): Buffer {
  const privateKey = nodeCrypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519, priv]), format: 'der', type: 'pkcs8' });
  const publicKey = nodeCrypto.createPublicKey({ key: Buffer.concat([SPKI_X25519, pub]), format: 'der', type: 'spki' });
  return nodeCrypto.diffieHellman({ privateKey, publicKey });
}

function directSign(crv: OkpCurve, priv: Uint8Array, msg: Uint8Array): Buffer {
  return nodeCrypto.sign(null, msg, jwkPrivate(crv, priv));
}

function directVerify(crv: OkpCurve, pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  return nodeCrypto.verify(null, msg, jwkPublic(crv, pub), sig);
}

/** Same output as the HAL call: tag ‖ ciphertext. */
function directGcm(key: Uint8Array, iv: Uint8Array, pt: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = cipher.update(pt);
  cipher.final();
  return Buffer.concat([cipher.getAuthTag(), ct]);
}

// ----- the rows -----

interface Row {
  name: string;
  run: (c: Crypto) => () => Uint8Array | boolean | object;
  direct: (() => Uint8Array | boolean | object) | null;
  /** Documented ops/s of the portable C implementation (sntrup761 only). */
  cReference?: number;
}

/** X25519 DH keys for the DER footnote. */
let derFootnote: (() => Buffer) | null = null;

function rows(): Row[] {
  const k = createNodeCrypto(random); // only to make inputs
  const x25519A = k.x25519KeyPair();
  const x25519B = k.x25519KeyPair();
  const x448A = k.x448KeyPair();
  const x448B = k.x448KeyPair();
  const ed25519 = k.ed25519KeyPair();
  const ed448 = k.ed448KeyPair();
  const msg = random.bytes(100);
  const ed25519Sig = k.ed25519Sign(ed25519.privateKey, msg);
  const ed448Sig = k.ed448Sign(ed448.privateKey, msg);
  const aesKey = random.bytes(32);
  const iv16 = random.bytes(16);
  const aad = random.bytes(112); // the ratchet's associated data size
  const block = random.bytes(16384);
  const boxMsg = random.bytes(16000);
  const boxSecret = k.x25519(x25519A.privateKey, x25519B.publicKey);
  const nonce = random.bytes(24);
  const kem = k.sntrup761KeyPair();
  const kemCt = k.sntrup761Encapsulate(kem.publicKey).ciphertext;
  derFootnote = () => directDhDer(x25519A.privateKey, x25519B.publicKey);

  return [
    {
      name: 'X25519 DH (raw keys)',
      run: (c) => () => c.x25519(x25519A.privateKey, x25519B.publicKey),
      direct: () => directDh('X25519', x25519A.privateKey, x25519B.publicKey),
    },
    {
      name: 'X448 DH (raw keys)',
      run: (c) => () => c.x448(x448A.privateKey, x448B.publicKey),
      direct: () => directDh('X448', x448A.privateKey, x448B.publicKey),
    },
    {
      name: 'Ed25519 sign (100 B)',
      run: (c) => () => c.ed25519Sign(ed25519.privateKey, msg),
      direct: () => directSign('Ed25519', ed25519.privateKey, msg),
    },
    {
      name: 'Ed25519 verify (100 B)',
      run: (c) => () => c.ed25519Verify(ed25519.publicKey, msg, ed25519Sig),
      direct: () => directVerify('Ed25519', ed25519.publicKey, msg, ed25519Sig),
    },
    {
      name: 'Ed448 verify (100 B)',
      run: (c) => () => c.ed448Verify(ed448.publicKey, msg, ed448Sig),
      direct: () => directVerify('Ed448', ed448.publicKey, msg, ed448Sig),
    },
    {
      name: 'AES-256-GCM enc 16 KB (16 B IV)',
      run: (c) => () => c.aes256GcmEncrypt(aesKey, iv16, block, aad),
      direct: () => directGcm(aesKey, iv16, block, aad),
    },
    {
      name: 'crypto_box (cbEncrypt) 16 KB',
      run: (c) => () => cbEncrypt(c, boxSecret, nonce, boxMsg, 16106),
      direct: null, // Node has no XSalsa20-Poly1305
    },
    {
      name: 'SHA-512 16 KB',
      run: (c) => () => c.sha512(block),
      direct: () => nodeCrypto.createHash('sha512').update(block).digest(),
    },
    {
      name: 'sntrup761 keygen',
      run: (c) => () => c.sntrup761KeyPair(),
      direct: null,
      cReference: 1000 / 55,
    },
    {
      name: 'sntrup761 encaps',
      run: (c) => () => c.sntrup761Encapsulate(kem.publicKey),
      direct: null,
      cReference: 1000 / 7,
    },
    {
      name: 'sntrup761 decaps',
      run: (c) => () => c.sntrup761Decapsulate(kem.secretKey, kemCt),
      direct: null,
      cReference: 1000 / 20,
    },
  ];
}

function fmtOps(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function fmtRatio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined) return 'n/a';
  return (a / b).toFixed(2);
}

function benchCrypto(): void {
  const portable = createPortableCrypto(random);
  const node = createNodeCrypto(random);
  const header = ['operation', 'portable ops/s', 'node ops/s', 'direct node:crypto ops/s', 'node/direct', 'node/portable', 'C reference ops/s', 'node/C'];
  const table: string[][] = [];
  const started = performance.now();
  for (const row of rows()) {
    const p = opsPerSecond(row.run(portable));
    const n = opsPerSecond(row.run(node));
    const d = opsPerSecond(row.direct);
    table.push([
      row.name,
      fmtOps(p),
      fmtOps(n),
      fmtOps(d),
      fmtRatio(n, d),
      fmtRatio(n, p),
      row.cReference === undefined ? '' : fmtOps(row.cReference),
      row.cReference === undefined ? '' : fmtRatio(n, row.cReference),
    ]);
  }
  const derOps = opsPerSecond(derFootnote);
  const seconds = (performance.now() - started) / 1000;

  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    '| ' + cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|';

  const cpu = os.cpus();
  console.log(
    'SimpleGo crypto benchmark: Node ' + process.version + ', OpenSSL ' + process.versions.openssl + ', ' +
      cpu.length + ' x ' + (cpu.length > 0 ? cpu[0].model.trim() : 'unknown CPU') + '; ' +
      MEASURE_MS + ' ms per measurement after ' + WARMUP_MS + ' ms warm-up',
  );
  console.log('');
  console.log('## Crypto primitives');
  console.log('');
  console.log(line(header));
  console.log(rule);
  for (const r of table) console.log(line(r));
  console.log('');
  console.log(
    'Notes: "direct" is the same work straight on node:crypto from raw bytes (keys imported as JWK, tag-first output); ' +
      'importing the X25519 keys as PKCS#8/SPKI DER instead gives ' + fmtOps(derOps) + ' DH ops/s. ' +
      'n/a where Node lacks the primitive. Both backends use noble for XSalsa20 and one shared port for sntrup761. ' +
      'C reference: the portable C sntrup761 (keygen 55 ms, encaps 7 ms, decaps 20 ms) as documented for this 2-core ' +
      'machine class, not measured in this run. Total ' + seconds.toFixed(1) + ' s.' + (sink < 0 ? '' : ''),
  );
}

function printZstd(): void {
  const rows = benchZstd();
  const baseline = rows[rows.length - 1];
  printTable(
    'zstd decompression (firmware/compression, Node)',
    ['workload', 'in -> out bytes', 'ops/s', 'MB/s', 'time / XXH64 of the same size'],
    rows.map((r) => [r.name, r.inputBytes + ' -> ' + r.outputBytes, fmtNumber(r.opsPerSecond), fmtNumber(r.mbPerSecond), fmtNumber(baseline.mbPerSecond / r.mbPerSecond)]),
    'The last row, the content checksum alone over 16 KB, is the baseline measured in the same run.',
  );
}

/** Store rows beside the raw AES-256-GCM seal of the same bytes, the work no encrypted store can avoid. */
async function printStore(): Promise<void> {
  const rows = await storeBenchRows();
  const c = createNodeCrypto(createNodeRandom());
  const key = c.sha256(new Uint8Array(1));
  const iv = new Uint8Array(12);
  const rawOps = (n: number): number => measureOps(() => c.aes256GcmEncrypt(key, iv, new Uint8Array(n), iv));
  const raw1k = rawOps(1024);
  const raw16k = rawOps(16384);
  printTable(
    'Encrypted store (firmware/store)',
    ['operation', 'value', 'unit', 'note', 'AES-GCM seal of the same size / op'],
    rows.map((r) => {
      const size = /put 16 KB|get 16 KB/.test(r.name) ? raw16k : /put 1 KB|get 1 KB/.test(r.name) ? raw1k : null;
      return [r.name, fmtNumber(r.value), r.unit, r.note, size === null || r.unit !== 'ops/s' ? '' : fmtNumber(size / r.value)];
    }),
    'The last column is the baseline measured in this run: one raw AES-256-GCM seal of the record size, divided by the store operation rate.',
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  benchCrypto();
  benchAgent();
  await benchAgentNetwork();
  printZstd();
  await printStore();
  const smp = await benchSmp();
  const router = await benchRouter();
  printTable(
    'Local router (router in a child process, fsync before every OK)',
    ['measurement', 'messages/s', 'p50 ms', 'p99 ms', 'heap per 1,000 queues', 'p50 / TLS echo p50'],
    router.map((r) => [
      r.name,
      fmtNumber(r.messagesPerSecond),
      r.p50Ms === null ? '' : r.p50Ms.toFixed(2),
      r.p99Ms === null ? '' : r.p99Ms.toFixed(2),
      r.bytesPer1000Queues === null ? '' : (r.bytesPer1000Queues / 1048576).toFixed(2) + ' MiB',
      r.p50Ms === null ? '' : fmtNumber(r.p50Ms / smp.echoP50Ms),
    ]),
    'Each connection keeps one 16,000-byte message in flight: SEND, wait for its MSG, ACK. Latency is SEND to MSG. The denominator is the raw TLS echo of the SMP section, measured in this run.',
  );
  console.log('');
  console.log('All sections: ' + ((performance.now() - started) / 1000).toFixed(1) + ' s.');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
