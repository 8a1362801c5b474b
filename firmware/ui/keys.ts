import type { InputEvent } from '../../hal/input';

/**
 * What an input event means for navigation, so every screen treats the keyboard and the
 * trackball the same way: a roll up is the Up key, a trackball press is Enter.
 * - 'char': a printable character (event.key holds it)
 * - 'back': Escape; screens with no text field also go back on 'left'
 */
export type NavKey = 'up' | 'down' | 'left' | 'right' | 'enter' | 'back' | 'tab' | 'backspace' | 'char' | 'other';

export function navKey(e: InputEvent): NavKey {
  if (e.type === 'press') return 'enter';
  if (e.type === 'move') {
    // A diagonal roll counts as vertical: lists scroll far more often than anything moves sideways.
    if (e.dy < 0) return 'up';
    if (e.dy > 0) return 'down';
    if (e.dx < 0) return 'left';
    if (e.dx > 0) return 'right';
    return 'other';
  }
  switch (e.key) {
    case 'Up':
      return 'up';
    case 'Down':
      return 'down';
    case 'Left':
      return 'left';
    case 'Right':
      return 'right';
    case 'Enter':
      return 'enter';
    case 'Escape':
      return 'back';
    case 'Tab':
      return 'tab';
    case 'Backspace':
      return 'backspace';
    default:
      break;
  }
  return isPrintable(e.key) ? 'char' : 'other';
}

/** One character a text field accepts: anything from space up, except DEL and C1 controls. */
export function isPrintable(key: string): boolean {
  if (key.length !== 1) return false;
  const c = key.charCodeAt(0);
  return c >= 0x20 && c !== 0x7f && (c < 0x80 || c > 0x9f);
}
