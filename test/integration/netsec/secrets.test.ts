// libvirt secrets and LUKS volumes on the real daemon: define/list/delete with the value going to
// libvirt only, a LUKS-encrypted qcow2 volume made with a new secret and a VM started on it with
// no prompt, and the users of a secret named before it is deleted.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Connection, DomainRef, StoragePoolRef } from '../../../src/libvirt/connection';
import { isNoSecret } from '../../../src/libvirt/rpc/errors';
import { loadDomainUsages } from '../../../src/libvirt/resources/domainUsage';
import { createEncryptedVolume } from '../../../src/libvirt/resources/encryptedVolume';
import { addDevice } from '../../../src/forms/apply';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { createPool, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { defineSecret, deleteSecret, listSecrets, loadSecretUsers, parseSecretXml, secretValueBytes, secretVmUsers, SecretChangedError, SecretUsersChangedError } from '../../../src/libvirt/resources/secret';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { ResourceInputError } from '../../../src/libvirt/resources/validation';
import { leftoverOfDeadRun } from '../../leftovers';
import { openConnection } from '../resources/resourceEnv';

const PREFIX = 'nsec';
const name = (tag: string): string => `${PREFIX}${process.pid}-${tag}`;
const PASSPHRASE = `pw-${process.pid}-correct horse battery`;

async function removeDead(conn: Connection): Promise<void> {
  for (const d of await conn.connectListAllDomains(0)) {
    if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
    if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, 0).catch(() => undefined);
  }
  for (const s of await listSecrets(conn)) {
    const id = s.desc?.usageId ?? '';
    if (leftoverOfDeadRun(path.basename(id), PREFIX) || leftoverOfDeadRun(path.basename(path.dirname(id)), PREFIX)) await conn.secretUndefine(s.ref).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools(0)) {
    if (!leftoverOfDeadRun(p.name, PREFIX)) continue;
    const { volumes } = await listPoolVolumes(conn, p).catch(() => ({ volumes: [] }));
    await deletePool(conn, p, { deleteStorage: true, volumes }).catch(() => undefined);
  }
}

describe('secrets and LUKS volumes on the real daemon (integration)', function () {
  this.timeout(180000);
  let conn: Connection;
  let base: string;
  let pool: StoragePoolRef | undefined;
  const secrets: string[] = [];
  const doms: DomainRef[] = [];

  before(async () => {
    conn = await openConnection();
    await removeDead(conn);
    base = fs.mkdtempSync(path.join(os.tmpdir(), name('')));
    fs.chmodSync(base, 0o755);
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
    for (const u of secrets) await deleteSecret(conn, u).catch(() => undefined);
    if (pool) {
      const { volumes } = await listPoolVolumes(conn, pool);
      await deletePool(conn, pool, { deleteStorage: true, volumes });
    }
    await conn.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('defines a private secret, lists it without its value, and deletes exactly it', async () => {
    const usageId = name('ceph');
    const ref = await defineSecret(conn, { usage: 'ceph', usageId, description: 'test key' }, secretValueBytes('base64', Buffer.from('k3y-bytes').toString('base64')));
    secrets.push(ref.uuid);
    const listed = (await listSecrets(conn)).find((s) => s.ref.uuid === ref.uuid);
    assert.deepEqual(listed?.desc, { uuid: ref.uuid, ephemeral: false, private: true, usage: 'ceph', usageId });
    assert.deepEqual(parseSecretXml(await conn.secretGetXmlDesc(ref)), { uuid: ref.uuid, description: 'test key', ephemeral: false, private: true, usage: 'ceph', usageId });
    // An ephemeral, non-private secret is told apart by the flag listings.
    const eph = await defineSecret(conn, { usage: 'ceph', usageId: `${usageId}-e`, ephemeral: true, private: false }, secretValueBytes('passphrase', 'x'));
    secrets.push(eph.uuid);
    assert.deepEqual((await listSecrets(conn)).find((s) => s.ref.uuid === eph.uuid)?.desc, { uuid: eph.uuid, ephemeral: true, private: false, usage: 'ceph', usageId: `${usageId}-e` });
    assert.ok(!(await conn.secretGetXmlDesc(ref)).includes('k3y'));
    // Private: libvirt refuses to hand the value back over the API.
    await assert.rejects(conn.secretGetValue(ref));
    // A second secret for the same usage is refused before libvirt.
    await assert.rejects(defineSecret(conn, { usage: 'ceph', usageId }, secretValueBytes('passphrase', 'x')), (e: unknown) => ResourceInputError.is(e) && /already used/.test(e.message));
    // Confirmed with the users it has (none): deleted.
    await deleteSecret(conn, ref.uuid, { volumes: [], vms: [] });
    await assert.rejects(conn.secretLookupByUuid(ref.uuid), (e: unknown) => isNoSecret(e));
    await assert.rejects(deleteSecret(conn, ref.uuid), (e: unknown) => SecretChangedError.is(e));
  });

  it('creates a LUKS qcow2 volume with a new secret; a TCG VM using it starts with no prompt', async () => {
    pool = await createPool(conn, { type: 'dir', name: name('pool'), targetPath: path.join(base, 'pool') });
    fs.chmodSync(path.join(base, 'pool'), 0o755);
    const passphrase = new TextEncoder().encode(PASSPHRASE);
    const res = await createEncryptedVolume(conn, pool, { name: 'enc', format: 'qcow2', capacity: 16 * 1024 * 1024 }, { passphrase });
    secrets.push(res.secretUuid);
    assert.ok(res.secretCreated);
    assert.ok(passphrase.every((b) => b === 0), 'the passphrase buffer is wiped after use');
    const vol = parseVolumeXml(await conn.storageVolGetXmlDesc(res.vol, 0));
    assert.equal(vol.path, res.path);
    assert.deepEqual(vol.encryption, { format: 'luks', secretUuid: res.secretUuid });
    const secret = (await listSecrets(conn)).find((s) => s.ref.uuid === res.secretUuid)?.desc;
    assert.equal(secret?.usage, 'volume');
    assert.equal(secret?.usageId, res.path);
    // qemu-img sees a LUKS-encrypted qcow2.
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', res.path], { encoding: 'utf8' })) as { format: string; encrypted?: boolean; 'format-specific'?: { data?: { encrypt?: { format?: string } } } };
    assert.equal(info.format, 'qcow2');
    assert.equal(info.encrypted, true);
    assert.equal(info['format-specific']?.data?.encrypt?.format, 'luks');

    // The disk is built as the details panel and Add Hardware build one: the disk kind's
    // description, with the encryption fields that name the volume's secret.
    const xml = DomainXml.parse(`<domain type='qemu'>
  <name>${name('luksvm')}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
  </devices>
</domain>`);
    addDevice(xml, 'disk', { sourceFile: res.path, driverType: 'qcow2', bus: 'virtio', target: 'vda', encryptionFormat: 'luks', encryptionSecretType: 'passphrase', encryptionSecretUuid: res.secretUuid });
    const dom = await conn.domainDefineXml(xml.toString());
    doms.push(dom);
    await conn.domainCreate(dom);
    const live = await conn.domainGetXmlDesc(dom, 0);
    assert.ok(!live.includes(PASSPHRASE));
    assert.match(live, new RegExp(`<secret type='passphrase' uuid='${res.secretUuid}'/>`));

    // The secret's users are named before a delete: the VM, by UUID and by the volume path.
    const users = secretVmUsers(await loadDomainUsages(conn), secret ?? { uuid: res.secretUuid, ephemeral: false, private: true, usage: 'volume' });
    assert.deepEqual(users, [{ name: name('luksvm'), running: true }]);

    // The users as a delete confirmation names them: the volume (by path) and the VM.
    const named = await loadSecretUsers(conn, secret ?? assert.fail('no secret'));
    assert.deepEqual(named.volumes.map((v) => v.path), [res.path]);
    assert.deepEqual(named.vms, [{ name: name('luksvm'), running: true }]);

    // A delete confirmed when no VM used the secret is refused once one does; the secret stays.
    await assert.rejects(
      deleteSecret(conn, res.secretUuid, { volumes: named.volumes, vms: [] }),
      (e: unknown) => SecretUsersChangedError.is(e) && e.newVms.join() === name('luksvm') && e.newVolumes.length === 0 && /nothing was deleted/.test(e.message),
    );
    await assert.rejects(
      deleteSecret(conn, res.secretUuid, { volumes: [], vms: named.vms }),
      (e: unknown) => SecretUsersChangedError.is(e) && e.newVolumes.join() === res.path && e.newVms.length === 0,
    );
    assert.equal((await conn.secretLookupByUuid(res.secretUuid)).uuid, res.secretUuid);

    // A second volume of that name is refused, and the secret made for it is not left over.
    // Compared by this volume's secrets, not by count: other runs may define secrets meanwhile.
    const forPath = async (): Promise<string[]> => (await listSecrets(conn)).filter((s) => s.desc?.usageId === res.path).map((s) => s.ref.uuid).sort();
    const before = await forPath();
    await assert.rejects(createEncryptedVolume(conn, pool, { name: 'enc', format: 'qcow2', capacity: 1024 * 1024 }, { passphrase: new TextEncoder().encode('x') }));
    assert.deepEqual(await forPath(), before);
  });
});
