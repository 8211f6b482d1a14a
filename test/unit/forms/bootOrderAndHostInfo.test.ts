// The boot order as an ordered choice of the bootable devices (converted from <os><boot dev>,
// written as per-device <boot order>), and the host's facts shown among a section's fields.
import * as assert from 'node:assert/strict';
import { applyChanges } from '../../../src/forms/apply';
import { ApplyRefusedError } from '../../../src/forms/formSchema';
import { withHostInfo } from '../../../src/forms/hostInfo';
import { buildSections } from '../../../src/forms/sections';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';

const MAC = '52:54:00:0b:00:01';
const XML = `<domain type='qemu'>
  <name>boot</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><source file='/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='${MAC}'/></interface>
    <video><model type='vga'/></video>
  </devices>
</domain>`;

describe('boot order and host facts in the forms (unit)', () => {
  it('offers the disks and NICs (not the video card) with their tree names, the order converted from <os><boot dev>', () => {
    const boot = buildSections(DomainXml.parse(XML)).find((s) => s.id === 'boot')!;
    const f = boot.fields.find((x) => x.id === 'bootOrder')!;
    assert.equal(f.widget, 'order');
    assert.deepEqual(f.options?.map((o) => o.value), ['disk:vda', 'disk:hdc', `interface:${MAC}`]);
    assert.deepEqual(f.options?.map((o) => o.label), ['VirtIO Disk 1', 'IDE CDROM 3', 'NIC :0b:00:01']);
    assert.equal(f.options?.[0]?.detail, '/images/a.qcow2');
    assert.equal(boot.values['bootOrder'], 'disk:hdc\ndisk:vda');
  });

  it('writes per-device <boot order> and drops <os><boot dev> (libvirt refuses both)', () => {
    const d = applyChanges(XML, [{ section: 'boot', field: 'bootOrder', value: `interface:${MAC}\ndisk:vda` }]);
    const text = d.toString();
    assert.doesNotMatch(text, /<boot dev=/);
    const orders = [...text.matchAll(/<(disk|interface)\b[\s\S]*?<\/\1>/g)].map((m) => /<boot order='(\d)'\/>/.exec(m[0])?.[1]);
    assert.deepEqual(orders, ['2', undefined, '1']);
    assert.equal(buildSections(d).find((s) => s.id === 'boot')!.values['bootOrder'], `interface:${MAC}\ndisk:vda`);
  });

  it('refuses a device that cannot boot or is listed twice, on the field', () => {
    for (const [value, message] of [
      ['video\ndisk:vda', /not a device the VM can boot from/],
      ['disk:vda\ndisk:vda', /listed twice/],
      ['disk:sdz', /no device 'disk:sdz'/],
    ] as const) {
      assert.throws(
        () => applyChanges(XML, [{ section: 'boot', field: 'bootOrder', value }]),
        (e: unknown) => ApplyRefusedError.is(e) && e.problems[0]?.field === 'bootOrder' && message.test(e.problems[0].message),
        value,
      );
    }
  });

  it("puts the host's free memory after the current allocation and a running guest's addresses after the MAC", () => {
    const sections = withHostInfo(buildSections(DomainXml.parse(XML)), { freeMemory: '3.5 GiB free of 8 GiB', addresses: new Map([[MAC, ['192.168.122.5/24']]]) });
    const memory = sections.find((s) => s.id === 'memory')!;
    const ids = memory.fields.map((f) => f.id);
    assert.equal(ids[ids.indexOf('currentMemory') + 1], 'hostFreeMemory');
    assert.equal(memory.values['hostFreeMemory'], '3.5 GiB free of 8 GiB');
    const nic = sections.find((s) => s.id === `interface:${MAC}`)!;
    const nicIds = nic.fields.map((f) => f.id);
    assert.equal(nicIds[nicIds.indexOf('mac') + 1], 'guestAddresses');
    assert.equal(nic.fields.find((f) => f.id === 'guestAddresses')?.widget, 'readonly');
    assert.equal(nic.values['guestAddresses'], '192.168.122.5/24');
    // Shut off: no addresses field at all.
    const off = withHostInfo(buildSections(DomainXml.parse(XML)), { freeMemory: 'x' });
    assert.equal(off.find((s) => s.id === `interface:${MAC}`)!.fields.some((f) => f.id === 'guestAddresses'), false);
  });
});
