export interface BatteryStatus {
  /** 0..100, or -1 when the board cannot measure it (never a made-up number). */
  readonly percent: number;
  /** Battery voltage in millivolts, or -1 when unknown. */
  readonly millivolts: number;
  readonly charging: boolean;
}

export interface Power {
  battery(): BatteryStatus;
}
