/**
 * AgentMsgEnvelope 'C' / 'M' / 'I' / 'R' (agent.md §6.2, §6.3): fixed byte strings from the spec
 * and the vectors (the ratchet-first-message EncRatchetMessage, the worked invitation link, the
 * ratchet-kdf X448 keys), the §6.3 sizes (142 and 2344 bytes), the accept table over every
 * combination of its inputs, and refusals and fuzz producing only DecodeError.
 */
import assert from 'node:assert/strict';
import { parseConnectionLink } from '../../../firmware/agent/connection-link';
import {
  acceptEnvelope,
  decodeAgentMsgEnvelope,
  encodeAgentMsgEnvelope,
  type AcceptDecision,
  type AcceptInput,
  type AgentMsgEnvelope,
  type AgentMsgEnvelopeKind,
} from '../../../firmware/agent/envelope';
import type { E2EParams } from '../../../firmware/agent/x3dh';
import { toHex } from '../../../firmware/encoding/bytes';
import { mutate } from '../chat/mutate';
import { expectDecodeError, expectEncodeError, hex, loadVectors, onlyDecodeErrors, prng, randomInt, vectorCase } from '../encoding/helpers';

const X448_SPKI = '3042300506032b656f033900';
const KEYS = (loadVectors('ratchet-kdf.json') as unknown as { common_inputs: { keys: { [n: string]: { public: string } } } }).common_inputs.keys;
const B1 = KEYS.b1.public;
const B2 = KEYS.b2.public;
/** The joiner's first EncRatchetMessage, 242 bytes (ratchet-first-message.json). */
const FIRST = vectorCase('ratchet-first-message.json', 'first_message_hello').message as string;
const WORKED = vectorCase('connection-request-uri.json', 'invitation_worked_example') as { uri: string; smp_param_escaped: string };

const CT = 'c1'.repeat(1039);
const PK = 'b7'.repeat(1158);

const PARAMS_V3: E2EParams = { version: 3, key1: hex(B1), key2: hex(B2), kem: null };
const PARAMS_V3_HEX = '0003' + '44' + X448_SPKI + B1 + '44' + X448_SPKI + B2 + '30';
const PARAMS_V2: E2EParams = { version: 2, key1: hex(B1), key2: hex(B2), kem: null };
/** No KEM field at all below version 3. */
const PARAMS_V2_HEX = '0002' + '44' + X448_SPKI + B1 + '44' + X448_SPKI + B2;
const PARAMS_ACCEPT: E2EParams = { version: 3, key1: hex(B1), key2: hex(B2), kem: { kind: 'accepted', ciphertext: hex(CT), publicKey: hex(PK) } };
const PARAMS_ACCEPT_HEX = '0003' + '44' + X448_SPKI + B1 + '44' + X448_SPKI + B2 + '31' + '41' + '040f' + CT + '0486' + PK;
const PARAMS_PROPOSE: E2EParams = { version: 3, key1: hex(B1), key2: hex(B2), kem: { kind: 'proposed', publicKey: hex(PK) } };
const PARAMS_PROPOSE_HEX = '0003' + '44' + X448_SPKI + B1 + '44' + X448_SPKI + B2 + '31' + '50' + '0486' + PK;

function ascii(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

interface Fixture {
  name: string;
  value: AgentMsgEnvelope;
  hex: string;
}

const INVITATION = parseConnectionLink(WORKED.uri);

const FIXTURES: Fixture[] = [
  {
    name: "'M' carrying the vector's first ratchet message, version 7",
    value: { kind: 'message', agentVersion: 7, encAgentMessage: hex(FIRST) },
    hex: '0007' + '4d' + FIRST,
  },
  {
    name: "'C' without e2e parameters (the initiator's reply confirmation)",
    value: { kind: 'confirmation', agentVersion: 7, e2eParams: null, encConnInfo: hex(FIRST) },
    hex: '0007' + '43' + '30' + FIRST,
  },
  {
    name: "'C' with v3 parameters, no KEM",
    value: { kind: 'confirmation', agentVersion: 7, e2eParams: PARAMS_V3, encConnInfo: hex(FIRST) },
    hex: '0007' + '43' + '31' + PARAMS_V3_HEX + FIRST,
  },
  {
    name: "'C' with v3 parameters accepting a KEM ('A')",
    value: { kind: 'confirmation', agentVersion: 7, e2eParams: PARAMS_ACCEPT, encConnInfo: hex(FIRST) },
    hex: '0007' + '43' + '31' + PARAMS_ACCEPT_HEX + FIRST,
  },
  {
    name: "'C' with v3 parameters proposing a KEM ('P')",
    value: { kind: 'confirmation', agentVersion: 6, e2eParams: PARAMS_PROPOSE, encConnInfo: hex(FIRST) },
    hex: '0006' + '43' + '31' + PARAMS_PROPOSE_HEX + FIRST,
  },
  {
    name: "'C' with v2 parameters (no KEM field), agent version 2",
    value: { kind: 'confirmation', agentVersion: 2, e2eParams: PARAMS_V2, encConnInfo: hex('0102') },
    hex: '0002' + '43' + '31' + PARAMS_V2_HEX + '0102',
  },
  {
    name: "'R' AgentRatchetKey with info 'R'",
    value: { kind: 'ratchet-key', agentVersion: 7, e2eParams: PARAMS_V3, info: hex('52') },
    hex: '0007' + '52' + PARAMS_V3_HEX + '52',
  },
  {
    name: "'I' AgentInvitation with the worked example link and x.contact JSON",
    value: { kind: 'invitation', agentVersion: 7, connReq: INVITATION, connInfo: hex(ascii('{"v":"1"}')) },
    hex: '0007' + '49' + (WORKED.uri.length).toString(16).padStart(4, '0') + ascii(WORKED.uri) + ascii('{"v":"1"}'),
  },
];

describe('agent envelopes (agent.md §6.2)', () => {
  describe('fixed byte strings, both directions', () => {
    for (const f of FIXTURES) {
      it(f.name, () => {
        assert.equal(toHex(encodeAgentMsgEnvelope(f.value)), f.hex);
        assert.deepEqual(decodeAgentMsgEnvelope(hex(f.hex)), f.value);
      });
    }

    it('has the §6.3 sizes: 142 bytes of parameters at v3 without KEM, 2344 with an accepted KEM', () => {
      const prefix = (p: E2EParams | null): number =>
        encodeAgentMsgEnvelope({ kind: 'confirmation', agentVersion: 7, e2eParams: p, encConnInfo: new Uint8Array(0) }).length - 3;
      assert.equal(prefix(PARAMS_V3), 142);
      assert.equal(prefix(PARAMS_ACCEPT), 2344);
      assert.equal(prefix(null), 1);
    });

    it('reads an https:// invitation link the same as the simplex: one (and writes simplex:)', () => {
      const https = WORKED.uri.replace('simplex:', 'https://simplex.chat');
      const bytes = hex('0007' + '49' + https.length.toString(16).padStart(4, '0') + ascii(https) + '7b7d');
      const env = decodeAgentMsgEnvelope(bytes);
      assert.deepEqual(env, { kind: 'invitation', agentVersion: 7, connReq: INVITATION, connInfo: hex('7b7d') });
      assert.equal(toHex(encodeAgentMsgEnvelope(env)), '0007' + '49' + WORKED.uri.length.toString(16).padStart(4, '0') + ascii(WORKED.uri) + '7b7d');
    });
  });

  describe('refusals', () => {
    it('every strict prefix is a DecodeError or a shorter valid envelope', () => {
      for (const f of FIXTURES) {
        const b = hex(f.hex);
        // Cutting inside the fixed part must fail; cutting the tail may leave a valid envelope.
        const fixed = f.hex.length / 2 - (f.value.kind === 'message' ? f.value.encAgentMessage.length : f.value.kind === 'confirmation' ? f.value.encConnInfo.length : f.value.kind === 'ratchet-key' ? f.value.info.length : f.value.connInfo.length);
        for (let n = 0; n < b.length; n++) {
          if (n < fixed) {
            assert.ok(!onlyDecodeErrors(() => decodeAgentMsgEnvelope(b.subarray(0, n)), f.name + ' cut to ' + n), f.name + ' cut to ' + n + ' decoded');
          } else {
            assert.equal(decodeAgentMsgEnvelope(b.subarray(0, n)).kind, f.value.kind);
          }
        }
      }
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007')), 'truncated');
    });

    it('refuses unknown tags, a bad Maybe byte, and non-X448 keys', () => {
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007' + '44' + FIRST)), 'invalid-value'); // 'D'
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007' + '43' + '32' + FIRST)), 'invalid-value');
      const x25519 = '2c' + '302a300506032b656e032100' + '11'.repeat(32);
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007' + '52' + '0003' + x25519 + '44' + X448_SPKI + B2 + '30' + '52')), 'wrong-algorithm');
    });

    it('refuses KEM values of the wrong size', () => {
      const shortCt = '0003' + '44' + X448_SPKI + B1 + '44' + X448_SPKI + B2 + '31' + '41' + '0001' + 'aa' + '0486' + PK;
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007' + '43' + '31' + shortCt)), 'invalid-value');
    });

    it("refuses an 'I' link that is a contact address, garbage, or not printable ASCII", () => {
      const contactLink = 'simplex:/contact#/?v=2-7&smp=' + WORKED.smp_param_escaped;
      assert.equal(parseConnectionLink(contactLink).mode, 'contact');
      const inv = (text: string): Uint8Array => hex('0007' + '49' + (text.length / 2).toString(16).padStart(4, '0') + text + '7b7d');
      expectDecodeError(() => decodeAgentMsgEnvelope(inv(ascii(contactLink))), 'invalid-value');
      expectDecodeError(() => decodeAgentMsgEnvelope(inv(ascii('simplex:/invitation#/?v=2-7'))), 'invalid-value');
      expectDecodeError(() => decodeAgentMsgEnvelope(inv('c3a9')), 'invalid-value');
      expectDecodeError(() => decodeAgentMsgEnvelope(hex('0007' + '49' + '0100' + 'aa')), 'truncated');
    });

    it('refuses to encode a contact address as an invitation', () => {
      const c = parseConnectionLink('simplex:/contact#/?v=2-7&smp=' + WORKED.smp_param_escaped);
      expectEncodeError(() => encodeAgentMsgEnvelope({ kind: 'invitation', agentVersion: 7, connReq: c, connInfo: new Uint8Array(0) }), 'invalid-value');
    });

    it('fixed-seed mutation fuzz: 5,000 mutated envelopes give only DecodeError, and what decodes re-encodes', () => {
      const rng = prng(0xe1e);
      let decoded = 0;
      for (let i = 0; i < 5000; i++) {
        const f = FIXTURES[randomInt(rng, FIXTURES.length)];
        const b = mutate(rng, hex(f.hex));
        if (!onlyDecodeErrors(() => decodeAgentMsgEnvelope(b), 'mutation ' + i)) continue;
        decoded++;
        const env = decodeAgentMsgEnvelope(b);
        assert.deepEqual(decodeAgentMsgEnvelope(encodeAgentMsgEnvelope(env)), env);
      }
      assert.ok(decoded > 100 && decoded < 4900, 'decoded ' + decoded);
    });
  });

  describe('the accept table (processSMP)', () => {
    const KINDS: AgentMsgEnvelopeKind[] = ['confirmation', 'message', 'invitation', 'ratchet-key'];

    /** agent.md §6.2, written as rows rather than as the code's branches. */
    function expected(x: AcceptInput): AcceptDecision {
      const s = x.hasE2eSecret;
      const k = x.hasE2eKey;
      const ok = (action: 'confirmation' | 'repeat-confirmation' | 'invitation' | 'message' | 'ratchet-key'): AcceptDecision => ({ accepted: true, action: action });
      const no = (reason: 'no-keys' | 'missing-sender-key' | 'unexpected-handshake' | 'unexpected-message' | 'unexpected-key'): AcceptDecision => ({ accepted: false, reason: reason });
      // none | present: 'C' with 'K'; 'C' with '_' on a sender-securable queue; 'I' with '_'.
      if (!s && k && x.kind === 'confirmation' && x.privHeader === 'K') return ok('confirmation');
      if (!s && k && x.kind === 'confirmation' && x.privHeader === '_' && x.senderCanSecure) return ok('confirmation');
      if (!s && k && x.kind === 'confirmation' && x.privHeader === '_') return no('missing-sender-key');
      if (!s && k && x.kind === 'invitation' && x.privHeader === '_') return ok('invitation');
      if (!s && k) return no('unexpected-handshake');
      // present | absent: 'R' and 'M', with '_'.
      if (s && !k && x.privHeader === '_' && x.kind === 'ratchet-key') return ok('ratchet-key');
      if (s && !k && x.privHeader === '_' && x.kind === 'message') return ok('message');
      if (s && !k) return no('unexpected-message');
      // present | present: 'C' again (a repeat; ACKed).
      if (s && k && x.kind === 'confirmation') return ok('repeat-confirmation');
      if (s && k) return no('unexpected-key');
      return no('no-keys');
    }

    it('decides all 64 input combinations as the spec table says (13 accepted)', () => {
      let accepted = 0;
      for (const hasE2eSecret of [false, true]) {
        for (const hasE2eKey of [false, true]) {
          for (const privHeader of ['K', '_'] as const) {
            for (const kind of KINDS) {
              for (const senderCanSecure of [false, true]) {
                const x: AcceptInput = { hasE2eSecret, hasE2eKey, privHeader, kind, senderCanSecure };
                const d = acceptEnvelope(x);
                assert.deepEqual(d, expected(x), JSON.stringify(x));
                if (d.accepted) accepted++;
              }
            }
          }
        }
      }
      assert.equal(accepted, 13);
    });

    it('spot checks: the fast handshake, the legacy handshake, and a repeated confirmation', () => {
      const base = { hasE2eSecret: false, hasE2eKey: true, kind: 'confirmation' as const };
      assert.deepEqual(acceptEnvelope({ ...base, privHeader: '_', senderCanSecure: true }), { accepted: true, action: 'confirmation' });
      assert.deepEqual(acceptEnvelope({ ...base, privHeader: '_', senderCanSecure: false }), { accepted: false, reason: 'missing-sender-key' });
      assert.deepEqual(acceptEnvelope({ ...base, privHeader: 'K', senderCanSecure: false }), { accepted: true, action: 'confirmation' });
      assert.deepEqual(acceptEnvelope({ ...base, hasE2eSecret: true, privHeader: 'K', senderCanSecure: false }), { accepted: true, action: 'repeat-confirmation' });
      assert.deepEqual(
        acceptEnvelope({ hasE2eSecret: true, hasE2eKey: false, privHeader: 'K', kind: 'message', senderCanSecure: true }),
        { accepted: false, reason: 'unexpected-message' },
      );
    });
  });
});
