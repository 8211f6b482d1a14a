import * as assert from 'node:assert/strict';
import { checkDomain, type Problem } from '../../../src/libvirt/xml/checks';
import { applyEdits } from '../../../src/libvirt/xml/diagnostics';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { XmlDocument } from '../../../src/libvirt/xml/xmlDocument';

const check = (text: string): Problem[] => checkDomain(DomainXml.parse(text));
const spanOf = (text: string, p: Problem): string => {
  const doc = XmlDocument.parse(text);
  return text.slice(doc.offsetAt(p.range.startLine, p.range.startCol), doc.offsetAt(p.range.endLine, p.range.endCol));
};
const fixAll = (text: string, ps: readonly Problem[]): string => ps.reduce((t, p) => applyEdits(t, check(t).find((q) => q.code === p.code)?.fix?.edits ?? []), text);

describe('the one domain checker (unit)', () => {
  it('flags malformed, multicast and duplicate MACs on the address, targeted at the NIC, and regenerates them', () => {
    const text = `<domain><devices><interface type='network'><mac address='52:54:00:zz:00:01'/><source network='default'/></interface><interface type='user'><mac address='01:00:5e:00:00:01'/></interface><interface type='user'><mac address='52:54:00:00:00:09'/></interface><interface type='user'><mac address='52:54:00:00:00:09'/></interface></devices></domain>`;
    const ps = check(text);
    assert.deepEqual(ps.map((p) => [p.code, spanOf(text, p), p.target.section, p.target.field]), [
      ['malformed-mac', "address='52:54:00:zz:00:01'", 'interface:52:54:00:zz:00:01', 'mac'],
      ['multicast-mac', "address='01:00:5e:00:00:01'", 'interface:01:00:5e:00:00:01', 'mac'],
      ['duplicate-mac', "address='52:54:00:00:00:09'", 'interface:52:54:00:00:00:09#2', 'mac'],
    ]);
    let fixed = text;
    for (let i = 0; i < 3; i++) fixed = applyEdits(fixed, check(fixed)[0]?.fix?.edits ?? []);
    assert.deepEqual(check(fixed), []);
  });

  it('adds <acpi/> for UEFI, targeted at the Overview field', () => {
    for (const text of [
      `<domain>\n  <os firmware='efi'>\n    <type>hvm</type>\n  </os>\n</domain>`,
      `<domain>\n  <os firmware='efi'/>\n  <features>\n    <apic/>\n  </features>\n</domain>`,
      `<domain>\n  <os><loader type='pflash'>/x.fd</loader></os>\n  <features/>\n</domain>`,
    ]) {
      const ps = check(text);
      assert.deepEqual(ps.map((p) => [p.code, p.target]), [['uefi-needs-acpi', { section: 'overview', field: 'firmware' }]], text);
      const fixed = fixAll(text, ps);
      assert.ok(XmlDocument.parse(fixed).root.find(['features', 'acpi']), fixed);
      assert.deepEqual(check(fixed), []);
    }
  });

  it('counts clusters in the CPU topology and fixes the vCPU count', () => {
    const text = `<domain><vcpu placement='static'>4</vcpu><cpu><topology sockets='1' dies='1' clusters='2' cores='2' threads='2'/></cpu></domain>`;
    const [p, ...rest] = check(text);
    assert.equal(rest.length, 0);
    assert.equal(p!.code, 'topology-mismatch');
    assert.deepEqual(p!.target, { section: 'cpus', field: 'topologySockets' });
    assert.match(p!.message, /gives 8 vCPUs/);
    const fixed = applyEdits(text, p!.fix!.edits);
    assert.match(fixed, /<vcpu placement='static'>8<\/vcpu>/);
    assert.deepEqual(check(fixed), []);
  });

  it('places device checks on the device and its field', () => {
    const text = `<domain><devices><disk type='file' device='cdrom'><target dev='sda' bus='virtio'/></disk><filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/><target dir='t'/></filesystem></devices></domain>`;
    assert.deepEqual(check(text).map((p) => [p.code, p.target.section, p.target.field]), [
      ['target-bus-mismatch', 'disk:sda', 'target'],
      ['cdrom-on-virtio', 'disk:sda', 'bus'],
      ['virtiofs-needs-shared-memory', 'filesystem:t', 'driverType'],
    ]);
  });
});
