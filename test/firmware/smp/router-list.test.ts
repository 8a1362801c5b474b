import assert from 'node:assert/strict';
import { DecodeError } from '../../../firmware/encoding/errors';
import {
  RouterListError,
  addRouter,
  decodeRouterList,
  defaultRouterList,
  encodeRouterList,
  isKnownRouter,
  provisionRouter,
  removeRouter,
  routerId,
  routerStatus,
  setRouterEnabled,
  usableRouters,
  type RouterList,
} from '../../../firmware/smp/router-list';
import { parseSmpServer } from '../../../firmware/smp/address';

const KEY = 'LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=';

function assertListError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof RouterListError && e.code === code);
}

function roundTrip(list: RouterList): RouterList {
  const r = decodeRouterList(encodeRouterList(list));
  assert.ok(r.ok);
  return r.value;
}

describe('firmware/smp/router-list', () => {
  it('never offers a router awaiting its fingerprint, whatever its enabled flag', () => {
    const list = defaultRouterList(false);
    assert.equal(list.entries.length, 10);
    assert.equal(routerStatus(list.entries[0]), 'ready');
    assert.equal(routerStatus(list.entries[1]), 'awaiting-fingerprint');
    assert.ok(list.entries[1].enabled);
    const usable = usableRouters(list, 'storage');
    assert.equal(usable.length, 1);
    assert.equal(usable[0].server.hosts[0].host, 'smp.simplego.dev');
  });

  it('provisions a preset only with an address for the same host, and then uses it', () => {
    let list = defaultRouterList(false);
    assertListError(() => provisionRouter(list, 'smp3.simplego.dev', 'smp://' + KEY + '@evil.example'), 'host-mismatch');
    assertListError(() => provisionRouter(list, 'smp3.simplego.dev', 'smp://short@smp3.simplego.dev'), 'bad-address');
    assertListError(() => provisionRouter(list, 'nope.example', 'smp://' + KEY + '@nope.example'), 'unknown-router');
    list = provisionRouter(list, 'smp3.simplego.dev', ' smp://' + KEY + '@smp3.simplego.dev ');
    assert.equal(routerStatus(list.entries[3]), 'ready');
    assert.equal(usableRouters(list, 'storage').length, 2);
    // Re-pinning after a certificate renewal replaces the fingerprint.
    const other = 'evk6yvqIaOtOVWfFhXQTdQRtlKeDy_4MXsJDYh2agys=';
    const repinned = provisionRouter(list, 'smp3.simplego.dev', 'smp://' + other + '@smp3.simplego.dev');
    assert.ok(isKnownRouter(repinned, parseSmpServer('smp://' + other + '@smp3.simplego.dev')));
    assert.ok(!isKnownRouter(repinned, parseSmpServer('smp://' + KEY + '@smp3.simplego.dev')));
  });

  it('adds, disables and removes user routers; presets can be disabled but not removed', () => {
    let list = addRouter(defaultRouterList(true), 'smp://' + KEY + ':secret@127.0.0.1:7001');
    const id = routerId(list.entries[list.entries.length - 1]);
    assert.equal(id, '127.0.0.1:7001');
    assertListError(() => addRouter(list, 'smp://' + KEY + '@127.0.0.1:7001'), 'duplicate');
    assertListError(() => addRouter(list, 'smp://' + KEY + '@smp5.simplego.dev'), 'duplicate');
    assert.equal(usableRouters(list, 'storage').filter((a) => a.basicAuth === 'secret').length, 1);
    list = setRouterEnabled(list, id, false);
    assert.equal(usableRouters(list, 'storage').filter((a) => a.basicAuth === 'secret').length, 0);
    assertListError(() => removeRouter(list, 'smp.simplego.dev'), 'not-removable');
    list = setRouterEnabled(list, 'smp.simplego.dev', false);
    assert.equal(routerStatus(list.entries[0]), 'disabled');
    const before = list.entries.length;
    list = removeRouter(list, id);
    assert.equal(list.entries.length, before - 1);
    assertListError(() => setRouterEnabled(list, id, true), 'unknown-router');
  });

  it('keeps Flux routers for forwarding only', () => {
    const list = defaultRouterList(true);
    const storage = usableRouters(list, 'storage').map((a) => a.server.hosts[0].host);
    const proxy = usableRouters(list, 'proxy').map((a) => a.server.hosts[0].host);
    assert.ok(!storage.some((h) => h.endsWith('simplexonflux.com')));
    assert.ok(proxy.some((h) => h.endsWith('simplexonflux.com')));
    assert.ok(!storage.includes('smp4.simplex.im')); // disabled by default upstream
  });

  it('stores and restores the list exactly, and a damaged stored list is a typed error', () => {
    let list = provisionRouter(defaultRouterList(true), 'smp1.simplego.dev', 'smp://' + KEY + '@smp1.simplego.dev');
    list = addRouter(list, 'smp://' + KEY + ':pw@[::1]:5224');
    list = setRouterEnabled(list, 'smp8.simplex.im', false);
    const back = roundTrip(list);
    assert.deepEqual(encodeRouterList(back), encodeRouterList(list));
    assert.equal(back.entries.length, list.entries.length);
    assert.equal(routerStatus(back.entries[2]), 'awaiting-fingerprint');
    const bytes = encodeRouterList(list);
    for (let cut = 0; cut < bytes.length; cut += 7) {
      const r = decodeRouterList(bytes.subarray(0, cut));
      assert.ok(!r.ok && (r.error instanceof DecodeError || r.error instanceof RouterListError));
    }
    const bad = bytes.slice();
    bad[3] = 0x58; // unknown operator tag
    const r = decodeRouterList(bad);
    assert.ok(!r.ok && r.error instanceof RouterListError);
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const m = bytes.slice();
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      m[seed % m.length] ^= 1 + (seed >> 8) % 255;
      const res = decodeRouterList(m);
      if (!res.ok) assert.ok(res.error instanceof DecodeError || res.error instanceof RouterListError);
    }
  });
});
