import { Decoder, Encoder } from '../encoding/binary';
import { DecodeError } from '../encoding/errors';
import { utf8Decode, utf8Encode } from '../encoding/utf8';
import type { ContactState, DeliveryState, PrivateRouting, Settings } from './model';
import { AppError } from './errors';

/**
 * The application's stored forms: a contact record, the entries of a contact's History log,
 * the settings record and the remembered Wi-Fi networks. Each starts with a format byte so a
 * later firmware can read what an older one wrote. Decoders throw AppError 'bad-record' for
 * anything truncated, oversized or unknown: the store authenticates what it returns, so such a
 * record means a firmware bug or a card from a newer firmware, never a forgery.
 */

const FORMAT = 1;

export interface ContactRecord {
  readonly name: string;
  readonly state: ContactState;
  readonly unread: number;
  readonly verified: boolean;
  readonly muted: boolean;
  /** Wall-clock ms when the contact was made: orders contacts without messages. */
  readonly created: number;
}

const STATES: readonly ContactState[] = ['invited', 'connecting', 'ready', 'deleting', 'failed'];
const DELIVERY: readonly DeliveryState[] = ['sending', 'sent', 'delivered', 'failed', 'received'];
const ROUTING: readonly PrivateRouting[] = ['always', 'unknown', 'unprotected', 'never'];

/** Longest name kept: the chat app's display names are short; the rest would not fit a row anyway. */
export const MAX_NAME_BYTES = 255;

function indexIn<T>(list: readonly T[], value: T): number {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return i;
  return -1;
}

function pick<T>(list: readonly T[], i: number, what: string): T {
  if (i < 0 || i >= list.length) throw new AppError('bad-record', 'unknown ' + what + ' code ' + i + ' in a stored record');
  return list[i];
}

/** Runs a decoder over the whole record; any DecodeError becomes AppError 'bad-record'. */
function decodeAll<T>(bytes: Uint8Array, what: string, fn: (d: Decoder) => T): T {
  const d = new Decoder(bytes);
  try {
    if (d.u8() !== FORMAT) throw new AppError('bad-record', what + ' record of an unknown format (written by a newer firmware?)');
    const v = fn(d);
    d.end();
    return v;
  } catch (e) {
    if (e instanceof DecodeError) throw new AppError('bad-record', what + ' record is damaged: ' + e.message);
    throw e;
  }
}

/** A name cut to MAX_NAME_BYTES of UTF-8 without splitting a character. */
export function nameBytes(name: string): Uint8Array {
  let bytes = utf8Encode(name);
  let n = name.length;
  while (bytes.length > MAX_NAME_BYTES && n > 0) {
    n--;
    bytes = utf8Encode(name.substring(0, n));
  }
  return bytes;
}

// u8 format ‖ short(name UTF-8) ‖ u8 state ‖ word32 unread ‖ u8 flags (1 verified, 2 muted) ‖ int64 created
export function encodeContact(c: ContactRecord): Uint8Array {
  return new Encoder(64)
    .u8(FORMAT)
    .short(nameBytes(c.name))
    .u8(indexIn(STATES, c.state))
    .word32(c.unread)
    .u8((c.verified ? 1 : 0) | (c.muted ? 2 : 0))
    .int64(c.created)
    .finish();
}

export function decodeContact(bytes: Uint8Array): ContactRecord {
  return decodeAll(bytes, 'contact', (d) => {
    const name = utf8Decode(d.short());
    const state = pick(STATES, d.u8(), 'contact state');
    const unread = d.word32();
    const flags = d.u8();
    if (flags > 3) throw new AppError('bad-record', 'contact record has unknown flags');
    const created = d.int64();
    return { name, state, unread, verified: (flags & 1) !== 0, muted: (flags & 2) !== 0, created };
  });
}

/**
 * A History log entry. The log is append-only, so a message's later delivery states are
 * appended as 'state' entries naming its seq; a reader applies them over the message.
 */
export type HistoryEntry =
  | {
      readonly kind: 'message';
      readonly seq: number;
      readonly outgoing: boolean;
      readonly time: number;
      /** The agent's message number (outgoing), to match 'sent'/'delivered'/'failed'; 0 for incoming. */
      readonly agentMsgId: number;
      readonly text: string;
    }
  | {
      readonly kind: 'state';
      readonly seq: number;
      readonly agentMsgId: number;
      readonly delivery: DeliveryState;
      readonly errorName: string;
      readonly errorCode: string;
    };

const TAG_MESSAGE = 0x4d; // 'M'
const TAG_STATE = 0x53; // 'S'

// 'M': u8 format ‖ 'M' ‖ u8 outgoing ‖ word32 seq ‖ int64 time ‖ word32 agentMsgId ‖ large(text UTF-8)
// 'S': u8 format ‖ 'S' ‖ word32 seq ‖ word32 agentMsgId ‖ u8 delivery ‖ short(errorName) ‖ short(errorCode)
export function encodeHistoryEntry(e: HistoryEntry): Uint8Array {
  const enc = new Encoder(64).u8(FORMAT);
  if (e.kind === 'message') {
    return enc.u8(TAG_MESSAGE).u8(e.outgoing ? 1 : 0).word32(e.seq).int64(e.time).word32(e.agentMsgId).large(utf8Encode(e.text)).finish();
  }
  return enc.u8(TAG_STATE).word32(e.seq).word32(e.agentMsgId).u8(indexIn(DELIVERY, e.delivery)).short(utf8Encode(e.errorName)).short(utf8Encode(e.errorCode)).finish();
}

export function decodeHistoryEntry(bytes: Uint8Array): HistoryEntry {
  return decodeAll(bytes, 'history', (d): HistoryEntry => {
    const tag = d.u8();
    if (tag === TAG_MESSAGE) {
      const out = d.u8();
      if (out > 1) throw new AppError('bad-record', 'history entry has a bad direction flag');
      const seq = d.word32();
      const time = d.int64();
      const agentMsgId = d.word32();
      return { kind: 'message', seq, outgoing: out === 1, time, agentMsgId, text: utf8Decode(d.large()) };
    }
    if (tag === TAG_STATE) {
      const seq = d.word32();
      const agentMsgId = d.word32();
      const delivery = pick(DELIVERY, d.u8(), 'delivery state');
      return { kind: 'state', seq, agentMsgId, delivery, errorName: utf8Decode(d.short()), errorCode: utf8Decode(d.short()) };
    }
    throw new AppError('bad-record', 'history entry of unknown kind ' + tag);
  });
}

export const DEFAULT_SETTINGS: Settings = { privateRouting: 'always', lockAfterMs: 300000, screenOffMs: 60000, utcOffsetMinutes: 0 };

// u8 format ‖ u8 privateRouting ‖ word32 lockAfterMs ‖ word32 screenOffMs ‖ word16 (utcOffsetMinutes + 32768)
export function encodeSettings(s: Settings): Uint8Array {
  return new Encoder(16)
    .u8(FORMAT)
    .u8(indexIn(ROUTING, s.privateRouting))
    .word32(s.lockAfterMs)
    .word32(s.screenOffMs)
    .word16(s.utcOffsetMinutes + 32768)
    .finish();
}

export function decodeSettings(bytes: Uint8Array): Settings {
  return decodeAll(bytes, 'settings', (d) => {
    const privateRouting = pick(ROUTING, d.u8(), 'routing mode');
    const lockAfterMs = d.word32();
    const screenOffMs = d.word32();
    const utcOffsetMinutes = d.word16() - 32768;
    if (utcOffsetMinutes < -840 || utcOffsetMinutes > 840) throw new AppError('bad-record', 'settings record has an impossible UTC offset');
    return { privateRouting, lockAfterMs, screenOffMs, utcOffsetMinutes };
  });
}

export interface SavedWifi {
  readonly ssid: string;
  readonly password: string;
}

/** Networks remembered at most; the oldest is forgotten first. */
export const MAX_SAVED_WIFI = 16;

// u8 format ‖ u8 count ‖ (short(ssid UTF-8) ‖ short(password UTF-8))*
export function encodeSavedWifi(list: readonly SavedWifi[]): Uint8Array {
  if (list.length > MAX_SAVED_WIFI) throw new AppError('too-long', 'at most ' + MAX_SAVED_WIFI + ' Wi-Fi networks are remembered');
  const e = new Encoder(64).u8(FORMAT).u8(list.length);
  for (let i = 0; i < list.length; i++) e.short(utf8Encode(list[i].ssid)).short(utf8Encode(list[i].password));
  return e.finish();
}

export function decodeSavedWifi(bytes: Uint8Array): SavedWifi[] {
  return decodeAll(bytes, 'Wi-Fi', (d) => {
    const n = d.u8();
    if (n > MAX_SAVED_WIFI) throw new AppError('bad-record', 'Wi-Fi record lists too many networks');
    const out: SavedWifi[] = [];
    for (let i = 0; i < n; i++) out.push({ ssid: utf8Decode(d.short()), password: utf8Decode(d.short()) });
    return out;
  });
}
