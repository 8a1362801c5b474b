/**
 * A Clock that moves only when the test says so: advance(ms) fires every timer that falls due,
 * in deadline order (ties in the order they were set), including timers set while firing.
 */
import type { Clock, TimerHandle } from '../../../hal/clock';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualClock implements Clock {
  private time = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  readonly epochMs: number;

  constructor(epochMs: number = Date.UTC(2026, 9, 14, 9, 30, 0)) {
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
    this.timers.push({ id, at: this.time + (ms > 0 ? ms : 0), fn });
    return { id };
  }

  cancelTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Timer | null = null;
      for (const t of this.timers) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      const fire = next;
      this.timers = this.timers.filter((t) => t.id !== fire.id);
      if (fire.at > this.time) this.time = fire.at;
      fire.fn();
    }
    this.time = end;
  }
}
