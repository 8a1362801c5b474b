/**
 * The Espruino globals hal/espruino uses, declared by hand: no typings for Espruino exist.
 * Only what the device backends call, with the shapes of Espruino 2v29 (src/jswrap_*.c,
 * libs/filesystem, libs/graphics); pins are passed as GPIO numbers, which every pin argument
 * accepts.
 *
 * Deliberately absent: `require`, `process` and the timer functions. They are also Node
 * globals, so declaring them here would collide with @types/node in the project-wide type
 * check, and tools/lint-device.ts bans them in device code because on the desktop they mean
 * Node. The image's loader (tools/device-build) hands their Espruino versions to the device
 * entry as an EspruinoBuiltins object (hal/espruino/builtins.ts) instead.
 */

/** An SPI peripheral (SPI1, SPI2, or `new SPI()` for software SPI). */
interface EspruinoSpi {
  setup(options: { sck: number; mosi: number; miso?: number; baud?: number; mode?: number; order?: 'msb' | 'lsb' }): void;
  /** Sends bytes with `cs` (if given) held low for the whole transfer. */
  write(data: Uint8Array | number[] | string | number, cs?: number): void;
}

/** An I2C peripheral (I2C1, I2C2). */
interface EspruinoI2c {
  setup(options: { sda: number; scl: number; bitrate?: number }): void;
  writeTo(address: number, data: Uint8Array | number[] | number): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

/** The subset of Espruino's Graphics the Display backend drives. */
interface EspruinoGraphics {
  getWidth(): number;
  getHeight(): number;
  /** With one argument: a colour in the Graphics' own format (RGB565 for a 16-bit LCD). */
  setColor(color: number): EspruinoGraphics;
  setBgColor(color: number): EspruinoGraphics;
  /** Inclusive corners, as Espruino takes them. */
  fillRect(x1: number, y1: number, x2: number, y2: number): EspruinoGraphics;
  /** A bitmap font name with an optional integer scale: "6x8", "6x8:2". */
  setFont(name: string, scale?: number): EspruinoGraphics;
  getFontHeight(): number;
  stringWidth(text: string): number;
  /** `solid` paints the background colour behind the glyphs. */
  drawString(text: string, x: number, y: number, solid?: boolean): EspruinoGraphics;
  drawImage(
    image: {
      width: number;
      height: number;
      bpp: number;
      buffer: ArrayBuffer;
      transparent?: number;
      palette?: Uint16Array;
    },
    x: number,
    y: number,
    options?: { scale?: number },
  ): EspruinoGraphics;
  flip(): void;
}

/** A file opened with E.openFile. read() returns an 8-bit string, or undefined at the end. */
interface EspruinoFile {
  read(length: number): string | undefined;
  /** Returns the number of bytes written; syncs the file before returning. */
  write(data: Uint8Array | string): number;
  close(): void;
}

interface EspruinoMemory {
  free: number;
  usage: number;
  total: number;
  blocksize?: number;
}

interface EspruinoE {
  /** Mounts FatFs on an SD card in SPI mode; the card is accessed on the first fs call. */
  connectSDCard(spi: EspruinoSpi, csPin: number): void;
  unmountSD(): void;
  /** Modes "r", "r+", "w", "w+", "a"; throws "Could not open file : <FatFs code>". */
  openFile(path: string, mode: string): EspruinoFile;
  /** A binary (8-bit) string or array as a new Uint8Array. */
  toUint8Array(data: string | Uint8Array | number[]): Uint8Array;
  /** Bytes as a binary string. */
  toString(data: Uint8Array): string;
  getErrorFlags(): string[];
}

declare const E: EspruinoE;
declare const SPI1: EspruinoSpi;
declare const SPI2: EspruinoSpi;
declare const I2C1: EspruinoI2c;

/** Seconds (fractional) of Espruino's system clock. */
declare function getTime(): number;
/** 0..1 of the ADC range. */
declare function analogRead(pin: number): number;
declare function analogWrite(pin: number, value: number, options?: { freq?: number }): void;
declare function digitalWrite(pin: number, value: number | boolean): void;
declare function digitalRead(pin: number): number;
/** Pulses `pin` to `value` for each time in turn (milliseconds), alternating, then leaves it at !value. */
declare function digitalPulse(pin: number, value: boolean | number, time: number | number[]): void;
declare function pinMode(pin: number, mode: 'input' | 'input_pullup' | 'input_pulldown' | 'output' | 'opendrain'): void;
declare function setWatch(
  callback: (event: { state: boolean; time: number }) => void,
  pin: number,
  options: { repeat: boolean; edge: 'rising' | 'falling' | 'both'; debounce?: number },
): number;
declare function clearWatch(id: number): void;
