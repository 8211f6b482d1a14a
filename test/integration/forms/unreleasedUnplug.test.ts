// Hot-unplug on a running VM whose guest does not release the device (this VM has no OS, so
// nothing answers the PCIe hotplug request): libvirt accepts the request and the device stays.
// The details model removes it from the definition and says it is still attached, instead of
// reporting it removed. A guest that releases it: test/integration/guest/guestOs.test.ts.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'unplugnoos-';

const vmXml = (name: string, disk: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${disk}'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
  </devices>
</domain>`;

describe('VM details model: hot-unplug the guest does not complete (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let dom: DomainRef | undefined;
  let dir = '';

  const hasDisk = (xml: string): boolean => DomainXml.parse(xml).devicesElement?.elements().some((e) => e.name === 'disk') ?? false;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    const name = `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    // Under /var/lib/libvirt/images: QEMU (libvirt-qemu) must traverse every directory above it.
    dir = path.join('/var/lib/libvirt/images', name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const disk = path.join(dir, 'data.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    dom = await conn.domainDefineXml(vmXml(name, disk));
    dom = await conn.domainCreate(dom);
  });

  after(async () => {
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    for (const e of fs.readdirSync('/var/lib/libvirt/images')) {
      if (leftoverOfDeadRun(e, PREFIX)) fs.rmSync(path.join('/var/lib/libvirt/images', e), { recursive: true, force: true });
    }
  });

  it('removes the disk from the definition and says the running guest still has it', async () => {
    const model = new DomainDetailsModel(conn, dom!, { stateLabel: (s) => String(s) });
    await model.load();
    const r = await model.remove('disk:vdb');
    assert.deepEqual(r.appliedLive, [], JSON.stringify(r));
    assert.equal(r.nextBoot.length, 1, JSON.stringify(r));
    assert.match(r.nextBoot[0]!, /has not released it yet/);
    assert.equal(hasDisk(await conn.domainGetXmlDesc(dom!, VirDomainXMLFlags.INACTIVE)), false, 'gone from the definition');
    assert.equal(hasDisk(await conn.domainGetXmlDesc(dom!, 0)), true, 'still attached to the running VM');
  });
});
