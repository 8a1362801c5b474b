/**
 * Ratchet conformance harness (`npm run -s ratchet-repl`): drives SimpleGo's X3DH and double
 * ratchet over stdin/stdout so an independent implementation can converse with it. One request
 * per line, one reply line per request, bytes in lowercase hex, `ERR <reason>` on failure:
 *
 *   INIT_RCV <pq:0|1>                -> E2ERatchetParamsUri this side offers (binary, as in an invitation)
 *   INIT_SND <hex peer params> <pq>  -> E2ERatchetParams of the reply (as in a confirmation); can send
 *   COMPLETE <hex peer reply params> -> OK; the receiving side's ratchet is ready
 *   ENC <hex plaintext>              -> EncRatchetMessage, padded as an agent message
 *   DEC <hex message>                -> plaintext
 *
 * Each process is one party of one connection. A failed DEC leaves the ratchet as it was.
 */
import * as readline from 'node:readline';
import type { Crypto } from '../hal/crypto';
import { createNodeCrypto } from '../hal/node/crypto';
import { createNodeRandom } from '../hal/node/random';
import { SimpleGoError } from '../hal/errors';
import { Decoder, Encoder, decode } from '../firmware/encoding/binary';
import { fromHex, toHex } from '../firmware/encoding/bytes';
import { Ratchet, agentMessagePadLength } from '../firmware/agent/ratchet';
import { SUPPORTED_AGENT_VRANGE, SUPPORTED_E2E_VRANGE, compatibleVersion } from '../firmware/agent/versions';
import {
  decodeE2EParams,
  decodeE2EParamsUri,
  e2eParamsAtVersion,
  encodeE2EParams,
  encodeE2EParamsUri,
  generateInitiatorParams,
  generateJoinerParams,
  replyKem,
  x3dhInitiator,
  x3dhJoiner,
  type X3dhParams,
} from '../firmware/agent/x3dh';

class ReplError extends Error {}

function bytesArg(arg: string | undefined, what: string): Uint8Array {
  const b = arg === undefined ? null : fromHex(arg.toLowerCase());
  if (b === null) throw new ReplError('bad-hex ' + what);
  return b;
}

function pqArg(arg: string | undefined): boolean {
  if (arg === '1') return true;
  if (arg === '0') return false;
  throw new ReplError('bad-pq expected 0 or 1');
}

/** One party: the pure request handler, testable without a process. */
export class RatchetRepl {
  private readonly crypto: Crypto;
  private pending: X3dhParams | null = null;
  private pq = false;
  private ratchet: Ratchet | null = null;

  constructor(crypto: Crypto) {
    this.crypto = crypto;
  }

  /** Answers one request line; never throws. */
  handle(line: string): string {
    try {
      return this.dispatch(line.trim().split(/\s+/));
    } catch (e) {
      if (e instanceof ReplError) return 'ERR ' + e.message;
      if (e instanceof SimpleGoError) return 'ERR ' + e.code + ' ' + e.message.replace(/[\r\n]+/g, ' ');
      return 'ERR internal ' + (e instanceof Error ? e.message : String(e)).replace(/[\r\n]+/g, ' ');
    }
  }

  private dispatch(words: string[]): string {
    const [verb, a1, a2] = words;
    switch (verb) {
      case 'INIT_RCV': {
        if (words.length !== 2) throw new ReplError('usage INIT_RCV <pq:0|1>');
        this.reset();
        this.pq = pqArg(a1);
        this.pending = generateInitiatorParams(this.crypto, SUPPORTED_E2E_VRANGE.max, this.pq);
        const p = this.pending.params;
        const e = new Encoder();
        encodeE2EParamsUri(e, { versionRange: SUPPORTED_E2E_VRANGE, key1: p.key1, key2: p.key2, kem: p.kem });
        return toHex(e.finish());
      }
      case 'INIT_SND': {
        if (words.length !== 3) throw new ReplError('usage INIT_SND <hex peer params> <pq:0|1>');
        this.reset();
        const r = decode(bytesArg(a1, 'peer params'), (d: Decoder) => decodeE2EParamsUri(d));
        if (!r.ok) throw new ReplError('bad-params ' + r.error.message);
        const pq = pqArg(a2);
        const v = compatibleVersion(r.value.versionRange, SUPPORTED_E2E_VRANGE);
        if (v === null) throw new ReplError('version no common e2e version');
        const initiator = e2eParamsAtVersion(r.value, v);
        const reply = generateJoinerParams(this.crypto, v, replyKem(v, initiator.kem, pq));
        const init = x3dhJoiner(this.crypto, reply.keys, initiator);
        this.ratchet = Ratchet.initJoiner(this.crypto, { current: v, max: SUPPORTED_E2E_VRANGE.max }, init, initiator.key2);
        this.pq = pq;
        const e = new Encoder();
        encodeE2EParams(e, reply.params);
        return toHex(e.finish());
      }
      case 'COMPLETE': {
        if (words.length !== 2) throw new ReplError('usage COMPLETE <hex peer reply params>');
        if (this.pending === null) throw new ReplError('state COMPLETE needs INIT_RCV first');
        const r = decode(bytesArg(a1, 'reply params'), (d: Decoder) => decodeE2EParams(d));
        if (!r.ok) throw new ReplError('bad-params ' + r.error.message);
        const joiner = r.value;
        if (joiner.version < SUPPORTED_E2E_VRANGE.min || joiner.version > SUPPORTED_E2E_VRANGE.max) throw new ReplError('version unsupported e2e version ' + joiner.version);
        const init = x3dhInitiator(this.crypto, this.pending.keys, joiner);
        this.ratchet = Ratchet.initInitiator(this.crypto, { current: joiner.version, max: SUPPORTED_E2E_VRANGE.max }, init, this.pending.keys.key2, this.pq);
        this.pending = null;
        return 'OK';
      }
      case 'ENC': {
        if (words.length !== 2) throw new ReplError('usage ENC <hex plaintext>');
        const r = this.ready();
        if (!r.canEncrypt()) throw new ReplError('state this side cannot send before it has received');
        const out = r.encrypt(bytesArg(a1, 'plaintext'), agentMessagePadLength(SUPPORTED_AGENT_VRANGE.max, this.pq), this.pq);
        return toHex(out.message);
      }
      case 'DEC': {
        if (words.length !== 2) throw new ReplError('usage DEC <hex message>');
        return toHex(this.ready().decrypt(bytesArg(a1, 'message')).plaintext);
      }
      default:
        throw new ReplError('unknown-command ' + (verb === undefined || verb === '' ? '(empty line)' : verb.substring(0, 16)));
    }
  }

  private ready(): Ratchet {
    if (this.ratchet === null) throw new ReplError('state no ratchet yet: INIT_SND, or INIT_RCV then COMPLETE');
    return this.ratchet;
  }

  private reset(): void {
    if (this.ratchet !== null) this.ratchet.destroy();
    this.ratchet = null;
    this.pending = null;
  }
}

function main(): void {
  const repl = new RatchetRepl(createNodeCrypto(createNodeRandom()));
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    process.stdout.write(repl.handle(line) + '\n');
  });
}

if (process.argv[1] !== undefined && /ratchet-repl\.ts$/.test(process.argv[1])) main();
