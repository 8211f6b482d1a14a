import * as assert from 'node:assert/strict';
import { APP_METADATA_NS, DomainXml } from '../../../src/libvirt/xml/domainXml';
import { XmlValueError } from '../../../src/libvirt/xml/fields';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';
import { changedSpan, fixture, FIXTURES, lineDiff } from './helpers';

describe('DomainXml typed access (unit)', () => {
  it('reads general, memory, cpu, os and feature fields from libvirt output', () => {
    const d = DomainXml.parse(fixture('efi-win11'));
    assert.equal(d.get('name'), 'xmlfix-efi-win11');
    assert.equal(d.get('title'), 'Windows 11 fixture');
    assert.equal(d.get('description'), 'EFI, secure boot, TPM 2.0 & Hyper-V');
    assert.equal(d.memoryKiB, 4 * 1024 * 1024);
    assert.equal(d.currentMemoryKiB, 2 * 1024 * 1024);
    assert.equal(d.get('vcpus'), 4);
    assert.equal(d.get('vcpuCurrent'), 2);
    assert.equal(d.get('topologyCores'), 2);
    assert.equal(d.get('cpuMode'), 'custom');
    assert.equal(d.get('firmware'), 'efi');
    assert.equal(d.firmwareFeature('secure-boot'), true);
    assert.equal(d.get('acpi'), true);
    assert.equal(d.get('smm'), true);
    assert.equal(d.get('kvmHidden'), true);
    assert.equal(d.hypervFeatures.relaxed, true);
    assert.equal(d.get('clockOffset'), 'localtime');
    assert.equal(d.get('onCrash'), 'destroy');
    assert.equal(d.get('suspendToMem'), false);
    assert.equal(d.osinfoId, 'http://microsoft.com/win/11');
    assert.deepEqual(d.vcpuPins, [{ vcpu: 0, cpuset: '0' }, { vcpu: 1, cpuset: '1' }]);
    assert.deepEqual(d.cpuFeatures, [{ name: 'svm', policy: 'disable' }]);
    assert.ok(d.appMetadataInner()!.includes('<vmm:group name="windows"/>'));
    const k = DomainXml.parse(fixture('kernel-boot'));
    assert.equal(k.get('kernel'), '/var/lib/libvirt/boot/vmlinuz');
    assert.equal(k.get('cmdline'), 'console=ttyS0 root=/dev/vda1');
    assert.equal(k.get('memoryAccess'), 'shared');
    assert.equal(k.get('memorySource'), 'memfd');
    const e = DomainXml.parse(fixture('every-device'));
    assert.deepEqual(e.bootDevices, ['cdrom', 'hd']);
    assert.equal(e.get('hugepages'), true);
    assert.equal(e.get('loaderReadonly'), true);
  });

  it('a one-value edit is a one-value diff', () => {
    const cases: [string, (d: DomainXml) => void, string, string][] = [
      ['minimal', (d) => d.set('vcpus', 4), '1', '4'],
      ['minimal', (d) => (d.memoryKiB = 512 * 1024), '262144', '524288'],
      ['efi-win11', (d) => d.set('topologyThreads', 1), '2', '1'],
      ['efi-win11', (d) => d.set('cpuMode', 'host-model'), 'custom', 'host-model'],
      ['efi-win11', (d) => d.set('onCrash', 'restart'), 'destroy', 'restart'],
      ['efi-win11', (d) => d.setFirmwareFeature('secure-boot', false), 'yes', 'no'],
      ['efi-win11', (d) => d.set('title', 'New & title'), 'Windows 11 fixtur', 'New &amp; titl'],
      ['efi-win11', (d) => (d.osinfoId = 'http://microsoft.com/win/10'), '1', '0'],
      ['efi-win11', (d) => d.setHypervFeature('spinlocks', true, { retries: '4096' }), '8191', '4096'],
      ['kernel-boot', (d) => d.set('cmdline', 'console=ttyS0'), ' root=/dev/vda1', ''],
    ];
    for (const [name, edit, removed, added] of cases) {
      const before = fixture(name);
      const d = DomainXml.parse(before);
      edit(d);
      const span = changedSpan(before, d.toString());
      assert.deepEqual({ removed: span.removed, added: span.added }, { removed, added }, `${name}: ${edit.toString()}`);
    }
  });

  it('creates missing elements on their own line and removes them again', () => {
    const before = fixture('minimal');
    const d = DomainXml.parse(before);
    d.set('title', 'T');
    d.set('bootMenu', true);
    d.set('acpi', true);
    d.setCpuFeature('vmx', 'require');
    const diff = lineDiff(before, d.toString());
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.added.sort(), [
      "    <bootmenu enable='yes'/>",
      "    <feature name='vmx' policy='require'/>",
      '  <title>T</title>',
      '  <features>',
      '    <acpi/>',
      '  </features>',
    ].sort());
    // new elements go where libvirt writes them
    const t = d.toString();
    assert.ok(t.indexOf('<title>') > t.indexOf('</uuid>') && t.indexOf('<title>') < t.indexOf('<memory'));
    assert.ok(t.indexOf('<features>') > t.indexOf('</os>') && t.indexOf('<features>') < t.indexOf('<cpu'));
    // the added wrappers (<features>, and <cpu> content) are well-formed and the text reparses identically
    assert.equal(XmlDocument.parse(d.toString()).text, d.toString());
    d.set('title', undefined);
    d.set('bootMenu', undefined);
    d.set('acpi', false);
    d.setCpuFeature('vmx', undefined);
    assert.equal(d.toString(), before);
  });

  it('rejects values the schema would refuse', () => {
    const d = DomainXml.parse(fixture('minimal'));
    assert.throws(() => d.set('cpuMode', 'bogus' as 'custom'), XmlValueError);
    assert.throws(() => d.set('vcpus', 1.5), XmlValueError);
    assert.throws(() => d.setVcpuPin(0, 'a-b'), XmlValueError);
    assert.throws(() => DomainXml.parse('<network/>'), XmlValueError);
  });

  it('gets and sets the app metadata element in its own namespace', () => {
    const before = fixture('minimal');
    const d = DomainXml.parse(before);
    assert.equal(d.appMetadata, undefined);
    d.setAppMetadata('<vmm:group name="lab"/>');
    assert.equal(d.appMetadata!.namespaceUri, APP_METADATA_NS);
    const again = DomainXml.parse(d.toString());
    assert.equal(again.appMetadataInner()!.trim(), '<vmm:group name="lab"/>');
    assert.ok(d.toString().includes(`  <metadata>\n    <vmm:data xmlns:vmm='${APP_METADATA_NS}'>\n      <vmm:group name="lab"/>\n    </vmm:data>\n  </metadata>\n`));
    d.setAppMetadata(undefined);
    assert.equal(d.toString(), before);
    // foreign metadata is untouched by our edits
    const w = DomainXml.parse(fixture('efi-win11'));
    w.setAppMetadata('<vmm:group name="other"/>');
    assert.equal(w.osinfoId, 'http://microsoft.com/win/11');
  });

  it('has a typed view for every device in the fixtures and edits them surgically', () => {
    const kinds = new Set<string>();
    for (const name of FIXTURES) for (const dev of DomainXml.parse(fixture(name)).devices()) kinds.add(dev.kind);
    for (const k of ['disk', 'controller', 'interface', 'input', 'graphics', 'sound', 'audio', 'video', 'serial', 'parallel', 'console', 'channel', 'hostdev', 'redirdev', 'smartcard', 'watchdog', 'filesystem', 'tpm', 'rng', 'panic', 'vsock', 'memballoon', 'iommu']) {
      assert.ok(kinds.has(k), `no ${k} in fixtures`);
    }
    assert.ok(!kinds.has('other'));
    const before = fixture('every-device');
    const d = DomainXml.parse(before);
    const nbd = d.devicesOf('disk').find((x) => x.get('sourceProtocol') === 'nbd')!;
    assert.equal(nbd.get('sourceHost'), '192.0.2.10');
    assert.equal(nbd.get('shareable'), true);
    const disk = d.devicesOf('disk')[0]!;
    assert.equal(disk.get('encryptionFormat'), 'luks');
    disk.set('cache', 'writeback');
    // added in libvirt's attribute order, nothing else changes
    assert.equal(d.toString(), before.replace("<driver name='qemu' type='qcow2' discard='unmap'/>", "<driver name='qemu' type='qcow2' cache='writeback' discard='unmap'/>"));
    const nic = d.devicesOf('interface')[0]!;
    assert.equal(nic.get('inboundPeak'), 5000);
    assert.equal(nic.get('linkState'), 'down');
    const hostdev = d.devicesOf('hostdev')[0]!;
    assert.equal(hostdev.get('romBar'), false);
    assert.equal(hostdev.get('sourceBus'), '0x7f');
    const vnc = d.devicesOf('graphics')[0]!;
    assert.equal(vnc.get('passwd'), undefined); // libvirt hides it without --security-info
    assert.equal(vnc.get('port'), 5999);
    assert.equal(d.devicesOf('watchdog')[0]!.get('action'), 'reset');
    assert.equal(d.devicesOf('rng')[0]!.get('backend'), '/dev/urandom');
    assert.equal(d.devicesOf('vsock')[0]!.get('cidAddress'), 42);
  });

  it('adds a device after the last one of its kind and removes it to the same bytes', () => {
    const before = fixture('minimal');
    const d = DomainXml.parse(before);
    const dev = d.addDeviceXml("<disk type='file' device='cdrom'>\n  <target dev='sda' bus='sata'/>\n</disk>");
    assert.equal(dev.kind, 'disk');
    const lines = d.toString().split('\n');
    const i = lines.indexOf("    <disk type='file' device='cdrom'>");
    assert.ok(i > 0);
    assert.equal(lines[i + 1], "      <target dev='sda' bus='sata'/>");
    assert.equal(lines[i - 1], '    </disk>');
    d.removeDevice(dev);
    assert.equal(d.toString(), before);
  });
});
