/**
 * Issue 7's end-to-end durability check: two devices, each with its encrypted store on disk,
 * hold a 500-message conversation through the local router while both are stopped and restarted
 * at random points (seeded): between a received message's commit and its ACK, with sends in the
 * outbox, and in between. Both histories must end complete, in order, without duplicates and
 * identical on both sides, and neither card directory may contain any message text in the clear.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { SmpServerAddress } from '../../../firmware/smp/address';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';
import { connect, Party, removeAgentDirs } from './agent-helpers';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** A party that can be crashed at any moment and comes back on its own. */
class Restartable {
  readonly p: Party;
  private restarting: Promise<void> | null = null;
  crashes = 0;

  constructor(p: Party) {
    this.p = p;
  }

  crash(delayMs: number): void {
    if (this.restarting !== null) return;
    this.crashes++;
    this.p.crash();
    this.restarting = sleep(delayMs)
      .then(() => this.p.restart())
      .then(() => {
        this.restarting = null;
      });
  }

  async ready(): Promise<void> {
    while (this.restarting !== null) await this.restarting;
  }
}

describe('a 500-message conversation with random restarts of both devices', function () {
  this.timeout(120000);
  let r: TestRouter;
  let routers: SmpServerAddress[];
  const parties: Party[] = [];

  before(async () => {
    r = await startTestRouter({ sync: false });
    routers = [{ server: r.server, basicAuth: null }];
  });
  after(async () => {
    while (parties.length > 0) (parties.pop() as Party).close();
    await r.stop();
    removeTempDirs();
    removeAgentDirs();
  });

  it('ends with both histories complete and identical, and no plaintext on either card', async () => {
    const rng = prng(20261123);
    const alice = new Restartable(new Party('alice', routers));
    const bob = new Restartable(new Party('bob', routers));
    parties.push(alice.p, bob.p);
    await alice.p.agent.start();
    await bob.p.agent.start();
    const { aConn, bConn } = await connect(alice.p, bob.p);

    // Crash a receiver right inside message delivery now and then: after the commit, before the ACK.
    for (const side of [alice, bob]) {
      side.p.onEvent = (e) => {
        if (e.type === 'message' && rng() < 0.02) side.crash(5 + Math.floor(rng() * 30));
      };
    }

    const sentByAlice: string[] = [];
    const sentByBob: string[] = [];
    const TOTAL = 500;
    for (let n = 0; n < TOTAL; n++) {
      const fromAlice = rng() < 0.5;
      const side = fromAlice ? alice : bob;
      await side.ready();
      const text = (fromAlice ? 'secret-from-alice-' : 'secret-from-bob-') + n;
      side.p.agent.sendText(fromAlice ? aConn : bConn, text);
      (fromAlice ? sentByAlice : sentByBob).push(text);
      const roll = rng();
      if (roll < 0.02) side.crash(0); // with this send (and maybe more) still in the outbox
      else if (roll < 0.03) (fromAlice ? bob : alice).crash(10);
      if (n % 25 === 24) {
        // Let the routers drain a little, as a real conversation would between bursts.
        await sleep(20);
      }
    }
    await alice.ready();
    await bob.ready();
    await bob.p.waitFor(() => bob.p.texts(bConn).length >= sentByAlice.length, 'all of alice at bob', 60000);
    await alice.p.waitFor(() => alice.p.texts(aConn).length >= sentByBob.length, 'all of bob at alice', 60000);

    // Complete and in order, no duplicates, on both sides.
    assert.deepEqual(bob.p.texts(bConn), sentByAlice);
    assert.deepEqual(alice.p.texts(aConn), sentByBob);
    assert.ok(alice.crashes + bob.crashes >= 10, 'the run crashed the devices ' + (alice.crashes + bob.crashes) + ' times');

    // Nothing in the clear on either card: no message text, no profile name.
    for (const side of [alice, bob]) {
      for (const file of filesUnder(side.p.dir)) {
        const bytes = readFileSync(file).toString('latin1');
        assert.ok(bytes.indexOf('secret-from-') < 0, file + ' holds message text in the clear');
        assert.ok(bytes.indexOf('"displayName"') < 0, file + ' holds a profile in the clear');
      }
    }
  });
});
