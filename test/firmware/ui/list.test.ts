import assert from 'node:assert/strict';
import { ListView } from '../../../firmware/ui/list';
import { SELECTED_BG } from '../../../firmware/ui/theme';
import { RecordingDisplay } from './harness';

const AREA = { x: 0, y: 40, w: 320, h: 100 };

function painted(d: RecordingDisplay): number[] {
  return d.ops.filter((o) => o.op === 'drawString').map((o) => Number(o.text));
}

function paint(d: RecordingDisplay, list: ListView, full: boolean): number[] {
  d.clear();
  list.render(d, AREA, full, (dd, index, x, y) => dd.drawString(String(index), x, y, 'small', 0xffff, -1));
  return painted(d);
}

describe('firmware/ui/list', () => {
  it('paints the rows that fit and scrolls the selection into view', () => {
    const d = new RecordingDisplay();
    const list = new ListView(20);
    list.setCount(12);
    assert.deepEqual(paint(d, list, true), [0, 1, 2, 3, 4]);
    for (let i = 0; i < 7; i++) list.handleNav('down');
    assert.equal(list.selected, 7);
    assert.deepEqual(paint(d, list, false), [3, 4, 5, 6, 7], 'scrolled: every visible row repainted');
    assert.deepEqual(list.visibleRange(), { first: 3, end: 8 });
    for (let i = 0; i < 20; i++) list.handleNav('down');
    assert.equal(list.selected, 11);
    for (let i = 0; i < 20; i++) list.handleNav('up');
    assert.equal(list.selected, 0);
    assert.equal(list.top, 0);
  });

  it('repaints only the two rows involved when the selection moves within view', () => {
    const d = new RecordingDisplay();
    const list = new ListView(20);
    list.setCount(12);
    paint(d, list, true);
    assert.equal(list.handleNav('down'), true);
    assert.equal(list.needsRender(), true);
    assert.deepEqual(paint(d, list, false), [0, 1]);
    const backgrounds = d.ops.filter((o) => o.op === 'fillRect');
    assert.deepEqual(backgrounds.map((o) => [o.y, o.h, o.color === SELECTED_BG]), [[40, 20, false], [60, 20, true]]);
    assert.equal(list.needsRender(), false);
    assert.deepEqual(paint(d, list, false), [], 'nothing changed, nothing painted');
  });

  it('clamps the selection when rows go away, and ignores moves in an empty list', () => {
    const list = new ListView(20);
    list.setCount(10);
    list.select(9);
    list.setCount(3);
    assert.equal(list.selected, 2);
    list.setCount(0);
    assert.equal(list.selected, 0);
    assert.equal(list.handleNav('down'), false);
    list.select(5);
    assert.equal(list.selected, 0);
    list.setCount(-4);
    assert.equal(list.count, 0);
  });

  it('repaints one changed row on request, and everything after invalidate()', () => {
    const d = new RecordingDisplay();
    const list = new ListView(20);
    list.setCount(8);
    paint(d, list, true);
    list.invalidateRow(2);
    list.invalidateRow(9); // not visible: ignored
    assert.deepEqual(paint(d, list, false), [2]);
    list.invalidate();
    assert.deepEqual(paint(d, list, false), [0, 1, 2, 3, 4]);
  });
});
