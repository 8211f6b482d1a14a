import * as assert from 'node:assert/strict';
import { DomainXmlError, summarizeDomainXml } from '../../../src/libvirt/xml/summary';

const XML = `<domain type='kvm'>
  <name>web1</name>
  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
  <title>Web server</title>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
    <vmm:data xmlns:vmm="https://libvirt-vms.dev/xmlns/domain/1"><vmm:tags><vmm:tag>web</vmm:tag><vmm:tag>prod</vmm:tag></vmm:tags></vmm:data>
  </metadata>
  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='GiB'>2</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <os firmware='efi'><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/><boot dev='cdrom'/></os>
  <cpu mode='host-passthrough'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
    <controller type='usb' index='0' model='qemu-xhci'/>
    <controller type='pci' index='0' model='pcie-root'/>
    <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <input type='tablet' bus='usb'/>
    <input type='keyboard' bus='ps2'/>
    <graphics type='vnc' port='-1' autoport='yes'/>
    <sound model='ich9'/>
    <video><model type='virtio' heads='1'/></video>
    <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0x5678'/></source></hostdev>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <watchdog model='i6300esb' action='reset'/>
  </devices>
</domain>`;

describe('domainSummary (unit)', () => {
  const s = summarizeDomainXml(XML);

  it('reads name, title, libosinfo id, tags and disks', () => {
    assert.equal(s.name, 'web1');
    assert.equal(s.title, 'Web server');
    assert.equal(s.osId, 'http://debian.org/debian/12');
    assert.deepEqual(s.tags, ['web', 'prod']);
    assert.deepEqual(s.disks, [
      { device: 'disk', target: 'vda', source: '/var/lib/libvirt/images/web1.qcow2', bus: 'virtio' },
      { device: 'cdrom', target: 'sda', source: '', bus: 'sata' },
    ]);
  });

  it("lists the hardware in virt-manager's order with useful descriptions", () => {
    assert.deepEqual(
      s.sections.map((x) => x.label),
      [
        'Overview', 'OS', 'CPUs', 'Memory', 'Boot Options',
        'VirtIO Disk 1', 'SATA CDROM 1', 'NIC :aa:bb:cc', 'Display VNC', 'Video Virtio', 'Sound ich9',
        'Tablet', 'Keyboard', 'Serial 1', 'Channel qemu-ga',
        'Controller USB 0', 'Controller PCIe 0', 'USB 1234:5678', 'TPM v2.0', 'RNG /dev/urandom', 'Watchdog',
      ],
    );
    const by = (label: string): string => s.sections.find((x) => x.label === label)?.description ?? '?';
    assert.equal(by('CPUs'), '2 vCPU · host-passthrough');
    assert.equal(by('Memory'), '2 GiB');
    assert.equal(by('Boot Options'), 'UEFI · hd, cdrom');
    assert.equal(by('NIC :aa:bb:cc'), 'network default · virtio');
    assert.equal(by('VirtIO Disk 1'), '/var/lib/libvirt/images/web1.qcow2');
    assert.equal(by('SATA CDROM 1'), 'empty');
    assert.equal(by('Watchdog'), 'i6300esb · reset');
    assert.equal(new Set(s.sections.map((x) => x.key)).size, s.sections.length, 'keys are unique');
  });

  it('keys hardware rows by stable identity, not position', () => {
    const keys = s.sections.map((x) => x.key);
    for (const k of ['disk:vda', 'disk:sda', 'interface:52:54:00:aa:bb:cc', 'controller:usb:0', 'controller:pci:0', 'input:tablet:usb', 'hostdev:usb:1234:5678', 'channel:org.qemu.guest_agent.0', 'serial:0']) {
      assert.ok(keys.includes(k), `${k} missing from ${keys.join(', ')}`);
    }
    // Removing the first disk leaves every other key unchanged.
    const fewer = summarizeDomainXml(XML.replace(/<disk type='file' device='disk'>.*?<\/disk>/, '')).sections.map((x) => x.key);
    assert.deepEqual(fewer, keys.filter((k) => k !== 'disk:vda'));
  });

  it('details are labelled by the descriptions', () => {
    const nic = s.sections.find((x) => x.key === 'interface:52:54:00:aa:bb:cc');
    assert.deepEqual(nic?.details.find(([k]) => k === 'MAC address'), ['MAC address', '52:54:00:aa:bb:cc']);
    assert.deepEqual(nic?.details.find(([k]) => k === 'Network source'), ['Network source', 'Virtual network']);
  });

  it('rejects a non-domain document', () => {
    assert.throws(() => summarizeDomainXml('<network><name>x</name></network>'), DomainXmlError);
  });
});
