import { ManualClock as SharedManualClock } from '../../hal/manual-clock';

/** The shared manual clock, starting at a fixed date the screen tests render (14 Oct 2026, 09:30 UTC). */
export class ManualClock extends SharedManualClock {
  constructor(epochMs: number = Date.UTC(2026, 9, 14, 9, 30, 0)) {
    super(epochMs);
  }
}
