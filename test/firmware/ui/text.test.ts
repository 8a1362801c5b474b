import assert from 'node:assert/strict';
import { civilDate, fitText, formatDuration, formatTime, repeatChar, wrapText } from '../../../firmware/ui/text';
import { FramebufferDisplay } from '../../../hal/node/display';

const d = new FramebufferDisplay();

describe('firmware/ui/text', () => {
  it('wraps at spaces, keeping every line inside the width', () => {
    const lines = wrapText(d, 'the quick brown fox jumps over the lazy dog', 'normal', 80, 10);
    assert.deepEqual(lines, ['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
    for (const l of lines) assert.ok(d.stringWidth(l, 'normal') <= 80);
  });

  it('splits a word only when it alone is wider than the line (links, keys)', () => {
    const link = 'simplex:/invitation#/?v=2-7&smp=smp%3A%2F%2F';
    const lines = wrapText(d, 'see ' + link, 'small', 60, 20);
    assert.equal(lines[0], 'see');
    assert.equal(lines.slice(1).join(''), link);
    for (const l of lines) assert.ok(d.stringWidth(l, 'small') <= 60);
  });

  it('keeps line breaks and empty lines', () => {
    assert.deepEqual(wrapText(d, 'a\n\nb', 'normal', 100, 10), ['a', '', 'b']);
    assert.deepEqual(wrapText(d, '', 'normal', 100, 10), ['']);
  });

  it('stops at maxLines and says so with "..." on the last line', () => {
    const lines = wrapText(d, 'one two three four five six seven', 'normal', 40, 3);
    assert.equal(lines.length, 3);
    assert.ok(lines[2].endsWith('...'));
    assert.ok(d.stringWidth(lines[2], 'normal') <= 40);
    const many = wrapText(d, 'a\nb\nc\nd', 'normal', 100, 2);
    assert.deepEqual(many, ['a', 'b...']);
    const huge = wrapText(d, 'x'.repeat(100000), 'small', 300, 30);
    assert.equal(huge.length, 30, 'a huge message costs a bounded layout');
  });

  it('fits one line with "..." when it is too wide', () => {
    assert.equal(fitText(d, 'short', 'normal', 100), 'short');
    const t = fitText(d, 'a rather long line of text', 'normal', 80);
    assert.equal(t, 'a rathe...');
    assert.ok(d.stringWidth(t, 'normal') <= 80);
    assert.equal(fitText(d, 'abc', 'normal', 10), '');
  });

  it('formats times as the day local to the UTC offset: HH:MM today, DD.MM. before', () => {
    const now = Date.UTC(2026, 9, 14, 21, 30);
    assert.equal(formatTime(Date.UTC(2026, 9, 14, 9, 5), now, 0), '09:05');
    assert.equal(formatTime(Date.UTC(2026, 9, 14, 9, 5), now, 120), '11:05');
    // 23:30 UTC is already the next day at UTC+2.
    assert.equal(formatTime(Date.UTC(2026, 9, 13, 23, 30), now, 120), '01:30');
    assert.equal(formatTime(Date.UTC(2026, 9, 13, 23, 30), now, 0), '13.10.');
    assert.equal(formatTime(Date.UTC(2026, 1, 28, 12, 0), now, -300), '28.02.');
    assert.equal(formatTime(0, now, 0), '');
  });

  it('computes calendar dates like the JavaScript Date does, across leap years and centuries', () => {
    for (let day = -800000; day < 800000; day += 997) {
      const ref = new Date(day * 86400000);
      assert.deepEqual(civilDate(day), { year: ref.getUTCFullYear(), month: ref.getUTCMonth() + 1, day: ref.getUTCDate() }, 'day ' + day);
    }
    assert.deepEqual(civilDate(0), { year: 1970, month: 1, day: 1 });
    assert.deepEqual(civilDate(11016), { year: 2000, month: 2, day: 29 });
  });

  it('formats durations for a person', () => {
    assert.equal(formatDuration(400), '1 s');
    assert.equal(formatDuration(30000), '30 s');
    assert.equal(formatDuration(61000), '2 min');
    assert.equal(formatDuration(3600000 * 2), '2 h');
    assert.equal(repeatChar('*', 4), '****');
    assert.equal(repeatChar('*', 0), '');
  });
});
