// VM templates on the real libvirtd, through the wizard's own path: each built-in template's
// answers, completed as the wizard asks (the ISO, the cloud image, a name), pass the wizard's
// checks, and createVm defines the VM (with VALIDATE) as the template says: read back from libvirt.
// Then Save as Template on one of those VMs with its disk kept as a base volume, the template
// written to a file and read back, and a second VM made from it on a copy-on-write disk of the base.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publicKeysIn, TemplateStore } from '../../../src/commands/create/templateStore';
import { WizardController } from '../../../src/webviews/newVm/controller';
import type { ToWebview } from '../../../src/webviews/newVm/protocol';
import { createVm } from '../../../src/forms/createVm';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { initialValues, toRequest, wizardProblems } from '../../../src/forms/newVmModel';
import { templateFromVm } from '../../../src/forms/templateFromVm';
import { BUILT_IN_TEMPLATES, templateOfDomain, templateValues, type VmTemplate } from '../../../src/forms/vmTemplates';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { createPool, createVolume, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { readVolumeRange, uploadFile } from '../../../src/libvirt/resources/transfer';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'tmplint-';

describe('VM templates (integration)', function () {
  this.timeout(180_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const made = new Map<string, string>();

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: run, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'CCCOMA_X64FRE_EN-US_DV9', systemId: '' });
    const { vol } = await createVolume(conn, pool, { name: 'installer.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    await createVolume(conn, pool, { name: 'cloud.qcow2', format: 'qcow2', capacity: 1024 ** 3 });
  });

  after(async () => {
    await removeRunObjects(conn, { domains: (name) => name.startsWith(run), pool, dir });
    await conn?.close();
  });

  /** The wizard from a template, the remaining questions answered, then Create (not started). */
  async function createFrom(t: VmTemplate, name: string, answers: Record<string, string | number | boolean>): Promise<DomainXml> {
    const facts = await newVmFacts(conn, new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined));
    const { values, notes } = templateValues(facts, initialValues(facts), t);
    assert.deepEqual(notes, [], `${t.name}: this host takes every answer`);
    const all = { ...values, diskPool: pool.name, ...answers, name, start: false };
    assert.deepEqual(wizardProblems(facts, all).filter((p) => p.severity === 'error'), [], t.name);
    const vm = await createVm(conn, toRequest(facts, all, { devices: t.devices, template: t.name }));
    made.set(t.name, name);
    return DomainXml.parse(await conn.domainGetXmlDesc(vm.domain, VirDomainXMLFlags.INACTIVE));
  }

  it('makes a VM from each built-in template, as the template says', async () => {
    const [linux, win11, pxe] = BUILT_IN_TEMPLATES;
    // cloud-init as the wizard asks it: a key, a static address, packages and a command.
    const ci = { cloudImage: `${pool.name}/cloud.qcow2`, ciKeys: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtH2Nj7pF6lWm5R3ZbbW0TtYFq0hC6W6uG1yQ3lq1k0 me@example', ciNetwork: 'static', ciAddress: '192.168.122.77/24', ciGateway: '192.168.122.1', ciDns: '192.168.122.1, 9.9.9.9', ciPackages: 'htop, curl', ciCommands: 'echo first-boot-done > /root/ok\n\n' };
    const facts = await newVmFacts(conn, undefined);
    const bad = wizardProblems(facts, { ...initialValues(facts), ...linux!.values, ...ci, ciAddress: '192.168.122.77', ciDns: 'dns.example', name: `${run}-bad` }).map((p) => `${p.section}.${p.field}`);
    assert.ok(bad.includes('cloudinit.ciAddress') && bad.includes('cloudinit.ciDns'), bad.join(', '));
    assert.ok(wizardProblems(facts, { ...initialValues(facts), ...linux!.values, ...ci, network: 'none', name: `${run}-bad` }).some((p) => p.field === 'ciNetwork' && p.severity === 'error'), 'a static address needs a NIC');
    const l = await createFrom(linux!, `${run}-linux`, ci);
    const seed = await conn.storageVolLookupByName(pool, `${run}-linux-cidata.iso`);
    const seedText = (await readVolumeRange(conn, seed, 0, (await conn.storageVolGetInfo(seed)).capacity)).toString('latin1');
    assert.match(seedText, /192\.168\.122\.77\/24/, 'network-config has the static address');
    assert.match(seedText, /9\.9\.9\.9/);
    assert.match(seedText, /macaddress: ["']?52:54:00/, 'matched by the NIC\'s MAC');
    assert.match(seedText, /- htop\s+- curl/, 'user-data installs the packages');
    assert.match(seedText, /echo first-boot-done > \/root\/ok/, 'and runs the command');
    assert.equal(templateOfDomain(l), 'Linux server (cloud image)');
    assert.equal(l.memoryKiB, 2048 * 1024);
    assert.equal(l.get('firmware'), 'efi');
    const disks = l.devicesOf('disk');
    assert.deepEqual(disks.map((d) => `${d.get('device')}:${d.get('bus')}`), ['disk:virtio', 'cdrom:sata'], 'the overlay disk and the cloud-init seed');
    const overlay = parseVolumeXml(await conn.storageVolGetXmlDesc(await conn.storageVolLookupByName(pool, `${run}-linux.qcow2`)));
    assert.match(overlay.backingPath ?? '', /cloud\.qcow2$/, 'the disk starts from the cloud image');

    const w = await createFrom(win11!, `${run}-win11`, { media: `${pool.name}/installer.iso` });
    assert.equal(templateOfDomain(w), 'Windows 11 desktop');
    assert.equal(w.osinfoId, 'http://microsoft.com/win/11');
    assert.equal(w.get('firmware'), 'efi');
    assert.ok(w.element.find(['os', 'firmware'])?.elements('feature').some((f) => f.attr('name') === 'secure-boot' && f.attr('enabled') === 'yes') || w.get('loaderSecure') === true, 'Secure Boot');
    assert.ok(w.element.find(['features', 'smm']), 'SMM for Secure Boot');
    assert.equal(w.devicesOf('tpm').length, 1);
    assert.deepEqual(w.devicesOf('sound').map((s) => s.element.attr('model')), ['ich9'], "the template's hardware");
    assert.equal(w.get('machine')?.includes('q35'), true);

    const p = await createFrom(pxe!, `${run}-pxe`, {});
    assert.equal(templateOfDomain(p), 'PXE client');
    const nic = p.devicesOf('interface')[0];
    assert.equal(nic?.element.child('boot')?.attr('order'), '1', 'the network boots first');
    assert.equal(p.devicesOf('disk').length, 1);
  });

  it('saves a VM as a template with a base volume and makes a VM from it on a copy-on-write disk', async () => {
    const source = made.get('Windows 11 desktop');
    assert.ok(source, 'the previous test made the Windows VM');
    const dom = await conn.domainLookupByName(source);
    const { template, notes, base } = await templateFromVm(conn, dom, `${run} desktop`, { base: true });
    assert.ok(base);
    assert.equal(base.pool, pool.name);
    assert.match(base.name, /-template-base\.qcow2$/);
    assert.deepEqual(notes, []);
    // Through the file the user keeps (the folder store), as New VM from Template reads it.
    const store = new TemplateStore(path.join(dir, 'templates'));
    const file = store.save(template);
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /uuid|<mac|52:54:00|passwd|password:/i, 'no identity of the VM, no secret');
    assert.deepEqual(template.devices, ["<sound model='ich9'/>"]);
    const back = store.list().templates.find((t) => t.file === file)?.template;
    assert.ok(back);
    assert.deepEqual(back.values, template.values);
    assert.equal(back.values['importVolume'], `${base.pool}/${base.name}`);
    const vm = await createFrom(back, `${run}-from-saved`, {});
    assert.equal(templateOfDomain(vm), `${run} desktop`);
    const orig = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(vm.memoryKiB, orig.memoryKiB);
    assert.equal(vm.get('vcpus'), orig.get('vcpus'));
    assert.equal(vm.osinfoId, orig.osinfoId);
    assert.equal(vm.devicesOf('tpm').length, 1);
    assert.deepEqual(vm.devicesOf('sound').map((s) => s.element.attr('model')), ['ich9']);
    const disk = vm.devicesOf('disk').find((d) => d.get('device') === 'disk');
    assert.equal(disk?.get('sourceVolume'), `${run}-from-saved.qcow2`);
    const overlay = parseVolumeXml(await conn.storageVolGetXmlDesc(await conn.storageVolLookupByName(pool, `${run}-from-saved.qcow2`)));
    const basePath = parseVolumeXml(await conn.storageVolGetXmlDesc(base)).path;
    assert.equal(overlay.backingPath, basePath, 'the new disk is an overlay of the base volume');
  });

  it('refuses a base volume of a running VM and creates nothing', async () => {
    const name = made.get('PXE client');
    assert.ok(name);
    const dom = await conn.domainLookupByName(name);
    await conn.domainCreate(dom);
    try {
      const before = (await listPoolVolumes(conn, pool)).volumes.length;
      await assert.rejects(templateFromVm(conn, dom, 'x', { base: true }), /is not shut off/);
      assert.equal((await listPoolVolumes(conn, pool)).volumes.length, before);
    } finally {
      await conn.domainDestroy(dom).catch(() => undefined);
    }
  });

  it("Add from ~/.ssh…: the cloud-init step adds the picked public keys of a .ssh directory, each once", async () => {
    const ssh = path.join(dir, 'ssh');
    fs.mkdirSync(ssh);
    const ed = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtH2Nj7pF6lWm5R3ZbbW0TtYFq0hC6W6uG1yQ3lq1k0 me@laptop';
    const rsa = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 me@desk';
    fs.writeFileSync(path.join(ssh, 'id_ed25519.pub'), `${ed}\n`);
    fs.writeFileSync(path.join(ssh, 'id_rsa.pub'), `${rsa}\n`);
    fs.writeFileSync(path.join(ssh, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n');
    fs.writeFileSync(path.join(ssh, 'notes.pub'), 'not a key\n');
    const found = publicKeysIn(ssh);
    assert.deepEqual(found, [{ file: 'id_ed25519.pub', key: ed }, { file: 'id_rsa.pub', key: rsa }], 'only public key lines, never the private key');
    const facts = await newVmFacts(conn, undefined);
    const posted: ToWebview[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const c = new WizardController(conn, facts, (m) => posted.push(m), { log, cancel: () => undefined, created: () => undefined, pickLocalFile: async () => undefined, askExistingVolume: async () => undefined, pickSshKeys: async () => found.map((k) => k.key) });
    await c.handle({ type: 'ready' });
    c.useTemplate(BUILT_IN_TEMPLATES[0]!);
    await c.handle({ type: 'edit', field: 'ciKeys', value: ed });
    await c.handle({ type: 'action', field: 'ciKeys', action: 'pickSshKeys' });
    assert.equal(c.state().values['ciKeys'], `${ed}\n${rsa}`);
    assert.ok(!c.state().problems.some((p) => p.field === 'ciKeys'), 'the keys are valid');
  });
});
