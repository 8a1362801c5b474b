/**
 * zstd for the chat-layer tests: SimpleGo's own decoder (firmware/compression/zstd.ts) decompresses,
 * and compressed inputs come from zstd-frames.json, frames the reference `zstd -3` CLI made from
 * the tests' own inputs (keyed by the input's SHA-256), so CI needs no zstd binary. Set
 * SIMPLEGO_REGEN_ZSTD=1 with the zstd CLI installed to regenerate the file after changing an input.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZstdDecompress } from '../../../firmware/chat/framing';
import { decompressZstd } from '../../../firmware/compression/zstd';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zstd-frames.json');
const REGEN = process.env.SIMPLEGO_REGEN_ZSTD === '1';

interface FrameFile {
  generator: string;
  frames: { [inputSha256: string]: string };
}

const table: FrameFile = fs.existsSync(FILE)
  ? (JSON.parse(fs.readFileSync(FILE, 'utf8')) as FrameFile)
  : { generator: 'zstd -3 -q -c --stream-size=<n> (zstd 1.5.4), keyed by SHA-256 of the input', frames: {} };

/** zstd level 3 with the content size in the header, as the app's Z1.compress writes it (Compression.hs). */
export function zstdCompress(data: Uint8Array): Uint8Array {
  const key = createHash('sha256').update(data).digest('hex');
  if (REGEN) {
    const r = spawnSync('zstd', ['-3', '-q', '-c', '--stream-size=' + data.length], { input: data });
    if (r.status !== 0) throw new Error('zstd failed: ' + r.stderr.toString());
    table.frames[key] = Buffer.from(r.stdout).toString('hex');
    fs.writeFileSync(FILE, JSON.stringify(table, null, 1) + '\n');
  }
  const frame = table.frames[key];
  if (frame === undefined) throw new Error('no stored zstd frame for this input: regenerate with SIMPLEGO_REGEN_ZSTD=1');
  return new Uint8Array(Buffer.from(frame, 'hex'));
}

export const zstdDecompress: ZstdDecompress = decompressZstd;
