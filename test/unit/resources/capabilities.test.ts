import * as assert from 'node:assert/strict';
import { parseBlockDeviceXml, parseHostDeviceXml } from '../../../src/libvirt/resources/hostDevice';
import { findSourcesSpec, parsePoolCapabilities } from '../../../src/libvirt/resources/pool';
import { parseXmlElement } from '../../../src/libvirt/resources/xmlElement';

const CAPS = `<storagepoolCapabilities>
  <pool type='dir' supported='yes'>
    <volOptions><defaultFormat type='raw'/><enum name='targetFormatType'><value>raw</value><value>qcow2</value></enum></volOptions>
  </pool>
  <pool type='fs' supported='yes'>
    <poolOptions><defaultFormat type='auto'/><enum name='sourceFormatType'><value>auto</value><value>ext4</value></enum></poolOptions>
  </pool>
  <pool type='rbd' supported='no'/>
</storagepoolCapabilities>`;

describe('resources: capabilities and block devices (unit)', () => {
  it('reads which pool types the host supports and their formats', () => {
    const caps = parsePoolCapabilities(CAPS);
    assert.deepEqual(
      caps.map((c) => [c.type, c.supported]),
      [
        ['dir', true],
        ['fs', true],
        ['rbd', false],
      ],
    );
    assert.deepEqual(caps[0]?.volumeFormats, ['raw', 'qcow2']);
    assert.equal(caps[0]?.defaultVolumeFormat, 'raw');
    assert.equal(caps[1]?.defaultSourceFormat, 'auto');
    assert.deepEqual(caps[1]?.sourceFormats, ['auto', 'ext4']);
  });

  it('reads a block device node device and ignores others', () => {
    const d = parseBlockDeviceXml(`<device><name>block_vda</name><capability type='storage'><block>/dev/vda</block><drive_type>disk</drive_type><size>274877906944</size></capability></device>`);
    assert.deepEqual(d, { name: 'block_vda', path: '/dev/vda', size: 274877906944, model: undefined, driveType: 'disk' });
    assert.equal(parseBlockDeviceXml(`<device><name>computer</name><capability type='system'/></device>`), undefined);
  });

  it('marks PCI bridges and devices without an IOMMU group', () => {
    const d = parseHostDeviceXml(`<device><name>pci_0000_00_1e_0</name><capability type='pci'><class>0x060400</class><domain>0</domain><bus>0</bus><slot>30</slot><function>0</function>
      <product id='0x244e'/><vendor id='0x8086'/><capability type='pci-bridge'/></capability></device>`);
    assert.ok(d && d.kind === 'pci');
    assert.equal(d.isBridge, true);
    assert.equal(d.iommuGroup, undefined);
    assert.equal(d.address.slot, 30);
  });

  it('escapes the host in a find-sources spec', () => {
    const el = parseXmlElement(findSourcesSpec('nas"<x>', 2049));
    assert.equal(el.children[0]?.attrs['name'], 'nas"<x>');
    assert.equal(el.children[0]?.attrs['port'], '2049');
  });
});
