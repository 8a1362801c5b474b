import { parseConnectionLink, MAX_LINK_LENGTH, type ConnectionRequest } from './connection-link';
import { LinkError } from './link-errors';
import { isCutShortOf } from './link-text';
import { parseShortLink, type ShortLink } from './short-link';

/**
 * One entry point for whatever a person scans or pastes: a full connection link (invitation or
 * contact address) or a short link. Both schemes (`simplex:` and `https://…`) are recognised by
 * the path after the address: `/invitation` and `/contact` are full links, a one-letter path
 * (`/i`, `/a`, `/c`, `/g`, `/r`) is a short link.
 *
 * A short link still has to be resolved through its server (LKEY / LGET) to obtain the full
 * connection request; that is the router's job, not this module's.
 */

export type SimplexLink =
  | { readonly kind: 'full'; readonly request: ConnectionRequest }
  | { readonly kind: 'short'; readonly link: ShortLink };

/**
 * Parses a link as a person would paste or scan it: surrounding spaces, tabs and line breaks are
 * dropped first (scanners and clipboards add them); nothing inside the link is changed.
 * Throws LinkError, and nothing else.
 */
export function parseSimplexLink(input: string): SimplexLink {
  // Bound the trim itself: a hostile input must not cost more than a link can be long.
  if (input.length > MAX_LINK_LENGTH + 1024) {
    throw new LinkError('too-long', 'the text is ' + input.length + ' characters, more than a SimpleX link may have');
  }
  const text = trimAsciiSpace(input);
  if (isFullLink(text)) return { kind: 'full', request: parseConnectionLink(text) };
  return { kind: 'short', link: parseShortLink(text) };
}

/** The path after "simplex:" or "https://host[:port]" starts with /invitation or /contact. */
function isFullLink(text: string): boolean {
  let i: number;
  if (text.substring(0, 8) === 'simplex:') i = 8;
  else if (text.substring(0, 8) === 'https://') {
    i = text.indexOf('/', 8);
    if (i < 0) return false;
  } else return false;
  const path = text.substring(i, i + 11);
  if (path === '/invitation' || path.substring(0, 8) === '/contact') return true;
  // A full link cut short ("simplex:/invit"): let its own parser report it as truncated. Two
  // characters ("/i", "/c") are short-link paths.
  const rest = text.substring(i);
  return rest.length > 2 && (isCutShortOf(rest, '/invitation') || isCutShortOf(rest, '/contact'));
}

function trimAsciiSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.substring(start, end);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
