/**
 * Builds the JavaScript half of a device image: bundle (bundle.ts), post-pass (postpass.ts),
 * minify, lint (es5-lint.ts), and split into Espruino Storage files.
 *
 * Storage layout (shared/spec/espruino-target.md §2.2: code loaded from Storage keeps its
 * function bodies in flash, 1,518 instead of 11,527 variables for the same library):
 * - `.bootcde`: the loader, which Espruino runs at every boot: prelude (polyfills and the
 *   module registry), the compiler helpers, then a check that every module file is present
 *   with its expected length (a half-finished flash stops here with a message instead of
 *   failing obscurely), evaluation of the module files from flash, and the call to the device
 *   entry with the Espruino built-ins.
 * - `sg.1`, `sg.2`, ...: the modules, each file at most `chunkBytes`, each module whole.
 * Each file is a standalone ES5 script that passes the emitted-code lint.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';
import { BuildError, bundleModules } from './bundle';
import type { BundledModule } from './bundle';
import { lintEmitted } from './es5-lint';
import type { EmittedFinding } from './es5-lint';
import { postPass } from './postpass';
import { POLYFILLED, PRELUDE } from './prelude';

/** The Storage partition of Espruino's ESP32 partition table (espruino-target.md §2.3). */
export const STORAGE_PARTITION_BYTES = 896 * 1024;
/** Espruino's Storage file header (size and 28-byte name); data is padded to 4 bytes. */
export const STORAGE_HEADER_BYTES = 32;
export const DEFAULT_CHUNK_BYTES = 48 * 1024;
export const LOADER_FILE = '.bootcde';
export const CHUNK_PREFIX = 'sg.';
const ENTRY = 'hal/espruino/main.ts';

export interface StorageFile {
  readonly name: string;
  readonly content: string;
  /** Repository paths of the modules in this file (empty for the loader). */
  readonly modules: string[];
}

export interface DeviceImage {
  readonly board: string;
  /** The board descriptor's export in boards/<board>.ts. */
  readonly boardExport: string;
  /** First 16 hex digits of SHA-256 over every file: names the image in logs and on screen. */
  readonly imageId: string;
  readonly files: StorageFile[];
  readonly moduleCount: number;
  /** Bytes of JavaScript in all files. */
  readonly codeBytes: number;
  /** Bytes the files take in the Storage partition, headers and padding included. */
  readonly storageBytes: number;
}

export interface BuildOptions {
  root: string;
  board: string;
  chunkBytes?: number;
  minify?: boolean;
}

export function storageFootprint(bytes: number): number {
  return STORAGE_HEADER_BYTES + ((bytes + 3) & ~3);
}

/** The board module's export that describes an Espruino board named `board`. */
async function findBoardExport(root: string, board: string): Promise<{ file: string; exportName: string }> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(board)) throw new BuildError('invalid board name "' + board + '"');
  const file = path.join(root, 'boards', board + '.ts');
  if (!fs.existsSync(file)) {
    const known = fs.readdirSync(path.join(root, 'boards')).filter((f) => f.endsWith('.ts') && f !== 'board.ts' && f !== 'simulator.ts');
    throw new BuildError('no board "' + board + '": boards/ has ' + known.map((f) => f.slice(0, -3)).join(', '));
  }
  const mod = (await import(pathToFileURL(file).href)) as { [name: string]: unknown };
  for (const name of Object.keys(mod)) {
    const v = mod[name] as { name?: unknown; backend?: unknown } | null;
    if (v !== null && typeof v === 'object' && v.name === board && v.backend === 'espruino') return { file, exportName: name };
  }
  throw new BuildError('boards/' + board + '.ts exports no Espruino board descriptor named "' + board + '"');
}

function minifyScript(code: string, name: string, minify: boolean): string {
  const processed = postPass(code, name);
  if (!minify) return processed;
  const full = transformSync(processed, { minify: true, target: 'es5', loader: 'js', charset: 'ascii', legalComments: 'none' }).code;
  if (lintEmitted(full, name, { polyfilled: POLYFILLED }).length === 0) return full;
  // esbuild's syntax folding may move a declaration; whitespace and names alone never do.
  return transformSync(processed, { minifyWhitespace: true, minifyIdentifiers: true, target: 'es5', loader: 'js', charset: 'ascii', legalComments: 'none' }).code;
}

function loaderScript(helpers: string, chunks: StorageFile[], mainId: number, boardId: number, boardExport: string, imageId: string): string {
  const names = JSON.stringify(chunks.map((c) => c.name));
  const sizes = JSON.stringify(chunks.map((c) => c.content.length));
  return [
    PRELUDE,
    helpers,
    '(function () {',
    '  var S = require("Storage");',
    '  var names = ' + names + ';',
    '  var sizes = ' + sizes + ';',
    '  for (var i = 0; i < names.length; i++) {',
    '    var src = S.read(names[i]);',
    '    if (src === undefined || src.length !== sizes[i]) {',
    '      print("SimpleGo image ' + imageId + ' is incomplete: Storage file " + names[i] + " is missing or damaged. Flash the image again.");',
    '      return;',
    '    }',
    '  }',
    '  for (var j = 0; j < names.length; j++) eval(S.read(names[j]));',
    '  function optional(load) {',
    '    try { return load(); } catch (e) { return null; }',
    '  }',
    '  var builtins = {',
    '    native: optional(function () { return require("simplego"); }),',
    '    fs: optional(function () { return require("fs"); }),',
    '    wifi: optional(function () { return require("Wifi"); }),',
    '    lcd: optional(function () { return require("lcd_spi_unbuf"); }),',
    '    setTimeout: function (fn, ms) { return setTimeout(fn, ms); },',
    '    clearTimeout: function (id) { clearTimeout(id); },',
    '    memory: function () { return process.memory(false); },',
    '    version: process.version,',
    '    imageId: "' + imageId + '",',
    '    print: function (line) { print(line); }',
    '  };',
    '  __sg_r(' + mainId + ').startDevice(__sg_r(' + boardId + ').' + boardExport + ', builtins);',
    '})();',
    '',
  ].join('\n');
}

function packChunks(modules: Array<{ module: BundledModule; code: string }>, chunkBytes: number): StorageFile[] {
  const files: StorageFile[] = [];
  let content = '';
  let paths: string[] = [];
  const flush = (): void => {
    if (content.length === 0) return;
    files.push({ name: CHUNK_PREFIX + (files.length + 1), content, modules: paths });
    content = '';
    paths = [];
  };
  for (const m of modules) {
    if (m.code.length > chunkBytes) {
      throw new BuildError(m.module.path + ' is ' + m.code.length + ' bytes minified, more than one Storage file (' + chunkBytes + ')');
    }
    if (content.length + m.code.length + 1 > chunkBytes) flush();
    content += (content.length > 0 ? '\n' : '') + m.code;
    paths.push(m.module.path);
  }
  flush();
  return files;
}

export class LintError extends BuildError {
  readonly findings: EmittedFinding[];
  constructor(findings: EmittedFinding[]) {
    super(findings.length + ' Espruino lint finding(s) in the emitted image:\n' +
      findings.map((f) => '  ' + f.file + ':' + f.line + ':' + f.column + ' [' + f.rule + '] ' + f.message).join('\n'));
    this.name = 'LintError';
    this.findings = findings;
  }
}

export async function buildImage(options: BuildOptions): Promise<DeviceImage> {
  const root = options.root;
  const minify = options.minify !== false;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const board = await findBoardExport(root, options.board);
  const bundle = bundleModules(root, [path.join(root, ENTRY), board.file]);
  const processed = bundle.modules.map((m) => ({ module: m, code: minifyScript(m.code, m.path, minify) }));
  const chunks = packChunks(processed, chunkBytes);

  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c.name + '\n' + c.content + '\n');
  hash.update(bundle.helpers);
  const imageId = hash.digest('hex').slice(0, 16);

  const boardPath = path.relative(root, board.file).split(path.sep).join('/');
  const loader: StorageFile = {
    name: LOADER_FILE,
    content: minifyScript(loaderScript(bundle.helpers, chunks, bundle.ids[ENTRY], bundle.ids[boardPath], board.exportName, imageId), LOADER_FILE, minify),
    modules: [],
  };
  const files = [loader].concat(chunks);

  const findings: EmittedFinding[] = [];
  for (const f of files) for (const x of lintEmitted(f.content, f.name, { polyfilled: POLYFILLED })) findings.push(x);
  if (findings.length > 0) throw new LintError(findings);

  let codeBytes = 0;
  let storageBytes = 0;
  for (const f of files) {
    codeBytes += f.content.length;
    storageBytes += storageFootprint(f.content.length);
  }
  return { board: options.board, boardExport: board.exportName, imageId, files, moduleCount: bundle.modules.length, codeBytes, storageBytes };
}

export interface Manifest {
  readonly format: 'simplego-device-image/1';
  readonly board: string;
  readonly imageId: string;
  readonly partitionBytes: number;
  readonly codeBytes: number;
  readonly storageBytes: number;
  readonly files: Array<{ name: string; bytes: number; sha256: string; modules: string[] }>;
}

/** Writes the image under `outDir`: storage/<file> for each Storage file, and manifest.json. */
export function writeImage(image: DeviceImage, outDir: string): Manifest {
  const storageDir = path.join(outDir, 'storage');
  fs.rmSync(storageDir, { recursive: true, force: true });
  fs.mkdirSync(storageDir, { recursive: true });
  for (const f of image.files) fs.writeFileSync(path.join(storageDir, f.name), f.content, 'latin1');
  const manifest: Manifest = {
    format: 'simplego-device-image/1',
    board: image.board,
    imageId: image.imageId,
    partitionBytes: STORAGE_PARTITION_BYTES,
    codeBytes: image.codeBytes,
    storageBytes: image.storageBytes,
    files: image.files.map((f) => ({
      name: f.name,
      bytes: f.content.length,
      sha256: createHash('sha256').update(f.content, 'latin1').digest('hex'),
      modules: f.modules,
    })),
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The report the CLI prints: sizes and the Storage layout. */
export function describeImage(image: DeviceImage): string {
  const kb = (n: number): string => (n / 1024).toFixed(1) + ' KB';
  const lines: string[] = [];
  lines.push('SimpleGo device image ' + image.imageId + ' for board ' + image.board + ' (' + image.moduleCount + ' modules)');
  lines.push('');
  lines.push('Storage layout:');
  for (const f of image.files) {
    const what = f.modules.length === 0 ? 'loader: prelude, compiler helpers, integrity check, entry call' : f.modules.length + ' modules';
    lines.push('  ' + (f.name + '          ').slice(0, 10) + ('        ' + f.content.length).slice(-8) + ' bytes  ' + what);
  }
  lines.push('');
  lines.push('Image size: ' + image.codeBytes + ' bytes (' + kb(image.codeBytes) + ') of JavaScript');
  const pct = ((100 * image.storageBytes) / STORAGE_PARTITION_BYTES).toFixed(1);
  lines.push('Storage use: ' + image.storageBytes + ' of ' + STORAGE_PARTITION_BYTES + ' bytes (' + pct + '% of the 896 KB partition, headers included)');
  return lines.join('\n');
}
