import { SimpleGoError } from '../../hal/errors';
import { decode, Encoder, type Decoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { utf8Decode, utf8Encode } from '../encoding/utf8';

/**
 * The SMP error grammar carried by `ERR` (smp.md §7.4; Protocol.hs `instance Encoding ErrorType`,
 * `CommandError`, `ProxyError`, `BrokerErrorType`, `NetworkError`, `BlockingInfo`; Transport.hs
 * `TransportError`), and the parse error that tells an unknown tag from bad parameters.
 *
 * Every value is a word; words with parameters are followed by one space and the parameter:
 *   ERR CMD SYNTAX · ERR PROXY BROKER TRANSPORT HANDSHAKE IDENTITY · ERR BLOCKED reason=spam
 */

// ---------------------------------------------------------------------------------------------
// Command and response parse errors

export type ProtocolParseErrorCode = 'unknown-command' | 'bad-syntax';

/**
 * A command or response that could not be parsed (`parseProtocol`):
 * - 'unknown-command': the tag (everything before the first space) is not one the receiver knows;
 *   the server answers ERR CMD UNKNOWN;
 * - 'bad-syntax': the tag is known but its parameters are wrong or not consumed exactly
 *   (`SUB ` with a trailing space, missing or extra fields); the server answers ERR CMD SYNTAX.
 */
export class ProtocolParseError extends SimpleGoError {
  declare readonly code: ProtocolParseErrorCode;
  constructor(code: ProtocolParseErrorCode, message: string) {
    super(code, message);
    this.name = 'ProtocolParseError';
  }
}

/** The CMD error the server answers a parse error with. */
export function commandErrorOf(e: ProtocolParseError): CommandErrorCode {
  return e.code === 'unknown-command' ? 'UNKNOWN' : 'SYNTAX';
}

// ---------------------------------------------------------------------------------------------
// Types

export type CommandErrorCode = 'UNKNOWN' | 'SYNTAX' | 'PROHIBITED' | 'NO_AUTH' | 'HAS_AUTH' | 'NO_ENTITY';

export type HandshakeErrorType = 'PARSE' | 'IDENTITY' | 'BAD_AUTH' | 'BAD_SERVICE';

/** `TransportError` as it appears inside `BROKER TRANSPORT`. */
export type TransportErrorType =
  | { readonly type: 'BLOCK' }
  | { readonly type: 'VERSION' }
  | { readonly type: 'LARGE_MSG' }
  | { readonly type: 'SESSION' }
  | { readonly type: 'NO_AUTH' }
  | { readonly type: 'HANDSHAKE'; readonly handshakeErr: HandshakeErrorType };

/** Details of a network failure. `detail` strings hold one character per byte (Latin-1), as upstream's `String` encoding does. */
export type NetworkErrorType =
  | { readonly type: 'CONNECT'; readonly detail: string }
  | { readonly type: 'TLS'; readonly detail: string }
  | { readonly type: 'UNKNOWNCA' }
  | { readonly type: 'FAILED' }
  | { readonly type: 'TIMEOUT' }
  | { readonly type: 'SUBSCRIBE'; readonly detail: string };

/** How a proxy failed to reach the relay. `respErr` holds one character per byte (Latin-1). */
export type BrokerErrorType =
  | { readonly type: 'RESPONSE'; readonly respErr: string }
  | { readonly type: 'UNEXPECTED'; readonly respErr: string }
  | { readonly type: 'NETWORK'; readonly networkError: NetworkErrorType | null }
  | { readonly type: 'HOST' }
  | { readonly type: 'NO_SERVICE' }
  | { readonly type: 'TRANSPORT'; readonly transportErr: TransportErrorType }
  | { readonly type: 'TIMEOUT' };

export type ProxyErrorType =
  | { readonly type: 'PROTOCOL'; readonly protocolErr: ErrorType }
  | { readonly type: 'BROKER'; readonly brokerErr: BrokerErrorType }
  | { readonly type: 'BASIC_AUTH' }
  | { readonly type: 'NO_SESSION' };

export type BlockingReason = 'spam' | 'content';

/** `ClientNotice` (Protocol/Types.hs): JSON `{"ttl": seconds}`; no ttl means indefinitely. */
export interface ClientNotice {
  readonly ttl: number | null;
}

export interface BlockingInfo {
  readonly reason: BlockingReason;
  /** v18+ only; the encoder drops it for older clients. */
  readonly notice: ClientNotice | null;
}

export type ErrorType =
  | { readonly type: 'BLOCK' }
  | { readonly type: 'SESSION' }
  | { readonly type: 'CMD'; readonly cmdErr: CommandErrorCode }
  | { readonly type: 'PROXY'; readonly proxyErr: ProxyErrorType }
  | { readonly type: 'AUTH' }
  | { readonly type: 'BLOCKED'; readonly blockInfo: BlockingInfo }
  | { readonly type: 'SERVICE' }
  | { readonly type: 'CRYPTO' }
  | { readonly type: 'QUOTA' }
  | { readonly type: 'STORE'; readonly storeErr: string }
  | { readonly type: 'NO_MSG' }
  | { readonly type: 'LARGE_MSG' }
  | { readonly type: 'EXPIRED' }
  | { readonly type: 'INTERNAL' }
  | { readonly type: 'DUPLICATE_' };

/**
 * PROXY PROTOCOL nests an ErrorType. Upstream nests once at most; the cap keeps a hostile block
 * (16 KB of "PROXY PROTOCOL …") from recursing deep enough to exhaust Espruino's small stack.
 */
const MAX_ERROR_NESTING = 8;
/** Longer than any tag of this grammar: reading stops there instead of scanning a whole block. */
const MAX_WORD = 16;

const SIMPLE_ERRORS = ['BLOCK', 'SESSION', 'AUTH', 'SERVICE', 'CRYPTO', 'QUOTA', 'NO_MSG', 'LARGE_MSG', 'EXPIRED', 'INTERNAL', 'DUPLICATE_'];
const COMMAND_ERRORS = ['UNKNOWN', 'SYNTAX', 'PROHIBITED', 'NO_AUTH', 'HAS_AUTH', 'NO_ENTITY'];
const TRANSPORT_ERRORS = ['BLOCK', 'VERSION', 'LARGE_MSG', 'SESSION', 'NO_AUTH'];
const HANDSHAKE_ERRORS = ['PARSE', 'IDENTITY', 'BAD_AUTH', 'BAD_SERVICE'];

// ---------------------------------------------------------------------------------------------
// ErrorType

/** An ErrorType on its own (what follows "ERR "), e.g. to store or show a received error. */
export function encodeErrorType(err: ErrorType): Uint8Array {
  const e = new Encoder(32);
  writeErrorType(e, err);
  return e.finish();
}

/** The inverse of encodeErrorType; throws DecodeError. */
export function decodeErrorType(bytes: Uint8Array): ErrorType {
  const r = decode(bytes, readErrorType);
  if (!r.ok) throw r.error;
  return r.value;
}

export function writeErrorType(e: Encoder, err: ErrorType): void {
  switch (err.type) {
    case 'CMD':
      checkWord(err.cmdErr, COMMAND_ERRORS, 'CMD error');
      e.ascii('CMD ' + err.cmdErr);
      return;
    case 'PROXY':
      e.ascii('PROXY ');
      writeProxyError(e, err.proxyErr);
      return;
    case 'BLOCKED':
      e.ascii('BLOCKED ');
      writeBlockingInfo(e, err.blockInfo);
      return;
    case 'STORE':
      e.ascii('STORE ').raw(utf8Encode(err.storeErr));
      return;
    default:
      checkWord(err.type, SIMPLE_ERRORS, 'error');
      e.ascii(err.type);
  }
}

/**
 * Reads an ErrorType that runs to the end of the frame (callers use `decode`, which requires the
 * end: "AUTH x" is an error, like upstream's `parseAll`).
 */
export function readErrorType(d: Decoder): ErrorType {
  return readErrorTypeAt(d, 0);
}

function readErrorTypeAt(d: Decoder, depth: number): ErrorType {
  if (depth > MAX_ERROR_NESTING) throw new DecodeError('invalid-value', 'error nested more than ' + MAX_ERROR_NESTING + ' levels deep');
  const at = d.offset;
  const tag = readWord(d);
  switch (tag) {
    case 'CMD': {
      space(d);
      const wordAt = d.offset;
      let cmdErr = readWord(d);
      if (cmdErr === 'NO_QUEUE') cmdErr = 'NO_ENTITY'; // the old name, still accepted (`CommandError` smpP)
      if (COMMAND_ERRORS.indexOf(cmdErr) < 0) throw new DecodeError('invalid-value', 'unknown CMD error at byte ' + wordAt);
      return { type: 'CMD', cmdErr: cmdErr as CommandErrorCode };
    }
    case 'PROXY':
      space(d);
      return { type: 'PROXY', proxyErr: readProxyError(d, depth) };
    case 'BLOCKED':
      space(d);
      return { type: 'BLOCKED', blockInfo: readBlockingInfo(d) };
    case 'STORE':
      space(d);
      return { type: 'STORE', storeErr: readUtf8Tail(d, 'STORE text') };
    default:
      if (SIMPLE_ERRORS.indexOf(tag) < 0) throw new DecodeError('invalid-value', 'unknown error type at byte ' + at);
      return { type: tag } as ErrorType;
  }
}

// ---------------------------------------------------------------------------------------------
// ProxyError: PROTOCOL errorType | BROKER brokerErr | BASIC_AUTH | NO_SESSION

function writeProxyError(e: Encoder, p: ProxyErrorType): void {
  switch (p.type) {
    case 'PROTOCOL':
      e.ascii('PROTOCOL ');
      writeErrorType(e, p.protocolErr);
      return;
    case 'BROKER':
      e.ascii('BROKER ');
      writeBrokerError(e, p.brokerErr);
      return;
    case 'BASIC_AUTH':
    case 'NO_SESSION':
      e.ascii(p.type);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown PROXY error');
  }
}

function readProxyError(d: Decoder, depth: number): ProxyErrorType {
  const at = d.offset;
  const tag = readWord(d);
  switch (tag) {
    case 'PROTOCOL':
      space(d);
      return { type: 'PROTOCOL', protocolErr: readErrorTypeAt(d, depth + 1) };
    case 'BROKER':
      space(d);
      return { type: 'BROKER', brokerErr: readBrokerError(d) };
    case 'BASIC_AUTH':
    case 'NO_SESSION':
      return { type: tag };
    default:
      throw new DecodeError('invalid-value', 'unknown PROXY error at byte ' + at);
  }
}

// ---------------------------------------------------------------------------------------------
// BrokerErrorType: RESPONSE short(text) | UNEXPECTED short(text) | TRANSPORT transportErr
//                  | NETWORK [SP networkErr] | TIMEOUT | HOST | NO_SERVICE

function writeBrokerError(e: Encoder, b: BrokerErrorType): void {
  switch (b.type) {
    case 'RESPONSE':
    case 'UNEXPECTED':
      e.ascii(b.type + ' ').short(latin1Bytes(b.respErr, b.type + ' text'));
      return;
    case 'TRANSPORT':
      e.ascii('TRANSPORT ');
      writeTransportError(e, b.transportErr);
      return;
    case 'NETWORK':
      // Upstream writes the bare word and drops the detail ("TODO once all upgrade"): older
      // parsers do not accept it. The parser below accepts both.
      e.ascii('NETWORK');
      return;
    case 'TIMEOUT':
    case 'HOST':
    case 'NO_SERVICE':
      e.ascii(b.type);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown BROKER error');
  }
}

function readBrokerError(d: Decoder): BrokerErrorType {
  const at = d.offset;
  const tag = readWord(d);
  switch (tag) {
    case 'RESPONSE':
    case 'UNEXPECTED':
      space(d);
      return { type: tag, respErr: latin1Text(d.short()) };
    case 'TRANSPORT':
      space(d);
      return { type: 'TRANSPORT', transportErr: readTransportError(d) };
    case 'NETWORK':
      // `_smpP <|> pure NEFailedError`: with nothing after the word there is no detail; anything
      // else must be " " and a NetworkError, or the end-of-input check fails.
      if (d.remaining === 0) return { type: 'NETWORK', networkError: null };
      space(d);
      return { type: 'NETWORK', networkError: readNetworkError(d) };
    case 'TIMEOUT':
    case 'HOST':
    case 'NO_SERVICE':
      return { type: tag };
    default:
      throw new DecodeError('invalid-value', 'unknown BROKER error at byte ' + at);
  }
}

function readNetworkError(d: Decoder): NetworkErrorType {
  const at = d.offset;
  const tag = readWord(d);
  switch (tag) {
    case 'CONNECT':
    case 'TLS':
    case 'SUBSCRIBE':
      space(d);
      return { type: tag, detail: latin1Text(d.short()) };
    case 'UNKNOWNCA':
    case 'FAILED':
    case 'TIMEOUT':
      return { type: tag };
    default:
      throw new DecodeError('invalid-value', 'unknown NETWORK error at byte ' + at);
  }
}

// ---------------------------------------------------------------------------------------------
// TransportError: BLOCK | VERSION | LARGE_MSG | SESSION | NO_AUTH | HANDSHAKE SP handshakeErr

export function writeTransportError(e: Encoder, t: TransportErrorType): void {
  if (t.type === 'HANDSHAKE') {
    checkWord(t.handshakeErr, HANDSHAKE_ERRORS, 'HANDSHAKE error');
    e.ascii('HANDSHAKE ' + t.handshakeErr);
    return;
  }
  checkWord(t.type, TRANSPORT_ERRORS, 'TRANSPORT error');
  e.ascii(t.type);
}

export function readTransportError(d: Decoder): TransportErrorType {
  const at = d.offset;
  const tag = readWord(d);
  if (tag === 'HANDSHAKE') {
    space(d);
    const hAt = d.offset;
    const h = readWord(d);
    if (HANDSHAKE_ERRORS.indexOf(h) < 0) throw new DecodeError('invalid-value', 'unknown HANDSHAKE error at byte ' + hAt);
    return { type: 'HANDSHAKE', handshakeErr: h as HandshakeErrorType };
  }
  if (TRANSPORT_ERRORS.indexOf(tag) < 0) throw new DecodeError('invalid-value', 'unknown TRANSPORT error at byte ' + at);
  return { type: tag } as TransportErrorType;
}

// ---------------------------------------------------------------------------------------------
// BlockingInfo: "reason=" ("spam" | "content") [",notice=" json]

function writeBlockingInfo(e: Encoder, b: BlockingInfo): void {
  if (b.reason !== 'spam' && b.reason !== 'content') throw new EncodeError('invalid-value', 'blocking reason must be spam or content');
  e.ascii('reason=' + b.reason);
  if (b.notice !== null) {
    // aeson with omitNothingFields: {} or {"ttl":n}
    const ttl = b.notice.ttl;
    if (ttl !== null && !isSafeInteger(ttl)) throw new EncodeError('invalid-value', 'notice ttl must be an integer number of seconds');
    e.ascii(',notice=' + (ttl === null ? '{}' : '{"ttl":' + ttl + '}'));
  }
}

/** BlockingInfo runs to the end of the frame (the notice is "the rest"), so it is read as one piece. */
function readBlockingInfo(d: Decoder): BlockingInfo {
  const at = d.offset;
  const rest = d.tail();
  let reason: BlockingReason;
  let n: number;
  if (hasPrefix(rest, 'reason=spam')) {
    reason = 'spam';
    n = 11;
  } else if (hasPrefix(rest, 'reason=content')) {
    reason = 'content';
    n = 14;
  } else {
    throw new DecodeError('invalid-value', 'BLOCKED info at byte ' + at + ' is not reason=spam or reason=content');
  }
  if (n === rest.length) return { reason: reason, notice: null };
  if (!hasPrefix(rest.subarray(n), ',notice=')) {
    throw new DecodeError('invalid-value', 'unexpected bytes at byte ' + (at + n) + ' after the blocking reason');
  }
  return { reason: reason, notice: readClientNotice(rest.subarray(n + 8), at + n + 8) };
}

function readClientNotice(bytes: Uint8Array, at: number): ClientNotice {
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, 'notice at byte ' + at + ': ' + e.message);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DecodeError('invalid-value', 'notice at byte ' + at + ' is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('invalid-value', 'notice at byte ' + at + ' is not a JSON object');
  }
  const ttl = (json as { ttl?: unknown }).ttl;
  if (ttl === undefined || ttl === null) return { ttl: null };
  if (typeof ttl !== 'number' || !isSafeInteger(ttl)) throw new DecodeError('invalid-value', 'notice ttl at byte ' + at + ' is not an integer');
  return { ttl: ttl };
}

// ---------------------------------------------------------------------------------------------
// Words

/** The bytes up to the next space or the end (`A.takeTill (== ' ')`), as ASCII. */
function readWord(d: Decoder): string {
  const at = d.offset;
  let s = '';
  for (;;) {
    const c = d.peek();
    if (c === -1 || c === 0x20) return s;
    if (s.length >= MAX_WORD || c > 0x7e || c < 0x21) throw new DecodeError('invalid-value', 'unknown word at byte ' + at);
    s += String.fromCharCode(d.u8());
  }
}

function space(d: Decoder): void {
  d.expectAscii(' ');
}

function hasPrefix(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (bytes[k] !== prefix.charCodeAt(k)) return false;
  return true;
}

function readUtf8Tail(d: Decoder, what: string): string {
  const at = d.offset;
  try {
    return utf8Decode(d.tail());
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, what + ' at byte ' + at + ': ' + e.message);
    throw e;
  }
}

function latin1Text(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k++) s += String.fromCharCode(bytes[k]);
  return s;
}

function latin1Bytes(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 0xff) throw new EncodeError('invalid-value', what + ' has a character above U+00FF at index ' + k);
    out[k] = c;
  }
  return out;
}

function checkWord(word: string, allowed: string[], what: string): void {
  if (allowed.indexOf(word) < 0) throw new EncodeError('invalid-value', 'unknown ' + what);
}

function isSafeInteger(n: number): boolean {
  return Math.floor(n) === n && n >= -9007199254740991 && n <= 9007199254740991;
}
