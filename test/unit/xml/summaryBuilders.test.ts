import * as assert from 'node:assert/strict';
import { addDisk, addGraphics, allocateDiskTarget, buildDiskXml, buildInterfaceXml, buildPciHostdevXml, DeviceBuildError, driveAddressFor, newDomainXml } from '../../../src/libvirt/xml/builders';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { summarizeDomainXml as summarizeDomain } from '../../../src/libvirt/xml/summary';
import { checkDomain as checkSemantics } from '../../../src/libvirt/xml/checks';
import { fixture, lineDiff } from './helpers';

describe('summarizeDomain (unit)', () => {
  it('summarises a Windows fixture like virt-manager labels it', () => {
    const s = summarizeDomain(fixture('efi-win11'));
    assert.equal(s.name, 'xmlfix-efi-win11');
    assert.equal(s.title, 'Windows 11 fixture');
    assert.equal(s.vcpus, 2);
    assert.equal(s.memoryKiB, 2 * 1024 * 1024);
    assert.equal(s.osId, 'http://microsoft.com/win/11');
    assert.deepEqual(s.disks, [
      { target: 'sda', source: '/var/lib/libvirt/images/xmlfix-win11.qcow2', device: 'disk', bus: 'sata' },
      { target: 'sdb', source: '/var/lib/libvirt/images/win11.iso', device: 'cdrom', bus: 'sata' },
    ]);
    const nic = s.sections.find((h) => h.kind === 'interface');
    assert.equal(nic?.key, 'interface:52:54:00:11:22:33');
    assert.equal(nic?.description, 'network default · e1000e');
    const labels = s.sections.map((h) => h.label);
    assert.deepEqual(labels.slice(0, 7), ['Overview', 'OS', 'CPUs', 'Memory', 'Boot Options', 'SATA Disk 1', 'SATA CDROM 2']);
    for (const l of ['NIC :11:22:33', 'Display Spice', 'Video QXL', 'Sound ich9', 'Tablet', 'Channel spice', 'TPM v2.0', 'USB Redirector 1', 'USB Redirector 2', 'Controller USB 0', 'Controller PCIe 0']) {
      assert.ok(labels.includes(l), `${l} missing from ${labels.join(', ')}`);
    }
  });

  it('labels every device kind', () => {
    const labels = summarizeDomain(fixture('every-device')).sections.map((h) => h.label);
    for (const l of ['VirtIO Disk 1', 'VirtIO Disk 2', 'IDE CDROM 3', 'Floppy Floppy 1', 'SCSI LUN 1', 'USB Disk 2', 'NIC :00:00:01', 'Mouse', 'Virtio Keyboard', 'Evdev', 'Display VNC', 'Display Spice', 'Sound ich6', 'Video Virtio', 'Serial 1', 'Parallel 1', 'Console', 'Channel qemu-ga', 'Controller SCSI 0', 'Controller VirtIO Serial 0', 'Controller CCID 0', 'Controller PCI 0', 'PCI 0000:7f:1f.7', 'USB 046d:c52b', 'Smartcard', 'Watchdog', 'RNG /dev/urandom', 'Panic Notifier', 'VirtIO VSOCK', 'TPM v2.0']) {
      assert.ok(labels.includes(l), `${l} missing from ${labels.join(', ')}`);
    }
    const k = summarizeDomain(fixture('kernel-boot')).sections.map((h) => h.label);
    assert.ok(k.includes('Filesystem share') && k.includes('Filesystem ninep') && k.includes('IOMMU'));
  });

  it('takes about a millisecond', () => {
    const text = fixture('every-device');
    for (let i = 0; i < 20; i++) summarizeDomain(text);
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) summarizeDomain(text);
    const per = (performance.now() - t0) / 100;
    assert.ok(per < 5, `${per} ms per summary`);
  });
});

describe('device builders (unit)', () => {
  it('allocates target names and drive addresses', () => {
    const d = DomainXml.parse(fixture('every-device'));
    assert.equal(allocateDiskTarget(d, 'virtio'), 'vdc');
    assert.equal(allocateDiskTarget(d, 'sata'), 'sdd');
    assert.equal(allocateDiskTarget(d, 'ide'), 'hda');
    assert.deepEqual(driveAddressFor('ide', 'hdc'), { controller: 0, bus: 1, unit: 0 });
    assert.deepEqual(driveAddressFor('sata', 'sdh'), { controller: 1, bus: 0, unit: 1 });
    assert.equal(allocateDiskTarget(DomainXml.parse(fixture('minimal')), 'virtio'), 'vdb');
  });

  it('adds a virtio qcow2 disk with virt-manager defaults as a minimal diff', () => {
    const before = fixture('minimal');
    const d = DomainXml.parse(before);
    addDisk(d, { source: { file: '/var/lib/libvirt/images/b.qcow2' } });
    const diff = lineDiff(before, d.toString());
    assert.deepEqual(diff.removed, []);
    const block = [
      "    <disk type='file' device='disk'>",
      "      <driver name='qemu' type='qcow2' discard='unmap'/>",
      "      <source file='/var/lib/libvirt/images/b.qcow2'/>",
      "      <target dev='vdb' bus='virtio'/>",
      '    </disk>',
    ];
    assert.equal(diff.added.length, block.length);
    assert.ok(d.toString().includes(`    </disk>\n${block.join('\n')}\n    <controller`));
    // a guest without virtio drivers gets IDE on i440fx, SATA on q35
    assert.match(buildDiskXml(d, { osSupportsVirtio: false }), /dev='hda' bus='ide'/);
    assert.match(buildDiskXml(DomainXml.parse(fixture('efi-win11')), { osSupportsVirtio: false }), /dev='sdc' bus='sata'/);
    assert.match(buildDiskXml(d, { device: 'cdrom' }), /<driver name='qemu' type='raw'\/>[\s\S]*<readonly\/>/);
  });

  it('refuses impossible combinations with clear errors', () => {
    const q35 = DomainXml.parse(fixture('efi-win11'));
    const pc = DomainXml.parse(fixture('every-device'));
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (DeviceBuildError.is(e)) return e.code;
        throw e;
      }
      return 'no error';
    };
    assert.equal(code(() => buildDiskXml(q35, { bus: 'ide' })), 'ide-on-q35');
    assert.equal(code(() => buildDiskXml(pc, { bus: 'ide', target: 'hde' })), 'second-ide-controller');
    assert.equal(code(() => buildDiskXml(pc, { target: 'vda' })), 'duplicate-target');
    assert.equal(code(() => buildDiskXml(pc, { device: 'cdrom', bus: 'virtio' })), 'cdrom-on-virtio');
    assert.equal(code(() => buildInterfaceXml(pc, { source: { network: 'default' }, mac: '52:54:00:00:00:01' })), 'duplicate-mac');
    assert.equal(code(() => buildInterfaceXml(pc, { source: { network: 'default' }, mac: 'zz' })), 'bad-mac');
    assert.equal(code(() => buildPciHostdevXml('1:2:3')), 'bad-pci-address');
    assert.equal(code(() => newDomainXml({ name: 'a/b', memoryMiB: 1, vcpus: 1 })), 'bad-name');
  });

  it('adds a tablet and the spice agent channel with a SPICE display', () => {
    const d = DomainXml.parse(fixture('kernel-boot'));
    addGraphics(d, { type: 'spice' });
    assert.equal(d.devicesOf('input').filter((i) => i.get('type') === 'tablet').length, 1);
    assert.ok(d.devicesOf('channel').some((c) => c.get('targetName') === 'com.redhat.spice.0'));
    assert.deepEqual(checkSemantics(d), []);
  });

  it('builds a new Windows 11 domain that passes the semantic checks', () => {
    const xml = newDomainXml({ name: 'win', memoryMiB: 4096, vcpus: 2, type: 'qemu', osinfoId: 'http://microsoft.com/win/11', secureBoot: true, disk: { source: { file: '/tmp/w.qcow2' } }, cdrom: { file: '/tmp/w.iso' } });
    const d = DomainXml.parse(xml);
    assert.equal(d.get('firmware'), 'efi');
    assert.equal(d.devicesOf('tpm')[0]!.get('version'), '2.0');
    assert.equal(d.devicesOf('disk')[0]!.get('bus'), 'sata'); // no virtio drivers in the installer
    assert.equal(d.devicesOf('disk')[1]!.get('target'), 'sdb');
    assert.equal(d.devicesOf('interface')[0]!.get('model'), 'e1000e');
    assert.deepEqual(checkSemantics(d), []);
    const linux = DomainXml.parse(newDomainXml({ name: 'deb', memoryMiB: 1024, vcpus: 1, firmware: 'bios', disk: { source: { file: '/tmp/d.qcow2' } } }));
    assert.equal(linux.devicesOf('disk')[0]!.get('target'), 'vda');
    assert.equal(linux.devicesOf('tpm').length, 0);
    assert.ok(linux.devicesOf('channel').some((c) => c.get('targetName') === 'org.qemu.guest_agent.0'));
  });
});
