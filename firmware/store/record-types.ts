import { StoreError } from './errors';

/**
 * The registry of what the store holds: one byte per kind of data, chosen by the data's owner.
 *
 * The high bit decides the shape, so no table is needed to look it up:
 * - 0x01..0x7f: records, addressed by (type, id), read and replaced whole;
 * - 0x80..0xfe: append-only logs, addressed the same way, read by position.
 * 0x00 and 0xff are reserved. Owners extend the registry by adding a name here; a code, once
 * used on a card, must never change meaning (files on existing cards are bound to it).
 */
export const StoreType = {
  /** Device settings (app). */
  Settings: 0x01,
  /** The user's profile and long-term identity (app). */
  Profile: 0x02,
  /** A contact: display data and the link to its connection (app). */
  Contact: 0x03,
  /** An agent connection: queues, keys, negotiated versions (agent). */
  Connection: 0x04,
  /** Double-ratchet state of one connection (agent). */
  Ratchet: 0x05,
  /** One SMP queue's credentials and subscription state (agent). */
  Queue: 0x06,
  /** Pending invitations and short links not yet used (agent). */
  Invitation: 0x07,
  /** The user's router list: presets, own routers, what is enabled (app). */
  RouterList: 0x08,
  /** Remembered Wi-Fi networks and their passwords (app). */
  WifiNetworks: 0x09,

  /** Message history of one conversation (app). */
  History: 0x81,
  /** Messages waiting for the router's OK (agent). */
  Outbox: 0x82,
  /** Received messages committed with the ratchet step that decrypted them, until the app takes them (agent). */
  Inbox: 0x83,
} as const;

/** Ids are opaque bytes chosen by the owner: up to 32 (a hash of anything longer fits). */
export const MAX_ID_BYTES = 32;

export function isLogType(type: number): boolean {
  return type >= 0x80;
}

/** Throws 'bad-argument' unless `type` is a registry code of the wanted shape and `id` fits. */
export function checkAddress(type: number, id: Uint8Array, wantLog: boolean): void {
  if (typeof type !== 'number' || type % 1 !== 0 || type < 0x01 || type > 0xfe) {
    throw new StoreError('bad-argument', 'store type must be an integer code 0x01..0xfe, got ' + String(type));
  }
  if (isLogType(type) !== wantLog) {
    throw new StoreError(
      'bad-argument',
      'type 0x' + type.toString(16) + (wantLog ? ' is a record type; use the record calls' : ' is a log type; use the log calls'),
    );
  }
  if (!(id instanceof Uint8Array) || id.length > MAX_ID_BYTES) {
    throw new StoreError('bad-argument', 'id must be a Uint8Array of at most ' + MAX_ID_BYTES + ' bytes');
  }
}
