/**
 * Shared by the link tests: the fixtures of simplexmq's tests/AgentTests/ConnectionRequestTests.hs
 * (as data: key hash, sender ID, keys, the strings that test asserts), random link generators and
 * the LinkError assertion.
 */
import assert from 'node:assert/strict';
import { SimpleGoError } from '../../../hal/errors';
import type { VersionRange } from '../../../firmware/encoding/binary';
import { urlEncodeText } from '../../../firmware/encoding/url';
import { parseTransportHost, type SmpServer, type TransportHost } from '../../../firmware/smp/address';
import type { ConnectionRequest } from '../../../firmware/agent/connection-link';
import { LinkError, type LinkErrorCode } from '../../../firmware/agent/link-errors';
import type { QueueMode, SmpQueueUri } from '../../../firmware/agent/queue-uri';
import type { ShortLink, ShortLinkType } from '../../../firmware/agent/short-link';
import type { E2EParamsUri } from '../../../firmware/agent/x3dh';
import { hex, randomBytes, randomInt, vectorCase } from '../encoding/helpers';

export const VECTOR_FILE = 'connection-request-uri.json';
export const worked = vectorCase(VECTOR_FILE, 'invitation_worked_example');

/** `url` in the upstream test: http-types `urlEncode True`. */
export const url = urlEncodeText;

export const ONION = 'jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion';
/** `strEncode testDhKey`: the X25519 fixture, base64url with padding. */
export const DH = worked.queue.dh_b64url as string;
export const DH_RAW = hex((worked.queue.dh_x25519_spki as string).substring(24));
export const X448_RAW = hex((worked.e2e.x3dh_key1_x448_spki as string).substring(24));
export const KEY_HASH = hex(worked.queue.key_hash as string);
export const SENDER_ID = hex(worked.queue.sender_id as string);
/** `testE2ERatchetParamsStrUri`, escaped once. */
export const E2E_ESCAPED = worked.e2e_param_escaped as string;

export function host(text: string): TransportHost {
  return parseTransportHost(text);
}

/** `srv`, `srv1` and `shortSrv` of the upstream test. */
export const SRV: SmpServer = { hosts: [host('smp.simplex.im'), host(ONION)], port: 5223, keyHash: KEY_HASH };
export const SRV1: SmpServer = { hosts: [host('smp.simplex.im')], port: 5223, keyHash: KEY_HASH };
export const SHORT_SRV: SmpServer = { hosts: [host('smp.simplex.im')], port: null, keyHash: new Uint8Array(0) };

export function queue(vr: VersionRange, server: SmpServer, mode: QueueMode | null): SmpQueueUri {
  return { smpClientVRange: vr, server: server, senderId: SENDER_ID, dhPublicKey: DH_RAW, queueMode: mode };
}

export const E2E_V1: E2EParamsUri = { versionRange: { min: 1, max: 1 }, key1: X448_RAW, key2: X448_RAW, kem: null };

export function invitation(queues: SmpQueueUri[], agent: VersionRange = { min: 2, max: 7 }, clientData: string | null = null): ConnectionRequest {
  return { mode: 'invitation', agentVRange: agent, queues: queues, clientData: clientData, e2e: E2E_V1 };
}

export function contact(queues: SmpQueueUri[], agent: VersionRange = { min: 2, max: 7 }, clientData: string | null = null): ConnectionRequest {
  return { mode: 'contact', agentVRange: agent, queues: queues, clientData: clientData, e2e: null };
}

/** Requires a LinkError (the exact class) with the given code, and a message that says something. */
export function expectLinkError(fn: () => unknown, code: LinkErrorCode): LinkError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, 'expected LinkError ' + code + ', but nothing was thrown');
  assert.ok(thrown instanceof LinkError, 'expected LinkError ' + code + ', got ' + String(thrown));
  assert.ok(thrown instanceof SimpleGoError);
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'LinkError');
  assert.ok(thrown.message.length > 10);
  return thrown;
}

/** Runs fn on hostile input: it may return anything, but may only ever throw a LinkError. */
export function onlyLinkErrors(fn: () => unknown, what: string): LinkError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof LinkError)) {
      assert.fail(what + ' threw ' + (e instanceof Error ? e.name + ': ' + e.message : String(e)) + ' instead of a LinkError');
    }
    return e;
  }
}

// ---------------------------------------------------------------------------------------------
// Random links (seeded; the values are random, the structure covers every form)

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[randomInt(rng, items.length)];
}

function randomString(rng: () => number, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet.charAt(randomInt(rng, alphabet.length));
  return s;
}

export function randomHost(rng: () => number): TransportHost {
  switch (randomInt(rng, 4)) {
    case 0:
      return host('smp' + randomInt(rng, 100) + '.' + randomString(rng, LOWER, 1 + randomInt(rng, 10)) + '.im');
    case 1:
      return host(randomString(rng, BASE32, 56) + '.onion');
    case 2:
      return host(randomInt(rng, 256) + '.' + randomInt(rng, 256) + '.' + randomInt(rng, 256) + '.' + randomInt(rng, 256));
    default: {
      // Some groups zero, so the canonical text has "::" in varying places.
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(rng() < 0.4 ? '0' : randomInt(rng, 65536).toString(16));
      return host('[' + groups.join(':') + ']');
    }
  }
}

export function randomServer(rng: () => number): SmpServer {
  const hosts: TransportHost[] = [];
  const n = 1 + randomInt(rng, 3);
  for (let i = 0; i < n; i++) hosts.push(randomHost(rng));
  return { hosts: hosts, port: rng() < 0.3 ? null : pick(rng, [443, 5223, 1 + randomInt(rng, 65535)]), keyHash: randomBytes(rng, 32) };
}

const SMP_RANGES: VersionRange[] = [
  { min: 1, max: 4 },
  { min: 1, max: 1 },
  { min: 1, max: 2 },
  { min: 1, max: 3 },
  { min: 2, max: 4 },
  { min: 3, max: 4 },
  { min: 4, max: 4 },
];

export function randomQueue(rng: () => number): SmpQueueUri {
  return {
    smpClientVRange: pick(rng, SMP_RANGES),
    server: randomServer(rng),
    senderId: randomBytes(rng, 24),
    dhPublicKey: randomBytes(rng, 32),
    queueMode: pick(rng, [null, 'messaging', 'contact'] as Array<QueueMode | null>),
  };
}

/** Text in the client data, including what escaping and UTF-8 must carry. */
const DATA_PIECES = ['{"type":"group_link"', ', ', '"id":"abc"}', ' & = ; % # + ? /', 'caf\u00e9', '\u20ac', '\ud83d\ude00', '~-_.'];

export function randomRequest(rng: () => number, withKem: boolean | null = null): ConnectionRequest {
  const queues: SmpQueueUri[] = [];
  const n = 1 + randomInt(rng, 3);
  for (let i = 0; i < n; i++) queues.push(randomQueue(rng));
  let clientData: string | null = null;
  if (rng() < 0.3) {
    clientData = '';
    const parts = randomInt(rng, 5);
    for (let i = 0; i < parts; i++) clientData += pick(rng, DATA_PIECES);
  }
  const agent = pick(rng, [{ min: 2, max: 7 }, { min: 2, max: 2 }, { min: 3, max: 6 }, { min: 7, max: 7 }]);
  if (rng() < 0.35) return { mode: 'contact', agentVRange: agent, queues: queues, clientData: clientData, e2e: null };
  const e2eRange = pick(rng, [{ min: 2, max: 3 }, { min: 3, max: 3 }, { min: 2, max: 2 }, { min: 1, max: 1 }]);
  // The text form carries a KEM key only when the range reaches v3, so generate it only then.
  const kem = (withKem === null ? rng() < 0.5 : withKem) && e2eRange.max >= 3;
  return {
    mode: 'invitation',
    agentVRange: agent,
    queues: queues,
    clientData: clientData,
    e2e: {
      versionRange: e2eRange,
      key1: randomBytes(rng, 56),
      key2: randomBytes(rng, 56),
      kem: kem ? { kind: 'proposed', publicKey: randomBytes(rng, 1158) } : null,
    },
  };
}

export function randomShortLink(rng: () => number): ShortLink {
  const type: ShortLinkType = pick(rng, ['invitation', 'contact', 'channel', 'group', 'relay'] as ShortLinkType[]);
  const full = randomServer(rng);
  // Preset servers are shortened to their host.
  const server: SmpServer = rng() < 0.4 ? { hosts: [full.hosts[0]], port: null, keyHash: new Uint8Array(0) } : full;
  return {
    scheme: rng() < 0.5 ? 'simplex' : 'https',
    type: type,
    server: server,
    linkId: type === 'invitation' ? randomBytes(rng, 24) : null,
    linkKey: randomBytes(rng, 32),
  };
}
