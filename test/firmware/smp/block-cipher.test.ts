import assert from 'node:assert/strict';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import type { Crypto } from '../../../hal/crypto';
import type { Random } from '../../../hal/random';
import { decryptBlock, encryptBlock, initBlockCipher, wipeBlockCipher } from '../../../firmware/smp/block-cipher';
import { SMP_BLOCK_SIZE } from '../../../firmware/smp/transmission';
import { h, hx, seededRandom, vectorCase, vectors } from '../../hal/crypto-suite';

const BACKENDS: { name: string; make: (random: Random) => Crypto }[] = [
  { name: 'portable', make: createPortableCrypto },
  { name: 'node', make: createNodeCrypto },
];

for (const backend of BACKENDS) {
  describe('firmware/smp/block-cipher on the ' + backend.name + ' backend', () => {
    const c = backend.make(seededRandom('block-cipher-test'));
    const file = vectors('smp-block-encryption');
    const init = vectorCase(file, 'chain_init');

    it('derives the two chains from the session id and the hello secret, the client swapping them', () => {
      const server = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'server');
      const client = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'client');
      assert.equal(hx(server.send.chainKey), init.ck1_server_send_client_receive);
      assert.equal(hx(server.receive.chainKey), init.ck2_client_send_server_receive);
      assert.equal(hx(client.send.chainKey), init.ck2_client_send_server_receive);
      assert.equal(hx(client.receive.chainKey), init.ck1_server_send_client_receive);
    });

    it("produces the client's first encrypted PING block and advances the chain key", () => {
      const client = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'client');
      const v = vectorCase(file, 'client_first_block_ping');
      const block = encryptBlock(c, client.send, h(v.block_content));
      assert.equal(block.length, SMP_BLOCK_SIZE);
      assert.equal(hx(block.subarray(0, 32)), v.encrypted_block_first_32);
      assert.equal(hx(c.sha256(block)), v.encrypted_block_sha256);
      assert.equal(hx(client.send.chainKey), vectorCase(file, 'ck2_step_1').next_chain_key);
      const server = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'server');
      assert.equal(hx(decryptBlock(c, server.receive, block) as Uint8Array), v.block_content);
    });

    it('keeps both ends in step after a tampered or short block, which opens to null', () => {
      const client = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'client');
      const server = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'server');
      const first = encryptBlock(c, server.send, new Uint8Array([1, 2, 3]));
      first[100] ^= 1;
      assert.equal(decryptBlock(c, client.receive, first), null);
      const second = encryptBlock(c, server.send, new Uint8Array([4, 5]));
      assert.equal(decryptBlock(c, client.receive, second.subarray(0, 100)), null);
      const third = encryptBlock(c, server.send, new Uint8Array(16366).fill(7));
      assert.deepEqual(decryptBlock(c, client.receive, third), new Uint8Array(16366).fill(7));
      // A block replayed later does not open: its key is gone.
      assert.equal(decryptBlock(c, client.receive, third), null);
    });

    it('refuses content longer than 16366 bytes and wipes chain keys on request', () => {
      const cipher = initBlockCipher(c, h(init.salt_session_id), h(init.ikm_dh_secret), 'client');
      assert.throws(() => encryptBlock(c, cipher.send, new Uint8Array(16367)));
      wipeBlockCipher(cipher);
      assert.ok(cipher.send.chainKey.every((b) => b === 0) && cipher.receive.chainKey.every((b) => b === 0));
    });
  });
}
