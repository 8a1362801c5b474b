/**
 * The device Notifier. Neither board in boards/ drives a sounder yet (the T-Deck's I2S
 * amplifier needs an audio path in the native layer), so alerts are silent; waking the screen
 * restores the backlight level last set by the UI.
 */
import type { Notifier, NotifyPattern } from '../notifier';

export function createEspruinoNotifier(wake: () => void): Notifier {
  return {
    alert(pattern: NotifyPattern): void {
      // Silent by design on these boards (see above); the pattern is accepted and dropped.
      if (pattern === 'error') wake();
    },
    wakeScreen(): void {
      wake();
    },
  };
}
