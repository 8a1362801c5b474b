/**
 * zstd decompression benchmark: MB/s of decompressed output for the frames SimpleGo receives
 * (a ~16 KB chat JSON message compressed at level 3, as the SimpleX app sends it; agent.md
 * §10.1), plus the content-checksum cost on its own. The frames are the reference-encoder
 * fixtures of test/firmware/compression (made with the zstd CLI, stored as hex), so no zstd
 * binary is needed.
 *
 * benchZstd() returns rows for tools/bench.ts to print; run this file directly to print them alone:
 *   npx tsx tools/zstd-bench.ts
 * This is a measurement, not a test: nothing is asserted.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decompressZstd } from '../firmware/compression/zstd';
import { xxh64 } from '../firmware/compression/xxhash64';
import { referenceFixture } from '../test/firmware/compression/fixtures';

export interface ZstdBenchRow {
  name: string;
  /** Compressed input bytes per operation. */
  inputBytes: number;
  /** Decompressed (or hashed) bytes per operation. */
  outputBytes: number;
  opsPerSecond: number;
  /** Decompressed megabytes (10^6 bytes) per second. */
  mbPerSecond: number;
}

const WARMUP_MS = 100;
const MEASURE_MS = 400;

let sink = 0; // consumed results, so no engine can drop the work

function opsPerSecond(fn: () => Uint8Array | number): number {
  const run = (ms: number): { ops: number; elapsed: number } => {
    let ops = 0;
    let batch = 1;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < batch; i++) {
        const r = fn();
        sink += typeof r === 'number' ? r & 1 : r.length;
      }
      ops += batch;
      elapsed = performance.now() - start;
      if (elapsed < ms / 20) batch *= 2;
    }
    return { ops, elapsed };
  };
  run(WARMUP_MS);
  const { ops, elapsed } = run(MEASURE_MS);
  return (ops * 1000) / elapsed;
}

function decodeRow(label: string, fixture: string): ZstdBenchRow {
  const f = referenceFixture(fixture);
  const ops = opsPerSecond(() => decompressZstd(f.frame, f.maxOutput));
  return {
    name: label + ' (' + f.case.command.replace(/ input$/, '') + ')',
    inputBytes: f.frame.length,
    outputBytes: f.content.length,
    opsPerSecond: ops,
    mbPerSecond: (ops * f.content.length) / 1e6,
  };
}

/** One row per workload; takes about three seconds. */
export function benchZstd(): ZstdBenchRow[] {
  const chat = referenceFixture('chat-16k-l3').content;
  const xxhOps = opsPerSecond(() => xxh64(chat).lo);
  return [
    decodeRow('zstd decompress 16 KB chat JSON, level 3', 'chat-16k-l3'),
    decodeRow('zstd decompress 16 KB chat JSON, level 3 + checksum', 'chat-16k-l3-check'),
    decodeRow('zstd decompress 16 KB chat JSON, level 19', 'chat-16k-l19'),
    decodeRow('zstd decompress 14 KB conn info (photo), level 3', 'info-14k-l3'),
    decodeRow('zstd decompress 111 B chat JSON, level 3', 'tiny-chat-l3'),
    {
      name: 'XXH64 of 16 KB (the checksum alone)',
      inputBytes: chat.length,
      outputBytes: chat.length,
      opsPerSecond: xxhOps,
      mbPerSecond: (xxhOps * chat.length) / 1e6,
    },
  ];
}

function main(): void {
  const rows = benchZstd();
  console.log('zstd decompression on Node ' + process.version + ' (' + MEASURE_MS + ' ms per row after ' + WARMUP_MS + ' ms warm-up)');
  for (const r of rows) {
    console.log(
      r.name.padEnd(72) + r.mbPerSecond.toFixed(1).padStart(8) + ' MB/s' +
        Math.round(r.opsPerSecond).toLocaleString('en-US').padStart(10) + ' ops/s  ' + r.inputBytes + ' -> ' + r.outputBytes + ' B',
    );
  }
  if (sink === -1) console.log(sink);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
