// New VM definitions built through the descriptions, defined with VALIDATE on the real libvirtd and
// read back: a Linux UEFI VM installing from an ISO volume (and started under TCG), Windows 11 with
// Secure Boot, TPM, SATA and e1000e, a BIOS/i440fx guest without VirtIO drivers, a network install
// whose final definition boots from the disk, and a PXE boot.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { finalDefinition, installDefinition, checkPlan, type NewVmPlan } from '../../../src/forms/newDomain';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { uploadFile } from '../../../src/libvirt/resources/transfer';
import { checkDomain } from '../../../src/libvirt/xml/checks';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'newvm-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM;

describe('new VM definitions through the descriptions (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const defined: DomainRef[] = [];
  const unique = (what: string): string => `${PREFIX}${process.pid}-${what}-${crypto.randomBytes(2).toString('hex')}`;

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'newvm-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: unique('pool'), targetPath: path.join(dir, 'pool') });
    await createVolume(conn, pool, { name: 'system.qcow2', format: 'qcow2', capacity: 64 * 1024 * 1024 });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const { vol } = await createVolume(conn, pool, { name: 'install.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
  });

  after(async () => {
    for (const d of defined) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
    const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
    await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  /** Defines with VALIDATE (libvirt checks it against its schema) and returns libvirt's inactive XML. */
  async function defineAndRead(dom: DomainXml): Promise<DomainXml> {
    assert.deepEqual(checkDomain(dom).filter((p) => p.severity === 'error').map((p) => p.message), [], 'our checker finds nothing');
    const ref = await conn.domainDefineXml(dom.toString(), VirDomainDefineFlags.VALIDATE);
    defined.push(ref);
    return DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE));
  }
  const bootOrder = (d: DomainXml): string[] =>
    d
      .devicesOf('disk')
      .map((x) => ({ k: `${x.get('device') ?? 'disk'}:${x.get('target') ?? ''}`, o: x.get('bootOrder') }))
      .concat(d.devicesOf('interface').map((x) => ({ k: `nic:${x.get('model') ?? ''}`, o: x.get('bootOrder') })))
      .filter((x) => x.o !== undefined)
      .sort((a, b) => a.o! - b.o!)
      .map((x) => x.k);

  const linux = (name: string): NewVmPlan => ({
    name,
    memoryMiB: 256,
    vcpus: 2,
    type: 'qemu',
    firmware: 'efi',
    osinfoId: 'http://debian.org/debian/11',
    virtio: true,
    disk: { pool: pool.name, volume: 'system.qcow2', format: 'qcow2' },
    cdrom: { pool: pool.name, volume: 'install.iso' },
    boot: 'cdrom',
  });

  it('a Linux UEFI VM installing from an ISO volume: VirtIO disk and NIC, SATA CD-ROM first to boot, and it starts', async () => {
    const back = await defineAndRead(installDefinition(linux(unique('linux'))));
    assert.equal(back.get('firmware'), 'efi');
    assert.match(back.get('machine') ?? '', /q35/);
    assert.equal(back.osinfoId, 'http://debian.org/debian/11');
    assert.equal(back.memoryKiB, 256 * 1024);
    const [disk, cdrom] = [back.devicesOf('disk')[0]!, back.devicesOf('disk')[1]!];
    assert.deepEqual([disk.get('bus'), disk.get('target'), disk.get('driverType'), disk.get('sourceVolume')], ['virtio', 'vda', 'qcow2', 'system.qcow2']);
    assert.deepEqual([cdrom.get('device'), cdrom.get('bus'), cdrom.get('readonly')], ['cdrom', 'sata', true]);
    assert.deepEqual(bootOrder(back), ['cdrom:sda', 'disk:vda']);
    assert.equal(back.devicesOf('interface')[0]?.get('model'), 'virtio');
    assert.equal(back.devicesOf('interface')[0]?.get('sourceNetwork'), 'default');
    assert.ok(back.devicesOf('channel').some((c) => c.get('targetName') === 'org.qemu.guest_agent.0'));
    assert.equal(back.devicesOf('graphics')[0]?.get('type'), 'vnc');
    assert.equal(back.devicesOf('video')[0]?.get('model'), 'virtio');
    assert.equal(back.devicesOf('rng').length, 1);
    assert.equal(back.devicesOf('tpm').length, 0, 'no TPM unless the OS or Secure Boot needs one');
    assert.equal(back.get('cpuMode'), 'maximum', 'TCG: the maximum CPU, not host-passthrough');
    // It really runs under TCG with OVMF.
    const ref = defined[defined.length - 1]!;
    await conn.domainCreate(ref);
    assert.equal((await conn.domainGetInfo(ref)).state, 1);
    await conn.domainDestroy(ref);
  });

  it('Windows 11: UEFI with Secure Boot and SMM, a TPM 2.0, SATA disk, e1000e NIC and local time', async () => {
    const plan: NewVmPlan = { ...linux(unique('win11')), osinfoId: 'http://microsoft.com/win/11', firmware: 'efi-secure', virtio: false, memoryMiB: 4096 };
    const back = await defineAndRead(installDefinition(plan));
    assert.equal(back.get('firmware'), 'efi');
    assert.equal(back.firmwareFeature('secure-boot'), true);
    assert.equal(back.get('smmState'), true);
    assert.equal(back.devicesOf('tpm')[0]?.get('version'), '2.0');
    assert.equal(back.devicesOf('disk')[0]?.get('bus'), 'sata');
    assert.equal(back.devicesOf('disk')[0]?.get('target'), 'sda');
    assert.equal(back.devicesOf('disk')[1]?.get('target'), 'sdb');
    assert.equal(back.devicesOf('interface')[0]?.get('model'), 'e1000e');
    assert.equal(back.get('clockOffset'), 'localtime');
  });

  it('a BIOS i440fx VM for an OS without VirtIO drivers: IDE disk and CD-ROM, e1000e', async () => {
    const plan: NewVmPlan = { ...linux(unique('bios')), firmware: 'bios', machine: 'pc', virtio: false, osinfoId: undefined };
    const back = await defineAndRead(installDefinition(plan));
    assert.equal(back.get('firmware'), undefined);
    assert.match(back.get('machine') ?? '', /i440fx/);
    assert.deepEqual(back.devicesOf('disk').map((d) => `${d.get('bus')}:${d.get('target')}`), ['ide:hda', 'ide:hdb']);
    assert.equal(back.devicesOf('interface')[0]?.get('model'), 'e1000e');
  });

  it('a network install boots the installer kernel; its final definition boots from the disk without it', async () => {
    const plan: NewVmPlan = { ...linux(unique('url')), cdrom: undefined, boot: 'disk', kernelBoot: { kernel: '/var/lib/libvirt/boot/linux', initrd: '/var/lib/libvirt/boot/initrd.gz', cmdline: 'console=ttyS0 auto=true' } };
    const back = await defineAndRead(installDefinition(plan));
    assert.equal(back.get('kernel'), '/var/lib/libvirt/boot/linux');
    assert.equal(back.get('cmdline'), 'console=ttyS0 auto=true');
    // After the install the defined VM (same UUID) is redefined in its final shape.
    const after = await defineAndRead(finalDefinition(back));
    assert.equal(after.get('uuid'), back.get('uuid'));
    assert.equal(after.get('kernel'), undefined);
    assert.equal(after.get('initrd'), undefined);
    assert.equal(after.get('cmdline'), undefined);
    assert.deepEqual(bootOrder(after), ['disk:vda']);
  });

  it('a PXE boot puts the NIC first and the disk second', async () => {
    const back = await defineAndRead(installDefinition({ ...linux(unique('pxe')), cdrom: undefined, boot: 'network' }));
    assert.deepEqual(bootOrder(back), ['nic:virtio', 'disk:vda']);
  });

  it('refuses impossible plans by field before anything reaches the host', () => {
    const bad = checkPlan({ ...linux('a/b'), memoryMiB: 0, vcpus: 0, firmware: 'efi-secure', machine: 'pc', cdrom: undefined });
    assert.deepEqual(bad.map((p) => p.field).sort(), ['boot', 'firmware', 'memoryMiB', 'name', 'vcpus']);
    assert.deepEqual(checkPlan({ ...linux('win'), osinfoId: 'http://microsoft.com/win/11', firmware: 'bios' }).map((p) => p.field), ['firmware']);
    assert.throws(() => installDefinition({ ...linux('x'), vcpus: 0 }), /vCPUs/);
  });
});
