/**
 * LilyGo T-Deck Plus: ESP32-S3 (240 MHz, 16 MB flash, 8 MB octal PSRAM), ST7789 320x240 on
 * SPI, the BB Q20 keyboard controller on I2C 0x55, a trackball, microSD on the panel's SPI bus,
 * an SX1262 LoRa radio on the same bus (unused, held deselected), GPS (unused), no camera: links
 * are pasted or typed, never scanned.
 *
 * Pins: LilyGo's T-Deck repository, examples/UnitTest/utilities.h (Xinyuan-LilyGO/T-Deck; the
 * Plus keeps the T-Deck's pin map), cross-checked with shared/spec/reference-device.md §2. The
 * trackball directions follow the TDECK_TRACKBALL_* names used by third-party T-Deck ports
 * (up G01 = GPIO 3, right G02 = 2, down G03 = 15, left G04 = 1). The backlight is the 16-step
 * pulse-counting driver on GPIO 42 of LilyGo's examples; battery voltage is GPIO 4 through a
 * 1:2 divider. Unconfirmed on hardware by this project: the panel's MADCTL (landscape, RGB
 * order) and inversion, which vary between T-Deck batches.
 */
import type { EspruinoBoard } from '../hal/espruino/board';

export const tDeckPlus: EspruinoBoard = {
  name: 't-deck-plus',
  description: 'LilyGo T-Deck Plus (ESP32-S3, 8 MB PSRAM, ST7789 320x240, keyboard, trackball, microSD; no camera)',
  display: { width: 320, height: 240, controller: 'st7789' },
  keyboard: 'i2c-bbq20',
  camera: false,
  backend: 'espruino',
  pinSource: 'Xinyuan-LilyGO/T-Deck examples/UnitTest/utilities.h',
  powerOnPin: 10,
  spi: { sck: 40, mosi: 41, miso: 38 },
  idleChipSelects: [9],
  panel: {
    cs: 12,
    dc: 11,
    reset: -1,
    width: 320,
    height: 240,
    colstart: 0,
    rowstart: 0,
    // MV | MX: the 240x320 portrait controller memory shown landscape, RGB order.
    madctl: 0x60,
    invert: true,
    baud: 40000000,
    fonts: { small: { name: '6x8', scale: 1 }, normal: { name: '6x8', scale: 2 }, large: { name: '6x8', scale: 3 } },
  },
  backlight: { driver: 'pulse16', pin: 42 },
  sd: { cs: 39, baud: 20000000, mountBaud: 400000 },
  i2c: { sda: 18, scl: 8, bitrate: 400000 },
  input: {
    driver: 'tdeck-keyboard',
    address: 0x55,
    interruptPin: 46,
    pollMs: 40,
    trackball: { up: 3, down: 15, left: 1, right: 2, press: 0 },
  },
  power: { driver: 'adc-divider', pin: 4, ratio: 2, fullScaleMv: 3300 },
  psram: true,
};
