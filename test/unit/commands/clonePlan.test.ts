import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  cloneVolumeName,
  defaultCloneName,
  NewDiskSource,
  planDiskClones,
  rewriteCloneXml,
  xmlName,
} from '../../../src/commands/clone/clonePlan';
import {
  domainDisks,
  domainHasTpmState,
  domainMacs,
  domainNvramPath,
  domainUuidFromXml,
} from '../../../src/commands/domainXmlFacts';

// out/test/unit/commands -> repository root
const fixture = readFileSync(
  path.resolve(__dirname, '../../../../test/unit/commands/fixtures/domainEfiTpm.xml'),
  'utf8',
);

describe('clonePlan (unit)', () => {
  it('reads the fixture the way libvirt describes it', () => {
    const disks = domainDisks(fixture);
    assert.deepEqual(
      disks.map((d) => [d.target, d.device, d.type, d.path ?? `${d.pool}/${d.volume}`, d.readonly, d.shareable]),
      [
        ['vda', 'disk', 'file', '/var/lib/libvirt/images/web.qcow2', false, false],
        ['vdb', 'disk', 'file', '/var/lib/libvirt/images/web-data.img', false, false],
        ['vdc', 'disk', 'file', '/srv/shared/common.img', false, true],
        ['vdd', 'disk', 'volume', 'tank/logs.qcow2', false, false],
        ['sda', 'cdrom', 'file', '/srv/iso/debian-12.iso', true, false],
        ['sdb', 'cdrom', 'file', 'undefined/undefined', true, false],
      ],
    );
    assert.equal(domainNvramPath(fixture), '/var/lib/libvirt/qemu/nvram/web1_VARS.fd');
    assert.equal(domainHasTpmState(fixture), true);
    assert.deepEqual(domainMacs(fixture), ['52:54:00:b9:af:03', '52:54:00:aa:bb:cc']);
  });

  it('copies writable private disks and shares shareable disks and CD-ROMs', () => {
    const plan = planDiskClones(domainDisks(fixture));
    assert.deepEqual(
      plan.map((p) => [p.disk.target, p.action]),
      [
        ['vda', 'copy'],
        ['vdb', 'copy'],
        ['vdc', 'share'],
        ['vdd', 'copy'],
        ['sda', 'share'],
        ['sdb', 'none'],
      ],
    );
  });

  it('rewrites name, UUID, MACs, NVRAM and the copied disks, keeping everything else', () => {
    const sources = new Map<number, NewDiskSource>([
      [0, { kind: 'path', path: '/var/lib/libvirt/images/web1-clone.qcow2' }],
      [1, { kind: 'path', path: '/var/lib/libvirt/images/web1-clone-1.img' }],
      [3, { kind: 'volume', pool: 'tank', volume: 'web1-clone-2.qcow2' }],
    ]);
    const out = rewriteCloneXml(fixture, 'web1-clone', sources);
    assert.equal(xmlName(out), 'web1-clone');
    assert.equal(domainUuidFromXml(out), undefined);
    assert.deepEqual(domainMacs(out), []);
    assert.equal(domainNvramPath(out), undefined);
    assert.ok(out.includes("<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'></nvram>"), 'the NVRAM template stays, the path goes');
    assert.ok(out.includes("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"));
    const disks = domainDisks(out);
    assert.deepEqual(
      disks.map((d) => d.path ?? `${d.pool}/${d.volume}`),
      [
        '/var/lib/libvirt/images/web1-clone.qcow2',
        '/var/lib/libvirt/images/web1-clone-1.img',
        '/srv/shared/common.img',
        'tank/web1-clone-2.qcow2',
        '/srv/iso/debian-12.iso',
        'undefined/undefined',
      ],
    );
    // Untouched parts survive: entities, foreign-namespace metadata, TPM, graphics.
    assert.match(out, /<title>Web &amp; DB server<\/title>/);
    assert.match(out, /<app:info xmlns:app="http:\/\/example.org\/app\/1">\s*<app:owner>ops<\/app:owner>/);
    assert.equal(domainHasTpmState(out), true);
    assert.ok(out.includes("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>"));
    // Only the edited places differ: every other line of the original is still there, in order.
    const kept = fixture.split('\n').filter((l) => !/<name>|<uuid>|<mac |<nvram|<source file='\/var\/lib|<source pool=/.test(l));
    const outLines = out.split('\n');
    let at = 0;
    for (const line of kept) {
      at = outLines.indexOf(line, at);
      assert.ok(at >= 0, `line lost or reordered: ${line}`);
    }
    // The original is not modified.
    assert.equal(domainUuidFromXml(fixture), 'd2a5f976-53c8-4e9f-9c4a-bfc5d6bae667');
  });

  it('escapes a new name and new paths', () => {
    const out = rewriteCloneXml(fixture, 'a&b', new Map([[0, { kind: 'path', path: '/x/"q"&.qcow2' }]]));
    assert.equal(xmlName(out), 'a&b');
    assert.match(out, /<name>a&amp;b<\/name>/);
    assert.equal(domainDisks(out)[0].path, '/x/"q"&.qcow2');
  });

  it('drops an <nvram> without a template entirely', () => {
    const xml = fixture.replace(/<nvram template='[^']*'>/, '<nvram>');
    const out = rewriteCloneXml(xml, 'n', new Map());
    assert.doesNotMatch(out, /<nvram/);
  });

  it('refuses to point a disk that does not exist', () => {
    assert.throws(() => rewriteCloneXml(fixture, 'n', new Map([[42, { kind: 'path', path: '/x' }]])), RangeError);
  });

  it('names clones and their volumes uniquely', () => {
    assert.equal(defaultCloneName('web1', new Set()), 'web1-clone');
    assert.equal(defaultCloneName('web1', new Set(['web1-clone', 'web1-clone-2'])), 'web1-clone-3');
    assert.equal(cloneVolumeName('web.qcow2', 'web1-clone', 0, new Set()), 'web1-clone.qcow2');
    assert.equal(cloneVolumeName('web-data.img', 'web1-clone', 1, new Set()), 'web1-clone-1.img');
    assert.equal(cloneVolumeName('disk', 'n', 0, new Set(['n', 'n-1'])), 'n-2');
    assert.equal(cloneVolumeName('a.qcow2', 'n', 0, new Set(['n.qcow2'])), 'n-1.qcow2');
  });
});
