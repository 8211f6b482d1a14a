// A pool on a block device, against the real daemon. The issue asks for a netfs pool against an
// NFS export on 127.0.0.1; this machine's kernel has no nfsd (mount -t nfsd fails: "unknown
// filesystem type", and there are no kernel modules to load), so the block-device path is tested
// with an LVM `logical` pool on a loop device instead. The kernel here also lacks the
// device-mapper targets LVM needs for logical volumes, so volume creation in that pool must fail
// with libvirt's own message and leave nothing behind.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Connection, StoragePoolRef } from '../../../src/libvirt/connection';
import { VirStoragePoolState } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, createVolume, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { parseFoundSources, parsePoolXml } from '../../../src/libvirt/resources/pool';
import { deletePoolAndVolumes, openConnection, removeLeftovers, uniqueName } from './resourceEnv';

describe('resources: LVM pool on a loop device (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let dir: string;
  let loop: string;
  let pool: StoragePoolRef | undefined;
  const vg = uniqueName('vg');

  before(async () => {
    conn = await openConnection();
    await removeLeftovers(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-lvm-'));
    const img = path.join(dir, 'disk.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 128 * 1024 * 1024);
    loop = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
  });

  after(async () => {
    if (pool) await deletePoolAndVolumes(conn, pool).catch(() => undefined);
    try {
      execFileSync('vgremove', ['-f', vg], { stdio: 'ignore', env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' } });
    } catch {
      // already gone
    }
    if (loop) execFileSync('losetup', ['-d', loop]);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn.close();
  });

  it('builds (vgcreate), starts, discovers, refuses an impossible volume cleanly, and deletes the volume group', async () => {
    const name = uniqueName('lvm');
    pool = await createPool(conn, { type: 'logical', name, sourceName: vg, devices: [loop], format: 'lvm2', targetPath: `/dev/${vg}` }, { build: true });
    const info = await conn.storagePoolGetInfo(pool);
    assert.equal(info.state, VirStoragePoolState.RUNNING);
    assert.ok(info.capacity > 100 * 1024 * 1024, `capacity ${info.capacity}`);
    assert.equal(parsePoolXml(await conn.storagePoolGetXmlDesc(pool)).sourceName, vg);

    const found = parseFoundSources(await conn.connectFindStoragePoolSources('logical', null));
    assert.ok(found.some((s) => s.name === vg && s.devices.includes(loop)), JSON.stringify(found));

    let created = false;
    try {
      await createVolume(conn, pool, { name: 'lv1', format: 'raw', capacity: 8 * 1024 * 1024, allocation: 8 * 1024 * 1024 });
      created = true;
    } catch (e) {
      assert.ok(e instanceof Error && e.name === 'LibvirtError', String(e));
    }
    if (!created) assert.deepEqual(await conn.storagePoolListAllVolumes(pool), []);

    await deletePool(conn, pool, { deleteStorage: true, volumes: (await listPoolVolumes(conn, pool)).volumes });
    pool = undefined;
    assert.ok(!(await conn.connectListAllStoragePools()).some((p) => p.name === name));
    const vgs = execFileSync('vgs', ['--noheadings', '-o', 'vg_name'], { encoding: 'utf8', env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' } });
    assert.ok(!vgs.split('\n').map((s) => s.trim()).includes(vg), 'the volume group should be removed');
  });
});
