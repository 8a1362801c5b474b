/**
 * A long conversation through the local router: 1,000 messages (500 each way, PQ on), every one
 * received once and in order with integrity ok, and every one delivered. Behaviour only: timing
 * belongs to `npm run bench`.
 */
import assert from 'node:assert/strict';
import type { SmpServerAddress } from '../../../firmware/smp/address';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';
import { connect, Party, removeAgentDirs } from './agent-helpers';

describe('agent engine: 1,000 messages', function () {
  this.timeout(120000);
  let r: TestRouter;
  let routers: SmpServerAddress[];
  let alice: Party;
  let bob: Party;

  before(async () => {
    r = await startTestRouter({ sync: false });
    routers = [{ server: r.server, basicAuth: null }];
  });
  after(async () => {
    alice.close();
    bob.close();
    await r.stop();
    removeTempDirs();
    removeAgentDirs();
  });

  it('delivers 500 messages each way, exactly once, in order, all receipted', async () => {
    alice = new Party('alice', routers);
    bob = new Party('bob', routers);
    await alice.agent.start();
    await bob.agent.start();
    const { aConn, bConn } = await connect(alice, bob);
    const toBob: string[] = [];
    const toAlice: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 25; i++) {
        const n = batch * 25 + i;
        alice.agent.sendText(aConn, 'to bob ' + n);
        toBob.push('to bob ' + n);
        bob.agent.sendText(bConn, 'to alice ' + n);
        toAlice.push('to alice ' + n);
      }
      await bob.waitFor((es) => es.filter((e) => e.type === 'message').length >= toBob.length, 'bob batch ' + batch, 60000);
      await alice.waitFor((es) => es.filter((e) => e.type === 'message').length >= toAlice.length, 'alice batch ' + batch, 60000);
    }
    await alice.waitFor((es) => es.filter((e) => e.type === 'delivered').length >= 500, 'alice receipts', 60000);
    await bob.waitFor((es) => es.filter((e) => e.type === 'delivered').length >= 500, 'bob receipts', 60000);
    assert.deepEqual(bob.texts(bConn), toBob);
    assert.deepEqual(alice.texts(aConn), toAlice);
    for (const e of alice.events.concat(bob.events)) if (e.type === 'message') assert.equal(e.integrity.kind, 'ok');
    assert.equal(alice.count('rejected') + bob.count('rejected'), 0);
  });
});
