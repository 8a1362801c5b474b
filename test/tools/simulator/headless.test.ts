/**
 * The simulator run headless, as a person would use two devices: PINs typed on each keyboard,
 * Alice's invitation shown as a QR code, Bob's camera pointed at Alice's screen (jsQR over her
 * framebuffer), both chats reaching "ready", messages typed both ways, both marked delivered.
 * Everything is real: two in-process routers, encrypted stores in a temp dir, TLS, the agent,
 * private routing through the other router.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { NewContactScreen } from '../../../firmware/ui/new-contact-screen';
import type { Screen } from '../../../firmware/ui/screen';
import { decodeQr } from '../../../hal/node/qr';
import type { SimDevice } from '../../../tools/simulator/device';
import { Simulation } from '../../../tools/simulator/simulation';

async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
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

async function setPin(d: SimDevice, pin: string): Promise<void> {
  d.input.typeText(pin);
  d.input.key('Enter');
  d.input.typeText(pin);
  d.input.key('Enter');
  await until(() => isTop(d, ContactsScreen), d.name + ' unlocked');
}

describe('tools/simulator headless run', function () {
  this.timeout(45000);
  let sim: Simulation;

  before(async () => {
    sim = await Simulation.start({ devices: 2, routers: { kind: 'local' }, storeDir: null, fastPin: true });
  });
  after(async () => {
    const root = sim.root;
    await sim.stop();
    assert.equal(existsSync(root), false, 'the temp store is removed');
  });

  it('pairs Alice and Bob by QR through the camera, and they chat with delivery receipts', async () => {
    const alice = sim.device('Alice');
    const bob = sim.device('Bob');
    await setPin(alice, '1357');
    await setPin(bob, '2468');

    // Alice: new contact -> create the one-time invitation; its QR fills her screen.
    alice.input.key('n');
    top(alice, NewContactScreen);
    alice.input.key('Enter');
    await until(() => top(alice, NewContactScreen).mode === 'qr', 'Alice shows the QR code');
    await until(() => decodeQr(alice.display.grayFrame()) !== null, 'the QR code is on the panel');
    const shown = decodeQr(alice.display.grayFrame()) as string;
    assert.match(shown, /^simplex:\/invitation#/);

    // Bob: new contact -> scan, camera on Alice's screen.
    bob.lookAt(alice);
    bob.input.key('n');
    bob.input.key('Down');
    bob.input.key('Enter');
    await until(() => isTop(bob, ChatScreen), 'Bob joined and opened the chat', 20000);
    const bobChat = top(bob, ChatScreen);
    const aliceContactId = alice.app.model.contactsPage(0, 1)[0].id;
    await until(() => alice.app.model.contact(aliceContactId)?.state === 'ready' && bob.app.model.contact(bobChat.contactId)?.state === 'ready', 'both connected', 20000);
    assert.equal(bob.app.model.contact(bobChat.contactId)?.name, 'Alice');
    assert.equal(alice.app.model.contact(aliceContactId)?.name, 'Bob');
    assert.equal(alice.app.model.securityCode(aliceContactId), bob.app.model.securityCode(bobChat.contactId));

    // Bob types a message.
    bob.input.typeText('Hi Alice, Bob here');
    bob.input.key('Enter');
    await until(() => bob.app.model.messagesBefore(bobChat.contactId, -1, 1)[0]?.delivery === 'delivered', "Bob's message delivered");

    // Alice leaves the QR, opens the chat from the list, reads and answers.
    // Escape steps back out of the QR code and the new-contact menu.
    for (let i = 0; i < 3 && !isTop(alice, ContactsScreen); i++) alice.input.key('Escape');
    await until(() => isTop(alice, ContactsScreen), 'Alice back on the contacts');
    // The list comes back with the contact just added selected: Enter opens the chat.
    alice.input.key('Enter');
    await until(() => isTop(alice, ChatScreen), 'Alice opened the chat');
    const got = alice.app.model.messagesBefore(aliceContactId, -1, 5);
    assert.deepEqual(got.map((m) => [m.text, m.outgoing]), [['Hi Alice, Bob here', false]]);
    alice.input.typeText('Hello Bob!');
    alice.input.key('Enter');
    await until(() => alice.app.model.messagesBefore(aliceContactId, -1, 1)[0]?.delivery === 'delivered', "Alice's message delivered");
    const bobGot = bob.app.model.messagesBefore(bobChat.contactId, -1, 5);
    assert.deepEqual(bobGot.map((m) => [m.text, m.outgoing, m.delivery]), [['Hi Alice, Bob here', true, 'delivered'], ['Hello Bob!', false, 'received']]);
    assert.ok(alice.display.changes > 0 && bob.display.changes > 0);
  });
});
