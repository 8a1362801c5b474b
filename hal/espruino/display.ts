/**
 * The device Display: hal/display.ts over an Espruino Graphics drawn straight onto an ST7789
 * panel through the firmware's LCD_SPI_UNBUF driver (`require("lcd_spi_unbuf").connect`).
 *
 * Why unbuffered: a 320x240 RGB565 off-screen buffer is 150 KB, two thirds of Espruino's whole
 * variable space (16,383 x 14 bytes). So primitives reach the panel as they are drawn, and
 * flip() only flushes the driver's pending window. Every primitive is one native call; nothing
 * here loops over pixels. Each call runs inside the shared SPI bus (spi-bus.ts).
 */
import type { Display, FontName, Image } from '../display';
import type { BacklightDriver, BoardFont, St7789Panel } from './board';
import type { SpiBus } from './spi-bus';

/** ST7789 commands used at power-on (Sitronix ST7789V datasheet, section 9.1). */
const SWRESET = 0x01;
const SLPOUT = 0x11;
const NORON = 0x13;
const INVOFF = 0x20;
const INVON = 0x21;
const DISPON = 0x29;
const MADCTL = 0x36;
const COLMOD = 0x3a;
/** COLMOD argument: 16 bits per pixel, RGB565. */
const COLMOD_RGB565 = 0x55;

/** Blocks for `ms`: only used during panel start-up, where the datasheet requires pauses. */
export type Wait = (ms: number) => void;

/**
 * The panel's power-on sequence: reset, wake, pixel format, orientation, inversion, display on.
 * Exported as data so the test can check it against the datasheet without a panel.
 */
export function st7789InitSequence(panel: St7789Panel): Array<{ command: number; data: number[]; waitMs: number }> {
  return [
    // SWRESET needs 5 ms before the next command and 120 ms before SLPOUT.
    { command: SWRESET, data: [], waitMs: 150 },
    // SLPOUT: 5 ms before the next command; 120 ms before a later SLPIN.
    { command: SLPOUT, data: [], waitMs: 120 },
    { command: COLMOD, data: [COLMOD_RGB565], waitMs: 0 },
    { command: MADCTL, data: [panel.madctl], waitMs: 0 },
    { command: panel.invert ? INVON : INVOFF, data: [], waitMs: 0 },
    { command: NORON, data: [], waitMs: 10 },
    { command: DISPON, data: [], waitMs: 20 },
  ];
}

export function initSt7789(spi: EspruinoSpi, bus: SpiBus, panel: St7789Panel, wait: Wait): void {
  if (panel.reset >= 0) {
    digitalWrite(panel.reset, 0);
    wait(10);
    digitalWrite(panel.reset, 1);
    wait(120);
  }
  const steps = st7789InitSequence(panel);
  bus.use('panel', () => {
    for (let i = 0; i < steps.length; i++) {
      digitalWrite(panel.dc, 0);
      spi.write([steps[i].command], panel.cs);
      digitalWrite(panel.dc, 1);
      if (steps[i].data.length > 0) spi.write(steps[i].data, panel.cs);
      if (steps[i].waitMs > 0) wait(steps[i].waitMs);
    }
  });
}

/**
 * The pulse train that sets a 16-step pulse-counting backlight to `level` (1..16): hold the
 * line low past the 2.5 ms shutdown time, raise it (full brightness), then one short low pulse
 * per step down. digitalPulse times alternate low/high starting low, in milliseconds, and the
 * line is left high. Level 0 is just the shutdown (an empty train here).
 */
export function backlightPulses(level: number): number[] {
  if (level <= 0) return [];
  const steps = 16 - level;
  const times: number[] = [3];
  for (let i = 0; i < steps; i++) times.push(i === 0 ? 0.03 : 0.005, 0.005);
  return times;
}

/** Printable ASCII only: what the firmware's bitmap fonts cover; anything else becomes '?'. */
export function drawableText(text: string): string {
  let clean = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      clean = false;
      break;
    }
  }
  if (clean) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 0x20 || c > 0x7e ? '?' : text.charAt(i);
  }
  return out;
}

function imageBuffer(data: Uint8Array): ArrayBuffer {
  // A view into a larger buffer would make Graphics read the wrong bytes: copy it out.
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer as ArrayBuffer;
  return new Uint8Array(data).buffer as ArrayBuffer;
}

export function createEspruinoDisplay(g: EspruinoGraphics, bus: SpiBus, panel: St7789Panel, backlight: BacklightDriver): Display {
  function font(name: FontName): BoardFont {
    return name === 'small' ? panel.fonts.small : name === 'large' ? panel.fonts.large : panel.fonts.normal;
  }

  function setFont(name: FontName): void {
    const f = font(name);
    g.setFont(f.name, f.scale);
  }

  return {
    width: panel.width,
    height: panel.height,
    fillRect(x: number, y: number, width: number, height: number, color: number): void {
      if (width <= 0 || height <= 0) return;
      bus.use('panel', () => {
        g.setColor(color & 0xffff);
        g.fillRect(x, y, x + width - 1, y + height - 1);
      });
    },
    drawString(text: string, x: number, y: number, fontName: FontName, color: number, bg: number): void {
      const s = drawableText(text);
      bus.use('panel', () => {
        setFont(fontName);
        g.setColor(color & 0xffff);
        if (bg >= 0) g.setBgColor(bg & 0xffff);
        g.drawString(s, x, y, bg >= 0);
      });
    },
    stringWidth(text: string, fontName: FontName): number {
      setFont(fontName);
      return g.stringWidth(drawableText(text));
    },
    fontHeight(fontName: FontName): number {
      setFont(fontName);
      return g.getFontHeight();
    },
    drawImage(image: Image, x: number, y: number, scale: number, color: number, bg: number): void {
      const s = scale >= 1 ? Math.floor(scale) : 1;
      bus.use('panel', () => {
        if (image.bpp === 1) {
          const transparent = bg < 0;
          g.drawImage(
            {
              width: image.width,
              height: image.height,
              bpp: 1,
              buffer: imageBuffer(image.data),
              palette: new Uint16Array([transparent ? 0 : bg & 0xffff, color & 0xffff]),
              transparent: transparent ? 0 : undefined,
            },
            x,
            y,
            { scale: s },
          );
        } else {
          g.drawImage({ width: image.width, height: image.height, bpp: 16, buffer: imageBuffer(image.data) }, x, y, { scale: s });
        }
      });
    },
    flip(): void {
      bus.use('panel', () => g.flip());
    },
    setBacklight(level: number): void {
      const l = level > 1 ? 1 : level > 0 ? level : 0;
      if (backlight.driver === 'pwm') {
        analogWrite(backlight.pin, l, { freq: 1000 });
        return;
      }
      const steps = Math.round(l * 16);
      digitalWrite(backlight.pin, 0);
      const pulses = backlightPulses(steps);
      if (pulses.length > 0) digitalPulse(backlight.pin, 0, pulses);
    },
  };
}
