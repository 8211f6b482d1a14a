import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DELETE_UNDEFINE_FLAGS, describeDeletePlan, diskChoices } from '../../../src/commands/delete/deletePlan';
import { domainDisks } from '../../../src/commands/domainXmlFacts';

const fixture = readFileSync(
  path.resolve(__dirname, '../../../../test/unit/commands/fixtures/domainEfiTpm.xml'),
  'utf8',
);

describe('deletePlan (unit)', () => {
  const disks = domainDisks(fixture);
  // Everything under /var/lib/libvirt/images and the tank pool is in a storage pool here.
  const inPool = (d: { path?: string; pool?: string }): boolean =>
    d.pool !== undefined || (d.path ?? '').startsWith('/var/lib/libvirt/images/') || d.path === '/srv/iso/debian-12.iso';

  it('pre-selects private pool disks, offers shared/CD-ROM unchecked, keeps unmanaged ones', () => {
    const { deletable, unmanaged } = diskChoices(disks, inPool);
    assert.deepEqual(
      deletable.map((c) => [c.disk.target, c.picked, c.note ?? '']),
      [
        ['vda', true, ''],
        ['vdb', true, ''],
        ['vdd', true, ''],
        ['sda', false, 'CD-ROM, may be used elsewhere'],
      ],
    );
    assert.deepEqual(
      unmanaged.map((d) => d.target),
      ['vdc'],
    );
  });

  it('offers a disk other VMs use unchecked, naming them and how they use it', () => {
    const dom = (name: string) => ({ name, uuid: `uuid-${name}`, id: -1 });
    const uses = new Map([
      ['vda', [{ dom: dom('db1'), how: 'disk' as const }]],
      ['vdb', [{ dom: dom('web2'), how: 'backing' as const }, { dom: dom('web3'), how: 'backing' as const }]],
    ]);
    const { deletable } = diskChoices(disks, inPool, (d) => uses.get(d.target) ?? []);
    assert.deepEqual(
      deletable.map((c) => [c.disk.target, c.picked, c.note ?? '']),
      [
        ['vda', false, 'used by db1'],
        ['vdb', false, "backing file of web2's disk, backing file of web3's disk"],
        ['vdd', true, ''],
        ['sda', false, 'CD-ROM, may be used elsewhere'],
      ],
    );
    const { detail } = describeDeletePlan({
      vmName: 'web1',
      forceOffFirst: false,
      persistent: true,
      disks: [disks[0]],
      diskUses: new Map([[0, uses.get('vda') ?? []]]),
      keptDisks: [],
      tpmState: false,
      managedSave: false,
    });
    assert.ok(detail.includes('• disk vda: /var/lib/libvirt/images/web.qcow2 (used by db1: it will point to a missing file)'), detail);
  });

  it('names the VM, each disk, NVRAM, TPM and the forced power-off in the confirmation', () => {
    const { message, detail } = describeDeletePlan({
      vmName: 'web1',
      forceOffFirst: true,
      persistent: true,
      disks: [disks[0], disks[3]],
      keptDisks: [disks[2]],
      nvramPath: '/var/lib/libvirt/qemu/nvram/web1_VARS.fd',
      tpmState: true,
      managedSave: false,
    });
    assert.equal(message, 'Delete VM "web1"?');
    for (const expected of [
      'web1 is running and will be forced off first',
      '• disk vda: /var/lib/libvirt/images/web.qcow2',
      '• disk vdd: tank/logs.qcow2',
      '• NVRAM (UEFI variables): /var/lib/libvirt/qemu/nvram/web1_VARS.fd',
      '• TPM state',
      'Kept:\n• disk vdc: /srv/shared/common.img',
    ]) {
      assert.ok(detail.includes(expected), `missing "${expected}" in:\n${detail}`);
    }
    assert.ok(!detail.includes('saved state'));
  });

  it('undefines with NVRAM, TPM, managed save and snapshot metadata (libvirt-domain.h values)', () => {
    assert.equal(DELETE_UNDEFINE_FLAGS & 4, 4); // NVRAM
    assert.equal(DELETE_UNDEFINE_FLAGS & 32, 32); // TPM
    assert.equal(DELETE_UNDEFINE_FLAGS & 1, 1); // MANAGED_SAVE
    assert.equal(DELETE_UNDEFINE_FLAGS & 2, 2); // SNAPSHOTS_METADATA
    assert.equal(DELETE_UNDEFINE_FLAGS & 8, 0); // never KEEP_NVRAM
  });
});
