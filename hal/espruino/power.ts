/**
 * The device Power backend: battery voltage from an ADC divider (T-Deck, GPIO 4 through a 1:2
 * divider) or from an SY6970 charger over I2C (T-CameraPlus-S3). Percentages come from a LiPo
 * discharge table; where the hardware cannot tell, the interface's -1 is returned, never a
 * made-up number.
 */
import type { BatteryStatus, Power } from '../power';
import type { PowerDriver } from './board';

/**
 * Open-circuit voltage of a single-cell LiPo against remaining charge, a typical curve (under
 * load the reading sags, so the percentage is an estimate and is labelled as such in the UI).
 */
const LIPO_CURVE: Array<[number, number]> = [
  [4200, 100], [4100, 90], [4000, 80], [3900, 65], [3800, 50], [3750, 40], [3700, 30], [3650, 20], [3600, 10], [3500, 5], [3300, 0],
];

/** Millivolts to 0..100 by linear interpolation on LIPO_CURVE; -1 outside a plausible cell voltage. */
export function lipoPercent(mv: number): number {
  if (!(mv >= 2500 && mv <= 4500)) return -1;
  if (mv >= LIPO_CURVE[0][0]) return 100;
  for (let i = 1; i < LIPO_CURVE.length; i++) {
    const hi = LIPO_CURVE[i - 1];
    const lo = LIPO_CURVE[i];
    if (mv >= lo[0]) return Math.round(lo[1] + ((mv - lo[0]) * (hi[1] - lo[1])) / (hi[0] - lo[0]));
  }
  return 0;
}

/** SY6970 registers (BQ25895-compatible map): ADC control, charge status, battery voltage. */
const SY6970_REG_ADC = 0x02;
const SY6970_ADC_START_CONTINUOUS = 0xc0;
const SY6970_REG_STATUS = 0x0b;
const SY6970_REG_BATV = 0x0e;

/** BATV register to millivolts: 2304 mV + 20 mV per step in bits 6..0. */
export function sy6970BatteryMv(reg: number): number {
  return 2304 + (reg & 0x7f) * 20;
}

/** CHRG_STAT (bits 4..3 of the status register): 1 pre-charge, 2 fast charge, 3 done. */
export function sy6970Charging(reg: number): boolean {
  const s = (reg >> 3) & 3;
  return s === 1 || s === 2;
}

const UNKNOWN: BatteryStatus = { percent: -1, millivolts: -1, charging: false };

export function createEspruinoPower(driver: PowerDriver, i2c: EspruinoI2c | null): Power {
  let adcStarted = false;
  return {
    battery(): BatteryStatus {
      if (driver.driver === 'adc-divider') {
        const mv = Math.round(analogRead(driver.pin) * driver.fullScaleMv * driver.ratio);
        // The T-Deck has no charge-status line: charging is unknown and reported as false.
        return { percent: lipoPercent(mv), millivolts: lipoPercent(mv) < 0 ? -1 : mv, charging: false };
      }
      if (driver.driver === 'sy6970' && i2c !== null) {
        try {
          if (!adcStarted) {
            i2c.writeTo(driver.address, [SY6970_REG_ADC, SY6970_ADC_START_CONTINUOUS]);
            adcStarted = true;
          }
          i2c.writeTo(driver.address, SY6970_REG_BATV);
          const mv = sy6970BatteryMv(i2c.readFrom(driver.address, 1)[0]);
          i2c.writeTo(driver.address, SY6970_REG_STATUS);
          const charging = sy6970Charging(i2c.readFrom(driver.address, 1)[0]);
          return { percent: lipoPercent(mv), millivolts: mv, charging };
        } catch (e) {
          return UNKNOWN;
        }
      }
      return UNKNOWN;
    },
  };
}
