/**
 * LilyGo T-CameraPlus-S3 (board revision V1.2): ESP32-S3 with 16 MB flash and 8 MB PSRAM, an
 * OV2640 camera, a 1.3-inch ST7789 240x240 panel and a microSD slot sharing one SPI bus (as on
 * the T-Deck), a CST816 touch controller and an SY6970 charger on I2C, one user button. It is
 * the camera board: links are joined by scanning their QR code on the device (the native layer
 * drives the OV2640 and decodes; hal/native-api.ts NativeCamera). There is no keyboard.
 *
 * Pins: LilyGo's T-CameraPlus-S3 repository, libraries/private_library/pin_config.h, the
 * T_CameraPlus_S3_V1_2 block (SPI 35/34/48, LCD CS 36 DC 45 BL 46, SD CS 21, I2C SDA 33 SCL 37,
 * touch INT 47 at 0x15, SY6970 at 0x6A, KEY1 on GPIO 17; camera XCLK 7, SIOD 1, SIOC 2, D2..D9
 * 12 14 15 13 11 9 8 6, VSYNC 3, HREF 5, PCLK 10, PWDN 4, used by the native camera driver).
 * Earlier V1.0/V1.1 boards use other pins and are not covered. The panel controller is an
 * ST7789 (the repository's TFT_eSPI Setup304 for this panel). Unconfirmed on hardware by this
 * project: MADCTL/inversion and the backlight's PWM polarity.
 */
import type { EspruinoBoard } from '../hal/espruino/board';

/** Camera wiring for the native OV2640 driver (not used by JavaScript, recorded for review). */
export const T_CAMERA_PLUS_S3_CAMERA_PINS = {
  xclk: 7, siod: 1, sioc: 2, pwdn: 4, reset: -1, vsync: 3, href: 5, pclk: 10,
  d2: 12, d3: 14, d4: 15, d5: 13, d6: 11, d7: 9, d8: 8, d9: 6,
} as const;

export const tCameraPlusS3: EspruinoBoard = {
  name: 't-camera-plus-s3',
  description: 'LilyGo T-CameraPlus-S3 V1.2 (ESP32-S3, 8 MB PSRAM, OV2640 camera, ST7789 240x240, microSD; QR scanning, no keyboard)',
  display: { width: 240, height: 240, controller: 'st7789' },
  keyboard: 'none',
  camera: true,
  backend: 'espruino',
  pinSource: 'Xinyuan-LilyGO/T-CameraPlus-S3 libraries/private_library/pin_config.h (T_CameraPlus_S3_V1_2)',
  powerOnPin: -1,
  spi: { sck: 35, mosi: 34, miso: 48 },
  idleChipSelects: [],
  panel: {
    cs: 36,
    dc: 45,
    reset: -1,
    width: 240,
    height: 240,
    colstart: 0,
    rowstart: 0,
    madctl: 0x00,
    invert: true,
    baud: 40000000,
    fonts: { small: { name: '6x8', scale: 1 }, normal: { name: '6x8', scale: 2 }, large: { name: '6x8', scale: 3 } },
  },
  backlight: { driver: 'pwm', pin: 46 },
  sd: { cs: 21, baud: 20000000, mountBaud: 400000 },
  i2c: { sda: 33, scl: 37, bitrate: 400000 },
  input: {
    driver: 'buttons',
    buttons: [{ pin: 17, key: 'press' }],
    touch: { address: 0x15, interruptPin: 47 },
  },
  power: { driver: 'sy6970', address: 0x6a },
  psram: true,
};
