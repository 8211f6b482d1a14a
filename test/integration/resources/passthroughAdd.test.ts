// Host devices through Add Hardware's own code path (AddHardwareModel: load, check while typing,
// Finish with prepare, define with VALIDATE) on the real daemon of a host without an IOMMU: the
// forms offer the host's real devices, a USB device picked by its ids and a PCI device are added
// and read back, an SR-IOV VF NIC too, the checks say plainly that the host has no IOMMU, and a
// mediated device cannot be created on a host that has no mdev types (nothing is added).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { AddHardwareModel } from '../../../src/forms/addHardware';
import { ApplyRefusedError, type FormValue } from '../../../src/forms/formSchema';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { formatPciAddress, type PciHostDevice } from '../../../src/libvirt/resources/hostDevice';
import { loadHostDeviceInventory } from '../../../src/libvirt/resources/hostDeviceInventory';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { describedDevices } from '../../../src/libvirt/xml/kinds/registry';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hostdevadd-';
let counter = 0;
const kernelHasIommu = (): boolean => fs.existsSync('/sys/kernel/iommu_groups') && fs.readdirSync('/sys/kernel/iommu_groups').length > 0;

const vmXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
`;

describe('host devices through Add Hardware on the real daemon (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  const refs: DomainRef[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d, 0).catch(() => undefined);
  });
  afterEach(async () => {
    for (const r of refs.splice(0)) await conn.domainUndefine(r, 0).catch(() => undefined);
  });
  after(async () => {
    await conn?.close();
  });

  async function newVm(): Promise<{ ref: DomainRef; model: AddHardwareModel; form: Record<string, FormValue> }> {
    const ref = await conn.domainDefineXml(vmXml(`${PREFIX}${process.pid}-${++counter}`), VirDomainDefineFlags.VALIDATE);
    refs.push(ref);
    const model = new AddHardwareModel(conn, ref, { confirmNextBoot: async () => false });
    const snap = await model.load();
    const kind = snap.kinds.find((k) => k.id === 'hostdev');
    assert.ok(kind, 'Add Hardware offers host devices');
    return { ref, model, form: { ...kind.values } };
  }
  const read = async (ref: DomainRef): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE));

  it('offers the host\'s PCI devices, prefilled with the first one, managed, and says the host has no IOMMU', async () => {
    const inv = await loadHostDeviceInventory(conn);
    const pci = inv.devices.filter((d): d is PciHostDevice => d.kind === 'pci');
    const { model, form } = await newVm();
    const kind = (await model.load()).kinds.find((k) => k.id === 'hostdev')!;
    const pciField = kind.fields.find((f) => f.id === 'pciAddress');
    assert.deepEqual(pciField?.options?.map((o) => o.value), pci.map((d) => formatPciAddress(d.address)));
    assert.deepEqual(kind.fields.find((f) => f.id === 'type')?.options?.map((o) => o.value), ['pci', 'usb', 'mdev']);
    assert.equal(form.type, 'pci');
    assert.equal(form.managed, true, 'managed by default');
    assert.equal(form.pciAddress, formatPciAddress(pci.find((d) => !d.isBridge)!.address));
    const check = await model.check('hostdev', form);
    const noIommu = check.problems.filter((p) => p.field === 'pciAddress' && /no IOMMU enabled/.test(p.message));
    assert.equal(noIommu.length, kernelHasIommu() ? 0 : 1, `problems: ${JSON.stringify(check.problems)}`);
    assert.ok(noIommu.every((p) => p.severity === 'warning'), 'a warning: libvirt defines the VM; it is the start that fails');
    assert.match(check.summary, /^Adds PCI /);
  });

  it('adds a USB device picked by its ids and a PCI device through Finish, and reads them back', async () => {
    const { ref, model, form } = await newVm();
    const usb = { ...form, type: 'usb', usbDevice: '046d:c52b' };
    const derived = (await model.check('hostdev', usb, 'usbDevice')).derived;
    assert.equal(derived.vendorId, '0x046d');
    assert.equal(derived.productId, '0xc52b');
    const out = await model.finish('hostdev', { ...usb, ...derived });
    assert.equal(out.device, 'hostdev:usb:046d:c52b');
    await model.finish('hostdev', form);
    const back = describedDevices(await read(ref)).filter((d) => d.description.kind === 'hostdev');
    assert.deepEqual(
      back.map((d) => [d.values.type, d.values.vendorId ?? d.values.pciAddress, d.values.managed]),
      [
        ['usb', '0x046d', true],
        ['pci', form.pciAddress, true],
      ],
    );
  });

  it('adds an SR-IOV virtual function as a NIC, managed', async () => {
    const ref = await conn.domainDefineXml(vmXml(`${PREFIX}${process.pid}-${++counter}`), VirDomainDefineFlags.VALIDATE);
    refs.push(ref);
    const model = new AddHardwareModel(conn, ref, { confirmNextBoot: async () => false });
    const nic = (await model.load()).kinds.find((k) => k.id === 'interface')!;
    assert.ok(nic.fields.find((f) => f.id === 'type')?.options?.some((o) => o.value === 'hostdev'));
    const values = { ...nic.values, type: 'hostdev', hostdevAddress: '0000:3b:10.2' };
    const derived = (await model.check('interface', values, 'type')).derived;
    assert.equal(derived.managed, true);
    await model.finish('interface', { ...values, ...derived });
    const added = describedDevices(await read(ref)).find((d) => d.description.kind === 'interface');
    assert.equal(added?.values.type, 'hostdev');
    assert.equal(added?.values.hostdevAddress, '0000:3b:10.2');
    assert.equal(added?.values.managed, true);
  });

  it('refuses to create a mediated device on a host without mdev types, and adds nothing', async () => {
    const inv = await loadHostDeviceInventory(conn);
    assert.ok(!inv.devices.some((d) => d.kind === 'pci' && d.mdevTypes.length > 0), 'this machine has no mdev-capable device');
    const { ref, model, form } = await newVm();
    const values = { ...form, type: 'mdev', mdevSource: 'create', mdevType: 'pci_0000_00_02_0/i915-GVTg_V5_4' };
    const check = await model.check('hostdev', values, 'type');
    assert.equal(check.derived.model, 'vfio-pci');
    assert.ok(check.problems.some((p) => p.field === 'mdevType' && p.severity === 'error' && /No device of this host offers mediated device types/.test(p.message)));
    const before = (await read(ref)).toString();
    await assert.rejects(model.finish('hostdev', { ...values, ...check.derived }), (e: unknown) => ApplyRefusedError.is(e) && /mediated device types/.test(e.message));
    assert.equal((await read(ref)).toString(), before, 'nothing added');
  });
});
