/**
 * One SPI bus shared by the panel and the SD card (the T-Deck family wires both to SPI2).
 *
 * The C reference device froze until it put display and SD behind one mutex
 * (reference-device.md §2). On Espruino every Graphics and fs call is synchronous and completes
 * its SPI transaction before returning, so transfers cannot interleave; what still has to be
 * serialised is the bus configuration: the panel runs at 40 MHz, the card far slower (400 kHz
 * until it is mounted). use() reconfigures the bus when its user changes and restores the outer
 * user's clock after a nested call, so neither device ever sees the other's clock.
 */
export type SpiDevice = 'panel' | 'sd';

export interface SpiBus {
  /** Runs `fn` with the bus configured for `device`; returns what `fn` returns. */
  use<T>(device: SpiDevice, fn: () => T): T;
  /** The card has been mounted: later SD use runs at its full clock. */
  sdMounted(): void;
}

export interface SpiPins {
  sck: number;
  mosi: number;
  miso: number;
}

export interface SpiClocks {
  panel: number;
  sd: number;
  sdMount: number;
}

export function createSpiBus(spi: EspruinoSpi, pins: SpiPins, clocks: SpiClocks): SpiBus {
  let current: SpiDevice | null = null;
  let mounted = false;
  let depth = 0;

  function configure(device: SpiDevice): void {
    const baud = device === 'panel' ? clocks.panel : mounted ? clocks.sd : clocks.sdMount;
    spi.setup({ sck: pins.sck, mosi: pins.mosi, miso: pins.miso, baud, mode: 0 });
    current = device;
  }

  return {
    use<T>(device: SpiDevice, fn: () => T): T {
      const outer = depth > 0 ? current : null;
      if (current !== device) configure(device);
      depth++;
      try {
        return fn();
      } finally {
        depth--;
        if (outer !== null && current !== outer) configure(outer);
      }
    },
    sdMounted(): void {
      if (mounted) return;
      mounted = true;
      // The next SD use must pick up the faster clock.
      if (current === 'sd') current = null;
    },
  };
}
