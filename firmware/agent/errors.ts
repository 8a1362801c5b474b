import { SimpleGoError } from '../../hal/errors';

/**
 * Why the double ratchet refused a message, a key agreement or a stored state.
 *
 * The first eight codes correspond one to one to simplexmq's `CryptoError` values that the agent
 * maps to distinct protocol errors (`cryptoError` in Agent/Client.hs), so the agent layer can map
 * them the same way:
 *
 * - 'bad-message':       the EncRatchetMessage / EncMessageHeader framing, or a decrypted header,
 *                        does not parse (CryptoHeaderError → A_MESSAGE)
 * - 'bad-header':        no header key we hold opens the header (CERatchetHeader → A_CRYPTO)
 * - 'decrypt-failed':    the header opened but the body did not, or its padding is impossible
 *                        (AESDecryptError / CryptoInvalidMsgError → A_CRYPTO DECRYPT_AES)
 * - 'duplicate':         the message directly before the next expected one arrived again
 *                        (CERatchetDuplicateMessage → A_DUPLICATE, acknowledged silently)
 * - 'earlier-message':   an older message of the current chain whose key is not stored
 *                        (CERatchetEarlierMessage → A_CRYPTO RATCHET_EARLIER)
 * - 'too-many-skipped':  the message is more than MAX_SKIP ahead (CERatchetTooManySkipped)
 * - 'kem-state':         a KEM ciphertext arrived for a key we never proposed (CERatchetKEMState)
 * - 'not-ready':         encrypting before a sending chain exists: the initiator must first
 *                        receive (CERatchetState)
 * - 'message-too-large': the plaintext does not fit the padded length (CryptoLargeMsgError)
 *
 * and three that concern SimpleGo's own inputs:
 * - 'bad-params':        unusable X3DH parameters or keys (wrong size, low-order point)
 * - 'version':           an e2e version outside 2..3, or a serialized state of an unknown format
 * - 'bad-state':         a serialized ratchet state that is truncated, malformed or inconsistent
 *
 * Every failure of `Ratchet.decrypt` leaves the ratchet exactly as it was.
 */
export type RatchetErrorCode =
  | 'bad-message'
  | 'bad-header'
  | 'decrypt-failed'
  | 'duplicate'
  | 'earlier-message'
  | 'too-many-skipped'
  | 'kem-state'
  | 'not-ready'
  | 'message-too-large'
  | 'bad-params'
  | 'version'
  | 'bad-state';

export class RatchetError extends SimpleGoError {
  declare readonly code: RatchetErrorCode;
  constructor(code: RatchetErrorCode, message: string) {
    super(code, message);
    this.name = 'RatchetError';
  }
}
