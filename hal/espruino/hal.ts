/**
 * Composes the device HAL for an Espruino board from its descriptor (board.ts) and what the
 * image's loader handed over (builtins.ts). The order matters on the T-Deck family: peripheral
 * power first, every other chip-select on the shared bus high, then panel, card and buses.
 *
 * Split in two because the display must work even when the native layer does not: the boot
 * path then still tells the user, on screen, which firmware is missing.
 */
import type { Hal } from '../index';
import type { NativeApi } from '../native-api';
import type { Display } from '../display';
import type { Log } from '../log';
import { StorageError } from '../storage';
import type { Storage } from '../storage';
import type { EspruinoBoard } from './board';
import type { EspruinoBuiltins } from './builtins';
import { createEspruinoCamera } from './camera';
import { createEspruinoClock } from './clock';
import type { EspruinoClock } from './clock';
import { createEspruinoCrypto } from './crypto';
import { createEspruinoDisplay, initSt7789 } from './display';
import { createEspruinoInput } from './input';
import { createEspruinoLog } from './log';
import { createEspruinoNet } from './net';
import { createEspruinoNotifier } from './notifier';
import { createEspruinoPower } from './power';
import { createEspruinoQrScanner } from './qr';
import { createEspruinoRandom } from './random';
import { createSpiBus } from './spi-bus';
import type { SpiBus } from './spi-bus';
import { createEspruinoStorage } from './storage';
import { createEspruinoWifi } from './wifi';

/** The parts that need no native layer. */
export interface BoardBasics {
  readonly clock: EspruinoClock;
  readonly log: Log;
  readonly bus: SpiBus;
  /** Null when the firmware lacks the panel driver; `displayError` says why. */
  readonly display: Display | null;
  readonly displayError: string;
}

/** Busy-waits: only for the panel's start-up pauses, before anything else is running. */
function busyWait(ms: number): void {
  const end = getTime() + ms / 1000;
  while (getTime() < end) {
    // spin
  }
}

export function createBoardBasics(board: EspruinoBoard, builtins: EspruinoBuiltins): BoardBasics {
  if (board.powerOnPin >= 0) digitalWrite(board.powerOnPin, 1);
  for (let i = 0; i < board.idleChipSelects.length; i++) digitalWrite(board.idleChipSelects[i], 1);
  if (board.sd !== null) digitalWrite(board.sd.cs, 1);
  digitalWrite(board.panel.cs, 1);

  const clock = createEspruinoClock({ setTimeout: builtins.setTimeout, clearTimeout: builtins.clearTimeout }, getTime);
  const log = createEspruinoLog(builtins.print, () => clock.monotonic(), 'info');
  const bus = createSpiBus(SPI1, board.spi, {
    panel: board.panel.baud,
    sd: board.sd !== null ? board.sd.baud : board.panel.baud,
    sdMount: board.sd !== null ? board.sd.mountBaud : board.panel.baud,
  });

  let display: Display | null = null;
  let displayError = '';
  const lcd = builtins.lcd;
  if (lcd === null) {
    displayError = 'the firmware has no lcd_spi_unbuf driver';
  } else {
    try {
      const panel = board.panel;
      const g = bus.use('panel', () =>
        lcd.connect(SPI1, { cs: panel.cs, dc: panel.dc, width: panel.width, height: panel.height, colstart: panel.colstart, rowstart: panel.rowstart }),
      );
      initSt7789(SPI1, bus, panel, busyWait);
      display = createEspruinoDisplay(g, bus, panel, board.backlight);
    } catch (e) {
      displayError = 'panel start-up failed: ' + (e instanceof Error ? e.message : 'unknown error');
    }
  }
  return { clock, log, bus, display, displayError };
}

/** Wraps every Storage call in the shared bus; the first successful call marks the card mounted. */
function onBus(storage: Storage, bus: SpiBus): Storage {
  function run<T>(fn: () => T): T {
    const out = bus.use('sd', fn);
    bus.sdMounted();
    return out;
  }
  return {
    readFile: (p) => run(() => storage.readFile(p)),
    writeFileAtomic: (p, d) => run(() => storage.writeFileAtomic(p, d)),
    appendFile: (p, d) => run(() => storage.appendFile(p, d)),
    truncateFile: (p, n) => run(() => storage.truncateFile(p, n)),
    deleteFile: (p) => run(() => storage.deleteFile(p)),
    fileSize: (p) => run(() => storage.fileSize(p)),
    listDir: (d) => run(() => storage.listDir(d)),
    makeDir: (d) => run(() => storage.makeDir(d)),
  };
}

/** A Storage for boards or firmware without a card: every call reports 'not-mounted'. */
function noCard(reason: string): Storage {
  const fail = (): never => {
    throw new StorageError('not-mounted', reason);
  };
  return {
    readFile: fail,
    writeFileAtomic: fail,
    appendFile: fail,
    truncateFile: fail,
    deleteFile: fail,
    fileSize: fail,
    listDir: fail,
    makeDir: fail,
  };
}

export function createEspruinoHal(board: EspruinoBoard, builtins: EspruinoBuiltins, native: NativeApi, basics: BoardBasics): Hal {
  if (basics.display === null) throw new Error('no display: ' + basics.displayError);
  const display = basics.display;
  const later = (fn: () => void): void => {
    builtins.setTimeout(fn, 0);
  };
  const random = createEspruinoRandom(native);

  let storage: Storage;
  if (board.sd === null) {
    storage = noCard('this board has no SD card slot');
  } else if (builtins.fs === null) {
    storage = noCard('the firmware was built without the FILESYSTEM library');
  } else {
    const sd = board.sd;
    basics.bus.use('sd', () => E.connectSDCard(SPI1, sd.cs));
    storage = onBus(createEspruinoStorage(builtins.fs, E), basics.bus);
  }

  let i2c: EspruinoI2c | null = null;
  if (board.i2c !== null) {
    I2C1.setup({ sda: board.i2c.sda, scl: board.i2c.scl, bitrate: board.i2c.bitrate });
    i2c = I2C1;
  }

  let backlightLevel = 1;
  const wake = (): void => display.setBacklight(backlightLevel);
  const trackedDisplay: Display = {
    width: display.width,
    height: display.height,
    fillRect: (x, y, w, h, c) => display.fillRect(x, y, w, h, c),
    drawString: (t, x, y, f, c, bg) => display.drawString(t, x, y, f, c, bg),
    stringWidth: (t, f) => display.stringWidth(t, f),
    fontHeight: (f) => display.fontHeight(f),
    drawImage: (img, x, y, s, c, bg) => display.drawImage(img, x, y, s, c, bg),
    flip: () => display.flip(),
    setBacklight(level: number): void {
      // Remembered so that the notifier can wake the screen to the user's level.
      if (level > 0) backlightLevel = level;
      display.setBacklight(level);
    },
  };

  return {
    clock: basics.clock,
    random,
    crypto: createEspruinoCrypto(native, random, { later }),
    net: createEspruinoNet(native, later),
    storage,
    display: trackedDisplay,
    input: createEspruinoInput(board.input, i2c, { setTimeout: builtins.setTimeout }),
    camera: createEspruinoCamera(native.camera),
    qr: createEspruinoQrScanner(native.camera),
    wifi: createEspruinoWifi(builtins.wifi),
    power: createEspruinoPower(board.power, i2c),
    notifier: createEspruinoNotifier(wake),
    log: basics.log,
  };
}
