import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Connection, StoragePoolRef } from '../../../src/libvirt/connection';
import { VirStoragePoolState } from '../../../src/libvirt/generated/libvirtConstants';
import { loadDomainUsages, volumeUsers } from '../../../src/libvirt/resources/domainUsage';
import { createPool, createVolume, deletePool, listPoolVolumes, resizeThroughDomain, resizeVolume } from '../../../src/libvirt/resources/operations';
import { parsePoolCapabilities, parsePoolXml, poolSummary } from '../../../src/libvirt/resources/pool';
import { downloadToFile, uploadFile } from '../../../src/libvirt/resources/transfer';
import { ResourceInputError } from '../../../src/libvirt/resources/validation';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { deletePoolAndVolumes, openConnection, removeLeftovers, uniqueName } from './resourceEnv';

describe('resources: dir pool and volumes on the real daemon (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let base: string;
  let pool: StoragePoolRef | undefined;
  let poolPath: string;
  const poolName = uniqueName('pool');

  before(async () => {
    conn = await openConnection();
    await removeLeftovers(conn);
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-'));
    fs.chmodSync(base, 0o755);
    poolPath = path.join(base, 'pool');
  });

  after(async () => {
    if (pool) await deletePoolAndVolumes(conn, pool).catch(() => undefined);
    fs.rmSync(base, { recursive: true, force: true });
    await conn.close();
  });

  it('reads the pool capabilities: dir is supported with qcow2 volumes', async () => {
    const caps = parsePoolCapabilities(await conn.connectGetStoragePoolCapabilities());
    const dir = caps.find((c) => c.type === 'dir');
    assert.ok(dir?.supported);
    assert.ok(dir.volumeFormats.includes('qcow2'));
    assert.ok(caps.find((c) => c.type === 'fs')?.sourceFormats.includes('ext4'));
  });

  it('refuses a relative target path before calling libvirt', async () => {
    await assert.rejects(createPool(conn, { type: 'dir', name: uniqueName('bad'), targetPath: 'relative/dir' }), (e: unknown) => ResourceInputError.is(e) && e.field === 'targetPath');
    const names = (await conn.connectListAllStoragePools()).map((p) => p.name);
    assert.ok(!names.some((n) => n.startsWith('rtest-bad')));
  });

  it('creates (defines, builds, starts) a dir pool', async () => {
    pool = await createPool(conn, { type: 'dir', name: poolName, targetPath: poolPath });
    assert.ok(fs.statSync(poolPath).isDirectory());
    const info = await conn.storagePoolGetInfo(pool);
    assert.equal(info.state, VirStoragePoolState.RUNNING);
    assert.match(poolSummary(info), /^active · .+ free of .+/);
    const desc = parsePoolXml(await conn.storagePoolGetXmlDesc(pool));
    assert.equal(desc.type, 'dir');
    assert.equal(desc.targetPath, poolPath);
  });

  it('rolls back a pool whose start fails (nothing left defined)', async () => {
    const name = uniqueName('fail');
    // A netfs pool against a server that does not exist: define succeeds, build/start fails.
    await assert.rejects(createPool(conn, { type: 'netfs', name, host: '127.0.0.1', sourceDir: '/nonexistent-export', targetPath: path.join(base, 'mnt') }));
    const names = (await conn.connectListAllStoragePools()).map((p) => p.name);
    assert.ok(!names.includes(name), `${name} should have been undefined`);
  });

  it('refuses a duplicate pool name before calling libvirt', async () => {
    await assert.rejects(createPool(conn, { type: 'dir', name: poolName, targetPath: path.join(base, 'other') }), (e: unknown) => ResourceInputError.is(e) && e.field === 'name');
  });

  it('creates a qcow2 volume, refuses one larger than the pool when fully allocated, resizes, uploads, downloads, wipes and deletes', async () => {
    assert.ok(pool);
    const info = await conn.storagePoolGetInfo(pool);
    await assert.rejects(
      createVolume(conn, pool, { name: 'huge.raw', format: 'raw', capacity: info.available + 1024 ** 3, allocation: info.available + 1024 ** 3 }),
      (e: unknown) => ResourceInputError.is(e) && e.field === 'capacity',
    );
    const { vol } = await createVolume(conn, pool, { name: 'disk.qcow2', format: 'qcow2', capacity: 64 * 1024 ** 2 });
    const desc = parseVolumeXml(await conn.storageVolGetXmlDesc(vol));
    assert.equal(desc.format, 'qcow2');
    assert.equal(desc.capacity, 64 * 1024 ** 2);

    await resizeVolume(conn, vol, 128 * 1024 ** 2);
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, 128 * 1024 ** 2);
    await assert.rejects(resizeVolume(conn, vol, 32 * 1024 ** 2), (e: unknown) => ResourceInputError.is(e));

    // A raw volume for a byte-exact round trip.
    const { vol: raw } = await createVolume(conn, pool, { name: 'data.raw', format: 'raw', capacity: 4 * 1024 ** 2 });
    const payload = crypto.randomBytes(3 * 1024 ** 2 + 123);
    const src = path.join(base, 'upload.bin');
    fs.writeFileSync(src, payload);
    const progress: number[] = [];
    const sent = await uploadFile(conn, raw, src, { onProgress: (p) => progress.push(p.bytes), progressIntervalMs: 0 });
    assert.equal(sent, payload.length);
    assert.equal(progress.at(-1), payload.length);
    const dst = path.join(base, 'download.bin');
    const got = await downloadToFile(conn, raw, dst, { expectedBytes: 4 * 1024 ** 2 });
    assert.equal(got, 4 * 1024 ** 2);
    const back = fs.readFileSync(dst);
    assert.ok(back.subarray(0, payload.length).equals(payload), 'downloaded bytes differ from the uploaded ones');
    assert.ok(back.subarray(payload.length).every((b) => b === 0));

    await conn.storageVolWipe(raw);
    const wiped = path.join(base, 'wiped.bin');
    await downloadToFile(conn, raw, wiped);
    assert.ok(fs.readFileSync(wiped).every((b) => b === 0), 'wipe left non-zero bytes');

    await conn.storageVolDelete(raw);
    await conn.storageVolDelete(vol);
    assert.deepEqual(await conn.storagePoolListAllVolumes(pool), []);
  });

  it('creates a qcow2 overlay on a backing volume, shrinks a raw volume only when allowed, and sees which VMs use a volume', async () => {
    assert.ok(pool);
    const { vol: base } = await createVolume(conn, pool, { name: 'base.qcow2', format: 'qcow2', capacity: 32 * 1024 ** 2 });
    const basePath = parseVolumeXml(await conn.storageVolGetXmlDesc(base)).path;
    assert.ok(basePath);
    const { vol: overlay } = await createVolume(conn, pool, { name: 'overlay.qcow2', format: 'qcow2', capacity: 32 * 1024 ** 2, backingPath: basePath, backingFormat: 'qcow2' });
    const ov = parseVolumeXml(await conn.storageVolGetXmlDesc(overlay));
    assert.equal(ov.backingPath, basePath);

    const { vol: raw } = await createVolume(conn, pool, { name: 'shrink.raw', format: 'raw', capacity: 8 * 1024 ** 2 });
    await assert.rejects(resizeVolume(conn, raw, 4 * 1024 ** 2), (e: unknown) => ResourceInputError.is(e));
    await assert.rejects(resizeVolume(conn, raw, 4 * 1024 ** 2, { allowShrink: true, confirm: () => false }), (e: unknown) => e instanceof Error && e.name === 'ResizeDeclinedError');
    assert.equal((await conn.storageVolGetInfo(raw)).capacity, 8 * 1024 ** 2);
    const asked: string[] = [];
    await resizeVolume(conn, raw, 4 * 1024 ** 2, { allowShrink: true, confirm: (w) => (asked.push(...w), true) });
    assert.equal((await conn.storageVolGetInfo(raw)).capacity, 4 * 1024 ** 2);
    assert.match(asked.join(' '), /destroys the data/);

    const vmName = uniqueName('user');
    const dom = await conn.domainDefineXml(`<domain type='qemu'><name>${vmName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${ov.path ?? ''}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
    try {
      const usages = await loadDomainUsages(conn);
      assert.deepEqual(volumeUsers(usages, { path: ov.path, pool: poolName, name: 'overlay.qcow2' }).map((u) => u.dom.name), [vmName]);
      assert.deepEqual(volumeUsers(usages, { path: ov.path?.replace('overlay', 'shrink'), pool: poolName, name: 'shrink.raw' }), []);
      // Growing the disk of the running VM through QEMU rather than under it.
      const running = await conn.domainCreate(dom);
      await assert.rejects(resizeThroughDomain(conn, overlay, running, 'vda', 16 * 1024 ** 2), (e: unknown) => ResourceInputError.is(e));
      await resizeThroughDomain(conn, overlay, running, 'vda', 48 * 1024 ** 2);
      assert.equal((await conn.storageVolGetInfo(overlay)).capacity, 48 * 1024 ** 2);
    } finally {
      await conn.domainDestroy(dom).catch(() => undefined);
      await conn.domainUndefine(dom);
    }
    for (const v of [overlay, base, raw]) await conn.storageVolDelete(v);
  });

  it('aborts a download on request and removes the partial file', async () => {
    assert.ok(pool);
    const { vol } = await createVolume(conn, pool, { name: 'big.raw', format: 'raw', capacity: 256 * 1024 ** 2, allocation: 0 });
    const ac = new AbortController();
    const dst = path.join(base, 'partial.bin');
    const p = downloadToFile(conn, vol, dst, { onProgress: (pr) => pr.bytes > 0 && ac.abort(), progressIntervalMs: 0, signal: ac.signal });
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(!fs.existsSync(dst));
    // The connection still works after the abort.
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, 256 * 1024 ** 2);
    await conn.storageVolDelete(vol);
  });

  it('deletes the pool with its storage', async () => {
    assert.ok(pool);
    await createVolume(conn, pool, { name: 'left.raw', format: 'raw', capacity: 1024 ** 2 });
    const { volumes } = await listPoolVolumes(conn, pool);
    assert.deepEqual(volumes.map((v) => v.name), ['left.raw']);
    assert.equal((await deletePool(conn, pool, { deleteStorage: true, volumes })).poolDeleted, true);
    pool = undefined;
    assert.ok(!fs.existsSync(poolPath));
    assert.ok(!(await conn.connectListAllStoragePools()).some((p) => p.name === poolName));
  });
});
