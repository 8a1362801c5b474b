import { SimpleGoError } from '../../hal/errors';
import { Decoder, Encoder, decode } from '../encoding/binary';
import type { DecodeError } from '../encoding/errors';
import { equalBytes } from '../encoding/bytes';
import { asciiBytes, asciiText, effectivePort, parseSmpServer, printSmpServer, type SmpServerAddress } from './address';
import { OFFICIAL_PRESETS, SIMPLEGO_PRESETS, type PresetOperator, type PresetRouter } from './presets';

/**
 * The user's router list: the presets, what the user provisioned or added, and what is enabled.
 * A list value is never mutated; every operation returns a new list, so a caller can store the
 * new one first and only then switch to it.
 */

export type RouterOperator = PresetOperator | 'user';

/** 'awaiting-fingerprint': a preset known by name only; it is never contacted. */
export type RouterStatus = 'ready' | 'awaiting-fingerprint' | 'disabled';

export interface RouterEntry {
  readonly operator: RouterOperator;
  /** The host the entry is known by; for presets, the preset's host even before provisioning. */
  readonly host: string;
  /** The pinned address, or null while a preset awaits its fingerprint. */
  readonly address: SmpServerAddress | null;
  readonly enabled: boolean;
  /** May hold the user's queues (false: used only to forward, as Flux routers are offered). */
  readonly storage: boolean;
}

export interface RouterList {
  readonly entries: readonly RouterEntry[];
}

export type RouterListErrorCode = 'unknown-router' | 'duplicate' | 'host-mismatch' | 'not-removable' | 'bad-address';

export class RouterListError extends SimpleGoError {
  constructor(code: RouterListErrorCode, message: string) {
    super(code, message);
    this.name = 'RouterListError';
  }
}

function fromPreset(p: PresetRouter, enabled: boolean): RouterEntry {
  return { operator: p.operator, host: p.host, address: p.address === null ? null : parseSmpServer(p.address), enabled, storage: p.storage };
}

/** The list a new device starts with: SimpleGo's routers, and the official ones if asked for. */
export function defaultRouterList(includeOfficial: boolean): RouterList {
  const entries: RouterEntry[] = [];
  for (let i = 0; i < SIMPLEGO_PRESETS.length; i++) entries.push(fromPreset(SIMPLEGO_PRESETS[i], SIMPLEGO_PRESETS[i].enabledByDefault));
  if (includeOfficial) {
    for (let i = 0; i < OFFICIAL_PRESETS.length; i++) entries.push(fromPreset(OFFICIAL_PRESETS[i], OFFICIAL_PRESETS[i].enabledByDefault));
  }
  return { entries };
}

export function routerStatus(entry: RouterEntry): RouterStatus {
  if (entry.address === null) return 'awaiting-fingerprint';
  return entry.enabled ? 'ready' : 'disabled';
}

/** A stable name for an entry, for the UI and for commands on the list: "host" or "host:port". */
export function routerId(entry: RouterEntry): string {
  if (entry.address === null) return entry.host;
  const port = effectivePort(entry.address.server);
  return port === 5223 ? entry.host : entry.host + ':' + port;
}

function indexOf(list: RouterList, id: string): number {
  for (let i = 0; i < list.entries.length; i++) if (routerId(list.entries[i]) === id) return i;
  return -1;
}

function replaced(list: RouterList, index: number, entry: RouterEntry | null): RouterList {
  const entries: RouterEntry[] = [];
  for (let i = 0; i < list.entries.length; i++) {
    if (i !== index) entries.push(list.entries[i]);
    else if (entry !== null) entries.push(entry);
  }
  return { entries };
}

function parseAddress(text: string): SmpServerAddress {
  try {
    return parseSmpServer(text.trim());
  } catch (e) {
    throw new RouterListError('bad-address', e instanceof Error ? e.message : 'not a router address');
  }
}

function sameServer(a: SmpServerAddress, b: SmpServerAddress): boolean {
  return a.server.hosts[0].host === b.server.hosts[0].host && effectivePort(a.server) === effectivePort(b.server);
}

/**
 * Pins a preset that awaits its fingerprint, or re-pins one whose operator published a new
 * fingerprint (smp.simplego.dev's changed once after a certificate renewal). The address must
 * name the preset's host first: a typo must not silently redirect a preset to another machine.
 */
export function provisionRouter(list: RouterList, host: string, addressText: string): RouterList {
  const index = indexOf(list, host);
  if (index < 0 || list.entries[index].operator === 'user') throw new RouterListError('unknown-router', 'no preset router named ' + host);
  const address = parseAddress(addressText);
  if (address.server.hosts[0].host !== host) {
    throw new RouterListError('host-mismatch', 'the address is for ' + address.server.hosts[0].host + ', not ' + host);
  }
  const e = list.entries[index];
  return replaced(list, index, { operator: e.operator, host: e.host, address, enabled: e.enabled, storage: e.storage });
}

/** Adds a router of the user's own (typed or scanned). */
export function addRouter(list: RouterList, addressText: string): RouterList {
  const address = parseAddress(addressText);
  for (let i = 0; i < list.entries.length; i++) {
    const other = list.entries[i].address;
    if (other !== null && sameServer(other, address)) {
      throw new RouterListError('duplicate', address.server.hosts[0].host + ' is already in the list');
    }
    if (other === null && list.entries[i].host === address.server.hosts[0].host) {
      throw new RouterListError('duplicate', address.server.hosts[0].host + ' is a preset awaiting its fingerprint: provision it instead');
    }
  }
  const entries = list.entries.slice();
  entries.push({ operator: 'user', host: address.server.hosts[0].host, address, enabled: true, storage: true });
  return { entries };
}

export function setRouterEnabled(list: RouterList, id: string, enabled: boolean): RouterList {
  const index = indexOf(list, id);
  if (index < 0) throw new RouterListError('unknown-router', 'no router ' + id);
  const e = list.entries[index];
  return replaced(list, index, { operator: e.operator, host: e.host, address: e.address, enabled, storage: e.storage });
}

/** Removes a router the user added; presets can only be disabled, so they never vanish by mistake. */
export function removeRouter(list: RouterList, id: string): RouterList {
  const index = indexOf(list, id);
  if (index < 0) throw new RouterListError('unknown-router', 'no router ' + id);
  if (list.entries[index].operator !== 'user') throw new RouterListError('not-removable', id + ' is a preset: disable it instead');
  return replaced(list, index, null);
}

/**
 * The routers the device may contact for the given use: pinned and enabled only. This is the
 * single gate that keeps an unpinned preset from ever being dialled.
 */
export function usableRouters(list: RouterList, use: 'storage' | 'proxy'): SmpServerAddress[] {
  const out: SmpServerAddress[] = [];
  for (let i = 0; i < list.entries.length; i++) {
    const e = list.entries[i];
    if (e.address !== null && e.enabled && (use === 'proxy' || e.storage)) out.push(e.address);
  }
  return out;
}

/** Whether the list pins this exact server identity (same first host, port and key hash). */
export function isKnownRouter(list: RouterList, address: SmpServerAddress): boolean {
  for (let i = 0; i < list.entries.length; i++) {
    const a = list.entries[i].address;
    if (a !== null && sameServer(a, address) && equalBytes(a.server.keyHash, address.server.keyHash)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Stored form: u8 format ‖ word16 count ‖ entries, each
//   u8 operator ('G' simplego, 'S' simplex, 'F' flux, 'U' user) ‖ short(host ASCII)
//   ‖ u8 flags (1 enabled, 2 storage) ‖ maybe(large(address text))

const FORMAT = 1;
const OPERATOR_TAGS: { [op: string]: number } = { simplego: 0x47, simplex: 0x53, flux: 0x46, user: 0x55 };

function operatorFromTag(tag: number): RouterOperator | null {
  if (tag === 0x47) return 'simplego';
  if (tag === 0x53) return 'simplex';
  if (tag === 0x46) return 'flux';
  if (tag === 0x55) return 'user';
  return null;
}

export function encodeRouterList(list: RouterList): Uint8Array {
  const e = new Encoder(64 * list.entries.length + 8);
  e.u8(FORMAT).word16(list.entries.length);
  for (let i = 0; i < list.entries.length; i++) {
    const r = list.entries[i];
    e.u8(OPERATOR_TAGS[r.operator]).short(asciiBytes(r.host)).u8((r.enabled ? 1 : 0) | (r.storage ? 2 : 0));
    if (r.address === null) e.u8(0x30);
    else e.u8(0x31).large(asciiBytes(printSmpServer(r.address.server, r.address.basicAuth)));
  }
  return e.finish();
}

function readRouterList(d: Decoder): RouterList {
  if (d.u8() !== FORMAT) throw new RouterListError('bad-address', 'the stored router list has an unknown format');
  const count = d.word16();
  const entries: RouterEntry[] = [];
  for (let i = 0; i < count; i++) {
    const operator = operatorFromTag(d.u8());
    if (operator === null) throw new RouterListError('bad-address', 'the stored router list names an unknown operator');
    const host = asciiText(d.short(), 'router host');
    const flags = d.u8();
    const hasAddress = d.u8();
    let address: SmpServerAddress | null = null;
    if (hasAddress === 0x31) address = parseAddress(asciiText(d.large(), 'router address'));
    else if (hasAddress !== 0x30) throw new RouterListError('bad-address', 'the stored router list is damaged');
    if (address === null && operator === 'user') throw new RouterListError('bad-address', 'a stored user router has no address');
    entries.push({ operator, host, address, enabled: (flags & 1) !== 0, storage: (flags & 2) !== 0 });
  }
  return { entries };
}

/** Decodes a stored list; a damaged one is a typed error, never a partial list. */
export function decodeRouterList(bytes: Uint8Array): { ok: true; value: RouterList } | { ok: false; error: DecodeError | RouterListError } {
  try {
    return decode(bytes, readRouterList);
  } catch (e) {
    if (e instanceof RouterListError) return { ok: false, error: e };
    throw e;
  }
}
