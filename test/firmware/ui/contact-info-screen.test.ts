import assert from 'node:assert/strict';
import { ContactInfoScreen, contactStateText } from '../../../firmware/ui/contact-info-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { drawQr, encodeQr } from '../../../firmware/ui/qr';
import { FramebufferDisplay } from '../../../hal/node/display';
import { Harness } from './harness';

function onInfo(state: 'ready' | 'connecting' = 'ready', camera: boolean = true): { h: Harness; id: string; s: ContactInfoScreen } {
  const h = new Harness(camera);
  const c = h.model.addContact('Alice', state, 2);
  h.startUnlocked();
  h.key('Down');
  h.key('i');
  return { h, id: c.id, s: h.top(ContactInfoScreen) };
}

/** Moves the menu to entry `index` and chooses it. */
function choose(h: Harness, s: ContactInfoScreen, index: number): void {
  while (s.list.selected < index) h.key('Down');
  while (s.list.selected > index) h.key('Up');
  h.key('Enter');
}

describe('firmware/ui/contact-info-screen', () => {
  it('shows the state and the security code', () => {
    const { h, s } = onInfo();
    assert.equal(s.title(), 'Alice');
    assert.ok(h.display.drew('Connected, not verified'));
    assert.ok(h.display.drew('Security code'));
    assert.ok(h.display.drew('12345 67890 13579 24680'));
  });

  it('marks the contact verified and back', () => {
    const { h, id, s } = onInfo();
    choose(h, s, 0);
    assert.ok(h.model.calls.includes('setVerified ' + id + ' true'));
    assert.ok(h.display.drew('Mark as not verified'));
    assert.ok(h.display.drew('Connected, verified'));
    choose(h, s, 0);
    assert.ok(h.model.calls.includes('setVerified ' + id + ' false'));
  });

  it('compares a typed code: a match verifies, a difference warns', () => {
    const { h, id, s } = onInfo();
    choose(h, s, 2);
    assert.equal(s.mode, 'type');
    h.type('12345 67890 13579 24680 11223 34455');
    h.key('Enter');
    assert.equal(s.mode, 'main');
    assert.equal(h.ui.box()!.title, 'Codes match');
    assert.equal(h.model.find(id)!.verified, true);
    h.key('Enter');
    h.model.find(id)!.verified = false;
    choose(h, s, 2);
    h.type('12345 67890 13579 24680 11223 34456');
    h.key('Enter');
    assert.equal(h.ui.box()!.title, 'Codes differ');
    assert.equal(h.model.find(id)!.verified, false);
  });

  it("scans the code from the contact's screen", () => {
    const { h, id, s } = onInfo();
    const theirs = new FramebufferDisplay();
    drawQr(theirs, encodeQr('12345 67890 13579 24680 11223 34455'), { x: 40, y: 0, w: 240, h: 240 }, 2);
    theirs.flip();
    h.camera.setSource({ kind: 'display', display: theirs, zoom: 1 });
    choose(h, s, 1);
    assert.equal(s.mode, 'scan');
    h.clock.advance(1000);
    assert.equal(s.mode, 'main');
    assert.equal(h.ui.box()!.title, 'Codes match');
    assert.equal(h.model.find(id)!.verified, true);
    assert.equal(h.camera.running(), false);
  });

  it('mutes and unmutes', () => {
    const { h, id, s } = onInfo();
    choose(h, s, 3);
    assert.ok(h.model.calls.includes('setMuted ' + id + ' true'));
    assert.ok(h.display.drew('Unmute notifications'));
    choose(h, s, 3);
    assert.ok(h.model.calls.includes('setMuted ' + id + ' false'));
  });

  it('deletes only after confirmation (the box starts on Cancel), with progress, then shows the list', async () => {
    const { h, id, s } = onInfo();
    choose(h, s, 4);
    assert.equal(h.ui.box()!.title, 'Delete contact?');
    h.key('Enter'); // Cancel
    assert.equal(h.ui.box(), null);
    assert.ok(!h.model.calls.some((c) => c.startsWith('deleteContact')));
    h.model.hold = true;
    h.key('Enter');
    h.key('Left');
    h.key('Enter');
    assert.equal(s.mode, 'deleting');
    assert.ok(h.display.drew('Deleting queues on the routers'));
    h.model.take('deleteContact').resolve();
    await h.settle();
    h.top(ContactsScreen);
    assert.equal(h.model.find(id), null);
    assert.equal(h.ui.depth(), 1);
  });

  it('before the connection is made, offers no code to compare', () => {
    const { h, s } = onInfo('connecting');
    assert.ok(h.display.drew('Shown once connected'));
    choose(h, s, 0);
    assert.ok(!h.model.calls.some((c) => c.startsWith('setVerified')));
    choose(h, s, 2);
    assert.equal(s.mode, 'main');
    assert.equal(contactStateText({ id: 'x', name: 'x', state: 'invited', unread: 0, lastText: '', lastTime: 0, lastDelivery: 'received', verified: false, muted: true }), 'Invitation not used yet, not verified, muted');
  });

  it('without a camera, explains instead of scanning', () => {
    const { h, s } = onInfo('ready', false);
    assert.ok(h.display.drew('This device has no camera'));
    choose(h, s, 1);
    assert.equal(s.mode, 'main');
    assert.equal(h.ui.box()!.title, 'No camera');
  });
});
