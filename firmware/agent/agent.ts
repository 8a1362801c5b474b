import type { Clock, TimerHandle } from '../../hal/clock';
import type { Crypto, KemKeyPair, KeyPair } from '../../hal/crypto';
import { SimpleGoError } from '../../hal/errors';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import { encodeChatMessage, MAX_ENCODED_INFO_LENGTH, newSharedMsgId } from '../chat/app-message';
import { decodeChatBody } from '../chat/body';
import { textContent } from '../chat/content';
import type { ZstdDecompress } from '../chat/framing';
import type { Profile } from '../chat/profile';
import { SUPPORTED_CHAT_VRANGE } from '../chat/version';
import { decompressZstd } from '../compression/zstd';
import { fromHex, toHex, wipe } from '../encoding/bytes';
import { utf8Encode } from '../encoding/utf8';
import type { SmpServer, SmpServerAddress } from '../smp/address';
import type { QueueEvent, QueueLink, RecipientQueue } from '../smp/client';
import { SmpClientError, SmpCommandError } from '../smp/client-errors';
import type { SmpClientPool } from '../smp/client-pool';
import { shortLinkPresetServers } from '../smp/presets';
import { StoreType } from '../store/record-types';
import type { Store } from '../store/store';
import type { Transaction } from '../store/transaction';
import { AgentError, openAgentMessage, openEnvelope, sealInvitation, sealMessage } from './agent-crypto';
import type { OpenedEnvelope } from './agent-crypto';
import type { AMessage } from './agent-message';
import { negotiateConnectionRequest, parseConnectionLink, renderConnectionLink } from './connection-link';
import type { ConnectionRequest } from './connection-link';
import {
  decodeConnection,
  decodeContactRequest,
  decodeInboxEntry,
  encodeContactRequest,
  decodeOutboxEntry,
  encodeConnection,
  encodeInboxEntry,
  encodeOutboxEntry,
  MAX_PENDING_RECEIPTS,
} from './connection-store';
import type { ConnectionRecord, ConnectionRole, ConnectionStatus, InboxEntry, OutboxEntry, PendingReceipt, RcvQueueRecord } from './connection-store';
import { EngineError } from './engine-errors';
import { acceptInitiatorInfo, acceptJoinerConfirmation, joinInvitation, newContactAddress, newInvitation, planJoin, sealHello } from './handshake';
import type { HandshakeStep, JoinPlan } from './handshake';
import { checkMsgIntegrity, checkReceipt, createReceipt, prepareAgentMessage, recordReceived } from './integrity';
import type { MsgIntegrity } from './integrity';
import { DirectSender } from './message-sender';
import type { MessageSender, SendTarget } from './message-sender';
import { Ratchet } from './ratchet';
import { E2E_VERSION_MAX } from './ratchet-header';
import { parseSimplexLink } from './links';
import { renderShortLink } from './short-link';
import type { ShortLink } from './short-link';
import { DirectLinkFetcher, resolveShortLink, sealInvitationLinkData, ShortLinkError } from './short-link-resolve';
import type { LinkFetcher } from './short-link-resolve';
import { SUPPORTED_AGENT_VRANGE, SUPPORTED_E2E_VRANGE, SUPPORTED_SMP_CLIENT_VRANGE } from './versions';
import { generateInitiatorParams, generateJoinerParams, replyKem } from './x3dh';

/**
 * The SimpleX agent engine: connections made with one-time invitations (agent.md §5.1, both
 * roles; the legacy KEY + HELLO handshake of §5.2 where a queue is not sender-securable) and
 * through contact addresses (§5.3, both sides), messages sent and received over them with
 * receipts (§6, §9), all of it durable. A contact request is committed (StoreType.Invitation)
 * before its ACK, like a message.
 *
 * Durability, the rules everything here follows:
 * - Receiving. A delivered message is decrypted, and the advanced ratchet, the hash chain, the
 *   message itself (Inbox log) and anything it makes us send (a receipt, in the Outbox log) are
 *   committed in ONE store transaction, then the app hears of it, and only then is it ACKed. A
 *   crash before the commit leaves the ratchet on the card where it was, and the router delivers
 *   the message again; a crash after the commit but before the ACK makes the router deliver it
 *   again too, and the ratchet (already past it) refuses it as a duplicate, which is ACKed.
 * - Sending. The message is encrypted once, and the sealed envelope goes into the Outbox log in
 *   the same transaction as the ratchet step that encrypted it. The outbox sends entries in order
 *   and drops each one only after the router's OK, so after a restart an entry is sent again
 *   byte for byte (never re-encrypted). If the first SEND did arrive, the receiver's ratchet
 *   refuses the second copy, so the app never sees a message twice.
 * - Memory follows the card: a failed commit makes the engine reload the connection and its
 *   ratchet from the store, so an in-memory ratchet step that was not stored is forgotten.
 *
 * Threading: every state change happens synchronously between awaits (JavaScript runs one thing
 * at a time), so a connection's record and ratchet are never changed by two flows at once.
 */

// ---------------------------------------------------------------------------------------------
// Public types

export type AgentEvent =
  /** Initiator: the joiner's confirmation arrived; our info is queued (allowed automatically, as the chat app does). */
  | { readonly type: 'confirmed'; readonly connId: string; readonly profile: Profile }
  /** Both sides' connection info exchanged: the connection can be used both ways. */
  | { readonly type: 'connected'; readonly connId: string; readonly profile: Profile }
  /** A text message (x.msg.new), committed to the inbox at `inboxPosition`. */
  | {
      readonly type: 'message';
      readonly connId: string;
      /** The sender's agent message number. */
      readonly sndMsgId: number;
      readonly inboxPosition: number;
      /** The router's receive time, seconds since the epoch. */
      readonly brokerTs: number;
      /** The chat SharedMsgId (12 bytes), or null when the message had none. */
      readonly sharedMsgId: Uint8Array | null;
      readonly text: string;
      readonly integrity: MsgIntegrity;
    }
  /** The router accepted our message `msgId` (the number sendText returned). */
  | { readonly type: 'sent'; readonly connId: string; readonly msgId: number }
  /** The peer's receipt for our message `msgId` arrived and names the message we sent. */
  | { readonly type: 'delivered'; readonly connId: string; readonly msgId: number }
  /** The router refused our message (or handshake step) `msgId` for good; it is not retried. */
  | { readonly type: 'failed'; readonly connId: string; readonly msgId: number; readonly error: SimpleGoError }
  /** A received message was refused (tampered, replayed, unexpected) and acknowledged; nothing changed. */
  | { readonly type: 'rejected'; readonly connId: string; readonly error: SimpleGoError }
  /** The connection and its queue are gone. */
  | { readonly type: 'deleted'; readonly connId: string }
  /**
   * A contact request arrived at our address `connId` and is stored until acceptContact or
   * rejectContact names `requestId` (contactRequests() lists the pending ones after a restart).
   */
  | { readonly type: 'contact-request'; readonly connId: string; readonly requestId: string; readonly profile: Profile };

export interface AgentOptions {
  /** Unlocked. */
  readonly store: Store;
  readonly pool: SmpClientPool;
  readonly crypto: Crypto;
  readonly random: Random;
  readonly clock: Clock;
  readonly log: Log;
  /** Where our receiving queues are created (one is picked at random per connection). */
  readonly routers: readonly SmpServerAddress[];
  /** Default: straight to the destination router over `pool`. */
  readonly sender?: MessageSender;
  /**
   * How short links are fetched (LKEY / LGET); default: straight to the link's router over the
   * pool. A ProxiedLinkFetcher keeps the device's address from the link's router.
   */
  readonly linkFetcher?: LinkFetcher;
  /** Post-quantum (sntrup761) ratchets for new connections; default true. */
  readonly pq?: boolean;
  /** Default: the firmware's zstd decoder; null refuses compressed bodies. */
  readonly decompress?: ZstdDecompress | null;
  /** First outbox retry delay after a temporary failure; doubles up to retryMaxMs. Default 2 s / 5 min. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Create queues the sender cannot secure (legacy, agent.md §5.2), as routers below SMP v9 make
   * them; the handshakes over them use KEY and HELLO. Default false. A router that can only make
   * legacy queues is used as it is either way.
   */
  readonly legacyQueues?: boolean;
  /** Called synchronously; must not throw (an exception is logged and ignored). */
  readonly onEvent: (event: AgentEvent) => void;
}

export interface ConnectionSummary {
  readonly connId: string;
  readonly role: ConnectionRole;
  readonly status: ConnectionStatus;
  /** The peer's profile once its connection info arrived. */
  readonly profile: Profile | null;
}

/** A contact request waiting at one of our addresses. */
export interface ContactRequest {
  readonly requestId: string;
  /** The address it arrived at. */
  readonly connId: string;
  /** The requester's profile, from its x.contact. */
  readonly profile: Profile;
}

export interface InboxItem extends InboxEntry {
  readonly position: number;
}

/** Counts for tests and diagnostics; never contents. */
export interface AgentStats {
  readonly received: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly sent: number;
  readonly resent: number;
}

// ---------------------------------------------------------------------------------------------
// Internal state

interface Conn {
  readonly id: Uint8Array;
  readonly key: string;
  record: ConnectionRecord;
  /** The ratchet as stored; loaded on first use. */
  ratchet: Ratchet | null;
  draining: boolean;
  drainTimer: TimerHandle | null;
  retryTimer: TimerHandle | null;
  retryDelay: number;
  kemPending: boolean;
  removed: boolean;
}

/** Makes a short link's data for a queue about to be created: its router, sender ID and e2e key. */
type LinkBuilder = (server: SmpServer, senderId: Uint8Array, e2ePublicKey: Uint8Array) => { fixedData: Uint8Array; userData: Uint8Array };

const CONN_ID_LENGTH = 16;
/** Contact request ids: a hash of the requester's invitation, so a redelivered request is recognised. */
const REQUEST_ID_LENGTH = 16;
/** Entries per outbox segment: entries are whole 16 KB envelopes. */
const OUTBOX_PER_SEGMENT = 2;
const INBOX_PER_SEGMENT = 16;
const DEFAULT_RETRY_BASE_MS = 2000;
const DEFAULT_RETRY_MAX_MS = 300000;

export class Agent {
  private readonly o: AgentOptions;
  private readonly sender: MessageSender;
  private readonly linkFetcher: LinkFetcher;
  private readonly pq: boolean;
  private readonly decompress: ZstdDecompress | null;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private conns: { [key: string]: Conn } = {};
  private running = false;
  private started = false;
  private spareKem: KemKeyPair | null = null;
  private kemFilling = false;
  private counters = { received: 0, duplicates: 0, rejected: 0, sent: 0, resent: 0 };
  /** Contact requests being accepted now: a second accept of the same one must not join twice. */
  private accepting: { [requestId: string]: boolean } = {};

  constructor(options: AgentOptions) {
    this.o = options;
    this.sender = options.sender !== undefined ? options.sender : new DirectSender(options.pool);
    this.linkFetcher = options.linkFetcher !== undefined ? options.linkFetcher : new DirectLinkFetcher(options.pool);
    this.pq = options.pq !== false;
    this.decompress = options.decompress !== undefined ? options.decompress : decompressZstd;
    this.retryBaseMs = options.retryBaseMs !== undefined ? options.retryBaseMs : DEFAULT_RETRY_BASE_MS;
    this.retryMaxMs = options.retryMaxMs !== undefined ? options.retryMaxMs : DEFAULT_RETRY_MAX_MS;
  }

  // -------------------------------------------------------------------------------------------
  // Life cycle

  /**
   * Loads every stored connection, subscribes its queue (a message left unacknowledged before a
   * restart is delivered again now), resumes its outbox, and finishes interrupted deletions.
   * Resolves when every subscription has been answered; a failed one is retried in the background.
   */
  async start(): Promise<void> {
    if (this.started) throw new EngineError('stopped', 'an agent starts once; make a new Agent after stop()');
    this.started = true;
    this.running = true;
    const ids = this.o.store.list(StoreType.Connection);
    const subscriptions: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i++) {
      const conn = this.register(ids[i], this.loadRecord(ids[i]));
      if (conn.record.status === 'deleting') {
        this.finishDelete(conn).then(noop, (e) => this.logFailure('agent.delete.retry', conn, e));
        continue;
      }
      subscriptions.push(this.subscribe(conn));
      this.scheduleDrain(conn);
      this.refillRatchetKem(conn);
    }
    this.refillSpareKem();
    await Promise.all(subscriptions);
  }

  /**
   * Stops at once: no event, ACK, send or store write follows (an operation in flight is
   * abandoned where it is, which the durability rules make safe). The pool stays the owner's.
   */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    const keys = Object.keys(this.conns);
    for (let i = 0; i < keys.length; i++) {
      const conn = this.conns[keys[i]];
      this.cancelTimers(conn);
      const client = this.o.pool.existing(conn.record.rcvQueue.server);
      if (client !== null) client.unsubscribe(conn.record.rcvQueue.rcvId);
      if (conn.ratchet !== null) conn.ratchet.destroy();
      conn.ratchet = null;
    }
    this.conns = {};
  }

  // -------------------------------------------------------------------------------------------
  // App API

  /**
   * Creates a queue and a one-time invitation link (agent.md §5.1 step 1). With `short: true`
   * the full request is stored on the router as short-link data (NEW with link data, SMP v15+)
   * and the link is a short one (`https://<router host>/i#<linkId>/<linkKey>?…`, §4.6); the
   * joiner fetches it with LKEY, which also secures our queue with its sender key.
   */
  async createInvitation(profile: Profile, options?: { readonly short?: boolean }): Promise<{ connId: string; link: string }> {
    this.requireRunning();
    const short = options !== undefined && options.short === true;
    const made = await this.newInvitationConn(profile, short);
    if (made.shortLink !== null) return { connId: made.conn.key, link: made.shortLink };
    return { connId: made.conn.key, link: renderConnectionLink(made.link) };
  }

  /** A new initiator connection with its queue, committed; and its link (and its short link when asked for). */
  private async newInvitationConn(profile: Profile, short: boolean = false): Promise<{ conn: Conn; link: ConnectionRequest; shortLink: string | null }> {
    const crypto = this.o.crypto;
    const connInfo = connInfoOf(profile);
    const kem = this.pq ? await this.takeKemKeyPair() : null;
    const x3dh = generateInitiatorParams(crypto, E2E_VERSION_MAX, this.pq, kem);
    const id = this.o.random.bytes(CONN_ID_LENGTH);
    let linkKey: Uint8Array | null = null;
    let linkFor: LinkBuilder | undefined;
    if (short) {
      // The link data holds the full request (with the KEM key), so it is made once the queue's
      // sender ID and e2e key are known, and before NEW, which carries it.
      linkFor = (server, senderId, e2ePublicKey) => {
        const request: ConnectionRequest = {
          mode: 'invitation',
          agentVRange: SUPPORTED_AGENT_VRANGE,
          queues: [{ smpClientVRange: SUPPORTED_SMP_CLIENT_VRANGE, server: server, senderId: senderId, dhPublicKey: e2ePublicKey, queueMode: 'messaging' }],
          clientData: null,
          e2e: { versionRange: SUPPORTED_E2E_VRANGE, key1: x3dh.params.key1, key2: x3dh.params.key2, kem: x3dh.params.kem },
        };
        const rootKey = crypto.ed25519KeyPair();
        const sealed = sealInvitationLinkData(crypto, this.o.random, rootKey, SUPPORTED_AGENT_VRANGE, request, new Uint8Array(0));
        wipe(rootKey.privateKey);
        linkKey = sealed.linkKey;
        return { fixedData: sealed.fixedData, userData: sealed.userData };
      };
    }
    const created = await this.createQueueWith(id, 'messaging', linkFor);
    const rcvQueue = created.queue;
    const made = newInvitation(rcvQueue, x3dh, connInfo, this.pq);
    let shortLink: string | null = null;
    if (short) {
      if (created.linkId === null || linkKey === null) throw new EngineError('unsupported', 'the router did not give the short link an ID');
      shortLink = renderShortLink({ scheme: 'https', type: 'invitation', server: rcvQueue.server, linkId: created.linkId, linkKey: linkKey });
    }
    this.o.store
      .begin()
      .createLog(StoreType.Outbox, id, OUTBOX_PER_SEGMENT)
      .createLog(StoreType.Inbox, id, INBOX_PER_SEGMENT)
      .put(StoreType.Connection, id, encodeConnection(made.record))
      .commit();
    const conn = this.register(id, made.record);
    return { conn: conn, link: made.link, shortLink: shortLink };
  }

  /**
   * Joins a one-time invitation (agent.md §5.1 steps 2-5): our reply queue is created, and the
   * confirmation is committed to the outbox with the new ratchet, to be sent after SKEY (or
   * unsigned with 'K', for a legacy queue, §5.2). A contact address link is handed to
   * joinContactAddress.
   */
  async joinInvitation(linkText: string, profile: Profile): Promise<string> {
    this.requireRunning();
    const parsed = parseSimplexLink(linkText);
    if (parsed.kind === 'short') return this.joinShortLink(parsed.link, profile);
    // A contact address is "joined" by sending it a request (agent.md §5.3).
    if (parseConnectionLink(linkText).mode === 'contact') return this.joinContactAddress(linkText, profile);
    return this.joinPlanned(planJoin(linkText, this.pq), profile, null);
  }

  /**
   * A short link (agent.md §4.6): resolved through its router, then joined as the full link it
   * stands for. For an invitation, LKEY has already installed our sender key on the initiator's
   * queue, so the send queue takes that key and is marked secured (no SKEY).
   *
   * Not crash-safe across LKEY: the key lives in memory until the join commits, so a power cut
   * in between leaves the invitation secured with a lost key (the link then fails with AUTH).
   */
  private async joinShortLink(link: ShortLink, profile: Profile): Promise<string> {
    const resolved = await resolveShortLink(this.o.crypto, this.linkFetcher, link, shortLinkPresetServers());
    this.requireRunning();
    const fullLink = renderConnectionLink(resolved.request);
    if (resolved.request.mode === 'contact') return this.joinContactAddress(fullLink, profile);
    const plan = planJoin(fullLink, this.pq);
    if (plan.legacy) throw new ShortLinkError('wrong-queue', 'the short link data names a queue its sender cannot secure; a short invitation queue always can');
    return this.joinPlanned(plan, profile, null, resolved.senderKey);
  }

  /**
   * joinInvitation's work; `requestId`: the contact request being accepted, deleted in the same
   * commit. `securedWith`: the sender key LKEY already installed on the initiator's queue.
   */
  private async joinPlanned(plan: JoinPlan, profile: Profile, requestId: Uint8Array | null, securedWith: KeyPair | null = null): Promise<string> {
    const crypto = this.o.crypto;
    const connInfo = connInfoOf(profile);
    const linkKem = plan.request.e2e !== null ? plan.request.e2e.kem : null;
    const reply = replyKem(plan.e2eVersion, linkKem, plan.pqSupport);
    const kem = reply !== null ? await this.takeKemKeyPair() : null;
    const x3dh = generateJoinerParams(crypto, plan.e2eVersion, reply, kem);
    const id = this.o.random.bytes(CONN_ID_LENGTH);
    const rcvQueue = await this.createQueue(id);
    let step = joinInvitation(crypto, this.o.random, plan, x3dh, rcvQueue, connInfo);
    const sq = step.record.sndQueue;
    if (securedWith !== null && sq !== null) {
      // The confirmation is signed at send time, so swapping the key here is enough.
      wipe(sq.senderKey.privateKey);
      step = { ...step, record: { ...step.record, sndQueue: { ...sq, senderKey: securedWith, secured: true } } };
    }
    const tx = this.o.store
      .begin()
      .createLog(StoreType.Outbox, id, OUTBOX_PER_SEGMENT)
      .createLog(StoreType.Inbox, id, INBOX_PER_SEGMENT)
      .put(StoreType.Ratchet, id, step.ratchet.serialize())
      .put(StoreType.Connection, id, encodeConnection(step.record))
      .append(StoreType.Outbox, id, encodeOutboxEntry(step.outbox as OutboxEntry));
    if (requestId !== null) tx.delete(StoreType.Invitation, requestId);
    tx.commit();
    const conn = this.register(id, step.record);
    conn.ratchet = step.ratchet;
    this.scheduleDrain(conn);
    this.refillRatchetKem(conn);
    return conn.key;
  }

  // -------------------------------------------------------------------------------------------
  // Contact addresses (agent.md §5.3)

  /**
   * Creates a long-term contact address: a contact-mode queue and its link
   * (`simplex:/contact#/?v=2-7&smp=…`, no e2e part). Requests to it arrive as 'contact-request'
   * events. deleteConnection(connId) deletes the address and its pending requests.
   */
  async createContactAddress(): Promise<{ connId: string; link: string }> {
    this.requireRunning();
    const id = this.o.random.bytes(CONN_ID_LENGTH);
    const rcvQueue = await this.createQueue(id, 'contact');
    const made = newContactAddress(rcvQueue);
    this.o.store
      .begin()
      .createLog(StoreType.Outbox, id, OUTBOX_PER_SEGMENT)
      .createLog(StoreType.Inbox, id, INBOX_PER_SEGMENT)
      .put(StoreType.Connection, id, encodeConnection(made.record))
      .commit();
    const conn = this.register(id, made.record);
    return { connId: conn.key, link: renderConnectionLink(made.link) };
  }

  /**
   * Sends a contact request to an address: our own one-time invitation (a new connection, whose
   * id this returns, as createInvitation makes it) goes to the address queue in an
   * AgentInvitation with our profile as x.contact, boxed once with an ephemeral key. When the
   * address owner accepts, the connection goes on as an invitation we made: 'confirmed', then
   * 'connected'. The request is sent before this resolves; if it cannot be, the new connection is
   * deleted again and the error is thrown (nothing is retried: send the request again).
   */
  async joinContactAddress(linkText: string, profile: Profile): Promise<string> {
    this.requireRunning();
    const address = parseConnectionLink(linkText);
    if (address.mode !== 'contact') throw new EngineError('bad-link', 'this is a one-time invitation, not a contact address: join it with joinInvitation');
    const versions = negotiateConnectionRequest(address);
    const queue = address.queues[0];
    const made = await this.newInvitationConn(profile);
    const conn = made.conn;
    let envelope: Uint8Array;
    try {
      envelope = sealInvitation(
        this.o.crypto,
        this.o.random,
        { dhPublicKey: queue.dhPublicKey, smpClientVersion: versions.smpClientVersion },
        versions.agentVersion,
        made.link,
        contactInfoOf(profile),
      );
      // A contact queue has no sender key: the request goes unsigned (see sendUnsigned).
      await this.sendUnsigned(queue.server, queue.senderId, envelope, true);
    } catch (e) {
      if (this.running && !conn.removed) await this.deleteConnection(conn.key).then(noop, (d) => this.logFailure('agent.contact.cleanup', conn, d));
      throw e;
    }
    return conn.key;
  }

  /** The contact requests waiting at our addresses, in no particular order. */
  contactRequests(): ContactRequest[] {
    this.requireRunning();
    const ids = this.o.store.list(StoreType.Invitation);
    const out: ContactRequest[] = [];
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.o.store.get(StoreType.Invitation, ids[i]);
      if (bytes === null) continue;
      const r = decodeContactRequest(bytes);
      const profile = this.contactProfileOrNull(r.connInfo);
      if (profile !== null) out.push({ requestId: toHex(ids[i]), connId: toHex(r.addressId), profile: profile });
    }
    return out;
  }

  /**
   * Accepts a contact request: joins the requester's invitation as a joiner (§5.1 with the roles
   * swapped) with our `profile`, and drops the request in the same commit. Returns the new
   * connection's id; it reports 'connected' as any joined invitation does.
   */
  async acceptContact(requestId: string, profile: Profile): Promise<string> {
    this.requireRunning();
    const id = this.requestIdBytes(requestId);
    if (this.accepting[requestId] === true) throw new EngineError('not-ready', 'this contact request is being accepted already');
    const bytes = this.o.store.get(StoreType.Invitation, id);
    if (bytes === null) throw new EngineError('unknown-connection', 'there is no contact request with this id (accepted or rejected already?)');
    const request = decodeContactRequest(bytes);
    this.accepting[requestId] = true;
    try {
      return await this.joinPlanned(planJoin(request.link, this.pq), profile, id);
    } finally {
      delete this.accepting[requestId];
    }
  }

  /** Rejects a contact request: it is forgotten; the requester is not told (as upstream). */
  rejectContact(requestId: string): void {
    this.requireRunning();
    const id = this.requestIdBytes(requestId);
    if (this.accepting[requestId] === true) throw new EngineError('not-ready', 'this contact request is being accepted');
    if (!this.o.store.has(StoreType.Invitation, id)) throw new EngineError('unknown-connection', 'there is no contact request with this id (accepted or rejected already?)');
    this.o.store.begin().delete(StoreType.Invitation, id).commit();
  }

  /**
   * Encrypts a text message and commits it to the outbox with the ratchet step; returns its id
   * (the agent message number, reported again in 'sent', 'delivered' or 'failed').
   */
  sendText(connId: string, text: string): number {
    this.requireRunning();
    const conn = this.requireConn(connId);
    const rec = conn.record;
    const sq = rec.sndQueue;
    if (sq === null || rec.status === 'deleting') throw new EngineError('not-ready', 'this connection cannot send yet: the handshake has not reached it');
    const ratchet = this.ratchetOf(conn);
    if (!ratchet.canEncrypt()) throw new EngineError('not-ready', 'this connection cannot send until the peer has answered');
    // A legacy queue takes signed messages only once its owner has run KEY: after the handshake.
    if ((!sq.senderCanSecure || rec.awaitHello) && rec.status !== 'connected') {
      throw new EngineError('not-ready', 'this connection cannot send until the legacy handshake (HELLO) is complete');
    }
    const body = encodeChatMessage({
      chatVRange: SUPPORTED_CHAT_VRANGE,
      msgId: newSharedMsgId(this.o.random),
      event: { type: 'x.msg.new', container: { content: textContent(text), ttl: null, live: null, other: {} } },
    });
    const prepared = prepareAgentMessage(this.o.crypto, rec.sendChain, { type: 'A_MSG', body: body });
    const sealed = sealMessage(this.o.crypto, this.o.random, ratchet, { e2eDhSecret: sq.e2eDhSecret, smpClientVersion: sq.smpClientVersion }, prepared.bytes, {
      agentVersion: rec.agentVersion,
      pqSupport: rec.pqSupport,
    });
    const pending = withPending(rec.pendingReceipts, { sndMsgId: prepared.sndMsgId, msgHash: prepared.record.msgHash });
    const next: ConnectionRecord = { ...rec, sendChain: prepared.next, pendingReceipts: pending };
    const entry: OutboxEntry = { kind: 'message', sndMsgId: prepared.sndMsgId, notification: true, envelope: sealed.envelope };
    const tx = this.o.store.begin().put(StoreType.Ratchet, conn.id, ratchet.serialize()).put(StoreType.Connection, conn.id, encodeConnection(next)).append(StoreType.Outbox, conn.id, encodeOutboxEntry(entry));
    this.commit(conn, tx, next);
    this.scheduleDrain(conn);
    return prepared.sndMsgId;
  }

  /**
   * Deletes the connection: its outbox is dropped at once, its queue is deleted on the router,
   * then everything stored about it. If the router cannot be reached the promise rejects and the
   * deletion is finished by a later start().
   */
  async deleteConnection(connId: string): Promise<void> {
    this.requireRunning();
    const conn = this.requireConn(connId);
    if (conn.record.status !== 'deleting') {
      const next: ConnectionRecord = { ...conn.record, status: 'deleting' };
      const tx = this.o.store.begin().put(StoreType.Connection, conn.id, encodeConnection(next)).deleteLog(StoreType.Outbox, conn.id);
      this.commit(conn, tx, next);
      this.cancelTimers(conn);
    }
    await this.finishDelete(conn);
  }

  connections(): ConnectionSummary[] {
    const out: ConnectionSummary[] = [];
    const keys = Object.keys(this.conns);
    for (let i = 0; i < keys.length; i++) {
      const c = this.conns[keys[i]];
      out.push({ connId: c.key, role: c.record.role, status: c.record.status, profile: c.record.peerConnInfo === null ? null : this.profileOrNull(c.record.peerConnInfo) });
    }
    return out;
  }

  /** Received messages still in the inbox, from position `from` on (the app releases what it stored). */
  inbox(connId: string, from: number = 0): InboxItem[] {
    const conn = this.requireConn(connId);
    const info = this.o.store.logInfo(StoreType.Inbox, conn.id);
    if (info === null) return [];
    const start = from > info.first ? from : info.first;
    if (start >= info.next) return [];
    const entries = this.o.store.read(StoreType.Inbox, conn.id, start, info.next);
    const out: InboxItem[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = decodeInboxEntry(entries[i]);
      out.push({ position: start + i, sndMsgId: e.sndMsgId, brokerTs: e.brokerTs, integrity: e.integrity, body: e.body });
    }
    return out;
  }

  /** Drops inbox entries before `before`, once the app has stored them in its own history. */
  releaseInbox(connId: string, before: number): void {
    const conn = this.requireConn(connId);
    this.o.store.begin().truncateLog(StoreType.Inbox, conn.id, before).commit();
  }

  /**
   * SHA-256 of the connection's ratchet associated data (upstream getConnectionRatchetAdHash),
   * the input of the security code; null while the connection has no ratchet yet.
   */
  ratchetAdHash(connId: string): Uint8Array | null {
    const conn = this.requireConn(connId);
    if (conn.ratchet === null && !this.o.store.has(StoreType.Ratchet, conn.id)) return null;
    return this.ratchetOf(conn).associatedDataHash();
  }

  stats(): AgentStats {
    const c = this.counters;
    return { received: c.received, duplicates: c.duplicates, rejected: c.rejected, sent: c.sent, resent: c.resent };
  }

  // -------------------------------------------------------------------------------------------
  // Queues

  private async createQueue(id: Uint8Array, mode: 'messaging' | 'contact' = 'messaging'): Promise<RcvQueueRecord> {
    return (await this.createQueueWith(id, mode, undefined)).queue;
  }

  /** createQueue, with short-link data made by `linkFor` for the queue's sender ID (smp.md §7.1). */
  private async createQueueWith(id: Uint8Array, mode: 'messaging' | 'contact', linkFor: LinkBuilder | undefined): Promise<{ queue: RcvQueueRecord; linkId: Uint8Array | null }> {
    const routers = this.o.routers;
    if (routers.length === 0) throw new EngineError('no-router', 'no router is configured to create the connection queue on');
    const address = routers[routers.length === 1 ? 0 : this.o.random.bytes(1)[0] % routers.length];
    const crypto = this.o.crypto;
    const rcvAuthKey = crypto.ed25519KeyPair();
    const rcvDhKey = crypto.x25519KeyPair();
    const e2eKey = crypto.x25519KeyPair();
    const key = toHex(id);
    let link: QueueLink | null = null;
    if (linkFor !== undefined) {
      // The router checks senderId = SHA3-384(corrId)[0..24] (prepareLinkData).
      const corrId = this.o.random.bytes(24);
      const senderId = new Uint8Array(crypto.sha3_384(corrId).subarray(0, 24));
      const data = linkFor(address.server, senderId, e2eKey.publicKey);
      link = { corrId: corrId, senderId: senderId, linkId: null, fixedData: data.fixedData, userData: data.userData };
    }
    const created = await this.o.pool.client(address).createQueue({
      rcvAuthKey: { alg: 'ed25519', privateKey: rcvAuthKey.privateKey, publicKey: rcvAuthKey.publicKey },
      rcvDhKey: rcvDhKey,
      queueMode: mode === 'contact' ? 'contact' : this.o.legacyQueues === true && link === null ? null : 'messaging',
      link: link,
      ntfCreds: null,
      basicAuth: address.basicAuth,
      // Nothing can arrive before the connection is registered: nobody knows the queue yet.
      onEvent: (event) => {
        const conn = this.conns[key];
        if (conn !== undefined) this.onQueueEvent(conn, event);
      },
    });
    this.requireRunning();
    if (mode === 'messaging' && created.queueMode === 'contact') throw new EngineError('unsupported', 'the router made a contact queue where a messaging queue was asked for');
    if (mode === 'contact' && created.queueMode === 'messaging') throw new EngineError('unsupported', 'the router made a messaging queue where a contact address was asked for');
    const queue: RcvQueueRecord = {
      server: address.server,
      rcvId: created.rcvId,
      rcvAuthKey: rcvAuthKey,
      rcvDhSecret: created.rcvDhSecret,
      sndId: created.sndId,
      e2eKey: e2eKey,
      e2eDhSecret: null,
      smpClientVersion: SUPPORTED_SMP_CLIENT_VRANGE.max,
      // A router below v9 makes legacy queues whatever was asked: the handshake then uses KEY.
      senderCanSecure: mode === 'messaging' && created.queueMode === 'messaging',
    };
    return { queue: queue, linkId: created.linkId };
  }

  private subscribe(conn: Conn): Promise<void> {
    if (!this.running || conn.removed) return Promise.resolve();
    const q = conn.record.rcvQueue;
    let client;
    try {
      client = this.o.pool.client({ server: q.server, basicAuth: null });
    } catch (e) {
      this.logFailure('agent.subscribe', conn, e);
      return Promise.resolve();
    }
    return client.subscribe(recipientOf(q), (event) => this.onQueueEvent(conn, event)).then(
      () => undefined,
      (e) => {
        if (e instanceof SmpClientError && e.code === 'already-subscribed') return;
        this.logFailure('agent.subscribe', conn, e);
        this.retryLater(conn, () => {
          this.subscribe(conn).then(noop, noop);
        });
      },
    );
  }

  private onQueueEvent(conn: Conn, event: QueueEvent): void {
    if (!this.running || conn.removed) return;
    switch (event.type) {
      case 'message':
        this.receive(conn, event.msgId, event.body, event.timestamp);
        return;
      case 'quota':
      case 'undecryptable':
        this.ack(conn, event.msgId);
        return;
      case 'end':
      case 'deleted':
        this.o.log.write('warn', 'agent.queue.' + event.type, {});
        return;
      case 'resubscribe-failed':
        this.logFailure('agent.resubscribe', conn, event.error);
        this.retryLater(conn, () => {
          this.subscribe(conn).then(noop, noop);
        });
        return;
    }
  }

  private ack(conn: Conn, msgId: Uint8Array): void {
    if (!this.running || conn.removed) return;
    const q = conn.record.rcvQueue;
    let client;
    try {
      client = this.o.pool.client({ server: q.server, basicAuth: null });
    } catch (e) {
      return;
    }
    // A lost ACK is harmless: the message comes again and is refused as a duplicate.
    client.ack(recipientOf(q), msgId).then(noop, (e) => this.logFailure('agent.ack', conn, e));
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private receive(conn: Conn, msgId: Uint8Array, body: Uint8Array, brokerTs: number): void {
    let events: AgentEvent[];
    try {
      events = this.process(conn, body, brokerTs);
      this.counters.received++;
    } catch (e) {
      if (isStoreFailure(e)) {
        // The card failed: nothing was committed, so the message must not be acknowledged.
        this.logFailure('agent.receive.store', conn, e);
        this.reload(conn);
        return;
      }
      events = [this.rejected(conn, e)];
    }
    for (let i = 0; i < events.length; i++) this.emit(events[i]);
    this.ack(conn, msgId);
  }

  /** A refused message: keep the card's state (persisting a ratchet that already advanced). */
  private rejected(conn: Conn, e: unknown): AgentEvent {
    if (e instanceof AgentError && e.ratchetAdvanced && conn.ratchet !== null) {
      try {
        this.o.store.put(StoreType.Ratchet, conn.id, conn.ratchet.serialize());
      } catch (storeError) {
        this.logFailure('agent.receive.store', conn, storeError);
        this.reload(conn);
      }
    } else {
      this.reload(conn);
    }
    const error = e instanceof SimpleGoError ? e : new EngineError('bad-record', 'internal error while processing a received message');
    if (!(e instanceof SimpleGoError)) this.logFailure('agent.receive.bug', conn, e);
    if (isDuplicate(error)) this.counters.duplicates++;
    else this.counters.rejected++;
    this.o.log.write('info', 'agent.receive.rejected', { code: error.code });
    return { type: 'rejected', connId: conn.key, error: error };
  }

  private process(conn: Conn, body: Uint8Array, brokerTs: number): AgentEvent[] {
    const rec = conn.record;
    const q = rec.rcvQueue;
    const opened = openEnvelope(this.o.crypto, body, {
      e2eDhSecret: q.e2eDhSecret,
      e2ePrivateKey: q.e2eKey.privateKey,
      senderCanSecure: q.senderCanSecure,
      smpClientVersion: q.smpClientVersion,
    });
    if (rec.role === 'address') {
      // An address queue takes contact requests and nothing else (its e2e secret is never stored).
      wipe(opened.e2eDhSecret);
      if (opened.action !== 'invitation') throw new AgentError('not-accepted', "an address queue only takes contact requests, not a '" + opened.envelope.kind + "' envelope");
      return this.onContactRequest(conn, opened);
    }
    switch (opened.action) {
      case 'confirmation':
        if (rec.role === 'initiator' && rec.status === 'invited') return this.onConfirmation(conn, acceptJoinerConfirmation(this.o.crypto, this.o.random, rec, opened), 'confirmed');
        if (rec.role === 'joiner' && rec.status === 'joined' && rec.peerConnInfo === null) {
          const step = acceptInitiatorInfo(this.o.crypto, this.o.random, rec, this.ratchetOf(conn), opened);
          // Legacy: connected only after HELLO both ways.
          return this.onConfirmation(conn, step, step.record.status === 'connected' ? 'connected' : null);
        }
        throw new AgentError('not-accepted', 'a confirmation arrived on a connection past its handshake');
      case 'repeat-confirmation':
        // Its first copy was committed; the ACK was lost.
        this.counters.duplicates++;
        return [];
      case 'message':
        return this.onMessage(conn, opened, brokerTs);
      default:
        if (opened.action === 'invitation') throw new AgentError('not-accepted', 'a contact request arrived on a queue that is not a contact address');
        throw new EngineError('unsupported', "received a '" + opened.envelope.kind + "' envelope, which this agent does not handle (ratchet re-sync)");
    }
  }

  /**
   * A contact request at our address: checked now (a request we could never accept is refused
   * at once) and committed, so the ACK that follows cannot lose it. Its id is a hash of the
   * requester's invitation, so a redelivery after a lost ACK is recognised and not reported twice.
   */
  private onContactRequest(conn: Conn, opened: OpenedEnvelope): AgentEvent[] {
    const env = opened.envelope;
    if (env.kind !== 'invitation') throw new AgentError('not-accepted', 'expected a contact request');
    if (env.agentVersion < SUPPORTED_AGENT_VRANGE.min || env.agentVersion > SUPPORTED_AGENT_VRANGE.max) {
      throw new AgentError('version', 'the contact request uses agent version ' + env.agentVersion + '; SimpleGo speaks ' + SUPPORTED_AGENT_VRANGE.min + '..' + SUPPORTED_AGENT_VRANGE.max);
    }
    const profile = this.contactProfileOrNull(env.connInfo);
    if (profile === null) throw new EngineError('unsupported', "the contact request carries no profile (x.contact)");
    const link = renderConnectionLink(env.connReq);
    planJoin(link, this.pq);
    const id = new Uint8Array(this.o.crypto.sha256(utf8Encode(link)).subarray(0, REQUEST_ID_LENGTH));
    if (this.o.store.has(StoreType.Invitation, id)) {
      this.counters.duplicates++;
      return [];
    }
    const record = encodeContactRequest({ addressId: conn.id, agentVersion: env.agentVersion, link: link, connInfo: env.connInfo });
    this.o.store.begin().put(StoreType.Invitation, id, record).commit();
    return [{ type: 'contact-request', connId: conn.key, requestId: toHex(id), profile: profile }];
  }

  private onConfirmation(conn: Conn, step: HandshakeStep, event: 'confirmed' | 'connected' | null): AgentEvent[] {
    const profile = this.profileOf(step.record.peerConnInfo as Uint8Array);
    const tx = this.o.store.begin().put(StoreType.Ratchet, conn.id, step.ratchet.serialize()).put(StoreType.Connection, conn.id, encodeConnection(step.record));
    if (step.outbox !== null) tx.append(StoreType.Outbox, conn.id, encodeOutboxEntry(step.outbox));
    if (conn.ratchet !== null && conn.ratchet !== step.ratchet) conn.ratchet.destroy();
    conn.ratchet = step.ratchet;
    this.commit(conn, tx, step.record);
    if (step.outbox !== null) this.scheduleDrain(conn);
    return event === null ? [] : [{ type: event, connId: conn.key, profile: profile }];
  }

  private onMessage(conn: Conn, opened: OpenedEnvelope, brokerTs: number): AgentEvent[] {
    const env = opened.envelope;
    const rec = conn.record;
    if (env.kind !== 'message') throw new AgentError('not-accepted', 'expected a message envelope');
    const chain = rec.receiveChain;
    if (chain === null) throw new AgentError('not-accepted', "a message arrived before the peer's connection info");
    const ratchet = this.ratchetOf(conn);
    const m = openAgentMessage(ratchet, env.encAgentMessage);
    if (m.message.type !== 'message') throw new AgentError('unexpected-agent-message', 'expected an AgentMessage M', null, true);
    const header = m.message.header;
    const integrity = checkMsgIntegrity(chain, header.sndMsgId, header.prevMsgHash);
    const tx = this.o.store.begin();
    let next: ConnectionRecord = { ...rec, receiveChain: recordReceived(this.o.crypto, header.sndMsgId, m.bytes) };
    const events: AgentEvent[] = [];
    let message: { sharedMsgId: Uint8Array | null; text: string } | null = null;
    let outbox: OutboxEntry | null = null;
    if (integrity.kind === 'duplicate') {
      // The same number again, yet it decrypted: the peer re-encrypted a message. Never shown twice.
      this.counters.duplicates++;
    } else {
      const am: AMessage = m.message.message;
      if (am.type === 'A_MSG') {
        message = this.textOf(am.body);
        if (message !== null) {
          tx.append(StoreType.Inbox, conn.id, encodeInboxEntry({ sndMsgId: header.sndMsgId, brokerTs: brokerTs, integrity: integrity, body: am.body }));
          const receipt = createReceipt(this.o.crypto, rec.agentVersion, m.message, m.bytes);
          if (receipt !== null && next.sndQueue !== null && ratchet.canEncrypt()) {
            const sq = next.sndQueue;
            const prepared = prepareAgentMessage(this.o.crypto, next.sendChain, receipt);
            const sealed = sealMessage(this.o.crypto, this.o.random, ratchet, { e2eDhSecret: sq.e2eDhSecret, smpClientVersion: sq.smpClientVersion }, prepared.bytes, {
              agentVersion: rec.agentVersion,
              pqSupport: rec.pqSupport,
            });
            next = { ...next, sendChain: prepared.next };
            outbox = { kind: 'control', sndMsgId: prepared.sndMsgId, notification: false, envelope: sealed.envelope };
          }
        }
      } else if (am.type === 'HELLO') {
        const hello = this.onHello(next, ratchet);
        next = hello.record;
        if (hello.outbox !== null) outbox = hello.outbox;
        if (hello.connected) events.push({ type: 'connected', connId: conn.key, profile: this.profileOf(next.peerConnInfo as Uint8Array) });
      } else if (am.type === 'A_RCVD') {
        let pending = next.pendingReceipts;
        for (let i = 0; i < am.receipts.length; i++) {
          const r = am.receipts[i];
          const kept: PendingReceipt[] = [];
          let found = false;
          for (let k = 0; k < pending.length; k++) {
            const p = pending[k];
            if (!found && p.sndMsgId === r.agentMsgId && checkReceipt({ type: 'A_MSG', msgHash: p.msgHash }, r) === 'ok') {
              found = true;
              events.push({ type: 'delivered', connId: conn.key, msgId: p.sndMsgId });
            } else {
              kept.push(p);
            }
          }
          if (!found) this.o.log.write('warn', 'agent.receipt.unmatched', {});
          pending = kept;
        }
        next = { ...next, pendingReceipts: pending };
      }
      // EREADY and the queue-rotation messages need nothing here: this agent neither rotates
      // queues nor re-synchronises ratchets.
    }
    tx.put(StoreType.Ratchet, conn.id, ratchet.serialize()).put(StoreType.Connection, conn.id, encodeConnection(next));
    if (outbox !== null) tx.append(StoreType.Outbox, conn.id, encodeOutboxEntry(outbox));
    const result = this.commit(conn, tx, next);
    if (message !== null) {
      events.unshift({
        type: 'message',
        connId: conn.key,
        sndMsgId: header.sndMsgId,
        inboxPosition: result.positions[0],
        brokerTs: brokerTs,
        sharedMsgId: message.sharedMsgId,
        text: message.text,
        integrity: integrity,
      });
    }
    if (outbox !== null) this.scheduleDrain(conn);
    return events;
  }

  /**
   * The peer's HELLO (legacy handshake, §5.2 steps 4-5): the initiator answers with its own
   * (queued in the same commit), and whoever has then both sent and received HELLO is connected.
   * A HELLO outside the legacy handshake, or a second one, changes nothing.
   */
  private onHello(rec: ConnectionRecord, ratchet: Ratchet): { record: ConnectionRecord; outbox: OutboxEntry | null; connected: boolean } {
    if (!rec.awaitHello || rec.helloReceived || rec.status === 'connected' || rec.peerConnInfo === null) {
      this.o.log.write('info', 'agent.hello.ignored', {});
      return { record: rec, outbox: null, connected: false };
    }
    let next: ConnectionRecord = { ...rec, helloReceived: true };
    let outbox: OutboxEntry | null = null;
    // The joiner sent its HELLO first, so it has one in flight or sent; the initiator answers.
    if (rec.role === 'initiator' && !rec.helloSent) {
      const sealed = sealHello(this.o.crypto, this.o.random, next, ratchet);
      next = sealed.record;
      outbox = sealed.outbox;
    }
    const connected = next.helloSent;
    if (connected) next = { ...next, status: 'connected' };
    return { record: next, outbox: outbox, connected: connected };
  }

  /** The first x.msg.new of a chat body, or null when it has none (other events are ignored). */
  private textOf(body: Uint8Array): { sharedMsgId: Uint8Array | null; text: string } | null {
    const items = decodeChatBody(body, this.decompress);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.ok && item.message.event.type === 'x.msg.new') return { sharedMsgId: item.message.msgId, text: item.message.event.container.content.text };
    }
    return null;
  }

  private profileOf(connInfo: Uint8Array): Profile {
    const p = this.profileOrNull(connInfo);
    if (p === null) throw new EngineError('unsupported', "the peer's connection info carries no profile (x.info)");
    return p;
  }

  /** The profile of a contact request's x.contact (or, leniently, x.info), or null. */
  private contactProfileOrNull(connInfo: Uint8Array): Profile | null {
    const items = decodeChatBody(connInfo, this.decompress);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.ok && item.message.event.type === 'x.contact') return item.message.event.profile;
      if (item.ok && item.message.event.type === 'x.info') return item.message.event.profile;
    }
    return null;
  }

  private requestIdBytes(requestId: string): Uint8Array {
    const id = typeof requestId === 'string' ? fromHex(requestId) : null;
    if (id === null || id.length !== REQUEST_ID_LENGTH) throw new EngineError('unknown-connection', 'there is no contact request with this id');
    return id;
  }

  private profileOrNull(connInfo: Uint8Array): Profile | null {
    const items = decodeChatBody(connInfo, this.decompress);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.ok && item.message.event.type === 'x.info') return item.message.event.profile;
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Sending: the outbox

  private scheduleDrain(conn: Conn): void {
    if (!this.running || conn.removed || conn.draining || conn.drainTimer !== null || conn.retryTimer !== null) return;
    // On a timer, so that the caller's own work (and a stop() right after it) comes first.
    conn.drainTimer = this.o.clock.setTimer(() => {
      conn.drainTimer = null;
      this.drain(conn).then(noop, (e) => this.logFailure('agent.outbox', conn, e));
    }, 0);
  }

  private async drain(conn: Conn): Promise<void> {
    if (!this.running || conn.removed || conn.draining) return;
    conn.draining = true;
    try {
      for (;;) {
        if (!this.running || conn.removed) return;
        const info = this.o.store.logInfo(StoreType.Outbox, conn.id);
        if (info === null || info.first >= info.next) return;
        const position = info.first;
        const entry = decodeOutboxEntry(this.o.store.read(StoreType.Outbox, conn.id, position, position + 1)[0]);
        const sq = conn.record.sndQueue;
        if (sq === null) throw new EngineError('bad-record', 'an outbox entry waits on a connection without a send queue');
        const target: SendTarget = { server: sq.server, sndId: sq.sndId, senderKey: { alg: 'ed25519', privateKey: sq.senderKey.privateKey, publicKey: sq.senderKey.publicKey } };
        try {
          if (conn.record.peerSenderKey !== null) {
            await this.secureOwnQueue(conn);
            if (!this.running || conn.removed) return;
          }
          if (!sq.secured && sq.senderCanSecure) {
            await this.sender.secureQueue(target);
            if (!this.running || conn.removed) return;
            const cur = conn.record;
            if (cur.sndQueue !== null && !cur.sndQueue.secured) {
              const next: ConnectionRecord = { ...cur, sndQueue: { ...cur.sndQueue, secured: true } };
              this.commit(conn, this.o.store.begin().put(StoreType.Connection, conn.id, encodeConnection(next)), next);
            }
          }
          if (!sq.senderCanSecure && (entry.kind === 'confirmation' || entry.kind === 'conn-info')) {
            await this.sendUnsigned(target.server, target.sndId, entry.envelope, entry.notification);
          } else {
            await this.sender.send(target, entry.envelope, entry.notification);
          }
        } catch (e) {
          if (!this.running || conn.removed) return;
          if (isPermanent(e)) {
            this.o.store.begin().truncateLog(StoreType.Outbox, conn.id, position + 1).commit();
            this.emit({ type: 'failed', connId: conn.key, msgId: entry.sndMsgId, error: e as SimpleGoError });
            continue;
          }
          this.logFailure('agent.outbox.retry', conn, e);
          this.retryLater(conn, () => this.scheduleDrain(conn));
          return;
        }
        if (!this.running || conn.removed) return;
        conn.retryDelay = 0;
        this.counters.sent++;
        this.afterSent(conn, position, entry);
      }
    } finally {
      conn.draining = false;
    }
  }

  /** The router took the entry: drop it, and apply what its delivery means, in one commit. */
  private afterSent(conn: Conn, position: number, entry: OutboxEntry): void {
    const tx = this.o.store.begin().truncateLog(StoreType.Outbox, conn.id, position + 1);
    const rec = conn.record;
    let next = rec;
    if (entry.kind === 'conn-info' && rec.status === 'confirmed' && !rec.awaitHello) {
      next = { ...rec, status: 'connected' };
    } else if (entry.kind === 'hello' && !rec.helloSent) {
      next = { ...rec, helloSent: true };
      if (rec.helloReceived && rec.status !== 'connected' && rec.status !== 'deleting') next = { ...next, status: 'connected' };
    }
    if (next !== rec) tx.put(StoreType.Connection, conn.id, encodeConnection(next));
    this.commit(conn, tx, next);
    if (entry.kind === 'message') this.emit({ type: 'sent', connId: conn.key, msgId: entry.sndMsgId });
    if (next.status === 'connected' && rec.status !== 'connected') this.emit({ type: 'connected', connId: conn.key, profile: this.profileOf(rec.peerConnInfo as Uint8Array) });
  }

  /**
   * Legacy handshake: KEY on our receive queue with the peer's sender key, then forget the key.
   * Repeating KEY with the same key is harmless, so a crash between the two is safe.
   */
  private async secureOwnQueue(conn: Conn): Promise<void> {
    const key = conn.record.peerSenderKey as Uint8Array;
    const q = conn.record.rcvQueue;
    await this.o.pool.client({ server: q.server, basicAuth: null }).secureQueue(recipientOf(q), { alg: 'ed25519', raw: key });
    if (!this.running || conn.removed) return;
    const cur = conn.record;
    if (cur.peerSenderKey !== null) {
      const next: ConnectionRecord = { ...cur, peerSenderKey: null };
      this.commit(conn, this.o.store.begin().put(StoreType.Connection, conn.id, encodeConnection(next)), next);
    }
  }

  /**
   * The confirmation to a legacy queue goes unsigned (the queue has no sender key until its owner
   * runs KEY with the one inside), and so does a contact request (a contact queue never has one).
   * Through the sender, so private routing covers them like every other message.
   */
  private sendUnsigned(server: SmpServer, sndId: Uint8Array, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.sender.sendUnsigned(server, sndId, envelope, notification);
  }

  private retryLater(conn: Conn, fn: () => void): void {
    if (!this.running || conn.removed || conn.retryTimer !== null) return;
    const delay = conn.retryDelay === 0 ? this.retryBaseMs : conn.retryDelay * 2 > this.retryMaxMs ? this.retryMaxMs : conn.retryDelay * 2;
    conn.retryDelay = delay;
    conn.retryTimer = this.o.clock.setTimer(() => {
      conn.retryTimer = null;
      if (this.running && !conn.removed) fn();
    }, delay);
  }

  // -------------------------------------------------------------------------------------------
  // Deletion

  private async finishDelete(conn: Conn): Promise<void> {
    const q = conn.record.rcvQueue;
    const client = this.o.pool.existing(q.server);
    if (client !== null) client.unsubscribe(q.rcvId);
    try {
      await this.o.pool.client({ server: q.server, basicAuth: null }).deleteQueue(recipientOf(q));
    } catch (e) {
      // AUTH on the first attempt: the queue is already gone (or was never ours to delete).
      if (!(e instanceof SmpCommandError && e.code === 'auth')) throw e;
    }
    if (!this.running || conn.removed) return;
    const tx = this.o.store
      .begin()
      .delete(StoreType.Connection, conn.id)
      .delete(StoreType.Ratchet, conn.id)
      .deleteLog(StoreType.Outbox, conn.id)
      .deleteLog(StoreType.Inbox, conn.id);
    if (conn.record.role === 'address') this.deleteRequestsOf(conn, tx);
    tx.commit();
    conn.removed = true;
    this.cancelTimers(conn);
    if (conn.ratchet !== null) conn.ratchet.destroy();
    conn.ratchet = null;
    delete this.conns[conn.key];
    this.emit({ type: 'deleted', connId: conn.key });
  }

  /** The pending contact requests of an address, deleted with it. */
  private deleteRequestsOf(conn: Conn, tx: Transaction): void {
    const ids = this.o.store.list(StoreType.Invitation);
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.o.store.get(StoreType.Invitation, ids[i]);
      if (bytes === null) continue;
      let addressId: Uint8Array;
      try {
        addressId = decodeContactRequest(bytes).addressId;
      } catch (e) {
        this.logFailure('agent.contact.record', conn, e);
        continue;
      }
      if (toHex(addressId) === conn.key) tx.delete(StoreType.Invitation, ids[i]);
    }
  }

  // -------------------------------------------------------------------------------------------
  // PQ keys off the hot path

  /** A spare sntrup761 pair for the next handshake, or a fresh one now. */
  private async takeKemKeyPair(): Promise<KemKeyPair> {
    const spare = this.spareKem;
    this.spareKem = null;
    const pair = spare !== null ? spare : await this.o.crypto.sntrup761KeyPairAsync();
    this.refillSpareKem();
    return pair;
  }

  private refillSpareKem(): void {
    if (!this.pq || this.kemFilling || this.spareKem !== null || !this.running) return;
    this.kemFilling = true;
    this.o.crypto.sntrup761KeyPairAsync().then(
      (pair) => {
        this.kemFilling = false;
        if (this.running) this.spareKem = pair;
      },
      (e) => {
        this.kemFilling = false;
        this.o.log.write('warn', 'agent.kem.failed', { code: e instanceof SimpleGoError ? e.code : 'unknown' });
      },
    );
  }

  /**
   * The ratchet's next receiving step needs a new sntrup761 pair: make it now, while idle, and
   * store it, so that decrypting the peer's next message does not wait for key generation.
   */
  private refillRatchetKem(conn: Conn): void {
    if (!this.pq || conn.kemPending || !this.running) return;
    let ratchet: Ratchet;
    try {
      ratchet = this.ratchetOf(conn);
    } catch (e) {
      return; // no ratchet yet
    }
    if (!ratchet.needsKemKeyPair()) return;
    conn.kemPending = true;
    this.o.crypto.sntrup761KeyPairAsync().then(
      (pair) => {
        conn.kemPending = false;
        if (!this.running || conn.removed) return;
        const current = this.ratchetOf(conn);
        if (!current.needsKemKeyPair()) return;
        current.setNextKemKeyPair(pair);
        try {
          this.o.store.put(StoreType.Ratchet, conn.id, current.serialize());
        } catch (e) {
          this.logFailure('agent.kem.store', conn, e);
          this.reload(conn);
        }
      },
      (e) => {
        conn.kemPending = false;
        this.logFailure('agent.kem', conn, e);
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // State helpers

  private register(id: Uint8Array, record: ConnectionRecord): Conn {
    const conn: Conn = {
      id: id,
      key: toHex(id),
      record: record,
      ratchet: null,
      draining: false,
      drainTimer: null,
      retryTimer: null,
      retryDelay: 0,
      kemPending: false,
      removed: false,
    };
    this.conns[conn.key] = conn;
    return conn;
  }

  /** Commits, then adopts `next` as the connection's state; on failure memory goes back to the card. */
  private commit(conn: Conn, tx: Transaction, next: ConnectionRecord): { positions: number[] } {
    let result;
    try {
      result = tx.commit();
    } catch (e) {
      this.reload(conn);
      throw e;
    }
    conn.record = next;
    this.refillRatchetKem(conn);
    return result;
  }

  private reload(conn: Conn): void {
    if (conn.ratchet !== null) conn.ratchet.destroy();
    conn.ratchet = null;
    try {
      const bytes = this.o.store.get(StoreType.Connection, conn.id);
      if (bytes !== null) conn.record = decodeConnection(bytes);
    } catch (e) {
      this.logFailure('agent.reload', conn, e);
    }
  }

  private loadRecord(id: Uint8Array): ConnectionRecord {
    const bytes = this.o.store.get(StoreType.Connection, id);
    if (bytes === null) throw new EngineError('unknown-connection', 'the connection record disappeared while loading');
    return decodeConnection(bytes);
  }

  private ratchetOf(conn: Conn): Ratchet {
    if (conn.ratchet !== null) return conn.ratchet;
    const bytes = this.o.store.get(StoreType.Ratchet, conn.id);
    if (bytes === null) throw new EngineError('not-ready', 'this connection has no ratchet yet');
    conn.ratchet = Ratchet.deserialize(this.o.crypto, bytes);
    return conn.ratchet;
  }

  private requireConn(connId: string): Conn {
    const conn = this.conns[connId];
    if (conn === undefined || conn.removed) throw new EngineError('unknown-connection', 'there is no connection with this id');
    return conn;
  }

  private requireRunning(): void {
    if (!this.running) throw new EngineError('stopped', 'the agent is not running; call start() first');
  }

  private cancelTimers(conn: Conn): void {
    if (conn.drainTimer !== null) this.o.clock.cancelTimer(conn.drainTimer);
    if (conn.retryTimer !== null) this.o.clock.cancelTimer(conn.retryTimer);
    conn.drainTimer = null;
    conn.retryTimer = null;
  }

  private emit(event: AgentEvent): void {
    if (!this.running) return;
    try {
      this.o.onEvent(event);
    } catch (e) {
      this.o.log.write('error', 'agent.event-handler', { type: event.type });
    }
  }

  private logFailure(event: string, conn: Conn, e: unknown): void {
    // Codes only: messages may name what failed but never carry keys or contents; ids are cut short.
    this.o.log.write('warn', event, { conn: conn.key.substring(0, 8), code: e instanceof SimpleGoError ? e.code : 'unknown' });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function noop(): void {}

function connInfoOf(profile: Profile): Uint8Array {
  return encodeChatMessage({ chatVRange: SUPPORTED_CHAT_VRANGE, msgId: null, event: { type: 'x.info', profile: profile } }, MAX_ENCODED_INFO_LENGTH);
}

/** A contact request's connection info: the chat x.contact with our profile. */
function contactInfoOf(profile: Profile): Uint8Array {
  return encodeChatMessage(
    { chatVRange: SUPPORTED_CHAT_VRANGE, msgId: null, event: { type: 'x.contact', profile: profile, contactReqId: null, welcomeMsgId: null, requestMsg: null } },
    MAX_ENCODED_INFO_LENGTH,
  );
}

function recipientOf(q: RcvQueueRecord): RecipientQueue {
  return { rcvId: q.rcvId, rcvKey: { alg: 'ed25519', privateKey: q.rcvAuthKey.privateKey }, rcvDhSecret: q.rcvDhSecret };
}

function withPending(list: readonly PendingReceipt[], p: PendingReceipt): PendingReceipt[] {
  const start = list.length >= MAX_PENDING_RECEIPTS ? list.length - MAX_PENDING_RECEIPTS + 1 : 0;
  const out: PendingReceipt[] = [];
  for (let i = start; i < list.length; i++) out.push(list[i]);
  out.push(p);
  return out;
}

/** Refusals the router will repeat whatever we do; everything else is retried. */
function isPermanent(e: unknown): boolean {
  if (e instanceof SmpCommandError) {
    return !(e.code === 'quota' || e.code === 'internal' || e.code === 'store' || e.code === 'session' || e.code === 'block' || e.code === 'proxy-broker' || e.code === 'proxy-no-session');
  }
  if (e instanceof SmpClientError) return e.code === 'bad-request' || e.code === 'unsupported-version';
  return false;
}

/** A message the ratchet already consumed: the router delivered it again. */
function isDuplicate(e: SimpleGoError): boolean {
  return e.name === 'RatchetError' && (e.code === 'duplicate' || e.code === 'earlier-message' || e.code === 'bad-header');
}

function isStoreFailure(e: unknown): boolean {
  return e instanceof SimpleGoError && (e.name === 'StoreError' || e.name === 'StorageError');
}
