// The VM details model on a running TCG VM (real libvirtd): changes virt-manager applies live
// (current vCPUs, balloon memory, CD-ROM media insert/eject, NIC link state) reach libvirt's live
// XML at once and its persistent definition too; a change that waits for the next boot is said
// so and leaves the live XML alone; removing a device from a running VM; a refused Apply changes
// nothing.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { ApplyRefusedError } from '../../../src/forms/formSchema';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'livapply-';
const MAC = `52:54:00:${crypto.randomBytes(3).toString('hex').match(/../g)!.join(':')}`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const vmXml = (name: string, iso: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='MiB'>256</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='${iso}'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='${MAC}'/>
      <source network='default'/>
      <model type='e1000'/>
    </interface>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
    <memballoon model='virtio'/>
  </devices>
</domain>`;

describe('VM details model: live changes on a running VM (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let dom: DomainRef;
  let model: DomainDetailsModel;
  let dir: string;
  let iso: string;
  const nic = `interface:${MAC}`;

  const live = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, 0));
  const inactive = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
  const cdromSource = (d: DomainXml): string | undefined => d.devicesElement?.elements().find((e) => e.name === 'disk')?.find(['source'])?.attr('file');
  const linkState = (d: DomainXml): string | undefined => d.devicesElement?.elements().find((e) => e.name === 'interface')?.find(['link'])?.attr('state');

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(d.name);
      if (!m || processAlive(Number(m[1]))) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    iso = path.join(dir, 'one.iso');
    fs.writeFileSync(iso, Buffer.alloc(64 * 1024));
    fs.writeFileSync(path.join(dir, 'two.iso'), Buffer.alloc(64 * 1024));
    dom = await conn.domainDefineXml(vmXml(`${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`, iso));
    await conn.domainCreate(dom);
    model = new DomainDetailsModel(conn, dom, { stateLabel: (s) => String(s) });
    const snap = await model.load();
    assert.equal(snap.running, true);
    assert.ok(snap.sections.some((s) => s.id === nic), snap.sections.map((s) => s.id).join(' '));
  });

  after(async () => {
    if (dom) {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sets the current vCPUs live and in the definition', async () => {
    const r = await model.apply([{ section: 'cpus', field: 'vcpuCurrent', value: 2 }]);
    assert.deepEqual(r, { appliedLive: ['CPUs: Current vCPUs'], nextBoot: [] });
    assert.equal((await live()).get('vcpuCurrent') ?? (await live()).get('vcpus'), 2);
    assert.equal((await inactive()).get('vcpuCurrent') ?? (await inactive()).get('vcpus'), 2);
  });

  it('changes the balloon live', async () => {
    const r = await model.apply([{ section: 'memory', field: 'currentMemory', value: 192 }]);
    // libvirt accepted the live balloon request (virDomainSetMemoryFlags LIVE). The live XML shows
    // what the guest's balloon driver reports, and this VM has no guest OS to answer, so only
    // the request and the definition can be checked here.
    assert.deepEqual(r, { appliedLive: ['Memory: Current allocation'], nextBoot: [] });
    assert.equal((await inactive()).currentMemoryKiB, 192 * 1024);
  });

  it('changes, ejects and inserts CD-ROM media live', async () => {
    const other = path.join(dir, 'two.iso');
    let r = await model.apply([{ section: 'disk:hdc', field: 'sourceFile', value: other }]);
    assert.equal(r.appliedLive.length, 1, JSON.stringify(r));
    assert.equal(cdromSource(await live()), other);
    r = await model.apply([{ section: 'disk:hdc', field: 'sourceFile', value: undefined }]);
    assert.equal(r.appliedLive.length, 1, JSON.stringify(r));
    assert.equal(cdromSource(await live()), undefined, 'ejected');
    r = await model.apply([{ section: 'disk:hdc', field: 'sourceFile', value: iso }]);
    assert.equal(cdromSource(await live()), iso, 'inserted again');
    assert.equal(cdromSource(await inactive()), iso);
  });

  it('sets a NIC link down and up live', async () => {
    let r = await model.apply([{ section: nic, field: 'linkState', value: 'down' }]);
    assert.equal(r.appliedLive.length, 1, JSON.stringify(r));
    assert.equal(linkState(await live()), 'down');
    r = await model.apply([{ section: nic, field: 'linkState', value: 'up' }]);
    assert.equal(linkState(await live()), 'up');
  });

  it('says which changes wait for the next boot and leaves the live XML alone', async () => {
    const before = (await live()).memoryKiB;
    const r = await model.apply([
      { section: 'memory', field: 'memory', value: 320 },
      { section: 'overview', field: 'title', value: 'live apply test' },
    ]);
    assert.ok(r.nextBoot.includes('Memory: Maximum allocation'), JSON.stringify(r));
    assert.equal((await live()).memoryKiB, before, 'the running VM keeps its memory');
    assert.equal((await inactive()).memoryKiB, 320 * 1024, 'the definition has the new maximum');
  });

  it('a refused Apply changes neither the definition nor the running VM', async () => {
    const defBefore = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    await assert.rejects(
      model.apply([
        { section: 'cpus', field: 'vcpus', value: 1000 },
        { section: 'overview', field: 'title', value: 'never applied' },
      ]),
      (e: unknown) => ApplyRefusedError.is(e) && e.problems.some((p) => p.section === 'cpus'),
    );
    assert.equal(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE), defBefore);
    assert.notEqual((await live()).get('title'), 'never applied');
  });

  it('removes the NIC from the running VM and from its definition', async () => {
    const r = await model.remove(nic);
    assert.equal(linkState(await inactive()), undefined);
    assert.ok(!(await inactive()).devicesElement?.elements().some((e) => e.name === 'interface'), 'gone from the definition');
    // e1000 on the PCI bus unplugs only with the guest's cooperation: without a guest OS libvirt
    // reports the request; either way the outcome says what happened.
    assert.equal(r.appliedLive.length + r.nextBoot.length, 1, JSON.stringify(r));
  });
});
