/**
 * The one place tests find ../shared/vectors (the known-answer vectors beside the repository;
 * SIMPLEGO_VECTORS may point elsewhere) and turn their hex into bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../firmware/encoding/bytes';

export const VECTORS_DIR =
  process.env.SIMPLEGO_VECTORS ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/vectors');

export interface VectorFile {
  cases: Array<{ name: string; [field: string]: unknown }>;
}

/** A vectors file, parsed; `file` with or without ".json". */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readVectorFile<T = any>(file: string): T {
  const name = file.endsWith('.json') ? file : file + '.json';
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, name), 'utf8')) as T;
}

/** The case called `name` in a vectors file; throws (failing the test) if the file lacks it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function vectorCase<T = { [field: string]: any }>(file: string, name: string): T {
  const found = readVectorFile<VectorFile>(file).cases.find((c) => c.name === name);
  if (found === undefined) throw new Error(file + ' has no case ' + name);
  return found as unknown as T;
}

/** Hex (whitespace ignored) to bytes; throws on malformed hex so a typo fails the test. */
export function hex(s: string): Uint8Array {
  const out = fromHex(s.replace(/\s+/g, ''));
  if (out === null) throw new Error('bad hex in test: ' + s);
  return out;
}
