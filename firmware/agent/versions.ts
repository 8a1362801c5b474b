import type { VersionRange } from '../encoding/binary';
import { EncodeError } from '../encoding/errors';
import { LinkError } from './link-errors';
import { E2E_VERSION_MAX, E2E_VERSION_MIN } from './ratchet-header';

/**
 * The version scopes a connection link carries (agent.md §3) and their text form.
 *
 * A link states one range per scope: the agent range on the link, the e2e (ratchet) range in its
 * `e2e=` parameters and an SMP client range per queue. Parsing keeps whatever range the link
 * states, as simplexmq does; whether it overlaps ours is decided when joining
 * (`compatibleVersion`), so a well-formed old link is reported as incompatible, not as garbage.
 */

/** Agent versions we speak (`supportedSMPAgentVRange`): 2 duplex handshake … 7 ratchet on confirmation. */
export const SUPPORTED_AGENT_VRANGE: VersionRange = { min: 2, max: 7 };
/** E2E ratchet versions (`supportedE2EEncryptVRange`): 2 KDF in X3DH, 3 PQ KEM fields. */
export const SUPPORTED_E2E_VRANGE: VersionRange = { min: E2E_VERSION_MIN, max: E2E_VERSION_MAX };
/** SMP client versions (`supportedSMPClientVRange`): 1 initial … 4 short links and queue mode. */
export const SUPPORTED_SMP_CLIENT_VRANGE: VersionRange = { min: 1, max: 4 };

/** `minSupportedSMPAgentVersion`: contact-address links are raised to at least this when parsed. */
export const MIN_AGENT_VERSION = 2;
/** `srvHostnamesSMPClientVersion`: from this min version a queue URI lists all hosts in its authority. */
export const SMP_CLIENT_VERSION_HOSTNAMES = 2;
/** `sndAuthKeySMPClientVersion`: the sender may secure the queue (SKEY). */
export const SMP_CLIENT_VERSION_SENDER_SECURE = 3;
/** `shortLinksSMPClientVersion`: short links and explicit queue mode. */
export const SMP_CLIENT_VERSION_SHORT_LINKS = 4;

/** Versions are Word16 on the wire; five digits are enough and keep the parser bounded. */
const MAX_VERSION_DIGITS = 5;

/** `strEncode VersionRange`: "a" when min = max, else "a-b". */
export function renderVersionRange(r: VersionRange): string {
  if (!(isWord16(r.min) && isWord16(r.max)) || r.min > r.max) {
    throw new EncodeError('invalid-value', 'version range must be two integers 0..65535 with min <= max');
  }
  return r.min === r.max ? '' + r.min : r.min + '-' + r.max;
}

/**
 * `strP VersionRange` over the whole of `text`: a decimal, optionally "-" and a second decimal, with
 * min ≤ max. Stricter than upstream, which lets a Word16 wrap: more than five digits or a value
 * above 65535 is refused. `what` names the range in the error ("agent version range", ...).
 */
export function parseVersionRange(text: string, what: string): VersionRange {
  let i = 0;
  const min = scanVersion(text, i, what);
  i = min.end;
  let max = min;
  if (i < text.length && text.charCodeAt(i) === 0x2d) {
    // '-'
    max = scanVersion(text, i + 1, what);
    i = max.end;
  }
  if (i !== text.length) throw new LinkError('bad-version-range', what + ' is not a version or a range "min-max"');
  if (min.value > max.value) {
    throw new LinkError('bad-version-range', what + ' ' + min.value + '-' + max.value + ' has its minimum above its maximum');
  }
  return { min: min.value, max: max.value };
}

/**
 * `compatibleVersion`: when the ranges overlap, the version both sides use is the lower of the two
 * maxima; otherwise null.
 */
export function compatibleVersion(theirs: VersionRange, ours: VersionRange): number | null {
  if (theirs.min > ours.max || ours.min > theirs.max) return null;
  return theirs.max < ours.max ? theirs.max : ours.max;
}

/** `adjustAgentVRange`: contact addresses published by old clients are read as at least agent v2. */
export function adjustContactAgentVRange(r: VersionRange): VersionRange {
  const min = r.min > MIN_AGENT_VERSION ? r.min : MIN_AGENT_VERSION;
  return { min: min, max: r.max > min ? r.max : min };
}

interface ScannedVersion {
  value: number;
  end: number;
}

function scanVersion(text: string, start: number, what: string): ScannedVersion {
  let i = start;
  let value = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    if (i - start === MAX_VERSION_DIGITS) throw new LinkError('bad-version-range', what + ' has a version with too many digits');
    value = value * 10 + (c - 0x30);
    i++;
  }
  if (i === start) throw new LinkError('bad-version-range', what + ' is not a version or a range "min-max"');
  if (value > 65535) throw new LinkError('bad-version-range', what + ' has a version above 65535');
  return { value: value, end: i };
}

function isWord16(n: number): boolean {
  return typeof n === 'number' && Math.floor(n) === n && n >= 0 && n <= 65535;
}
