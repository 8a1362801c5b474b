/** Attention hooks: sound, vibration and waking the screen for an incoming message. */
export type NotifyPattern = 'message' | 'error' | 'key';

export interface Notifier {
  /** Plays the pattern on whatever the board has (speaker, buzzer, motor); silent if none. */
  alert(pattern: NotifyPattern): void;
  /** Turns the display back on after a screen-off timeout. */
  wakeScreen(): void;
}
