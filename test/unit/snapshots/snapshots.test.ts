// Snapshot XML, tree building, delete plans, create requests and the kinds offered per VM (unit).
import * as assert from 'node:assert/strict';
import { snapshotSupport, memoryFilePath } from '../../../src/commands/snapshots/snapshotSupport';
import { VirDomainSnapshotCreateFlags as F, VirDomainSnapshotDeleteFlags as D } from '../../../src/libvirt/generated/libvirtConstants';
import { defaultSnapshotName, snapshotCreateRequest, snapshotNameProblem } from '../../../src/libvirt/snapshots/snapshotPlan';
import { buildSnapshotTree, planStillHolds, snapshotDeletePlan } from '../../../src/libvirt/snapshots/snapshotTree';
import { parseSnapshotXml, snapshotLocation, type SnapshotInfo } from '../../../src/libvirt/snapshots/snapshotXml';

const dom = { name: 'vm', uuid: '00000000-0000-0000-0000-000000000001', id: -1 };
const info = (name: string, parent?: string, t = 0): SnapshotInfo => ({ name, state: 'shutoff', memory: 'no', disks: [], creationTime: t, ...(parent ? { parent } : {}) });

function vmXml(disks: string, os = `<os><type arch='x86_64' machine='pc'>hvm</type></os>`): string {
  return `<domain type='qemu'><name>vm</name>${os}<devices>${disks}</devices></domain>`;
}
const qcow2 = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/vm.qcow2'/><target dev='vda' bus='virtio'/></disk>`;
const raw = `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/data/vm2.img'/><target dev='vdb' bus='virtio'/></disk>`;
const cdrom = `<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>`;

describe('snapshots (unit)', () => {
  it('parses libvirt snapshot XML: state, time, parent, memory, external disks, escaped description', () => {
    const s = parseSnapshotXml(`<domainsnapshot><name>s2</name><description>a &lt;b&gt; &amp; c</description><state>disk-snapshot</state>
      <parent><name>s1</name></parent><creationTime>1796247324</creationTime><memory snapshot='no'/>
      <disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='/t/vm.s2'/></disk><disk name='sda' snapshot='no'/></disks>
      <domain type='qemu'><name>vm</name><description>not this one</description></domain></domainsnapshot>`);
    assert.deepEqual(s, {
      name: 's2',
      description: 'a <b> & c',
      state: 'disk-snapshot',
      creationTime: 1796247324,
      parent: 's1',
      memory: 'no',
      disks: [
        { name: 'vda', snapshot: 'external', file: '/t/vm.s2' },
        { name: 'sda', snapshot: 'no' },
      ],
    });
    assert.equal(snapshotLocation(s), 'external');
    assert.throws(() => parseSnapshotXml('<domain/>'), /domainsnapshot/);
  });

  it('builds the tree oldest first, marks the current one, and treats an unknown parent as a root', () => {
    const t = buildSnapshotTree(dom, [info('c', 'a', 3), info('b', 'a', 2), info('a', undefined, 1), info('x', 'gone', 4)], 'c');
    assert.deepEqual(t.roots.map((r) => r.info.name), ['a', 'x']);
    assert.deepEqual(t.byName.get('a')?.children.map((c) => c.info.name), ['b', 'c']);
    assert.equal(t.current?.info.name, 'c');
    assert.equal(t.byName.get('c')?.parent?.info.name, 'a');
    assert.equal(buildSnapshotTree(dom, [], undefined).current, undefined);
  });

  it('plans each delete mode with its flags and names exactly what goes', () => {
    const t = buildSnapshotTree(dom, [info('a', undefined, 1), info('b', 'a', 2), info('c', 'b', 3), info('d', 'a', 4)], 'd');
    const a = t.byName.get('a')!;
    assert.deepEqual(snapshotDeletePlan(a, 'one'), { mode: 'one', flags: 0, deleted: ['a'], reparented: ['b', 'd'] });
    assert.deepEqual(snapshotDeletePlan(a, 'withChildren'), { mode: 'withChildren', flags: D.CHILDREN, deleted: ['a', 'b', 'c', 'd'], reparented: [] });
    assert.deepEqual(snapshotDeletePlan(a, 'childrenOnly'), { mode: 'childrenOnly', flags: D.CHILDREN_ONLY, deleted: ['b', 'c', 'd'], reparented: [] });
    assert.deepEqual(snapshotDeletePlan(a, 'metadataOnly'), { mode: 'metadataOnly', flags: D.METADATA_ONLY, deleted: ['a'], reparented: ['b', 'd'] });
    const plan = snapshotDeletePlan(a, 'withChildren');
    assert.equal(planStillHolds(plan, a, t), true);
    const grown = buildSnapshotTree(dom, [info('a', undefined, 1), info('b', 'a', 2), info('c', 'b', 3), info('d', 'a', 4), info('e', 'd', 5)], 'e');
    assert.equal(planStillHolds(plan, a, grown), false);
    assert.equal(planStillHolds(plan, a, buildSnapshotTree(dom, [], undefined)), false);
  });

  it('asks libvirt for each kind with the right XML and flags (quiesce only with disk-only)', () => {
    const internal = snapshotCreateRequest({ name: 'n<1>', description: 'd & e', kind: 'internal' });
    assert.equal(internal.flags, F.ATOMIC);
    assert.match(internal.xml, /<name>n&lt;1&gt;<\/name>/);
    assert.match(internal.xml, /<description>d &amp; e<\/description>/);
    assert.doesNotMatch(internal.xml, /<memory|<disks/);
    const ext = snapshotCreateRequest({ name: 'n', kind: 'externalDisk', externalDisks: ['vda'], skippedDisks: ['sda'], quiesce: true });
    assert.equal(ext.flags, F.DISK_ONLY | F.ATOMIC | F.QUIESCE);
    assert.match(ext.xml, /<memory snapshot='no'\/>[\s\S]*<disk name='vda' snapshot='external'\/>[\s\S]*<disk name='sda' snapshot='no'\/>/);
    assert.equal(snapshotCreateRequest({ name: 'n', kind: 'externalDisk', externalDisks: ['vda'] }).flags & F.QUIESCE, 0);
    const mem = snapshotCreateRequest({ name: 'n', kind: 'externalMemory', externalDisks: ['vda'], memoryFile: "/x/it's.mem" });
    assert.equal(mem.flags, F.ATOMIC);
    assert.match(mem.xml, /<memory snapshot='external' file='\/x\/it&apos;s.mem'\/>/);
    assert.throws(() => snapshotCreateRequest({ name: 'n', kind: 'externalMemory' }), /memory file/);
  });

  it('offers kinds by disk format, firmware and state, with the reason for the others', () => {
    const kinds = (xml: string, active: boolean): Record<string, string | undefined> =>
      Object.fromEntries(snapshotSupport(xml, active).options.map((o) => [o.kind, o.unavailable]));
    assert.deepEqual(kinds(vmXml(qcow2 + cdrom), false), { internal: undefined, externalDisk: undefined, externalMemory: 'a shut-off VM has no memory to save.' });
    assert.deepEqual(kinds(vmXml(qcow2 + cdrom), true), { internal: undefined, externalDisk: undefined, externalMemory: undefined });
    assert.match(kinds(vmXml(qcow2 + raw), false)['internal'] ?? '', /qcow2.*vdb is raw/);
    const efi = `<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>`;
    assert.equal(kinds(vmXml(qcow2, efi), false)['internal'], undefined);
    assert.match(kinds(vmXml(qcow2, efi), true)['internal'] ?? '', /UEFI \(pflash NVRAM\)/);
    const pflash = `<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>`;
    assert.match(kinds(vmXml(qcow2, pflash), true)['internal'] ?? '', /pflash/);
    const none = kinds(vmXml(cdrom), true);
    assert.ok(none['internal'] && none['externalDisk'] && none['externalMemory'], JSON.stringify(none));
    const s = snapshotSupport(vmXml(qcow2 + cdrom), true);
    assert.deepEqual([s.externalDisks, s.skippedDisks, s.memoryDir], [['vda'], ['sda'], '/var/lib/libvirt/images']);
    assert.equal(memoryFilePath('/d', 'my vm', 'a/b'), '/d/my_vm.a_b.mem');
  });

  it('names a snapshot from the time and refuses names libvirt would not take', () => {
    assert.equal(defaultSnapshotName(new Date(2026, 11, 2, 9, 5, 7)), 'snapshot-2026-12-02-090507');
    const existing = new Set(['taken']);
    assert.equal(snapshotNameProblem('ok name', existing), undefined);
    for (const bad of ['', '  ', ' lead', 'a/b', 'taken', 'x'.repeat(201), 'a\nb']) assert.ok(snapshotNameProblem(bad, existing), bad);
  });
});
