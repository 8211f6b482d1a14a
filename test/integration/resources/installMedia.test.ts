// Install media on the host, recognised without a shell: an ISO uploaded into a real pool is
// read back through the storage download stream (its volume descriptors only), over the local
// socket and over SSH, and matched against this machine's osinfo-db.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef, type StorageVolRef } from '../../../src/libvirt/connection';
import { readLocalOsinfoFiles } from '../../../src/libvirt/osinfo';
import { detectFromIso, parseOsinstallXml, ISO_DESCRIPTOR_OFFSET } from '../../../src/libvirt/osinfoMedia';
import { isoIdentifiersOfVolume } from '../../../src/libvirt/resources/installMedia';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { readVolumeRange, uploadFile } from '../../../src/libvirt/resources/transfer';
import { makeIso } from '../../isoImage';
import { leftoverOfDeadRun } from '../../leftovers';
import { deletePoolAndVolumes, PREFIX, uri } from './resourceEnv';

const POOL_PREFIX = `${PREFIX}media-`;
const ssh = {
  host: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  port: process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222',
  user: process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root',
  key: process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519',
  knownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts',
};
const sshUri = `qemu+ssh://${ssh.user}@${ssh.host}:${ssh.port}/system?${new URLSearchParams({ keyfile: ssh.key, known_hosts: ssh.knownHosts }).toString()}`;

describe('resources: install media recognised through the storage stream (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let dir: string;
  let pool: StoragePoolRef | undefined;
  let isoVol: StorageVolRef;
  let rawVol: StorageVolRef;
  let isoBytes: Buffer;

  before(async () => {
    conn = await Connection.open(uri);
    for (const p of await conn.connectListAllStoragePools()) if (leftoverOfDeadRun(p.name, POOL_PREFIX)) await deletePoolAndVolumes(conn, p).catch(() => undefined);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-media-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${POOL_PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`, targetPath: path.join(dir, 'pool') });
    const iso = makeIso(dir, { volumeId: 'Debian 11.7.0 amd64 n', systemId: 'LINUX' });
    isoBytes = fs.readFileSync(iso);
    ({ vol: isoVol } = await createVolume(conn, pool, { name: 'debian-netinst.iso', format: 'raw', capacity: isoBytes.length, allocation: 0 }));
    await uploadFile(conn, isoVol, iso);
    ({ vol: rawVol } = await createVolume(conn, pool, { name: 'blank.raw', format: 'raw', capacity: 1024 * 1024, allocation: 0 }));
  });

  after(async () => {
    if (pool) await deletePoolAndVolumes(conn, pool).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('reads exactly the requested bytes of a volume, and refuses unbounded reads', async () => {
    const got = await readVolumeRange(conn, isoVol, ISO_DESCRIPTOR_OFFSET, 2048);
    assert.equal(got.length, 2048);
    assert.ok(got.equals(isoBytes.subarray(ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_OFFSET + 2048)));
    await assert.rejects(readVolumeRange(conn, isoVol, 0, 64 * 1024 * 1024), RangeError);
    // The connection is still usable after the ranged stream (it was finished, not left open).
    assert.equal((await conn.storageVolGetInfo(isoVol)).capacity, isoBytes.length);
  });

  it('recognises the uploaded ISO as Debian 11 over the local socket, and a blank volume as no ISO', async () => {
    const ids = await isoIdentifiersOfVolume(conn, isoVol);
    assert.equal(ids?.volumeId, 'Debian 11.7.0 amd64 n');
    const files = await readLocalOsinfoFiles();
    assert.ok(files);
    assert.equal(detectFromIso(files.flatMap(parseOsinstallXml), ids!, 'x86_64')[0]?.os.id, 'http://debian.org/debian/11');
    assert.equal(await isoIdentifiersOfVolume(conn, rawVol), undefined);
  });

  it('reads the same identifiers over SSH (a remote host with no libvirt on the client)', async () => {
    const remote = await Connection.open(sshUri);
    try {
      const vol = await remote.storageVolLookupByName(await remote.storagePoolLookupByName(isoVol.pool), isoVol.name);
      assert.equal((await isoIdentifiersOfVolume(remote, vol))?.volumeId, 'Debian 11.7.0 amd64 n');
    } finally {
      await remote.close();
    }
  });
});
