// The New VM wizard's further choices on the real libvirtd, each defined with VALIDATE and read
// back: a NIC on a host bridge or on a host NIC through macvtap (the host's bridges and NICs
// listed), virtual networks with their DHCP and TFTP (a PXE warning where neither), an ISO given
// by its path on the host (checked through the storage API), an existing volume as the disk, the
// CPU mode and topology (product checked on its field), the cloud-init seed detached after the
// first boot, and a raw disk that must fit the pool.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beginInstallation, createVm } from '../../../src/forms/createVm';
import { checkPlan } from '../../../src/forms/newDomain';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { initialValues, toRequest, wizardProblems, wizardSteps, type NewVmFacts, type WizardValues } from '../../../src/forms/newVmModel';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { checkHostIso, HostIsoError } from '../../../src/libvirt/resources/installMedia';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { buildPoolXml } from '../../../src/libvirt/resources/pool';
import { parseDomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { WizardController } from '../../../src/webviews/newVm/controller';
import type { ToWebview } from '../../../src/webviews/newVm/protocol';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'wizchoice-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM;
const MiB = 1024 * 1024;

describe('New VM wizard choices: NIC, media, disk, CPU, seed (integration)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  let facts: NewVmFacts;
  const names: string[] = [];
  const nets: string[] = [];
  const tag = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const unique = (what: string): string => {
    const n = `${tag}-${what}`;
    names.push(n);
    return n;
  };
  const inactiveXml = async (name: string): Promise<DomainXml> => DomainXml.parse(await conn.domainGetXmlDesc(await conn.domainLookupByName(name), VirDomainXMLFlags.INACTIVE));
  /** Wizard values over the defaults: small, BIOS, not started. */
  const base = (over: Record<string, string | number | boolean | undefined>): WizardValues => ({ ...initialValues(facts), memory: 128, vcpus: 1, firmware: 'bios', tpm: false, diskSizeGiB: 1, start: false, ...over });

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wizchoice-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${tag}-pool`, targetPath: path.join(dir, 'pool') });
    await createVolume(conn, pool, { name: 'existing.qcow2', format: 'qcow2', capacity: 64 * MiB });
    await createVolume(conn, pool, { name: 'cloud-base.qcow2', format: 'qcow2', capacity: 32 * MiB });
    // Two defined (not started) networks: one that serves PXE (DHCP with a boot file, TFTP), one with neither.
    const third = 200 + (process.pid % 50);
    nets.push(`${tag}-pxe`, `${tag}-bare`);
    await conn.networkDefineXml(
      `<network><name>${tag}-pxe</name><ip address='10.251.${third}.1' prefix='24'><tftp root='${dir}'/><dhcp><range start='10.251.${third}.10' end='10.251.${third}.20'/><bootp file='pxelinux.0'/></dhcp></ip></network>`,
    );
    await conn.networkDefineXml(`<network><name>${tag}-bare</name><ip address='10.252.${third}.1' prefix='24'/></network>`);
    facts = await newVmFacts(conn, undefined);
  });

  after(async () => {
    for (const d of await conn.connectListAllDomains()) {
      if (!names.includes(d.name)) continue;
      if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
    }
    for (const n of await conn.connectListAllNetworks(0)) if (nets.includes(n.name)) await conn.networkUndefine(n).catch(() => undefined);
    const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
    await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it("lists the host's bridges and NICs, and each network's DHCP and TFTP; warns about a PXE network that offers neither", () => {
    const bridges = (facts.bridges ?? []).map((o) => o.value);
    const nics = (facts.hostNics ?? []).map((o) => o.value);
    const def = facts.networks.find((n) => n.name === 'default');
    assert.ok(def, 'the default network');
    // The default network's bridge is a host bridge, named with its network; NICs exclude bridges and lo.
    const defBridge = /virbr\d+/.exec(def.summary ?? '')?.[0];
    assert.ok(defBridge && bridges.includes(defBridge), `${defBridge} in ${bridges.join(', ')}`);
    assert.match(facts.bridges!.find((o) => o.value === defBridge)!.detail ?? '', /bridge of network default/);
    assert.ok(nics.length > 0 && !nics.includes('lo') && !nics.some((n) => bridges.includes(n)), nics.join(', '));
    assert.equal(def.dhcp, true);
    const pxe = facts.networks.find((n) => n.name === `${tag}-pxe`)!;
    const bare = facts.networks.find((n) => n.name === `${tag}-bare`)!;
    assert.deepEqual([pxe.dhcp, pxe.tftp, pxe.bootp], [true, true, true]);
    assert.deepEqual([bare.dhcp, bare.tftp, bare.bootp], [false, false, false]);
    const step = wizardSteps(facts, base({ method: 'pxe' })).find((s) => s.id === 'network')!;
    const options = step.fields.find((f) => f.id === 'network')!.options!;
    assert.match(options.find((o) => o.value === `network:${tag}-pxe`)!.detail ?? '', /inactive.*· DHCP · PXE boot files \(TFTP\)/);
    assert.match(options.find((o) => o.value === `network:${tag}-bare`)!.detail ?? '', /no DHCP/);
    assert.ok(options.some((o) => o.value === 'bridge') && options.some((o) => o.value === 'direct'));
    const warn = (network: string): string[] => wizardProblems(facts, base({ method: 'pxe', diskMode: 'none', network })).filter((p) => p.field === 'network').map((p) => `${p.severity}: ${p.message}`);
    assert.deepEqual(warn(`network:${tag}-pxe`), []);
    assert.match(wizardProblems(facts, base({ method: 'pxe', diskMode: 'none', network: `network:${tag}-pxe`, start: true })).map((p) => `${p.field}:${p.severity}:${p.message}`).join('\n'), /network:warning:Network .*-pxe is not running: start it first/);
    assert.match(warn(`network:${tag}-bare`).join('\n'), /^warning: .*offers neither DHCP nor TFTP/);
  });

  it('a NIC on a host bridge and one on a host NIC through macvtap (mode from the form), defined and read back', async () => {
    const bridge = facts.bridges![0]!.value;
    const nic = facts.hostNics![0]!.value;
    const steps = wizardSteps(facts, base({ network: 'direct' }));
    const modeField = steps.find((s) => s.id === 'network')!.fields.find((f) => f.id === 'netMode')!;
    assert.deepEqual(modeField.options!.map((o) => o.value).sort(), ['bridge', 'passthrough', 'private', 'vepa']);
    assert.match(wizardProblems(facts, base({ network: 'bridge', netBridge: '' })).map((p) => `${p.field}:${p.message}`).join('\n'), /netBridge:Enter the host bridge/);
    assert.ok(wizardProblems(facts, base({ network: 'bridge', netBridge: 'nosuchbr9' })).some((p) => p.field === 'netBridge' && p.severity === 'warning'));

    const a = unique('br');
    // A manual install boots the disk the wizard makes (a Create the wizard once refused: the
    // check looked for a disk in the plan before createVm had made it); with no disk it cannot.
    const manual = base({ method: 'manual', diskMode: 'new', diskPool: pool.name, name: a, network: 'bridge', netBridge: bridge });
    assert.deepEqual(wizardProblems(facts, manual).filter((p) => p.severity === 'error'), []);
    assert.match(wizardProblems(facts, { ...manual, diskMode: 'none' }).filter((p) => p.severity === 'error').map((p) => p.message).join('\n'), /Booting from the disk needs a disk/);
    await createVm(conn, toRequest(facts, manual));
    const ia = (await inactiveXml(a)).devicesOf('interface')[0]!;
    assert.deepEqual([ia.get('type'), ia.get('sourceBridge')], ['bridge', bridge]);

    const b = unique('mvt');
    await createVm(conn, toRequest(facts, base({ method: 'manual', diskMode: 'new', diskPool: pool.name, name: b, network: 'direct', netDev: nic, netMode: 'vepa' })));
    const ib = (await inactiveXml(b)).devicesOf('interface')[0]!;
    assert.deepEqual([ib.get('type'), ib.get('sourceDev'), ib.get('sourceMode')], ['direct', nic, 'vepa']);
  });

  it('an ISO by its path on the host: checked through the storage API (missing, not an ISO, outside any pool), OS detected, the CD-ROM uses the file', async () => {
    const isoDir = path.join(dir, 'isos');
    fs.mkdirSync(isoDir, { mode: 0o755 });
    const iso = makeIso(isoDir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    fs.writeFileSync(path.join(isoDir, 'notes.txt'), 'not an ISO\n'.repeat(8000));
    const poolsBefore = (await conn.connectListAllStoragePools(0)).map((p) => p.name).sort();
    const ids = await checkHostIso(conn, iso);
    assert.equal(ids.volumeId, 'Debian 11.7.0 amd64 n');
    await assert.rejects(checkHostIso(conn, path.join(isoDir, 'notes.txt')), (e: unknown) => HostIsoError.is(e) && /is not an ISO 9660 image/.test(e.message));
    await assert.rejects(checkHostIso(conn, path.join(isoDir, 'gone.iso')), (e: unknown) => HostIsoError.is(e) && /The host has no file .*gone\.iso/.test(e.message));
    await assert.rejects(checkHostIso(conn, path.join(dir, 'no-such-dir', 'x.iso')), (e: unknown) => HostIsoError.is(e) && /Cannot read the directory/.test(e.message));
    await assert.rejects(checkHostIso(conn, 'relative.iso'), /not an absolute path/);
    // A file that appeared in a pool's directory after its last refresh is found too.
    const inPool = path.join(dir, 'pool', 'late.iso');
    fs.copyFileSync(iso, inPool);
    assert.equal((await checkHostIso(conn, inPool)).volumeId, 'Debian 11.7.0 amd64 n');
    assert.deepEqual((await conn.connectListAllStoragePools(0)).map((p) => p.name).sort(), poolsBefore, 'the transient pools of the checks are gone');
    // A directory an inactive pool holds: that pool is named, not a transient one made beside it.
    const idleDir = path.join(dir, 'idle');
    fs.mkdirSync(idleDir, { mode: 0o755 });
    fs.copyFileSync(iso, path.join(idleDir, 'idle.iso'));
    const idle = await conn.storagePoolDefineXml(buildPoolXml({ type: 'dir', name: `${tag}-idle`, targetPath: idleDir }));
    try {
      await assert.rejects(checkHostIso(conn, path.join(idleDir, 'idle.iso')), (e: unknown) => HostIsoError.is(e) && new RegExp(`Pool ${tag}-idle holds .* start it`).test(e.message));
    } finally {
      await conn.storagePoolUndefine(idle);
    }

    // Through the wizard's controller: the check runs when typing pauses, its verdict is on the field.
    const posted: ToWebview[] = [];
    const osinfo = new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined);
    const withOs = await newVmFacts(conn, osinfo);
    const log = { warn: (): void => undefined, error: (): void => undefined, info: (): void => undefined };
    const c = new WizardController(conn, withOs, (m) => posted.push(m), { created: () => undefined, cancel: () => undefined, pickLocalFile: async () => undefined, askExistingVolume: async () => undefined, log }, 10);
    await c.edit('media', 'path');
    await c.edit('isoPath', path.join(isoDir, 'notes.txt'));
    await c.settled();
    assert.match(c.state().problems.filter((p) => p.field === 'isoPath').map((p) => p.message).join(), /not an ISO 9660 image/);
    await c.edit('isoPath', iso);
    await c.settled();
    assert.deepEqual(c.state().problems.filter((p) => p.field === 'isoPath'), []);
    assert.equal(c.state().values['os'], 'http://debian.org/debian/11', 'the OS recognised from the file on the host');
    c.dispose();

    const name = unique('path');
    await createVm(conn, toRequest(facts, base({ method: 'iso', media: 'path', isoPath: iso, diskMode: 'none', name })));
    const cd = (await inactiveXml(name)).devicesOf('disk').find((d) => d.get('device') === 'cdrom')!;
    assert.deepEqual([cd.get('type'), cd.get('sourceFile')], ['file', iso]);
  });

  it('an existing volume as the disk of an ISO, PXE or manual install: used as it is, nothing new in the pool', async () => {
    const before = (await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name).sort();
    assert.match(wizardProblems(facts, base({ method: 'pxe', diskMode: 'existing' })).map((p) => `${p.section}.${p.field}`).join(), /storage\.diskVolume/);
    const name = unique('exist');
    await createVm(conn, toRequest(facts, base({ method: 'pxe', network: `network:${tag}-pxe`, diskMode: 'existing', diskVolume: `${pool.name}/existing.qcow2`, name })));
    const dom = await inactiveXml(name);
    const disk = dom.devicesOf('disk')[0]!;
    assert.deepEqual([disk.get('sourcePool'), disk.get('sourceVolume'), disk.get('driverType')], [pool.name, 'existing.qcow2', 'qcow2']);
    assert.equal(dom.devicesOf('interface')[0]!.get('bootOrder'), 1, 'PXE first');
    assert.equal(disk.get('bootOrder'), 2);
    assert.deepEqual((await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name).sort(), before);
  });

  it("CPU mode and topology: only the host's modes, the product checked on its field, defined and read back", async () => {
    const caps = parseDomainCapabilities(await conn.connectGetDomainCapabilities(null, 'x86_64', 'q35', facts.virtType, 0));
    const modes = (facts.cpuModes ?? []).map((o) => o.value);
    assert.equal(modes.includes('host-passthrough'), caps.cpu.hostPassthrough);
    assert.equal(modes.includes('maximum'), caps.cpu.maximum);
    assert.equal(modes.includes('custom'), caps.cpu.custom.models.some((m) => m.usable));
    assert.equal(initialValues(facts)['cpuMode'], facts.virtType === 'kvm' ? 'host-passthrough' : 'maximum');

    const bad = wizardProblems(facts, base({ method: 'pxe', diskMode: 'none', vcpus: 4, cpuTopology: true, cpuSockets: 2, cpuCores: 3, cpuThreads: 1 })).filter((p) => p.severity === 'error');
    assert.deepEqual(bad.map((p) => `${p.section}.${p.field}`), ['resources.cpuSockets']);
    assert.match(bad[0]!.message, /2 sockets × 3 cores × 1 threads = 6 CPUs, but the VM has 4 vCPUs/);

    // The default mode follows the domain type the plan is defined with; TCG refuses the host's CPU.
    assert.equal(toRequest(facts, base({})).plan.cpu?.mode, undefined);
    assert.match(checkPlan({ ...toRequest(facts, base({ method: 'pxe', diskMode: 'none', cpuMode: 'host-model' })).plan, type: 'qemu' }).map((p) => p.message).join(), /host-model CPU mode needs KVM/);

    const name = unique('cpu');
    const model = (facts.cpuModels ?? [])[0]?.value;
    assert.ok(model, 'a usable named model');
    await createVm(conn, toRequest(facts, base({ method: 'manual', diskMode: 'existing', diskVolume: `${pool.name}/cloud-base.qcow2`, name, vcpus: 4, cpuTopology: true, cpuSockets: 2, cpuCores: 1, cpuThreads: 2, cpuMode: 'custom', cpuModel: model })));
    const dom = await inactiveXml(name);
    assert.deepEqual([dom.get('cpuMode'), dom.get('cpuModel'), dom.get('topologySockets'), dom.get('topologyCores'), dom.get('topologyThreads'), dom.get('vcpus')], ['custom', model, 2, 1, 2, 4]);
  });

  it('a disk larger than the pool: an error for raw (allocated in full), a warning for thin qcow2; a raw disk is preallocated', async () => {
    const free = facts.pools.find((p) => p.name === pool.name)!.availableBytes;
    const tooBig = Math.ceil(free / 1024 ** 3) + 1;
    const problems = (format: string): string[] => wizardProblems(facts, base({ diskPool: pool.name, diskSizeGiB: tooBig, diskFormat: format, name: 'x' })).filter((p) => p.field === 'diskSizeGiB').map((p) => p.severity);
    assert.deepEqual(problems('raw'), ['error']);
    assert.deepEqual(problems('qcow2'), ['warning']);
    const name = unique('raw');
    const req = toRequest(facts, base({ method: 'manual', diskPool: pool.name, diskFormat: 'raw', name }));
    const vm = await createVm(conn, { ...req, newDisk: { ...req.newDisk!, capacityBytes: 8 * MiB } });
    const info = await conn.storageVolGetInfo(vm.volumes[0]!);
    assert.ok(info.allocation >= 8 * MiB, `allocated ${info.allocation} of ${info.capacity}`);
  });

  it('cloud-init "detach the seed after the first boot": the running VM keeps it, the saved definition drops it, the seed volume is deleted', async () => {
    // An OpenSSH ed25519 public key line (type, then the wire-format key in base64).
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), crypto.randomBytes(32)]);
    const key = `ssh-ed25519 ${wire.toString('base64')} test@wizchoice`;
    const cloud = (name: string, over: Record<string, string | boolean>): WizardValues => base({ method: 'cloud', cloudImage: `${pool.name}/cloud-base.qcow2`, diskPool: pool.name, network: 'none', name, ciUser: 'user', ciKeys: key, ciDetachSeed: true, ...over });
    assert.ok(wizardProblems(facts, cloud('x', { start: false })).some((p) => p.field === 'ciDetachSeed' && p.severity === 'error'), 'detaching needs a start by the wizard');
    const seedOf = (name: string): string => `${name}-cidata.iso`;
    const vols = async (): Promise<string[]> => (await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name);

    const started = unique('seed');
    const vm = await createVm(conn, toRequest(facts, cloud(started, { start: true })));
    assert.ok(vm.started);
    const cdroms = (x: DomainXml): string[] => x.devicesOf('disk').filter((d) => d.get('device') === 'cdrom').map((d) => String(d.get('sourceVolume') ?? d.get('sourceFile')));
    assert.deepEqual(cdroms(DomainXml.parse(await conn.domainGetXmlDesc(vm.domain, 0))).length, 1, 'the running VM still has the seed CD-ROM');
    assert.deepEqual(cdroms(await inactiveXml(started)), [], 'the next boot has none');
    assert.ok(!(await vols()).includes(seedOf(started)), 'the seed volume is deleted');
    await conn.domainDestroy(vm.domain);

    // Customize before install: the seed stays until Begin Installation.
    const later = unique('seedc');
    const pending = await createVm(conn, toRequest(facts, cloud(later, { customize: true })));
    assert.ok((await vols()).includes(seedOf(later)));
    assert.equal(cdroms(await inactiveXml(later)).length, 1);
    const { leftBehind } = await beginInstallation(conn, pending.pendingInstall!);
    assert.deepEqual(leftBehind, []);
    assert.deepEqual(cdroms(await inactiveXml(later)), []);
    assert.ok(!(await vols()).includes(seedOf(later)));
    await conn.domainDestroy(pending.domain);
  });
});
