/**
 * The destination half of private routing (smp.md §10.3, §10.4; the reference's
 * `processForwardedCommand`): RFWD from a proxy router carries a client's transmission in two
 * boxes. The outer (p2r) box is between the proxy and this router's hello keys on this
 * connection; the inner (s2r) box is between the client's per-command key and the same hello
 * key of ours, which the client got from the proxy in PKEY. The transmission inside is handled
 * as if the client had sent it here, and the answer goes back in the same two boxes with the
 * nonces reversed.
 */
import { CryptoError } from '../../hal/crypto';
import { cbDecrypt, cbDecryptNoPad, cbEncrypt, cbEncryptNoPad, cbNonce, reverseNonce } from '../../firmware/crypto/box';
import { PaddingError } from '../../firmware/crypto/padding';
import { DecodeError, EncodeError } from '../../firmware/encoding/errors';
import type { ErrorType } from '../../firmware/smp/errors';
import { decodeFwdTransmission, encodeFwdResponse, PADDED_PROXIED_T_LENGTH, type FwdTransmission } from '../../firmware/smp/message';
import { encodeResponse } from '../../firmware/smp/responses';
import { decodeBatch, encodeBatch, encodeTransmission } from '../../firmware/smp/transmission';
import { errorReply } from './commands';
import type { Outcome, Reply, RouterContext, Session } from './context';

const EMPTY = new Uint8Array(0);

/** Handles the transmission inside; receive.ts, passed in to keep the modules acyclic. */
export type InnerHandler = (version: number, transmission: Uint8Array) => Outcome;

/** RRES for an RFWD, or the ERR that replaces it. Never rejects. */
export async function processForwarded(ctx: RouterContext, session: Session, corrId: Uint8Array, encFwd: Uint8Array, inner: InnerHandler): Promise<Reply> {
  const fail = (error: ErrorType): Reply => errorReply(corrId, EMPTY, error);
  const crypto = ctx.crypto;
  const sessionSecret = session.sessionSecret;
  // Only a client that sent a hello key (every proxy does) shares a p2r secret with us.
  if (sessionSecret === null) return fail({ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'NO_AUTH' } } } });
  const proxyNonce = cbNonce(corrId);
  const opened = cbDecryptNoPad(crypto, sessionSecret, proxyNonce, encFwd);
  if (opened === null) return fail({ type: 'CRYPTO' });
  let fwd: FwdTransmission;
  try {
    fwd = decodeFwdTransmission(opened);
  } catch (e) {
    if (e instanceof DecodeError) return fail({ type: 'CMD', cmdErr: 'SYNTAX' });
    throw e;
  }
  let clientSecret: Uint8Array;
  try {
    clientSecret = crypto.x25519(session.helloPrivateKey, fwd.ephemeralKey.raw);
  } catch (e) {
    if (e instanceof CryptoError) return fail({ type: 'CRYPTO' });
    throw e;
  }
  const clientNonce = cbNonce(fwd.corrId);
  let batch: Uint8Array | null;
  try {
    batch = cbDecrypt(crypto, clientSecret, clientNonce, fwd.encTransmission);
  } catch (e) {
    if (e instanceof PaddingError) batch = null;
    else throw e;
  }
  if (batch === null) return fail({ type: 'CRYPTO' });

  let answer: Reply;
  let items: Uint8Array[] | null;
  try {
    items = decodeBatch(batch);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    items = null;
  }
  if (items === null) {
    // An unparseable batch is answered inside the boxes, as the reference's tParse does.
    answer = errorReply(EMPTY, EMPTY, { type: 'BLOCK' });
  } else if (items.length !== 1) {
    // Exactly one transmission may be forwarded at a time.
    return fail({ type: 'BLOCK' });
  } else {
    answer = await settle(inner(fwd.version, items[0]));
  }

  let response: Uint8Array;
  try {
    const params = { version: fwd.version, sessionId: session.sessionId };
    const t = encodeTransmission(params, { authorization: EMPTY, corrId: answer.corrId, entityId: answer.entityId, command: encodeResponse(fwd.version, answer.msg) });
    response = cbEncrypt(crypto, clientSecret, reverseNonce(clientNonce), encodeBatch([t]), PADDED_PROXIED_T_LENGTH);
  } catch (e) {
    if (e instanceof PaddingError || e instanceof EncodeError) return fail({ type: 'BLOCK' });
    throw e;
  }
  const encFwdResponse = cbEncryptNoPad(crypto, sessionSecret, reverseNonce(proxyNonce), encodeFwdResponse({ corrId: fwd.corrId, encResponse: response }));
  return { corrId: corrId, entityId: EMPTY, msg: { type: 'RRES', encFwdResponse: encFwdResponse } };
}

/** The first reply of an outcome, once it may be sent; INTERNAL if its change did not reach the disk. */
async function settle(outcome: Outcome): Promise<Reply> {
  if (outcome.kind === 'forked') return outcome.reply;
  const first = outcome.replies[0];
  if (outcome.kind === 'now') return first;
  try {
    await outcome.durable;
    return first;
  } catch (e) {
    return errorReply(first.corrId, first.entityId, { type: 'INTERNAL' });
  }
}
