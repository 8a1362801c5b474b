import { SimpleGoError } from '../../hal/errors';
import { formatDuration } from './text';

/**
 * Every typed error the lower layers raise, as a short sentence a person can act on.
 *
 * Keyed by the error's `name` (its class) and `code`, because codes repeat across classes with
 * different meanings ('timeout' of Wi-Fi, of a TCP connect, of an SMP command). Written as
 * switch statements rather than a table: on the device a function body stays in flash, while a
 * table of some 200 strings would hold that many variables in RAM for the whole session.
 *
 * test/firmware/ui/error-text.test.ts reads every `code` union of firmware/ and hal/ and fails
 * when one has no sentence here.
 */

/** The sentence for an error class and code, or null when this file does not know the pair. */
export function errorTextFor(name: string, code: string): string | null {
  switch (name) {
    case 'NetError':
      return netText(code);
    case 'WifiError':
      return wifiText(code);
    case 'StorageError':
      return storageText(code);
    case 'StoreError':
      return storeText(code);
    case 'CryptoError':
      return cryptoText(code);
    case 'SmpTransportError':
      return transportText(code);
    case 'SmpClientError':
      return clientText(code);
    case 'SmpCommandError':
      return commandText(code);
    case 'ProxyError':
      return proxyText(code);
    case 'EngineError':
      return engineText(code);
    case 'AppError':
      return appText(code);
    case 'ShortLinkError':
      return shortLinkText(code);
    case 'ApplicationError':
      return code === 'already-registered' ? 'Internal error: the firmware image is built wrongly.' : null;
    case 'SmpBlockError':
    case 'ProtocolParseError':
    case 'TransmissionError':
    case 'HandshakeError':
      return smpFormatText(name, code);
    case 'AddressError':
      return addressText(code);
    case 'RouterListError':
      return routerListText(code);
    case 'LinkError':
      return linkText(code);
    case 'AgentError':
      return agentText(code);
    case 'RatchetError':
      return ratchetText(code);
    case 'ChatError':
      return chatText(code);
    case 'QrError':
      return qrText(code);
    case 'PaddingError':
    case 'ZstdError':
    case 'DecodeError':
    case 'EncodeError':
    case 'DerError':
    case 'CertificateError':
      return formatText(name, code);
    default:
      return null;
  }
}

/**
 * The sentence for any thrown value. Errors this file does not know still get a sentence (with
 * the class and code, which a bug report needs); a plain Error's message is not shown, since
 * only SimpleGoError promises a message free of secrets.
 */
export function errorText(e: unknown): string {
  if (e instanceof SimpleGoError) {
    const text = errorTextFor(e.name, e.code);
    if (e.name === 'StoreError') return storeDetail(e, text);
    if (e.name === 'ProxyError' && text !== null) return proxyDetail(e, text);
    if (text !== null) return text;
    return 'Something went wrong (' + e.name + ' ' + e.code + ').';
  }
  return 'Something went wrong inside SimpleGo. Try again; restart the device if it happens again.';
}

/** The numeric details firmware/store's StoreError carries (read by name, not by class). */
interface StoreDetail {
  readonly attemptsLeft?: unknown;
  readonly retryAfterMs?: unknown;
}

/** Adds the numbers a PIN screen needs: attempts left before the wipe, time to wait. */
function storeDetail(e: SimpleGoError, text: string | null): string {
  const base = text !== null ? text : 'Storage error (' + e.code + ').';
  const detail = e as SimpleGoError & StoreDetail;
  const attempts = typeof detail.attemptsLeft === 'number' ? detail.attemptsLeft : -1;
  const wait = typeof detail.retryAfterMs === 'number' ? detail.retryAfterMs : 0;
  if (e.code === 'wrong-pin' && attempts >= 0) {
    return base + ' ' + attempts + (attempts === 1 ? ' attempt' : ' attempts') + ' left before everything is erased.';
  }
  if (e.code === 'locked-out' && wait > 0) return base + ' Try again in ' + formatDuration(wait) + '.';
  return base;
}

/** The two routers of private routing, which a person needs to tell which one failed. */
interface ProxyDetail {
  readonly forwardingHost?: unknown;
  readonly destinationHost?: unknown;
}

function proxyDetail(e: SimpleGoError, text: string): string {
  const detail = e as SimpleGoError & ProxyDetail;
  const fwd = typeof detail.forwardingHost === 'string' ? detail.forwardingHost : '';
  const dst = typeof detail.destinationHost === 'string' ? detail.destinationHost : '';
  if (fwd.length === 0 || dst.length === 0) return text;
  return text + ' Forwarding: ' + fwd + '. Destination: ' + dst + '.';
}

function proxyText(code: string): string | null {
  switch (code) {
    case 'forwarding-refused':
      return 'Private routing failed: the forwarding router refused to forward.';
    case 'forwarding-unsupported':
      return 'Private routing failed: the forwarding router does not support it.';
    case 'forwarding-failed':
    case 'no-session':
      return 'Private routing failed: the forwarding router could not be reached.';
    case 'destination-identity':
      return "Private routing failed: the destination router's identity does not match.";
    case 'destination-version':
      return 'Private routing failed: the destination router is not compatible.';
    case 'destination-refused':
    case 'destination-bad-response':
      return 'Private routing failed: the destination router refused the message.';
    default:
      return null;
  }
}

function shortLinkText(code: string): string | null {
  switch (code) {
    case 'unknown-preset-host':
      return "This short link names a router SimpleGo does not know. Ask for the full link.";
    case 'link-gone':
      return 'This link was already used or deleted. Ask your contact for a new one.';
    case 'bad-decryption':
    case 'hash-mismatch':
    case 'bad-signature':
      return 'This link does not match what its router holds. It may have been altered: do not use it.';
    case 'malformed-data':
    case 'wrong-queue':
      return 'The router returned unusable data for this link. Ask for a new link.';
    case 'unsupported-type':
      return 'SimpleGo cannot join this kind of link (groups and channels are not supported).';
    default:
      return null;
  }
}

function appText(code: string): string | null {
  switch (code) {
    case 'locked':
      return 'The device is locked. Enter your PIN first.';
    case 'unknown-contact':
      return 'This contact no longer exists.';
    case 'too-long':
      return 'The message is too long. Split it into shorter messages.';
    case 'empty':
      return 'There is nothing to send.';
    case 'not-failed':
      return 'Only a message that failed can be sent again.';
    case 'bad-record':
      return 'Some saved data is damaged; the rest keeps working.';
    case 'no-pin':
      return 'Set a PIN first.';
    case 'has-pin':
      return 'A PIN is already set. Change it in Settings.';
    default:
      return null;
  }
}

function engineText(code: string): string | null {
  switch (code) {
    case 'unknown-connection':
      return 'This contact no longer exists.';
    case 'not-ready':
      return 'The connection is not ready yet. Wait until the contact is connected.';
    case 'bad-link':
      return 'That link cannot be used here. Ask your contact for a one-time invitation.';
    case 'unsupported':
      return "The contact's app asked for something SimpleGo does not support.";
    case 'bad-record':
      return 'Saved data of this contact is damaged.';
    case 'stopped':
      return 'Messaging is not running. Restart the device.';
    case 'no-router':
      return 'No router is enabled. Enable one in Settings > Routers.';
    case 'send-failed':
      return 'The router refused the message for good. It will not be retried.';
    default:
      return null;
  }
}

function netText(code: string): string | null {
  switch (code) {
    case 'dns':
      return "The router's name could not be found. Check the Wi-Fi connection and the address.";
    case 'refused':
      return 'The router refused the connection. Check the address and port.';
    case 'unreachable':
      return 'No network. Connect to Wi-Fi and try again.';
    case 'timeout':
      return 'The router did not answer in time. Try again later.';
    case 'tls':
      return 'A secure connection to the router could not be set up.';
    case 'reset':
      return 'The connection was dropped. It will be retried.';
    case 'io':
      return 'Network error. Try again.';
    default:
      return null;
  }
}

function wifiText(code: string): string | null {
  switch (code) {
    case 'not-found':
      return 'That Wi-Fi network is not in range.';
    case 'auth':
      return 'Wrong Wi-Fi password.';
    case 'timeout':
      return 'Joining the Wi-Fi network took too long. Move closer and try again.';
    case 'io':
      return 'The Wi-Fi radio reported an error. Try again.';
    default:
      return null;
  }
}

function storageText(code: string): string | null {
  switch (code) {
    case 'invalid-path':
      return 'Internal storage error (bad file name).';
    case 'io':
      return 'The SD card reported an error. Check the card.';
    case 'no-space':
      return 'The SD card is full.';
    case 'not-mounted':
      return 'No SD card. Insert the card and restart.';
    default:
      return null;
  }
}

function storeText(code: string): string | null {
  switch (code) {
    case 'no-store':
      return 'No data on this card yet. Set a PIN to start.';
    case 'exists':
      return 'This card already holds a SimpleGo store.';
    case 'locked':
      return 'The device is locked. Enter your PIN.';
    case 'wrong-pin':
      return 'Wrong PIN.';
    case 'locked-out':
      return 'Too many wrong PINs.';
    case 'wiped':
      return 'Too many wrong PINs: all data was erased.';
    case 'damaged':
      return 'Data on the SD card is damaged or was changed.';
    case 'rollback':
      return 'The SD card holds older data than this device has seen. Was it replaced by a copy?';
    case 'anchor-missing':
      return 'This card belongs to another device, or the device was reset.';
    case 'unsupported':
      return 'The data on the card is from a newer firmware. Update SimpleGo.';
    case 'bad-argument':
      return 'Internal error in the data store.';
    case 'too-large':
      return 'That is too large to store.';
    case 'full':
      return 'The data store is full.';
    case 'needs-recovery':
      return 'A write was interrupted. Lock and unlock the device to repair it.';
    default:
      return null;
  }
}

function cryptoText(code: string): string | null {
  switch (code) {
    case 'bad-length':
    case 'bad-key':
      return 'A key received from the other side is invalid.';
    case 'weak-key':
      return 'The other side sent an unsafe key. The connection was refused.';
    default:
      return null;
  }
}

function transportText(code: string): string | null {
  switch (code) {
    case 'unknown-ca':
      return "The router's identity does not match its fingerprint. Check the router address.";
    case 'bad-chain':
    case 'bad-signed-key':
      return "The router's certificate is not valid.";
    case 'bad-session':
      return 'The connection to the router may be intercepted. It was closed.';
    case 'bad-alpn':
    case 'version':
      return 'This router speaks a protocol version SimpleGo does not support.';
    case 'bad-handshake':
      return 'The router sent an invalid greeting.';
    case 'handshake-timeout':
      return 'The router did not answer in time. Try again later.';
    case 'closed':
      return 'The router closed the connection.';
    default:
      return null;
  }
}

function clientText(code: string): string | null {
  switch (code) {
    case 'timeout':
      return 'The router did not answer in time. Try again later.';
    case 'connect-failed':
      return 'Could not connect to the router. Check the Wi-Fi; it will be retried.';
    case 'connection-lost':
      return 'The connection to the router was lost. Try again.';
    case 'closed':
      return 'The connection was closed.';
    case 'too-many-pending':
      return 'The router is busy. Try again in a moment.';
    case 'unexpected-response':
      return 'The router sent an unexpected answer.';
    case 'bad-request':
      return 'Internal error: an invalid request was not sent.';
    case 'unsupported-version':
      return 'This router is too old for this feature.';
    case 'no-server-key':
      return 'The router did not provide a session key.';
    case 'already-subscribed':
      return 'Already receiving on this queue.';
    case 'undecryptable':
      return 'A message could not be decrypted and was dropped.';
    default:
      return null;
  }
}

function commandText(code: string): string | null {
  switch (code) {
    case 'block':
    case 'session':
      return 'The connection to the router failed. Try again.';
    case 'cmd-unknown':
    case 'cmd-syntax':
    case 'cmd-no-auth':
    case 'cmd-has-auth':
    case 'cmd-no-entity':
      return 'The router rejected a request (protocol error).';
    case 'cmd-prohibited':
      return 'The router does not allow this.';
    case 'proxy-protocol':
    case 'proxy-broker':
    case 'proxy-no-session':
      return 'Private routing failed: the forwarding router could not reach the destination.';
    case 'proxy-basic-auth':
      return 'Private routing failed: the forwarding router needs a password.';
    case 'auth':
      return 'The router does not know this queue. The contact may have deleted the connection.';
    case 'blocked':
      return 'The router operator blocked this queue.';
    case 'service':
      return 'The router is not available right now.';
    case 'crypto':
      return 'The router could not decrypt the request.';
    case 'quota':
      return 'The contact has too many undelivered messages. They may be offline; it will be retried.';
    case 'store':
      return 'The router could not store the message. Try again later.';
    case 'no-msg':
      return 'There was no message to receive.';
    case 'large-msg':
      return 'The message is too large for the router.';
    case 'expired':
      return 'The request expired. Try again.';
    case 'internal':
      return 'The router had an internal error. Try again later.';
    case 'duplicate':
      return 'The router reported a duplicate. Try again.';
    default:
      return null;
  }
}

function smpFormatText(name: string, code: string): string | null {
  if (name === 'SmpBlockError' && (code === 'undecryptable' || code === 'bad-length' || code === 'bad-batch')) {
    return 'The router sent damaged data. The connection was closed.';
  }
  if (name === 'ProtocolParseError' && (code === 'unknown-command' || code === 'bad-syntax')) {
    return 'The router sent a message SimpleGo does not understand.';
  }
  if (name === 'TransmissionError' && code === 'large-message') return 'The message is too large to send.';
  if (name === 'HandshakeError' && code === 'incompatible-version') return 'This router speaks a protocol version SimpleGo does not support.';
  return null;
}

function addressText(code: string): string | null {
  switch (code) {
    case 'bad-scheme':
      return 'A router address starts with smp://';
    case 'bad-fingerprint':
      return "The router's fingerprint (before the @) is not valid.";
    case 'bad-host':
      return "The router's host name is not valid.";
    case 'bad-port':
      return "The router's port is not valid.";
    case 'bad-password':
      return "The router's password is not valid.";
    default:
      return null;
  }
}

function routerListText(code: string): string | null {
  switch (code) {
    case 'unknown-router':
      return 'That router is not in the list.';
    case 'duplicate':
      return 'That router is already in the list.';
    case 'host-mismatch':
      return 'The address is for a different router.';
    case 'not-removable':
      return 'Preset routers cannot be removed; disable them instead.';
    case 'bad-address':
      return 'That is not a valid router address (smp://fingerprint@host).';
    default:
      return null;
  }
}

function linkText(code: string): string | null {
  switch (code) {
    case 'unknown-scheme':
    case 'not-a-simplex-link':
      return 'That is not a SimpleX link.';
    case 'too-long':
    case 'too-many-queues':
      return 'That link is too long.';
    case 'truncated':
      return 'The link is incomplete. Copy or scan it again.';
    case 'bad-encoding':
    case 'missing-parameter':
    case 'bad-key':
    case 'bad-e2e-params':
    case 'bad-queue-uri':
    case 'bad-server-address':
    case 'bad-short-link':
    case 'bad-binary':
      return 'The link is damaged. Ask your contact for a new one.';
    case 'bad-version-range':
    case 'incompatible-version':
      return 'The link is from an app version SimpleGo cannot talk to. Ask for a new link from an updated app.';
    default:
      return null;
  }
}

function agentText(code: string): string | null {
  switch (code) {
    case 'message-too-large':
      return 'The message is too large to send.';
    case 'version':
      return "The contact's app version is not supported.";
    case 'not-accepted':
      return 'The contact did not accept the connection.';
    case 'bad-envelope':
    case 'bad-key':
    case 'box-failed':
    case 'bad-padding':
    case 'bad-client-message':
    case 'bad-agent-message':
    case 'unexpected-agent-message':
      return 'A message from the contact could not be read and was dropped.';
    default:
      return null;
  }
}

function ratchetText(code: string): string | null {
  switch (code) {
    case 'duplicate':
    case 'earlier-message':
      return 'A message arrived twice; the copy was dropped.';
    case 'too-many-skipped':
      return 'Too many messages were lost. The encryption needs to be re-synchronised.';
    case 'decrypt-failed':
    case 'bad-message':
    case 'bad-header':
    case 'kem-state':
      return 'A message could not be decrypted. The encryption may need to be re-synchronised.';
    case 'message-too-large':
      return 'The message is too large to send.';
    case 'not-ready':
      return 'The connection is not ready yet. Wait until the contact is connected.';
    case 'version':
    case 'bad-params':
      return "The contact's encryption settings are not supported.";
    case 'bad-state':
      return 'Saved encryption data is damaged.';
    default:
      return null;
  }
}

function chatText(code: string): string | null {
  switch (code) {
    case 'empty':
      return 'Type a message first.';
    case 'too-large':
      return 'The message is too long. Shorten it.';
    case 'unsupported':
      return 'The contact sent something this device cannot show.';
    case 'bad-framing':
    case 'decompress-failed':
    case 'bad-json':
    case 'bad-message':
      return 'A message from the contact could not be read.';
    default:
      return null;
  }
}

function qrText(code: string): string | null {
  switch (code) {
    case 'too-long':
      return 'The link is too long for a QR code. Share it as text.';
    case 'bad-text':
      return 'The link contains characters a QR code here cannot carry.';
    default:
      return null;
  }
}

/** Malformed data from the network or the card, reported by the generic decoders. */
function formatText(name: string, code: string): string | null {
  let known = false;
  switch (name) {
    case 'PaddingError':
      known = code === 'message-too-large' || code === 'bad-padding';
      if (code === 'message-too-large') return 'The message is too large to send.';
      break;
    case 'ZstdError':
      known = code === 'truncated' || code === 'bad-magic' || code === 'unsupported' || code === 'corrupt' ||
        code === 'too-large' || code === 'checksum' || code === 'invalid-argument';
      break;
    case 'DecodeError':
      known = code === 'truncated' || code === 'trailing-bytes' || code === 'invalid-value' || code === 'unknown-algorithm' ||
        code === 'wrong-algorithm' || code === 'bad-base64' || code === 'bad-escape' || code === 'bad-utf8';
      break;
    case 'EncodeError':
      if (code === 'too-long') return 'That is too long to send.';
      if (code === 'invalid-value') return 'Internal error: a value could not be encoded.';
      return null;
    case 'DerError':
      known = code === 'truncated' || code === 'bad-length' || code === 'unexpected-tag' || code === 'trailing-data' || code === 'bad-value';
      if (known) return "The router's certificate is malformed.";
      break;
    case 'CertificateError':
      known = code === 'bad-version' || code === 'algorithm-mismatch' || code === 'bad-algorithm' || code === 'bad-key' ||
        code === 'bad-signature' || code === 'bad-name' || code === 'bad-extension' || code === 'bad-signed-key' || code === 'bad-options';
      if (known) return "The router's certificate is not valid.";
      break;
    default:
      break;
  }
  return known ? 'Received data is damaged and was dropped.' : null;
}
