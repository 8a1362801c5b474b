import assert from 'node:assert/strict';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { LockScreen } from '../../../firmware/ui/lock-screen';
import { MAX_STACK } from '../../../firmware/ui/app-ui';
import { SettingsScreen } from '../../../firmware/ui/settings-screen';
import { Harness } from './harness';

/** Strings drawn in the status bar (its top 13 rows) since the last clear. */
function statusTexts(h: Harness): string[] {
  return h.display.ops.filter((o) => o.op === 'drawString' && o.y < 13).map((o) => o.text);
}

describe('firmware/ui/app-ui', () => {
  it('starts on the lock screen unless unlocked', () => {
    const locked = new Harness();
    locked.model.lock_ = 'locked';
    locked.ui.start();
    locked.top(LockScreen);
    const open = new Harness().startUnlocked();
    open.top(ContactsScreen);
    assert.ok(open.display.ops.some((o) => o.op === 'setBacklight' && o.x === 1));
  });

  it('shows Wi-Fi, routers, unread messages and battery in the status bar', () => {
    const h = new Harness();
    const c = h.model.addContact('Alice', 'ready', 1);
    h.model.connections['smp.simplego.dev'] = 'connected';
    h.startUnlocked();
    assert.deepEqual(statusTexts(h), ['home', 'routers 1/1', '87%']);
    h.display.clear();
    h.model.receive(c.id, 'hi');
    h.frame();
    assert.deepEqual(statusTexts(h), ['home', 'routers 1/1', '87%', '1 new']);
    h.display.clear();
    h.power.status = { percent: -1, millivolts: -1, charging: true };
    h.model.wifiState = 'disconnected';
    h.clock.advance(1000);
    assert.deepEqual(statusTexts(h), ['No Wi-Fi', '+--%', '1 new'], 'an unknown battery level is shown as unknown');
  });

  it('repaints the status bar only when its text changes, and flips nothing when nothing changed', () => {
    const h = new Harness().startUnlocked();
    h.display.clear();
    h.clock.advance(5000);
    assert.equal(h.display.ops.length, 0);
    h.power.status = { percent: 86, millivolts: 4000, charging: false };
    h.clock.advance(1000);
    assert.deepEqual(statusTexts(h), ['home', 'routers 0/1', '86%']);
    assert.ok(h.display.ops.every((o) => o.op === 'flip' || o.y < 13), 'nothing below the bar');
  });

  it('draws one frame for a burst of changes', () => {
    const h = new Harness();
    const c = h.model.addContact('Alice', 'ready', 1);
    h.startUnlocked();
    h.display.clear();
    for (let i = 0; i < 10; i++) h.model.receive(c.id, 'm' + i);
    h.frame();
    assert.equal(h.display.ops.filter((o) => o.op === 'flip').length, 1);
  });

  it('alerts and wakes the screen for a new message, unless the contact is muted', () => {
    const h = new Harness();
    const a = h.model.addContact('Alice', 'ready', 1);
    const b = h.model.addContact('Bob', 'ready', 1);
    b.muted = true;
    h.startUnlocked();
    h.model.receive(a.id, 'hello');
    h.model.receive(b.id, 'psst');
    h.frame();
    assert.deepEqual(h.notifier.alerts, ['message']);
    assert.equal(h.notifier.wakes, 1);
    assert.equal(h.model.unreadTotal(), 2, 'muted still counts as unread');
  });

  it('turns the screen off when idle; the key that wakes it does nothing else; a message wakes it', () => {
    const h = new Harness();
    const a = h.model.addContact('Alice', 'ready', 1);
    h.model.settingsValue = { ...h.model.settingsValue, screenOffMs: 30000 };
    h.startUnlocked();
    h.clock.advance(29000);
    assert.equal(h.ui.isAsleep(), false);
    h.clock.advance(1000);
    assert.equal(h.ui.isAsleep(), true);
    assert.equal(h.display.fb.backlight, 0);
    h.display.clear();
    h.model.receive(a.id, 'x');
    h.clock.advance(0);
    assert.equal(h.ui.isAsleep(), false);
    assert.equal(h.display.fb.backlight, 1);
    h.clock.advance(30000);
    assert.equal(h.ui.isAsleep(), true);
    h.display.clear();
    h.key('s');
    assert.equal(h.ui.isAsleep(), false);
    h.top(ContactsScreen);
    h.key('s');
    h.top(SettingsScreen);
  });

  it('turns the screen off on the lock screen too, but locks nothing twice', () => {
    const h = new Harness();
    h.model.lock_ = 'locked';
    h.model.settingsValue = { ...h.model.settingsValue, screenOffMs: 5000, lockAfterMs: 5000 };
    h.ui.start();
    h.clock.advance(5000);
    assert.equal(h.ui.isAsleep(), true);
    assert.deepEqual(h.model.calls, [], 'already locked: no lock() call');
  });

  it('draws nothing while the screen is off, then everything on waking', () => {
    const h = new Harness();
    const a = h.model.addContact('Alice', 'ready', 1);
    h.model.settingsValue = { ...h.model.settingsValue, screenOffMs: 10000 };
    h.startUnlocked();
    h.clock.advance(10000);
    h.display.clear();
    a.muted = true;
    h.model.receive(a.id, 'quiet');
    h.clock.advance(3000);
    assert.equal(h.display.ops.filter((o) => o.op === 'flip').length, 0);
    h.key('Down');
    assert.ok(h.display.drew('quiet'));
  });

  it('locks after the idle time, closing every screen (and the text they held)', () => {
    const h = new Harness();
    h.model.addContact('Alice', 'ready', 3);
    h.model.settingsValue = { ...h.model.settingsValue, lockAfterMs: 60000 };
    h.startUnlocked();
    h.key('Down');
    h.key('Enter');
    const chat = h.top(ChatScreen);
    assert.ok(chat.messages.length > 0);
    h.clock.advance(59000);
    h.type('x');
    h.clock.advance(59000);
    h.top(ChatScreen);
    h.clock.advance(1000);
    h.top(LockScreen);
    assert.equal(h.model.lockState(), 'locked');
    assert.equal(chat.messages.length, 0);
    assert.equal(chat.input.value, '');
    assert.equal(h.ui.depth(), 1);
  });

  it('goes to the lock screen when the model locks itself', () => {
    const h = new Harness();
    h.model.addContact('Alice', 'ready', 1);
    h.startUnlocked();
    h.key('Down');
    h.key('Enter');
    h.model.lock_ = 'locked';
    h.model.emit('lock');
    h.frame();
    h.top(LockScreen);
  });

  it('shows boxes one at a time, in order, and repaints the screen under them when they close', () => {
    const h = new Harness().startUnlocked();
    const order: string[] = [];
    h.ui.alert('First', 'one', () => order.push('first'));
    h.ui.confirm('Second', 'two', 'Yes', () => order.push('second'));
    h.frame();
    assert.equal(h.ui.box()!.title, 'First');
    h.display.clear();
    h.key('Enter');
    assert.equal(h.ui.box()!.title, 'Second');
    assert.ok(h.display.drew('+ New contact'), 'screen repainted under the next box');
    h.key('Left');
    h.key('Enter');
    assert.equal(h.ui.box(), null);
    assert.deepEqual(order, ['first', 'second']);
  });

  it('keys go to the box, not the screen under it', () => {
    const h = new Harness().startUnlocked();
    h.ui.alert('Note', 'text', null);
    h.key('s');
    h.top(ContactsScreen);
    h.key('Escape');
    h.key('s');
    h.top(SettingsScreen);
  });

  it('never holds more than MAX_STACK screens', () => {
    const h = new Harness();
    const a = h.model.addContact('Alice', 'ready', 1);
    h.startUnlocked();
    for (let i = 0; i < 20; i++) h.ui.push(new ChatScreen(h.ui, a.id));
    assert.equal(h.ui.depth(), MAX_STACK);
    h.top(ChatScreen);
    for (let i = 0; i < 20; i++) h.ui.pop();
    assert.equal(h.ui.depth(), 1);
    h.top(ContactsScreen);
  });

  it('signals errors with the error pattern', () => {
    const h = new Harness().startUnlocked();
    h.ui.showError('Oops', new Error('x'));
    assert.deepEqual(h.notifier.alerts, ['error']);
    assert.match(h.ui.box()!.text, /Something went wrong/);
  });

  it('stops cleanly: no timers, no listener', () => {
    const h = new Harness().startUnlocked();
    h.ui.stop();
    assert.equal(h.clock.pending(), 0);
    h.display.clear();
    h.model.emit('contacts');
    h.key('s');
    h.clock.advance(5000);
    assert.equal(h.display.ops.length, 0);
  });
});
