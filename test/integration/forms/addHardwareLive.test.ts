// Add Hardware on a running TCG VM without a guest OS (real libvirtd): Finish plugs a virtio disk on
// a new volume, a NIC, a guest-agent channel, a serial port and a USB controller into the running
// VM (checked in libvirt's live XML) and its definition; a device QEMU cannot hot-plug is saved for
// the next boot and says so; a hot-plug libvirt refuses asks, and "no" leaves both definitions as
// they were. Unplugging through the details model: what goes without a guest, and what waits for
// one (PCI devices are unplugged by the guest's ACPI hot-plug handler, which this VM lacks).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddHardwareModel } from '../../../src/forms/addHardware';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { ApplyRefusedError, type FormValue } from '../../../src/forms/formSchema';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { describedDevices } from '../../../src/libvirt/xml/kinds/registry';
import { leftoverOfDeadRun } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'addhwlive-';
const RUN = `${PREFIX}${process.pid}-`;

const vmXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    ${Array.from({ length: 14 }, (_, i) => `<controller type='pci' index='${i + 1}' model='pcie-root-port'/>`).join('\n    ')}
    <controller type='virtio-serial' index='0'/>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
  </devices>
</domain>`;

describe('Add Hardware on a running VM (integration)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let dom: DomainRef;
  let pool: StoragePoolRef;
  let poolDir: string;
  let answer = false;
  const asked: string[] = [];
  let model: AddHardwareModel;
  let details: DomainDetailsModel;

  const live = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, 0));
  const inactive = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE));
  const ids = (d: DomainXml): string[] => describedDevices(d).map((x) => x.id);
  const form = async (kind: string): Promise<Record<string, FormValue>> => ({ ...(await model.load()).kinds.find((k) => k.id === kind)!.values });

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains(0)) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
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
    dom = await conn.domainDefineXml(vmXml(`${RUN}vm`));
    await conn.domainCreate(dom);
    model = new AddHardwareModel(conn, dom, {
      confirmNextBoot: async (q) => {
        asked.push(q);
        return answer;
      },
    });
    details = new DomainDetailsModel(conn, dom, { stateLabel: (s) => String(s) });
  });

  after(async () => {
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    if (pool) {
      for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
    }
    if (poolDir) fs.rmSync(poolDir, { recursive: true, force: true });
    await conn?.close();
  });

  /** Finishes and checks the new device is in the live XML and the definition. */
  async function plug(kind: string, values: Record<string, FormValue>): Promise<string> {
    const before = new Set(ids(await live()));
    const out = await model.finish(kind, values);
    assert.equal(out.live, true, out.summary);
    assert.match(out.summary, /plugged into the running VM/);
    const added = ids(await live()).filter((i) => !before.has(i));
    assert.ok(added.includes(out.device), `live XML has ${out.device}: ${added.join(', ')}`);
    assert.ok(ids(await inactive()).includes(out.device), `definition has ${out.device}`);
    return out.device;
  }

  const devices: Record<string, string> = {};

  it('plugs in a virtio disk on a new qcow2 volume', async () => {
    devices.disk = await plug('disk', { ...(await form('disk')), pool: `${RUN}pool`, volumeName: `${RUN}d`, capacity: 0.01 });
    assert.match(devices.disk, /^disk:vd/);
  });

  it('plugs in a NIC on the default network', async () => {
    devices.nic = await plug('interface', { ...(await form('interface')), sourceNetwork: 'default' });
  });

  it('plugs in a QEMU guest agent channel', async () => {
    devices.channel = await plug('channel', await form('channel'));
    assert.equal(devices.channel, 'channel:org.qemu.guest_agent.0');
  });

  it('plugs in a serial port (USB, as ISA ports cannot be hot-plugged)', async () => {
    devices.serial = await plug('serial', { ...(await form('serial')), targetType: 'usb-serial' });
  });

  it('plugs in a SCSI controller; a USB controller waits for the next boot (libvirt cannot hot-plug one)', async () => {
    devices.scsi = await plug('controller', { ...(await form('controller')), type: 'scsi', model: 'virtio-scsi', index: undefined });
    assert.match(devices.scsi, /^controller:scsi:/);
    const before = ids(await live());
    const out = await model.finish('controller', await form('controller'));
    assert.equal(out.live, false);
    assert.match(out.device, /^controller:usb:/);
    assert.match(out.summary, /next boot/);
    assert.deepEqual(ids(await live()), before, 'the live XML is unchanged');
    assert.ok(ids(await inactive()).includes(out.device));
  });

  it('adds a sound card for the next boot and says so', async () => {
    const before = ids(await live());
    const out = await model.finish('sound', await form('sound'));
    assert.equal(out.live, false);
    assert.match(out.summary, /next boot/);
    assert.deepEqual(ids(await live()), before, 'the live XML is unchanged');
    assert.ok(ids(await inactive()).includes(out.device));
  });

  it('a refused hot-plug asks; "no" changes nothing, "yes" adds it for the next boot', async () => {
    // QEMU cannot hot-plug a SATA disk (libvirt: disk bus 'sata' cannot be hotplugged).
    const values = { ...(await form('disk')), create: 'existing', sourceFile: undefined, device: 'cdrom', bus: 'sata', target: 'sdz', driverType: 'raw', readonly: true };
    const [liveBefore, defBefore] = [(await live()).toString(), (await inactive()).toString()];
    asked.length = 0;
    answer = false;
    await assert.rejects(model.finish('disk', values), (e: unknown) => ApplyRefusedError.is(e) && /refused/.test(e.message));
    assert.equal(asked.length, 1, 'asked once');
    assert.equal((await inactive()).toString(), defBefore, 'definition unchanged');
    assert.equal((await live()).toString(), liveBefore, 'live XML unchanged');
    answer = true;
    const out = await model.finish('disk', values);
    assert.equal(out.live, false);
    assert.match(out.summary, /next boot/);
    assert.ok(ids(await inactive()).includes('disk:sdz'));
    assert.ok(!ids(await live()).includes('disk:sdz'));
  });

  it('unplugs: the channel and the USB serial port go at once; PCI devices wait for the guest', async () => {
    const gone: Record<string, boolean> = {};
    for (const [name, id] of Object.entries(devices)) {
      await details.remove(id);
      assert.ok(!ids(await inactive()).includes(id), `${id} left the definition`);
      gone[name] = !ids(await live()).includes(id);
    }
    // virtio-serial ports and USB devices are unplugged by QEMU alone; PCIe devices (disk, NIC,
    // SCSI controller) need the guest to acknowledge the PCIe hot-unplug request.
    assert.deepEqual(gone, { disk: false, nic: false, channel: true, serial: true, scsi: false });
  });
});
