/** Shared by the ratchet tests: deterministic randomness, backends, and a two-party setup. */
import assert from 'node:assert/strict';
import type { Crypto } from '../../../hal/crypto';
import type { Random } from '../../../hal/random';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import { RatchetError } from '../../../firmware/agent/errors';
import type { RatchetErrorCode } from '../../../firmware/agent/errors';
import { Ratchet } from '../../../firmware/agent/ratchet';
import {
  e2eParamsAtVersion,
  generateInitiatorParams,
  generateJoinerParams,
  replyKem,
  x3dhInitiator,
  x3dhJoiner,
} from '../../../firmware/agent/x3dh';
import { SUPPORTED_E2E_VRANGE, compatibleVersion } from '../../../firmware/agent/versions';
import type { E2EParamsUri } from '../../../firmware/agent/x3dh';
import type { VersionRange } from '../../../firmware/encoding/binary';
import { prng, randomBytes } from '../encoding/helpers';

/**
 * A Random that first serves the given byte strings, one per call and each of exactly the length
 * asked for, then deterministic bytes from a seeded PRNG. Lets a test fix the keys a real API
 * call generates (X3DH keys, the first ratchet key) and still run everything after that.
 */
export class ScriptedRandom implements Random {
  private readonly script: Uint8Array[];
  private readonly rng: () => number;

  constructor(script: Uint8Array[], seed: number) {
    this.script = script.slice();
    this.rng = prng(seed);
  }

  bytes(n: number): Uint8Array {
    const next = this.script.shift();
    if (next !== undefined) {
      assert.equal(next.length, n, 'scripted random: the code asked for ' + n + ' bytes, the script has ' + next.length);
      return next.slice();
    }
    return randomBytes(this.rng, n);
  }

  /** How many scripted values have not been used yet. */
  get pending(): number {
    return this.script.length;
  }
}

export function seeded(seed: number): Random {
  return new ScriptedRandom([], seed);
}

export interface Backend {
  readonly name: string;
  readonly make: (random: Random) => Crypto;
}

export const BACKENDS: Backend[] = [
  { name: 'portable', make: createPortableCrypto },
  { name: 'node', make: createNodeCrypto },
];

/** Runs fn and requires a RatchetError with this code; returns it. */
export function expectRatchetError(fn: () => unknown, code: RatchetErrorCode): RatchetError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, 'expected RatchetError ' + code + ', but nothing was thrown');
  assert.ok(thrown instanceof RatchetError, 'expected RatchetError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'RatchetError');
  assert.ok(thrown.message.length > 0);
  return thrown;
}

export interface PairOptions {
  /** The initiator's link proposes a KEM key (and its connection supports PQ). */
  initiatorPq: boolean;
  /** The joiner supports PQ: it accepts the link's key, or proposes its own. */
  joinerPq: boolean;
  /** The initiator's connection PQ support when it differs from its link (default: initiatorPq). */
  initiatorSupportsPq?: boolean;
  /** The joiner proposes even though the link proposed (simplexmq "proposed again in reply"). */
  joinerProposes?: boolean;
  /** The e2e range in the link (default 2-3). */
  initiatorRange?: VersionRange;
  /** The joiner's range (default 2-3). */
  joinerRange?: VersionRange;
  /** The initiator's ratchet maximum, if it supports more than its link advertised. */
  initiatorMax?: number;
}

export interface Pair {
  /** The link creator; receives first. */
  initiator: Ratchet;
  /** The link user; sends first. */
  joiner: Ratchet;
  version: number;
}

/**
 * The whole handshake through the real APIs: the initiator's link parameters, the joiner's
 * reply (replyKem), both X3DH sides, and both ratchets, with the versions simplexmq's agent
 * passes (current = the agreed version, max = the side's own maximum). Separate Crypto instances
 * per side, as on two devices.
 */
export function makePair(cA: Crypto, cB: Crypto, o: PairOptions): Pair {
  const initiatorRange = o.initiatorRange ?? SUPPORTED_E2E_VRANGE;
  const joinerRange = o.joinerRange ?? SUPPORTED_E2E_VRANGE;
  const link = generateInitiatorParams(cA, initiatorRange.max, o.initiatorPq);
  const uri: E2EParamsUri = { versionRange: initiatorRange, key1: link.params.key1, key2: link.params.key2, kem: link.params.kem };
  const v = compatibleVersion(uri.versionRange, joinerRange);
  assert.ok(v !== null, 'incompatible version ranges in a test');
  const initiatorParams = e2eParamsAtVersion(uri, v);
  const reply = o.joinerProposes ? { kind: 'propose' as const } : replyKem(v, initiatorParams.kem, o.joinerPq);
  const joinerKeys = generateJoinerParams(cB, v, reply);
  const joiner = Ratchet.initJoiner(cB, { current: v, max: joinerRange.max }, x3dhJoiner(cB, joinerKeys.keys, initiatorParams), initiatorParams.key2);
  const initiatorInit = x3dhInitiator(cA, link.keys, joinerKeys.params);
  // simplexmq: pqSupport' = pqSupport && versionPQSupport_ (agent >= 5 and e2e >= 3)
  const pqSupport = (o.initiatorSupportsPq ?? o.initiatorPq) && v >= 3;
  const max = o.initiatorMax ?? initiatorRange.max;
  const initiator = Ratchet.initInitiator(cA, { current: joinerKeys.params.version, max: max }, initiatorInit, link.keys.key2, pqSupport);
  return { initiator: initiator, joiner: joiner, version: v };
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}
