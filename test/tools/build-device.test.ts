/**
 * The device image build (tools/build-device.ts, tools/device-build/): the t-deck-plus image is
 * built into a temporary directory, every emitted file is parsed as ES5 and quirk-linted, the
 * Storage split and sizes are checked, and the image is run in a Node VM with stand-ins for the
 * Espruino built-ins and the Node native layer, so the linked ES5 modules boot for real. The
 * negative tests prove that the lint catches each construct Espruino cannot run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as acorn from 'acorn';
import ts from 'typescript';
import { BuildError, COMPILER_OPTIONS } from '../../tools/device-build/bundle';
import { lintEmitted } from '../../tools/device-build/es5-lint';
import {
  CHUNK_PREFIX,
  LOADER_FILE,
  STORAGE_PARTITION_BYTES,
  buildImage,
  describeImage,
  storageFootprint,
  writeImage,
} from '../../tools/device-build/image';
import type { DeviceImage, Manifest } from '../../tools/device-build/image';
import { postPass } from '../../tools/device-build/postpass';
import { POLYFILLED } from '../../tools/device-build/prelude';
import { createNodeNative } from '../hal/native/node-native';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function rules(code: string, polyfilled: string[] = POLYFILLED): string[] {
  return lintEmitted(code, 'snippet.js', { polyfilled }).map((f) => f.rule);
}

/** Timers the images started (the keyboard poll runs forever): cleared after each test. */
const imageTimers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const t of imageTimers.splice(0)) clearTimeout(t);
});

/** Runs a built image's .bootcde in a fresh VM context with stand-ins for Espruino's globals. */
function runImage(image: DeviceImage, options: { native: boolean; files?: { [name: string]: string } }): string[] {
  const printed: string[] = [];
  const storage: { [name: string]: string } = options.files ?? {};
  if (options.files === undefined) for (const f of image.files) storage[f.name] = f.content;
  const graphics = {
    getWidth: () => 320,
    getHeight: () => 240,
    setColor: () => graphics,
    setBgColor: () => graphics,
    fillRect: () => graphics,
    setFont: () => graphics,
    getFontHeight: () => 8,
    stringWidth: (s: string) => s.length * 6,
    drawString: (s: string) => {
      printed.push('screen: ' + s);
      return graphics;
    },
    drawImage: () => graphics,
    flip: () => undefined,
  };
  const modules: { [name: string]: unknown } = {
    Storage: { read: (n: string) => storage[n] },
    lcd_spi_unbuf: { connect: () => graphics },
  };
  if (options.native) modules.simplego = createNodeNative();
  const noop = (): void => undefined;
  const context = vm.createContext({
    // The host's typed arrays, so that arrays crossing between the image and the Node native
    // layer are one kind (instanceof checks in the adapters).
    Uint8Array,
    Uint16Array,
    ArrayBuffer,
    require: (name: string) => {
      if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
      throw new Error('Module ' + name + ' not found');
    },
    print: (s: string) => printed.push(s),
    process: { version: '2v29.277', memory: () => ({ free: 10000, usage: 6383, total: 16383 }) },
    setTimeout: (fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      imageTimers.push(t);
      return t;
    },
    clearTimeout: (id: NodeJS.Timeout) => clearTimeout(id),
    getTime: () => performance.now() / 1000,
    digitalWrite: noop,
    digitalPulse: noop,
    analogWrite: noop,
    analogRead: () => 0.6,
    pinMode: noop,
    setWatch: () => 1,
    SPI1: { setup: noop, write: noop },
    I2C1: { setup: noop, writeTo: noop, readFrom: () => new Uint8Array(1) },
    E: {
      connectSDCard: noop,
      openFile: () => {
        throw new Error('Unable to mount media : NOT_READY');
      },
      toUint8Array: (s: string) => new Uint8Array(Buffer.from(s, 'latin1')),
    },
  });
  vm.runInContext(storage[LOADER_FILE], context, { filename: LOADER_FILE });
  return printed;
}

describe('device image build (t-deck-plus)', function () {
  this.timeout(60000);
  let image: DeviceImage;
  let outDir: string;
  let manifest: Manifest;

  before(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplego-image-'));
    image = await buildImage({ root: ROOT, board: 't-deck-plus' });
    manifest = writeImage(image, outDir);
  });
  after(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('emits only files that parse as ECMAScript 5 and pass the Espruino lint', () => {
    assert.ok(image.files.length >= 2);
    for (const f of image.files) {
      const onDisk = fs.readFileSync(path.join(outDir, 'storage', f.name), 'latin1');
      assert.equal(onDisk, f.content, f.name + ' on disk');
      acorn.parse(onDisk, { ecmaVersion: 5, sourceType: 'script' });
      assert.deepEqual(lintEmitted(onDisk, f.name, { polyfilled: POLYFILLED }), [], f.name);
      for (let i = 0; i < onDisk.length; i++) assert.ok(onDisk.charCodeAt(i) < 0x80, f.name + ': non-ASCII byte at ' + i);
    }
  });

  it('splits into the loader first and size-bounded module files, every module exactly once', () => {
    assert.equal(image.files[0].name, LOADER_FILE);
    const seen: { [p: string]: number } = {};
    for (let i = 1; i < image.files.length; i++) {
      const f = image.files[i];
      assert.equal(f.name, CHUNK_PREFIX + i);
      assert.ok(f.content.length <= 48 * 1024, f.name + ' over the chunk size');
      for (const m of f.modules) seen[m] = (seen[m] ?? 0) + 1;
    }
    const paths = Object.keys(seen);
    assert.equal(paths.length, image.moduleCount);
    for (const p of paths) {
      assert.equal(seen[p], 1, p);
      assert.ok(/^(firmware|hal|boards)\//.test(p), p + ' does not belong in the device image');
      assert.ok(!/^hal\/(node|portable)\//.test(p) && !p.startsWith('tools/'), p + ' is desktop code');
    }
    for (const p of ['hal/espruino/main.ts', 'boards/t-deck-plus.ts', 'firmware/device/boot.ts', 'firmware/device/self-test.ts', 'hal/espruino/crypto.ts']) {
      assert.equal(seen[p], 1, p + ' is in the image');
    }
    // The loader checks every module file's name and length before it runs anything.
    for (let i = 1; i < image.files.length; i++) {
      assert.ok(image.files[0].content.indexOf(JSON.stringify(image.files[i].name)) >= 0);
      assert.ok(image.files[0].content.indexOf(String(image.files[i].content.length)) >= 0);
    }
  });

  it('records sizes and hashes in the manifest and fits the 896 KB Storage partition', () => {
    assert.equal(manifest.board, 't-deck-plus');
    assert.equal(manifest.imageId, image.imageId);
    assert.match(image.imageId, /^[0-9a-f]{16}$/);
    assert.equal(manifest.files.length, image.files.length);
    let total = 0;
    for (const f of manifest.files) total += storageFootprint(f.bytes);
    assert.equal(manifest.storageBytes, total);
    assert.equal(manifest.partitionBytes, STORAGE_PARTITION_BYTES);
    assert.ok(image.storageBytes < STORAGE_PARTITION_BYTES / 4, 'the image leaves most of Storage free: ' + image.storageBytes);
    const report = describeImage(image);
    assert.match(report, /Storage layout:/);
    assert.match(report, new RegExp('Storage use: ' + image.storageBytes + ' of ' + STORAGE_PARTITION_BYTES));
  });

  it('is reproducible: the same sources give the same image id and bytes', async () => {
    const again = await buildImage({ root: ROOT, board: 't-deck-plus' });
    assert.equal(again.imageId, image.imageId);
    assert.deepEqual(again.files.map((f) => f.content), image.files.map((f) => f.content));
  });

  it('splits into more files under a smaller chunk size, with the same modules', async () => {
    const small = await buildImage({ root: ROOT, board: 't-deck-plus', chunkBytes: 12 * 1024 });
    assert.ok(small.files.length > image.files.length);
    const modulesOf = (img: DeviceImage) => img.files.flatMap((f) => f.modules).sort();
    assert.deepEqual(modulesOf(small), modulesOf(image));
    for (const f of small.files.slice(1)) assert.ok(f.content.length <= 12 * 1024);
    for (const f of small.files) assert.deepEqual(lintEmitted(f.content, f.name, { polyfilled: POLYFILLED }), [], f.name);
  });

  it('boots in a VM over the Node native layer: the linked ES5 modules run the real self-test', async () => {
    const printed = runImage(image, { native: true });
    await new Promise((r) => setTimeout(r, 50));
    const checks = printed.filter((l) => l.indexOf(' boot.check ') >= 0);
    assert.ok(checks.length >= 12, printed.join('\n'));
    for (const name of ['SHA-256', 'X25519', 'X448', 'Ed25519', 'AES-256-GCM', 'XSalsa20-Poly1305', 'random source']) {
      assert.ok(checks.some((l) => l.indexOf('name="' + name + '" ok=true') >= 0), name + ' passed:\n' + checks.join('\n'));
    }
    // No fs module was provided: the card check fails and says why; nothing crashes.
    assert.ok(checks.some((l) => l.indexOf('name="SD card" ok=false') >= 0));
    assert.ok(printed.some((l) => l.indexOf('boot.memory') >= 0 && l.indexOf('total=16383') >= 0));
    assert.ok(printed.some((l) => l.indexOf('screen: SimpleGo ' + image.imageId + ' on t-deck-plus') === 0));
  });

  it('without the native layer it stops with a message instead of crashing', () => {
    const printed = runImage(image, { native: false });
    assert.ok(printed.some((l) => l.indexOf('boot.fatal') >= 0 && l.indexOf('no native layer') >= 0), printed.join('\n'));
  });

  it('an incomplete flash (a module file missing or cut short) is refused before any module runs', () => {
    const files: { [n: string]: string } = {};
    for (const f of image.files) files[f.name] = f.content;
    files[CHUNK_PREFIX + '1'] = files[CHUNK_PREFIX + '1'].slice(0, 100);
    const printed = runImage(image, { native: true, files });
    assert.equal(printed.length, 1, printed.join('\n'));
    assert.match(printed[0], /is incomplete: Storage file sg\.1 is missing or damaged/);
  });

  it('builds the camera board too, with its own descriptor', async () => {
    const cam = await buildImage({ root: ROOT, board: 't-camera-plus-s3' });
    assert.ok(cam.files.some((f) => f.modules.indexOf('boards/t-camera-plus-s3.ts') >= 0));
    assert.equal(cam.boardExport, 'tCameraPlusS3');
  });

  it('refuses an unknown board, naming the known ones', async () => {
    await assert.rejects(buildImage({ root: ROOT, board: 'no-such-board' }), (e: unknown) =>
      e instanceof BuildError && /t-deck-plus/.test(e.message));
    await assert.rejects(buildImage({ root: ROOT, board: '../etc' }), BuildError);
  });
});

describe('Espruino lint of emitted JavaScript (negative cases)', () => {
  it('accepts plain ES5 with hoisted declarations', () => {
    assert.deepEqual(rules('"use strict"; function f() { var a; a = 1; return a; } var x; x = f();'), []);
  });

  it('refuses syntax that is not ES5', () => {
    for (const code of [
      'var a = 10n;', // BigInt literal
      'var a = 2 ** 8;',
      'function* g() { yield 1; }',
      'let a = 1;',
      'const a = 1;',
      'var f = () => 1;',
      'class A {}',
      'var s = `t`;',
      'var o = { a: 1 }; var { a } = o;',
      'function f(a = 1) { return a; }',
      'f(...args);',
      'for (var x of [1]) {}',
      'var a = o?.b;',
      'var a = o ?? 1;',
      'async function f() {}',
    ]) {
      assert.deepEqual(rules(code), ['parse'], code);
    }
  });

  it('refuses BigInt, Map, Set, Symbol and friends, unless typeof-guarded or declared locally', () => {
    assert.deepEqual(rules('var a; a = BigInt(1);'), ['global']);
    assert.deepEqual(rules('var m; m = new Map();'), ['global']);
    assert.deepEqual(rules('var s; s = new Set();'), ['global']);
    assert.deepEqual(rules('var w; w = new WeakMap();'), ['global']);
    assert.deepEqual(rules('var i; i = Symbol.iterator;'), ['global']);
    assert.deepEqual(rules('var p; p = new Proxy({}, {});'), ['global']);
    assert.deepEqual(rules('var r; r = Reflect.ownKeys({});'), ['global']);
    assert.deepEqual(rules('var t; t = new TextEncoder();'), ['global']);
    assert.deepEqual(rules('var s; s = typeof Symbol === "function" && Symbol.iterator;'), []);
    assert.deepEqual(rules('var s; s = typeof Symbol === "function" ? Symbol.iterator : "@@iterator";'), []);
    assert.deepEqual(rules('function f(Map) { return Map; }'), []);
  });

  it('refuses missing or inexact members unless the prelude polyfills them (never Math.pow)', () => {
    assert.deepEqual(rules('var a; a = Math.imul(3, 4);', []), ['member']);
    assert.deepEqual(rules('var a; a = Math.imul(3, 4);'), []);
    assert.deepEqual(rules('var a; a = Math.pow(2, 32);', ['Math.pow']), ['member']);
    assert.deepEqual(rules('var a; a = Array.from([1]);'), ['member']);
    assert.deepEqual(rules('var a; a = Number.MAX_SAFE_INTEGER;'), ['member']);
    assert.deepEqual(rules('var a; a = Promise.race([]);'), ['member']);
    assert.deepEqual(rules('p.then(f).finally(g);'), ['promise-finally']);
  });

  it('refuses methods read off built-in prototypes, but not assignments to them', () => {
    assert.deepEqual(rules('var a; a = Array.prototype.slice.call(arguments);'), ['builtin-prototype']);
    assert.deepEqual(rules('var a; a = Object.prototype.hasOwnProperty.call(o, "k");'), ['builtin-prototype']);
    assert.deepEqual(rules('var a; a = [].slice.call(arguments);'), []);
    assert.deepEqual(rules('Uint8Array.prototype.slice = function () {};'), []);
  });

  it('refuses array holes, labels, regex features Espruino lacks, and non-literal or unknown requires', () => {
    assert.deepEqual(rules('var a; a = [1, , 3];'), ['array-hole']);
    assert.deepEqual(rules('function f() { outer: for (;;) { break outer; } }'), ['label']);
    assert.deepEqual(rules('var r; r = /a(?=b)/;'), ['regex']);
    assert.deepEqual(rules('var r; r = /a{2}/;'), ['regex']);
    assert.deepEqual(rules('var m; m = require("http");'), ['require']);
    assert.deepEqual(rules('var m; m = require(name);'), ['require']);
    assert.deepEqual(rules('var m; m = require("Storage");'), []);
  });

  it('refuses reliance on hoisting: late functions, vars declared in branches, calls before declarations', () => {
    assert.deepEqual(rules('exports.f = f; function f() {}'), ['hoisting']);
    assert.deepEqual(rules('function g(x) { if (x) { var y = 1; } return y; }'), ['hoisting']);
    assert.deepEqual(rules('function g() { for (var i = 0; i < 2; i++) {} }'), ['hoisting']);
    assert.deepEqual(rules('var a = f(); function f() { return 1; }'), ['hoisting']);
    assert.deepEqual(rules('function g(x) { if (x) { function h() {} } }'), ['hoisting']);
    assert.deepEqual(rules('function g() { function h() {} var a; a = h(); return a; }'), []);
  });
});

describe('post-pass over TypeScript ES5 output', () => {
  const SOURCE = [
    'export class Base { constructor(readonly n: number) {} }',
    'export class Derived extends Base { twice(): number { return this.n * 2; } }',
    'export async function load(f: () => Promise<number>): Promise<number> {',
    '  try { return await f(); } catch (e) { return -1; }',
    '}',
    'export function join(a: number[], b: number[]): number[] { return [...a, ...b]; }',
    'export const big = 2 ** 32;',
  ].join('\n');

  it('makes compiler output that relies on hoisting and holes pass the lint', () => {
    const raw = ts.transpileModule(SOURCE, { compilerOptions: COMPILER_OPTIONS }).outputText;
    const before = rules(raw).sort();
    assert.ok(before.indexOf('hoisting') >= 0, 'raw TypeScript ES5 output relies on hoisting: ' + before.join(','));
    assert.ok(before.indexOf('array-hole') >= 0, 'raw async output has array holes');
    assert.ok(before.indexOf('builtin-prototype') >= 0, '__spreadArray reads Array.prototype.slice');
    assert.ok(before.indexOf('member') >= 0, '2 ** 32 became Math.pow');
    const after = postPass(raw, 'sample.js');
    assert.deepEqual(rules(after), []);
    assert.ok(after.indexOf('4294967296') >= 0, 'Math.pow(2, 32) folded to the exact literal');
  });

  it('keeps the program\'s meaning (run in Node, before and after)', async () => {
    const raw = ts.transpileModule(SOURCE, { compilerOptions: COMPILER_OPTIONS }).outputText;
    const run = (code: string) => {
      const exports: { [k: string]: unknown } = {};
      vm.runInNewContext(code, { exports, Promise, Object, Error, TypeError, Array });
      return exports as { Derived: new (n: number) => { twice(): number }; load: (f: () => Promise<number>) => Promise<number>; join: (a: number[], b: number[]) => number[]; big: number };
    };
    for (const m of [run(raw), run(postPass(raw, 'sample.js'))]) {
      assert.equal(new m.Derived(21).twice(), 42);
      assert.equal(await m.load(() => Promise.resolve(5)), 5);
      assert.equal(await m.load(() => Promise.reject(new Error('x'))), -1);
      assert.equal(JSON.stringify(m.join([1], [2, 3])), '[1,2,3]');
      assert.equal(m.big, 4294967296);
    }
  });
});
