// The New VM wizard's model on the real libvirtd: the host's facts, the OS detected from an ISO
// volume with this machine's osinfo-db, the default Linux-from-ISO path needing only the method,
// the ISO and Create, per-step refusals, and the VM made from the values.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createVm } from '../../../src/forms/createVm';
import { detectVolumeOs, newVmFacts } from '../../../src/forms/newVmFacts';
import { initialValues, suggest, toRequest, wizardProblems, wizardSteps } from '../../../src/forms/newVmModel';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { OsinfoCatalog, readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { uploadBytes, uploadFile } from '../../../src/libvirt/resources/transfer';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'wizmodel-';

describe('New VM wizard model (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const made: string[] = [];

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wizmodel-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const { vol } = await createVolume(conn, pool, { name: 'debian-11.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
  });

  after(async () => {
    await removeRunObjects(conn, { domains: (name) => made.includes(name), pool, dir });
    await conn?.close();
  });

  it('reads the host, detects Debian 11 from the ISO, and makes the default path three decisions long', async () => {
    const osinfo = new OsinfoCatalog(() => readLocalOsinfoFiles(), undefined);
    const facts = await newVmFacts(conn, osinfo);
    assert.equal(facts.virtType, fs.existsSync('/dev/kvm') ? 'kvm' : 'qemu', 'KVM exactly when the host offers it');
    assert.ok(facts.uefi, 'OVMF is installed');
    assert.ok(facts.tpm, 'swtpm is installed');
    assert.ok(facts.volumes.some((v) => v.pool === pool.name && v.name === 'debian-11.iso'));
    assert.ok(facts.networks.some((n) => n.name === 'default'));

    // Decision 1: the method (ISO is the default). Decision 2: the ISO.
    const values: Record<string, string | number | boolean | undefined> = { ...initialValues(facts), media: `${pool.name}/debian-11.iso` };
    const detected = await detectVolumeOs(conn, facts, pool.name, 'debian-11.iso');
    assert.equal(detected, 'http://debian.org/debian/11');
    values['os'] = detected;
    Object.assign(values, suggest(facts, values, new Set()));
    assert.equal(values['name'], 'debian11');
    assert.equal(values['diskPool'], pool.name, 'the disk goes where the ISO is');
    assert.equal(values['diskSizeGiB'], 20, "osinfo-db's recommended storage for Debian 11");
    assert.equal(values['memory'], 1024);
    const steps = wizardSteps(facts, values, detected);
    assert.deepEqual(steps.map((s) => s.id), ['method', 'os', 'resources', 'storage', 'network', 'summary']);
    assert.match(steps[1]!.description ?? '', /Detected from the media: Debian 11/);
    assert.deepEqual(wizardProblems(facts, values).filter((p) => p.severity === 'error'), []);

    // Decision 3: Create (here without starting, a 20 GiB thin disk).
    values['name'] = `${PREFIX}${process.pid}-debian11`;
    made.push(String(values['name']));
    const vm = await createVm(conn, toRequest(facts, { ...values, start: false }));
    const def = DomainXml.parse(await conn.domainGetXmlDesc(vm.domain, VirDomainXMLFlags.INACTIVE));
    assert.equal(def.osinfoId, 'http://debian.org/debian/11');
    assert.equal(def.get('firmware'), 'efi');
    assert.deepEqual(def.devicesOf('disk').map((d) => `${d.get('device')}:${d.get('bus')}`), ['disk:virtio', 'cdrom:sata']);
  });

  it('refuses each step\'s bad input on its field', async () => {
    const facts = await newVmFacts(conn, undefined);
    const v = { ...initialValues(facts), method: 'iso', media: undefined, name: facts.names[0] ?? 'x', diskSizeGiB: 0, tpm: true, firmware: 'bios' };
    const problems = wizardProblems(facts, v).filter((p) => p.severity === 'error').map((p) => `${p.section}.${p.field}`);
    for (const want of ['method.media', 'storage.diskSizeGiB', 'network.tpm']) assert.ok(problems.includes(want), `${want} in ${problems.join(', ')}`);
    if (facts.names.length > 0) assert.ok(problems.includes('summary.name'));
    const cloud = wizardProblems(facts, { ...initialValues(facts), method: 'cloud', cloudImage: `${pool.name}/debian-11.iso`, ciUser: 'Bad User', ciKeys: 'nope' }).map((p) => `${p.section}.${p.field}`);
    assert.ok(cloud.includes('cloudinit.ciUser') && cloud.includes('cloudinit.ciKeys'), cloud.join(', '));
  });
  it('copies a cloud image or an imported image in full when asked: a qcow2 disk with no backing file and the image\'s data, which starts without the image', async () => {
    const marker = Buffer.from('an image copied in full');
    const { vol: image } = await createVolume(conn, pool, { name: 'copy-me.img', format: 'raw', capacity: 16 * 1024 * 1024, allocation: 0 });
    await uploadBytes(conn, image, marker);
    const facts = await newVmFacts(conn, undefined);
    const key = `${pool.name}/copy-me.img`;
    const cases = [
      { what: 'cloud', values: { method: 'cloud', cloudImage: key, cloudDiskMode: 'copy', diskPool: pool.name, diskSizeGiB: 1, ciPassword: 'a password' }, capacity: 1024 ** 3 },
      { what: 'import', values: { method: 'import', importVolume: key, importMode: 'copy' }, capacity: 16 * 1024 * 1024 },
    ] as const;
    const disks: string[] = [];
    for (const c of cases) {
      const name = `${PREFIX}${process.pid}-copy-${c.what}`;
      made.push(name);
      const values = { ...initialValues(facts), ...c.values, name, memory: 128, firmware: 'bios', tpm: false, network: 'none', start: false };
      assert.deepEqual(wizardProblems(facts, values).filter((p) => p.severity === 'error'), [], c.what);
      const req = toRequest(facts, values);
      assert.deepEqual(req.newDisk?.copyOf, { pool: pool.name, volume: 'copy-me.img' }, `${c.what}: a copy, not an overlay`);
      const vm = await createVm(conn, req);
      const disk = parseVolumeXml(await conn.storageVolGetXmlDesc(vm.volumes[0]!));
      assert.equal(disk.format, 'qcow2', c.what);
      assert.equal(disk.backingPath, undefined, `${c.what}: no backing file`);
      assert.equal((await conn.storageVolGetInfo(vm.volumes[0]!)).capacity, c.capacity, `${c.what}: the size asked (a cloud disk) or the image's (an import)`);
      disks.push(disk.path!);
    }
    await conn.storageVolDelete(image, 0);
    for (const [i, file] of disks.entries()) {
      const raw = path.join(dir, `copy-${i}.raw`);
      execFileSync('qemu-img', ['convert', '-O', 'raw', file, raw]);
      const fd = fs.openSync(raw, 'r');
      const head = Buffer.alloc(marker.length);
      fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      fs.rmSync(raw);
      assert.deepEqual(head, marker, `the image's data is in copy ${i}`);
    }
    const dom = await conn.domainLookupByName(`${PREFIX}${process.pid}-copy-cloud`);
    await conn.domainCreate(dom);
    assert.equal(await conn.domainIsActive(dom), true, 'it starts with the image gone');
    await conn.domainDestroy(dom);
  });
});
