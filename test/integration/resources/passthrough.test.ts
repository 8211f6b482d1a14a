// Passthrough on the real daemon. This machine has no IOMMU (a VM without VT-d), so assignment is
// checked as far as libvirt goes there: the host's real node devices are read and offered, a PCI
// host device, a USB host device (by vendor/product: the machine has no USB devices), an SR-IOV VF
// NIC and a mediated device are added through the forms' code path and defined with VALIDATE,
// read back and compared, the inventory then names the VM as their user, and a start is refused
// with the message that says what to enable.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { formatPciAddress, hostIommuSupport, type PciHostDevice } from '../../../src/libvirt/resources/hostDevice';
import { explainStartError, hostdevAdvice, loadHostDeviceInventory, PassthroughUnavailableError, usbSourceValues } from '../../../src/libvirt/resources/hostDeviceInventory';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { findDevice } from '../../../src/libvirt/xml/kinds/registry';
import { addDevice } from '../../../src/forms/apply';
import { hostDeviceOptionLists } from '../../../src/forms/hostDeviceOptions';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'hostdevit-';
let counter = 0;
const uniqueName = (): string => `${PREFIX}${process.pid}-${++counter}`;

const base = (name: string, machine: 'q35' | 'pc'): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='${machine}'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
`;

/** Whether the kernel exposes IOMMU groups (what libvirt's `<iommu support>` reflects). */
const kernelHasIommu = (): boolean => fs.existsSync('/sys/kernel/iommu_groups') && fs.readdirSync('/sys/kernel/iommu_groups').length > 0;

describe('passthrough on the real daemon (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  const refs: DomainRef[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      if (d.id >= 0) await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
  });
  afterEach(async () => {
    for (const r of refs.splice(0)) {
      await conn.domainDestroy(r).catch(() => undefined);
      await conn.domainUndefine(r, 0).catch(() => undefined);
    }
  });
  after(async () => {
    await conn?.close();
  });

  async function defineAndRead(dom: DomainXml): Promise<{ ref: DomainRef; back: DomainXml }> {
    const ref = await conn.domainDefineXml(dom.toString(), VirDomainDefineFlags.VALIDATE);
    refs.push(ref);
    return { ref, back: DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE)) };
  }

  /** A PCI device of this host that can be assigned (not a bridge). */
  async function assignablePci(): Promise<PciHostDevice> {
    const inv = await loadHostDeviceInventory(conn);
    const d = inv.devices.find((x): x is PciHostDevice => x.kind === 'pci' && !x.isBridge && (x.classCode ?? 0) >> 16 !== 0x06);
    assert.ok(d, 'this machine has an emulated PCI device that is not a bridge');
    return d;
  }

  it('reads the real host: every PCI device of sysfs, and whether it has an IOMMU', async () => {
    const inv = await loadHostDeviceInventory(conn);
    assert.equal(inv.iommu, kernelHasIommu(), 'libvirt and the kernel agree about the IOMMU');
    assert.equal(hostIommuSupport(await conn.connectGetCapabilities()), inv.iommu);
    const sysfs = fs.readdirSync('/sys/bus/pci/devices').sort();
    const pci = inv.devices.filter((d): d is PciHostDevice => d.kind === 'pci');
    assert.deepEqual(pci.map((d) => formatPciAddress(d.address)).sort(), sysfs, 'one node device per PCI function in sysfs');
    for (const d of pci) {
      const sysGroup = fs.existsSync(`/sys/bus/pci/devices/${formatPciAddress(d.address)}/iommu_group`);
      assert.equal(d.iommuGroup !== undefined, sysGroup, `${d.name}: IOMMU group as sysfs has it`);
      const driver = fs.existsSync(`/sys/bus/pci/devices/${formatPciAddress(d.address)}/driver`) ? fs.readlinkSync(`/sys/bus/pci/devices/${formatPciAddress(d.address)}/driver`).split('/').pop() : undefined;
      assert.equal(d.driver, driver, `${d.name}: driver`);
    }
    const lists = hostDeviceOptionLists(inv);
    assert.equal(lists.pciDevices.length, pci.length);
    for (const o of lists.pciDevices) assert.match(o.detail ?? '', new RegExp(`^${o.value.replace(/[.]/g, '\\.')} · `));
    assert.equal(lists.sriovVfs.length, pci.filter((d) => d.physFunction).length);
  });

  it('defines PCI and USB host devices, a VF NIC and an mdev built through the forms, on q35 and i440fx, and reads them back', async () => {
    const pci = await assignablePci();
    const address = formatPciAddress(pci.address);
    for (const machine of ['q35', 'pc'] as const) {
      const dom = DomainXml.parse(base(uniqueName(), machine));
      const pciId = addDevice(dom, 'hostdev', { type: 'pci', pciAddress: address });
      const usbId = addDevice(dom, 'hostdev', { type: 'usb', ...usbSourceValues('046d:c52b') });
      const mdevId = addDevice(dom, 'hostdev', { type: 'mdev', model: 'vfio-pci', mdevUuid: 'c9488981-5049-41cb-9c1c-993d0230b4cd' });
      const nicId = addDevice(dom, 'interface', { type: 'hostdev', hostdevAddress: '0000:3b:10.2', managed: true, mac: '52:54:00:4f:00:02' });
      assert.deepEqual([pciId, usbId, mdevId, nicId], [`hostdev:pci:${address}`, 'hostdev:usb:046d:c52b', 'hostdev:mdev:c9488981-5049-41cb-9c1c-993d0230b4cd', 'interface:52:54:00:4f:00:02']);
      const { back } = await defineAndRead(dom);
      const pciBack = findDevice(back, pciId);
      assert.equal(pciBack?.values.pciAddress, address, `${machine}: the PCI source reads back`);
      assert.equal(pciBack?.values.managed, true, `${machine}: managed by default`);
      const usbBack = findDevice(back, usbId);
      assert.equal(usbBack?.values.vendorId, '0x046d');
      assert.equal(usbBack?.values.productId, '0xc52b');
      assert.equal(findDevice(back, mdevId)?.values.model, 'vfio-pci');
      const nic = findDevice(back, nicId);
      assert.equal(nic?.values.type, 'hostdev');
      assert.equal(nic?.values.hostdevAddress, '0000:3b:10.2');
      assert.equal(nic?.values.managed, true);
    }
  });

  it('names the VM as the device\'s user in the next inventory, and another VM gets the warning', async () => {
    const pci = await assignablePci();
    const address = formatPciAddress(pci.address);
    const name = uniqueName();
    const dom = DomainXml.parse(base(name, 'q35'));
    addDevice(dom, 'hostdev', { type: 'pci', pciAddress: address });
    addDevice(dom, 'hostdev', { type: 'usb', ...usbSourceValues('0781:5591') });
    const { ref } = await defineAndRead(dom);
    const inv = await loadHostDeviceInventory(conn);
    const opt = hostDeviceOptionLists(inv).pciDevices.find((o) => o.value === address);
    assert.match(opt?.detail ?? '', new RegExp(`assigned to [^·]*${name}`));
    const advice = hostdevAdvice(inv, { type: 'pci', pciAddress: address, managed: true }, '00000000-0000-4000-8000-00000000abcd');
    assert.ok(advice.some((a) => a.advice.code === 'used-by-other' && a.advice.message.includes(name)));
    assert.equal(advice.some((a) => a.advice.code === 'no-iommu'), !kernelHasIommu());
    assert.ok(!hostdevAdvice(inv, { type: 'pci', pciAddress: address, managed: true }, ref.uuid).some((a) => a.advice.code === 'used-by-other'), 'the VM itself is not another user');
    assert.ok(hostdevAdvice(inv, { type: 'usb', ...usbSourceValues('0781:5591') }, '00000000-0000-4000-8000-00000000abcd').length === 0, 'a USB device that is not plugged in has no host entry to warn about');
  });

  it('a start without an IOMMU is refused with the message that says what to enable, and the definition stays', async () => {
    // With an IOMMU the start would go further and take a host device away: never on a shared test machine.
    assert.ok(!kernelHasIommu(), 'this test needs a host without an IOMMU, like the CI machine');
    const pci = await assignablePci();
    const dom = DomainXml.parse(base(uniqueName(), 'q35'));
    addDevice(dom, 'hostdev', { type: 'pci', pciAddress: formatPciAddress(pci.address) });
    const { ref } = await defineAndRead(dom);
    const before = await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE);
    const err = await conn.domainCreate(ref).then(
      () => undefined,
      (e: unknown) => explainStartError(e),
    );
    assert.ok(PassthroughUnavailableError.is(err), `refused with the explained error, got ${String(err)}`);
    assert.match(err.message, /no IOMMU enabled.*intel_iommu=on/);
    assert.equal(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE), before);
  });
});
