import { SimpleGoError } from '../../hal/errors';
import { decode } from '../encoding/binary';
import type { Decoder } from '../encoding/binary';
import { DecodeError } from '../encoding/errors';
import { ChatError } from './errors';

/**
 * How an A_MSG body (or the connection info of a confirmation or invitation) frames its chat
 * messages, by its first byte (agent.md §10.1; simplex-chat Protocol.hs `parseChatMessages`,
 * simplexmq Compression.hs):
 *
 *   '{'  one JSON chat message
 *   '['  a JSON array of chat messages
 *   'X'  compressed: 'X' ‖ NonEmpty ('0' short(raw) | '1' large(zstd frame)); each item, once
 *        decompressed, is framed again ('{', '[' or '='; not 'X')
 *   '='  binary batch: '=' ‖ count ‖ large(element)…, each element '{' (or a group form)
 *   '/'  signed, '>' forwarded (groups and channels), 'F' binary file chunk: not handled here
 *
 * Plain '{' JSON is accepted as well as compressed bodies, whatever the SimpleGo C project's
 * documentation claims (agent.md §10.1, unconfirmed): simplex-chat src/Simplex/Chat/Protocol.hs
 * `parseChatMessages` reads both.
 *
 * As upstream, one body yields a list of results, so one bad element does not hide the others;
 * a body whose framing itself is broken yields a single error. zstd is not implemented here: the
 * caller passes a decompressor, which must refuse to produce more than `maxOutput` bytes.
 */

/** Decompresses one zstd frame to at most `maxOutput` bytes, or throws. */
export type ZstdDecompress = (frame: Uint8Array, maxOutput: number) => Uint8Array;

/** The app's bound on one decompressed element (chat `maxDecompressedMsgLength`). */
export const MAX_DECOMPRESSED_LENGTH = 65536;
/** Items up to this size are sent uncompressed ('0') by the app (`maxLengthPassthrough`). */
export const MAX_PASSTHROUGH_LENGTH = 180;

export type ChatElement =
  /** One AppMessageJson object. */
  | { readonly kind: 'json'; readonly bytes: Uint8Array }
  /** A JSON array of AppMessageJson objects. */
  | { readonly kind: 'json-batch'; readonly bytes: Uint8Array };

export type ElementResult = { readonly ok: true; readonly element: ChatElement } | { readonly ok: false; readonly error: ChatError };

const BYTE_OBJECT = 0x7b; // '{'
const BYTE_ARRAY = 0x5b; // '['
const BYTE_COMPRESSED = 0x58; // 'X'
const BYTE_BINARY_BATCH = 0x3d; // '='
const BYTE_SIGNED = 0x2f; // '/'
const BYTE_FORWARDED = 0x3e; // '>'
const BYTE_FILE_CHUNK = 0x46; // 'F'
const TAG_PASSTHROUGH = 0x30; // '0'
const TAG_ZSTD = 0x31; // '1'

interface CompressedItem {
  readonly zstd: boolean;
  readonly bytes: Uint8Array;
}

/**
 * Splits a body into its JSON elements. `decompress` may be null (then compressed items are
 * 'unsupported'). `maxDecompressed` bounds the decompressed output of the whole body, not of each
 * item: stricter than the app, which allows 64 KB per item and 255 items, more than the device has.
 */
export function splitChatBody(body: Uint8Array, decompress: ZstdDecompress | null, maxDecompressed: number = MAX_DECOMPRESSED_LENGTH): ElementResult[] {
  if (body.length === 0) return [failure('empty', 'the message body is empty')];
  const first = body[0];
  if (first === BYTE_COMPRESSED) return splitCompressed(body.subarray(1), decompress, maxDecompressed);
  return splitUncompressed(body);
}

/** `parseUncompressed`: '[' and '=' here, anything else as a single element. */
function splitUncompressed(bytes: Uint8Array): ElementResult[] {
  const first = bytes[0];
  if (first === BYTE_ARRAY) return [{ ok: true, element: { kind: 'json-batch', bytes: bytes } }];
  if (first === BYTE_BINARY_BATCH) return splitBinaryBatch(bytes.subarray(1));
  return [classifyElement(bytes)];
}

/** `elementP`: the first byte says what the element is. */
function classifyElement(bytes: Uint8Array): ElementResult {
  if (bytes.length === 0) return failure('empty', 'a batch element is empty');
  switch (bytes[0]) {
    case BYTE_OBJECT:
      return { ok: true, element: { kind: 'json', bytes: bytes } };
    case BYTE_SIGNED:
      return failure('unsupported', 'signed group messages are not supported');
    case BYTE_FORWARDED:
      return failure('unsupported', 'forwarded group messages are not supported');
    case BYTE_FILE_CHUNK:
      return failure('unsupported', 'binary file chunks are not supported');
    default:
      return failure('bad-framing', 'a chat element starts with byte 0x' + hexByte(bytes[0]) + ', which no framing uses');
  }
}

/** '=' ‖ count ‖ large(element)…, the whole rest (`parseAll smpListP`). */
function splitBinaryBatch(bytes: Uint8Array): ElementResult[] {
  const r = decode(bytes, (d: Decoder) => d.list((x) => x.large()));
  if (!r.ok) return [failure('bad-framing', 'binary batch: ' + r.error.message)];
  const out: ElementResult[] = [];
  for (let i = 0; i < r.value.length; i++) out.push(classifyElement(r.value[i]));
  return out;
}

function splitCompressed(bytes: Uint8Array, decompress: ZstdDecompress | null, maxDecompressed: number): ElementResult[] {
  const r = decode(bytes, (d: Decoder) => d.nonEmpty(readCompressedItem));
  if (!r.ok) return [failure('bad-framing', 'compressed body: ' + r.error.message)];
  const out: ElementResult[] = [];
  let budget = maxDecompressed;
  for (let i = 0; i < r.value.length; i++) {
    const item = r.value[i];
    let element: Uint8Array;
    if (!item.zstd) {
      element = item.bytes;
    } else if (decompress === null) {
      out.push(failure('unsupported', 'compressed item ' + i + ' needs zstd, and no decompressor is available'));
      continue;
    } else {
      const limit = budget < MAX_DECOMPRESSED_LENGTH ? budget : MAX_DECOMPRESSED_LENGTH;
      const d = runDecompress(decompress, item.bytes, limit, i);
      if (!d.ok) {
        out.push(d);
        continue;
      }
      element = d.bytes;
      budget -= element.length;
    }
    if (element.length === 0) {
      out.push(failure('empty', 'compressed item ' + i + ' is empty'));
      continue;
    }
    // Decompressed items are framed again, but never compressed twice (upstream fails on 'X').
    const inner = splitUncompressed(element);
    for (let k = 0; k < inner.length; k++) out.push(inner[k]);
  }
  return out;
}

/** `Compressed`: '0' short(bytes) | '1' large(zstd frame). */
function readCompressedItem(d: Decoder): CompressedItem {
  const at = d.offset;
  const tag = d.u8();
  if (tag === TAG_PASSTHROUGH) return { zstd: false, bytes: d.short() };
  if (tag === TAG_ZSTD) return { zstd: true, bytes: d.large() };
  throw new DecodeError('invalid-value', "item at byte " + at + " is neither '0' nor '1'");
}

type Decompressed = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly error: ChatError };

/**
 * Calls the injected decompressor and does not trust it: its output length is checked, and
 * anything it throws becomes 'decompress-failed' (its own message is kept only if it is one of
 * our typed errors, whose messages never carry data).
 */
function runDecompress(decompress: ZstdDecompress, frame: Uint8Array, limit: number, index: number): Decompressed {
  let out: Uint8Array;
  try {
    out = decompress(frame, limit);
  } catch (e) {
    const why = e instanceof SimpleGoError ? ': ' + e.message : '';
    return { ok: false, error: new ChatError('decompress-failed', 'compressed item ' + index + ' does not decompress' + why) };
  }
  if (!(out instanceof Uint8Array)) {
    return { ok: false, error: new ChatError('decompress-failed', 'compressed item ' + index + ': the decompressor returned no bytes') };
  }
  if (out.length > limit) {
    return { ok: false, error: new ChatError('too-large', 'compressed item ' + index + ' decompresses to more than ' + limit + ' bytes') };
  }
  return { ok: true, bytes: out };
}

function failure(code: 'empty' | 'bad-framing' | 'unsupported', message: string): ElementResult {
  return { ok: false, error: new ChatError(code, message) };
}

function hexByte(b: number): string {
  const h = '0123456789abcdef';
  return h.charAt(b >> 4) + h.charAt(b & 15);
}
