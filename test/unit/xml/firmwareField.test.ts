import * as assert from 'node:assert/strict';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { readValue, writeValue } from '../../../src/libvirt/xml/kinds/access';
import { sectionDescription } from '../../../src/libvirt/xml/kinds/domain';

const firmwareField = (): NonNullable<ReturnType<typeof sectionDescription>>['fields'][number] => {
  const f = sectionDescription('overview')?.fields.find((x) => x.id === 'firmware');
  assert.ok(f, 'the overview section describes the firmware');
  return f;
};

const blank = (): DomainXml => DomainXml.parse("<domain type='kvm'><name>x</name><os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>");

describe('the firmware field (BIOS, UEFI, UEFI Secure Boot)', () => {
  it('writes plain UEFI with Secure Boot turned off, so libvirt does not pick a Secure Boot build that needs SMM', () => {
    const dom = blank();
    writeValue(firmwareField(), dom, dom.element, 'efi');
    assert.equal(dom.get('firmware'), 'efi');
    assert.equal(dom.firmwareFeature('secure-boot'), false);
    assert.equal(dom.firmwareFeature('enrolled-keys'), undefined);
    assert.notEqual(dom.get('smmState'), true);
    assert.equal(readValue(firmwareField(), dom, dom.element), 'efi');
  });

  it('writes Secure Boot with enrolled keys and SMM, and back to plain UEFI and to BIOS', () => {
    const dom = blank();
    const f = firmwareField();
    writeValue(f, dom, dom.element, 'efi-secure');
    assert.deepEqual([dom.firmwareFeature('secure-boot'), dom.firmwareFeature('enrolled-keys'), dom.get('smmState')], [true, true, true]);
    assert.equal(readValue(f, dom, dom.element), 'efi-secure');
    writeValue(f, dom, dom.element, 'efi');
    assert.deepEqual([dom.firmwareFeature('secure-boot'), dom.firmwareFeature('enrolled-keys')], [false, undefined]);
    assert.equal(readValue(f, dom, dom.element), 'efi');
    writeValue(f, dom, dom.element, 'bios');
    assert.equal(dom.get('firmware'), undefined);
    assert.equal(dom.firmwareFeature('secure-boot'), undefined);
    assert.equal(readValue(f, dom, dom.element), 'bios');
  });
});
