/**
 * The device Clock over Espruino's system time and timers.
 *
 * Espruino has one clock, getTime(), and setTime() moves it (so would SNTP). The image never
 * calls either, so getTime() counts from boot and serves as the monotonic clock; wall time is
 * kept here as an offset that setWallClock() adjusts (from SNTP, a server timestamp or the
 * user), which keeps timeouts and backoff immune to clock changes. Until it is set, now()
 * returns time since boot as if the device had booted at the epoch, and wallClockSet() says so.
 */
import type { Clock, TimerHandle } from '../clock';

export interface EspruinoTimers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

export interface EspruinoClock extends Clock {
  /** Sets wall time to `epochMs` now; monotonic time is unaffected. */
  setWallClock(epochMs: number): void;
  wallClockSet(): boolean;
}

/** Espruino's timers take a 32-bit delay safely; longer waits re-arm in steps. */
const MAX_DELAY = 0x7fffffff;

export function createEspruinoClock(timers: EspruinoTimers, seconds: () => number): EspruinoClock {
  const start = seconds() * 1000;
  let last = 0;
  let wallOffset = 0;
  let wallSet = false;
  // Live timers by handle id; a fired or cancelled timer is removed, so cancelTimer is idempotent.
  const live: { [id: number]: number } = {};
  let nextId = 1;

  function monotonic(): number {
    const t = seconds() * 1000 - start;
    // Never backwards, even if something calls setTime() behind our back.
    if (t > last) last = t;
    return last;
  }

  function arm(id: number, fn: () => void, deadline: number): void {
    const remaining = deadline - monotonic();
    const step = remaining > MAX_DELAY ? MAX_DELAY : remaining > 0 ? remaining : 0;
    live[id] = timers.setTimeout(() => {
      if (live[id] === undefined) return;
      if (monotonic() < deadline) {
        arm(id, fn, deadline);
        return;
      }
      delete live[id];
      fn();
    }, step);
  }

  return {
    now(): number {
      return wallOffset + monotonic();
    },
    monotonic,
    setTimer(fn: () => void, ms: number): TimerHandle {
      const id = nextId++;
      const delay = ms > 0 ? ms : 0;
      if (delay === Infinity) return { id };
      arm(id, fn, monotonic() + delay);
      return { id };
    },
    cancelTimer(handle: TimerHandle): void {
      const t = live[handle.id];
      if (t !== undefined) {
        timers.clearTimeout(t);
        delete live[handle.id];
      }
    },
    setWallClock(epochMs: number): void {
      wallOffset = epochMs - monotonic();
      wallSet = true;
    },
    wallClockSet: (): boolean => wallSet,
  };
}
