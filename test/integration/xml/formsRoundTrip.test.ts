// Generated from the descriptions: for every field of every domain section and device kind, set
// each sample through the forms layer on a real inactive domain, define it with VALIDATE, read
// libvirt's XML back and compare the field through its description. A new field cannot be added
// without a sample (or a stated reason why it cannot be round-tripped).

import * as assert from 'node:assert/strict';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { readValue } from '../../../src/libvirt/xml/kinds/access';
import { DOMAIN_SECTIONS } from '../../../src/libvirt/xml/kinds/domain';
import { DEVICE_DESCRIPTIONS, describedDevices } from '../../../src/libvirt/xml/kinds/registry';
import type { FieldDescription, RoundTrip } from '../../../src/libvirt/xml/kinds/types';
import { addDevice, applyChanges, sectionTarget } from '../../../src/forms/apply';
import { ApplyRefusedError, type FieldChange, type FormValue } from '../../../src/forms/formSchema';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'formsrt-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA;
let counter = 0;

const base = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/formsrt-base.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:f0:00:01'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;

function matches(f: FieldDescription, rt: Extract<RoundTrip, { samples: unknown }>, sample: FormValue, back: FormValue, where: string): void {
  if (rt.expect !== undefined) assert.match(String(back), new RegExp(rt.expect), `${where}: libvirt gave back ${String(back)}`);
  else assert.equal(back, sample, `${where}: set ${String(sample)}, libvirt gave back ${String(back)}`);
  void f;
}

describe('every described field round-trips through libvirt (integration, generated)', function () {
  this.timeout(120000);
  let conn: Connection;
  const refs: DomainRef[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) {
      if (d.name.startsWith(PREFIX)) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
  });
  afterEach(async () => {
    for (const r of refs.splice(0)) await conn.domainUndefine(r, UNDEFINE).catch(() => undefined);
  });
  after(async () => {
    await conn?.close();
  });

  /** Defines `xml` with VALIDATE under its unique name and returns libvirt's inactive XML. */
  async function defineAndRead(xml: string): Promise<DomainXml> {
    const ref = await conn.domainDefineXml(xml, VirDomainDefineFlags.VALIDATE);
    refs.push(ref);
    // SECURE: libvirt shows a display's password only with it.
    return DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE));
  }
  const uniqueName = (): string => `${PREFIX}${process.pid}-${++counter}`;
  const withChanges = (section: string, rt: Extract<RoundTrip, { samples: unknown }>, id: string, sample: FormValue): FieldChange[] => [
    ...Object.entries(rt.with ?? {}).map(([field, value]) => ({ section, field, value })),
    { section, field: id, value: sample },
  ];

  for (const s of DOMAIN_SECTIONS) {
    for (const f of s.fields) {
      const rt = f.roundTrip;
      if ('exempt' in rt) {
        it(`${s.id}.${f.id} is exempt: ${rt.exempt}`, () => {
          if (f.widget === 'readonly' || f.hostValue) assert.throws(() => applyChanges(base(uniqueName()), [{ section: s.id, field: f.id, value: 'x' }]), ApplyRefusedError);
        });
        continue;
      }
      for (const sample of rt.samples) {
        it(`${s.id}.${f.id} = ${JSON.stringify(sample)}`, async () => {
          const dom = applyChanges(base(uniqueName()), withChanges(s.id, rt, f.id, sample));
          const back = await defineAndRead(dom.toString());
          matches(f, rt, sample, readValue(f, back, back.element), `${s.id}.${f.id}`);
        });
      }
    }
  }

  for (const d of DEVICE_DESCRIPTIONS) {
    if (d.kind === 'emulator') continue; // part of Overview (overview.emulator)
    for (const f of d.fields) {
      const rt = f.roundTrip;
      if ('exempt' in rt) {
        it(`${d.kind}.${f.id} is exempt: ${rt.exempt}`, () => {
          if (f.widget !== 'readonly' && !f.hostValue) return;
          const dom = DomainXml.parse(base(uniqueName()));
          const id = addDevice(dom, d.kind);
          assert.throws(() => applyChanges(dom.toString(), [{ section: id, field: f.id, value: 'x' }]), ApplyRefusedError);
        });
        continue;
      }
      for (const sample of rt.samples) {
        it(`${d.kind}.${f.id} = ${JSON.stringify(sample)}`, async () => {
          const start = DomainXml.parse(base(uniqueName()));
          const id = addDevice(start, d.kind, d.sample);
          const edited = applyChanges(start.toString(), withChanges(id, rt, f.id, sample));
          // The device's identity after the change (the change may be to its target or MAC).
          const nth = start.devicesElement!.elements().indexOf(sectionTarget(start, id)!.element);
          const after = describedDevices(edited).find((x) => x.element === edited.devicesElement!.elements()[nth])!;
          const back = await defineAndRead(edited.toString());
          const target = sectionTarget(back, after.id);
          assert.ok(target, `${d.kind}.${f.id}: libvirt's XML has no device ${after.id}:\n${back.toString()}`);
          matches(f, rt, sample, readValue(f, back, target.element), `${d.kind}.${f.id}`);
        });
      }
    }
  }
});
