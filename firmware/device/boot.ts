/**
 * The boot path shared by every board: show that the device is alive, run the power-on
 * self-test over the HAL (crypto known answers through the native layer, the random source,
 * the SD card, the display), report it on screen and in the log, and hand the device to the
 * registered application when everything it depends on works.
 *
 * The application is not started when a crypto check or the random source fails (it would
 * talk to the network with broken cryptography) or when the card is missing (it could not keep
 * keys); the screen then says what is wrong and what to do.
 */
import type { Hal } from '../../hal/index';
import { StorageError } from '../../hal/storage';
import { registeredApplication } from './application';
import { checkRandom, runCryptoSelfTest } from './self-test';
import type { CheckResult } from './self-test';

export interface BootReport {
  /** Every check in the order run: crypto known answers, random source, storage, display. */
  readonly checks: CheckResult[];
  /** True when every check passed. */
  readonly ok: boolean;
  /** The application started, or null (none registered, or a check failed). */
  readonly started: string | null;
  /** Milliseconds the self-test took. */
  readonly selfTestMs: number;
}

export interface BootOptions {
  /** One line for the boot screen and log: image, board and versions. */
  readonly banner: string;
  /** Checks the platform ran before the HAL existed (the native layer's API version). */
  readonly platformChecks?: CheckResult[];
}

const WHITE = 0xffff;
const BLACK = 0x0000;
const GREEN = 0x07e0;
const RED = 0xf800;

function checkStorage(hal: Hal): CheckResult {
  const name = 'SD card';
  try {
    hal.storage.listDir('');
    return { name, ok: true, detail: '' };
  } catch (e) {
    if (e instanceof StorageError && e.code === 'not-mounted') {
      return { name, ok: false, detail: 'no card: insert a FAT32 microSD card and restart' };
    }
    return { name, ok: false, detail: e instanceof Error ? e.message : 'unreadable' };
  }
}

/** A line-at-a-time text screen that never throws: a broken display must not stop the boot. */
interface Screen {
  line(text: string, color: number): void;
  failed(): string;
}

function openScreen(hal: Hal, banner: string): Screen {
  const d = hal.display;
  let y = 4;
  let error = '';
  let h = 8;
  const draw = (text: string, color: number): void => {
    if (error !== '') return;
    try {
      d.drawString(text, 4, y, 'small', color, BLACK);
      y += h + 2;
      if (y + h > d.height) y = 4;
      d.flip();
    } catch (e) {
      error = e instanceof Error ? e.message : 'display failure';
    }
  };
  try {
    d.setBacklight(1);
    d.fillRect(0, 0, d.width, d.height, BLACK);
    h = d.fontHeight('small');
  } catch (e) {
    error = e instanceof Error ? e.message : 'display failure';
  }
  draw(banner, WHITE);
  return { line: draw, failed: () => error };
}

export function bootDevice(hal: Hal, options: BootOptions): BootReport {
  const screen = openScreen(hal, options.banner);
  hal.log.write('info', 'boot.start', { banner: options.banner });
  const t0 = hal.clock.monotonic();

  const checks: CheckResult[] = [];
  const platform = options.platformChecks ?? [];
  for (let i = 0; i < platform.length; i++) checks.push(platform[i]);
  const crypto = runCryptoSelfTest(hal.crypto);
  for (let i = 0; i < crypto.length; i++) checks.push(crypto[i]);
  checks.push(checkRandom(hal.random));
  checks.push(checkStorage(hal));
  const displayError = screen.failed();
  checks.push({ name: 'display', ok: displayError === '', detail: displayError });
  const selfTestMs = Math.round(hal.clock.monotonic() - t0);

  let ok = true;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i];
    if (!c.ok) ok = false;
    screen.line((c.ok ? 'ok   ' : 'FAIL ') + c.name + (c.detail ? ': ' + c.detail : ''), c.ok ? GREEN : RED);
    hal.log.write(c.ok ? 'info' : 'error', 'boot.check', { name: c.name, ok: c.ok, detail: c.detail });
  }
  hal.log.write(ok ? 'info' : 'error', 'boot.selftest', { ok, ms: selfTestMs });

  const app = registeredApplication();
  let started: string | null = null;
  if (!ok) {
    screen.line('Self-test failed: the application was not started.', RED);
  } else if (app === null) {
    screen.line('Self-test passed. No application is installed in this image.', WHITE);
  } else {
    started = app.name;
    hal.log.write('info', 'boot.app', { name: app.name });
  }
  const report: BootReport = { checks, ok, started, selfTestMs };
  if (app !== null && started !== null) app.start(hal, report);
  return report;
}
