/** Opaque handle of a scheduled timer. */
export interface TimerHandle {
  readonly id: number;
}

/** Time and timers. */
export interface Clock {
  /** Wall-clock time, milliseconds since the Unix epoch. May jump when the clock is set (NTP). */
  now(): number;
  /** Milliseconds since boot. Never goes backwards; use it for timeouts, intervals and backoff. */
  monotonic(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; cancelling one that already fired or was cancelled does nothing. */
  cancelTimer(handle: TimerHandle): void;
}
