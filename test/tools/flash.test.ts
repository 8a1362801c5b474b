/**
 * tools/flash.ts --dry-run: the exact serial bytes are written to a file, and decoding them
 * gives back every Storage file byte for byte, in the safe order. Runs the CLI as a child
 * process: EspruinoTools changes process-wide TLS settings, which must not leak into the test run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOADER_FILE, buildImage, writeImage } from '../../tools/device-build/image';
import type { DeviceImage } from '../../tools/device-build/image';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function flash(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'flash.ts')].concat(args), {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The Storage writes in the upload, in order, decoded. */
function decodeWrites(wire: string): Array<{ name: string; offset: number; total: number | null; data: string }> {
  const out: Array<{ name: string; offset: number; total: number | null; data: string }> = [];
  const re = /require\("Storage"\)\.write\(("[^"]+"),atob\("([A-Za-z0-9+/=]*)"\),(\d+)(?:,(\d+))?\)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(wire)) !== null) {
    out.push({
      name: JSON.parse(m[1]) as string,
      data: Buffer.from(m[2], 'base64').toString('latin1'),
      offset: Number(m[3]),
      total: m[4] === undefined ? null : Number(m[4]),
    });
  }
  return out;
}

describe('tools/flash.ts --dry-run', function () {
  this.timeout(120000);
  let dir: string;
  let image: DeviceImage;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simplego-flash-'));
    image = await buildImage({ root: ROOT, board: 't-deck-plus', chunkBytes: 16 * 1024 });
    writeImage(image, dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the exact upload: reset, erase old loader and modules, modules, loader last, restart', () => {
    const out = path.join(dir, 'wire.txt');
    const r = flash(['--board', 't-deck-plus', '--image', dir, '--dry-run', out]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp('image ' + image.imageId));
    const wire = fs.readFileSync(out, 'latin1');
    assert.ok(wire.startsWith('\x10reset();\n\x10print()\n'), 'EspruinoTools resets the REPL first');
    assert.ok(wire.endsWith('\n\n'));

    const eraseLoader = wire.indexOf('require("Storage").erase(".bootcde")');
    const eraseOld = wire.indexOf('require("Storage").list(/^sg\\./)');
    const firstWrite = wire.indexOf('require("Storage").write(');
    const loaderWrite = wire.indexOf('require("Storage").write(".bootcde"');
    const restart = wire.indexOf('ESP32.reboot()');
    assert.ok(eraseLoader >= 0 && eraseLoader < eraseOld && eraseOld < firstWrite, 'erase before writing');
    assert.ok(loaderWrite > firstWrite, 'the loader is written last');
    assert.ok(restart > loaderWrite, 'restart after everything is written');

    const writes = decodeWrites(wire);
    const byName: { [n: string]: string } = {};
    const order: string[] = [];
    for (const w of writes) {
      if (byName[w.name] === undefined) {
        assert.equal(w.offset, 0, 'each file starts at offset 0');
        assert.notEqual(w.total, null, 'the first write gives the total size');
        byName[w.name] = '';
        order.push(w.name);
      }
      assert.equal(w.offset, byName[w.name].length, 'chunks are contiguous');
      byName[w.name] += w.data;
    }
    assert.deepEqual(order, image.files.slice(1).map((f) => f.name).concat([LOADER_FILE]));
    for (const f of image.files) assert.equal(byName[f.name], f.content, f.name + ' reassembles byte for byte');
  });

  it('defaults the output next to the image', () => {
    const r = flash(['--board', 't-deck-plus', '--image', dir, '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dir, 'flash.txt')));
  });

  it('refuses a tampered image, another board\'s image, and a missing port', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'simplego-flash-bad-'));
    try {
      fs.cpSync(dir, copy, { recursive: true });
      const victim = path.join(copy, 'storage', 'sg.1');
      const bytes = fs.readFileSync(victim);
      bytes[10] ^= 1;
      fs.writeFileSync(victim, bytes);
      const tampered = flash(['--board', 't-deck-plus', '--image', copy, '--dry-run', path.join(copy, 'w.txt')]);
      assert.equal(tampered.status, 1);
      assert.match(tampered.stderr, /does not match its manifest/);
      assert.ok(!fs.existsSync(path.join(copy, 'w.txt')), 'nothing written for a bad image');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    const wrongBoard = flash(['--board', 't-camera-plus-s3', '--image', dir, '--dry-run', path.join(dir, 'x.txt')]);
    assert.equal(wrongBoard.status, 1);
    assert.match(wrongBoard.stderr, /is for board t-deck-plus/);
    const noPort = flash(['--board', 't-deck-plus', '--image', dir]);
    assert.equal(noPort.status, 2);
    assert.match(noPort.stderr, /--port is required/);
  });
});
