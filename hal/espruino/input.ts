/**
 * The device Input: the T-Deck keyboard and trackball, or a board's push buttons (and touch
 * swipes). Every event is one flat InputEvent, delivered to the single handler.
 *
 * T-Deck keyboard: an ESP32-C3 on I2C address 0x55 that answers each one-byte read with the
 * ASCII code of the next key, or 0 when none is waiting (LilyGo T-Deck examples). It is polled
 * on a timer: a few native I2C reads a second cost far less than the interpreter's idle loop.
 * Trackball: four lines that each pulse once per step of the ball, and the click button.
 */
import type { Input, InputEvent } from '../input';
import type { InputDriver } from './board';

export interface InputTimers {
  setTimeout(fn: () => void, ms: number): number;
}

/** CST816 gesture register and its codes (Hynitron CST816S register map). */
const CST816_GESTURE = 0x01;

/** A key code from the T-Deck keyboard as the interface's key name; null for codes it has no name for. */
export function keyFromCode(code: number): string | null {
  if (code === 0x0d || code === 0x0a) return 'Enter';
  if (code === 0x08) return 'Backspace';
  if (code === 0x1b) return 'Escape';
  if (code === 0x09) return 'Tab';
  if (code >= 0x20 && code <= 0x7e) return String.fromCharCode(code);
  return null;
}

/** A CST816 gesture code as an event; null for the gestures the interface does not use. */
export function eventFromGesture(code: number): InputEvent | null {
  if (code === 0x01) return move(0, -1);
  if (code === 0x02) return move(0, 1);
  if (code === 0x03) return move(-1, 0);
  if (code === 0x04) return move(1, 0);
  if (code === 0x05) return press();
  return null;
}

function key(k: string): InputEvent {
  return { type: 'key', key: k, dx: 0, dy: 0 };
}

function move(dx: number, dy: number): InputEvent {
  return { type: 'move', key: '', dx, dy };
}

function press(): InputEvent {
  return { type: 'press', key: '', dx: 0, dy: 0 };
}

export function createEspruinoInput(driver: InputDriver, i2c: EspruinoI2c | null, timers: InputTimers): Input {
  let handler: ((event: InputEvent) => void) | null = null;

  function emit(event: InputEvent): void {
    if (handler !== null) handler(event);
  }

  function watch(pin: number, event: InputEvent, debounce: number): void {
    pinMode(pin, 'input_pullup');
    setWatch(() => emit(event), pin, { repeat: true, edge: 'falling', debounce });
  }

  if (driver.driver === 'tdeck-keyboard') {
    const kb = driver;
    const poll = (): void => {
      if (i2c !== null) {
        // Drain what is waiting, bounded so a stuck controller cannot hold the interpreter.
        for (let n = 0; n < 8; n++) {
          let code = 0;
          try {
            code = i2c.readFrom(kb.address, 1)[0];
          } catch (e) {
            break; // keyboard absent or busy; try again next tick
          }
          if (!code) break;
          const k = keyFromCode(code);
          if (k !== null) emit(key(k));
        }
      }
      timers.setTimeout(poll, kb.pollMs);
    };
    timers.setTimeout(poll, kb.pollMs);
    watch(kb.trackball.up, move(0, -1), 0);
    watch(kb.trackball.down, move(0, 1), 0);
    watch(kb.trackball.left, move(-1, 0), 0);
    watch(kb.trackball.right, move(1, 0), 0);
    watch(kb.trackball.press, press(), 50);
  } else {
    for (let i = 0; i < driver.buttons.length; i++) {
      const b = driver.buttons[i];
      watch(b.pin, b.key === 'press' ? press() : key(b.key), 50);
    }
    const touch = driver.touch;
    if (touch !== null && i2c !== null) {
      pinMode(touch.interruptPin, 'input_pullup');
      setWatch(() => {
        try {
          i2c.writeTo(touch.address, CST816_GESTURE);
          const e = eventFromGesture(i2c.readFrom(touch.address, 1)[0]);
          if (e !== null) emit(e);
        } catch (err) {
          // A missed gesture is harmless; the next touch is read again.
        }
      }, touch.interruptPin, { repeat: true, edge: 'falling', debounce: 0 });
    }
  }

  return {
    setHandler(h: (event: InputEvent) => void): void {
      handler = h;
    },
  };
}
