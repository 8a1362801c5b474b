import { CryptoError, KEY_SIZES } from '../../hal/crypto';
import type { Crypto, KemKeyPair, KeyPair } from '../../hal/crypto';
import { concatBytes, copyBytes, equalBytes, wipe } from '../encoding/bytes';
import { DecodeError } from '../encoding/errors';
import { RatchetError } from './errors';
import { canPad, chainKdf, decryptAead, encryptAead, rootKdf } from './ratchet-crypto';
import type { RootStep } from './ratchet-crypto';
import {
  E2E_VERSION_MAX,
  E2E_VERSION_MIN,
  E2E_VERSION_PQ,
  RATCHET_TAG_LENGTH,
  decodeEncMessageHeader,
  decodeEncRatchetMessage,
  decodeMsgHeader,
  encodeEncMessageHeader,
  encodeEncRatchetMessage,
  encodeMsgHeader,
  paddedHeaderLength,
} from './ratchet-header';
import type { DecodedEncRatchetMessage, EncMessageHeader, KemParams, MsgHeader } from './ratchet-header';
import {
  MAX_SKIPPED_KEYS,
  addSkipped,
  cloneState,
  deserializeState,
  removeSkipped,
  serializeState,
  wipeSecretsNotIn,
  wipeState,
} from './ratchet-state';
import type { RatchetState, SkippedBatch, SkippedChain } from './ratchet-state';
import type { RatchetInitParams } from './x3dh';

/**
 * The SimpleX double ratchet: X448, HKDF-SHA512, AES-256-GCM with 16-byte IVs, encrypted padded
 * headers, and the optional sntrup761 KEM mixed into every ratchet step (agent.md §7, §8;
 * simplexmq Crypto/Ratchet.hs `initSndRatchet`, `initRcvRatchet`, `rcEncryptHeader`,
 * `rcEncryptMsg`, `rcDecrypt`).
 *
 * Behaviour that differs from simplexmq, deliberately:
 * - `decrypt` is transactional. simplexmq returns (and its agent stores) the advanced state even
 *   when the body then fails, when the message is a duplicate or too far ahead, and it drops a
 *   skipped key whose body fails (`agentRatchetDecrypt'` runs `updateRatchet` before returning the
 *   error, inside a transaction that commits because the error is a value, not an exception). Here
 *   any failure leaves the ratchet untouched, so a forged or corrupted message costs nothing, and
 *   the owner persists only after success. The peer cannot tell the difference: its next message
 *   advances us either way.
 * - Skipped keys are bounded in total (MAX_SKIPPED_KEYS), not only per step.
 * - The owner can hand over the next sntrup761 key pair in advance (`setNextKemKeyPair`). simplexmq
 *   generates it inside the receiving DH ratchet step; encryption never generates KEM keys in
 *   either implementation.
 */

/** Most message keys one step may skip (simplexmq `maxSkip`). */
export const MAX_SKIP = 512;
export { MAX_SKIPPED_KEYS };

/** Body pad for `AgentMessage`s (simplexmq `e2eEncAgentMsgLength`). */
export const AGENT_MSG_PAD_LENGTH = 15840;
/** ... on a PQ connection from agent version 5: smaller, because the header grows by 2222. */
export const AGENT_MSG_PAD_LENGTH_PQ = 13618;
/** Body pad for confirmations, `'I'` / `'D'` (simplexmq `e2eEncConnInfoLength`). */
export const CONN_INFO_PAD_LENGTH = 14832;
export const CONN_INFO_PAD_LENGTH_PQ = 11106;
/** The agent version that introduced the PQ ratchet (simplexmq `pqdrSMPAgentVersion`). */
export const PQ_AGENT_VERSION = 5;

/** The body pad length of an agent message for a connection (agent.md §11). */
export function agentMessagePadLength(agentVersion: number, pqSupport: boolean): number {
  return pqSupport && agentVersion >= PQ_AGENT_VERSION ? AGENT_MSG_PAD_LENGTH_PQ : AGENT_MSG_PAD_LENGTH;
}

/** The body pad length of a confirmation's connection info (agent.md §11). */
export function connInfoPadLength(agentVersion: number, pqSupport: boolean): number {
  return pqSupport && agentVersion >= PQ_AGENT_VERSION ? CONN_INFO_PAD_LENGTH_PQ : CONN_INFO_PAD_LENGTH;
}

/** `RatchetVersions`: the version we send in (negotiated), and the most we support. */
export interface RatchetVersions {
  readonly current: number;
  readonly max: number;
}

export interface EncryptResult {
  /** The EncRatchetMessage bytes. */
  readonly message: Uint8Array;
  /** Whether the sending chain was made with a KEM secret (simplexmq `rcSndKEM`). */
  readonly pqEncrypted: boolean;
}

export interface DecryptResult {
  readonly plaintext: Uint8Array;
  /** Whether the receiving chain was made with a KEM secret (simplexmq `rcRcvKEM`). */
  readonly pqEncrypted: boolean;
}

type Step = 'same' | 'advance';

export class Ratchet {
  private readonly crypto: Crypto;
  private state: RatchetState;

  private constructor(crypto: Crypto, state: RatchetState) {
    this.crypto = crypto;
    this.state = state;
  }

  /**
   * The joiner's ratchet (simplexmq `initSndRatchet`), which sends first. `peerRatchetKey` is the
   * initiator's second X3DH key (raw X448); `ownKeyPair` is a fresh X448 pair, generated here when
   * not given. The KEM secret, if the joiner accepted one, enters both X3DH and this first step.
   */
  static initJoiner(
    crypto: Crypto,
    versions: RatchetVersions,
    init: RatchetInitParams,
    peerRatchetKey: Uint8Array,
    ownKeyPair: KeyPair | null = null,
  ): Ratchet {
    checkVersions(versions);
    checkInit(init);
    if (peerRatchetKey.length !== KEY_SIZES.x448) throw new RatchetError('bad-params', 'the peer ratchet key must be 56 bytes');
    const dh = ownKeyPair !== null ? ownKeyPair : crypto.x448KeyPair();
    const accepted = init.kemAccepted;
    let r: RootStep;
    try {
      r = rootKdf(crypto, init.rootKey, peerRatchetKey, dh.privateKey, accepted !== null ? accepted.sharedSecret : null);
    } catch (e) {
      if (e instanceof CryptoError) throw new RatchetError('bad-params', 'the peer ratchet key is unusable (' + e.code + ')');
      throw e;
    }
    const pair = init.kemKeyPair;
    return new Ratchet(crypto, {
      versionCurrent: versions.current,
      versionMax: versions.max,
      ad: copyBytes(init.ad),
      dhPrivate: copyBytes(dh.privateKey),
      dhPublic: copyBytes(dh.publicKey),
      kemPublic: pair !== null ? copyBytes(pair.publicKey) : null,
      kemSecret: pair !== null ? copyBytes(pair.secretKey) : null,
      kemCiphertext: pair !== null && accepted !== null ? copyBytes(accepted.ciphertext) : null,
      supportKem: pair !== null,
      enableKem: pair !== null,
      sndKem: accepted !== null,
      rcvKem: false,
      rootKey: r.rootKey,
      dhRemote: copyBytes(peerRatchetKey),
      cks: r.chainKey,
      hks: copyBytes(init.sndHeaderKey),
      ckr: null,
      hkr: null,
      ns: 0,
      nr: 0,
      pn: 0,
      nhks: r.nextHeaderKey,
      nhkr: copyBytes(init.rcvNextHeaderKey),
      nextKemPublic: null,
      nextKemSecret: null,
      skipped: [],
      skippedCount: 0,
    });
  }

  /**
   * The initiator's ratchet (simplexmq `initRcvRatchet`). `ownKeyPair` is the initiator's second
   * X3DH key pair, which is also its first ratchet key. It cannot send until it has received.
   * `pqSupport` is the connection's PQ support (agent.md §5.1 step 6).
   */
  static initInitiator(crypto: Crypto, versions: RatchetVersions, init: RatchetInitParams, ownKeyPair: KeyPair, pqSupport: boolean): Ratchet {
    checkVersions(versions);
    checkInit(init);
    if (ownKeyPair.privateKey.length !== KEY_SIZES.x448 || ownKeyPair.publicKey.length !== KEY_SIZES.x448) {
      throw new RatchetError('bad-params', 'the ratchet key pair must be X448');
    }
    const pair = init.kemKeyPair;
    const accepted = init.kemAccepted;
    return new Ratchet(crypto, {
      versionCurrent: versions.current,
      versionMax: versions.max,
      ad: copyBytes(init.ad),
      dhPrivate: copyBytes(ownKeyPair.privateKey),
      dhPublic: copyBytes(ownKeyPair.publicKey),
      kemPublic: pair !== null ? copyBytes(pair.publicKey) : null,
      kemSecret: pair !== null ? copyBytes(pair.secretKey) : null,
      kemCiphertext: pair !== null && accepted !== null ? copyBytes(accepted.ciphertext) : null,
      supportKem: pqSupport,
      enableKem: pqSupport,
      sndKem: false,
      rcvKem: false,
      rootKey: copyBytes(init.rootKey),
      dhRemote: null,
      cks: null,
      hks: null,
      ckr: null,
      hkr: null,
      ns: 0,
      nr: 0,
      pn: 0,
      nhks: copyBytes(init.rcvNextHeaderKey),
      nhkr: copyBytes(init.sndHeaderKey),
      nextKemPublic: null,
      nextKemSecret: null,
      skipped: [],
      skippedCount: 0,
    });
  }

  /** Restores a ratchet from `serialize` output; RatchetError 'bad-state' / 'version' otherwise. */
  static deserialize(crypto: Crypto, bytes: Uint8Array): Ratchet {
    return new Ratchet(crypto, deserializeState(bytes));
  }

  /** The whole state, to be stored (encrypted) after every encrypt and every successful decrypt. */
  serialize(): Uint8Array {
    return serializeState(this.state);
  }

  /** False for the initiator until its first message arrives (encrypt would throw 'not-ready'). */
  canEncrypt(): boolean {
    return this.state.cks !== null;
  }

  /** The e2e version messages are sent in. */
  get version(): number {
    return this.state.versionCurrent;
  }

  /** Large (2310-byte) headers: on once PQ was ever enabled at v3 (simplexmq `rcSupportKEM`). */
  get pqSupport(): boolean {
    return this.state.supportKem;
  }

  /** PQ is wanted at the next ratchet step (simplexmq `rcEnableKEM`). */
  get pqEnabled(): boolean {
    return this.state.enableKem;
  }

  /** The current sending / receiving chains were made with a KEM secret. */
  get pqSending(): boolean {
    return this.state.sndKem;
  }

  get pqReceiving(): boolean {
    return this.state.rcvKem;
  }

  /** Number of stored skipped message keys. */
  get skippedKeyCount(): number {
    return this.state.skippedCount;
  }

  /**
   * SHA-256 of the ratchet's associated data (both X3DH identity keys, initiator's first): the
   * same on both sides of a connection, so apps derive the contact's security code from it.
   */
  associatedDataHash(): Uint8Array {
    return this.crypto.sha256(this.state.ad);
  }

  /**
   * True when the next receiving ratchet step would have to generate an sntrup761 key pair
   * (about 1.9 s on the device) because none was supplied: the owner should then generate one
   * with `crypto.sntrup761KeyPairAsync()` while idle and hand it over with `setNextKemKeyPair`.
   */
  needsKemKeyPair(): boolean {
    const s = this.state;
    return s.nextKemSecret === null && s.enableKem && s.versionMax >= E2E_VERSION_PQ;
  }

  /** Supplies the KEM pair the next ratchet step will use instead of generating one. */
  setNextKemKeyPair(pair: KemKeyPair): void {
    if (pair.publicKey.length !== KEY_SIZES.sntrup761Public || pair.secretKey.length !== KEY_SIZES.sntrup761Secret) {
      throw new RatchetError('bad-params', 'an sntrup761 key pair must be ' + KEY_SIZES.sntrup761Public + ' + ' + KEY_SIZES.sntrup761Secret + ' bytes');
    }
    if (this.state.nextKemSecret !== null) wipe(this.state.nextKemSecret);
    this.state.nextKemPublic = copyBytes(pair.publicKey);
    this.state.nextKemSecret = copyBytes(pair.secretKey);
  }

  /**
   * Encrypts one message (simplexmq `rcEncryptHeader` then `rcEncryptMsg`). `paddedLength` is
   * the body pad (agentMessagePadLength / connInfoPadLength). `pqEncryption` switches PQ on or
   * off from this message (simplexmq `pqEnc_`); undefined keeps the current setting.
   */
  encrypt(plaintext: Uint8Array, paddedLength: number, pqEncryption?: boolean): EncryptResult {
    const s = this.state;
    if (s.cks === null || s.hks === null) {
      throw new RatchetError('not-ready', 'no sending chain yet: the initiator must receive the first message before sending');
    }
    if (!canPad(plaintext.length, paddedLength)) {
      throw new RatchetError('message-too-large', 'message of ' + plaintext.length + ' bytes does not fit the padded size ' + paddedLength);
    }
    if (s.ns >= 4294967295) throw new RatchetError('bad-state', 'the sending chain is exhausted');
    const v = s.versionCurrent;
    const enableKem = pqEncryption === undefined ? s.enableKem : pqEncryption;
    // Support only ever switches on, and only from v3: it fixes the 2310-byte header from now on.
    const supportKem = s.supportKem || (v >= E2E_VERSION_PQ && enableKem);
    const header: MsgHeader = {
      // simplexmq announces max(its maximum, 3 if PQ is requested): a PQ request lifts a
      // ratchet limited to v2. Here the configured maximum stands (a device set to e2e 2-2 to
      // avoid PQ stays there); with the usual maximum 3 the header is the same.
      maxVersion: s.versionMax,
      dhPublicKey: s.dhPublic,
      kem: headerKem(s),
      pn: s.pn,
      ns: s.ns,
    };
    const step = chainKdf(this.crypto, s.cks);
    let message: Uint8Array;
    try {
      const sealedHeader = encryptAead(this.crypto, s.hks, step.headerIv, paddedHeaderLength(v, supportKem), s.ad, encodeMsgHeader(v, header));
      const encHeader = encodeEncMessageHeader({
        version: v,
        iv: step.headerIv,
        tag: sealedHeader.subarray(0, RATCHET_TAG_LENGTH),
        body: sealedHeader.subarray(RATCHET_TAG_LENGTH),
      });
      const sealedBody = encryptAead(this.crypto, step.messageKey, step.messageIv, paddedLength, concatBytes([s.ad, encHeader]), plaintext);
      message = encodeEncRatchetMessage(v, {
        header: encHeader,
        tag: sealedBody.subarray(0, RATCHET_TAG_LENGTH),
        body: sealedBody.subarray(RATCHET_TAG_LENGTH),
      });
    } catch (e) {
      wipe(step.chainKey);
      throw e;
    } finally {
      wipe(step.messageKey);
      wipe(step.messageIv);
    }
    wipe(s.cks);
    s.cks = step.chainKey;
    s.ns += 1;
    s.supportKem = supportKem;
    s.enableKem = enableKem;
    // Switching PQ off forgets the acceptance: later headers only propose, and after the next
    // step nothing (agent.md §8.3). This header still carried it, as in simplexmq.
    if (pqEncryption === false && s.kemCiphertext !== null) s.kemCiphertext = null;
    return { message: message, pqEncrypted: s.sndKem };
  }

  /**
   * Decrypts one message (simplexmq `rcDecrypt`). On any error the ratchet is unchanged; the
   * codes follow simplexmq's errors (see RatchetError).
   */
  decrypt(message: Uint8Array): DecryptResult {
    const s = this.state;
    let msg: DecodedEncRatchetMessage;
    let encHeader: EncMessageHeader;
    try {
      msg = decodeEncRatchetMessage(message);
      encHeader = decodeEncMessageHeader(msg.header);
    } catch (e) {
      if (e instanceof DecodeError) throw new RatchetError('bad-message', 'ratchet message does not parse: ' + e.message);
      throw e;
    }
    // A peer's current version never exceeds ours, which is at most E2E_VERSION_MAX.
    if (encHeader.version < E2E_VERSION_MIN || encHeader.version > E2E_VERSION_MAX) {
      throw new RatchetError('version', 'ratchet header has e2e version ' + encHeader.version);
    }
    const sealedHeader = concatBytes([encHeader.tag, encHeader.body]);
    const sealedBody = msg.sealedBody;
    const bodyAd = concatBytes([s.ad, msg.header]);

    // Skipped keys first (simplexmq `decryptSkipped`): the first chain whose header key opens the
    // header decides.
    let header: MsgHeader | null = null;
    let step: Step = 'same';
    for (let i = 0; i < s.skipped.length && header === null; i++) {
      const chain = s.skipped[i];
      header = this.openHeader(chain.hk, encHeader.version, encHeader.iv, sealedHeader);
      if (header === null) continue;
      const key = chain.keys[String(header.ns)];
      if (key !== undefined) return this.decryptSkipped(s, chain, header.ns, key, sealedBody, bodyAd);
      if (s.hkr !== null && equalBytes(chain.hk, s.hkr)) step = 'same';
      else if (equalBytes(chain.hk, s.nhkr)) step = 'advance';
      else {
        // simplexmq reports CERatchetHeader here: an old chain's message whose key was used
        // (a replay) or dropped. The agent tells replays apart by the message hash.
        throw new RatchetError('bad-header', 'message of an earlier receiving chain whose key is no longer stored (already received or dropped)');
      }
    }
    if (header === null && s.hkr !== null) {
      header = this.openHeader(s.hkr, encHeader.version, encHeader.iv, sealedHeader);
      step = 'same';
    }
    if (header === null) {
      header = this.openHeader(s.nhkr, encHeader.version, encHeader.iv, sealedHeader);
      step = 'advance';
    }
    if (header === null) throw new RatchetError('bad-header', 'no header key of this ratchet opens the message header');
    return this.receive(s, step, header, sealedBody, bodyAd);
  }

  /** Wipes every key the ratchet holds; the object is unusable afterwards. */
  destroy(): void {
    wipeState(this.state);
    this.state.cks = null;
    this.state.ckr = null;
  }

  // -------------------------------------------------------------------------------------------

  /** Null when the key does not open the header; 'bad-message' when it opens but does not parse. */
  private openHeader(key: Uint8Array, version: number, iv: Uint8Array, sealed: Uint8Array): MsgHeader | null {
    const plain = decryptAead(this.crypto, key, iv, this.state.ad, sealed);
    if (plain === null) return null;
    try {
      return decodeMsgHeader(version, plain);
    } catch (e) {
      if (e instanceof DecodeError) throw new RatchetError('bad-message', 'decrypted ratchet header does not parse: ' + e.message);
      throw e;
    }
  }

  private decryptSkipped(s: RatchetState, chain: SkippedChain, n: number, key: Uint8Array, sealedBody: Uint8Array, bodyAd: Uint8Array): DecryptResult {
    const plaintext = decryptAead(this.crypto, key.subarray(0, 32), key.subarray(32, 48), bodyAd, sealedBody);
    // simplexmq drops the key even when the body fails; keeping it costs nothing and lets a
    // corrupted copy be followed by a good one.
    if (plaintext === null) throw new RatchetError('decrypt-failed', 'message body does not decrypt with its skipped key');
    removeSkipped(s, chain, n);
    return { plaintext: plaintext, pqEncrypted: s.rcvKem };
  }

  /**
   * simplexmq `decryptRcMessage`: optional DH ratchet step, skip to the message, decrypt. All
   * changes go to a draft that replaces the state only when the body has decrypted.
   */
  private receive(s: RatchetState, step: Step, header: MsgHeader, sealedBody: Uint8Array, bodyAd: Uint8Array): DecryptResult {
    const d = cloneState(s);
    const batches: SkippedBatch[] = [];
    if (header.maxVersion > d.versionCurrent) {
      const v = header.maxVersion < d.versionMax ? header.maxVersion : d.versionMax;
      if (v > d.versionCurrent) d.versionCurrent = v;
    }
    let plaintext: Uint8Array | null = null;
    let next: Uint8Array | null = null;
    try {
      if (step === 'advance') {
        this.skipTo(d, header.pn, batches);
        const oldChain = d.ckr;
        this.ratchetStep(d, header);
        // The old receiving chain ends here; its last key was derived by the skip, not committed.
        if (oldChain !== null && oldChain !== s.ckr) wipe(oldChain);
      }
      this.skipTo(d, header.ns, batches);
      if (d.ckr === null) throw new RatchetError('bad-state', 'no receiving chain after the ratchet step');
      const k = chainKdf(this.crypto, d.ckr);
      next = k.chainKey;
      plaintext = decryptAead(this.crypto, k.messageKey, k.messageIv, bodyAd, sealedBody);
      wipe(k.messageKey);
      wipe(k.messageIv);
      wipe(k.headerIv);
      if (plaintext === null) throw new RatchetError('decrypt-failed', 'message body does not decrypt');
    } catch (e) {
      if (next !== null) wipe(next);
      if (d.ckr !== null && d.ckr !== s.ckr) wipe(d.ckr);
      wipeSecretsNotIn(d, s);
      for (let i = 0; i < batches.length; i++) {
        for (let j = 0; j < batches[i].keys.length; j++) wipe(batches[i].keys[j]);
      }
      throw e;
    }
    // Commit.
    const used = d.ckr;
    d.ckr = next;
    d.nr += 1;
    for (let i = 0; i < batches.length; i++) addSkipped(d, batches[i]);
    if (used !== s.ckr) wipe(used);
    wipeSecretsNotIn(s, d);
    this.state = d;
    return { plaintext: plaintext, pqEncrypted: d.rcvKem };
  }

  /**
   * simplexmq `skipMessageKeys`: derive and stage the keys of messages nr .. untilN − 1 of the
   * current receiving chain. Intermediate chain keys are wiped as soon as they are replaced;
   * the chain key the committed state still holds is left alone.
   */
  private skipTo(d: RatchetState, untilN: number, batches: SkippedBatch[]): void {
    if (d.ckr === null || d.hkr === null) return;
    const nr = d.nr;
    if (nr > untilN + 1) {
      throw new RatchetError('earlier-message', 'message ' + untilN + ' is ' + (nr - untilN - 1) + ' behind the chain and its key is not stored');
    }
    if (nr === untilN + 1) throw new RatchetError('duplicate', 'message ' + untilN + ' was already received');
    if (nr + MAX_SKIP < untilN) {
      throw new RatchetError('too-many-skipped', 'message ' + untilN + ' would skip ' + (untilN - nr) + ' messages; at most ' + MAX_SKIP + ' may be skipped');
    }
    if (nr === untilN) return;
    const keys: Uint8Array[] = [];
    const original = d.ckr;
    let ck = original;
    for (let n = nr; n < untilN; n++) {
      const k = chainKdf(this.crypto, ck);
      keys.push(concatBytes([k.messageKey, k.messageIv]));
      wipe(k.messageKey);
      wipe(k.messageIv);
      wipe(k.headerIv);
      if (ck !== original) wipe(ck);
      ck = k.chainKey;
    }
    batches.push({ hk: d.hkr, firstN: nr, keys: keys });
    d.ckr = ck;
    d.nr = untilN;
  }

  /** simplexmq `ratchetStep` with `pqRatchetStep`, applied to the draft. */
  private ratchetStep(d: RatchetState, header: MsgHeader): void {
    const crypto = this.crypto;
    const pqOn = d.enableKem && d.versionCurrent >= E2E_VERSION_PQ;
    const kem = header.kem;
    let kemRcv: Uint8Array | null = null;
    let kemSnd: Uint8Array | null = null;
    let newPublic: Uint8Array | null = null;
    let newSecret: Uint8Array | null = null;
    let newCiphertext: Uint8Array | null = null;
    if (kem === null) {
      // The peer sent no KEM. If we have none and want PQ, start proposing; otherwise PQ is off.
      if (d.kemSecret === null && pqOn) {
        const pair = this.takeKemKeyPair(d);
        newPublic = pair.publicKey;
        newSecret = pair.secretKey;
      }
    } else {
      if (kem.kind === 'accepted') {
        if (d.kemSecret === null) {
          throw new RatchetError('kem-state', 'the peer sent a KEM ciphertext but we have no KEM key');
        }
        kemRcv = crypto.sntrup761Decapsulate(d.kemSecret, kem.ciphertext);
      }
      if (pqOn) {
        const enc = crypto.sntrup761Encapsulate(kem.publicKey);
        const pair = this.takeKemKeyPair(d);
        kemSnd = enc.sharedSecret;
        newCiphertext = enc.ciphertext;
        newPublic = pair.publicKey;
        newSecret = pair.secretKey;
      }
    }
    const dh = crypto.x448KeyPair();
    let r1: RootStep;
    let r2: RootStep;
    try {
      r1 = rootKdf(crypto, d.rootKey, header.dhPublicKey, d.dhPrivate, kemRcv);
      r2 = rootKdf(crypto, r1.rootKey, header.dhPublicKey, dh.privateKey, kemSnd);
    } catch (e) {
      wipe(dh.privateKey);
      if (newSecret !== null && newSecret !== d.nextKemSecret) wipe(newSecret);
      if (e instanceof CryptoError) throw new RatchetError('bad-header', 'the peer ratchet key in the header is unusable (' + e.code + ')');
      throw e;
    } finally {
      if (kemRcv !== null) wipe(kemRcv);
      if (kemSnd !== null) wipe(kemSnd);
    }
    wipe(r1.rootKey);
    const enableKem = kemSnd !== null || kemRcv !== null || newSecret !== null;
    if (newSecret !== null && newSecret === d.nextKemSecret) {
      d.nextKemPublic = null;
      d.nextKemSecret = null;
    }
    d.dhPrivate = dh.privateKey;
    d.dhPublic = dh.publicKey;
    d.kemPublic = newPublic;
    d.kemSecret = newSecret;
    d.kemCiphertext = newCiphertext;
    d.supportKem = d.supportKem || (d.versionCurrent >= E2E_VERSION_PQ && enableKem);
    d.enableKem = enableKem;
    d.sndKem = kemSnd !== null;
    d.rcvKem = kemRcv !== null;
    d.rootKey = r2.rootKey;
    d.dhRemote = copyBytes(header.dhPublicKey);
    d.cks = r2.chainKey;
    d.hks = d.nhks;
    d.ckr = r1.chainKey;
    d.hkr = d.nhkr;
    d.pn = d.ns;
    d.ns = 0;
    d.nr = 0;
    d.nhks = r2.nextHeaderKey;
    d.nhkr = r1.nextHeaderKey;
  }

  /** The precomputed pair if the owner supplied one (left in the draft until commit), else a new one. */
  private takeKemKeyPair(d: RatchetState): KemKeyPair {
    if (d.nextKemPublic !== null && d.nextKemSecret !== null) {
      return { publicKey: d.nextKemPublic, secretKey: d.nextKemSecret };
    }
    return this.crypto.sntrup761KeyPair();
  }
}

/** The KEM field of our next header (simplexmq `msgKEMParams`). */
function headerKem(s: RatchetState): KemParams | null {
  if (s.kemPublic === null) return null;
  if (s.kemCiphertext === null) return { kind: 'proposed', publicKey: s.kemPublic };
  return { kind: 'accepted', ciphertext: s.kemCiphertext, publicKey: s.kemPublic };
}

function checkVersions(v: RatchetVersions): void {
  if (!(E2E_VERSION_MIN <= v.current && v.current <= v.max && v.max <= E2E_VERSION_MAX) ||
    Math.floor(v.current) !== v.current || Math.floor(v.max) !== v.max) {
    throw new RatchetError('version', 'ratchet versions ' + v.current + '/' + v.max + ' must satisfy ' + E2E_VERSION_MIN + ' <= current <= max <= ' + E2E_VERSION_MAX);
  }
}

function checkInit(init: RatchetInitParams): void {
  if (init.ad.length !== 2 * KEY_SIZES.x448 || init.rootKey.length !== 32 || init.sndHeaderKey.length !== 32 || init.rcvNextHeaderKey.length !== 32) {
    throw new RatchetError('bad-params', 'ratchet initialisation parameters have the wrong sizes');
  }
}
