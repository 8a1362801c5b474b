import assert from 'node:assert/strict';
import type { InputEvent } from '../../../hal/input';
import { TextInput } from '../../../firmware/ui/text-input';
import { RecordingDisplay } from './harness';

function key(k: string): InputEvent {
  return { type: 'key', key: k, dx: 0, dy: 0 };
}

function typeInto(f: TextInput, text: string): void {
  for (const c of text) f.handleInput(key(c));
}

const BOX = { x: 10, y: 10, w: 120, h: 21 };

describe('firmware/ui/text-input', () => {
  it('inserts at the cursor, deletes before it, and moves it with Left and Right', () => {
    const f = new TextInput(100, false, 'normal', '');
    typeInto(f, 'helo');
    assert.equal(f.handleInput(key('Left')), 'changed');
    typeInto(f, 'l');
    assert.equal(f.value, 'hello');
    assert.equal(f.cursor, 4);
    f.handleInput(key('Right'));
    f.handleInput(key('Backspace'));
    assert.equal(f.value, 'hell');
    for (let i = 0; i < 10; i++) f.handleInput(key('Left'));
    assert.equal(f.cursor, 0);
    assert.equal(f.handleInput(key('Backspace')), 'none');
    assert.equal(f.handleInput(key('Left')), 'none');
  });

  it('submits on Enter or a trackball press, cancels on Escape; the trackball does not move the cursor', () => {
    const f = new TextInput(100, false, 'normal', '');
    assert.equal(f.handleInput(key('Enter')), 'submit');
    assert.equal(f.handleInput({ type: 'press', key: '', dx: 0, dy: 0 }), 'submit');
    assert.equal(f.handleInput(key('Escape')), 'cancel');
    typeInto(f, 'ab');
    assert.equal(f.handleInput({ type: 'move', key: '', dx: -1, dy: 0 }), 'none');
    assert.equal(f.cursor, 2);
    assert.equal(f.handleInput(key('Tab')), 'none');
    assert.equal(f.handleInput(key('\u0007')), 'none');
    assert.equal(f.value, 'ab');
  });

  it('stops at maxLength, for typing and for pasting', () => {
    const f = new TextInput(5, false, 'normal', '');
    typeInto(f, 'abcdefg');
    assert.equal(f.value, 'abcde');
    assert.equal(f.handleInput(key('x')), 'none');
    const g = new TextInput(5, false, 'normal', '');
    g.insert('ab');
    g.cursor = 1;
    assert.equal(g.insert('1234567'), true);
    assert.equal(g.value, 'a123b');
    g.setValue('0123456789');
    assert.equal(g.value, '01234');
  });

  it('draws a masked field as stars, never the text', () => {
    const d = new RecordingDisplay();
    const f = new TextInput(64, true, 'large', '');
    typeInto(f, '2468');
    f.render(d, BOX, true);
    assert.deepEqual(d.texts(), ['****']);
    f.masked = false;
    d.clear();
    f.render(d, BOX, true);
    assert.deepEqual(d.texts(), ['2468']);
  });

  it('scrolls a long value so the cursor stays in the box', () => {
    const d = new RecordingDisplay();
    const f = new TextInput(4000, false, 'normal', '');
    const link = 'simplex:/invitation#/?v=2-7&smp=' + 'x'.repeat(300) + 'END';
    f.insert(link);
    f.render(d, BOX, true);
    const shown = d.texts()[0];
    assert.ok(link.endsWith(shown), 'shows the end, where the cursor is: ' + shown);
    assert.ok(d.stringWidth(shown, 'normal') <= BOX.w - 8);
    for (let i = 0; i < link.length; i++) f.handleInput(key('Left'));
    d.clear();
    f.render(d, BOX, true);
    assert.ok(link.startsWith(d.texts()[0]), 'back at the start');
    // The cursor is a thin bar inside the box.
    const bar = d.ops.filter((o) => o.op === 'fillRect' && o.w === 2);
    assert.equal(bar.length, 1);
    assert.ok(bar[0].x >= BOX.x && bar[0].x < BOX.x + BOX.w);
  });

  it('shows its placeholder only while empty, and repaints only when changed', () => {
    const d = new RecordingDisplay();
    const f = new TextInput(10, false, 'normal', 'Message');
    f.render(d, BOX, true);
    assert.deepEqual(d.texts(), ['Message']);
    assert.equal(f.needsRender(), false);
    typeInto(f, 'x');
    assert.equal(f.needsRender(), true);
    d.clear();
    f.render(d, BOX, false);
    assert.deepEqual(d.texts(), ['x']);
    f.clear();
    assert.equal(f.value, '');
    assert.equal(f.cursor, 0);
  });
});
