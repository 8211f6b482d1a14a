import * as assert from 'node:assert/strict';
import { absolutePathProblem, formatBytes, nameProblem, parseSize, ResourceInputError } from '../../../src/libvirt/resources/validation';
import { buildPoolXml, checkPoolSpec, parseFoundSources, parsePoolXml, poolSummary } from '../../../src/libvirt/resources/pool';
import { buildVolumeXml, checkVolumeSpec, parseVolumeXml, planResize } from '../../../src/libvirt/resources/volume';
import { parseXmlElement } from '../../../src/libvirt/resources/xmlElement';

describe('resources: input validation (unit)', () => {
  it('rejects bad pool paths: relative, NUL, newline, ..', () => {
    assert.match(absolutePathProblem('var/lib/x') ?? '', /absolute/);
    assert.match(absolutePathProblem('/var/\u0000x') ?? '', /NUL/);
    assert.match(absolutePathProblem('/var/lib\nx') ?? '', /line break/);
    assert.match(absolutePathProblem('/var/../etc') ?? '', /\.\./);
    assert.equal(absolutePathProblem('/var/lib/libvirt/images'), undefined);
  });

  it('rejects empty names, "/" and control characters in names', () => {
    assert.ok(nameProblem('', 'pool'));
    assert.ok(nameProblem('a/b', 'pool'));
    assert.ok(nameProblem('a\tb', 'pool'));
    assert.ok(nameProblem(' a', 'pool'));
    assert.equal(nameProblem('images-2', 'pool'), undefined);
  });

  it('parses sizes with binary and decimal units and refuses garbage', () => {
    assert.equal(parseSize('20G'), 20 * 1024 ** 3);
    assert.equal(parseSize('20 GiB'), 20 * 1024 ** 3);
    assert.equal(parseSize('512M'), 512 * 1024 ** 2);
    assert.equal(parseSize('1.5T'), 1.5 * 1024 ** 4);
    assert.equal(parseSize('10GB'), 10e9);
    assert.equal(parseSize('3'), 3 * 1024 ** 3);
    assert.equal(parseSize('4096', 'B'), 4096);
    assert.throws(() => parseSize('lots'), ResourceInputError);
    assert.throws(() => parseSize('-1G'), ResourceInputError);
  });

  it('formats bytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(50 * 1024 ** 3), '50 GiB');
    assert.equal(formatBytes(12.34 * 1024 ** 3), '12.3 GiB');
    assert.equal(poolSummary({ state: 2, capacity: 50 * 1024 ** 3, available: 12.3 * 1024 ** 3 }), 'active · 12.3 GiB free of 50 GiB');
    assert.equal(poolSummary({ state: 0, capacity: 0, available: 0 }), 'inactive');
  });
});

describe('resources: pools (unit)', () => {
  it('builds dir, netfs, logical, iscsi, disk, fs and rbd pool XML that reads back', () => {
    const dir = parsePoolXml(buildPoolXml({ type: 'dir', name: 'p<1>', targetPath: '/srv/p&1' }));
    assert.equal(dir.name, 'p<1>');
    assert.equal(dir.targetPath, '/srv/p&1');
    const nfs = parsePoolXml(buildPoolXml({ type: 'netfs', name: 'n', host: 'nas', sourceDir: '/export', format: 'nfs', targetPath: '/mnt/n' }));
    assert.deepEqual(nfs.sourceHosts, [{ name: 'nas', port: undefined }]);
    assert.equal(nfs.sourceDir, '/export');
    assert.equal(nfs.sourceFormat, 'nfs');
    const lvm = parsePoolXml(buildPoolXml({ type: 'logical', name: 'vg', sourceName: 'vg0', devices: ['/dev/loop3'], format: 'lvm2', targetPath: '/dev/vg0' }));
    assert.equal(lvm.sourceName, 'vg0');
    assert.deepEqual(lvm.sourceDevices, ['/dev/loop3']);
    const iscsi = parsePoolXml(buildPoolXml({ type: 'iscsi', name: 'i', host: 'san', port: 3260, devices: ['iqn.2020-01.com.example:t1'], targetPath: '/dev/disk/by-path' }));
    assert.deepEqual(iscsi.sourceHosts, [{ name: 'san', port: 3260 }]);
    const rbd = parsePoolXml(buildPoolXml({ type: 'rbd', name: 'r', host: 'mon1', sourceName: 'rbdpool', authUser: 'admin', authSecretUuid: '2ec115d7-3a88-3ceb-bc12-0ac909a6fd87' }));
    assert.equal(rbd.type, 'rbd');
    assert.equal(rbd.targetPath, undefined);
    assert.equal(rbd.sourceName, 'rbdpool');
    assert.equal(parsePoolXml(buildPoolXml({ type: 'disk', name: 'd', devices: ['/dev/sdb'], format: 'gpt', targetPath: '/dev' })).sourceFormat, 'gpt');
    assert.equal(parsePoolXml(buildPoolXml({ type: 'fs', name: 'f', devices: ['/dev/sdb1'], format: 'ext4', targetPath: '/mnt/f' })).sourceDevices[0], '/dev/sdb1');
  });

  it('names the missing or wrong field of a pool spec', () => {
    const field = (s: Parameters<typeof checkPoolSpec>[0], existing: string[] = []): string | undefined => checkPoolSpec(s, existing).errors[0]?.field;
    assert.equal(field({ type: 'dir', name: 'x', targetPath: 'rel' }), 'targetPath');
    assert.equal(field({ type: 'dir', name: 'x' }), 'targetPath');
    assert.equal(field({ type: 'dir', name: 'x', targetPath: '/a' }, ['x']), 'name');
    assert.equal(field({ type: 'netfs', name: 'x', targetPath: '/a', sourceDir: '/e' }), 'host');
    assert.equal(field({ type: 'netfs', name: 'x', targetPath: '/a', host: 'h' }), 'sourceDir');
    assert.equal(field({ type: 'fs', name: 'x', targetPath: '/a' }), 'devices');
    assert.equal(field({ type: 'iscsi', name: 'x', targetPath: '/a', host: 'h' }), 'devices');
    assert.equal(field({ type: 'rbd', name: 'x', host: 'h' }), 'sourceName');
    assert.equal(field({ type: 'netfs', name: 'x', targetPath: '/a', host: 'h', sourceDir: '/e', port: 70000 }), 'port');
    assert.throws(() => buildPoolXml({ type: 'dir', name: 'x', targetPath: '/a\nb' }), ResourceInputError);
  });

  it('reads connectFindStoragePoolSources output', () => {
    const s = parseFoundSources(`<sources><source><host name='nas'/><dir path='/export/a'/><format type='nfs'/></source>
      <source><device path='/dev/loop0'/><name>vg0</name><format type='lvm2'/></source></sources>`);
    assert.equal(s.length, 2);
    assert.equal(s[0]?.dir, '/export/a');
    assert.equal(s[1]?.name, 'vg0');
    assert.deepEqual(s[1]?.devices, ['/dev/loop0']);
  });
});

describe('resources: volumes (unit)', () => {
  const GiB = 1024 ** 3;

  it('errors for a non-sparse volume larger than the free space, warns for a sparse one', () => {
    const full = checkVolumeSpec({ name: 'v', format: 'raw', capacity: 20 * GiB, allocation: 20 * GiB }, 10 * GiB);
    assert.equal(full.errors[0]?.field, 'capacity');
    const sparse = checkVolumeSpec({ name: 'v', format: 'qcow2', capacity: 20 * GiB }, 10 * GiB);
    assert.equal(sparse.errors.length, 0);
    assert.match(sparse.warnings[0] ?? '', /may fill up/);
    assert.equal(checkVolumeSpec({ name: 'v', format: 'qcow2', capacity: 5 * GiB }, 10 * GiB).warnings.length, 0);
    assert.equal(checkVolumeSpec({ name: 'v', format: 'qcow2', capacity: 5 * GiB }, 10 * GiB, ['v']).errors[0]?.field, 'name');
    assert.equal(checkVolumeSpec({ name: 'v', format: 'raw', capacity: GiB, backingPath: '/b.qcow2' }).errors[0]?.field, 'backingPath');
    assert.equal(checkVolumeSpec({ name: 'v', format: 'raw', capacity: GiB, allocation: 2 * GiB }).errors[0]?.field, 'allocation');
  });

  it('builds volume XML with a backing store that reads back', () => {
    const v = parseVolumeXml(
      buildVolumeXml({ name: 'child.qcow2', format: 'qcow2', capacity: 10 * GiB, backingPath: '/var/lib/libvirt/images/base.qcow2', backingFormat: 'qcow2' }).replace(
        '<target>',
        '<target><path>/p/child.qcow2</path>',
      ),
    );
    assert.equal(v.capacity, 10 * GiB);
    assert.equal(v.format, 'qcow2');
    assert.equal(v.backingPath, '/var/lib/libvirt/images/base.qcow2');
    assert.equal(v.path, '/p/child.qcow2');
  });

  it('reads units in volume XML', () => {
    const v = parseVolumeXml(`<volume><name>a</name><capacity unit='G'>2</capacity><allocation unit='KiB'>4</allocation></volume>`);
    assert.equal(v.capacity, 2 * GiB);
    assert.equal(v.allocation, 4096);
  });

  it('plans a resize: grow is fine, shrink needs consent, running users warn', () => {
    assert.deepEqual(planResize(GiB, 2 * GiB), { capacity: 2 * GiB, shrink: false, warnings: [] });
    assert.throws(() => planResize(2 * GiB, GiB), ResourceInputError);
    const shrink = planResize(2 * GiB, GiB, { allowShrink: true });
    assert.equal(shrink.shrink, true);
    assert.equal(shrink.warnings.length, 1);
    const used = planResize(GiB, 2 * GiB, { runningUsers: ['web1'] });
    assert.match(used.warnings[0] ?? '', /running VM web1/);
    assert.throws(() => planResize(GiB, GiB), ResourceInputError);
  });

  it('reports malformed XML with a typed error', () => {
    assert.throws(() => parseXmlElement('<pool><name>x</pool>'), (e: unknown) => e instanceof Error && e.name === 'ResourceXmlError');
  });
});
