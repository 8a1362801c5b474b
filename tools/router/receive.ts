/**
 * One received transmission, from bytes to outcome (smp.md §6; the reference's `tDecodeServer`,
 * `verifyTransmission` and the dispatch in `processCommand`):
 *
 *   parse             → ERR BLOCK, empty corrId (unparseable transmission)
 *   session id (v6)   → ERR SESSION
 *   auth length       → ERR BLOCK with the corrId
 *   command           → ERR CMD UNKNOWN | SYNTAX
 *   credential rules  → ERR CMD NO_AUTH | HAS_AUTH | NO_ENTITY
 *   service signature → ERR SERVICE (this router has no service clients)
 *   authorization     → ERR AUTH (in constant time whether or not the queue exists, auth.ts)
 *   the command       → commands.ts, proxy.ts (PRXY, PFWD) or forwarded.ts (RFWD)
 */
import { CryptoError } from '../../hal/crypto';
import { equalBytes } from '../../firmware/encoding/bytes';
import { DecodeError } from '../../firmware/encoding/errors';
import { checkCredentials, decodeCommand, type Command } from '../../firmware/smp/commands';
import { commandErrorOf, ProtocolParseError, type ErrorType } from '../../firmware/smp/errors';
import { decodeTransmissionAuth, parseTransmission, type TransmissionAuth } from '../../firmware/smp/transmission';
import { dummyVerify, verifyWith, verifyWithAny, type AuthContext, type SignedTransmission } from './auth';
import { errorReply, logFailure, now, processCommand, sameText } from './commands';
import type { Outcome, Reply, RouterContext, Session } from './context';
import { processForwarded } from './forwarded';
import { isContactQueue, sameKey, type Queue } from './queues';

const EMPTY = new Uint8Array(0);

/** A transmission whose layout and command parsed. */
export interface Incoming {
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly cmd: Command;
  readonly signed: SignedTransmission;
}

type Decoded = { readonly ok: true; readonly t: Incoming } | { readonly ok: false; readonly reply: Reply };
type Checked = { readonly ok: true; readonly queue: Queue | null } | { readonly ok: false; readonly error: ErrorType };

/** Handles a transmission that arrived on `session`. Never throws. */
export function receiveTransmission(ctx: RouterContext, session: Session, bytes: Uint8Array): Outcome {
  const decoded = decodeIncoming(session, session.version, bytes);
  if (!decoded.ok) return now([decoded.reply]);
  if (ctx.onTransmission !== null) observe(ctx, session, decoded.t, false, bytes);
  return guarded(ctx, decoded.t, () => dispatch(ctx, session, decoded.t));
}

/**
 * The transmission inside RFWD (smp.md §10.3): parsed at the client's version and checked as if
 * it came directly, but only the sender's commands may be forwarded.
 */
export function receiveForwardedTransmission(ctx: RouterContext, session: Session, version: number, bytes: Uint8Array): Outcome {
  const decoded = decodeIncoming(session, version, bytes);
  if (!decoded.ok) return now([decoded.reply]);
  const t = decoded.t;
  if (ctx.onTransmission !== null) observe(ctx, session, t, true, bytes);
  const type = t.cmd.type;
  if (type !== 'SEND' && type !== 'SKEY' && type !== 'LKEY' && type !== 'LGET') {
    return now([errorReply(t.corrId, t.entityId, { type: 'CMD', cmdErr: 'PROHIBITED' })]);
  }
  return guarded(ctx, t, () => {
    const checked = verify(ctx, authContext(ctx, session), t);
    if (!checked.ok) return now([errorReply(t.corrId, t.entityId, checked.error)]);
    return processCommand(ctx, session, version, { corrId: t.corrId, entityId: t.entityId, cmd: t.cmd, queue: checked.queue });
  });
}

/** RouterOptions.onTransmission; an observer's failure is logged, never the client's problem. */
function observe(ctx: RouterContext, session: Session, t: Incoming, forwarded: boolean, bytes: Uint8Array): void {
  const observer = ctx.onTransmission;
  if (observer === null) return;
  try {
    observer({ connectionId: session.connectionId, remoteAddress: session.remoteAddress, entityId: t.entityId, command: t.cmd.type, forwarded: forwarded, transmission: bytes });
  } catch (e) {
    logFailure(ctx, 'observer', e);
  }
}

function dispatch(ctx: RouterContext, session: Session, t: Incoming): Outcome {
  const checked = verify(ctx, authContext(ctx, session), t);
  if (!checked.ok) return now([errorReply(t.corrId, t.entityId, checked.error)]);
  const cmd = t.cmd;
  switch (cmd.type) {
    case 'PRXY': {
      const password = ctx.config.basicAuth;
      if (!ctx.config.allowProxy || (password !== null && (cmd.basicAuth === null || !sameText(cmd.basicAuth, password)))) {
        return now([errorReply(t.corrId, t.entityId, { type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } })]);
      }
      return forkedReply(ctx, t, ctx.forwarder.prxy(cmd.server).then((m) => reply(t, m)));
    }
    case 'PFWD':
      return forkedReply(ctx, t, ctx.forwarder.pfwd(t.entityId, t.corrId, cmd.version, cmd.ephemeralKey, cmd.encTransmission).then((m) => reply(t, m)));
    case 'RFWD':
      return forkedReply(
        ctx,
        t,
        processForwarded(ctx, session, t.corrId, cmd.encFwdTransmission, (version, bytes) => receiveForwardedTransmission(ctx, session, version, bytes)),
      );
    default:
      return processCommand(ctx, session, session.version, { corrId: t.corrId, entityId: t.entityId, cmd: cmd, queue: checked.queue });
  }
}

function reply(t: Incoming, msg: Reply['msg']): Reply {
  return { corrId: t.corrId, entityId: t.entityId, msg: msg };
}

/** Work that answers later; a failure in it is ERR INTERNAL, never an unhandled rejection. */
function forkedReply(ctx: RouterContext, t: Incoming, work: Promise<Reply>): Outcome {
  return {
    kind: 'forked',
    reply: work.catch((e: unknown) => {
      logFailure(ctx, 'forward', e);
      return errorReply(t.corrId, t.entityId, { type: 'INTERNAL' });
    }),
  };
}

/** A failure inside a handler must cost the client one ERR, never the router. */
function guarded(ctx: RouterContext, t: Incoming, handle: () => Outcome): Outcome {
  try {
    return handle();
  } catch (e) {
    // A low-order X25519 key from the client (NEW, NKEY) makes the key agreement fail.
    if (e instanceof CryptoError && e.code === 'weak-key') return now([errorReply(t.corrId, t.entityId, { type: 'CMD', cmdErr: 'SYNTAX' })]);
    logFailure(ctx, 'command', e);
    return now([errorReply(t.corrId, t.entityId, { type: 'INTERNAL' })]);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding (`tDecodeServer`)

function decodeIncoming(session: Session, version: number, bytes: Uint8Array): Decoded {
  const params = { version: version, sessionId: session.sessionId };
  let raw;
  try {
    raw = parseTransmission(params, bytes);
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reply: errorReply(EMPTY, EMPTY, { type: 'BLOCK' }) };
    throw e;
  }
  if (raw.sessionId !== null && !equalBytes(raw.sessionId, session.sessionId)) {
    return { ok: false, reply: errorReply(raw.corrId, EMPTY, { type: 'SESSION' }) };
  }
  let auth: TransmissionAuth | null;
  try {
    auth = decodeTransmissionAuth(raw.authorization);
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reply: errorReply(raw.corrId, EMPTY, { type: 'BLOCK' }) };
    throw e;
  }
  let cmd: Command;
  try {
    cmd = decodeCommand(version, raw.command);
  } catch (e) {
    if (e instanceof ProtocolParseError) return { ok: false, reply: errorReply(raw.corrId, raw.entityId, { type: 'CMD', cmdErr: commandErrorOf(e) }) };
    throw e;
  }
  const credentials = checkCredentials(cmd, auth !== null, raw.entityId);
  if (credentials !== null) return { ok: false, reply: errorReply(raw.corrId, raw.entityId, { type: 'CMD', cmdErr: credentials }) };
  // Only service clients (which this router does not accept) may sign as a service.
  if (raw.serviceSig !== null) return { ok: false, reply: errorReply(raw.corrId, raw.entityId, { type: 'SERVICE' }) };
  return {
    ok: true,
    t: { corrId: raw.corrId, entityId: raw.entityId, cmd: cmd, signed: { auth: auth, authorized: raw.authorized, corrId: raw.corrId } },
  };
}

// ---------------------------------------------------------------------------------------------
// Authorization (`verifyQueueTransmission`)

function authContext(ctx: RouterContext, session: Session): AuthContext {
  return { crypto: ctx.crypto, dummy: ctx.dummy, helloPrivateKey: session.helloPrivateKey };
}

function verify(ctx: RouterContext, auth: AuthContext, t: Incoming): Checked {
  const cmd = t.cmd;
  const signed = t.signed;
  const store = ctx.store;
  const fail = (error: ErrorType): Checked => ({ ok: false, error: error });
  const missing = (): Checked => {
    dummyVerify(auth, signed);
    return fail({ type: 'AUTH' });
  };
  switch (cmd.type) {
    case 'NEW':
      // The new recipient key authorizes its own queue.
      return verifyWith(auth, signed, cmd.rcvAuthKey) ? { ok: true, queue: null } : fail({ type: 'AUTH' });
    case 'PING':
    case 'PRXY':
    case 'PFWD':
    case 'RFWD':
      return { ok: true, queue: null };
    case 'SUBS':
    case 'NSUBS':
      // Service subscriptions need a service certificate in the handshake.
      return fail({ type: 'SERVICE' });
    case 'SEND': {
      const q = store.senderQueue(t.entityId);
      if (q === null) return missing();
      const senderKey = q.state.senderKey;
      // Unsecured queues take only unauthorized SENDs; secured ones only the sender key's.
      if (senderKey === null) return signed.auth === null ? { ok: true, queue: q } : fail({ type: 'AUTH' });
      return verifyWith(auth, signed, senderKey) ? { ok: true, queue: q } : fail({ type: 'AUTH' });
    }
    case 'SKEY':
    case 'LKEY': {
      const q = cmd.type === 'SKEY' ? store.senderQueue(t.entityId) : store.linkQueue(t.entityId);
      if (q === null) return missing();
      // The key being installed authorizes the command, if it may be installed at all.
      const current = q.state.senderKey;
      const allowed = q.state.mode === 'messaging' && (current === null || sameKey(current, cmd.senderKey));
      if (!allowed) return missing();
      return verifyWith(auth, signed, cmd.senderKey) ? { ok: true, queue: q } : fail({ type: 'AUTH' });
    }
    case 'LGET': {
      const q = store.linkQueue(t.entityId);
      if (q === null) return missing();
      return isContactQueue(q.state) ? { ok: true, queue: q } : fail({ type: 'AUTH' });
    }
    case 'NSUB': {
      const q = store.notifierQueue(t.entityId);
      if (q === null || q.state.notifier === null) return missing();
      return verifyWith(auth, signed, q.state.notifier.notifierKey) ? { ok: true, queue: q } : fail({ type: 'AUTH' });
    }
    default: {
      // Recipient commands: SUB, GET, ACK, KEY, RKEY, LSET, LDEL, NKEY, NDEL, OFF, DEL, QUE.
      const q = store.recipientQueue(t.entityId);
      if (q === null) return missing();
      return verifyWithAny(auth, signed, q.state.recipientKeys) ? { ok: true, queue: q } : fail({ type: 'AUTH' });
    }
  }
}
