import { CryptoError } from '../../hal/crypto';
import type { Crypto, KeyPair } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import type { PublicKey } from '../crypto/keys';
import { AgentError, openConnInfo, sealConfirmation, sealMessage } from './agent-crypto';
import type { OpenedEnvelope } from './agent-crypto';
import type { SmpQueueInfo } from './agent-message';
import { negotiateConnectionRequest, parseConnectionLink } from './connection-link';
import type { ConnectionRequest, NegotiatedVersions } from './connection-link';
import type { ConnectionRecord, OutboxEntry, RcvQueueRecord, SndQueueRecord } from './connection-store';
import { EngineError } from './engine-errors';
import { initialSendChain, prepareAgentMessage, prepareHeaderless, receiveChainFromConfirmation } from './integrity';
import { senderCanSecure } from './queue-uri';
import type { QueueMode, SmpQueueUri } from './queue-uri';
import { PQ_AGENT_VERSION, Ratchet } from './ratchet';
import { E2E_VERSION_MAX, E2E_VERSION_PQ } from './ratchet-header';
import { SMP_CLIENT_VERSION_SENDER_SECURE, SUPPORTED_AGENT_VRANGE, SUPPORTED_E2E_VRANGE, SUPPORTED_SMP_CLIENT_VRANGE } from './versions';
import { e2eParamsAtVersion, wipeX3dhPrivateKeys, x3dhInitiator, x3dhJoiner } from './x3dh';
import type { X3dhParams } from './x3dh';

/**
 * The fast duplex handshake (agent.md §5.1) as state transitions: each function takes what is
 * stored and what arrived, and returns the next connection record, the ratchet and the sealed
 * envelope to queue. Nothing here touches the network or the store; agent.ts commits the results
 * in one transaction, which is what makes every step crash-safe: a step either happened
 * completely (record, ratchet, outbox) or not at all, and then the router re-delivers its input.
 *
 * The legacy handshake (§5.2) is decided per queue: a confirmation sent to a queue its sender
 * cannot secure carries PrivHeader 'K' with our sender key and goes unsigned, and the queue's
 * owner secures it with KEY (the outbox does that before sending anything). When the
 * initiator's confirmation carried 'K', the handshake ends with HELLO both ways: the joiner's
 * after its KEY, the initiator's in answer to it. A queue is legacy when its link or queue info
 * has neither q=m nor k=s, or when the agreed SMP client version is below 3.
 */

/** What one handshake step produces. */
export interface HandshakeStep {
  readonly record: ConnectionRecord;
  readonly ratchet: Ratchet;
  /** The envelope to queue, or null when the step sends nothing. */
  readonly outbox: OutboxEntry | null;
}

// ---------------------------------------------------------------------------------------------
// Initiator: the link

/** The initiator's record and link once its queue exists (step 1). `x3dh` is kept until step 6. */
export function newInvitation(rcvQueue: RcvQueueRecord, x3dh: X3dhParams, connInfo: Uint8Array, pqSupport: boolean): { record: ConnectionRecord; link: ConnectionRequest } {
  const link: ConnectionRequest = {
    mode: 'invitation',
    agentVRange: SUPPORTED_AGENT_VRANGE,
    queues: [
      {
        smpClientVRange: SUPPORTED_SMP_CLIENT_VRANGE,
        server: rcvQueue.server,
        senderId: rcvQueue.sndId,
        dhPublicKey: rcvQueue.e2eKey.publicKey,
        queueMode: rcvQueue.senderCanSecure ? 'messaging' : null,
      },
    ],
    clientData: null,
    e2e: { versionRange: SUPPORTED_E2E_VRANGE, key1: x3dh.params.key1, key2: x3dh.params.key2, kem: x3dh.params.kem },
  };
  const record: ConnectionRecord = {
    role: 'initiator',
    status: 'invited',
    agentVersion: 0,
    pqSupport: pqSupport,
    connInfo: connInfo,
    peerConnInfo: null,
    rcvQueue: rcvQueue,
    sndQueue: null,
    x3dhKeys: x3dh.keys,
    sendChain: initialSendChain(),
    receiveChain: null,
    pendingReceipts: [],
    peerSenderKey: null,
    awaitHello: false,
    helloSent: false,
    helloReceived: false,
  };
  return { record: record, link: link };
}

// ---------------------------------------------------------------------------------------------
// Contact address (§5.3)

/**
 * An address's record and link once its contact-mode queue exists. The link has no e2e part:
 * each request brings the requester's own invitation, and the address side joins that. The
 * record only receives: no send queue, no ratchet, no connection info.
 */
export function newContactAddress(rcvQueue: RcvQueueRecord): { record: ConnectionRecord; link: ConnectionRequest } {
  const link: ConnectionRequest = {
    mode: 'contact',
    agentVRange: SUPPORTED_AGENT_VRANGE,
    queues: [
      {
        smpClientVRange: SUPPORTED_SMP_CLIENT_VRANGE,
        server: rcvQueue.server,
        senderId: rcvQueue.sndId,
        dhPublicKey: rcvQueue.e2eKey.publicKey,
        queueMode: 'contact',
      },
    ],
    clientData: null,
    e2e: null,
  };
  const record: ConnectionRecord = {
    role: 'address',
    status: 'invited',
    agentVersion: 0,
    pqSupport: false,
    connInfo: new Uint8Array(0),
    peerConnInfo: null,
    rcvQueue: rcvQueue,
    sndQueue: null,
    x3dhKeys: null,
    sendChain: initialSendChain(),
    receiveChain: null,
    pendingReceipts: [],
    peerSenderKey: null,
    awaitHello: false,
    helloSent: false,
    helloReceived: false,
  };
  return { record: record, link: link };
}

// ---------------------------------------------------------------------------------------------
// Joiner

/** A parsed invitation the joiner can use, with the versions to speak (step 2). */
export interface JoinPlan {
  readonly request: ConnectionRequest;
  readonly versions: NegotiatedVersions;
  readonly e2eVersion: number;
  readonly queue: SmpQueueUri;
  /** PQ both wanted and possible at the negotiated versions. */
  readonly pqSupport: boolean;
  /** The initiator's queue is legacy (§5.2): our confirmation carries 'K' and goes unsigned. */
  readonly legacy: boolean;
}

/** Parses and checks an invitation link. LinkError for a malformed one, EngineError for one we cannot join. */
export function planJoin(linkText: string, pqWanted: boolean): JoinPlan {
  const request = parseConnectionLink(linkText);
  if (request.mode !== 'invitation' || request.e2e === null) {
    throw new EngineError('bad-link', 'this is a contact address, not a one-time invitation: send it a contact request instead');
  }
  const versions = negotiateConnectionRequest(request);
  const queue = request.queues[0];
  const legacy = !isSecurable(queue.queueMode, versions.smpClientVersion);
  const e2eVersion = versions.e2eVersion as number;
  const pq = pqWanted && versions.agentVersion >= PQ_AGENT_VERSION && e2eVersion >= E2E_VERSION_PQ;
  return { request: request, versions: versions, e2eVersion: e2eVersion, queue: queue, pqSupport: pq, legacy: legacy };
}

/**
 * Steps 2-5 for the joiner: X3DH on the link's keys, the sending ratchet, the send queue to the
 * initiator's queue (secured later by the outbox with SKEY), and the confirmation 'D' naming our
 * reply queue `rcvQueue` (already created). `x3dh` are the joiner's own parameters, generated by
 * the caller for `plan` (so the KEM pair can be precomputed).
 */
export function joinInvitation(crypto: Crypto, random: Random, plan: JoinPlan, x3dh: X3dhParams, rcvQueue: RcvQueueRecord, connInfo: Uint8Array): HandshakeStep {
  const linkE2e = plan.request.e2e;
  if (linkE2e === null) throw new EngineError('bad-link', 'the invitation has no encryption parameters');
  const init = x3dhJoiner(crypto, x3dh.keys, e2eParamsAtVersion(linkE2e, plan.e2eVersion));
  const ratchet = Ratchet.initJoiner(crypto, { current: plan.e2eVersion, max: E2E_VERSION_MAX }, init, linkE2e.key2);
  wipeX3dhPrivateKeys(x3dh.keys);
  const e2eKey = crypto.x25519KeyPair();
  const sndQueue = sendQueue(crypto, plan.queue.server, plan.queue.senderId, plan.queue.dhPublicKey, e2eKey, plan.versions.smpClientVersion, !plan.legacy);
  const replyInfo: SmpQueueInfo = {
    clientVersion: SUPPORTED_SMP_CLIENT_VRANGE.max,
    server: rcvQueue.server,
    senderId: rcvQueue.sndId,
    dhPublicKey: rcvQueue.e2eKey.publicKey,
    queueMode: rcvQueue.senderCanSecure ? 'messaging' : null,
  };
  const prepared = prepareHeaderless(crypto, initialSendChain(), { type: 'conn-info-reply', queues: [replyInfo], connInfo: connInfo });
  const sealed = sealConfirmation(crypto, random, ratchet, { e2eDhSecret: sndQueue.e2eDhSecret, smpClientVersion: sndQueue.smpClientVersion }, prepared.bytes, {
    agentVersion: plan.versions.agentVersion,
    pqSupport: plan.pqSupport,
    e2eParams: x3dh.params,
    e2ePublicKey: e2eKey.publicKey,
    senderKey: plan.legacy ? ownSenderKey(sndQueue) : null,
  });
  const record: ConnectionRecord = {
    role: 'joiner',
    status: 'joined',
    agentVersion: plan.versions.agentVersion,
    pqSupport: plan.pqSupport,
    connInfo: connInfo,
    peerConnInfo: null,
    rcvQueue: rcvQueue,
    sndQueue: sndQueue,
    x3dhKeys: null,
    sendChain: prepared.next,
    receiveChain: null,
    pendingReceipts: [],
    peerSenderKey: null,
    awaitHello: false,
    helloSent: false,
    helloReceived: false,
  };
  return { record: record, ratchet: ratchet, outbox: { kind: 'confirmation', sndMsgId: prepared.sndMsgId, notification: true, envelope: sealed.envelope } };
}

/**
 * Step 8 for the joiner: the initiator's confirmation on our reply queue carries its connection
 * info 'I' and no X3DH parameters. Without a sender key the connection is then connected. With
 * one ('K', our reply queue is legacy) we must KEY our queue with it and send HELLO (§5.2 step
 * 3): the HELLO is sealed now and queued, and the outbox runs KEY before sending it.
 */
export function acceptInitiatorInfo(crypto: Crypto, random: Random, record: ConnectionRecord, ratchet: Ratchet, opened: OpenedEnvelope): HandshakeStep {
  const env = opened.envelope;
  if (env.kind !== 'confirmation' || env.e2eParams !== null) {
    throw new AgentError('unexpected-agent-message', "the initiator's confirmation must not carry X3DH parameters");
  }
  const peerKey = peerSenderKeyOf(opened);
  const info = openConnInfo(ratchet, env.encConnInfo);
  if (info.message.type !== 'conn-info') {
    throw new AgentError('unexpected-agent-message', "the initiator's confirmation carried the joiner's reply 'D', not connection info 'I'", null, true);
  }
  const base: ConnectionRecord = {
    role: record.role,
    status: peerKey === null ? 'connected' : record.status,
    agentVersion: record.agentVersion,
    pqSupport: record.pqSupport,
    connInfo: record.connInfo,
    peerConnInfo: info.message.connInfo,
    rcvQueue: withE2eSecret(record.rcvQueue, opened.e2eDhSecret),
    sndQueue: record.sndQueue,
    x3dhKeys: null,
    sendChain: record.sendChain,
    receiveChain: receiveChainFromConfirmation(crypto, info.bytes),
    pendingReceipts: record.pendingReceipts,
    peerSenderKey: peerKey,
    awaitHello: peerKey !== null,
    helloSent: false,
    helloReceived: false,
  };
  if (peerKey === null) return { record: base, ratchet: ratchet, outbox: null };
  const hello = sealHello(crypto, random, base, ratchet);
  return { record: hello.record, ratchet: ratchet, outbox: hello.outbox };
}

// ---------------------------------------------------------------------------------------------
// Initiator: the confirmation

/**
 * Steps 6-7 for the initiator: X3DH with the joiner's parameters, the receiving ratchet, the
 * joiner's reply 'D' (its queue and connection info), and, allowed at once as the chat app does,
 * our own connection info 'I' sealed for the joiner's queue (secured later by the outbox).
 */
export function acceptJoinerConfirmation(crypto: Crypto, random: Random, record: ConnectionRecord, opened: OpenedEnvelope): HandshakeStep {
  const env = opened.envelope;
  const keys = record.x3dhKeys;
  if (env.kind !== 'confirmation' || env.e2eParams === null || keys === null) {
    throw new AgentError('unexpected-agent-message', "the joiner's confirmation must carry its X3DH parameters");
  }
  const peerKey = peerSenderKeyOf(opened);
  const agentVersion = env.agentVersion;
  if (agentVersion < SUPPORTED_AGENT_VRANGE.min || agentVersion > SUPPORTED_AGENT_VRANGE.max) {
    throw new AgentError('version', 'the confirmation uses agent version ' + agentVersion + '; SimpleGo speaks ' + SUPPORTED_AGENT_VRANGE.min + '..' + SUPPORTED_AGENT_VRANGE.max);
  }
  const e2eVersion = env.e2eParams.version;
  const pq = record.pqSupport && agentVersion >= PQ_AGENT_VERSION && e2eVersion >= E2E_VERSION_PQ;
  const init = x3dhInitiator(crypto, keys, env.e2eParams);
  const ratchet = Ratchet.initInitiator(crypto, { current: e2eVersion, max: E2E_VERSION_MAX }, init, keys.key2, pq);
  const info = openConnInfo(ratchet, env.encConnInfo);
  if (info.message.type !== 'conn-info-reply') {
    throw new AgentError('unexpected-agent-message', "the joiner's confirmation carried connection info 'I', not its reply 'D'", null, true);
  }
  const reply = info.message.queues[0];
  const e2eKey = crypto.x25519KeyPair();
  const smpVersion = reply.clientVersion < SUPPORTED_SMP_CLIENT_VRANGE.max ? reply.clientVersion : SUPPORTED_SMP_CLIENT_VRANGE.max;
  // A legacy reply queue: our info carries 'K', and the joiner answers with KEY and HELLO.
  const legacyReply = !isSecurable(reply.queueMode, smpVersion);
  const sndQueue = sendQueue(crypto, reply.server, reply.senderId, reply.dhPublicKey, e2eKey, smpVersion, !legacyReply);
  const prepared = prepareHeaderless(crypto, record.sendChain, { type: 'conn-info', connInfo: record.connInfo });
  const sealed = sealConfirmation(crypto, random, ratchet, { e2eDhSecret: sndQueue.e2eDhSecret, smpClientVersion: smpVersion }, prepared.bytes, {
    agentVersion: agentVersion,
    pqSupport: pq,
    e2eParams: null,
    e2ePublicKey: e2eKey.publicKey,
    senderKey: legacyReply ? ownSenderKey(sndQueue) : null,
  });
  wipeX3dhPrivateKeys(keys);
  const next: ConnectionRecord = {
    role: record.role,
    status: 'confirmed',
    agentVersion: agentVersion,
    pqSupport: pq,
    connInfo: record.connInfo,
    peerConnInfo: info.message.connInfo,
    rcvQueue: withE2eSecret(record.rcvQueue, opened.e2eDhSecret),
    sndQueue: sndQueue,
    x3dhKeys: null,
    sendChain: prepared.next,
    receiveChain: receiveChainFromConfirmation(crypto, info.bytes),
    pendingReceipts: record.pendingReceipts,
    peerSenderKey: peerKey,
    awaitHello: legacyReply,
    helloSent: false,
    helloReceived: false,
  };
  return { record: next, ratchet: ratchet, outbox: { kind: 'conn-info', sndMsgId: prepared.sndMsgId, notification: false, envelope: sealed.envelope } };
}

// ---------------------------------------------------------------------------------------------
// HELLO (legacy handshake, §5.2)

/**
 * Seals our HELLO (AgentMessage 'M' with AMessage 'H') for the outbox, once: `record` must be
 * waiting for HELLO and not have queued one yet. The returned record has the advanced send chain;
 * helloSent is set by the outbox when the router takes it.
 */
export function sealHello(crypto: Crypto, random: Random, record: ConnectionRecord, ratchet: Ratchet): { record: ConnectionRecord; outbox: OutboxEntry } {
  const sq = record.sndQueue;
  if (sq === null || !record.awaitHello) throw new EngineError('not-ready', 'HELLO belongs to the legacy handshake, after the connection info');
  const prepared = prepareAgentMessage(crypto, record.sendChain, { type: 'HELLO' });
  const sealed = sealMessage(crypto, random, ratchet, { e2eDhSecret: sq.e2eDhSecret, smpClientVersion: sq.smpClientVersion }, prepared.bytes, {
    agentVersion: record.agentVersion,
    pqSupport: record.pqSupport,
  });
  return { record: { ...record, sendChain: prepared.next }, outbox: { kind: 'hello', sndMsgId: prepared.sndMsgId, notification: true, envelope: sealed.envelope } };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Whether the sender may secure a queue: it says so (q=m or k=s) and the agreed version has SKEY. */
function isSecurable(mode: QueueMode | null, smpClientVersion: number): boolean {
  return senderCanSecure(mode) && smpClientVersion >= SMP_CLIENT_VERSION_SENDER_SECURE;
}

/** PrivHeader 'K' of a confirmation: the sender's Ed25519 key our queue must be secured with. */
function peerSenderKeyOf(opened: OpenedEnvelope): Uint8Array | null {
  const k = opened.senderKey;
  if (k === null) return null;
  // The router would refuse another algorithm only later, at KEY: refuse it here, as a bad key.
  if (k.alg !== 'ed25519') throw new AgentError('bad-key', "the peer's sender key ('K') must be Ed25519, not " + k.alg);
  return k.raw;
}

function ownSenderKey(sq: SndQueueRecord): PublicKey {
  return { alg: 'ed25519', raw: sq.senderKey.publicKey };
}

/** A fresh send queue: our Ed25519 sender key and the per-queue secret with the peer's e2e key. */
function sendQueue(
  crypto: Crypto,
  server: SndQueueRecord['server'],
  sndId: Uint8Array,
  peerDhKey: Uint8Array,
  e2eKey: KeyPair,
  smpClientVersion: number,
  securable: boolean,
): SndQueueRecord {
  let secret: Uint8Array;
  try {
    secret = crypto.x25519(e2eKey.privateKey, peerDhKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new AgentError('bad-key', "the peer's per-queue e2e key is unusable (" + e.code + ')');
    throw e;
  }
  return { server: server, sndId: sndId, senderKey: crypto.ed25519KeyPair(), e2eDhSecret: secret, smpClientVersion: smpClientVersion, secured: false, senderCanSecure: securable };
}

function withE2eSecret(q: RcvQueueRecord, secret: Uint8Array): RcvQueueRecord {
  return {
    server: q.server,
    rcvId: q.rcvId,
    rcvAuthKey: q.rcvAuthKey,
    rcvDhSecret: q.rcvDhSecret,
    sndId: q.sndId,
    e2eKey: q.e2eKey,
    e2eDhSecret: secret,
    smpClientVersion: q.smpClientVersion,
    senderCanSecure: q.senderCanSecure,
  };
}
