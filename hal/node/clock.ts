import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../clock';

/**
 * Node's setTimeout stores the delay in a signed 32-bit field: anything longer (about 24.8 days)
 * fires after 1 ms instead, with only a warning. Longer timers are re-armed in steps of this size.
 */
const MAX_NODE_DELAY = 0x7fffffff;

/** The Clock of the desktop simulator: Date for wall time, the process's monotonic clock for the rest. */
export function createNodeClock(): Clock {
  // Live timers by id; a fired or cancelled timer is removed, which makes cancelTimer idempotent.
  const timers = new Map<number, NodeJS.Timeout>();
  let nextId = 1;

  function arm(id: number, fn: () => void, deadline: number): void {
    const remaining = deadline - performance.now();
    const step = remaining > MAX_NODE_DELAY ? MAX_NODE_DELAY : remaining > 0 ? remaining : 0;
    timers.set(
      id,
      setTimeout(() => {
        if (!timers.has(id)) return;
        // Also re-arm when a long timer is only part-way, and when Node fired a little early:
        // libuv schedules on a cached millisecond clock, so a timer can run up to ~1 ms before
        // performance.now() reaches the deadline. fn must see monotonic() >= its deadline.
        if (performance.now() < deadline) {
          arm(id, fn, deadline);
          return;
        }
        timers.delete(id);
        fn();
      }, step),
    );
  }

  return {
    now(): number {
      return Date.now();
    },
    monotonic(): number {
      // performance.now() counts from process start on a monotonic source (never NTP-adjusted).
      return performance.now();
    },
    setTimer(fn: () => void, ms: number): TimerHandle {
      const id = nextId++;
      // NaN, negative and infinite delays: NaN/negative fire at once, Infinity never arrives.
      const delay = ms > 0 ? ms : 0;
      if (delay === Infinity) return { id };
      arm(id, fn, performance.now() + delay);
      return { id };
    },
    cancelTimer(handle: TimerHandle): void {
      const timer = timers.get(handle.id);
      if (timer !== undefined) {
        clearTimeout(timer);
        timers.delete(handle.id);
      }
    },
  };
}
