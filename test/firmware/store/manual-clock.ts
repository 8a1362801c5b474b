import type { Clock, TimerHandle } from '../../../hal/clock';

/** A Clock that moves only when told to; `reboot()` restarts monotonic time at 0, as a reset does. */
export class ManualClock implements Clock {
  private mono = 0;
  private wall = 1700000000000;
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
  reboot(): void {
    this.mono = 0;
  }
  setTimer(): TimerHandle {
    throw new Error('the store sets no timers');
  }
  cancelTimer(): void {}
}
