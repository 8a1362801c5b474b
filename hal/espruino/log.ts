/**
 * The device Log: one line per record on the console (USB serial), filtered by level. The
 * interface already keeps byte arrays out of log fields; this backend adds nothing else.
 */
import type { Log, LogFields, LogLevel } from '../log';

const RANK: { [level: string]: number } = { debug: 0, info: 1, warn: 2, error: 3 };

export function formatLine(uptimeMs: number, level: LogLevel, event: string, fields?: LogFields): string {
  let line = (uptimeMs / 1000).toFixed(3) + ' ' + level + ' ' + event;
  if (fields) {
    // Log fields are plain object literals: no inherited keys to filter out.
    for (const k in fields) line += ' ' + k + '=' + JSON.stringify(fields[k]);
  }
  return line;
}

export function createEspruinoLog(print: (line: string) => void, uptimeMs: () => number, level: LogLevel): Log {
  const min = RANK[level];
  return {
    write(l: LogLevel, event: string, fields?: LogFields): void {
      if (RANK[l] < min) return;
      print(formatLine(uptimeMs(), l, event, fields));
    },
  };
}
