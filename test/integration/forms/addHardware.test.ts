// Generated from the descriptions: every kind Add Hardware offers, with its defaults and then with
// every sample of its fields and setup fields, is added through the model's Finish (the dialog's
// own code path: checks, prepare, addDevice with companions, define with VALIDATE) to a real
// q35/UEFI VM and a real i440fx/BIOS VM, and read back from libvirt. A new kind or field cannot
// be offered without its samples (or a stated reason why not). Also: a refusal adds nothing and
// names the field; a new volume is created in a pool and deleted again when the define is refused.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddHardwareModel, addFields, addableKinds } from '../../../src/forms/addHardware';
import { ApplyRefusedError, type FormValue } from '../../../src/forms/formSchema';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainDefineFlags, VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { readValue } from '../../../src/libvirt/xml/kinds/access';
import { describedDevices } from '../../../src/libvirt/xml/kinds/registry';
import type { DeviceDescription, FieldDescription, RoundTrip, Values } from '../../../src/libvirt/xml/kinds/types';
import { OSINFO_DIR, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { OsinstallCatalog, parseOsinstallXml } from '../../../src/libvirt/osinfoMedia';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'addhw-';
const RUN = `${PREFIX}${process.pid}-`;
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA;
let counter = 0;

const MACHINES = [
  {
    name: 'q35/UEFI',
    os: `<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type><firmware><feature enabled='no' name='secure-boot'/></firmware></os>`,
  },
  { name: 'i440fx/BIOS', os: `<os><type arch='x86_64' machine='pc'>hvm</type></os>` },
];

const vmXml = (name: string, osXml: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>1</vcpu>
  ${osXml}
  <features><acpi/><apic/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
`;

type Samples = Extract<RoundTrip, { samples: unknown }>;

describe('Add Hardware: every kind and option added through Finish to real VMs (integration, generated)', function () {
  this.timeout(300_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let poolDir: string;
  const refs: DomainRef[] = [];
  const caps = new Map<string, Promise<DomainCapabilities | undefined>>();

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    for (const p of await conn.connectListAllStoragePools(0)) {
      if (!leftoverOfDeadRun(p.name, PREFIX)) continue;
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    poolDir = fs.mkdtempSync(path.join(os.tmpdir(), RUN));
    fs.chmodSync(poolDir, 0o755);
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${RUN}pool</name><target><path>${poolDir}</path></target></pool>`);
    await conn.storagePoolCreate(pool);
  });
  afterEach(async () => {
    for (const r of refs.splice(0)) await conn.domainUndefine(r, UNDEFINE).catch(() => undefined);
  });
  after(async () => {
    if (pool) {
      for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
    }
    if (poolDir) fs.rmSync(poolDir, { recursive: true, force: true });
    await conn?.close();
  });

  /** Host-specific setup values: every new volume goes into this run's pool. */
  const hostValues = (d: DeviceDescription): Values => (d.kind === 'disk' ? { pool: `${RUN}pool`, volumeName: `${RUN}v${++counter}` } : {});

  async function newVm(osXml: string): Promise<{ ref: DomainRef; model: AddHardwareModel; before: Set<string> }> {
    const ref = await conn.domainDefineXml(vmXml(`${RUN}${++counter}`, osXml), VirDomainDefineFlags.VALIDATE);
    refs.push(ref);
    const model = new AddHardwareModel(conn, ref, { capabilitiesCache: caps, confirmNextBoot: async () => false });
    return { ref, model, before: new Set(describedDevices(await read(ref)).map((x) => x.id)) };
  }
  async function read(ref: DomainRef): Promise<DomainXml> {
    return DomainXml.parse(await conn.domainGetXmlDesc(ref, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE));
  }

  /** Finishes with `values` over the kind's prefilled form and returns the new device of the kind as libvirt has it. */
  async function addAndReadBack(osXml: string, d: DeviceDescription, values: (form: Values) => Values): Promise<{ back: DomainXml; el: import('../../../src/libvirt/xml/xmlDocument').XmlElement }> {
    const { ref, model, before } = await newVm(osXml);
    const snap = await model.load();
    const form = snap.kinds.find((k) => k.id === d.kind);
    assert.ok(form, `${d.kind} is offered`);
    const v = values({ ...form.values, ...hostValues(d) });
    await model.finish(d.kind, v);
    const back = await read(ref);
    const added = describedDevices(back).filter((x) => x.element.name === d.element && !before.has(x.id));
    assert.equal(added.length, 1, `one new ${d.element} in libvirt's XML:\n${back.toString()}`);
    return { back, el: added[0]!.element };
  }

  for (const m of MACHINES) {
    describe(m.name, () => {
      for (const d of addableKinds()) {
        const fields = addFields(d);
        const setupIds = new Set((d.add?.setup ?? []).map((f) => f.id));

        it(`${d.kind} with the defaults for this VM`, async () => {
          const { back, el } = await addAndReadBack(m.os, d, (form) => ({ ...form, ...(d.sample ?? {}) }));
          // Every default the form showed for a device field is what libvirt has.
          const snapValues = (await (await newVm(m.os)).model.load()).kinds.find((k) => k.id === d.kind)!.values;
          for (const f of fields) {
            if (setupIds.has(f.id) || snapValues[f.id] === undefined || f.id === 'mac' || f.id === 'target' || f.id === 'index' || f.id === 'id') continue;
            assert.equal(readValue(f, back, el), snapValues[f.id], `${d.kind}.${f.id}: default ${String(snapValues[f.id])}`);
          }
        });

        for (const f of fields) {
          const rt = f.roundTrip;
          if ('exempt' in rt) continue; // the reason is in the description (and in formsRoundTrip's list)
          for (const sample of rt.samples) {
            it(`${d.kind}.${f.id} = ${JSON.stringify(sample)}`, async () => {
              const setup = setupIds.has(f.id);
              const { back, el } = await addAndReadBack(m.os, d, (form) => ({
                ...form,
                ...(d.sample ?? {}),
                ...(setup ? {} : (d.add?.sampleWith ?? {})),
                ...(rt.with ?? {}),
                [f.id]: sample,
              }));
              if (setup) return; // a setup value has no XML of its own: the device was added with it (see the storage tests below)
              check(f, rt, sample, readValue(f, back, el), `${d.kind}.${f.id}`);
            });
          }
        }
      }
    });
  }

  describe('storage', () => {
    it('a new qcow2 volume is created in the chosen pool and the disk uses it', async () => {
      const d = addableKinds().find((k) => k.kind === 'disk')!;
      const { el } = await addAndReadBack(MACHINES[0]!.os, d, (form) => ({ ...form, capacity: 0.5, driverType: 'qcow2', volumeName: `${RUN}qcow` }));
      const file = el.child('source')?.attr('file');
      assert.equal(file, path.join(poolDir, `${RUN}qcow.qcow2`));
      const vol = await conn.storageVolLookupByPath(file!);
      const info = await conn.storageVolGetInfo(vol);
      assert.equal(info.capacity, 512 * 1024 * 1024);
    });

    it('a refused define adds nothing and deletes the volume it created', async () => {
      const { ref, model } = await newVm(MACHINES[0]!.os);
      const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
      const before = (await read(ref)).toString();
      // A serial number libvirt refuses (it allows no such characters) but our checks let through.
      const name = `${RUN}refused`;
      await assert.rejects(model.finish('disk', { ...form.values, pool: `${RUN}pool`, volumeName: name, capacity: 0.01, serial: 'bad serial\u0001' }), ApplyRefusedError);
      assert.equal((await read(ref)).toString(), before, 'the definition is unchanged');
      const names = (await conn.storagePoolListAllVolumes(pool)).map((v) => v.name);
      assert.ok(!names.some((n) => n.startsWith(name)), `the volume is gone: ${names.join(', ')}`);
    });

    it('a volume name taken in the pool is an error on the name field, before anything is created', async () => {
      const { model } = await newVm(MACHINES[0]!.os);
      const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
      await conn.storageVolCreateXml(pool, `<volume><name>${RUN}taken.qcow2</name><capacity>1048576</capacity><target><format type='qcow2'/></target></volume>`);
      const r = await model.check('disk', { ...form.values, pool: `${RUN}pool`, volumeName: `${RUN}taken` });
      assert.ok(r.problems.some((p) => p.field === 'volumeName' && p.severity === 'error'), JSON.stringify(r.problems));
    });

    it('a SCSI disk brings a virtio-scsi controller; a CD-ROM follows the machine type', async () => {
      const { ref, model } = await newVm(MACHINES[1]!.os);
      const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
      const derived = (await model.check('disk', { ...form.values, device: 'cdrom' }, 'device')).derived;
      assert.equal(derived.bus, 'ide', 'i440fx: IDE CD-ROM');
      assert.equal(derived.create, 'existing');
      const out = await model.finish('disk', { ...form.values, pool: `${RUN}pool`, volumeName: `${RUN}scsi`, capacity: 0.01, bus: 'scsi', target: 'sda' });
      assert.match(out.summary, /SCSI/);
      const back = await read(ref);
      assert.ok(back.devicesOf('controller').some((c) => c.get('type') === 'scsi' && c.get('model') === 'virtio-scsi'), back.toString());
    });
  });

  describe("defaults by the guest OS (the host's osinfo-db)", () => {
    const catalog = (async () => {
      const files = await readLocalOsinfoFiles();
      assert.ok(files, `osinfo-db is installed here (${OSINFO_DIR})`);
      return new OsinstallCatalog(files.flatMap(parseOsinstallXml));
    })();
    const formsFor = async (osXml: string, osId: string | undefined, drivers: boolean): Promise<{ model: AddHardwareModel; values: Record<string, Values> }> => {
      const dom = DomainXml.parse(vmXml(`${RUN}${++counter}`, osXml));
      if (osId !== undefined) dom.osinfoId = osId;
      const ref = await conn.domainDefineXml(dom.toString(), VirDomainDefineFlags.VALIDATE);
      refs.push(ref);
      const model = new AddHardwareModel(conn, ref, { capabilitiesCache: caps, confirmNextBoot: async () => false, ...(drivers ? { guestDrivers: () => catalog } : {}) });
      const kinds = (await model.load()).kinds;
      return { model, values: Object.fromEntries(kinds.map((k) => [k.id, k.values])) };
    };
    const defaultsFor = async (osXml: string, osId: string | undefined, drivers: boolean): Promise<Record<string, Values>> => (await formsFor(osXml, osId, drivers)).values;
    const pick = (v: Record<string, Values>): string[] => [String(v.disk!.bus), String(v.disk!.target), String(v.interface!.model), String(v.video!.model), String(v.sound!.model)];

    it('an OS without VirtIO drivers (Fedora 8) gets SATA/IDE disks, an Intel NIC, QXL and AC97 sound, each valid for libvirt', async () => {
      const fedora8 = 'http://fedoraproject.org/fedora/8';
      assert.deepEqual(pick(await defaultsFor(MACHINES[0]!.os, fedora8, true)), ['sata', 'sda', 'e1000e', 'qxl', 'ac97']);
      const { model, values: pc } = await formsFor(MACHINES[1]!.os, fedora8, true);
      assert.deepEqual(pick(pc), ['ide', 'hda', 'e1000', 'qxl', 'ac97']);
      // Without osinfo-db the machine type's defaults stay (VirtIO for any OS but Windows, HDA by chipset).
      assert.deepEqual(pick(await defaultsFor(MACHINES[1]!.os, fedora8, false)), ['virtio', 'vda', 'virtio', 'virtio', 'ich6']);
      // The OS's defaults are what Finish defines (VALIDATE) and libvirt reads back.
      await model.finish('disk', { ...pc.disk!, pool: `${RUN}pool`, volumeName: `${RUN}f8`, capacity: 0.01 });
      await model.finish('interface', { ...pc.interface!, sourceNetwork: 'default' });
      await model.finish('sound', pc.sound!);
      const back = await read(model.domain);
      assert.ok(back.devicesOf('disk').some((d) => d.get('bus') === 'ide' && d.get('target') === 'hda'), back.toString());
      assert.ok(back.devicesOf('interface').some((i) => i.get('model') === 'e1000'), back.toString());
      assert.ok(back.devicesOf('sound').some((s) => s.get('model') === 'ac97'), back.toString());
    });

    it('Windows 10 gets the devices osinfo-db lists for it; Debian 11 gets VirtIO; an unknown OS keeps the machine defaults', async () => {
      assert.deepEqual(pick(await defaultsFor(MACHINES[0]!.os, 'http://microsoft.com/win/10', true)), ['sata', 'sda', 'e1000e', 'qxl', 'ich9']);
      assert.deepEqual(pick(await defaultsFor(MACHINES[0]!.os, 'http://debian.org/debian/11', true)), ['virtio', 'vda', 'virtio', 'virtio', 'ich9']);
      assert.deepEqual(pick(await defaultsFor(MACHINES[0]!.os, 'http://example.org/no-such-os/1', true)), ['virtio', 'vda', 'virtio', 'virtio', 'ich9']);
      assert.deepEqual(pick(await defaultsFor(MACHINES[0]!.os, undefined, true)), ['virtio', 'vda', 'virtio', 'virtio', 'ich9']);
    });

    it('the sound card follows the drivers osinfo-db lists: ICH9 where the OS has it (also on i440fx), ICH6 for Windows Server 2008, AC97 for Windows 98', async () => {
      // Windows Server 2008 lists ICH6 HD Audio but not ICH9: on q35 too it gets ich6, which libvirt accepts there.
      const { model, values: w2k8 } = await formsFor(MACHINES[0]!.os, 'http://microsoft.com/win/2k8', true);
      assert.equal(w2k8.sound!.model, 'ich6');
      await model.finish('sound', w2k8.sound!);
      assert.ok((await read(model.domain)).devicesOf('sound').some((s) => s.get('model') === 'ich6'));
      const debianPc = await formsFor(MACHINES[1]!.os, 'http://debian.org/debian/11', true);
      assert.equal(debianPc.values.sound!.model, 'ich9', 'a modern OS on i440fx gets ICH9 (a PCI device there too)');
      await debianPc.model.finish('sound', debianPc.values.sound!);
      assert.ok((await read(debianPc.model.domain)).devicesOf('sound').some((s) => s.get('model') === 'ich9'));
      assert.equal((await defaultsFor(MACHINES[1]!.os, 'http://microsoft.com/win/98', true)).sound!.model, 'ac97');
    });

    it('an OS with neither virtio-gpu nor QXL drivers (FreeBSD 13.1) gets VGA as its first video device and QXL as a second, which libvirt takes', async () => {
      const { model, values } = await formsFor(MACHINES[1]!.os, 'http://freebsd.org/freebsd/13.1', true);
      assert.equal(values.video!.model, 'vga');
      await model.finish('video', values.video!);
      const second = (await model.load()).kinds.find((k) => k.id === 'video')!.values;
      assert.equal(second.model, 'qxl', 'libvirt refuses a second VGA device');
      await model.finish('video', second);
      assert.deepEqual((await read(model.domain)).devicesOf('video').map((v) => v.get('model')), ['vga', 'qxl']);
    });
  });

  it('a SPICE port (serial) brings the SPICE display it needs', async () => {
    const d = addableKinds().find((k) => k.kind === 'serial')!;
    const { back, el } = await addAndReadBack(MACHINES[0]!.os, d, (form) => ({ ...form, type: 'spiceport', sourceChannel: 'org.forms.port.0' }));
    assert.equal(el.child('source')?.attr('channel'), 'org.forms.port.0');
    assert.ok(back.devicesOf('graphics').some((g) => g.get('type') === 'spice'), back.toString());
  });

  it('bad input: a clear message on the field, nothing added', async () => {
    const { ref, model } = await newVm(MACHINES[0]!.os);
    const form = (await model.load()).kinds.find((k) => k.id === 'interface')!;
    const before = (await read(ref)).toString();
    const r = await model.check('interface', { ...form.values, mac: '01:00:5e:00:00:01' });
    assert.ok(r.problems.some((p) => p.field === 'mac' && /multicast/.test(p.message)), JSON.stringify(r.problems));
    await assert.rejects(model.finish('interface', { ...form.values, mac: 'nonsense' }), (e: unknown) => ApplyRefusedError.is(e) && e.problems.some((p) => p.field === 'mac'));
    assert.equal((await read(ref)).toString(), before);
  });

  it('a MAC or a VSOCK CID another VM on the host uses is refused', async () => {
    const other = await newVm(MACHINES[0]!.os);
    const otherForm = (await other.model.load()).kinds;
    const mac = String(otherForm.find((k) => k.id === 'interface')!.values.mac);
    await other.model.finish('interface', { ...otherForm.find((k) => k.id === 'interface')!.values, sourceNetwork: 'default' });
    await other.model.finish('vsock', { ...otherForm.find((k) => k.id === 'vsock')!.values, cidAuto: false, cidAddress: 4242 });
    const { model } = await newVm(MACHINES[0]!.os);
    const kinds = (await model.load()).kinds;
    const nic = await model.check('interface', { ...kinds.find((k) => k.id === 'interface')!.values, mac });
    assert.ok(nic.problems.some((p) => p.field === 'mac' && p.message.includes(other.ref.name)), JSON.stringify(nic.problems));
    const vsock = await model.check('vsock', { ...kinds.find((k) => k.id === 'vsock')!.values, cidAuto: false, cidAddress: 4242 });
    assert.ok(vsock.problems.some((p) => p.field === 'cidAddress' && p.message.includes(other.ref.name)), JSON.stringify(vsock.problems));
  });
});

function check(f: FieldDescription, rt: Samples, sample: FormValue, back: FormValue, where: string): void {
  if (rt.expect !== undefined) assert.match(String(back), new RegExp(rt.expect), `${where}: libvirt gave back ${String(back)}`);
  else assert.equal(back, sample, `${where}: set ${String(sample)}, libvirt gave back ${String(back)}`);
  void f;
}
