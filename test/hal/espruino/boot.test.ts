/**
 * The device boot path (firmware/device/boot.ts) over the hal/espruino backends running on the
 * Node native layer: the power-on self-test, what stops the application from starting, and the
 * one-import application seam.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApplicationError, clearApplication, registerApplication } from '../../../firmware/device/application';
import { bootDevice } from '../../../firmware/device/boot';
import type { BootReport } from '../../../firmware/device/boot';
import { runCryptoSelfTest, selfTestNames } from '../../../firmware/device/self-test';
import { createEspruinoCamera } from '../../../hal/espruino/camera';
import { createEspruinoCrypto } from '../../../hal/espruino/crypto';
import { createEspruinoNotifier } from '../../../hal/espruino/notifier';
import { createEspruinoPower } from '../../../hal/espruino/power';
import { createEspruinoQrScanner } from '../../../hal/espruino/qr';
import { createEspruinoRandom } from '../../../hal/espruino/random';
import { createEspruinoStorage } from '../../../hal/espruino/storage';
import { createEspruinoWifi } from '../../../hal/espruino/wifi';
import type { Display, FontName, Image } from '../../../hal/display';
import type { Hal } from '../../../hal/index';
import type { NativeApi } from '../../../hal/native-api';
import { createNodeClock } from '../../../hal/node/clock';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeRandom } from '../../../hal/node/random';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import { createNodeNative } from '../native/node-native';
import { createNodeEspruinoFs } from './espruino-fs';

/** A display that keeps the text drawn on it (the boot screen is what the user reads). */
function textDisplay(failing = false): Display & { lines: string[] } {
  const lines: string[] = [];
  const fail = (): void => {
    if (failing) throw new Error('panel not responding');
  };
  return {
    lines,
    width: 320,
    height: 240,
    fillRect: fail,
    drawString: (t: string) => {
      fail();
      lines.push(t);
    },
    stringWidth: (t: string, _f: FontName) => t.length * 6,
    fontHeight: () => 8,
    drawImage: (_i: Image) => fail(),
    flip: () => undefined,
    setBacklight: () => undefined,
  };
}

const cards: string[] = [];
after(() => {
  for (const d of cards) rmSync(d, { recursive: true, force: true });
});

interface Rig {
  hal: Hal;
  display: ReturnType<typeof textDisplay>;
  log: ReturnType<typeof createMemoryLog>;
}

function rig(options: { native?: NativeApi; unmounted?: boolean; failingDisplay?: boolean } = {}): Rig {
  const native = options.native ?? createNodeNative();
  const root = mkdtempSync(path.join(tmpdir(), 'simplego-boot-'));
  cards.push(root);
  const card = createNodeEspruinoFs(root);
  if (options.unmounted) card.unmount();
  const random = createEspruinoRandom(native);
  const display = textDisplay(options.failingDisplay);
  const log = createMemoryLog();
  const hal: Hal = {
    clock: createNodeClock(),
    random,
    crypto: createEspruinoCrypto(native, random),
    net: { connectTls: () => Promise.reject(new Error('not used at boot')) },
    storage: createEspruinoStorage(card.fs, card.files),
    display,
    input: { setHandler: () => undefined },
    camera: createEspruinoCamera(null),
    qr: createEspruinoQrScanner(null),
    wifi: createEspruinoWifi(null),
    power: createEspruinoPower({ driver: 'none' }, null),
    notifier: createEspruinoNotifier(() => undefined),
    log,
  };
  return { hal, display, log };
}

function failed(report: BootReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => c.name);
}

describe('device boot over the hal/espruino backends and the Node native layer', () => {
  afterEach(() => clearApplication());

  it('passes every check, says so on screen and in the log, and reports that no application is installed', () => {
    const r = rig();
    const report = bootDevice(r.hal, { banner: 'SimpleGo test', platformChecks: [{ name: 'native layer v1', ok: true, detail: '' }] });
    assert.deepEqual(failed(report), []);
    assert.equal(report.ok, true);
    assert.equal(report.started, null);
    assert.deepEqual(
      report.checks.map((c) => c.name),
      ['native layer v1'].concat(selfTestNames(), ['random source', 'SD card', 'display']),
    );
    assert.equal(r.display.lines[0], 'SimpleGo test');
    assert.ok(r.display.lines.some((l) => l.indexOf('No application is installed') >= 0));
    assert.ok(r.log.records.some((x) => x.event === 'boot.selftest' && x.fields.ok === true));
  });

  it('starts the registered application with the HAL and the report', () => {
    const r = rig();
    const started: Array<{ hal: Hal; report: BootReport }> = [];
    registerApplication({ name: 'messenger', start: (hal, report) => started.push({ hal, report }) });
    const report = bootDevice(r.hal, { banner: 'x' });
    assert.equal(report.started, 'messenger');
    assert.equal(started.length, 1);
    assert.equal(started[0].hal, r.hal);
    assert.equal(started[0].report, report);
  });

  it('a native layer that computes one hash wrong fails that check and the application is not started', () => {
    const honest = createNodeNative();
    const broken: NativeApi = { ...honest, sha256: (d: Uint8Array) => { const out = honest.sha256(d); out[0] ^= 1; return out; } };
    const r = rig({ native: broken });
    let started = false;
    registerApplication({ name: 'messenger', start: () => (started = true) });
    const report = bootDevice(r.hal, { banner: 'x' });
    assert.deepEqual(failed(report), ['SHA-256']);
    assert.equal(report.started, null);
    assert.equal(started, false);
    assert.ok(r.display.lines.some((l) => l.startsWith('FAIL SHA-256')));
    assert.ok(r.display.lines.some((l) => l.indexOf('application was not started') >= 0));
  });

  it('a native layer whose signatures verify anything fails the Ed25519 check', () => {
    const honest = createNodeNative();
    const r = rig({ native: { ...honest, ed25519Verify: () => true } });
    assert.deepEqual(failed(bootDevice(r.hal, { banner: 'x' })), ['Ed25519']);
  });

  it('a stuck random source (zeros, or the same bytes twice) fails the random check', () => {
    const honest = createNodeNative();
    assert.deepEqual(failed(bootDevice(rig({ native: { ...honest, randomBytes: (n: number) => new Uint8Array(n) } }).hal, { banner: 'x' })), ['random source']);
    const fixed = new Uint8Array(32).fill(7);
    const repeat = { ...honest, randomBytes: (n: number) => new Uint8Array(fixed.subarray(0, n)) };
    const report = bootDevice(rig({ native: repeat }).hal, { banner: 'x' });
    assert.deepEqual(failed(report), ['random source']);
    assert.equal(report.checks.find((c) => c.name === 'random source')!.detail, 'repeats itself');
  });

  it('a missing card fails the SD check with what to do, and the application is not started', () => {
    const r = rig({ unmounted: true });
    registerApplication({ name: 'messenger', start: () => assert.fail('must not start without a card') });
    const report = bootDevice(r.hal, { banner: 'x' });
    assert.deepEqual(failed(report), ['SD card']);
    assert.match(report.checks.find((c) => c.name === 'SD card')!.detail, /insert a FAT32 microSD/);
  });

  it('a failing display is reported, and the boot still completes', () => {
    const r = rig({ failingDisplay: true });
    const report = bootDevice(r.hal, { banner: 'x' });
    assert.deepEqual(failed(report), ['display']);
    assert.ok(r.log.records.some((x) => x.event === 'boot.check' && x.fields.name === 'display' && x.fields.ok === false));
  });

  it('a second application registration is refused with a typed error', () => {
    registerApplication({ name: 'a', start: () => undefined });
    assert.throws(() => registerApplication({ name: 'b', start: () => undefined }), (e: unknown) =>
      e instanceof ApplicationError && e.code === 'already-registered');
  });

  it('the self-test vectors hold on the desktop backends too (they are the vectors, not the adapter)', () => {
    for (const c of [createNodeCrypto(createNodeRandom()), createPortableCrypto(createNodeRandom())]) {
      assert.deepEqual(runCryptoSelfTest(c).filter((x) => !x.ok), [], c.name);
    }
  });
});
