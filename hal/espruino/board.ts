/**
 * What an Espruino board file (boards/<name>.ts) declares beyond the generic BoardDescriptor:
 * its pins, with the document they were taken from, and which driver each HAL part uses. The
 * device HAL (hal/espruino/hal.ts) is composed from this and nothing else, so a new board of
 * the same family is one new descriptor.
 */
import type { BoardDescriptor } from '../../boards/board';

/** A bitmap font of the firmware's Graphics and the integer scale it is drawn at. */
export interface BoardFont {
  readonly name: string;
  readonly scale: number;
}

export interface St7789Panel {
  readonly cs: number;
  readonly dc: number;
  /** Hardware reset pin, -1 when the panel has none (a software reset is sent anyway). */
  readonly reset: number;
  /** Visible size in the mounted orientation. */
  readonly width: number;
  readonly height: number;
  /** Offsets of the visible window in the controller's 240x320 memory. */
  readonly colstart: number;
  readonly rowstart: number;
  /** MADCTL (0x36) value: orientation and RGB/BGR order. */
  readonly madctl: number;
  /** IPS panels need colour inversion on (INVON, 0x21). */
  readonly invert: boolean;
  /** SPI clock for the panel, Hz. */
  readonly baud: number;
  readonly fonts: { readonly small: BoardFont; readonly normal: BoardFont; readonly large: BoardFont };
}

export type BacklightDriver =
  /** A 16-step pulse-counting backlight chip on one GPIO (the T-Deck family). */
  | { readonly driver: 'pulse16'; readonly pin: number }
  /** A PWM-dimmed backlight transistor. */
  | { readonly driver: 'pwm'; readonly pin: number };

export type InputDriver =
  /**
   * The T-Deck keyboard (an ESP32-C3 answering one key byte per I2C read at `address`) and the
   * trackball's four direction lines plus its click button, each pulsing per step.
   */
  | {
      readonly driver: 'tdeck-keyboard';
      readonly address: number;
      /** The keyboard controller pulls this low when a key is waiting; -1 to poll only. */
      readonly interruptPin: number;
      readonly pollMs: number;
      readonly trackball: { readonly up: number; readonly down: number; readonly left: number; readonly right: number; readonly press: number };
    }
  /** Push buttons to ground (internal pull-ups), each producing one event, plus optional CST816 swipes. */
  | {
      readonly driver: 'buttons';
      readonly buttons: ReadonlyArray<{ readonly pin: number; readonly key: string }>;
      readonly touch: { readonly address: number; readonly interruptPin: number } | null;
    };

export type PowerDriver =
  /** Battery voltage through a resistor divider into an ADC pin. */
  | { readonly driver: 'adc-divider'; readonly pin: number; readonly ratio: number; readonly fullScaleMv: number }
  /** An SY6970 (BQ25895-compatible) charger on the I2C bus: battery voltage and charge state. */
  | { readonly driver: 'sy6970'; readonly address: number }
  | { readonly driver: 'none' };

export interface EspruinoBoard extends BoardDescriptor {
  readonly backend: 'espruino';
  /** Where the pins below come from (schematic or the vendor's pin header), for review. */
  readonly pinSource: string;
  /** Drive high before anything else to power the peripherals, -1 when the board has no such switch. */
  readonly powerOnPin: number;
  /** The SPI bus the panel and the SD card share. */
  readonly spi: { readonly sck: number; readonly mosi: number; readonly miso: number };
  /** Chip-selects of other devices on the bus, held high so they never answer (the T-Deck's LoRa radio). */
  readonly idleChipSelects: ReadonlyArray<number>;
  readonly panel: St7789Panel;
  readonly backlight: BacklightDriver;
  /** SD card in SPI mode on the shared bus; mountBaud is used until the card has been mounted. */
  readonly sd: { readonly cs: number; readonly baud: number; readonly mountBaud: number } | null;
  readonly i2c: { readonly sda: number; readonly scl: number; readonly bitrate: number } | null;
  readonly input: InputDriver;
  readonly power: PowerDriver;
  /** PSRAM lets Espruino reach its 16,383-variable cap (espruino-target.md §2.2). */
  readonly psram: boolean;
}
