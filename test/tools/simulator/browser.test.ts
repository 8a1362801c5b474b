/**
 * The simulator page in a real browser (Debian's Chromium driven by playwright-core): the same
 * scenario as headless.test.ts, but every key, every typed character and the camera button go
 * through the page (clicks and typing, POSTed back to the server), and the page must show each
 * device's current frame. The test reads state from the devices' models (exact, and not subject
 * to OCR), never writes to them. A screenshot of the page at each step is kept under
 * test-artifacts/browser/ (git-ignored).
 *
 * Without Chromium the test is skipped with the line that installs it; it never passes silently.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { LockScreen } from '../../../firmware/ui/lock-screen';
import { NewContactScreen } from '../../../firmware/ui/new-contact-screen';
import type { Screen } from '../../../firmware/ui/screen';
import { decodeQr } from '../../../hal/node/qr';
import { FULL_LINK } from '../../firmware/ui/real-links';
import { qrRgba, toPng } from './qr-image';
import type { SimDevice } from '../../../tools/simulator/device';
import { serve, type SimServer } from '../../../tools/simulator/server';
import { Simulation } from '../../../tools/simulator/simulation';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts', 'browser');

async function until(cond: () => boolean | Promise<boolean>, what: string | (() => string), ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + (typeof what === 'string' ? what : what()));
    await new Promise((r) => setTimeout(r, 25));
  }
}

function top<T extends Screen>(d: SimDevice, kind: new (...args: never[]) => T): T {
  const s = d.app.ui.top();
  if (!(s instanceof kind)) throw new Error(d.name + ': top screen is ' + (s === null ? 'none' : s.constructor.name) + ', not ' + kind.name);
  return s;
}

function isTop(d: SimDevice, kind: new (...args: never[]) => Screen): boolean {
  return d.app.ui.top() instanceof kind;
}

/** The device's panel as the page should show it: the PNG the server streams, as a data URL. */
function frameUrl(d: SimDevice): string {
  return 'data:image/png;base64,' + Buffer.from(d.display.toPng()).toString('base64');
}

describe('tools/simulator page in Chromium', function () {
  this.timeout(60000);
  let sim: Simulation | null = null;
  let server: SimServer | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let step = 0;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log('    Chromium is not installed (' + CHROMIUM + '); install it with:\n      sudo apt-get install -y chromium');
      this.skip();
    }
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    sim = await Simulation.start({ devices: 2, routers: { kind: 'local' }, storeDir: null, fastPin: true });
    server = await serve(sim, 0);
    // --no-sandbox: CI containers run as root, where Chromium refuses its sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 20000 });
    page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
    page.setDefaultTimeout(10000);
    await page.goto(server.url);
  });

  after(async () => {
    if (browser !== null) await browser.close();
    if (server !== null) await server.close();
    if (sim !== null) {
      const root = sim.root;
      await sim.stop();
      assert.equal(existsSync(root), false, 'the temp store is removed');
    }
  });

  /** The device's box on the page: its keys, text field and camera buttons. */
  const box = (d: SimDevice) => page.locator('div.dev', { has: page.locator('h3', { hasText: d.name }) });

  async function click(d: SimDevice, label: string): Promise<void> {
    await box(d).getByRole('button', { name: label, exact: true }).click();
  }

  /** Types into the device's text field and sends it with Enter (one key per character). */
  async function type(d: SimDevice, text: string): Promise<void> {
    const field = box(d).locator('input');
    await field.fill(text);
    await field.press('Enter');
  }

  /**
   * Waits until the page shows both devices' current panels (the exact PNG the device would
   * stream now), then saves a screenshot named for the step.
   */
  async function snap(name: string): Promise<void> {
    const s = sim as Simulation;
    await until(async () => {
      for (const d of s.devices) {
        if ((await page.locator('#s-' + d.name).getAttribute('src')) !== frameUrl(d)) return false;
      }
      return true;
    }, 'the page to show the current frames before "' + name + '"', 5000);
    step++;
    await page.screenshot({ path: path.join(ARTIFACTS, String(step).padStart(2, '0') + '-' + name + '.png') });
  }

  async function setPin(d: SimDevice, pin: string): Promise<void> {
    // Each entry is checked to have arrived whole before Enter, so a lost or late key fails here.
    for (let i = 0; i < 2; i++) {
      await type(d, pin);
      await until(() => top(d, LockScreen).input.value === pin, () => d.name + "'s PIN typed on the page (" + top(d, LockScreen).input.value.length + ' of ' + pin.length + ' digits)');
      await click(d, 'Enter');
      if (i === 0) await until(() => isTop(d, ContactsScreen) || top(d, LockScreen).input.value === '', d.name + ' asked to repeat the PIN');
    }
    await until(() => isTop(d, ContactsScreen), d.name + ' unlocked');
  }

  async function sendMessage(d: SimDevice, text: string): Promise<void> {
    await type(d, text);
    await until(() => top(d, ChatScreen).input.value === text, () => d.name + "'s message typed on the page (it has " + JSON.stringify(top(d, ChatScreen).input.value) + ')');
    await click(d, 'Enter');
  }

  it('pairs Alice and Bob by QR and they chat, driven through the page', async () => {
    const s = sim as Simulation;
    const alice = s.device('Alice');
    const bob = s.device('Bob');
    await snap('page-loaded');
    assert.ok(isTop(alice, LockScreen) && isTop(bob, LockScreen), 'both start on the PIN screen');

    await setPin(alice, '1357');
    await setPin(bob, '2468');
    await snap('both-unlocked');

    // Alice: new contact -> show the invitation; the QR code fills her panel.
    await type(alice, 'n');
    await until(() => isTop(alice, NewContactScreen), 'Alice on "New contact"');
    await click(alice, 'Enter');
    await until(() => top(alice, NewContactScreen).mode === 'qr', 'Alice shows the QR code');
    await until(() => decodeQr(alice.display.grayFrame()) !== null, 'the QR code is on her panel');
    assert.match(decodeQr(alice.display.grayFrame()) as string, /^simplex:\/invitation#/);
    await snap('alice-shows-qr');

    // Bob: camera on Alice's screen (the page's button), new contact -> scan.
    await click(bob, "camera: Alice's screen");
    await type(bob, 'n');
    await until(() => isTop(bob, NewContactScreen), 'Bob on "New contact"');
    await click(bob, 'Down');
    await until(() => top(bob, NewContactScreen).list.selected === 1, 'Bob on "Scan a QR code"');
    await click(bob, 'Enter');
    await until(() => isTop(bob, ChatScreen), 'Bob scanned, joined and opened the chat', 20000);
    const bobChat = top(bob, ChatScreen).contactId;
    const aliceContact = alice.app.model.contactsPage(0, 1)[0].id;
    await until(
      () => alice.app.model.contact(aliceContact)?.state === 'ready' && bob.app.model.contact(bobChat)?.state === 'ready',
      'both connected',
      20000,
    );
    assert.equal(bob.app.model.contact(bobChat)?.name, 'Alice');
    assert.equal(alice.app.model.contact(aliceContact)?.name, 'Bob');
    assert.equal(alice.app.model.securityCode(aliceContact), bob.app.model.securityCode(bobChat));
    await snap('connected');

    await sendMessage(bob, 'Hi Alice, Bob here');
    await until(() => bob.app.model.messagesBefore(bobChat, -1, 1)[0]?.delivery === 'delivered', "Bob's message delivered");
    await snap('bob-message-delivered');

    // Alice leaves the QR code; the list comes back with Bob selected, so Enter opens his chat.
    await click(alice, 'Escape');
    await until(() => isTop(alice, ContactsScreen), 'Alice back on the contacts');
    await click(alice, 'Enter');
    await until(() => isTop(alice, ChatScreen), 'Alice opened the chat');
    assert.equal(top(alice, ChatScreen).contactId, aliceContact);
    assert.deepEqual(
      alice.app.model.messagesBefore(aliceContact, -1, 5).map((m) => [m.text, m.outgoing]),
      [['Hi Alice, Bob here', false]],
    );
    await snap('alice-reads');

    await sendMessage(alice, 'Hello Bob!');
    await until(() => alice.app.model.messagesBefore(aliceContact, -1, 1)[0]?.delivery === 'delivered', "Alice's message delivered");
    assert.deepEqual(
      bob.app.model.messagesBefore(bobChat, -1, 5).map((m) => [m.text, m.outgoing, m.delivery]),
      [['Hi Alice, Bob here', true, 'delivered'], ['Hello Bob!', false, 'received']],
    );
    // Nothing the page sent was refused by a device.
    assert.equal(alice.input.rejected + bob.input.rejected, 0);
    await snap('both-delivered');
  });

  it('points a camera at an image file through "camera: image file…", scaled down to fit', async () => {
    const bob = (sim as Simulation).device('Bob');
    // 1600x1000 is over the 1280x960 the page may send: it must scale the picture (to 1280x800).
    const png = toPng(qrRgba(FULL_LINK, 1600, 1000, 5, 500, 200));
    const chooser = page.waitForEvent('filechooser');
    await click(bob, 'camera: image file…');
    await (await chooser).setFiles({ name: 'invitation.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await until(() => {
      const f = bob.camera.capture();
      return f !== null && f.width === 1280 && f.height === 800;
    }, "the picture on Bob's camera");
    assert.equal(decodeQr(bob.camera.capture() as NonNullable<ReturnType<SimDevice['camera']['capture']>>), FULL_LINK);
    await until(async () => (await page.locator('#c-Bob').textContent()) === 'camera: invitation.png (1280x800)', 'the page to say what Bob\'s camera sees');
    await snap('bob-camera-on-image-file');
    await click(bob, 'camera off');
    await until(() => bob.camera.capture() === null, "Bob's camera off");
  });
});
