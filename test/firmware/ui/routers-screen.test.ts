import assert from 'node:assert/strict';
import type { RouterInfo } from '../../../firmware/app/model';
import { AddRouterScreen } from '../../../firmware/ui/add-router-screen';
import { drawQr, encodeQr } from '../../../firmware/ui/qr';
import { RouterScreen } from '../../../firmware/ui/router-screen';
import { routerStateText, RoutersScreen } from '../../../firmware/ui/routers-screen';
import { SmpTransportError } from '../../../firmware/smp/transport-api';
import { ERROR, MUTED, OK, WARN } from '../../../firmware/ui/theme';
import { FramebufferDisplay } from '../../../hal/node/display';
import { Harness } from './harness';

const SMP1 = 'smp://7qw4hvuS-PvTHbotgtg_xiwrhFUk_s1q2upUQrGIWow=@smp1.simplego.dev';
const MINE = 'smp://0YuTwO05YJWS8rkjn9eLJDjQhFKvIYd8d4xG8X1blIU=@relay.example.org:5443';

function onRouters(camera: boolean = true): { h: Harness; s: RoutersScreen } {
  const h = new Harness(camera);
  h.startUnlocked();
  h.key('s');
  h.key('Enter');
  return { h, s: h.top(RoutersScreen) };
}

function open(h: Harness, s: RoutersScreen, host: string): RouterScreen {
  const i = s.routers.findIndex((r) => r.host === host);
  assert.ok(i >= 0, host);
  while (s.list.selected < i + 1) h.key('Down');
  h.key('Enter');
  return h.top(RouterScreen);
}

function info(over: Partial<RouterInfo>): RouterInfo {
  return { id: 'a', host: 'a', operator: 'simplego', state: 'ready', connection: 'idle', storage: true, removable: false, ...over };
}

describe('firmware/ui/routers-screen', () => {
  it('lists the ten SimpleGo presets, nine of them awaiting their fingerprint', () => {
    const { h, s } = onRouters();
    assert.equal(s.routers.length, 10);
    assert.equal(s.routers.filter((r) => r.state === 'awaiting-fingerprint').length, 9);
    assert.ok(h.display.drew('+ Add router'));
    assert.ok(h.display.drew('smp.simplego.dev'));
    assert.ok(h.display.drew('awaiting fingerprint: add its full address'));
  });

  it('describes each state and connection in words and colour', () => {
    assert.deepEqual(routerStateText(info({ state: 'awaiting-fingerprint' })).color, WARN);
    assert.deepEqual(routerStateText(info({ state: 'disabled', storage: false })), { text: 'disabled, forwarding only', color: MUTED });
    assert.deepEqual(routerStateText(info({ connection: 'connected' })), { text: 'in use, connected', color: OK });
    assert.deepEqual(routerStateText(info({ connection: 'connecting' })).color, WARN);
    assert.deepEqual(routerStateText(info({ connection: 'failed' })), { text: 'in use, connection failed', color: ERROR });
    assert.equal(routerStateText(info({})).text, 'in use');
  });

  it('gives a preset its fingerprint from the router screen', () => {
    const { h, s } = onRouters();
    const r = open(h, s, 'smp1.simplego.dev');
    assert.ok(h.display.drew('Enter its address'));
    h.key('Enter');
    const add = h.top(AddRouterScreen);
    assert.equal(add.input.value, 'smp://');
    add.input.clear();
    h.type(SMP1);
    h.key('Enter');
    assert.equal(h.ui.box()!.title, 'Router added');
    h.key('Enter');
    assert.equal(h.top(RouterScreen), r);
    assert.ok(h.display.drew('Disable'));
    h.key('Escape');
    assert.equal(s.routers.find((x) => x.host === 'smp1.simplego.dev')!.state, 'ready');
    assert.ok(h.display.drew('in use'));
  });

  it('adds a router of your own, and explains a bad address', () => {
    const { h, s } = onRouters();
    h.key('a');
    h.type('smp://nonsense');
    h.key('Enter');
    const box = h.ui.box()!;
    assert.equal(box.title, 'Router not added');
    assert.match(box.text, /fingerprint|address/);
    h.key('Enter');
    const add = h.top(AddRouterScreen);
    add.input.clear();
    h.type(MINE);
    h.key('Enter');
    h.key('Enter');
    h.top(RoutersScreen);
    assert.equal(s.routers.length, 11);
    assert.equal(s.routers[10].operator, 'user');
    assert.ok(h.display.drew('relay.example.org'));
    // the same again is a duplicate
    h.key('a');
    h.type(MINE);
    h.key('Enter');
    assert.match(h.ui.box()!.text, /already in the list/);
  });

  it('scans a router address from a QR code', () => {
    const { h } = onRouters();
    const code = new FramebufferDisplay();
    drawQr(code, encodeQr(MINE), { x: 0, y: 0, w: 240, h: 240 }, 2);
    code.flip();
    h.camera.setSource({ kind: 'display', display: code, zoom: 1 });
    h.key('a');
    h.key('Tab');
    assert.equal(h.top(AddRouterScreen).mode, 'scan');
    h.clock.advance(1000);
    assert.ok(h.model.calls.includes('addRouter ' + MINE));
    assert.equal(h.ui.box()!.title, 'Router added');
  });

  it('disables and enables a router, and removes only your own (after confirming)', () => {
    const { h, s } = onRouters();
    const r = open(h, s, 'smp.simplego.dev');
    h.key('Enter');
    assert.ok(h.model.calls.includes('setRouterEnabled smp.simplego.dev false'));
    assert.ok(h.display.drew('Enable'));
    h.key('Enter');
    assert.ok(h.model.calls.includes('setRouterEnabled smp.simplego.dev true'));
    assert.ok(!h.display.drew('Remove'));
    h.key('Escape');
    assert.equal(h.top(RoutersScreen), s);
    h.model.addRouter(MINE);
    h.frame();
    const mine = open(h, s, 'relay.example.org');
    assert.notEqual(mine, r);
    h.key('Down');
    h.key('Down');
    h.key('Enter');
    assert.equal(h.ui.box()!.title, 'Remove router?');
    h.key('Left');
    h.key('Enter');
    assert.ok(h.model.calls.includes('removeRouter relay.example.org:5443'));
    h.top(RoutersScreen);
    assert.equal(s.routers.length, 10);
  });

  it('tests a router step by step and names the step that failed', async () => {
    const { h, s } = onRouters();
    open(h, s, 'smp.simplego.dev');
    const r = h.top(RouterScreen);
    h.model.hold = true;
    h.key('Down');
    h.key('Enter');
    assert.equal(r.mode, 'testing');
    const op = h.model.take('testRouter');
    op.progress({ step: 1, steps: 5, label: 'Connecting' });
    op.progress({ step: 2, steps: 5, label: 'Creating a queue' });
    h.display.clear();
    h.frame();
    assert.deepEqual(r.steps.map((x) => x.state), ['ok', 'running']);
    assert.ok(h.display.drew('Creating a queue'));
    assert.ok(h.display.drew('Step 2 of 5'));
    op.progress({ step: 3, steps: 5, label: 'Securing the queue' });
    op.reject(new SmpTransportError('unknown-ca', 'fingerprint mismatch'));
    h.display.clear();
    await h.settle();
    assert.equal(r.mode, 'tested');
    assert.deepEqual(r.steps.map((x) => x.state), ['ok', 'ok', 'failed']);
    assert.ok(h.display.drew('FAILED'));
    assert.ok(h.display.drew('Securing the queue'));
    assert.ok(h.display.drew("The router's identity does not match"));
    h.key('Enter');
    assert.equal(r.mode, 'main');
    h.model.hold = false;
    h.key('Enter');
    await h.settle();
    assert.equal(r.mode, 'tested');
    assert.equal(r.steps.length, 5);
    assert.ok(r.steps.every((x) => x.state === 'ok'));
    assert.ok(h.display.drew('The router works.'));
  });
});
