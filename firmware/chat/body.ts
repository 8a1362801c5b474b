import { chatMessageFromJson, decodeChatMessage } from './app-message';
import type { ChatMessage } from './app-message';
import { ChatError } from './errors';
import { splitChatBody } from './framing';
import type { ZstdDecompress } from './framing';
import { parseJson } from './json';
import type { JsonLimits } from './json';

/**
 * A received A_MSG body (or connection info) to chat messages: framing.ts splits it, each JSON
 * element becomes a ChatMessage (app-message.ts). The result is one entry per message found, or
 * per element that failed, in order; the caller shows the messages and ignores the failures, as
 * the app does with each `Left`.
 */

export type ChatBodyItem = { readonly ok: true; readonly message: ChatMessage } | { readonly ok: false; readonly error: ChatError };

export interface ChatBodyOptions {
  /** Bounds for each JSON element or batch. */
  readonly jsonLimits?: JsonLimits;
  /** Bound on all decompressed output of the body (framing.ts). */
  readonly maxDecompressed?: number;
}

export function decodeChatBody(body: Uint8Array, decompress: ZstdDecompress | null, options: ChatBodyOptions = {}): ChatBodyItem[] {
  const elements = splitChatBody(body, decompress, options.maxDecompressed);
  const out: ChatBodyItem[] = [];
  for (let i = 0; i < elements.length; i++) {
    const r = elements[i];
    if (!r.ok) {
      out.push(r);
      continue;
    }
    if (r.element.kind === 'json') {
      out.push(attempt(() => decodeChatMessage(r.element.bytes, options.jsonLimits)));
      continue;
    }
    let batch: unknown;
    try {
      batch = parseJson(r.element.bytes, options.jsonLimits);
    } catch (e) {
      if (e instanceof ChatError) {
        out.push({ ok: false, error: e });
        continue;
      }
      throw e;
    }
    if (!Array.isArray(batch)) {
      out.push({ ok: false, error: new ChatError('bad-json', "a '[' body is not a JSON array") });
      continue;
    }
    for (let k = 0; k < batch.length; k++) {
      const item = batch[k];
      out.push(attempt(() => chatMessageFromJson(item)));
    }
  }
  return out;
}

function attempt(fn: () => ChatMessage): ChatBodyItem {
  try {
    return { ok: true, message: fn() };
  } catch (e) {
    if (e instanceof ChatError) return { ok: false, error: e };
    throw e;
  }
}
