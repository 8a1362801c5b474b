import type { Display, FontName } from '../../hal/display';

/**
 * Text layout over the Display's own metrics (stringWidth), so the same code lays out the
 * device's native fonts and the simulator's bitmap fonts. Widths are measured per word or by
 * binary search over a prefix, never per pixel.
 */

const ELLIPSIS = '...';

/** The longest prefix of `text` (at least one character) whose width is at most `width`. */
function fittingPrefix(d: Display, text: string, font: FontName, width: number, suffix: string): number {
  let lo = 1;
  let hi = text.length;
  if (d.stringWidth(text.substring(0, 1) + suffix, font) > width) return 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (d.stringWidth(text.substring(0, mid) + suffix, font) <= width) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Breaks `text` into lines no wider than `width`: at spaces where possible, inside a word only
 * when the word alone is too wide (links, keys), and at every '\n'. At most `maxLines` lines;
 * when text is cut the last line ends in "...", so a huge message costs a bounded layout.
 */
export function wrapText(d: Display, text: string, font: FontName, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  const paragraphs = text.split('\n');
  let cut = false;
  for (let p = 0; p < paragraphs.length && !cut; p++) {
    const words = paragraphs[p].split(' ');
    let line = '';
    for (let w = 0; w < words.length; w++) {
      let word = words[w];
      const candidate = line.length > 0 ? line + ' ' + word : word;
      if (d.stringWidth(candidate, font) <= width) {
        line = candidate;
        continue;
      }
      if (line.length > 0) {
        lines.push(line);
        line = '';
        if (lines.length >= maxLines) {
          cut = true;
          break;
        }
      }
      // The word alone is too wide: split it where it reaches the edge.
      while (d.stringWidth(word, font) > width) {
        const n = fittingPrefix(d, word, font, width, '');
        lines.push(word.substring(0, n));
        word = word.substring(n);
        if (lines.length >= maxLines) {
          cut = true;
          break;
        }
      }
      if (cut) break;
      line = word;
    }
    if (cut) break;
    lines.push(line);
    if (lines.length >= maxLines && p < paragraphs.length - 1) cut = true;
  }
  if (cut && lines.length > 0) lines[lines.length - 1] = fitText(d, lines[lines.length - 1] + ELLIPSIS, font, width);
  return lines;
}

/** `text` if it fits in `width`, else its longest prefix that fits followed by "...". */
export function fitText(d: Display, text: string, font: FontName, width: number): string {
  if (d.stringWidth(text, font) <= width) return text;
  if (d.stringWidth(ELLIPSIS, font) > width) return '';
  return text.substring(0, fittingPrefix(d, text, font, width, ELLIPSIS)) + ELLIPSIS;
}

/** `n` copies of `c` (String.prototype.repeat is not on every Espruino build). */
export function repeatChar(c: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += c;
  return s;
}

function two(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

const MINUTE = 60000;
const DAY_MINUTES = 1440;

/**
 * "14:05" for a time on the same local day as `nowMs`, "23.04." for an older one.
 * `utcOffsetMinutes` is the local offset (the device has no time-zone database).
 */
export function formatTime(timeMs: number, nowMs: number, utcOffsetMinutes: number): string {
  if (timeMs <= 0) return '';
  const t = Math.floor(timeMs / MINUTE) + utcOffsetMinutes;
  const n = Math.floor(nowMs / MINUTE) + utcOffsetMinutes;
  const day = Math.floor(t / DAY_MINUTES);
  if (day === Math.floor(n / DAY_MINUTES)) {
    const m = t - day * DAY_MINUTES;
    return two(Math.floor(m / 60)) + ':' + two(m % 60);
  }
  const date = civilDate(day);
  return two(date.day) + '.' + two(date.month) + '.';
}

/**
 * Day and month of a day number (days since 1970-01-01), by the proleptic Gregorian calendar
 * (H. Hinnant's days-to-civil algorithm, integer arithmetic only).
 */
export function civilDate(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** "45 s", "3 min", "2 h": a wait or an elapsed time, rounded up to what a person reads. */
export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return s + ' s';
  const m = Math.ceil(s / 60);
  if (m < 60) return m + ' min';
  return Math.ceil(m / 60) + ' h';
}
