/**
 * Writes a built device image (tools/build-device.ts) into the Storage of a device running the
 * SimpleGo Espruino firmware, over a serial port, with EspruinoTools (the `espruino` package),
 * then restarts the device:
 *
 *   npm run flash -- --board t-deck-plus --port /dev/ttyACM0 [--baud 115200]
 *   npm run flash -- --board t-deck-plus --dry-run [out-file]
 *
 * --dry-run writes the exact bytes that would go down the serial line to a file (default
 * dist/device/<board>/flash.txt) and opens no port.
 *
 * The upload is ordered so that an interrupted flash never boots a mix of two images: the old
 * loader is erased first (the device then boots to the REPL), the old module files next, the
 * new module files after that, and the new loader last. The loader itself also checks every
 * module file's length before running anything.
 *
 * Run it as its own process: loading EspruinoTools sets NODE_TLS_REJECT_UNAUTHORIZED=0 for the
 * whole Node process (espruino-target.md §7.1), which must never happen in a process that also
 * makes TLS connections.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from './device-build/image';
import { CHUNK_PREFIX, LOADER_FILE } from './device-build/image';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class FlashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlashError';
  }
}

interface Args {
  board: string;
  image: string;
  port: string;
  baud: number;
  dryRun: string | null;
}

function usage(message: string): never {
  console.error(message);
  console.error('usage: npm run flash -- --board <name> (--port <serial port> [--baud <rate>] | --dry-run [file]) [--image <dir>]');
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  let board = '';
  let image = '';
  let port = '';
  let baud = 115200;
  let dryRun: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--board') board = argv[++i] ?? '';
    else if (a === '--image') image = argv[++i] ?? '';
    else if (a === '--port') port = argv[++i] ?? '';
    else if (a === '--baud') baud = Number(argv[++i]);
    else if (a === '--dry-run') {
      const next = argv[i + 1];
      dryRun = next !== undefined && !next.startsWith('--') ? argv[++i] : '';
    } else usage('unknown argument ' + a);
  }
  if (board === '') usage('--board is required');
  const imageDir = image === '' ? path.join(REPO, 'dist', 'device', board) : path.resolve(image);
  if (dryRun === '') dryRun = path.join(imageDir, 'flash.txt');
  if (dryRun === null && port === '') usage('--port is required (or --dry-run)');
  if (!(baud > 0)) usage('--baud must be a positive number');
  return { board, image: imageDir, port, baud, dryRun: dryRun === null ? null : path.resolve(dryRun) };
}

export interface ImageFiles {
  manifest: Manifest;
  /** Contents as 8-bit strings, in manifest order. */
  contents: string[];
}

/** Reads and verifies a built image: every file present, of the recorded size and SHA-256. */
export function readImage(dir: string, board: string): ImageFiles {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new FlashError('no image at ' + dir + ': run npm run build:device -- --board ' + board + ' first');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  if (manifest.format !== 'simplego-device-image/1') throw new FlashError(manifestPath + ' is not a SimpleGo device image manifest');
  if (manifest.board !== board) throw new FlashError('the image in ' + dir + ' is for board ' + manifest.board + ', not ' + board);
  const contents: string[] = [];
  for (const f of manifest.files) {
    if (!/^[.A-Za-z0-9_-][A-Za-z0-9._-]{0,27}$/.test(f.name)) throw new FlashError('invalid Storage file name ' + JSON.stringify(f.name));
    const p = path.join(dir, 'storage', f.name);
    if (!fs.existsSync(p)) throw new FlashError('image file ' + f.name + ' is missing: rebuild the image');
    const bytes = fs.readFileSync(p);
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== f.bytes || sha !== f.sha256) throw new FlashError('image file ' + f.name + ' does not match its manifest: rebuild the image');
    contents.push(bytes.toString('latin1'));
  }
  if (manifest.files.length === 0 || manifest.files[0].name !== LOADER_FILE) throw new FlashError('the image has no loader (' + LOADER_FILE + ')');
  return { manifest, contents };
}

// The EspruinoTools global it creates on init (untyped JavaScript).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EspruinoGlobal = any;

/** Loads EspruinoTools quietly (it logs every file it loads) and returns its global. */
function loadEspruinoTools(): Promise<EspruinoGlobal> {
  const require = createRequire(import.meta.url);
  const tools = require('espruino') as { init(cb: () => void): void };
  return new Promise((resolve) => {
    const log = console.log;
    console.log = (): void => undefined;
    tools.init(() => {
      console.log = log;
      resolve((globalThis as unknown as { Espruino: EspruinoGlobal }).Espruino);
    });
  });
}

/** The program the device's REPL runs to install the image: see the file header for the order. */
export function uploadProgram(espruino: EspruinoGlobal, image: ImageFiles): string {
  const lines: string[] = [];
  lines.push('require("Storage").erase(' + JSON.stringify(LOADER_FILE) + ');');
  lines.push('require("Storage").list(/^' + CHUNK_PREFIX.replace('.', '\\.') + '/).forEach(function (f) { require("Storage").erase(f); });');
  const order: number[] = [];
  for (let i = 1; i < image.manifest.files.length; i++) order.push(i);
  order.push(0);
  for (const i of order) lines.push(espruino.Core.Utils.getUploadFileCode(image.manifest.files[i].name, image.contents[i]));
  lines.push('print("SimpleGo image ' + image.manifest.imageId + ' written: restarting");');
  // A full restart (the native layer's Wi-Fi and TLS state too) where the firmware offers one.
  lines.push('setTimeout(function () { if (typeof ESP32 !== "undefined") ESP32.reboot(); else load(); }, 500);');
  return lines.join('\n') + '\n';
}

/**
 * The bytes EspruinoTools' CodeWriter.writeToEspruino puts on the serial line for `code` with
 * RESET_BEFORE_SEND on: its reformatting (echo-off and no-execute newline markers), two closing
 * newlines, then "print()" and "reset();" prefixed, each with echo off.
 */
export function wireBytes(espruino: EspruinoGlobal, code: string): string {
  let out = espruino.Core.CodeWriter.reformatCode(code) as string | undefined;
  if (out === undefined) throw new FlashError('EspruinoTools could not format the upload program');
  while (out[out.length - 2] !== '\n' || out[out.length - 1] !== '\n') out += '\n';
  return '\x10reset();\n' + '\x10print()\n' + out;
}

function send(espruino: EspruinoGlobal, port: string, code: string): Promise<void> {
  return new Promise((resolve, reject) => {
    espruino.Config.RESET_BEFORE_SEND = true;
    espruino.Config.SAVE_ON_SEND = 0;
    let opened = false;
    espruino.Core.Serial.startListening((data: ArrayBuffer) => {
      process.stdout.write(Buffer.from(new Uint8Array(data)).toString('latin1'));
    });
    espruino.Core.Serial.open(
      port,
      (status: unknown) => {
        if (status === undefined) {
          reject(new FlashError('cannot open ' + port));
          return;
        }
        opened = true;
        espruino.Core.CodeWriter.writeToEspruino(code, () => {
          setTimeout(() => espruino.Core.Serial.close(), 1500);
        });
      },
      () => {
        if (opened) resolve();
        else reject(new FlashError('the connection to ' + port + ' closed before the upload'));
      },
    );
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  try {
    const image = readImage(args.image, args.board);
    const espruino = await loadEspruinoTools();
    espruino.Config.BAUD_RATE = String(args.baud);
    const program = uploadProgram(espruino, image);
    if (args.dryRun !== null) {
      fs.mkdirSync(path.dirname(args.dryRun), { recursive: true });
      fs.writeFileSync(args.dryRun, wireBytes(espruino, program), 'latin1');
      console.log('dry run: image ' + image.manifest.imageId + ' (' + image.manifest.files.length + ' Storage files) would be sent as ' +
        path.relative(process.cwd(), args.dryRun));
      return;
    }
    await send(espruino, args.port, program);
    console.log('\nflash: image ' + image.manifest.imageId + ' sent to ' + args.port);
  } catch (e) {
    if (e instanceof FlashError) {
      console.error('flash failed: ' + e.message);
      process.exit(1);
    }
    throw e;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
