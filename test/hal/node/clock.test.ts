import assert from 'node:assert/strict';
import { createNodeClock } from '../../../hal/node/clock';
import type { TimerHandle } from '../../../hal/clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hal/node/clock', () => {
  const clock = createNodeClock();
  const live: TimerHandle[] = [];
  afterEach(() => {
    while (live.length > 0) clock.cancelTimer(live.pop()!);
  });

  it('now() is the wall clock in epoch milliseconds', () => {
    const before = Date.now();
    const t = clock.now();
    const after = Date.now();
    assert.ok(t >= before && t <= after);
  });

  it('monotonic() never goes backwards and follows real time', async () => {
    let last = clock.monotonic();
    for (let i = 0; i < 100000; i++) {
      const t = clock.monotonic();
      assert.ok(t >= last, 'went backwards at call ' + i);
      last = t;
    }
    const a = clock.monotonic();
    await sleep(50);
    const elapsed = clock.monotonic() - a;
    assert.ok(elapsed >= 45 && elapsed < 1000, 'elapsed ' + elapsed);
  });

  it('setTimer fires once, not early, in deadline order', async () => {
    const fired: string[] = [];
    const start = clock.monotonic();
    let late = -1;
    live.push(clock.setTimer(() => fired.push('late'), 60));
    live.push(clock.setTimer(() => {
      fired.push('early');
      late = clock.monotonic() - start;
    }, 20));
    live.push(clock.setTimer(() => fired.push('zero'), 0));
    await sleep(150);
    assert.deepEqual(fired, ['zero', 'early', 'late']);
    assert.ok(late >= 20, 'fired after ' + late + ' ms: a timer never runs before monotonic() reaches its deadline');
  });

  it('cancelTimer stops a pending timer and is a no-op otherwise', async () => {
    let count = 0;
    const a = clock.setTimer(() => count++, 20);
    const b = clock.setTimer(() => count++, 10);
    assert.notEqual(a.id, b.id);
    clock.cancelTimer(a);
    clock.cancelTimer(a);
    await sleep(60);
    assert.equal(count, 1);
    clock.cancelTimer(b); // already fired
    clock.cancelTimer({ id: 987654 }); // never existed
    await sleep(20);
    assert.equal(count, 1);
  });

  it('treats negative and NaN delays as zero, and lets a timer schedule the next', async () => {
    const fired: string[] = [];
    live.push(clock.setTimer(() => fired.push('negative'), -5));
    live.push(clock.setTimer(() => fired.push('nan'), NaN));
    live.push(clock.setTimer(() => {
      fired.push('first');
      live.push(clock.setTimer(() => fired.push('second'), 5));
    }, 5));
    await sleep(80);
    assert.deepEqual(fired, ['negative', 'nan', 'first', 'second']);
  });

  it('does not fire delays beyond 2^31 - 1 ms early (Node would after 1 ms)', async () => {
    let fired = 0;
    live.push(clock.setTimer(() => fired++, 2147483647 + 1000));
    live.push(clock.setTimer(() => fired++, 30 * 86400000));
    live.push(clock.setTimer(() => fired++, Infinity));
    await sleep(50);
    assert.equal(fired, 0);
  });
});
