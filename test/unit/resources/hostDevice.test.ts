import * as assert from 'node:assert/strict';
import { formatPciAddress, hostDeviceLabel, isGpu, listHostDevices, parseHostDeviceXml } from '../../../src/libvirt/resources/hostDevice';
import { hostDeviceUsers, networkUsers, parseDomainUsage, volumeUsers } from '../../../src/libvirt/resources/domainUsage';

const GPU = `<device>
  <name>pci_0000_01_00_0</name>
  <path>/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0</path>
  <parent>pci_0000_00_01_0</parent>
  <driver><name>nvidia</name></driver>
  <capability type='pci'>
    <class>0x030000</class>
    <domain>0</domain><bus>1</bus><slot>0</slot><function>0</function>
    <product id='0x1eb8'>TU104GL [Tesla T4]</product>
    <vendor id='0x10de'>NVIDIA Corporation</vendor>
    <capability type='mdev_types'>
      <type id='nvidia-222'><name>GRID T4-1B</name><deviceAPI>vfio-pci</deviceAPI><availableInstances>16</availableInstances></type>
    </capability>
    <iommuGroup number='12'>
      <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
      <address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>
    </iommuGroup>
  </capability>
</device>`;

const USB = `<device><name>usb_1_2</name><parent>usb_usb1</parent><driver><name>usb</name></driver>
  <capability type='usb_device'><bus>1</bus><device>2</device><product id='0x0001'>Tablet</product><vendor id='0x0627'>Adomax</vendor></capability></device>`;

const DOMAIN = `<domain type='qemu'><name>web</name><uuid>11111111-2222-3333-4444-555555555555</uuid><devices>
  <disk type='file' device='disk'><source file='/pool/a.qcow2'/><backingStore type='file'><source file='/pool/base.qcow2'/></backingStore><target dev='vda'/></disk>
  <disk type='volume' device='disk'><source pool='p2' volume='b.raw'/><target dev='vdb'/></disk>
  <interface type='network'><source network='lab'/></interface>
  <hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
  <hostdev mode='subsystem' type='usb'><source><vendor id='0x0627'/><product id='0x0001'/></source></hostdev>
</devices></domain>`;

describe('resources: host devices and VM usage (unit)', () => {
  it('reads a GPU with IOMMU peers and mdev types', () => {
    const d = parseHostDeviceXml(GPU);
    assert.ok(d && d.kind === 'pci');
    assert.equal(formatPciAddress(d.address), '0000:01:00.0');
    assert.ok(isGpu(d));
    assert.equal(d.driver, 'nvidia');
    assert.equal(d.iommuGroup, 12);
    assert.equal(d.iommuPeers.length, 1);
    assert.equal(formatPciAddress(d.iommuPeers[0] ?? d.address), '0000:01:00.1');
    assert.deepEqual(d.mdevTypes, [{ id: 'nvidia-222', name: 'GRID T4-1B', deviceApi: 'vfio-pci', availableInstances: 16 }]);
    assert.equal(hostDeviceLabel(d), 'NVIDIA Corporation TU104GL [Tesla T4]');
  });

  it('reads a USB device and ignores other capabilities', () => {
    const u = parseHostDeviceXml(USB);
    assert.ok(u && u.kind === 'usb');
    assert.equal(u.bus, 1);
    assert.equal(u.vendorId, '0x0627');
    assert.equal(parseHostDeviceXml(`<device><name>net_lo</name><capability type='net'><interface>lo</interface></capability></device>`), undefined);
  });

  it('finds which VMs use a volume, a network and a host device', () => {
    const u = [parseDomainUsage({ name: 'web', uuid: '11111111-2222-3333-4444-555555555555', id: 3 }, DOMAIN)];
    assert.equal(volumeUsers(u, { path: '/pool/a.qcow2', pool: 'p1', name: 'a.qcow2' }).length, 1);
    assert.equal(volumeUsers(u, { path: '/pool/base.qcow2', pool: 'p1', name: 'base.qcow2' }).length, 1, 'backing file users count');
    assert.equal(volumeUsers(u, { path: '/other/b.raw', pool: 'p2', name: 'b.raw' }).length, 1);
    assert.equal(volumeUsers(u, { path: '/pool/c.qcow2', pool: 'p1', name: 'c.qcow2' }).length, 0);
    assert.equal(networkUsers(u, 'lab').length, 1);
    assert.equal(networkUsers(u, 'default').length, 0);
    assert.equal(hostDeviceUsers(u, { kind: 'pci', address: { domain: 0, bus: 1, slot: 0, function: 0 } }).length, 1);
    assert.equal(hostDeviceUsers(u, { kind: 'pci', address: { domain: 0, bus: 1, slot: 0, function: 1 } }).length, 0);
    assert.equal(hostDeviceUsers(u, { kind: 'usb', vendorId: '0x0627', productId: '0x0001', bus: 1, device: 2 }).length, 1);
    assert.equal(u[0]?.running, true);
  });

  it('lists host devices in one list call plus pipelined XML calls, skipping vanished devices', async () => {
    const calls: string[] = [];
    const devs = await listHostDevices({
      connectListAllNodeDevices: async (flags) => {
        calls.push(`list ${flags ?? 0}`);
        return [{ name: 'usb_1_2' }, { name: 'pci_0000_01_00_0' }, { name: 'gone' }];
      },
      nodeDeviceGetXmlDesc: async (d) => {
        calls.push(d.name);
        if (d.name === 'gone') throw new Error('no device');
        return d.name === 'usb_1_2' ? USB : GPU;
      },
    });
    assert.deepEqual(devs.map((d) => d.name), ['pci_0000_01_00_0', 'usb_1_2']);
    assert.equal(calls[0], 'list 16398', 'PCI devices, USB devices, USB interfaces (for their classes) and mediated devices');
  });
});
