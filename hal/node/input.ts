/**
 * The simulator's keyboard and trackball: events arrive from the simulator page (or a test) and
 * go to the one handler the firmware installed, synchronously.
 *
 * The page is another process's input, so everything it sends is checked: an event that does
 * not match hal/input.ts exactly is dropped (and counted), never passed on half-formed.
 */
import type { Input, InputEvent } from '../input';

/** The named keys of hal/input.ts. */
export const NAMED_KEYS = ['Enter', 'Backspace', 'Escape', 'Tab', 'Up', 'Down', 'Left', 'Right', 'Symbol', 'Alt'];

/** A browser KeyboardEvent.key value -> the HAL's key name, or null for keys the device lacks. */
export function keyFromBrowser(key: string): string | null {
  switch (key) {
    case 'ArrowUp':
      return 'Up';
    case 'ArrowDown':
      return 'Down';
    case 'ArrowLeft':
      return 'Left';
    case 'ArrowRight':
      return 'Right';
    case 'Enter':
    case 'Backspace':
    case 'Escape':
    case 'Tab':
      return key;
    case 'Alt':
    case 'AltGraph':
      return 'Alt';
    case 'Control':
      return 'Symbol';
    default:
      return isPrintableKey(key) ? key : null;
  }
}

function isPrintableKey(key: string): boolean {
  if (key.length !== 1) return false;
  const c = key.charCodeAt(0);
  return c >= 0x20 && c !== 0x7f && (c < 0x80 || c > 0x9f);
}

function isStep(n: unknown): n is number {
  return n === -1 || n === 0 || n === 1;
}

/**
 * Checks a message from the page and returns the event it describes, or null. Accepted shapes:
 * {type:'key', key}, {type:'move', dx, dy} (each -1, 0 or 1, not both 0), {type:'press'}.
 */
export function parseInputEvent(msg: unknown): InputEvent | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as { type?: unknown; key?: unknown; dx?: unknown; dy?: unknown };
  if (m.type === 'key') {
    if (typeof m.key !== 'string') return null;
    if (NAMED_KEYS.indexOf(m.key) < 0 && !isPrintableKey(m.key)) return null;
    return { type: 'key', key: m.key, dx: 0, dy: 0 };
  }
  if (m.type === 'move') {
    if (!isStep(m.dx) || !isStep(m.dy) || (m.dx === 0 && m.dy === 0)) return null;
    return { type: 'move', key: '', dx: m.dx, dy: m.dy };
  }
  if (m.type === 'press') return { type: 'press', key: '', dx: 0, dy: 0 };
  return null;
}

export class NodeInput implements Input {
  private handler: ((event: InputEvent) => void) | null = null;
  /** Messages dropped by fromPage because they were not valid events. */
  rejected = 0;

  setHandler(handler: (event: InputEvent) => void): void {
    this.handler = handler;
  }

  /** A message from the page: delivered if valid; returns whether it was. */
  fromPage(msg: unknown): boolean {
    const e = parseInputEvent(msg);
    if (e === null) {
      this.rejected++;
      return false;
    }
    this.deliver(e);
    return true;
  }

  /** A key by its HAL name or character. */
  key(key: string): void {
    if (!this.fromPage({ type: 'key', key })) throw new RangeError('not a key the device has: ' + JSON.stringify(key));
  }

  /** Text typed (or pasted) as one key event per character; characters the device lacks are skipped. */
  typeText(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (isPrintableKey(c)) this.deliver({ type: 'key', key: c, dx: 0, dy: 0 });
    }
  }

  /** One trackball step. */
  move(dx: number, dy: number): void {
    if (!this.fromPage({ type: 'move', dx, dy })) throw new RangeError('a trackball step is -1, 0 or 1 in each direction, not both 0');
  }

  press(): void {
    this.deliver({ type: 'press', key: '', dx: 0, dy: 0 });
  }

  private deliver(e: InputEvent): void {
    if (this.handler !== null) this.handler(e);
  }
}

export function createNodeInput(): NodeInput {
  return new NodeInput();
}
