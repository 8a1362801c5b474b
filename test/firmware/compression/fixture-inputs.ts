/**
 * Deterministic inputs for the zstd fixtures: our own synthetic chat JSON, conn info, and
 * repetitive, random and small-alphabet data, each named by a spec string such as
 * "chat:15602:7" (kind:size:seed). make-fixtures.ts compresses them with the zstd CLI; the tests
 * regenerate them from the spec and compare the decoder's output byte for byte, so only the
 * frames need storing.
 */

/** xorshift32: small, seedable, and the same on every run. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 255;
    return out;
  }
}

const WORDS = [
  'hello', 'there', 'meeting', 'tomorrow', 'at', 'the', 'station', 'coffee', 'sounds', 'good', 'I', 'will',
  'bring', 'documents', 'can', 'you', 'check', 'router', 'again', 'battery', 'low', 'see', 'later', 'thanks',
  'a', 'lot', 'for', 'help', 'with', 'keys', 'message', 'arrived', 'twice', 'weird', 'no', 'problem', 'ok',
  'weekend', 'plans', 'mountains', 'if', 'weather', 'holds', 'otherwise', 'museum', 'call', 'me', 'when',
  'free', 'привет', 'как', 'дела', 'grüße', 'aus', 'München', 'ça', 'va', '🙂', '👍', '🔐', 'ok!', '?', '...',
];

function fillText(rng: Rng, bytes: number): string {
  let text = '';
  let len = 0;
  for (;;) {
    const w = WORDS[rng.below(WORDS.length)] + (rng.below(9) === 0 ? '\\n' : ' ');
    const wl = Buffer.byteLength(w, 'utf8');
    if (len + wl > bytes) break;
    text += w;
    len += wl;
  }
  return text + '.'.repeat(bytes - len);
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

/** One x.msg.new chat message of exactly `size` bytes of JSON (agent.md §10.2). */
function chatMessage(rng: Rng, size: number): string {
  const head = '{"v":"1-18","msgId":"' + b64url(rng.bytes(12)) + '","event":"x.msg.new","params":{"content":{"type":"text","text":"';
  const tail = '"}}}';
  const room = size - Buffer.byteLength(head + tail, 'utf8');
  if (room < 0) throw new Error('chat message cannot be as small as ' + size);
  return head + fillText(rng, room) + tail;
}

/** An x.info conn info with a profile picture, exactly `size` bytes (agent.md §10.3). */
function connInfo(rng: Rng, size: number): string {
  const head = '{"v":"1-18","event":"x.info","params":{"profile":{"displayName":"alice","fullName":"Alice Example",' +
    '"preferences":{"timedMessages":{"allow":"yes"},"fullDelete":{"allow":"no"},"reactions":{"allow":"yes"},' +
    '"voice":{"allow":"yes"},"calls":{"allow":"yes"}},"image":"data:image/jpg;base64,';
  const tail = '"}}}';
  const room = size - head.length - tail.length;
  // A JPEG is incompressible, so its base64 carries ~6 bits of entropy per character.
  const image = Buffer.from(rng.bytes(Math.ceil((room * 3) / 4) + 3)).toString('base64').slice(0, room);
  return head + image + tail;
}

/** Chat messages batched in a JSON array (chat >= 9), as close to `size` as whole messages allow, then padded. */
function chatBatch(rng: Rng, size: number): string {
  const items: string[] = [];
  let len = 2;
  for (;;) {
    const m = chatMessage(rng, 120 + rng.below(400));
    const ml = Buffer.byteLength(m, 'utf8');
    if (len + ml + 1 > size - 200) break;
    items.push(m);
    len += ml + 1;
  }
  const last = chatMessage(rng, size - len); // len already counts a comma after each earlier item
  items.push(last);
  return '[' + items.join(',') + ']';
}

/** Builds the input named by `spec` ("kind:size:seed"). */
export function fixtureInput(spec: string): Uint8Array {
  const parts = spec.split(':');
  const kind = parts[0];
  const size = Number(parts[1]);
  const rng = new Rng(Number(parts[2] ?? '1'));
  const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
  let out: Uint8Array;
  switch (kind) {
    case 'empty':
      out = new Uint8Array(0);
      break;
    case 'chat':
      out = utf8(chatMessage(rng, size));
      break;
    case 'batch':
      out = utf8(chatBatch(rng, size));
      break;
    case 'info':
      out = utf8(connInfo(rng, size));
      break;
    case 'chats': {
      // A long log drawn from 40 distinct messages: more than a 128 KB block, yet a small frame.
      const pool: string[] = [];
      for (let i = 0; i < 40; i++) pool.push(chatMessage(rng, 110 + rng.below(300)) + '\n');
      const lines: string[] = [];
      let len = 0;
      while (len < size) {
        const m = pool[rng.below(pool.length)];
        lines.push(m);
        len += Buffer.byteLength(m, 'utf8');
      }
      out = utf8(lines.join('')).subarray(0, size);
      break;
    }
    case 'ticks': {
      // One fresh byte, then the same 8 bytes again, over and over: every sequence has the same
      // literals length, match length and (repeat) offset, so the encoder picks RLE_Mode tables.
      const tick = rng.bytes(8);
      out = new Uint8Array(size);
      let prev = -1;
      for (let i = 0; i < size; i += 9) {
        let r = rng.below(256);
        while (r === prev || tick.indexOf(r) >= 0) r = rng.below(256);
        prev = r;
        out[i] = r;
        out.set(tick.subarray(0, Math.min(8, size - i - 1)), i + 1);
      }
      break;
    }
    case 'same':
      out = new Uint8Array(size).fill(0x61);
      break;
    case 'random':
      out = rng.bytes(size);
      break;
    case 'alphabet': {
      // Bytes 0..11, skewed: few symbols, so the encoder sends Huffman weights directly.
      out = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        const r = rng.below(64);
        out[i] = r < 32 ? 0 : r < 48 ? 1 : r < 56 ? 2 : 3 + (r % 9);
      }
      break;
    }
    case 'letters': {
      // 16 letters uniformly: few matches, so a large block is nearly all Huffman literals.
      out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = 0x61 + rng.below(16);
      break;
    }
    default:
      throw new Error('unknown fixture input kind ' + kind);
  }
  if (out.length !== size) throw new Error('fixture input ' + spec + ' came out ' + out.length + ' bytes');
  return out;
}
