import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDomainUsage } from '../../../src/libvirt/resources/domainUsage';
import {
  buildMdevXml,
  formatPciAddress,
  groupMembersLeftOnHost,
  hostIommuSupport,
  isGpu,
  isVfioBound,
  mdevTypesOf,
  otherFunctions,
  parseMdevXml,
  parseNodeDevices,
  pciDeviceAt,
  readNodeDevices,
  virtualFunctionsOf,
  type PciHostDevice,
} from '../../../src/libvirt/resources/hostDevice';
import { createMdev, explainStartError, hostdevAdvice, loadHostDeviceInventory, otherFunctionDevices, parseMdevTypeValue, pciAdvice, PassthroughUnavailableError, usbSourceValues, type HostDeviceInventory } from '../../../src/libvirt/resources/hostDeviceInventory';
import { LibvirtError } from '../../../src/libvirt/rpc/errors';
import { VirErrorNumber } from '../../../src/libvirt/generated/libvirtConstants';
import { hostDeviceOptionLists } from '../../../src/forms/hostDeviceOptions';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { hostdev } from '../../../src/libvirt/xml/kinds/hostdev';
import type { AddHost, AddHostConnection } from '../../../src/libvirt/xml/kinds/types';

const DIR = path.resolve(__dirname, '..', '..', '..', ...(__dirname.includes(`${path.sep}out${path.sep}`) ? ['..'] : []), 'test', 'fixtures', 'nodedev');
const fixture = (name: string): string => fs.readFileSync(path.join(DIR, name), 'utf8');
const DEVICE_FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.xml') && !f.startsWith('capabilities'));

const pciAt = (devs: HostDeviceInventory['devices'], a: string): PciHostDevice => {
  const d = devs.find((x): x is PciHostDevice => x.kind === 'pci' && formatPciAddress(x.address) === a);
  assert.ok(d, `no PCI device ${a}`);
  return d;
};

const VM_UUID = '0b0c7a52-0000-4000-8000-000000000001';
const OTHER_UUID = '0b0c7a52-0000-4000-8000-000000000002';

/** A VM "gamer" (running) that has the GPU and VF 03:10.0 as a hostdev NIC, and a VM "office" with the receiver 1.7 and the mdev. */
function usages(): HostDeviceInventory['usages'] {
  return [
    parseDomainUsage(
      { name: 'gamer', uuid: OTHER_UUID, id: 4 },
      `<domain type='kvm'><name>gamer</name><devices>
        <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
        <interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:02'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x0'/></source></interface>
      </devices></domain>`,
    ),
    parseDomainUsage(
      { name: 'office', uuid: '0b0c7a52-0000-4000-8000-000000000003', id: -1 },
      `<domain type='kvm'><name>office</name><devices>
        <hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/><product id='0xc52b'/><address bus='1' device='7'/></source></hostdev>
        <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/></source></hostdev>
      </devices></domain>`,
    ),
  ];
}

function inventory(iommu: boolean | undefined = true): HostDeviceInventory {
  const listing = parseNodeDevices(DEVICE_FILES.map(fixture));
  return { ...listing, iommu, usages: usages() };
}

describe('passthrough: node devices in libvirt\'s documented format (unit)', () => {
  it('reads a GPU and its audio function: one IOMMU group, vfio binding, the slot\'s other functions', () => {
    const inv = inventory();
    const gpu = pciAt(inv.devices, '0000:01:00.0');
    const audio = pciAt(inv.devices, '0000:01:00.1');
    assert.ok(isGpu(gpu));
    assert.ok(!isGpu(audio), 'an audio controller (class 0x0403) is not a GPU');
    assert.ok(isVfioBound(gpu));
    assert.ok(!isVfioBound(audio));
    assert.equal(gpu.iommuGroup, 14);
    assert.deepEqual(gpu.iommuPeers.map(formatPciAddress), ['0000:01:00.1']);
    assert.deepEqual(otherFunctions(gpu, inv.devices).map((d) => formatPciAddress(d.address)), ['0000:01:00.1']);
    assert.deepEqual(otherFunctionDevices(inv, '0000:01:00.0', true), [{ type: 'pci', pciAddress: '0000:01:00.1', managed: true }]);
    const gpus = hostDeviceOptionLists(inv).gpus.map((o) => o.value);
    assert.deepEqual(gpus, ['0000:00:02.0', '0000:01:00.0'], 'the GPU filter keeps the two display controllers');
  });

  it('reads SR-IOV physical and virtual functions and lists the VFs, free ones first, with who uses them', () => {
    const inv = inventory();
    const pf = pciAt(inv.devices, '0000:03:00.0');
    assert.equal(pf.maxVirtFunctions, 7);
    assert.deepEqual(pf.virtFunctions.map(formatPciAddress), ['0000:03:10.0', '0000:03:10.2']);
    assert.equal(pf.physFunction, undefined);
    const vf = pciAt(inv.devices, '0000:03:10.2');
    assert.equal(formatPciAddress(vf.physFunction!), '0000:03:00.0');
    assert.deepEqual(virtualFunctionsOf(pf, inv.devices).map((d) => d.name), ['pci_0000_03_10_0', 'pci_0000_03_10_2']);
    const vfs = hostDeviceOptionLists(inv, VM_UUID).sriovVfs;
    assert.deepEqual(vfs.map((o) => o.value), ['0000:03:10.2', '0000:03:10.0'], 'the free VF comes first');
    assert.match(vfs[0]!.label, /free/);
    assert.match(vfs[1]!.detail ?? '', /assigned to gamer \(running\)/, 'a VF used as a hostdev NIC is marked');
    assert.match(vfs[0]!.detail ?? '', /VF of 0000:03:00\.0 Intel Corporation 82576/);
  });

  it('reads mdev types with their free instances and an existing mediated device', () => {
    const inv = inventory();
    const types = mdevTypesOf(inv.devices);
    assert.deepEqual(types.map((t) => [t.parent.name, t.type.id, t.type.availableInstances]), [
      ['pci_0000_00_02_0', 'i915-GVTg_V5_4', 1],
      ['pci_0000_00_02_0', 'i915-GVTg_V5_8', 0],
    ]);
    const opts = hostDeviceOptionLists(inv).mdevTypes;
    assert.equal(opts[0]!.value, 'pci_0000_00_02_0/i915-GVTg_V5_4');
    assert.deepEqual(parseMdevTypeValue(opts[0]!.value), { parent: 'pci_0000_00_02_0', typeId: 'i915-GVTg_V5_4' });
    assert.equal(opts[0]!.disabledReason, undefined);
    assert.match(opts[1]!.disabledReason ?? '', /No free instances/);
    assert.deepEqual(inv.mdevs, [
      {
        kind: 'mdev',
        name: 'mdev_4b20d080_1b54_4048_85b3_a6a62d165c01_0000_00_02_0',
        parent: 'pci_0000_00_02_0',
        uuid: '4b20d080-1b54-4048-85b3-a6a62d165c01',
        typeId: 'i915-GVTg_V5_4',
        iommuGroup: 16,
        driver: 'vfio_mdev',
        attrs: [{ name: 'display', value: 'on' }],
      },
    ]);
    assert.match(hostDeviceOptionLists(inv, VM_UUID).mdevDevices[0]!.detail ?? '', /assigned to office/);
    // The XML to create one names the parent and the type, and reads back as such.
    const xml = buildMdevXml({ parent: 'pci_0000_00_02_0', typeId: 'i915-GVTg_V5_4', uuid: '11111111-2222-4333-8444-555555555555' });
    const back = parseMdevXml(xml.replace('<device>', '<device><name>x</name>'));
    assert.equal(back?.typeId, 'i915-GVTg_V5_4');
    assert.equal(back?.parent, 'pci_0000_00_02_0');
    assert.equal(back?.uuid, '11111111-2222-4333-8444-555555555555');
  });

  it('lists a group\'s members left on the host, without bridges, and warns until they are assigned too', () => {
    const inv = inventory();
    const nic = pciAt(inv.devices, '0000:05:00.0');
    assert.deepEqual(groupMembersLeftOnHost(nic, inv.devices).map((m) => formatPciAddress(m.address)), ['0000:06:00.0'], 'the root port (a bridge) stays with the host anyway');
    const advice = pciAdvice(inv, nic, { domainUuid: VM_UUID, managed: true });
    assert.deepEqual(advice.map((a) => a.code), ['group-on-host']);
    assert.match(advice[0]!.message, /IOMMU group 9 also holds 0000:06:00\.0 \(Realtek/);
    assert.deepEqual(pciAdvice(inv, nic, { domainUuid: VM_UUID, alsoAssigned: [{ domain: 0, bus: 6, slot: 0, function: 0 }] }), []);
    // The GPU with its audio function: the warning goes away when "also assign the other functions" is on.
    assert.deepEqual(hostdevAdvice(inv, { type: 'pci', pciAddress: '0000:01:00.0', managed: true }, VM_UUID).map((a) => a.advice.code), ['used-by-other', 'group-on-host']);
    assert.deepEqual(hostdevAdvice(inv, { type: 'pci', pciAddress: '0000:01:00.0', managed: true, withFunctions: true }, VM_UUID).map((a) => a.advice.code), ['used-by-other']);
    assert.deepEqual(hostdevAdvice(inv, { type: 'pci', pciAddress: '0000:01:00.0', managed: true }, OTHER_UUID).map((a) => a.advice.code), ['group-on-host'], 'the VM itself is no "other" user');
  });

  it('says clearly when the host has no IOMMU, another VM has the device, a bridge is picked, or vfio-pci is missing', () => {
    const none = inventory(false);
    const gpu = pciAt(none.devices, '0000:01:00.0');
    const advice = pciAdvice(none, gpu, { domainUuid: VM_UUID, alsoAssigned: gpu.iommuPeers });
    assert.deepEqual(advice.map((a) => [a.severity, a.code]), [
      ['warning', 'no-iommu'],
      ['warning', 'used-by-other'],
    ]);
    assert.match(advice[0]!.message, /no IOMMU enabled.*intel_iommu=on/);
    assert.match(advice[1]!.message, /assigned to gamer \(running\): this VM cannot start with it while that VM runs/);
    const port = pciAt(none.devices, '0000:00:1c.4');
    assert.equal(pciAdvice(none, port)[0]?.code, 'bridge');
    assert.match(hostDeviceOptionLists(none).pciDevices.find((o) => o.value === '0000:00:1c.4')?.disabledReason ?? '', /bridge/);
    const audio = pciAt(none.devices, '0000:01:00.1');
    assert.ok(pciAdvice(inventory(true), audio, { managed: false }).some((a) => a.code === 'not-vfio' && /bound to snd_hda_intel/.test(a.message)));
    assert.ok(!pciAdvice(inventory(true), gpu, { managed: false }).some((a) => a.code === 'not-vfio'), 'already on vfio-pci');
  });

  it('reads whether the host has an IOMMU from the capabilities', () => {
    assert.equal(hostIommuSupport(fixture('capabilities-iommu.xml')), true);
    assert.equal(hostIommuSupport(fixture('capabilities-iommu.xml').replace("support='yes'", "support='no'")), false);
    assert.equal(hostIommuSupport('<capabilities><host><uuid>x</uuid></host></capabilities>'), undefined);
  });

  it('offers USB devices by vendor and product, with bus and device only where ids repeat, marking other VMs\' devices', () => {
    const inv = inventory();
    const usb = hostDeviceOptionLists(inv, VM_UUID).usbDevices;
    assert.deepEqual(usb.map((o) => o.value), ['046d:c52b@1.3', '046d:c52b@1.7', '0781:5591']);
    assert.match(usb[0]!.detail ?? '', /Human Interface Device/, 'the class comes from the USB interface node device');
    assert.doesNotMatch(usb[0]!.detail ?? '', /assigned/);
    assert.match(usb[1]!.detail ?? '', /assigned to office/);
    assert.deepEqual(usbSourceValues('046d:c52b@1.7'), { vendorId: '0x046d', productId: '0xc52b', sourceBus: '1', sourceDevice: '7' });
    assert.deepEqual(usbSourceValues('0781:5591'), { vendorId: '0x0781', productId: '0x5591', sourceBus: undefined, sourceDevice: undefined });
    assert.equal(usbSourceValues('not-an-id'), undefined);
    assert.deepEqual(hostdevAdvice(inv, { type: 'usb', ...usbSourceValues('046d:c52b@1.7') }, VM_UUID).map((a) => a.advice.code), ['used-by-other']);
  });

  it('loads the inventory with one node device listing, the capabilities and one bulk read of the domains', async () => {
    const calls: string[] = [];
    const files = new Map(DEVICE_FILES.map((f) => [f, fixture(f)]));
    const inv = await loadHostDeviceInventory({
      connectListAllNodeDevices: async (flags) => {
        calls.push(`nodedevs ${flags ?? 0}`);
        return [...files.keys()].map((name) => ({ name }));
      },
      nodeDeviceGetXmlDesc: async (d) => files.get(d.name) ?? '',
      connectGetCapabilities: async () => {
        calls.push('caps');
        return fixture('capabilities-iommu.xml');
      },
      connectListAllDomains: async () => {
        calls.push('domains');
        return [{ name: 'gamer', uuid: OTHER_UUID, id: 4 }];
      },
      domainGetXmlDesc: async () => {
        calls.push('xml');
        return "<domain><name>gamer</name><devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev></devices></domain>";
      },
    });
    assert.deepEqual(calls.sort(), ['caps', 'domains', 'nodedevs 16398', 'xml']);
    assert.equal(inv.iommu, true);
    assert.equal(inv.devices.length, DEVICE_FILES.length - 2, 'all but the USB interface and the mdev are PCI/USB devices');
    assert.equal(inv.mdevs.length, 1);
    assert.match(hostDeviceOptionLists(inv, VM_UUID).pciDevices.find((o) => o.value === '0000:01:00.0')?.detail ?? '', /vfio-pci \(ready\) · IOMMU group 14 with 0000:01:00\.1 · assigned to gamer/);
    assert.ok(pciDeviceAt(inv.devices, { domain: 0, bus: 3, slot: 0, function: 0 }));
    assert.equal((await readNodeDevices({ connectListAllNodeDevices: async () => [{ name: 'gone' }], nodeDeviceGetXmlDesc: async () => Promise.reject(new Error('vanished')) })).devices.length, 0);
  });

  it('creates a mediated device by define + create, and undefines it again when the start fails', async () => {
    const calls: string[] = [];
    const api = {
      nodeDeviceDefineXml: async (xml: string) => {
        calls.push(`define ${/<type id="([^"]+)"/.exec(xml)?.[1] ?? ''} ${/<parent>([^<]+)</.exec(xml)?.[1] ?? ''}`);
        return { name: 'mdev_x' };
      },
      nodeDeviceCreate: async () => {
        calls.push('create');
      },
      nodeDeviceDestroy: async () => {
        calls.push('destroy');
      },
      nodeDeviceUndefine: async () => {
        calls.push('undefine');
      },
    };
    const m = await createMdev(api, 'pci_0000_00_02_0', 'i915-GVTg_V5_4');
    assert.match(m.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await m.remove();
    assert.deepEqual(calls, ['define i915-GVTg_V5_4 pci_0000_00_02_0', 'create', 'destroy', 'undefine']);
    calls.length = 0;
    await assert.rejects(createMdev({ ...api, nodeDeviceCreate: async () => Promise.reject(new Error('mdevctl failed')) }, 'pci_0000_00_02_0', 'i915-GVTg_V5_4'), /mdevctl failed/);
    assert.deepEqual(calls, ['define i915-GVTg_V5_4 pci_0000_00_02_0', 'undefine']);
  });

  it('turns libvirt\'s refusal to start without an IOMMU into a message that says what to do', () => {
    const fields = { domain: 10, level: 2, str1: null, str2: null, str3: null, int1: -1, int2: -1, domainName: null, networkName: null };
    const refusal = new LibvirtError({ ...fields, code: VirErrorNumber.CONFIG_UNSUPPORTED, message: "unsupported configuration: host doesn't support passthrough of host PCI devices" });
    const e = explainStartError(refusal);
    assert.ok(PassthroughUnavailableError.is(e));
    assert.match(e.message, /no IOMMU enabled.*intel_iommu=on.*libvirt: unsupported configuration/);
    const other = new LibvirtError({ ...fields, code: VirErrorNumber.OPERATION_INVALID, message: 'domain is already running' });
    assert.equal(explainStartError(other), other);
  });
});

describe('passthrough: the Host Device kind of Add Hardware over a host in the documented format (unit)', () => {
  /** The host of the fixtures, as Add Hardware's host sees it (the calls the hostdev kind makes). */
  function fixtureHost(iommu: boolean): AddHost {
    const files = new Map(DEVICE_FILES.map((f) => [f, fixture(f)]));
    const conn = {
      connectListAllNodeDevices: async () => [...files.keys()].map((name) => ({ name })),
      nodeDeviceGetXmlDesc: async (d: { name: string }) => files.get(d.name) ?? '',
      connectGetCapabilities: async () => fixture('capabilities-iommu.xml').replace("support='yes'", `support='${iommu ? 'yes' : 'no'}'`),
      connectListAllDomains: async () => [],
      domainGetXmlDesc: async () => '',
    };
    return { conn: conn as unknown as AddHostConnection, domain: { name: 'vm', uuid: VM_UUID }, otherDomains: async () => [] };
  }

  it('"also assign the other functions" adds the GPU\'s audio function with it, and the group warning goes', async () => {
    const add = hostdev.add!;
    const values = { type: 'pci', pciAddress: '0000:01:00.0', managed: true, withFunctions: true };
    const prepared = await add.prepare!(fixtureHost(true), values);
    assert.deepEqual(prepared.alsoAdd, [{ type: 'pci', pciAddress: '0000:01:00.1', managed: true }]);
    assert.match(prepared.done ?? '', /0000:01:00\.1/);
    assert.deepEqual((await add.prepare!(fixtureHost(true), { ...values, withFunctions: false })).alsoAdd, undefined);
    assert.deepEqual((await add.hostCheck!(fixtureHost(true), values)).map((r) => r.code), []);
    assert.deepEqual((await add.hostCheck!(fixtureHost(true), { ...values, withFunctions: false })).map((r) => r.code), ['hostdev-group-on-host']);
    const none = await add.hostCheck!(fixtureHost(false), values);
    assert.deepEqual(none.map((r) => [r.field, r.code, r.severity]), [['pciAddress', 'hostdev-no-iommu', 'warning']]);
  });

  it('the GPU filter and a USB pick set the device\'s own values', () => {
    const add = hostdev.add!;
    const dom = DomainXml.parse("<domain type='qemu'><name>x</name><devices/></domain>");
    assert.deepEqual(add.derive!(dom, { type: 'pci', gpuOnly: true, gpu: '0000:01:00.0' }, 'gpu'), { pciAddress: '0000:01:00.0' });
    assert.deepEqual(add.derive!(dom, { type: 'usb', usbDevice: '046d:c52b@1.7' }, 'usbDevice'), { vendorId: '0x046d', productId: '0xc52b', sourceBus: '1', sourceDevice: '7' });
    assert.deepEqual(add.derive!(dom, { type: 'mdev' }, 'type'), { model: 'vfio-pci' });
  });
});
