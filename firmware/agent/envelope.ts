import { decode, Encoder } from '../encoding/binary';
import type { Decoder } from '../encoding/binary';
import { copyBytes } from '../encoding/bytes';
import { DecodeError, EncodeError } from '../encoding/errors';
import { asciiBytes, asciiText } from '../smp/address';
import { parseConnectionLink, renderConnectionLink } from './connection-link';
import type { ConnectionRequest } from './connection-link';
import { LinkError } from './link-errors';
import { decodeE2EParams, encodeE2EParams } from './x3dh';
import type { E2EParams } from './x3dh';

/**
 * `AgentMsgEnvelope`: what follows the PrivHeader inside the per-queue box (agent.md §6.2;
 * simplexmq Agent/Protocol.hs `instance Encoding AgentMsgEnvelope`):
 *
 *   BE16 agentVersion ‖ 'C' ‖ Maybe E2ERatchetParams ‖ tail(encConnInfo)       AgentConfirmation
 *                     ‖ 'M' ‖ tail(encAgentMessage)                            message
 *                     ‖ 'I' ‖ large(invitation link text) ‖ tail(connInfo)     AgentInvitation
 *                     ‖ 'R' ‖ E2ERatchetParams ‖ tail(info)                    AgentRatchetKey
 *
 * 'C' and 'M' carry EncRatchetMessages; 'I' and 'R' are protected by the per-queue box only.
 * Which version goes in the envelope differs per kind (agent.md §3): the negotiated one for 'C'
 * and 'I', the agent's maximum for 'M' and 'R'. That choice is the sealing layer's
 * (agent-crypto.ts); this module encodes whatever it is given.
 *
 * The accept table (`acceptEnvelope`) is simplexmq's `processSMP` decision of which envelope a
 * queue may receive in which state.
 */

const TAG_CONFIRMATION = 0x43; // 'C'
const TAG_MESSAGE = 0x4d; // 'M'
const TAG_INVITATION = 0x49; // 'I'
const TAG_RATCHET_KEY = 0x52; // 'R'

export type AgentMsgEnvelope =
  | {
      readonly kind: 'confirmation';
      readonly agentVersion: number;
      /** The joiner's X3DH parameters; null in the initiator's reply confirmation. */
      readonly e2eParams: E2EParams | null;
      /** An EncRatchetMessage holding an AgentMessage 'I' or 'D'. */
      readonly encConnInfo: Uint8Array;
    }
  | {
      readonly kind: 'message';
      readonly agentVersion: number;
      /** An EncRatchetMessage holding an AgentMessage 'M'. */
      readonly encAgentMessage: Uint8Array;
    }
  | {
      readonly kind: 'invitation';
      readonly agentVersion: number;
      /** The requester's own one-time invitation, which the address owner joins. */
      readonly connReq: ConnectionRequest;
      /** Chat `x.contact` JSON; not ratchet-encrypted. */
      readonly connInfo: Uint8Array;
    }
  | {
      readonly kind: 'ratchet-key';
      readonly agentVersion: number;
      /** The sender's new X3DH parameters for ratchet re-synchronisation. */
      readonly e2eParams: E2EParams;
      /** An encoded AgentMessage 'R' (the agent sends just "R"). */
      readonly info: Uint8Array;
    };

export type AgentMsgEnvelopeKind = AgentMsgEnvelope['kind'];

export function encodeAgentMsgEnvelope(env: AgentMsgEnvelope): Uint8Array {
  switch (env.kind) {
    case 'confirmation': {
      const e = new Encoder(2400 + env.encConnInfo.length);
      e.version(env.agentVersion).u8(TAG_CONFIRMATION);
      e.maybe(env.e2eParams, encodeE2EParams);
      return e.tail(env.encConnInfo).finish();
    }
    case 'message':
      return new Encoder(3 + env.encAgentMessage.length).version(env.agentVersion).u8(TAG_MESSAGE).tail(env.encAgentMessage).finish();
    case 'invitation': {
      if (env.connReq.mode !== 'invitation') {
        throw new EncodeError('invalid-value', 'an AgentInvitation must carry a one-time invitation link, not a contact address');
      }
      const link = asciiBytes(renderConnectionLink(env.connReq));
      const e = new Encoder(5 + link.length + env.connInfo.length);
      return e.version(env.agentVersion).u8(TAG_INVITATION).large(link).tail(env.connInfo).finish();
    }
    case 'ratchet-key': {
      const e = new Encoder(2400 + env.info.length);
      e.version(env.agentVersion).u8(TAG_RATCHET_KEY);
      encodeE2EParams(e, env.e2eParams);
      return e.tail(env.info).finish();
    }
    default:
      throw new EncodeError('invalid-value', 'unknown agent envelope kind');
  }
}

/**
 * Decodes one AgentMsgEnvelope (the whole input). Throws DecodeError only; a malformed or
 * non-invitation link inside 'I' is a DecodeError too. The encrypted parts are copies.
 */
export function decodeAgentMsgEnvelope(bytes: Uint8Array): AgentMsgEnvelope {
  const r = decode(bytes, readAgentMsgEnvelope);
  if (!r.ok) throw new DecodeError(r.error.code, 'agent envelope: ' + r.error.message);
  return r.value;
}

function readAgentMsgEnvelope(d: Decoder): AgentMsgEnvelope {
  const agentVersion = d.version();
  const at = d.offset;
  const tag = d.u8();
  switch (tag) {
    case TAG_CONFIRMATION: {
      const e2eParams = d.maybe(decodeE2EParams);
      return { kind: 'confirmation', agentVersion: agentVersion, e2eParams: e2eParams, encConnInfo: copyBytes(d.tail()) };
    }
    case TAG_MESSAGE:
      return { kind: 'message', agentVersion: agentVersion, encAgentMessage: copyBytes(d.tail()) };
    case TAG_INVITATION: {
      const linkAt = d.offset;
      const connReq = readInvitationLink(asciiText(d.large(), 'invitation link at byte ' + linkAt), linkAt);
      return { kind: 'invitation', agentVersion: agentVersion, connReq: connReq, connInfo: copyBytes(d.tail()) };
    }
    case TAG_RATCHET_KEY: {
      const e2eParams = decodeE2EParams(d);
      return { kind: 'ratchet-key', agentVersion: agentVersion, e2eParams: e2eParams, info: copyBytes(d.tail()) };
    }
    default:
      throw new DecodeError('invalid-value', "agent envelope tag at byte " + at + " is not 'C', 'M', 'I' or 'R'");
  }
}

/** Upstream types the link `ConnectionRequestUri 'CMInvitation`: a contact address does not parse. */
function readInvitationLink(text: string, at: number): ConnectionRequest {
  let req: ConnectionRequest;
  try {
    req = parseConnectionLink(text);
  } catch (e) {
    if (e instanceof LinkError) throw new DecodeError('invalid-value', 'invitation link at byte ' + at + ': ' + e.message);
    throw e;
  }
  if (req.mode !== 'invitation') throw new DecodeError('invalid-value', 'invitation link at byte ' + at + ' is a contact address, not a one-time invitation');
  return req;
}

// ---------------------------------------------------------------------------------------------
// What a queue accepts (simplexmq Agent.hs `processSMP`, the MSG branch)

/** What the receiver knows before and after opening the per-queue box. */
export interface AcceptInput {
  /** The queue already has a stored per-queue e2e secret (a confirmation was processed). */
  readonly hasE2eSecret: boolean;
  /** The PubHeader carries the sender's per-queue e2e key. */
  readonly hasE2eKey: boolean;
  /** The PrivHeader: 'K' with the sender's auth key (legacy handshake), or '_'. */
  readonly privHeader: 'K' | '_';
  readonly kind: AgentMsgEnvelopeKind;
  /** The queue was created sender-securable (`q=m`; simplexmq `senderCanSecure queueMode`). */
  readonly senderCanSecure: boolean;
}

/**
 * What the agent does with an accepted envelope:
 * - 'confirmation':        process the handshake confirmation (store the e2e secret, ...)
 * - 'repeat-confirmation': a confirmation delivered again because its ACK was lost: ACK, ignore
 * - 'invitation':          a contact request on an address queue
 * - 'message':             ratchet-decrypt and process
 * - 'ratchet-key':         ratchet re-synchronisation
 */
export type AcceptedAction = 'confirmation' | 'repeat-confirmation' | 'invitation' | 'message' | 'ratchet-key';

/**
 * Why an envelope is refused. simplexmq ACKs each of these and reports it as prohibited (the
 * message is dropped, the queue keeps working):
 * - 'no-keys':              neither a stored secret nor a key in the PubHeader: nothing can open it
 * - 'missing-sender-key':   a '_' confirmation on a queue the sender cannot secure ("handshake:
 *                           missing sender key")
 * - 'unexpected-handshake': before the handshake, anything but a confirmation or an invitation,
 *                           or an invitation with a sender key ("handshake: incorrect state")
 * - 'unexpected-message':   after the handshake, anything but '_' with 'M' or 'R' ("msg: bad
 *                           client msg")
 * - 'unexpected-key':       after the handshake, a PubHeader key on anything but a repeated
 *                           confirmation ("msg: public header")
 */
export type RejectReason = 'no-keys' | 'missing-sender-key' | 'unexpected-handshake' | 'unexpected-message' | 'unexpected-key';

export type AcceptDecision =
  | { readonly accepted: true; readonly action: AcceptedAction }
  | { readonly accepted: false; readonly reason: RejectReason };

/** The accept table of agent.md §6.2, row by row as `processSMP` matches. */
export function acceptEnvelope(x: AcceptInput): AcceptDecision {
  if (!x.hasE2eSecret && x.hasE2eKey) {
    if (x.kind === 'confirmation') {
      if (x.privHeader === 'K') return accept('confirmation');
      return x.senderCanSecure ? accept('confirmation') : reject('missing-sender-key');
    }
    if (x.kind === 'invitation' && x.privHeader === '_') return accept('invitation');
    return reject('unexpected-handshake');
  }
  if (x.hasE2eSecret && !x.hasE2eKey) {
    if (x.privHeader === '_' && x.kind === 'ratchet-key') return accept('ratchet-key');
    if (x.privHeader === '_' && x.kind === 'message') return accept('message');
    return reject('unexpected-message');
  }
  if (x.hasE2eSecret && x.hasE2eKey) {
    // Opened with the stored secret, whatever the PrivHeader: only a repeat is expected here.
    return x.kind === 'confirmation' ? accept('repeat-confirmation') : reject('unexpected-key');
  }
  return reject('no-keys');
}

function accept(action: AcceptedAction): AcceptDecision {
  return { accepted: true, action: action };
}

function reject(reason: RejectReason): AcceptDecision {
  return { accepted: false, reason: reason };
}
