import assert from 'node:assert/strict';
import type { InputEvent } from '../../../hal/input';
import { MessageBox } from '../../../firmware/ui/message-box';
import { ProgressView } from '../../../firmware/ui/progress';
import { LOW_BATTERY, renderStatusBar, statusKey, type StatusInfo } from '../../../firmware/ui/status-bar';
import { ACCENT, ERROR, MUTED } from '../../../firmware/ui/theme';
import { navKey } from '../../../firmware/ui/keys';
import { RecordingDisplay } from './harness';

function key(k: string): InputEvent {
  return { type: 'key', key: k, dx: 0, dy: 0 };
}

const BODY = { x: 0, y: 30, w: 320, h: 210 };

describe('firmware/ui widgets', () => {
  it('navKey: the trackball and the keys mean the same', () => {
    assert.equal(navKey({ type: 'move', key: '', dx: 0, dy: -1 }), 'up');
    assert.equal(navKey({ type: 'move', key: '', dx: 1, dy: 1 }), 'down', 'diagonal counts as vertical');
    assert.equal(navKey({ type: 'move', key: '', dx: -1, dy: 0 }), 'left');
    assert.equal(navKey({ type: 'press', key: '', dx: 0, dy: 0 }), 'enter');
    assert.equal(navKey(key('Escape')), 'back');
    assert.equal(navKey(key('q')), 'char');
    assert.equal(navKey(key('Alt')), 'other');
    assert.equal(navKey(key('\u0085')), 'other');
  });

  it('progress: label, step, a bar that fills, and seconds that advance without new progress', () => {
    const d = new RecordingDisplay();
    const p = new ProgressView('Connecting', 'Resolving', 1000);
    p.render(d, BODY);
    assert.ok(d.drew('Connecting') && d.drew('Resolving') && d.drew('0 s'));
    assert.equal(p.needsRender(), false);
    p.tick(1500);
    assert.equal(p.needsRender(), false, 'same second');
    p.tick(3000);
    assert.equal(p.needsRender(), true);
    p.update({ step: 2, steps: 4, label: 'Creating a queue' });
    d.clear();
    p.render(d, BODY);
    assert.ok(d.drew('Creating a queue'));
    assert.ok(d.drew('Step 2 of 4   2 s'));
    const bar = d.ops.find((o) => o.op === 'fillRect' && o.color === ACCENT)!;
    assert.equal(bar.w, Math.floor(((320 - 24 - 4) * 3) / 8), 'one step done, the second half done');
    assert.equal(p.currentStep(), 2);
    assert.equal(p.currentLabel(), 'Creating a queue');
  });

  it('progress with an unknown number of steps moves a block each second', () => {
    const d = new RecordingDisplay();
    const p = new ProgressView('Working', '', 0);
    const positions: number[] = [];
    for (let s = 0; s < 3; s++) {
      p.tick(s * 1000);
      d.clear();
      p.render(d, BODY);
      positions.push(d.ops.find((o) => o.op === 'fillRect' && o.color === ACCENT)!.x);
    }
    assert.equal(new Set(positions).size, 3);
  });

  it('message box: starts on Cancel, moves between buttons, confirms, cancels with Escape', () => {
    const box = new MessageBox('Delete?', 'Really delete?', 'Delete', 'Cancel');
    assert.equal(box.selected(), 1);
    assert.equal(box.handleInput(key('Enter')), 'cancel');
    assert.equal(box.handleInput(key('Left')), 'none');
    assert.equal(box.selected(), 0);
    assert.equal(box.handleInput({ type: 'press', key: '', dx: 0, dy: 0 }), 'ok');
    assert.equal(box.handleInput(key('Escape')), 'cancel');
    const ok = new MessageBox('Done', 'Saved.', 'OK', '');
    assert.deepEqual(ok.buttons, ['OK']);
    assert.equal(ok.handleInput(key('Enter')), 'ok');
    const d = new RecordingDisplay();
    ok.render(d, { x: 0, y: 0, w: 320, h: 240 });
    assert.deepEqual(d.texts(), ['Done', 'Saved.', 'OK']);
  });

  it('message box: long text wraps inside the box and stays on screen', () => {
    const d = new RecordingDisplay();
    const box = new MessageBox('Error', 'word '.repeat(200), 'OK', '');
    box.render(d, { x: 0, y: 0, w: 320, h: 240 });
    for (const o of d.ops) assert.ok(o.y >= 0 && o.y + o.h <= 240 && o.x >= 0 && o.x + o.w <= 320, o.op + ' ' + o.text);
    assert.ok(d.texts().length <= 9);
  });

  it('status bar: low battery in the error colour, unknown routers count hidden without Wi-Fi', () => {
    const info = (percent: number, charging: boolean, wifi: 'connected' | 'off'): StatusInfo => ({
      network: { wifi, ssid: 'home', routersConnected: 0, routersEnabled: 2 },
      unread: 0,
      battery: { percent, millivolts: 3700, charging },
    });
    const d = new RecordingDisplay();
    renderStatusBar(d, { x: 0, y: 0, w: 320, h: 13 }, info(LOW_BATTERY - 1, false, 'connected'));
    const battery = d.ops.find((o) => o.text === '14%')!;
    assert.equal(battery.color, ERROR);
    assert.equal(d.ops.find((o) => o.text === 'routers 0/2')!.color, ERROR);
    d.clear();
    renderStatusBar(d, { x: 0, y: 0, w: 320, h: 13 }, info(14, true, 'off'));
    assert.equal(d.ops.find((o) => o.text === '+14%')!.color, MUTED);
    assert.deepEqual(d.texts(), ['Wi-Fi off', '+14%']);
    assert.notEqual(statusKey(info(50, false, 'connected')), statusKey(info(51, false, 'connected')));
    assert.equal(statusKey(info(50, false, 'connected')), statusKey(info(50, false, 'connected')));
  });
});
