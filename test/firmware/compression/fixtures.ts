/**
 * Loads zstd-fixtures.json (made by make-fixtures.ts with the reference zstd CLI) for the tests
 * and for tools/zstd-bench.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { craftedFrames, type Built, type Crafted } from './crafted-frames';
import { fixtureInput } from './fixture-inputs';

export interface ReferenceCase {
  name: string;
  input: string;
  command: string;
  size: number;
  sha256: string;
  /** Error code the decoder must give, for frames it must refuse. */
  expect?: string;
  maxOutput?: number;
  frame: string;
}

export interface CraftedRecord {
  name: string;
  description: string;
  frameSha256: string;
  contentSha256: string;
}

export interface FixtureFile {
  generator: string;
  zstd: string;
  cases: ReferenceCase[];
  crafted: CraftedRecord[];
}

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zstd-fixtures.json');

let cached: FixtureFile | null = null;

export function fixtureFile(): FixtureFile {
  if (cached === null) cached = JSON.parse(fs.readFileSync(FILE, 'utf8')) as FixtureFile;
  return cached;
}

/** A reference-encoded fixture: its frame and the content it must decode to. */
export function referenceFixture(name: string): Built & { maxOutput: number; case: ReferenceCase } {
  const c = fixtureFile().cases.find((x) => x.name === name);
  if (!c) throw new Error('no zstd fixture ' + name);
  return {
    frame: new Uint8Array(Buffer.from(c.frame, 'hex')),
    content: fixtureInput(c.input),
    maxOutput: c.maxOutput ?? 16384,
    case: c,
  };
}

/** The crafted frames, rebuilt from the reference fixtures. */
export function crafted(): Crafted[] {
  return craftedFrames(referenceFixture);
}
