/** The simulator's battery: a fixed reading, settable by the page or a test. */
import type { BatteryStatus, Power } from '../power';

export class FixedPower implements Power {
  status: BatteryStatus = { percent: 87, millivolts: 4012, charging: false };

  battery(): BatteryStatus {
    return this.status;
  }
}
