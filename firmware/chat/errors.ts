import { SimpleGoError } from '../../hal/errors';

/**
 * Why a chat-layer body or message was refused (agent.md §10). A closed set, so the caller can
 * switch on it; messages name the part that is wrong and never quote message text.
 *
 * - 'empty':             an empty body, or an empty element inside a batch or compressed list
 * - 'too-large':         over a size limit: the JSON, the decompressed output, or a message to send
 * - 'bad-framing':       the binary framing ('X' list, '=' batch) does not parse, or an element
 *                        starts with a byte no framing uses
 * - 'unsupported':       well formed, but a form SimpleGo does not handle: signed ('/') and
 *                        forwarded ('>') group elements, binary file chunks ('F'), or a zstd
 *                        frame when no decompressor is available
 * - 'decompress-failed': a zstd frame that does not decompress
 * - 'bad-json':          not UTF-8, not JSON, nested too deeply or with too many values
 * - 'bad-message':       JSON, but not a chat message: a required field is missing or a field has
 *                        the wrong type (where the app would also refuse the message)
 */
export type ChatErrorCode = 'empty' | 'too-large' | 'bad-framing' | 'unsupported' | 'decompress-failed' | 'bad-json' | 'bad-message';

export class ChatError extends SimpleGoError {
  declare readonly code: ChatErrorCode;
  constructor(code: ChatErrorCode, message: string) {
    super(code, message);
    this.name = 'ChatError';
  }
}
