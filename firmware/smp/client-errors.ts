import { SimpleGoError } from '../../hal/errors';
import type { CommandType } from './commands';
import type { BrokerErrorType, ErrorType, NetworkErrorType, ProxyErrorType, TransportErrorType } from './errors';

/**
 * The two ways an SMP client call fails:
 * - SmpCommandError: the router answered ERR. It carries the parsed ErrorType (errors.ts), and its
 *   `code` names the error, one code per ErrorType constructor (CMD and PROXY are split by their
 *   first sub-error, since callers act differently on them).
 * - SmpClientError: the client could not get an answer at all (timeout, lost connection, closed
 *   client, too many pending commands), the answer made no sense, or the request was unusable.
 *
 * Messages name the command and say what to do; they never carry keys, queue IDs or bodies.
 */

// ---------------------------------------------------------------------------------------------
// ERR from the router

export type SmpCommandErrorCode =
  | 'block'
  | 'session'
  | 'cmd-unknown'
  | 'cmd-syntax'
  | 'cmd-prohibited'
  | 'cmd-no-auth'
  | 'cmd-has-auth'
  | 'cmd-no-entity'
  | 'proxy-protocol'
  | 'proxy-broker'
  | 'proxy-basic-auth'
  | 'proxy-no-session'
  | 'auth'
  | 'blocked'
  | 'service'
  | 'crypto'
  | 'quota'
  | 'store'
  | 'no-msg'
  | 'large-msg'
  | 'expired'
  | 'internal'
  | 'duplicate';

/** The router refused a command with ERR. `error` is exactly what it sent. */
export class SmpCommandError extends SimpleGoError {
  declare readonly code: SmpCommandErrorCode;
  /** The command the router refused. */
  readonly command: CommandType;
  readonly error: ErrorType;
  constructor(command: CommandType, error: ErrorType) {
    super(commandErrorCode(error), command + ' refused by the router: ' + errorTypeText(error) + ': ' + advice(error));
    this.name = 'SmpCommandError';
    this.command = command;
    this.error = error;
  }
}

/** The stable code of an ErrorType. */
export function commandErrorCode(err: ErrorType): SmpCommandErrorCode {
  switch (err.type) {
    case 'BLOCK':
      return 'block';
    case 'SESSION':
      return 'session';
    case 'CMD':
      switch (err.cmdErr) {
        case 'UNKNOWN':
          return 'cmd-unknown';
        case 'SYNTAX':
          return 'cmd-syntax';
        case 'PROHIBITED':
          return 'cmd-prohibited';
        case 'NO_AUTH':
          return 'cmd-no-auth';
        case 'HAS_AUTH':
          return 'cmd-has-auth';
        default:
          return 'cmd-no-entity';
      }
    case 'PROXY':
      switch (err.proxyErr.type) {
        case 'PROTOCOL':
          return 'proxy-protocol';
        case 'BROKER':
          return 'proxy-broker';
        case 'BASIC_AUTH':
          return 'proxy-basic-auth';
        default:
          return 'proxy-no-session';
      }
    case 'AUTH':
      return 'auth';
    case 'BLOCKED':
      return 'blocked';
    case 'SERVICE':
      return 'service';
    case 'CRYPTO':
      return 'crypto';
    case 'QUOTA':
      return 'quota';
    case 'STORE':
      return 'store';
    case 'NO_MSG':
      return 'no-msg';
    case 'LARGE_MSG':
      return 'large-msg';
    case 'EXPIRED':
      return 'expired';
    case 'INTERNAL':
      return 'internal';
    default:
      return 'duplicate';
  }
}

/** Longest server-supplied free text (STORE, BROKER RESPONSE/UNEXPECTED, NETWORK details) we repeat. */
const MAX_QUOTED_TEXT = 64;

/**
 * The error in its wire words, e.g. "PROXY BROKER TRANSPORT HANDSHAKE IDENTITY" or
 * "BLOCKED reason=spam,notice ttl=3600". Free text from the router is cut to 64 characters of
 * printable ASCII, so a hostile router cannot flood a log line or smuggle control characters.
 */
export function errorTypeText(err: ErrorType): string {
  switch (err.type) {
    case 'CMD':
      return 'CMD ' + err.cmdErr;
    case 'PROXY':
      return 'PROXY ' + proxyErrorText(err.proxyErr);
    case 'BLOCKED': {
      const notice = err.blockInfo.notice;
      let s = 'BLOCKED reason=' + err.blockInfo.reason;
      if (notice !== null) s += ',notice ' + (notice.ttl === null ? 'indefinite' : 'ttl=' + notice.ttl);
      return s;
    }
    case 'STORE':
      return 'STORE ' + quoted(err.storeErr);
    default:
      return err.type;
  }
}

function proxyErrorText(p: ProxyErrorType): string {
  switch (p.type) {
    case 'PROTOCOL':
      return 'PROTOCOL ' + errorTypeText(p.protocolErr);
    case 'BROKER':
      return 'BROKER ' + brokerErrorText(p.brokerErr);
    default:
      return p.type;
  }
}

function brokerErrorText(b: BrokerErrorType): string {
  switch (b.type) {
    case 'RESPONSE':
    case 'UNEXPECTED':
      return b.type + ' ' + quoted(b.respErr);
    case 'TRANSPORT':
      return 'TRANSPORT ' + transportErrorText(b.transportErr);
    case 'NETWORK':
      return b.networkError === null ? 'NETWORK' : 'NETWORK ' + networkErrorText(b.networkError);
    default:
      return b.type;
  }
}

function transportErrorText(t: TransportErrorType): string {
  return t.type === 'HANDSHAKE' ? 'HANDSHAKE ' + t.handshakeErr : t.type;
}

function networkErrorText(n: NetworkErrorType): string {
  switch (n.type) {
    case 'CONNECT':
    case 'TLS':
    case 'SUBSCRIBE':
      return n.type + ' ' + quoted(n.detail);
    default:
      return n.type;
  }
}

function quoted(text: string): string {
  let s = '';
  for (let k = 0; k < text.length && s.length < MAX_QUOTED_TEXT; k++) {
    const c = text.charCodeAt(k);
    s += c >= 0x20 && c <= 0x7e ? text.charAt(k) : '?';
  }
  return '"' + s + (text.length > MAX_QUOTED_TEXT ? '..."' : '"');
}

/** What the error means for whoever has to act on it. */
function advice(err: ErrorType): string {
  switch (err.type) {
    case 'BLOCK':
      return 'the router could not parse the transmission; this is a client bug or a damaged connection';
    case 'SESSION':
      return 'the transmission was bound to another session; reconnect';
    case 'CMD':
      switch (err.cmdErr) {
        case 'PROHIBITED':
          return 'the command is not allowed in this state (e.g. SUB after GET on one connection, or a sender ID not derived from the corrId)';
        case 'UNKNOWN':
        case 'SYNTAX':
          return 'the router did not understand the command; it may run an incompatible version';
        default:
          return 'the command carried the wrong credentials for its kind; this is a client bug';
      }
    case 'PROXY':
      return err.proxyErr.type === 'NO_SESSION'
        ? 'the proxy lost its session with the destination router; request a new proxy session'
        : 'private message routing failed; retry, or send directly';
    case 'AUTH':
      return 'the queue does not exist, was deleted or suspended, or the key or server password is wrong';
    case 'BLOCKED':
      return 'the router operator blocked this queue';
    case 'SERVICE':
      return 'service credentials were misused; this is a client bug';
    case 'CRYPTO':
      return 'the router could not decrypt a proxied command';
    case 'QUOTA':
      return 'the queue is full because its recipient has not collected messages; retry later';
    case 'STORE':
      return 'the router failed to store the change; retry later';
    case 'NO_MSG':
      return 'no delivered message has that ID';
    case 'LARGE_MSG':
      return 'the message is larger than the router accepts';
    case 'EXPIRED':
      return 'the request expired';
    case 'INTERNAL':
      return 'the router failed internally; retry later';
    default:
      return 'the router found a duplicate ID';
  }
}

// ---------------------------------------------------------------------------------------------
// Client-side failures

/**
 * - 'timeout':             no answer in time, after every allowed attempt, or no connection could
 *                          be made in time
 * - 'connection-lost':     the connection died with the command in flight and it may not be retried
 * - 'closed':              the client was closed
 * - 'too-many-pending':    the bound on commands waiting for an answer was reached; retry later
 * - 'unexpected-response': the router answered with a message that does not answer the command
 * - 'bad-request':         the arguments cannot form a valid command (wrong key or ID size, body
 *                          over the limit, a sender ID not derived from the corrId, ...)
 * - 'unsupported-version': the request needs a newer SMP version than the router speaks
 * - 'no-server-key':       an X25519 authenticator needs the router's session key (SMP v7+)
 * - 'already-subscribed':  the queue already has a subscription on this client
 * - 'undecryptable':       a delivered message did not open with the queue's secret or its
 *                          plaintext is malformed (it must still be acknowledged)
 */
export type SmpClientErrorCode =
  | 'timeout'
  | 'connect-failed' // no connection came up in time; `cause` is the last attempt's NetError / SmpTransportError
  | 'connection-lost'
  | 'closed'
  | 'too-many-pending'
  | 'unexpected-response'
  | 'bad-request'
  | 'unsupported-version'
  | 'no-server-key'
  | 'already-subscribed'
  | 'undecryptable';

export class SmpClientError extends SimpleGoError {
  declare readonly code: SmpClientErrorCode;
  /** The underlying error when there is one (e.g. the transport's, for 'connect-failed'). */
  readonly cause: Error | null;
  constructor(code: SmpClientErrorCode, message: string, cause: Error | null = null) {
    super(code, message);
    this.cause = cause;
    this.name = 'SmpClientError';
  }
}
