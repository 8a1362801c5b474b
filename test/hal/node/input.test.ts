import assert from 'node:assert/strict';
import type { InputEvent } from '../../../hal/input';
import { keyFromBrowser, NAMED_KEYS, NodeInput, parseInputEvent } from '../../../hal/node/input';

describe('hal/node/input', () => {
  function recorder(): { input: NodeInput; events: InputEvent[] } {
    const input = new NodeInput();
    const events: InputEvent[] = [];
    input.setHandler((e) => events.push(e));
    return { input, events };
  }

  it('delivers keys, trackball steps and presses in the flat HAL shape', () => {
    const { input, events } = recorder();
    input.key('a');
    input.key('Enter');
    input.move(0, -1);
    input.press();
    assert.deepEqual(events, [
      { type: 'key', key: 'a', dx: 0, dy: 0 },
      { type: 'key', key: 'Enter', dx: 0, dy: 0 },
      { type: 'move', key: '', dx: 0, dy: -1 },
      { type: 'press', key: '', dx: 0, dy: 0 },
    ]);
  });

  it('accepts every named key and any printable character from the page (the display draws what its fonts lack as ?)', () => {
    for (const k of NAMED_KEYS) assert.notEqual(parseInputEvent({ type: 'key', key: k }), null, k);
    for (const k of ['a', 'Z', '7', ' ', '~', '\u00e9', '\u00ff', '\u20ac']) assert.notEqual(parseInputEvent({ type: 'key', key: k }), null, k);
  });

  it('drops anything from the page that is not a valid event, and counts it', () => {
    const { input, events } = recorder();
    const garbage: unknown[] = [
      null, undefined, 42, 'key', [], {}, { type: 'key' }, { type: 'key', key: '' }, { type: 'key', key: 'ab' }, { type: 'key', key: 'F1' },
      { type: 'key', key: '\u0000' }, { type: 'key', key: '\u007f' }, { type: 'key', key: '\u0085' }, { type: 'key', key: 7 },
      { type: 'move', dx: 0, dy: 0 }, { type: 'move', dx: 2, dy: 0 }, { type: 'move', dx: '1', dy: 0 }, { type: 'move', dx: 0.5, dy: 0 },
      { type: 'move', dx: 1 }, { type: 'click' }, { type: 'KEY', key: 'a' }, JSON.parse('{"__proto__": {"type": "press"}}'),
    ];
    for (const g of garbage) assert.equal(input.fromPage(g), false, JSON.stringify(g));
    assert.equal(events.length, 0);
    assert.equal(input.rejected, garbage.length);
    assert.throws(() => input.key('Home'), RangeError);
    assert.throws(() => input.move(0, 0), RangeError);
  });

  it('maps browser key names to the device keys, and ignores keys the device lacks', () => {
    assert.equal(keyFromBrowser('ArrowUp'), 'Up');
    assert.equal(keyFromBrowser('ArrowDown'), 'Down');
    assert.equal(keyFromBrowser('ArrowLeft'), 'Left');
    assert.equal(keyFromBrowser('ArrowRight'), 'Right');
    assert.equal(keyFromBrowser('Enter'), 'Enter');
    assert.equal(keyFromBrowser('Escape'), 'Escape');
    assert.equal(keyFromBrowser('Alt'), 'Alt');
    assert.equal(keyFromBrowser('q'), 'q');
    assert.equal(keyFromBrowser('F5'), null);
    assert.equal(keyFromBrowser('Shift'), null);
    assert.equal(keyFromBrowser('PageDown'), null);
  });

  it('types pasted text as one key per character, skipping control characters', () => {
    const { input, events } = recorder();
    input.typeText('ab\ncd\t');
    assert.deepEqual(events.map((e) => e.key), ['a', 'b', 'c', 'd']);
  });

  it('replaces the handler, and drops events while there is none', () => {
    const input = new NodeInput();
    input.key('x');
    const seen: string[] = [];
    input.setHandler(() => seen.push('first'));
    input.setHandler(() => seen.push('second'));
    input.press();
    assert.deepEqual(seen, ['second']);
  });
});
