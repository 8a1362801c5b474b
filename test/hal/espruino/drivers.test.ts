/**
 * The parts of the board drivers that are pure logic, checked against their data sheets and
 * protocol notes. What drives pins, SPI and I2C needs the device; everything those calls are
 * computed from is here.
 */
import assert from 'node:assert/strict';
import { createEspruinoClock } from '../../../hal/espruino/clock';
import { backlightPulses, drawableText, st7789InitSequence } from '../../../hal/espruino/display';
import { eventFromGesture, keyFromCode } from '../../../hal/espruino/input';
import { formatLine } from '../../../hal/espruino/log';
import { lipoPercent, sy6970BatteryMv, sy6970Charging } from '../../../hal/espruino/power';
import { createEspruinoQrScanner } from '../../../hal/espruino/qr';
import { createEspruinoRandom } from '../../../hal/espruino/random';
import { createSpiBus } from '../../../hal/espruino/spi-bus';
import { wifiErrorOf } from '../../../hal/espruino/wifi';
import { CryptoError } from '../../../hal/crypto';
import type { NativeCamera } from '../../../hal/native-api';
import { tCameraPlusS3 } from '../../../boards/t-camera-plus-s3';
import { tDeckPlus } from '../../../boards/t-deck-plus';
import { createNodeNative } from '../native/node-native';

describe('hal/espruino drivers: pure logic', () => {
  it('ST7789 power-on: reset, wake, RGB565, the board MADCTL, inversion, display on, with datasheet pauses', () => {
    const seq = st7789InitSequence(tDeckPlus.panel);
    assert.deepEqual(seq.map((s) => s.command), [0x01, 0x11, 0x3a, 0x36, 0x21, 0x13, 0x29]);
    assert.deepEqual(seq[2].data, [0x55]);
    assert.deepEqual(seq[3].data, [tDeckPlus.panel.madctl]);
    assert.ok(seq[0].waitMs >= 120 && seq[1].waitMs >= 5, 'SWRESET and SLPOUT pauses');
    const noInvert = st7789InitSequence({ ...tDeckPlus.panel, invert: false });
    assert.equal(noInvert[4].command, 0x20);
  });

  it('backlight pulse trains: shutdown, then one short low pulse per step below 16', () => {
    assert.deepEqual(backlightPulses(0), []);
    assert.deepEqual(backlightPulses(16), [3]);
    const t = backlightPulses(13);
    assert.equal(t[0], 3, 'low past the 2.5 ms shutdown time');
    assert.equal(t.length, 1 + 2 * 3, 'three steps down from full');
    for (let i = 1; i < t.length; i++) assert.ok(t[i] > 0 && t[i] < 0.5, 'pulses stay far below the shutdown time');
  });

  it('text: printable ASCII passes unchanged, anything else is drawn as ?', () => {
    assert.equal(drawableText('Hello, world!'), 'Hello, world!');
    assert.equal(drawableText('caf\u00e9 \u20ac\n'), 'caf? ??');
  });

  it('T-Deck keyboard codes and CST816 gestures become interface events', () => {
    assert.equal(keyFromCode(0x61), 'a');
    assert.equal(keyFromCode(0x41), 'A');
    assert.equal(keyFromCode(0x20), ' ');
    assert.equal(keyFromCode(0x0d), 'Enter');
    assert.equal(keyFromCode(0x08), 'Backspace');
    assert.equal(keyFromCode(0x1b), 'Escape');
    assert.equal(keyFromCode(0x00), null);
    assert.equal(keyFromCode(0xff), null);
    assert.deepEqual(eventFromGesture(0x01), { type: 'move', key: '', dx: 0, dy: -1 });
    assert.deepEqual(eventFromGesture(0x04), { type: 'move', key: '', dx: 1, dy: 0 });
    assert.deepEqual(eventFromGesture(0x05), { type: 'press', key: '', dx: 0, dy: 0 });
    assert.equal(eventFromGesture(0x0c), null);
  });

  it('battery: LiPo curve, implausible voltages are unknown, SY6970 registers', () => {
    assert.equal(lipoPercent(4200), 100);
    assert.equal(lipoPercent(4300), 100);
    assert.equal(lipoPercent(3300), 0);
    assert.equal(lipoPercent(3800), 50);
    assert.equal(lipoPercent(3850), 58);
    assert.equal(lipoPercent(1000), -1, 'no battery: never a made-up number');
    assert.equal(lipoPercent(NaN), -1);
    assert.equal(sy6970BatteryMv(0x00), 2304);
    assert.equal(sy6970BatteryMv(0x80 | 0x5d), 2304 + 93 * 20, 'bit 7 is the thermal flag, not voltage');
    assert.equal(sy6970Charging(0b00001000), true);
    assert.equal(sy6970Charging(0b00010000), true);
    assert.equal(sy6970Charging(0b00011000), false, 'charge done');
    assert.equal(sy6970Charging(0), false);
  });

  it('Wi-Fi failure reasons map to the interface codes; nothing echoes a password', () => {
    assert.equal(wifiErrorOf('AUTH_FAIL').code, 'auth');
    assert.equal(wifiErrorOf('4WAY_HANDSHAKE_TIMEOUT').code, 'auth');
    assert.equal(wifiErrorOf('NO_AP_FOUND').code, 'not-found');
    assert.equal(wifiErrorOf('BEACON_TIMEOUT').code, 'timeout');
    assert.equal(wifiErrorOf('UNSPECIFIED').code, 'io');
  });

  it('log lines carry uptime, level, event and JSON fields', () => {
    assert.equal(formatLine(1234, 'info', 'boot.check', { name: 'SHA-256', ok: true }), '1.234 info boot.check name="SHA-256" ok=true');
  });

  it('the shared SPI bus reconfigures only when its user changes, and restores the outer user after a nested call', () => {
    const setups: number[] = [];
    const spi = { setup: (o: { baud?: number }) => setups.push(o.baud ?? 0), write: () => undefined } as unknown as EspruinoSpi;
    const bus = createSpiBus(spi, { sck: 1, mosi: 2, miso: 3 }, { panel: 40000000, sd: 20000000, sdMount: 400000 });
    bus.use('panel', () => undefined);
    bus.use('panel', () => undefined);
    assert.deepEqual(setups, [40000000]);
    bus.use('sd', () => undefined);
    assert.deepEqual(setups, [40000000, 400000], 'slow clock until the card is mounted');
    bus.sdMounted();
    bus.use('sd', () => undefined);
    assert.deepEqual(setups.slice(2), [20000000]);
    setups.length = 0;
    const inner = bus.use('panel', () => bus.use('sd', () => 7));
    assert.equal(inner, 7);
    assert.deepEqual(setups, [40000000, 20000000, 40000000], 'the panel gets its clock back');
    setups.length = 0;
    assert.throws(() => bus.use('sd', () => {
      throw new Error('card error');
    }), /card error/);
    bus.use('sd', () => undefined);
    assert.deepEqual(setups, [20000000]);
  });

  it('the clock is monotonic across a backwards system-time jump, and wall time is an offset', async () => {
    let t = 1000;
    const clock = createEspruinoClock({ setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number, clearTimeout: (id) => clearTimeout(id) }, () => t);
    assert.equal(clock.monotonic(), 0);
    t = 1002.5;
    assert.equal(clock.monotonic(), 2500);
    t = 1001;
    assert.equal(clock.monotonic(), 2500, 'never backwards');
    assert.equal(clock.wallClockSet(), false);
    clock.setWallClock(1700000000000);
    assert.equal(clock.now(), 1700000000000);
    t = 1003.5;
    assert.equal(clock.now(), 1700000000000 + 1000);
    let fired = 0;
    const handle = clock.setTimer(() => fired++, 5);
    clock.cancelTimer(handle);
    clock.cancelTimer(handle);
    clock.setTimer(() => fired++, 0);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(fired, 1);
  });

  it('Random refuses impossible counts and a native source returning the wrong length', () => {
    const r = createEspruinoRandom(createNodeNative());
    assert.equal(r.bytes(16).length, 16);
    assert.throws(() => r.bytes(-1), CryptoError);
    assert.throws(() => r.bytes(65537), CryptoError);
    const short = createEspruinoRandom({ ...createNodeNative(), randomBytes: (n: number) => new Uint8Array(n - 1) });
    assert.throws(() => short.bytes(8), (e: unknown) => e instanceof CryptoError && e.code === 'bad-length');
  });

  it('QrScanner: UTF-8 payloads as text, each distinct code once, bad bytes skipped, camera failure stops it', () => {
    let onCode: ((p: Uint8Array) => void) | null = null;
    let onError: ((m: string) => void) | null = null;
    let stops = 0;
    const camera: NativeCamera = {
      previewWidth: 80,
      previewHeight: 60,
      start: () => undefined,
      stop: () => undefined,
      scanStart: (c, e) => {
        onCode = c;
        onError = e;
      },
      scanStop: () => stops++,
      decode: () => null,
    };
    const qr = createEspruinoQrScanner(camera);
    assert.equal(qr.available, true);
    const texts: string[] = [];
    const errors: string[] = [];
    qr.start((t) => texts.push(t), (m) => errors.push(m));
    const link = 'simplex:/contact#/?v=2-7&smp=...';
    onCode!(new Uint8Array(Buffer.from(link)));
    onCode!(new Uint8Array(Buffer.from(link)));
    onCode!(new Uint8Array([0xc0, 0x80]));
    onCode!(new Uint8Array(Buffer.from('caf\u00e9')));
    assert.deepEqual(texts, [link, 'caf\u00e9']);
    onError!('sensor timeout');
    assert.deepEqual(errors, ['camera failure: sensor timeout']);
    onCode!(new Uint8Array(Buffer.from('after')));
    assert.equal(texts.length, 2, 'nothing after the failure');
    qr.stop();
    assert.equal(stops, 0, 'already stopped by the failure');
    const none = createEspruinoQrScanner(null);
    assert.equal(none.available, false);
    none.start(() => assert.fail('no result without a camera'), (m) => errors.push(m));
    assert.match(errors[1], /no camera/);
  });

  it('board descriptors: pins within the ESP32-S3 GPIO range, no pin used twice, camera only where declared', () => {
    for (const b of [tDeckPlus, tCameraPlusS3]) {
      const pins: number[] = [b.spi.sck, b.spi.mosi, b.spi.miso, b.panel.cs, b.panel.dc, b.backlight.pin];
      if (b.sd) pins.push(b.sd.cs);
      if (b.i2c) pins.push(b.i2c.sda, b.i2c.scl);
      if (b.powerOnPin >= 0) pins.push(b.powerOnPin);
      for (const p of b.idleChipSelects) pins.push(p);
      if (b.input.driver === 'tdeck-keyboard') {
        const t = b.input.trackball;
        pins.push(t.up, t.down, t.left, t.right, t.press, b.input.interruptPin);
      } else {
        for (const btn of b.input.buttons) pins.push(btn.pin);
        if (b.input.touch) pins.push(b.input.touch.interruptPin);
      }
      if (b.power.driver === 'adc-divider') pins.push(b.power.pin);
      for (const p of pins) assert.ok(p >= 0 && p <= 48, b.name + ': GPIO ' + p + ' exists on the ESP32-S3');
      assert.equal(new Set(pins).size, pins.length, b.name + ': a pin is used twice');
      assert.equal(b.backend, 'espruino');
      assert.ok(b.psram);
    }
    assert.equal(tDeckPlus.camera, false);
    assert.equal(tCameraPlusS3.camera, true);
    assert.equal(tDeckPlus.display.width, 320);
  });
});
