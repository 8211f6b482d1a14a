// What deleting must not touch, against the real daemon: a pool deletion deletes exactly the
// volumes that were confirmed and keeps the pool when anything else is in it; a disk used by
// another VM (directly, or as the backing file of its overlay, also when that VM is shut off and
// only the storage API knows the chain) is found as used.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection, DomainRef, StoragePoolRef } from '../../../src/libvirt/connection';
import { VirStoragePoolState } from '../../../src/libvirt/generated/libvirtConstants';
import { loadDomainUsages, loadDomainUsagesWithChains, volumeUses } from '../../../src/libvirt/resources/domainUsage';
import { createPool, createVolume, deletePool, listPoolVolumes, PoolChangedError } from '../../../src/libvirt/resources/operations';
import { deletePoolAndVolumes, openConnection, PREFIX, removeLeftovers } from './resourceEnv';

const OWN = `${PREFIX}del-`;
const tag = `${process.pid}`;

describe('resources: deleting only what was confirmed (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let base: string;
  const pools: StoragePoolRef[] = [];
  const doms: DomainRef[] = [];

  const newPool = async (kind: string): Promise<{ pool: StoragePoolRef; dir: string }> => {
    const dir = path.join(base, kind);
    const pool = await createPool(conn, { type: 'dir', name: `${OWN}${kind}-${tag}`, targetPath: dir });
    pools.push(pool);
    return { pool, dir };
  };
  const raw = (name: string) => ({ name, format: 'raw', capacity: 1024 ** 2 }) as const;

  before(async () => {
    conn = await openConnection();
    await removeLeftovers(conn, OWN); // a killed run's objects; other suites' are left alone
    base = fs.mkdtempSync(`/tmp/${OWN}${tag}-`);
    fs.chmodSync(base, 0o755); // QEMU runs as another user and must reach the images
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
    for (const p of pools) {
      if (!(await conn.connectListAllStoragePools()).some((q) => q.uuid === p.uuid)) continue;
      await deletePoolAndVolumes(conn, p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    fs.rmSync(base, { recursive: true, force: true });
    await conn.close();
  });

  it('lists the volumes of an inactive pool by starting it, and says so', async () => {
    const { pool } = await newPool('list');
    await createVolume(conn, pool, raw('a.raw'));
    await createVolume(conn, pool, raw('b.raw'));
    await conn.storagePoolDestroy(pool);
    await assert.rejects(conn.storagePoolListAllVolumes(pool, 0), 'libvirt lists volumes of running pools only');

    const listing = await listPoolVolumes(conn, pool);
    assert.equal(listing.started, true);
    assert.deepEqual(listing.volumes.map((v) => v.name).sort(), ['a.raw', 'b.raw']);
    assert.equal((await conn.storagePoolGetInfo(pool)).state, VirStoragePoolState.RUNNING);
    assert.equal((await listPoolVolumes(conn, pool)).started, false);
  });

  it('deletes exactly the confirmed volumes; keeps the pool and a volume created after the listing', async () => {
    const { pool, dir } = await newPool('late');
    await createVolume(conn, pool, raw('a.raw'));
    await createVolume(conn, pool, raw('b.raw'));
    await conn.storagePoolDestroy(pool);
    const { volumes, started } = await listPoolVolumes(conn, pool);
    assert.equal(started, true);
    // After the confirmation: one volume through libvirt, one file written beside them.
    await createVolume(conn, pool, raw('late.raw'));
    fs.writeFileSync(path.join(dir, 'copied.img'), 'data');
    // Someone stopped the pool meanwhile: deletePool starts it and stops it again when it keeps it.
    await conn.storagePoolDestroy(pool);

    const result = await deletePool(conn, pool, { deleteStorage: true, volumes });
    assert.equal(result.poolDeleted, false);
    assert.deepEqual(result.deletedVolumes.map((v) => v.name).sort(), ['a.raw', 'b.raw']);
    assert.deepEqual(result.unconfirmed.map((v) => v.name).sort(), ['copied.img', 'late.raw']);
    assert.ok(fs.existsSync(path.join(dir, 'late.raw')));
    assert.equal(fs.readFileSync(path.join(dir, 'copied.img'), 'utf8'), 'data');
    assert.ok(!fs.existsSync(path.join(dir, 'a.raw')));
    assert.ok((await conn.connectListAllStoragePools()).some((p) => p.uuid === pool.uuid), 'the pool is kept');
    assert.equal((await conn.storagePoolGetInfo(pool)).state, VirStoragePoolState.INACTIVE, 'left stopped, as it was found');

    // Confirming what is there now deletes the pool.
    const again = await listPoolVolumes(conn, pool);
    const done = await deletePool(conn, pool, { deleteStorage: true, volumes: again.volumes });
    assert.equal(done.poolDeleted, true);
    assert.ok(!fs.existsSync(dir));
    assert.ok(!(await conn.connectListAllStoragePools()).some((p) => p.uuid === pool.uuid));
  });

  it('refuses to delete a pool whose name now belongs to another pool', async () => {
    const { pool, dir } = await newPool('swap');
    await createVolume(conn, pool, raw('keep.raw'));
    const { volumes } = await listPoolVolumes(conn, pool);
    await conn.storagePoolDestroy(pool);
    await conn.storagePoolUndefine(pool);
    const other = await conn.storagePoolDefineXml(`<pool type='dir'><name>${pool.name}</name><target><path>${dir}</path></target></pool>`);
    pools.push(other);
    await assert.rejects(deletePool(conn, pool, { deleteStorage: true, volumes }), (e: unknown) => PoolChangedError.is(e) && e.nowUuid === other.uuid);
    assert.ok(fs.existsSync(path.join(dir, 'keep.raw')));
  });

  it("finds a disk used by another VM directly, and as the backing file of another VM's overlay", async () => {
    const { pool, dir } = await newPool('use');
    const volXml = (name: string, backing?: string): string =>
      `<volume><name>${name}</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target>` +
      (backing ? `<backingStore><path>${backing}</path><format type='qcow2'/></backingStore>` : '') +
      '</volume>';
    const shared = path.join(dir, 'shared.qcow2');
    const baseImg = path.join(dir, 'base.qcow2');
    const overlay = path.join(dir, 'overlay.qcow2');
    const overlay2 = path.join(dir, 'overlay2.qcow2');
    for (const [n, b] of [['shared.qcow2'], ['base.qcow2'], ['overlay.qcow2', baseImg], ['overlay2.qcow2', overlay]] as const) {
      await conn.storageVolCreateXml(pool, volXml(n, b));
    }
    const vm = async (name: string, disk: string): Promise<DomainRef> => {
      const d = await conn.domainDefineXml(`<domain type='qemu'><name>${OWN}${name}-${tag}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='pc'>hvm</type></os>
        <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
      doms.push(d);
      return d;
    };
    const owner = await vm('owner', shared);
    const user = await vm('user', shared);
    const layered = await vm('layered', overlay2); // overlay2 -> overlay -> base, shut off
    const id = (p: string) => ({ path: p, pool: pool.name, name: path.basename(p) });
    const names = (uses: { dom: DomainRef; how: string }[]): string[] => uses.map((u) => `${u.dom.name}:${u.how}`).sort();

    const all = await loadDomainUsagesWithChains(conn);
    assert.deepEqual(names(volumeUses(all, id(shared))), [`${owner.name}:disk`, `${user.name}:disk`]);
    assert.deepEqual(names(volumeUses(all, id(baseImg))), [`${layered.name}:backing`], 'the chain of a shut-off VM, from the storage API');
    assert.deepEqual(names(volumeUses(all, id(overlay))), [`${layered.name}:backing`]);
    // The XML of a shut-off VM does not show the chain: the storage API is needed.
    assert.deepEqual(volumeUses(await loadDomainUsages(conn), id(baseImg)), []);
    // The VM being deleted is not one of the "other" VMs.
    assert.deepEqual(names(volumeUses(await loadDomainUsagesWithChains(conn, owner.uuid), id(shared))), [`${user.name}:disk`]);

    // A running VM's live XML shows its chain too.
    const running = await conn.domainCreate(layered);
    const live = (await loadDomainUsages(conn)).find((u) => u.dom.uuid === layered.uuid);
    assert.ok(live?.running);
    assert.deepEqual(names(volumeUses([live], id(baseImg))), [`${running.name}:backing`]);
  });
});
