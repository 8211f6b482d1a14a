// The VM details model's CPUs, OS and direct kernel boot on a real libvirtd: pinning, NUMA cells
// and features applied and read back; CPU lists checked against the host's CPU count
// (nodeGetInfo); NUMA cells naming a vCPU the VM does not have refused with nothing changed; the OS
// field offering libosinfo's list (the real osinfo-db); kernel paths offered from the volumes of
// the host's active pools.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DomainDetailsModel } from '../../../src/forms/domainDetailsModel';
import { ApplyRefusedError, type DetailsSnapshot, type FieldChange } from '../../../src/forms/formSchema';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { machineTypes, parseCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'cpuosboot-';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const vmXml = (name: string): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices/>
</domain>`;

describe('VM details model: CPUs, OS list and kernel paths (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let dom: DomainRef;
  let pool: StoragePoolRef;
  let dir: string;
  let model: DomainDetailsModel;
  let hostCpus: number;
  const name = `${PREFIX}${process.pid}-vm`;

  const cpus = (changes: [string, string | boolean | undefined][]): FieldChange[] => changes.map(([field, value]) => ({ section: 'cpus', field, value }));
  const inactive = async (): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
  const field = (snap: DetailsSnapshot, section: string, id: string) => snap.sections.find((s) => s.id === section)!.fields.find((f) => f.id === id)!;

  before(async () => {
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(d.name);
      if (m && !processAlive(Number(m[1]))) await conn.domainUndefine(d, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    }
    for (const p of await conn.connectListAllStoragePools()) {
      const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(p.name);
      if (!m || processAlive(Number(m[1]))) continue;
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    hostCpus = (await conn.nodeGetInfo()).cpus;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'vmlinuz-test'), Buffer.alloc(4096));
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${PREFIX}${process.pid}-pool</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolCreate(pool);
    dom = await conn.domainDefineXml(vmXml(name));
    model = new DomainDetailsModel(conn, dom, { stateLabel: () => 'shut off', osinfo: new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined) });
  });

  after(async () => {
    if (dom) await conn.domainUndefine(dom, VirDomainUndefineFlagsValues.NVRAM).catch(() => undefined);
    if (pool) {
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('offers libosinfo\'s OS list and the pool volumes as kernel, initrd and DTB paths', async () => {
    const snap = await model.load();
    const osField = field(snap, 'os', 'osinfo');
    assert.equal(osField.widget, 'select');
    assert.equal(osField.allowCustom, true, 'free text stays possible');
    assert.deepEqual(
      osField.options?.find((o) => o.value === 'http://debian.org/debian/11'),
      { value: 'http://debian.org/debian/11', label: 'Debian 11 (debian11)', detail: 'http://debian.org/debian/11 · released 2021-08-14' },
    );
    assert.ok((osField.options?.length ?? 0) > 500);
    const volume = path.join(dir, 'vmlinuz-test');
    for (const id of ['kernel', 'initrd', 'dtb']) {
      const f = field(snap, 'boot', id);
      assert.equal(f.allowCustom, true);
      assert.ok(f.options?.some((o) => o.value === volume && o.detail === `vmlinuz-test in pool ${PREFIX}${process.pid}-pool`), `${id}: ${JSON.stringify(f.options)}`);
    }
  });

  it('applies pinning, emulator pinning, NUMA cells and features, read back from libvirt', async () => {
    await model.apply(cpus([['vcpuPin', '0:0; 1:0'], ['emulatorPin', '0'], ['numaCells', '0:128; 1:128'], ['cpuMode', 'host-model'], ['cpuFeatures', 'vmx:disable']]));
    const d = await inactive();
    assert.deepEqual(d.vcpuPins, [{ vcpu: 0, cpuset: '0' }, { vcpu: 1, cpuset: '0' }]);
    assert.equal(d.element.find(['cputune', 'emulatorpin'])?.attr('cpuset'), '0');
    assert.deepEqual(d.element.find(['cpu', 'numa'])!.elements('cell').map((c) => [c.attr('id'), c.attr('cpus'), c.attr('memory')]), [['0', '0', '131072'], ['1', '1', '131072']]);
    assert.deepEqual(d.cpuFeatures, [{ name: 'vmx', policy: 'disable' }]);
    const snap = await model.load();
    assert.equal(snap.sections.find((s) => s.id === 'cpus')!.values.numaCells, '0:128; 1:128');
  });

  it('checks CPU lists against the host\'s CPU count from nodeGetInfo', async () => {
    const problems = await model.check(cpus([['vcpuPin', `0:0; 1:${hostCpus}`]]));
    assert.deepEqual(
      problems.filter((p) => p.field === 'vcpuPin').map((p) => [p.section, p.severity, p.message]),
      [['cpus', 'error', `The host has ${hostCpus} CPU${hostCpus > 1 ? 's' : ''} (0-${hostCpus - 1}); there is no host CPU ${hostCpus}`]],
    );
    await assert.rejects(model.apply(cpus([['emulatorPin', String(hostCpus + 3)]])), (e: unknown) => ApplyRefusedError.is(e) && e.problems.some((p) => p.field === 'emulatorPin'));
    assert.equal((await inactive()).element.find(['cputune', 'emulatorpin'])?.attr('cpuset'), '0', 'nothing changed');
  });

  it("holds the vCPUs to the machine type's limit in the host's capabilities, before libvirt is asked", async () => {
    const d = await inactive();
    const machine = d.get('machine')!;
    const limit = machineTypes(parseCapabilities(await conn.connectGetCapabilities()), d.get('arch') ?? 'x86_64', d.get('type') ?? 'qemu').find((m) => m.name === machine)?.maxCpus;
    assert.ok(limit !== undefined && limit > 2, `a vCPU limit for ${machine}`);
    const over = [{ section: 'cpus', field: 'vcpus', value: limit + 1 }];
    const problems = await model.check(over);
    assert.ok(
      problems.some((p) => p.section === 'cpus' && p.field === 'vcpus' && p.severity === 'error' && p.message === `Machine type '${machine}' takes at most ${limit} vCPUs (this VM has ${limit + 1})`),
      JSON.stringify(problems),
    );
    assert.deepEqual((await model.check([{ section: 'cpus', field: 'vcpus', value: 2 }])).filter((p) => p.field === 'vcpus'), []);
    await assert.rejects(model.apply(over), (e: unknown) => ApplyRefusedError.is(e) && e.problems.some((p) => p.field === 'vcpus'));
    assert.equal((await inactive()).get('vcpus'), d.get('vcpus'), 'nothing changed');
  });

  // A cell without every vCPU, or cells that do not add up to the memory, libvirt accepts (it
  // completes them): warnings. A vCPU the VM does not have it refuses.
  it('refuses NUMA cells that name a vCPU the VM does not have, changing nothing', async () => {
    const before = await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE);
    await assert.rejects(model.apply(cpus([['numaCells', '0-2:256']])), (e: unknown) => {
      assert.ok(ApplyRefusedError.is(e));
      assert.deepEqual(e.problems.map((p) => [p.field, p.message]), [['numaCells', 'NUMA cells name vCPU 2 but the VM has 2 vCPUs (0-1)']]);
      return true;
    });
    assert.equal(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE), before);
  });
});
