import assert from 'node:assert/strict';
import { parseSmpServer, printSmpServer } from '../../../firmware/smp/address';
import { OFFICIAL_PRESETS, SIMPLEGO_PRESETS, shortLinkPresetServers } from '../../../firmware/smp/presets';
import { hex, vectorCase } from '../../vectors';

describe('firmware/smp/presets', () => {
  it('ships the ten SimpleGo routers on port 5223, only smp.simplego.dev pinned', () => {
    assert.equal(SIMPLEGO_PRESETS.length, 10);
    const hosts = SIMPLEGO_PRESETS.map((p) => p.host);
    assert.deepEqual(hosts, ['smp.simplego.dev', 'smp1.simplego.dev', 'smp2.simplego.dev', 'smp3.simplego.dev', 'smp4.simplego.dev', 'smp5.simplego.dev', 'smp6.simplego.dev', 'smp7.simplego.dev', 'smp8.simplego.dev', 'smp9.simplego.dev']);
    const pinned = SIMPLEGO_PRESETS.filter((p) => p.address !== null);
    assert.equal(pinned.length, 1);
    const a = parseSmpServer(pinned[0].address as string);
    assert.equal(a.server.port, null); // the default, 5223
    assert.deepEqual(a.server.keyHash, hex(vectorCase('cert-fingerprints.json', 'simplego_dev').fingerprint));
  });

  it('parses every official preset, each with its onion host, and prints it back unchanged', () => {
    for (const p of OFFICIAL_PRESETS) {
      const a = parseSmpServer(p.address as string);
      assert.equal(a.server.hosts.length, 2, p.host);
      assert.equal(a.server.hosts[0].host, p.host);
      assert.equal(a.server.hosts[1].kind, 'onion');
      assert.equal(printSmpServer(a.server), p.address);
    }
    assert.equal(OFFICIAL_PRESETS.filter((p) => p.operator === 'flux' && p.storage).length, 0);
  });

  it('gives restoreShortLink every official router plus the retired test router, no SimpleGo ones', () => {
    const servers = shortLinkPresetServers();
    assert.equal(servers.length, OFFICIAL_PRESETS.length + 1);
    assert.ok(servers.some((s) => s.hosts[0].host === 'smp7.simplex.im'));
    assert.ok(!servers.some((s) => s.hosts[0].host.endsWith('simplego.dev')));
  });
});
