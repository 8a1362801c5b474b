/**
 * Builds the JavaScript of the SimpleGo device image for one board:
 *
 *   npm run build:device -- --board t-deck-plus [--out dir] [--no-minify] [--chunk-kb 48]
 *
 * Output: <out>/storage/<file> (the Espruino Storage files) and <out>/manifest.json, by default
 * under dist/device/<board>/. Prints the image size and the Storage layout; exits 1 on any
 * build or Espruino-lint error. The firmware half (Espruino with the SimpleGo native layer) is
 * built and flashed with ESP-IDF/esptool, outside this tool; `npm run flash` writes this half.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildError } from './device-build/bundle';
import { buildImage, describeImage, writeImage } from './device-build/image';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  board: string;
  out: string;
  minify: boolean;
  chunkKb: number;
}

function usage(message: string): never {
  console.error(message);
  console.error('usage: npm run build:device -- --board <name> [--out <dir>] [--no-minify] [--chunk-kb <n>]');
  process.exit(2);
}

export function parseArgs(argv: string[]): Args {
  let board = '';
  let out = '';
  let minify = true;
  let chunkKb = 48;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--board') board = argv[++i] ?? '';
    else if (a === '--out') out = argv[++i] ?? '';
    else if (a === '--no-minify') minify = false;
    else if (a === '--chunk-kb') chunkKb = Number(argv[++i]);
    else usage('unknown argument ' + a);
  }
  if (board === '') usage('--board is required');
  if (!(chunkKb >= 4 && chunkKb <= 512)) usage('--chunk-kb must be between 4 and 512');
  return { board, out: out === '' ? path.join(REPO, 'dist', 'device', board) : path.resolve(out), minify, chunkKb };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    const image = await buildImage({ root: REPO, board: args.board, minify: args.minify, chunkBytes: args.chunkKb * 1024 });
    writeImage(image, args.out);
    console.log(describeImage(image));
    console.log('Written to ' + path.relative(process.cwd(), args.out) + '/ (storage/ and manifest.json)');
  } catch (e) {
    if (e instanceof BuildError) {
      console.error('build:device failed: ' + e.message);
      process.exit(1);
    }
    throw e;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
