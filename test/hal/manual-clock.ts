/**
 * A Clock (hal/clock.ts) that moves only when a test says so. Timers fire in deadline order
 * (ties in the order they were set), each with monotonic() reading its deadline, and timers set
 * by a firing timer fire in the same advance() when they fall due within it. Shared by every
 * test that needs to control time.
 */
import type { Clock, TimerHandle } from '../../hal/clock';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualClock implements Clock {
  private time = 0;
  readonly epochMs: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(epochMs: number = 1700000000000) {
    this.epochMs = epochMs;
  }

  now(): number {
    return this.epochMs + this.time;
  }

  monotonic(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const delay = ms > 0 ? ms : 0;
    this.timers.push({ id, at: this.time + delay, fn });
    return { id };
  }

  cancelTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.earliest();
      if (next === null || next.at > target) break;
      this.timers = this.timers.filter((t) => t.id !== next.id);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
  }

  /** Live timers. */
  pendingTimers(): number {
    return this.timers.length;
  }

  pending(): number {
    return this.timers.length;
  }

  /** Milliseconds until the next timer is due, or null when none is set. */
  nextDelay(): number | null {
    const next = this.earliest();
    return next === null ? null : next.at - this.time;
  }

  private earliest(): Timer | null {
    let best: Timer | null = null;
    for (const t of this.timers) if (best === null || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  }
}
