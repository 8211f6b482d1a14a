// Creating a VM on the real libvirtd, all or nothing: a new disk and install media, a cloud image
// overlay with a cloud-init seed uploaded as a volume, and a failure at the start that removes the
// VM and every volume made for it.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createVm, CreateVmError, type CreateVmRequest } from '../../../src/forms/createVm';
import type { NewVmPlan } from '../../../src/forms/newDomain';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ, parseIsoDescriptors } from '../../../src/libvirt/osinfoMedia';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { readVolumeRange, uploadFile } from '../../../src/libvirt/resources/transfer';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { makeIso } from '../../isoImage';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'createvm-';
const MiB = 1024 * 1024;

describe('create a VM, all or nothing (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  const names: string[] = [];
  const unique = (what: string): string => {
    const n = `${PREFIX}${process.pid}-${what}-${crypto.randomBytes(2).toString('hex')}`;
    names.push(n);
    return n;
  };
  const volumeNames = async (): Promise<string[]> => (await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name).sort();

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'createvm-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${PREFIX}${process.pid}-pool-${crypto.randomBytes(2).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    const { vol } = await createVolume(conn, pool, { name: 'install.iso', format: 'raw', capacity: fs.statSync(iso).size, allocation: 0 });
    await uploadFile(conn, vol, iso);
    await createVolume(conn, pool, { name: 'cloud-base.qcow2', format: 'qcow2', capacity: 32 * MiB });
  });

  after(async () => {
    await removeRunObjects(conn, { domains: (name) => names.includes(name), pool, dir });
    await conn?.close();
  });

  const plan = (name: string): NewVmPlan => ({ name, memoryMiB: 128, vcpus: 1, type: 'qemu', firmware: 'bios', virtio: true, osinfoId: 'http://debian.org/debian/11', boot: 'cdrom', cdrom: { pool: pool.name, volume: 'install.iso' }, graphics: 'vnc' });

  it('from an ISO: a new qcow2 disk in the pool, defined and started', async () => {
    const name = unique('iso');
    const steps: string[] = [];
    const made = await createVm(conn, { plan: plan(name), newDisk: { pool: pool.name, capacityBytes: 64 * MiB, format: 'qcow2' }, start: true }, (s) => steps.push(s));
    assert.deepEqual(steps, ['Checking the name', `Creating the disk in pool '${pool.name}'`, 'Defining the VM', 'Starting the VM']);
    assert.equal((await conn.domainGetInfo(made.domain)).state, 1, 'running');
    assert.deepEqual(made.volumes.map((v) => v.name), [`${name}.qcow2`]);
    const live = DomainXml.parse(await conn.domainGetXmlDesc(made.domain, 0));
    assert.equal(live.devicesOf('disk')[0]?.get('sourceVolume'), `${name}.qcow2`);
    assert.equal((await conn.storageVolGetInfo(made.volumes[0]!)).capacity, 64 * MiB);
    await conn.domainDestroy(made.domain);
  });

  it('from a cloud image: an overlay backed by it and a cloud-init seed volume whose network-config names the NIC', async () => {
    const name = unique('cloud');
    const req: CreateVmRequest = {
      plan: { ...plan(name), boot: 'disk', cdrom: undefined },
      newDisk: { pool: pool.name, capacityBytes: 64 * MiB, format: 'qcow2', backing: { pool: pool.name, volume: 'cloud-base.qcow2', format: 'qcow2' } },
      cloudInit: { instanceId: name, hostname: 'seeded', user: { name: 'dev', password: 'pw', sshKeys: [], sudo: true }, network: { mode: 'dhcp' }, packages: [], commands: [] },
      start: false,
    };
    const made = await createVm(conn, req);
    const [disk, seed] = made.volumes;
    const desc = parseVolumeXml(await conn.storageVolGetXmlDesc(disk!));
    assert.match(desc.backingPath ?? '', /cloud-base\.qcow2$/);
    const ids = parseIsoDescriptors(await readVolumeRange(conn, seed!, ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ));
    assert.equal(ids?.volumeId, 'cidata');
    const def = DomainXml.parse(await conn.domainGetXmlDesc(made.domain, VirDomainXMLFlags.INACTIVE));
    const mac = def.devicesOf('interface')[0]?.get('mac');
    assert.ok(mac);
    assert.ok(def.devicesOf('disk').some((d) => d.get('device') === 'cdrom' && d.get('sourceVolume') === seed!.name));
    const all = await readVolumeRange(conn, seed!, 0, (await conn.storageVolGetInfo(seed!)).capacity);
    // Quoted when the MAC is all digits (a base-60 integer in YAML 1.1, which cloud-init reads).
    assert.match(all.toString('latin1'), new RegExp(`macaddress: "?${mac.toLowerCase()}"?\n`), 'network-config matches the defined NIC');
    assert.ok(all.includes(Buffer.from('hostname: seeded')));
    assert.equal(all.includes(Buffer.from('passwd: pw\n')), false);
  });

  it('a start that fails removes the VM and every volume it made, and says which step failed', async () => {
    const before = await volumeNames();
    const name = unique('fails');
    const req: CreateVmRequest = {
      plan: { ...plan(name), network: { type: 'network', name: `${PREFIX}no-such-network` } },
      newDisk: { pool: pool.name, capacityBytes: 64 * MiB, format: 'qcow2' },
      cloudInit: { instanceId: name, hostname: 'x', network: { mode: 'dhcp' }, packages: [], commands: [] },
      start: true,
    };
    const err = await createVm(conn, req).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CreateVmError, String(err));
    assert.equal(err.step, 'Starting the VM');
    assert.match(err.message, /no-such-network/);
    assert.deepEqual(err.leftBehind, []);
    assert.equal(err.rolledBack.length, 3, err.rolledBack.join(', '));
    assert.deepEqual(await volumeNames(), before, 'no volume left behind');
    assert.equal((await conn.connectListAllDomains()).some((d) => d.name === name), false, 'no VM left behind');
  });

  it('refuses a name in use before it creates anything', async () => {
    const before = await volumeNames();
    const name = unique('dup');
    await createVm(conn, { plan: { ...plan(name), cdrom: undefined, boot: 'network' }, start: false });
    const err = await createVm(conn, { plan: plan(name), newDisk: { pool: pool.name, capacityBytes: 64 * MiB, format: 'qcow2' }, start: false }).catch((e: unknown) => e);
    assert.ok(err instanceof CreateVmError);
    assert.equal(err.step, 'Checking the name');
    assert.deepEqual(await volumeNames(), before);
  });
});
