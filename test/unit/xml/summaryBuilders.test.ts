import * as assert from 'node:assert/strict';
import { addDevice } from '../../../src/forms/apply';
import { analyzeDomain } from '../../../src/forms/hints';
import { allocateDiskTarget, defaultDiskBus } from '../../../src/libvirt/xml/allocate';
import { applyEdits } from '../../../src/libvirt/xml/diagnostics';
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

describe('new devices through the descriptions (unit)', () => {
  it('allocates target names and picks the bus virt-manager would', () => {
    const d = DomainXml.parse(fixture('every-device'));
    assert.equal(allocateDiskTarget(d, 'virtio'), 'vdc');
    assert.equal(allocateDiskTarget(d, 'sata'), 'sdd');
    assert.equal(allocateDiskTarget(d, 'ide'), 'hda');
    assert.equal(allocateDiskTarget(DomainXml.parse(fixture('minimal')), 'virtio'), 'vdb');
    const q35 = DomainXml.parse(fixture('efi-win11'));
    assert.equal(defaultDiskBus(d), 'virtio');
    assert.equal(defaultDiskBus(d, 'disk', false), 'ide');
    assert.equal(defaultDiskBus(q35, 'disk', false), 'sata');
    assert.equal(defaultDiskBus(q35, 'cdrom'), 'sata');
    assert.equal(defaultDiskBus(d, 'floppy'), 'fdc');
    assert.equal(defaultDiskBus(d, 'lun'), 'scsi');
  });

  it("adds a virtio qcow2 disk with the kind's defaults as a minimal diff, built through the document model", () => {
    const before = fixture('minimal');
    const d = DomainXml.parse(before);
    const id = addDevice(d, 'disk', { sourceFile: '/var/lib/libvirt/images/b.qcow2' });
    assert.equal(id, 'disk:vdb');
    const diff = lineDiff(before, d.toString());
    assert.deepEqual(diff.removed, []);
    const added = d.devicesOf('disk').find((x) => x.get('target') === 'vdb');
    assert.ok(added, d.toString());
    assert.equal(added.get('bus'), 'virtio');
    assert.equal(added.get('driverType'), 'qcow2');
    assert.equal(added.get('discard'), 'unmap');
    assert.equal(added.get('sourceFile'), '/var/lib/libvirt/images/b.qcow2');
    assert.ok(diff.added.every((l) => l.startsWith('    ')), diff.added.join('\n'));
    assert.deepEqual(checkSemantics(d), []);
  });

  it('the one checker refuses impossible combinations on the field they concern', () => {
    const codes = (xml: DomainXml): string[] => checkSemantics(xml).map((p) => `${p.code}@${p.target?.field ?? ''}`);
    const q35 = DomainXml.parse(fixture('efi-win11'));
    addDevice(q35, 'disk', { sourceFile: '/tmp/x.qcow2', bus: 'ide', target: 'hdb' });
    assert.ok(codes(q35).includes('ide-on-q35@bus'), codes(q35).join());
    const pc = DomainXml.parse(fixture('every-device'));
    addDevice(pc, 'disk', { sourceFile: '/tmp/y.iso', device: 'cdrom', bus: 'virtio', target: 'vdx' });
    assert.ok(codes(pc).includes('cdrom-on-virtio@bus'), codes(pc).join());
    // Shared access needs raw (type='aio' is libvirt's old name for it) unless the guest only reads;
    // a LUN passthrough disk is raw.
    const shared = (values: Record<string, string | boolean>): string[] => {
      const d = DomainXml.parse(fixture('every-device'));
      addDevice(d, 'disk', { target: 'vdy', bus: 'virtio', ...values });
      return codes(d);
    };
    assert.ok(shared({ sourceFile: '/tmp/s.qcow2', driverType: 'qcow2', shareable: true }).includes('shareable-format@shareable'));
    assert.ok(!shared({ sourceFile: '/tmp/s.qcow2', driverType: 'qcow2', shareable: true, readonly: true }).includes('shareable-format@shareable'));
    assert.ok(!shared({ sourceFile: '/tmp/s.img', driverType: 'aio', shareable: true }).includes('shareable-format@shareable'));
    const lun = DomainXml.parse(fixture('every-device'));
    addDevice(lun, 'disk', { device: 'lun', type: 'block', sourceDev: '/dev/sdz', bus: 'scsi', target: 'sdy', driverType: 'qcow2' });
    assert.ok(codes(lun).includes('lun-format@driverType'), codes(lun).join());
    // Buses the form does not offer are read as written: a CD-ROM on the SD bus, a floppy on uml.
    const odd = DomainXml.parse(fixture('every-device'));
    addDevice(odd, 'disk', { device: 'cdrom', bus: 'sata', target: 'sdx' });
    addDevice(odd, 'disk', { device: 'floppy', bus: 'fdc', target: 'fdb', sourceFile: '/tmp/f.img' });
    const oddText = odd.toString().replace("<target dev='sdx' bus='sata'/>", "<target dev='sdx' bus='sd'/>").replace("<target dev='fdb' bus='fdc'/>", "<target dev='fdb' bus='uml'/>");
    assert.notEqual(oddText, odd.toString());
    const oddCodes = codes(DomainXml.parse(oddText));
    assert.ok(oddCodes.includes('cdrom-bus@bus') && oddCodes.includes('floppy-bus@bus'), oddCodes.join());
    const dup = DomainXml.parse(fixture('every-device'));
    addDevice(dup, 'disk', { sourceFile: '/tmp/z.qcow2', target: 'vda' });
    assert.ok(codes(dup).includes('duplicate-target@target'), codes(dup).join());
    // A bus chosen without a target keeps the default's name (a Windows guest without virtio
    // drivers gets SATA, sdX, by default): a warning with a fix.
    const sata = DomainXml.parse(fixture('efi-win11'));
    addDevice(sata, 'disk', { sourceFile: '/tmp/s.qcow2', bus: 'virtio' });
    const mismatch = checkSemantics(sata).find((p) => p.code === 'target-bus-mismatch');
    assert.equal(mismatch?.severity, 'warning');
    assert.ok(mismatch?.fix);
    const fixed = DomainXml.parse(applyEdits(sata.toString(), mismatch.fix.edits));
    assert.ok(fixed.devicesOf('disk').some((x) => x.get('bus') === 'virtio' && /^vd[a-z]$/.test(x.get('target') ?? '') && x.get('sourceFile') === '/tmp/s.qcow2'));
    assert.equal(checkSemantics(fixed).filter((p) => p.code === 'target-bus-mismatch').length, 0);
    const mac = DomainXml.parse(fixture('every-device'));
    addDevice(mac, 'interface', { mac: 'zz' });
    assert.ok(codes(mac).includes('malformed-mac@mac'), codes(mac).join());
  });

  it("the Windows 11 hint's fix adds an emulated TPM 2.0 from the TPM description", () => {
    const d = DomainXml.parse(fixture('efi-win11'));
    d.doc.removeElement(d.devicesOf('tpm')[0]!.element);
    const p = analyzeDomain(d).find((x) => x.code === 'win11-needs-tpm');
    assert.ok(p?.fix, 'a fix is offered');
    const fixed = DomainXml.parse(applyEdits(d.toString(), p.fix.edits));
    const tpm = fixed.devicesOf('tpm')[0];
    assert.equal(tpm?.get('model'), 'tpm-crb');
    assert.equal(tpm?.get('backendType'), 'emulator');
    assert.equal(tpm?.get('version'), '2.0');
    assert.equal(analyzeDomain(fixed).filter((x) => x.code === 'win11-needs-tpm').length, 0);
  });
});
