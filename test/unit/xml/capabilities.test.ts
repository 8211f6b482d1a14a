import * as assert from 'node:assert/strict';
import { CapabilitiesParseError, hardwareChoices, machineTypes, parseCapabilities, parseDomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { fixture } from './helpers';

describe('capabilities parsing (unit, libvirt 9.0 output)', () => {
  it('parses domain capabilities into typed choices', () => {
    const caps = parseDomainCapabilities(fixture('domcaps-qemu-q35'));
    assert.equal(caps.domain, 'qemu');
    assert.equal(caps.arch, 'x86_64');
    assert.match(caps.machine ?? '', /^pc-q35-/);
    assert.ok((caps.maxVcpus ?? 0) > 1);
    assert.deepEqual(caps.os.firmware, ['efi']);
    assert.ok(caps.os.loader.paths.includes('/usr/share/OVMF/OVMF_CODE_4M.fd'));
    assert.deepEqual(caps.os.loader.types, ['rom', 'pflash']);
    assert.equal(caps.cpu.hostPassthrough, false); // TCG
    assert.equal(caps.cpu.maximum, true);
    assert.equal(caps.cpu.hostModel.model, 'EPYC');
    const ch = hardwareChoices(caps);
    assert.deepEqual(ch.diskBuses, ['fdc', 'scsi', 'virtio', 'usb', 'sata']);
    assert.deepEqual(ch.diskDevices, ['disk', 'cdrom', 'floppy', 'lun']);
    assert.deepEqual(ch.graphicsTypes, ['sdl', 'vnc', 'spice', 'egl-headless', 'dbus']);
    assert.ok(ch.videoModels.includes('qxl') && ch.videoModels.includes('virtio'));
    assert.deepEqual(ch.tpmModels, ['tpm-tis', 'tpm-crb']);
    assert.deepEqual(ch.tpmVersions, ['1.2', '2.0']);
    assert.deepEqual(ch.redirdevBuses, ['usb']);
    assert.ok(ch.hostdevSubsysTypes.includes('pci'));
    assert.ok(ch.usableCpuModels.includes('qemu64'));
    assert.ok(!ch.usableCpuModels.some((m) => caps.cpu.custom.models.find((x) => x.name === m)?.usable === false));
    assert.equal(caps.memoryBacking.sourceTypes.includes('memfd'), true);
  });

  it('parses host capabilities: machine types per arch, with aliases', () => {
    const caps = parseCapabilities(fixture('capabilities'));
    const x86 = machineTypes(caps, 'x86_64', 'qemu');
    assert.ok(x86.some((m) => m.name === 'q35' && m.canonical?.startsWith('pc-q35-')));
    assert.ok(x86.some((m) => m.name === 'pc-i440fx-7.2'));
    assert.ok(x86.some((m) => m.deprecated));
    assert.equal(new Set(x86.map((m) => m.name)).size, x86.length);
    assert.deepEqual(machineTypes(caps, 'nonexistent'), []);
  });

  it('rejects the wrong document', () => {
    assert.throws(() => parseDomainCapabilities('<capabilities/>'), CapabilitiesParseError);
    assert.throws(() => parseCapabilities('<domain/>'), CapabilitiesParseError);
  });
});
