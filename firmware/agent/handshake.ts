import { CryptoError } from '../../hal/crypto';
import type { Crypto, KeyPair } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { AgentError, openConnInfo, sealConfirmation } from './agent-crypto';
import type { OpenedEnvelope } from './agent-crypto';
import type { SmpQueueInfo } from './agent-message';
import { negotiateConnectionRequest, parseConnectionLink } from './connection-link';
import type { ConnectionRequest, NegotiatedVersions } from './connection-link';
import type { ConnectionRecord, OutboxEntry, RcvQueueRecord, SndQueueRecord } from './connection-store';
import { EngineError } from './engine-errors';
import { initialSendChain, prepareHeaderless, receiveChainFromConfirmation } from './integrity';
import { senderCanSecure } from './queue-uri';
import type { SmpQueueUri } from './queue-uri';
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
 * The legacy handshake (§5.2: PrivHeader 'K', KEY, HELLO) is refused with EngineError
 * 'unsupported': every current app creates sender-securable queues.
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
        queueMode: 'messaging',
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
}

/** Parses and checks an invitation link. LinkError for a malformed one, EngineError for one we cannot join. */
export function planJoin(linkText: string, pqWanted: boolean): JoinPlan {
  const request = parseConnectionLink(linkText);
  if (request.mode !== 'invitation' || request.e2e === null) {
    throw new EngineError('bad-link', 'this is a contact address, not a one-time invitation; contact requests are not supported yet');
  }
  const versions = negotiateConnectionRequest(request);
  const queue = request.queues[0];
  if (!senderCanSecure(queue.queueMode) || versions.smpClientVersion < SMP_CLIENT_VERSION_SENDER_SECURE) {
    throw new EngineError('unsupported', 'the invitation asks for the legacy handshake (its queue is not sender-securable); ask the peer to update their app');
  }
  const e2eVersion = versions.e2eVersion as number;
  const pq = pqWanted && versions.agentVersion >= PQ_AGENT_VERSION && e2eVersion >= E2E_VERSION_PQ;
  return { request: request, versions: versions, e2eVersion: e2eVersion, queue: queue, pqSupport: pq };
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
  const sndQueue = sendQueue(crypto, plan.queue.server, plan.queue.senderId, plan.queue.dhPublicKey, e2eKey, plan.versions.smpClientVersion);
  const replyInfo: SmpQueueInfo = {
    clientVersion: SUPPORTED_SMP_CLIENT_VRANGE.max,
    server: rcvQueue.server,
    senderId: rcvQueue.sndId,
    dhPublicKey: rcvQueue.e2eKey.publicKey,
    queueMode: 'messaging',
  };
  const prepared = prepareHeaderless(crypto, initialSendChain(), { type: 'conn-info-reply', queues: [replyInfo], connInfo: connInfo });
  const sealed = sealConfirmation(crypto, random, ratchet, { e2eDhSecret: sndQueue.e2eDhSecret, smpClientVersion: sndQueue.smpClientVersion }, prepared.bytes, {
    agentVersion: plan.versions.agentVersion,
    pqSupport: plan.pqSupport,
    e2eParams: x3dh.params,
    e2ePublicKey: e2eKey.publicKey,
    senderKey: null,
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
  };
  return { record: record, ratchet: ratchet, outbox: { kind: 'confirmation', sndMsgId: prepared.sndMsgId, notification: true, envelope: sealed.envelope } };
}

/**
 * Step 8 for the joiner: the initiator's confirmation on our reply queue carries its connection
 * info 'I' and no X3DH parameters. The connection is then connected.
 */
export function acceptInitiatorInfo(crypto: Crypto, record: ConnectionRecord, ratchet: Ratchet, opened: OpenedEnvelope): HandshakeStep {
  const env = opened.envelope;
  if (env.kind !== 'confirmation' || env.e2eParams !== null) {
    throw new AgentError('unexpected-agent-message', "the initiator's confirmation must not carry X3DH parameters");
  }
  if (opened.senderKey !== null) throw new EngineError('unsupported', 'the initiator answered with the legacy handshake (a sender key to KEY), which is not supported');
  const info = openConnInfo(ratchet, env.encConnInfo);
  if (info.message.type !== 'conn-info') {
    throw new AgentError('unexpected-agent-message', "the initiator's confirmation carried the joiner's reply 'D', not connection info 'I'", null, true);
  }
  const next: ConnectionRecord = {
    role: record.role,
    status: 'connected',
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
  };
  return { record: next, ratchet: ratchet, outbox: null };
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
  if (opened.senderKey !== null) throw new EngineError('unsupported', 'the joiner used the legacy handshake (a sender key to KEY), which is not supported');
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
  if (!senderCanSecure(reply.queueMode) || reply.clientVersion < SMP_CLIENT_VERSION_SENDER_SECURE) {
    throw new EngineError('unsupported', "the joiner's reply queue is not sender-securable (legacy handshake), which is not supported");
  }
  const e2eKey = crypto.x25519KeyPair();
  const smpVersion = reply.clientVersion < SUPPORTED_SMP_CLIENT_VRANGE.max ? reply.clientVersion : SUPPORTED_SMP_CLIENT_VRANGE.max;
  const sndQueue = sendQueue(crypto, reply.server, reply.senderId, reply.dhPublicKey, e2eKey, smpVersion);
  const prepared = prepareHeaderless(crypto, record.sendChain, { type: 'conn-info', connInfo: record.connInfo });
  const sealed = sealConfirmation(crypto, random, ratchet, { e2eDhSecret: sndQueue.e2eDhSecret, smpClientVersion: smpVersion }, prepared.bytes, {
    agentVersion: agentVersion,
    pqSupport: pq,
    e2eParams: null,
    e2ePublicKey: e2eKey.publicKey,
    senderKey: null,
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
  };
  return { record: next, ratchet: ratchet, outbox: { kind: 'conn-info', sndMsgId: prepared.sndMsgId, notification: false, envelope: sealed.envelope } };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A fresh send queue: our Ed25519 sender key and the per-queue secret with the peer's e2e key. */
function sendQueue(crypto: Crypto, server: SndQueueRecord['server'], sndId: Uint8Array, peerDhKey: Uint8Array, e2eKey: KeyPair, smpClientVersion: number): SndQueueRecord {
  let secret: Uint8Array;
  try {
    secret = crypto.x25519(e2eKey.privateKey, peerDhKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new AgentError('bad-key', "the peer's per-queue e2e key is unusable (" + e.code + ')');
    throw e;
  }
  return { server: server, sndId: sndId, senderKey: crypto.ed25519KeyPair(), e2eDhSecret: secret, smpClientVersion: smpClientVersion, secured: false };
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
