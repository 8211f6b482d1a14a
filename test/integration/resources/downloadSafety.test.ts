// Volume downloads against the real daemon: memory stays bounded when the destination is slow
// (the connection is paused instead of buffering the volume, over unix and over SSH), and a
// failed or cancelled download leaves an existing file exactly as it was.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef, type StorageVolRef } from '../../../src/libvirt/connection';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { ManagedConnection } from '../../../src/libvirt/managedConnection';
import { downloadTo, downloadToFile, uploadFile } from '../../../src/libvirt/resources/transfer';
import { downloadMemoryPeak, SlowSink } from '../../../bench/transferMemory';
import { deletePoolAndVolumes, PREFIX, uri } from './resourceEnv';

const MiB = 1024 * 1024;
/**
 * Above the baseline; without flow control a 256 MiB download to this sink holds about 200 MiB.
 * The external memory counted is what is still held (bench/transferMemory.ts retainedExternal):
 * Buffers already dropped wait for V8's collector, which over SSH (a Buffer per packet) let the
 * raw figure pass 48 MiB once in eight runs.
 */
const MEMORY_BOUND = 48 * MiB;
const SINK_RATE = 64 * MiB;

const ssh = {
  host: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  port: process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222',
  user: process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root',
  key: process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519',
  knownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts',
};
const sshUri = `qemu+ssh://${ssh.user}@${ssh.host}:${ssh.port}/system?${new URLSearchParams({ keyfile: ssh.key, known_hosts: ssh.knownHosts }).toString()}`;

const POOL_PREFIX = `${PREFIX}dlsafe-`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pools this file left behind in a run that was killed (their process is gone). */
async function removeOwnLeftovers(conn: Connection): Promise<void> {
  for (const p of await conn.connectListAllStoragePools()) {
    const m = new RegExp(`^${POOL_PREFIX}(\\d+)-`).exec(p.name);
    if (!m || processAlive(Number(m[1]))) continue;
    await deletePoolAndVolumes(conn, p).catch(() => undefined);
  }
}

describe('resources: volume download memory and file safety (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let dir: string;
  let pool: StoragePoolRef | undefined;
  let sparse: StorageVolRef;

  before(async () => {
    conn = await Connection.open(uri);
    await removeOwnLeftovers(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-dlsafe-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${POOL_PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    ({ vol: sparse } = await createVolume(conn, pool, { name: 'sparse.raw', format: 'raw', capacity: 256 * MiB, allocation: 0 }));
  });

  after(async () => {
    if (pool) await deletePoolAndVolumes(conn, pool).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  /** A new empty directory for one test's files. */
  const freshDir = (name: string): string => {
    const d = path.join(dir, name);
    fs.mkdirSync(d);
    return d;
  };

  it(`keeps memory under ${MEMORY_BOUND / MiB} MiB while 256 MiB go to a ${SINK_RATE / MiB} MiB/s destination (unix socket)`, async () => {
    const r = await downloadMemoryPeak(conn, sparse, SINK_RATE, { expectedBytes: 256 * MiB });
    assert.equal(r.bytes, 256 * MiB);
    assert.ok(r.peak.retainedExternal < MEMORY_BOUND, `external memory still held peaked ${(r.peak.retainedExternal / MiB).toFixed(1)} MiB above the baseline`);
    assert.ok(r.peak.rss < MEMORY_BOUND, `rss peaked ${(r.peak.rss / MiB).toFixed(1)} MiB above the baseline`);
    // The connection, paused many times, still answers.
    assert.equal((await conn.storageVolGetInfo(sparse)).capacity, 256 * MiB);
  });

  it(`keeps memory under ${MEMORY_BOUND / MiB} MiB while 256 MiB go to a slow destination over SSH`, async () => {
    const sshConn = await Connection.open(sshUri);
    try {
      const vol = await sshConn.storageVolLookupByName(await sshConn.storagePoolLookupByName(sparse.pool), sparse.name);
      const r = await downloadMemoryPeak(sshConn, vol, SINK_RATE, { expectedBytes: 256 * MiB });
      assert.equal(r.bytes, 256 * MiB);
      assert.ok(r.peak.retainedExternal < MEMORY_BOUND, `external memory still held peaked ${(r.peak.retainedExternal / MiB).toFixed(1)} MiB above the baseline`);
      assert.ok(r.peak.rss < MEMORY_BOUND, `rss peaked ${(r.peak.rss / MiB).toFixed(1)} MiB above the baseline`);
      assert.equal((await sshConn.storageVolGetInfo(vol)).capacity, 256 * MiB);
    } finally {
      await sshConn.close();
    }
  });

  it('a download on a separate connection, stalled by its destination, does not stall the managed connection', async () => {
    const managed = new ManagedConnection({ uri });
    try {
      const main = await managed.connect();
      const separate = await managed.openSeparate();
      assert.notEqual(separate, main);
      const ac = new AbortController();
      const download = downloadTo(separate, sparse, new SlowSink(MiB), { expectedBytes: 256 * MiB, signal: ac.signal });
      download.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1500)); // the separate connection is paused by now
      const t0 = Date.now();
      assert.equal((await main.storageVolGetInfo(sparse)).capacity, 256 * MiB);
      assert.ok(Date.now() - t0 < 1000, `the managed connection took ${Date.now() - t0} ms to answer`);
      ac.abort();
      await assert.rejects(download, (e: unknown) => e instanceof Error && e.name === 'AbortError');
      await separate.close();
      assert.equal(main.closed, false);
    } finally {
      managed.dispose();
    }
  });

  it('leaves an existing file unchanged and no temporary file when the download is cancelled midway', async () => {
    const local = freshDir('cancel');
    const target = path.join(local, 'cancel.img');
    const original = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(target, original);
    const ac = new AbortController();
    let seen = 0;
    const p = downloadToFile(conn, sparse, target, {
      progressIntervalMs: 0,
      signal: ac.signal,
      onProgress: (pr) => {
        seen = pr.bytes;
        if (pr.bytes >= 8 * MiB) ac.abort();
      },
    });
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(seen >= 8 * MiB && seen < 256 * MiB, `cancelled after ${seen} bytes`);
    assert.ok(fs.readFileSync(target).equals(original), 'the existing file changed');
    assert.deepEqual(fs.readdirSync(local), ['cancel.img']);
    assert.equal((await conn.storageVolGetInfo(sparse)).capacity, 256 * MiB, 'the connection works after the abort');
  });

  it('leaves an existing file unchanged and no temporary file when the connection is lost midway', async () => {
    const local = freshDir('lost');
    const target = path.join(local, 'lost.img');
    const original = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(target, original);
    const other = await Connection.open(uri);
    let closing: Promise<void> | undefined;
    const p = downloadToFile(other, sparse, target, {
      progressIntervalMs: 0,
      onProgress: (pr) => {
        if (pr.bytes >= 8 * MiB) closing ??= other.close();
      },
    });
    await assert.rejects(p);
    await closing;
    assert.ok(fs.readFileSync(target).equals(original), 'the existing file changed');
    assert.deepEqual(fs.readdirSync(local), ['lost.img']);
  });

  it('leaves an existing file unchanged when the volume is gone', async () => {
    assert.ok(pool);
    const local = freshDir('gone');
    const target = path.join(local, 'gone.img');
    const original = crypto.randomBytes(4096);
    fs.writeFileSync(target, original);
    const { vol } = await createVolume(conn, pool, { name: 'gone.raw', format: 'raw', capacity: MiB });
    await conn.storageVolDelete(vol);
    await assert.rejects(downloadToFile(conn, vol, target, { expectedBytes: MiB }));
    assert.ok(fs.readFileSync(target).equals(original), 'the existing file changed');
    assert.deepEqual(fs.readdirSync(local), ['gone.img']);
  });

  it('replaces an existing file with exactly the volume bytes on success', async () => {
    assert.ok(pool);
    const size = 3 * MiB;
    const { vol } = await createVolume(conn, pool, { name: 'data.raw', format: 'raw', capacity: size });
    const payload = crypto.randomBytes(size);
    const src = path.join(dir, 'src.bin');
    fs.writeFileSync(src, payload);
    await uploadFile(conn, vol, src);
    const local = freshDir('replace');
    const target = path.join(local, 'replace.img');
    fs.writeFileSync(target, crypto.randomBytes(5 * MiB)); // longer than the volume: must not leave a tail
    assert.equal(await downloadToFile(conn, vol, target), size);
    assert.ok(fs.readFileSync(target).equals(payload), 'the downloaded file differs from the volume');
    assert.deepEqual(fs.readdirSync(local), ['replace.img']);
    await conn.storageVolDelete(vol);
  });
});
