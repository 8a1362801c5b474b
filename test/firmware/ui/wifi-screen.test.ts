import assert from 'node:assert/strict';
import { signalBars, WifiScreen } from '../../../firmware/ui/wifi-screen';
import { Harness } from './harness';

async function onWifi(): Promise<{ h: Harness; s: WifiScreen }> {
  const h = new Harness();
  h.startUnlocked();
  h.key('s');
  h.key('Down');
  h.key('Enter');
  const s = h.top(WifiScreen);
  await h.settle();
  return { h, s };
}

function select(h: Harness, s: WifiScreen, ssid: string): void {
  const i = s.networks.findIndex((n) => n.ssid === ssid);
  while (s.list.selected < i + 1) h.key('Down');
  while (s.list.selected > i + 1) h.key('Up');
}

describe('firmware/ui/wifi-screen', () => {
  it('scans with progress, then lists the networks with signal, security and saved state', async () => {
    const h = new Harness();
    h.model.hold = true;
    h.startUnlocked();
    h.key('s');
    h.key('Down');
    h.display.clear();
    h.key('Enter');
    const s = h.top(WifiScreen);
    assert.equal(s.mode, 'scanning');
    assert.ok(h.display.drew('Looking for networks'));
    h.model.take('scanWifi').resolve();
    h.display.clear();
    await h.settle();
    assert.equal(s.mode, 'list');
    assert.ok(h.display.drew('Connected to home'));
    assert.ok(h.display.drew('connected, password, saved'));
    assert.ok(h.display.drew('cafe'));
    assert.ok(h.display.drew('3 networks found'));
  });

  it('asks for the password of a new secure network, masked; a wrong one is explained', async () => {
    const { h, s } = await onWifi();
    select(h, s, 'neighbour');
    h.key('Enter');
    assert.equal(s.mode, 'password');
    assert.equal(s.title(), 'neighbour');
    h.display.clear();
    h.type('wrong');
    assert.ok(h.display.drew('*****'));
    assert.ok(!h.display.drew('wrong'));
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'password');
    assert.equal(h.ui.box()!.text, 'Wrong Wi-Fi password.');
    h.key('Enter');
    h.type('secre');
    h.key('Tab');
    h.display.clear();
    h.type('t');
    assert.ok(h.display.drew('secret'), 'Tab shows the password');
    h.key('Enter');
    await h.settle();
    assert.equal(s.mode, 'list');
    assert.equal(h.model.ssid, 'neighbour');
    assert.ok(h.model.saved.includes('neighbour'));
  });

  it('joins an open network directly', async () => {
    const { h, s } = await onWifi();
    select(h, s, 'cafe');
    h.key('Enter');
    await h.settle();
    assert.ok(h.model.calls.includes('joinWifi cafe'));
    assert.equal(h.model.ssid, 'cafe');
  });

  it('forgets a saved network after confirming', async () => {
    const { h, s } = await onWifi();
    select(h, s, 'home');
    h.key('f');
    assert.equal(h.ui.box()!.title, 'Forget network?');
    h.key('Left');
    h.key('Enter');
    await h.settle();
    assert.ok(h.model.calls.includes('forgetWifi home'));
    select(h, s, 'cafe');
    h.key('f');
    assert.equal(h.ui.box(), null, 'nothing to forget for an unsaved network');
  });

  it('turns dBm into signal bars', () => {
    assert.deepEqual([-40, -60, -70, -80, -95].map(signalBars), [4, 3, 2, 1, 1]);
  });
});
