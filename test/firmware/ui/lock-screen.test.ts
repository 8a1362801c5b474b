import assert from 'node:assert/strict';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { LockScreen } from '../../../firmware/ui/lock-screen';
import { Harness } from './harness';

function locked(): Harness {
  const h = new Harness();
  h.model.pin = '2468';
  h.model.lock_ = 'locked';
  h.ui.start();
  return h;
}

describe('firmware/ui/lock-screen', () => {
  it('on first boot asks for a PIN twice, shows only stars, then sets it and opens the contacts', async () => {
    const h = new Harness();
    h.ui.start();
    const s = h.top(LockScreen);
    assert.equal(s.mode, 'new');
    assert.ok(h.display.drew('Choose a PIN'));
    h.display.clear();
    h.type('1357');
    assert.ok(h.display.drew('****'));
    assert.ok(!h.display.drew('1357'), 'the PIN is never drawn');
    h.key('Enter');
    assert.equal(s.mode, 'confirm');
    assert.equal(s.input.value, '', 'the field is cleared once submitted');
    h.type('1357');
    h.key('Enter');
    await h.settle();
    h.top(ContactsScreen);
    assert.equal(h.model.pin, '1357');
    assert.deepEqual(h.model.calls, ['setPin']);
  });

  it('refuses a short PIN and two PINs that differ', () => {
    const h = new Harness();
    h.ui.start();
    const s = h.top(LockScreen);
    h.type('12');
    h.display.clear();
    h.key('Enter');
    assert.equal(s.mode, 'new');
    assert.ok(h.display.drew('Use at least 4 characters.'));
    h.type('1234');
    h.key('Enter');
    h.type('1243');
    h.display.clear();
    h.key('Enter');
    assert.equal(s.mode, 'new');
    assert.ok(h.display.drew('The two PINs differ'));
    assert.deepEqual(h.model.calls, []);
  });

  it('unlocks with the right PIN and says how many attempts are left after a wrong one', async () => {
    const h = locked();
    const s = h.top(LockScreen);
    assert.equal(s.mode, 'enter');
    h.type('1111');
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'enter');
    assert.equal(s.note, 'Wrong PIN. 4 attempts left before everything is erased.');
    assert.ok(h.display.drew('4 attempts left'));
    h.type('2468');
    h.key('Enter');
    await h.settle();
    h.top(ContactsScreen);
  });

  it('shows progress while the key is derived, with the seconds going up', async () => {
    const h = locked();
    h.model.hold = true;
    const s = h.top(LockScreen);
    h.type('2468');
    h.display.clear();
    h.key('Enter');
    assert.equal(s.mode, 'working');
    assert.ok(h.display.drew('Unlocking'));
    assert.ok(h.display.drew('Checking the PIN'));
    const op = h.model.take('unlock');
    op.progress({ step: 1, steps: 2, label: 'Deriving the key' });
    h.display.clear();
    h.frame();
    assert.ok(h.display.drew('Deriving the key'));
    assert.ok(h.display.drew('Step 1 of 2'));
    h.display.clear();
    h.clock.advance(3000);
    assert.ok(h.display.drew('3 s'), 'never a frozen screen: ' + h.display.texts().join('|'));
    h.type('9'); // ignored while working
    op.resolve();
    await h.settle();
    h.top(ContactsScreen);
  });

  it('after too many wrong PINs waits, counting down, and ignores input meanwhile', async () => {
    const h = locked();
    const s = h.top(LockScreen);
    for (let i = 0; i < 3; i++) {
      h.type('0000');
      h.key('Enter');
      await h.settle();
    }
    assert.equal(s.mode, 'wait');
    assert.ok(h.display.drew('Try again in 30 s'));
    h.type('2468');
    h.key('Enter');
    assert.equal(s.input.value, '');
    assert.deepEqual(h.model.calls.filter((c) => c === 'unlock').length, 3);
    h.display.clear();
    h.clock.advance(10000);
    assert.ok(h.display.drew('Try again in 20 s'));
    h.clock.advance(20000);
    assert.equal(s.mode, 'enter');
    h.type('2468');
    h.key('Enter');
    await h.settle();
    h.top(ContactsScreen);
  });

  it('when the store erased itself, says so and starts over with a new PIN', async () => {
    const h = locked();
    h.model.wipeAfter = 1;
    const s = h.top(LockScreen);
    h.type('0000');
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'new');
    const box = h.ui.box();
    assert.ok(box !== null);
    assert.equal(box.title, 'Device erased');
    assert.match(box.text, /erased/);
  });

  it('Escape clears what was typed', () => {
    const h = locked();
    const s = h.top(LockScreen);
    h.type('24');
    h.key('Escape');
    assert.equal(s.input.value, '');
  });
});
