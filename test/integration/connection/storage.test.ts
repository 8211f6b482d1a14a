import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { Connection, type StoragePoolEvent, type StoragePoolRef } from '../../../src/libvirt/connection';
import { isNoStorageVol } from '../../../src/libvirt/rpc/errors';
import type { RpcStream } from '../../../src/libvirt/rpc/types';
import { VirStoragePoolEventLifecycleType, VirStoragePoolState } from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, removeLeftovers, uniqueName } from './testEnv';

function readAll(stream: RpcStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

async function writeAll(stream: RpcStream, data: Buffer): Promise<void> {
  const finished = once(stream, 'finish');
  stream.end(data);
  await finished;
}

describe('Connection: storage over qemu:///system (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let dir: string;
  let pool: StoragePoolRef | undefined;

  before(async () => {
    conn = await Connection.open(env.uri);
    await removeLeftovers(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-conn-pool-'));
    // libvirt (and QEMU, as libvirt-qemu) must be able to traverse it.
    fs.chmodSync(dir, 0o755);
  });

  after(async () => {
    if (conn && pool) {
      for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
    }
    if (conn) await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('defines a dir pool, round-trips 5 MB through upload and download, resizes, wipes and deletes', async () => {
    const events = new EventLog<StoragePoolEvent>();
    const sub = conn.onStoragePoolEvent(events.push);
    await sub.ready;
    const name = uniqueName('pool');
    const target = path.join(dir, 'images');
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}</name><target><path>${target}</path></target></pool>`);
    await events.waitFor((e) => e.kind === 'lifecycle' && e.pool.name === name && e.event === VirStoragePoolEventLifecycleType.DEFINED, 'pool DEFINED');
    await conn.storagePoolBuild(pool);
    assert.ok(fs.statSync(target).isDirectory(), 'build created the target directory');
    await conn.storagePoolCreate(pool);
    await events.waitFor((e) => e.kind === 'lifecycle' && e.pool.name === name && e.event === VirStoragePoolEventLifecycleType.STARTED, 'pool STARTED');
    assert.equal((await conn.storagePoolGetInfo(pool)).state, VirStoragePoolState.RUNNING);
    assert.ok((await conn.connectListAllStoragePools()).some((p) => p.uuid === pool!.uuid));
    assert.match(await conn.storagePoolGetXmlDesc(pool), new RegExp(`<path>${target}</path>`));

    const size = 5 * 1024 * 1024;
    const vol = await conn.storageVolCreateXml(
      pool,
      `<volume><name>data.raw</name><capacity unit='bytes'>${size}</capacity><target><format type='raw'/></target></volume>`,
    );
    assert.equal(vol.pool, name);
    assert.equal(vol.key, path.join(target, 'data.raw'));
    assert.deepEqual(await conn.storageVolLookupByPath(vol.key), vol);
    assert.deepEqual(await conn.storageVolLookupByName(pool, 'data.raw'), vol);
    assert.deepEqual(await conn.storagePoolListAllVolumes(pool), [vol]);

    const data = crypto.randomBytes(size);
    await writeAll(await conn.storageVolUpload(vol, 0, size), data);
    const back = await readAll(await conn.storageVolDownload(vol, 0, size));
    assert.equal(back.length, size);
    assert.ok(back.equals(data), 'downloaded bytes equal the uploaded bytes');
    assert.ok(fs.readFileSync(vol.key).equals(data), 'the file on disk holds the uploaded bytes');
    const part = await readAll(await conn.storageVolDownload(vol, 4096, 100));
    assert.ok(part.equals(data.subarray(4096, 4196)), 'a ranged download returns that range');

    const clone = await conn.storageVolCreateXmlFrom(
      pool,
      `<volume><name>copy.raw</name><capacity unit='bytes'>${size}</capacity><target><format type='raw'/></target></volume>`,
      vol,
    );
    assert.ok((await readAll(await conn.storageVolDownload(clone))).equals(data), 'the clone holds the same bytes');
    assert.match(await conn.storageVolGetXmlDesc(clone), /<name>copy.raw<\/name>/);
    await conn.storageVolDelete(clone);

    assert.equal(await conn.storagePoolGetAutostart(pool), false);
    await conn.storagePoolSetAutostart(pool, true);
    assert.equal(await conn.storagePoolGetAutostart(pool), true);
    await conn.storagePoolSetAutostart(pool, false);

    await conn.storageVolResize(vol, 8 * 1024 * 1024);
    assert.equal((await conn.storageVolGetInfo(vol)).capacity, 8 * 1024 * 1024);

    await conn.storageVolWipe(vol);
    const wiped = await readAll(await conn.storageVolDownload(vol, 0, 1024 * 1024));
    assert.ok(wiped.every((b) => b === 0), 'wipe zeroed the volume');

    await conn.storagePoolRefresh(pool);
    await events.waitFor((e) => e.kind === 'refresh' && e.pool.name === name, 'pool refresh');

    await conn.storageVolDelete(vol);
    await assert.rejects(conn.storageVolLookupByName(pool, 'data.raw'), isNoStorageVol);
    await conn.storagePoolDestroy(pool);
    await conn.storagePoolDelete(pool);
    assert.equal(fs.existsSync(target), false, 'delete removed the target directory');
    await conn.storagePoolUndefine(pool);
    await events.waitFor((e) => e.kind === 'lifecycle' && e.pool.name === name && e.event === VirStoragePoolEventLifecycleType.UNDEFINED, 'pool UNDEFINED');
    pool = undefined;
    sub.dispose();
  });

  it('reports storage pool capabilities', async () => {
    assert.match(await conn.connectGetStoragePoolCapabilities(), /<storagepoolCapabilities>/);
  });
});
