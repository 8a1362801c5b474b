/**
 * A real zstd decoder for the tests: the zstd command-line tool. SimpleGo's own decoder is another
 * module; the chat layer takes any decompressor as a parameter, and these tests give it the
 * reference implementation. Tests that need it skip (visibly) where the tool is not installed.
 */
import { spawnSync } from 'node:child_process';
import type { ZstdDecompress } from '../../../firmware/chat/framing';

export const HAVE_ZSTD = spawnSync('zstd', ['--version']).status === 0;

/**
 * zstd level 3 with the content size in the frame header, as the app's `Z1.compress` writes it
 * (simplexmq Compression.hs `compressionLevel = 3`).
 */
export function zstdCompress(data: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-3', '-q', '-c', '--stream-size=' + data.length], { input: data });
  if (r.status !== 0) throw new Error('zstd failed: ' + r.stderr.toString());
  return new Uint8Array(r.stdout);
}

/** Decompresses one frame with the tool, refusing output beyond `maxOutput`. */
export const zstdDecompress: ZstdDecompress = (frame: Uint8Array, maxOutput: number): Uint8Array => {
  const r = spawnSync('zstd', ['-d', '-q', '-c'], { input: frame, maxBuffer: maxOutput + 1 });
  if (r.error !== undefined || r.status !== 0) throw new Error('zstd could not decompress the frame');
  if (r.stdout.length > maxOutput) throw new Error('zstd output exceeds ' + maxOutput + ' bytes');
  return new Uint8Array(r.stdout);
};
