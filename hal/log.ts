export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Field values a log record may carry. Deliberately no Uint8Array: key material,
 * plaintext and raw ids cannot be logged by accident. Log a short non-secret tag
 * (e.g. the first bytes of a public queue id, encoded by the caller) where needed.
 */
export type LogValue = string | number | boolean | null;

export interface LogFields {
  [key: string]: LogValue;
}

/** Structured logging: an event name plus flat fields; never secrets. */
export interface Log {
  write(level: LogLevel, event: string, fields?: LogFields): void;
}
