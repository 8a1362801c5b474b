/**
 * Keyboard and trackball events. One flat shape for every event keeps allocation
 * and property lookups cheap on Espruino.
 *
 * - type 'key': `key` is a single printable character ("a", "A", "7", " ") or a named key:
 *   "Enter", "Backspace", "Escape", "Tab", "Up", "Down", "Left", "Right", "Symbol", "Alt".
 * - type 'move': a trackball step; dx, dy in {-1, 0, 1} (several events for a fast roll).
 * - type 'press': the trackball button.
 */
export interface InputEvent {
  readonly type: 'key' | 'move' | 'press';
  readonly key: string;
  readonly dx: number;
  readonly dy: number;
}

export interface Input {
  /** Installs the single event handler (replacing any earlier one). */
  setHandler(handler: (event: InputEvent) => void): void;
}
