// Volume upload and download over qemu+ssh://: the bytes travel in libvirt stream packets on the
// SSH channel to the remote daemon (no SFTP), and come back byte-identical.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { createPool, createVolume } from '../../../src/libvirt/resources/operations';
import { downloadToFile, uploadFile } from '../../../src/libvirt/resources/transfer';
import { deletePoolAndVolumes, removeLeftovers, uniqueName } from './resourceEnv';

const ssh = {
  host: process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1',
  port: process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222',
  user: process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root',
  key: process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519',
  knownHosts: process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts',
};

describe('resources: volume transfer over SSH (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  let dir: string;
  let pool: StoragePoolRef | undefined;

  before(async () => {
    const q = new URLSearchParams({ keyfile: ssh.key, known_hosts: ssh.knownHosts });
    conn = await Connection.open(`qemu+ssh://${ssh.user}@${ssh.host}:${ssh.port}/system?${q.toString()}`);
    await removeLeftovers(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtest-ssh-'));
    fs.chmodSync(dir, 0o755);
  });

  after(async () => {
    if (pool) await deletePoolAndVolumes(conn, pool).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('uploads 5 MiB into a volume and downloads it byte-identical', async () => {
    pool = await createPool(conn, { type: 'dir', name: uniqueName('sshpool'), targetPath: path.join(dir, 'pool') });
    const size = 5 * 1024 * 1024;
    const { vol } = await createVolume(conn, pool, { name: 'blob.raw', format: 'raw', capacity: size });
    const payload = crypto.randomBytes(size);
    const src = path.join(dir, 'src.bin');
    const dst = path.join(dir, 'dst.bin');
    fs.writeFileSync(src, payload);
    let last = 0;
    assert.equal(await uploadFile(conn, vol, src, { onProgress: (p) => (last = p.bytes) }), size);
    assert.equal(last, size);
    assert.equal(await downloadToFile(conn, vol, dst), size);
    assert.ok(fs.readFileSync(dst).equals(payload), 'bytes differ after the SSH round trip');
  });
});
