import assert from 'node:assert/strict';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { looksLikeLink, NewContactScreen } from '../../../firmware/ui/new-contact-screen';
import { drawQr, encodeQr } from '../../../firmware/ui/qr';
import { FramebufferDisplay } from '../../../hal/node/display';
import { decodeQr } from '../../../hal/node/qr';
import { WARN } from '../../../firmware/ui/theme';
import { Harness } from './harness';
import { FULL_LINK, FULL_LINK_ONION, PQ_LINK, SHORT_LINK_PRESET } from './real-links';

/** Unlocked, on the new-contact menu. */
function onMenu(camera: boolean = true): { h: Harness; s: NewContactScreen } {
  const h = new Harness(camera);
  h.startUnlocked();
  h.key('n');
  return { h, s: h.top(NewContactScreen) };
}

/** Alice's device showing its invitation QR code for `qrText`. */
async function showing(qrText: string, linkText: string = qrText): Promise<Harness> {
  const { h, s } = onMenu();
  h.model.invitationQrText = qrText;
  h.model.invitationLinkText = linkText;
  h.key('Enter');
  await h.settle();
  assert.equal(s.mode, 'qr');
  return h;
}

describe('firmware/ui/new-contact-screen', () => {
  it('shows progress while the invitation is made, then the QR code on the whole panel', async () => {
    const { h, s } = onMenu();
    h.model.hold = true;
    h.display.clear();
    h.key('Enter');
    assert.equal(s.mode, 'creating');
    assert.ok(h.display.drew('Creating invitation'));
    const op = h.model.take('createInvitation');
    op.progress({ step: 3, steps: 3, label: 'Generating keys' });
    h.display.clear();
    h.frame();
    assert.ok(h.display.drew('Generating keys'));
    assert.ok(h.display.drew('Step 3 of 3'));
    op.resolve();
    h.display.clear();
    await h.settle();
    assert.equal(s.mode, 'qr');
    assert.equal(s.chrome(), 'none');
    const image = h.display.ops.find((o) => o.op === 'drawImage');
    assert.ok(image !== undefined);
    assert.deepEqual([image.w, image.h], [185, 185], 'version 5 at 5 px per module');
    assert.ok(!h.display.drew('Chats'), 'no title bar over the code');
    assert.equal(decodeQr(h.display.fb.grayFrame()), h.model.invitationQrText);
    assert.equal(h.model.contactCount(), 1, 'the pending contact exists');
  });

  it('shows the link as text too, and goes back to the code', async () => {
    const h = await showing(SHORT_LINK_PRESET, FULL_LINK);
    const s = h.top(NewContactScreen);
    h.display.clear();
    h.key('Enter');
    assert.equal(s.mode, 'text');
    const lines = h.display.ops.filter((o) => o.op === 'drawString' && o.font === 'small' && o.y >= 29 && o.y < 220).map((o) => o.text);
    assert.equal(lines.join(''), FULL_LINK, 'the whole link, wrapped');
    h.key('Enter');
    assert.equal(s.mode, 'qr');
    h.key('Escape');
    h.top(ContactsScreen);
  });

  it('falls back to text when the link is too long for a QR code on this screen', async () => {
    const { h, s } = onMenu();
    h.model.invitationQrText = PQ_LINK;
    h.model.invitationLinkText = PQ_LINK;
    h.display.clear();
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'text');
    assert.ok(h.display.drew('too long for a QR code'));
    assert.ok(!h.display.ops.some((o) => o.op === 'drawImage'));
    for (let i = 0; i < 10; i++) h.key('Down');
    h.display.clear();
    h.key('Down');
    const shown = h.display.ops.filter((o) => o.op === 'drawString' && o.font === 'small' && o.y >= 29 && o.y < 220 && o.color !== WARN).map((o) => o.text).join('');
    const at = PQ_LINK.indexOf(shown);
    assert.ok(shown.length > 500 && at > 500, 'scrolled 11 lines into the link: at ' + at);
  });

  for (const [name, link] of [['a short link', SHORT_LINK_PRESET], ['a full link without the PQ key', FULL_LINK], ['a full link with an onion host', FULL_LINK_ONION]]) {
    it("Bob's camera reads Alice's screen and joins her invitation: " + name, async () => {
      const alice = await showing(link);
      const bob = onMenu();
      bob.h.camera.setSource({ kind: 'display', display: alice.display.fb, zoom: 1 });
      bob.h.key('Down');
      bob.h.key('Enter');
      assert.equal(bob.s.mode, 'scan');
      assert.ok(bob.h.display.drew('Point the camera at your'));
      bob.h.clock.advance(1000);
      await bob.h.settle();
      assert.ok(bob.h.model.calls.includes('joinLink'), bob.h.model.calls.join(','));
      const chat = bob.h.top(ChatScreen);
      assert.equal(bob.h.model.find(chat.contactId)!.state, 'connecting');
      assert.equal(bob.h.camera.running(), false, 'the camera is off again');
    });
  }

  it('keeps scanning past a QR code that is not a SimpleX link', async () => {
    const { h, s } = onMenu();
    const other = new FramebufferDisplay();
    drawQr(other, encodeQr('WIFI:S:cafe;T:WPA;P:secret;;'), { x: 0, y: 0, w: 240, h: 240 }, 2);
    other.flip();
    h.camera.setSource({ kind: 'display', display: other, zoom: 1 });
    h.key('Down');
    h.key('Enter');
    h.display.clear();
    h.clock.advance(1000);
    assert.equal(s.mode, 'scan');
    assert.equal(s.scanNote, 'That QR code is not a SimpleX link.');
    assert.ok(h.display.drew('not a SimpleX link'));
    assert.ok(h.camera.running());
    h.key('Escape');
    assert.equal(s.mode, 'menu');
    assert.equal(h.camera.running(), false);
  });

  it('joins a pasted link, and explains a damaged one without leaving the field', async () => {
    const { h, s } = onMenu();
    h.key('Down');
    h.key('Down');
    h.key('Enter');
    assert.equal(s.mode, 'type');
    h.type(FULL_LINK.substring(0, 200));
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'type');
    const box = h.ui.box();
    assert.ok(box !== null && box.title === 'Could not connect', String(box && box.title));
    assert.match(box.text, /link/);
    h.key('Enter');
    h.input.key('Backspace');
    s.input.setValue('');
    h.type(FULL_LINK);
    h.key('Enter');
    await h.settle();
    h.top(ChatScreen);
  });

  it('on a device without a camera offers no scanning and says why', () => {
    const { h, s } = onMenu(false);
    assert.ok(h.display.drew('This device has no camera'));
    h.key('Down');
    h.key('Enter');
    assert.equal(s.mode, 'menu');
    const box = h.ui.box();
    assert.ok(box !== null && box.title === 'No camera');
  });

  it('may be left while the invitation is being made; the late result is ignored', async () => {
    const { h, s } = onMenu();
    h.model.hold = true;
    h.key('Enter');
    h.key('Escape');
    h.top(ContactsScreen);
    h.model.take('createInvitation').resolve();
    await h.settle();
    h.top(ContactsScreen);
    assert.equal(s.mode, 'creating');
    assert.equal(h.model.contactCount(), 1, 'the pending contact shows in the list');
  });

  it('recognises the link forms SimpleX uses', () => {
    assert.equal(looksLikeLink(FULL_LINK), true);
    assert.equal(looksLikeLink(SHORT_LINK_PRESET), true);
    assert.equal(looksLikeLink('smp://abc@host'), false);
    assert.equal(looksLikeLink(''), false);
  });
});
