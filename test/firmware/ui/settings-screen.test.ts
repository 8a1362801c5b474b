import assert from 'node:assert/strict';
import { ChangePinScreen } from '../../../firmware/ui/change-pin-screen';
import { LockScreen } from '../../../firmware/ui/lock-screen';
import { RoutersScreen } from '../../../firmware/ui/routers-screen';
import { nextPrivateRouting, privateRoutingText, SettingsScreen } from '../../../firmware/ui/settings-screen';
import { WifiScreen } from '../../../firmware/ui/wifi-screen';
import { Harness } from './harness';

function onSettings(): { h: Harness; s: SettingsScreen } {
  const h = new Harness();
  h.startUnlocked();
  h.key('s');
  return { h, s: h.top(SettingsScreen) };
}

function choose(h: Harness, s: SettingsScreen, index: number): void {
  while (s.list.selected < index) h.key('Down');
  while (s.list.selected > index) h.key('Up');
  h.key('Enter');
}

describe('firmware/ui/settings-screen', () => {
  it('lists routers, Wi-Fi, private routing, PIN, lock and wipe with their state', () => {
    const { h } = onSettings();
    for (const t of ['Routers', '1 of 10 in use', 'Wi-Fi', 'Connected to home', 'Private routing: unknown routers', 'Change PIN', 'Lock now', 'Wipe device']) {
      assert.ok(h.display.drew(t), t);
    }
  });

  it('opens the router and Wi-Fi screens', async () => {
    const { h, s } = onSettings();
    choose(h, s, 0);
    h.top(RoutersScreen);
    h.key('Escape');
    choose(h, s, 1);
    h.top(WifiScreen);
    await h.settle();
    h.key('Escape');
    h.top(SettingsScreen);
  });

  it('steps private routing through its four modes', () => {
    const { h, s } = onSettings();
    for (let i = 0; i < 4; i++) choose(h, s, 2);
    assert.deepEqual(h.model.calls, ['setPrivateRouting unprotected', 'setPrivateRouting never', 'setPrivateRouting always', 'setPrivateRouting unknown']);
    assert.equal(nextPrivateRouting('never'), 'always');
    assert.match(privateRoutingText('never').detail, /IP address/);
  });

  it('locks now', () => {
    const { h, s } = onSettings();
    choose(h, s, 4);
    assert.equal(h.model.lockState(), 'locked');
    assert.equal(h.top(LockScreen).mode, 'enter');
    assert.equal(h.ui.depth(), 1);
  });

  it('wipes only after two confirmations, then starts over at the PIN setup', async () => {
    const { h, s } = onSettings();
    h.model.addContact('Alice');
    choose(h, s, 5);
    assert.equal(h.ui.box()!.title, 'Wipe device?');
    h.key('Left');
    h.key('Enter');
    assert.equal(h.ui.box()!.title, 'Really wipe?');
    h.key('Escape');
    assert.deepEqual(h.model.calls, []);
    choose(h, s, 5);
    h.key('Left');
    h.key('Enter');
    h.key('Left');
    h.key('Enter');
    await h.settle();
    assert.deepEqual(h.model.calls, ['wipe']);
    assert.equal(h.model.contactCount(), 0);
    assert.equal(h.top(LockScreen).mode, 'new');
  });

  it('changes the PIN: the old one, the new one twice', async () => {
    const { h, s } = onSettings();
    choose(h, s, 3);
    const c = h.top(ChangePinScreen);
    h.type('0000');
    h.key('Enter');
    h.type('1357');
    h.key('Enter');
    h.type('1357');
    h.key('Enter');
    await h.settle();
    assert.equal(c.step, 'old');
    assert.equal(c.note, 'Wrong PIN.');
    h.type('2468');
    h.key('Enter');
    h.type('13');
    h.key('Enter');
    assert.equal(c.note, 'Use at least 4 characters.');
    h.type('1357');
    h.key('Enter');
    h.type('1358');
    h.key('Enter');
    assert.equal(c.step, 'new');
    h.type('1357');
    h.key('Enter');
    h.type('1357');
    h.key('Enter');
    await h.settle();
    assert.equal(h.model.pin, '1357');
    assert.equal(h.ui.box()!.title, 'PIN changed');
    h.top(SettingsScreen);
    assert.ok(!h.display.drew('1357'), 'the PIN is never drawn');
  });
});
