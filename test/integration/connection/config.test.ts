import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection, type DomainRef, type SecretEvent, type SecretRef } from '../../../src/libvirt/connection';
import { isNoDomain, isNoSecret } from '../../../src/libvirt/rpc/errors';
import {
  VirDomainCreateFlags,
  VirDomainDeviceModifyFlags,
  VirDomainMemoryModFlags,
  VirDomainMetadataType,
  VirDomainModificationImpact,
  VirDomainState,
  VirDomainVcpuFlags,
  VirDomainXMLFlags,
  VirSecretEventLifecycleType,
  VirSecretUsageType,
} from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, removeLeftovers, sleep, tinyDomainXml, UNDEFINE_ALL, uniqueName } from './testEnv';

describe('Connection: domain configuration, snapshots, consoles, secrets and node devices (integration)', function () {
  this.timeout(120000);
  let conn: Connection;
  const domains: string[] = [];
  let secret: SecretRef | undefined;
  let dir: string;

  before(async () => {
    conn = await Connection.open(env.uri);
    await removeLeftovers(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itest-conn-cfg-'));
    fs.chmodSync(dir, 0o755);
  });

  after(async () => {
    if (!conn) return;
    for (const name of domains) {
      const d = await conn.domainLookupByName(name).catch(() => undefined);
      if (!d) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    if (secret) await conn.secretUndefine(secret).catch(() => undefined);
    await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('changes the persistent configuration of an inactive domain', async () => {
    const name = uniqueName('cfg');
    domains.push(name);
    // Internal snapshots need a qcow2 disk.
    const disk = path.join(dir, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    const diskXml = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`;
    let dom: DomainRef = await conn.domainDefineXml(tinyDomainXml(name, diskXml).replace('<vcpu>1</vcpu>', '<vcpu>2</vcpu>'));
    const CONFIG = VirDomainModificationImpact.CONFIG;
    assert.equal(await conn.domainIsActive(dom), false);
    assert.equal(await conn.domainHasManagedSaveImage(dom), false);

    await conn.domainSetVcpusFlags(dom, 1, VirDomainVcpuFlags.CONFIG);
    assert.match(await conn.domainGetXmlDesc(dom), /<vcpu[^>]*current='1'[^>]*>2<\/vcpu>/);
    await conn.domainSetMemoryFlags(dom, 96 * 1024, VirDomainMemoryModFlags.CONFIG);
    assert.equal((await conn.domainGetInfo(dom)).memory, 96 * 1024);

    assert.equal(await conn.domainGetAutostart(dom), false);
    await conn.domainSetAutostart(dom, true);
    assert.equal(await conn.domainGetAutostart(dom), true);
    await conn.domainSetAutostart(dom, false);

    await conn.domainSetMetadata(dom, VirDomainMetadataType.TITLE, 'A title', null, null, CONFIG);
    assert.equal(await conn.domainGetMetadata(dom, VirDomainMetadataType.TITLE, null, CONFIG), 'A title');
    await conn.domainSetMetadata(dom, VirDomainMetadataType.ELEMENT, '<note level="2"/>', 'it', 'http://example.org/itest', CONFIG);
    assert.match(await conn.domainGetMetadata(dom, VirDomainMetadataType.ELEMENT, 'http://example.org/itest', CONFIG), /<note level="2"\/>/);

    const rng = "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>";
    await conn.domainAttachDeviceFlags(dom, rng, VirDomainDeviceModifyFlags.CONFIG);
    assert.match(await conn.domainGetXmlDesc(dom), /<rng model='virtio'>/);
    await conn.domainDetachDeviceFlags(dom, rng, VirDomainDeviceModifyFlags.CONFIG);
    assert.doesNotMatch(await conn.domainGetXmlDesc(dom), /<rng /);
    await conn.domainUpdateDeviceFlags(dom, "<graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='s3cret'/>", VirDomainDeviceModifyFlags.CONFIG);
    assert.match(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.SECURE), /passwd='s3cret'/);

    const renamed = uniqueName('cfg');
    domains.push(renamed);
    dom = await conn.domainRename(dom, renamed);
    assert.equal((await conn.domainLookupByName(renamed)).uuid, dom.uuid);
    await assert.rejects(conn.domainLookupByName(name), isNoDomain);

    const snap = await conn.domainSnapshotCreateXml(dom, '<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>');
    assert.deepEqual(snap, { dom, name: 's1' });
    assert.deepEqual(await conn.domainListAllSnapshots(dom), [snap]);
    assert.deepEqual(await conn.domainSnapshotCurrent(dom), snap);
    assert.match(await conn.domainSnapshotGetXmlDesc(snap), /<description>first<\/description>/);
    await conn.domainRevertToSnapshot(snap);
    await conn.domainSnapshotDelete(snap);
    assert.deepEqual(await conn.domainListAllSnapshots(dom), []);
    await conn.domainUndefine(dom, UNDEFINE_ALL);
  });

  it('runs a transient guest and reads its serial console through a stream', async () => {
    const name = uniqueName('con');
    domains.push(name);
    const xml = tinyDomainXml(name, "<serial type='pty'/><console type='pty'/>").replace(
      '<os><type arch=\'x86_64\' machine=\'pc\'>hvm</type></os>',
      "<os><type arch='x86_64' machine='pc'>hvm</type><bios useserial='yes'/></os>",
    );
    const dom = await conn.domainCreateXml(xml, VirDomainCreateFlags.START_PAUSED);
    assert.equal(await conn.domainIsPersistent(dom), false);
    assert.equal((await conn.domainGetState(dom)).state, VirDomainState.PAUSED);
    const stream = await conn.domainOpenConsole(dom, null, 0);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined);
    await conn.domainResume(dom);
    const text = (): string => Buffer.concat(chunks).toString('latin1');
    for (let i = 0; i < 200 && !/SeaBIOS/.test(text()); i++) await sleep(100);
    assert.match(text(), /SeaBIOS/, 'the BIOS banner came through the console stream');

    await conn.domainSendKey(dom, 0, 10, [28]);
    await conn.domainReset(dom);
    const job = await conn.domainGetJobInfo(dom);
    assert.equal(typeof job.type, 'number');
    stream.destroy();
    await conn.domainDestroy(dom);
    await assert.rejects(conn.domainLookupByName(name), isNoDomain);
  });

  it('saves a running guest with managed save and removes the image', async () => {
    const name = uniqueName('save');
    domains.push(name);
    const dom = await conn.domainDefineXml(tinyDomainXml(name));
    const running = await conn.domainCreate(dom);
    await conn.domainManagedSave(running);
    assert.equal((await conn.domainGetState(dom)).state, VirDomainState.SHUTOFF);
    assert.equal(await conn.domainHasManagedSaveImage(dom), true);
    await conn.domainManagedSaveRemove(dom);
    assert.equal(await conn.domainHasManagedSaveImage(dom), false);
    await conn.domainUndefine(dom, UNDEFINE_ALL);
  });

  it('defines a secret, sets and reads its value, and sees its events', async () => {
    const events = new EventLog<SecretEvent>();
    const sub = conn.onSecretEvent(events.push);
    await sub.ready;
    const usage = `/var/lib/libvirt/images/${uniqueName('secret')}.img`;
    secret = await conn.secretDefineXml(
      `<secret ephemeral='no' private='no'><description>itest</description><usage type='volume'><volume>${usage}</volume></usage></secret>`,
    );
    assert.equal(secret.usageType, VirSecretUsageType.VOLUME);
    assert.equal(secret.usageId, usage);
    const uuid = secret.uuid;
    await events.waitFor((e) => e.kind === 'lifecycle' && e.secret.uuid === uuid && e.event === VirSecretEventLifecycleType.DEFINED, 'secret DEFINED');
    await conn.secretSetValue(secret, Buffer.from('correct horse'));
    await events.waitFor((e) => e.kind === 'valueChanged' && e.secret.uuid === uuid, 'secret value changed');
    assert.equal((await conn.secretGetValue(secret)).toString(), 'correct horse');
    assert.ok((await conn.connectListAllSecrets()).some((s) => s.uuid === uuid));
    await conn.secretUndefine(secret);
    await events.waitFor((e) => e.kind === 'lifecycle' && e.secret.uuid === uuid && e.event === VirSecretEventLifecycleType.UNDEFINED, 'secret UNDEFINED');
    await assert.rejects(conn.secretGetValue(secret), isNoSecret);
    secret = undefined;
    sub.dispose();
  });

  it('lists node devices and reads their XML', async () => {
    const devs = await conn.connectListAllNodeDevices();
    assert.ok(devs.some((d) => d.name === 'computer'), JSON.stringify(devs.slice(0, 5)));
    assert.match(await conn.nodeDeviceGetXmlDesc({ name: 'computer' }), /<device>[\s\S]*<name>computer<\/name>/);
  });
});
