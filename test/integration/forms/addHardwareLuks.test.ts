// Add Hardware's Storage with LUKS encryption on the real libvirtd: a new encrypted qcow2 volume
// whose passphrase goes into a libvirt secret the extension defines, the disk carrying the
// secret's UUID, and the VM started with no prompt; a short or mistyped passphrase refused on its
// field with nothing made; a refused Finish removing the volume and the secret it made.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddHardwareModel } from '../../../src/forms/addHardware';
import { ApplyRefusedError } from '../../../src/forms/formSchema';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues, VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { removeDeadRunObjects } from '../../leftovers';

const URI = process.env.LIBVIRT_TEST_URI ?? 'qemu:///system';
const PREFIX = 'addluks-';
const UNDEFINE = VirDomainUndefineFlagsValues.NVRAM | VirDomainUndefineFlagsValues.TPM;

describe('Add Hardware: a LUKS-encrypted new disk (integration)', function () {
  this.timeout(120_000);
  let conn: Connection;
  let pool: StoragePoolRef;
  let dom: DomainRef;
  let dir: string;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const secretsOfPool = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const s of await conn.connectListAllSecrets(0)) {
      const xml = await conn.secretGetXmlDesc(s, 0).catch(() => '');
      if (xml.includes(dir)) out.push(s.uuid);
    }
    return out;
  };

  before(async () => {
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'addluks-'));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: `${run}-pool`, targetPath: path.join(dir, 'pool') });
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${run}-vm</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>`);
  });

  after(async () => {
    await conn.domainDestroy(dom).catch(() => undefined);
    await conn.domainUndefine(dom, UNDEFINE).catch(() => undefined);
    for (const uuid of await secretsOfPool().catch(() => [])) await conn.secretUndefine(await conn.secretLookupByUuid(uuid)).catch(() => undefined);
    const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
    await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  it('refuses a short or mistyped passphrase on its field and makes nothing', async () => {
    const model = new AddHardwareModel(conn, dom, { confirmNextBoot: async () => false });
    const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
    assert.ok(form.fields.some((f) => f.id === 'passphrase' && f.widget === 'password'), 'a masked passphrase field');
    const base = { ...form.values, pool: pool.name, volumeName: `${run}-short`, capacity: 0.01, encrypt: true };
    const short = await model.check('disk', { ...base, passphrase: 'short', passphraseRepeat: 'short' });
    assert.ok(short.problems.some((p) => p.field === 'passphrase'), JSON.stringify(short.problems));
    const differ = await model.check('disk', { ...base, passphrase: 'long enough 1', passphraseRepeat: 'long enough 2' });
    assert.ok(differ.problems.some((p) => p.field === 'passphraseRepeat'));
    await assert.rejects(model.finish('disk', { ...base, passphrase: 'short', passphraseRepeat: 'short' }), ApplyRefusedError);
    assert.deepEqual((await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name), []);
    assert.deepEqual(await secretsOfPool(), []);
  });

  it('a Finish libvirt refuses after the volume was made removes the volume and its secret again', async () => {
    const model = new AddHardwareModel(conn, dom, { confirmNextBoot: async () => false });
    const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
    const passphrase = 'a good passphrase';
    await assert.rejects(model.finish('disk', { ...form.values, pool: pool.name, volumeName: `${run}-undo`, capacity: 0.01, encrypt: true, passphrase, passphraseRepeat: passphrase, serial: 'bad serial\u0001' }), ApplyRefusedError);
    assert.deepEqual((await conn.storagePoolListAllVolumes(pool, 0)).map((v) => v.name), []);
    assert.deepEqual(await secretsOfPool(), []);
  });

  it('adds a LUKS volume whose passphrase is in a libvirt secret, and the VM starts with no prompt', async () => {
    const model = new AddHardwareModel(conn, dom, { confirmNextBoot: async () => false });
    const form = (await model.load()).kinds.find((k) => k.id === 'disk')!;
    const passphrase = `pass-${crypto.randomBytes(6).toString('hex')}`;
    await model.finish('disk', { ...form.values, pool: pool.name, volumeName: `${run}-enc`, capacity: 0.05, encrypt: true, passphrase, passphraseRepeat: passphrase });
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    const disk = def.devicesOf('disk')[0]!;
    assert.equal(disk.get('encryptionFormat'), 'luks');
    const uuid = disk.get('encryptionSecretUuid');
    assert.ok(uuid);
    const [vol] = await conn.storagePoolListAllVolumes(pool, 0);
    assert.match(await conn.storageVolGetXmlDesc(vol!), /<encryption format=["']luks["']>/);
    assert.deepEqual(await secretsOfPool(), [uuid], 'one secret, for this volume');
    const secretXml = await conn.secretGetXmlDesc(await conn.secretLookupByUuid(uuid), 0);
    assert.match(secretXml, /private=["']yes["']/);
    assert.equal(secretXml.includes(passphrase), false);
    assert.equal(def.toString().includes(passphrase), false, 'the passphrase is in no definition');
    await conn.domainCreate(dom);
    assert.equal((await conn.domainGetInfo(dom)).state, 1, 'QEMU opened the LUKS image with the secret');
    await conn.domainDestroy(dom);
  });
});
