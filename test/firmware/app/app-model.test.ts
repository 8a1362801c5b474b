/**
 * The real AppModel over real parts: two devices (each its own encrypted store in a temp
 * directory, its own pool) and two local routers, every message privately routed by default.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNodeClock } from '../../../hal/node/clock';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { createNodeRandom } from '../../../hal/node/random';
import { createNodeStorage } from '../../../hal/node/storage';
import { FakeWifi } from '../../../hal/node/wifi';
import { AppModelImpl, policyOf, withoutKemKey } from '../../../firmware/app/app-model';
import type { ModelChange } from '../../../firmware/app/model';
import { parseConnectionLink } from '../../../firmware/agent/connection-link';
import { printSmpServer } from '../../../firmware/smp/address';
import { addRouter, type RouterList } from '../../../firmware/smp/router-list';
import { MIN_ITERATIONS } from '../../../firmware/store/keyring';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';

const random = createNodeRandom();
const crypto = createNodeCrypto(random);
const clock = createNodeClock();
const noProgress = (): void => undefined;

async function eventually(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('firmware/app/app-model (two devices, two local routers)', function () {
  this.timeout(60000);
  let ra: TestRouter;
  let rb: TestRouter;
  const dirs: string[] = [];
  const models: AppModelImpl[] = [];

  before(async () => {
    ra = await startTestRouter({ sync: false });
    rb = await startTestRouter({ sync: false });
  });
  after(async () => {
    for (const m of models) m.shutdown();
    await ra.stop();
    await rb.stop();
    removeTempDirs();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function device(name: string, own: TestRouter, other: TestRouter, dir?: string): AppModelImpl {
    let list: RouterList = { entries: [] };
    list = addRouter(list, printSmpServer(own.server));
    list = addRouter(list, printSmpServer(other.server));
    // Queues only on the device's own router; the other one forwards.
    list = { entries: [list.entries[0], { ...list.entries[1], storage: false }] };
    const d = dir ?? mkdtempSync(path.join(os.tmpdir(), 'simplego-app-'));
    if (dir === undefined) dirs.push(d);
    const m = new AppModelImpl({
      crypto,
      random,
      clock,
      log: createMemoryLog({ level: 'error' }),
      net: createNodeNet(),
      wifi: new FakeWifi(clock),
      card: createNodeStorage(d),
      profileName: name,
      initialRouters: list,
      pinIterations: MIN_ITERATIONS,
      retryBaseMs: 50,
      retryMaxMs: 500,
    });
    models.push(m);
    return m;
  }

  it('maps the routing settings to policies, private by default', () => {
    assert.deepEqual(policyOf('always'), { mode: 'always', fallback: 'prohibit' });
    assert.deepEqual(policyOf('never'), { mode: 'never', fallback: 'allow' });
    assert.equal(policyOf('unknown').mode, 'unknown-routers');
  });

  it('pairs, converses, reports delivery, agrees on the security code, and keeps history across a lock', async () => {
    const alice = device('Alice', ra, rb);
    const bob = device('Bob', rb, ra);
    const aliceChanges: ModelChange[] = [];
    alice.setListener((c) => aliceChanges.push(c));
    assert.equal(alice.lockState(), 'no-pin');
    assert.equal(alice.settings().privateRouting, 'always');
    await alice.setPin('1357', noProgress);
    await bob.setPin('2468', noProgress);
    assert.equal(alice.lockState(), 'unlocked');

    const inv = await alice.createInvitation(noProgress);
    assert.equal(alice.contact(inv.contactId)?.state, 'invited');
    assert.ok(inv.qrText.length < inv.linkText.length, 'the QR form drops the KEM key');
    assert.equal(parseConnectionLink(inv.qrText).e2e?.kem ?? null, null);
    const bobContact = await bob.joinLink(inv.qrText, noProgress);
    assert.equal(bob.contact(bobContact)?.state, 'connecting');
    await eventually(() => alice.contact(inv.contactId)?.state === 'ready' && bob.contact(bobContact)?.state === 'ready', 'both ready');
    assert.equal(alice.contact(inv.contactId)?.name, 'Bob');
    assert.equal(bob.contact(bobContact)?.name, 'Alice');

    const code = alice.securityCode(inv.contactId);
    assert.match(code, /^(\d{5} )+\d{1,5}$/);
    assert.equal(code, bob.securityCode(bobContact), 'both sides compute the same code');
    const wrong = code.slice(0, -1) + (code.endsWith('0') ? '1' : '0');
    assert.equal(bob.compareSecurityCode(bobContact, wrong), false);
    assert.equal(bob.contact(bobContact)?.verified, false);
    assert.equal(bob.compareSecurityCode(bobContact, code.replace(/ /g, '')), true);
    assert.equal(bob.contact(bobContact)?.verified, true);

    alice.send(inv.contactId, 'hello Bob');
    assert.equal(alice.messagesBefore(inv.contactId, -1, 10)[0].delivery, 'sending');
    await eventually(() => alice.messagesBefore(inv.contactId, -1, 10)[0].delivery === 'delivered', 'delivered');
    assert.ok(aliceChanges.some((c) => c.kind === 'messages' && c.contactId === inv.contactId));
    await eventually(() => bob.messagesBefore(bobContact, -1, 10).length === 1, 'bob received');
    const got = bob.messagesBefore(bobContact, -1, 10)[0];
    assert.equal(got.text, 'hello Bob');
    assert.equal(got.outgoing, false);
    assert.equal(got.delivery, 'received');
    assert.equal(bob.unreadTotal(), 1);
    bob.markRead(bobContact);
    assert.equal(bob.unreadTotal(), 0);
    bob.send(bobContact, 'hi Alice');
    await eventually(() => alice.messagesAfter(inv.contactId, 1, 10).length === 1, 'alice received');
    assert.equal(alice.messagesAfter(inv.contactId, 1, 10)[0].text, 'hi Alice');
    assert.equal(alice.contactsPage(0, 5)[0].lastText, 'hi Alice');
    assert.throws(() => alice.send(inv.contactId, ''), { name: 'AppError', code: 'empty' });
    assert.throws(() => alice.send(inv.contactId, 'x'.repeat(15001)), { name: 'AppError', code: 'too-long' });
    assert.throws(() => alice.resend(inv.contactId, 1), { name: 'AppError', code: 'not-failed' });

    // Lock: nothing is readable; unlock: the same history, the same delivery states.
    alice.lock();
    assert.equal(alice.lockState(), 'locked');
    assert.equal(alice.contactCount(), 0);
    assert.throws(() => alice.send(inv.contactId, 'x'), { name: 'AppError', code: 'locked' });
    await assert.rejects(alice.unlock('0000', noProgress), { name: 'StoreError', code: 'wrong-pin' });
    await alice.unlock('1357', noProgress);
    const history = alice.messagesBefore(inv.contactId, -1, 10);
    assert.deepEqual(history.map((m) => [m.text, m.outgoing, m.delivery]), [['hello Bob', true, 'delivered'], ['hi Alice', false, 'received']]);
    alice.send(inv.contactId, 'after unlock');
    await eventually(() => bob.messagesBefore(bobContact, -1, 10).length === 3, 'bob got the message sent after unlock');

    await alice.changePin('1357', '9999', noProgress);
    alice.lock();
    await alice.unlock('9999', noProgress);
    assert.equal(alice.contactCount(), 1);

    await alice.wipe(noProgress);
    assert.equal(alice.lockState(), 'no-pin');
  });

  it('removes its invitation when the contact is deleted, and refuses unknown contacts', async () => {
    const carol = device('Carol', ra, rb);
    await carol.setPin('1111', noProgress);
    const inv = await carol.createInvitation(noProgress);
    assert.equal(carol.contactCount(), 1);
    await carol.deleteContact(inv.contactId, noProgress);
    assert.equal(carol.contactCount(), 0);
    assert.throws(() => carol.securityCode('00'), { name: 'AppError', code: 'unknown-contact' });
  });

  it('runs the router test against a local router and reports the steps', async () => {
    const dave = device('Dave', ra, rb);
    await dave.setPin('1111', noProgress);
    const steps: number[] = [];
    await dave.testRouter(dave.routers()[0].id, (p) => steps.push(p.step));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    await assert.rejects(dave.testRouter('nowhere.example', noProgress), { name: 'AppError' });
  });

  it('strips only the KEM key from an invitation', () => {
    assert.throws(() => withoutKemKey('not a link'));
  });
});
