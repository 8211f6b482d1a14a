import * as assert from 'node:assert/strict';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import {
  migrateClientDriven,
  migratePeerToPeer,
  MigrationStepError,
  readMigrationProgress,
  type MigrationOptions,
  type MigrationStep,
} from '../../../src/libvirt/migration';
import { cleanUp, guestXml, lookup, migEnv, sharedDisk, sharedPool, sleep, uniqueName, type SharedPool } from './migrationEnv';

const LIVE: MigrationOptions = {
  mode: 'live',
  persistent: true,
  undefineSource: true,
  copyStorage: 'none',
  peerToPeer: false,
  tunnelled: false,
  autoConverge: false,
  compressed: false,
  postCopy: false,
  // The shared directory is a local file system, which libvirt cannot know to be shared (it trusts
  // NFS, GFS2, Ceph...): "Migration without shared storage is unsafe" without this flag.
  unsafe: true,
  // Both daemons run on this machine: QEMU's stream goes to 127.0.0.1, whatever the host name says.
  migrateUri: 'tcp://127.0.0.1',
};

describe('Migration between two real daemons (integration)', function () {
  this.timeout(180000);
  let src: Connection;
  let dst: Connection;
  let pool: SharedPool;

  before(async () => {
    src = await Connection.open(migEnv.srcUri);
    dst = await Connection.open(migEnv.dstUri);
    await cleanUp(dst, false);
    await cleanUp(src, false);
    pool = await sharedPool(src, dst);
  });

  after(async () => {
    if (dst) await cleanUp(dst, true);
    if (src) await cleanUp(src, true);
    await dst?.close();
    await src?.close();
  });

  async function runningGuest(kind: string, memoryMiB = 128): Promise<string> {
    const name = uniqueName(kind);
    const disk = await sharedDisk(src, dst, pool, name);
    const d = await src.domainDefineXml(guestXml(name, disk, { memoryMiB }));
    await src.domainCreate(d);
    return name;
  }

  it('moves a running guest client-driven (Begin/Prepare/Perform/Finish/Confirm) and back peer-to-peer', async () => {
    const name = await runningGuest('live');
    const before = await src.domainLookupByName(name);
    const steps: MigrationStep[] = [];
    const moved = await migrateClientDriven(src, dst, before, LIVE, { step: (s) => steps.push(s) });
    assert.deepEqual(steps, ['begin', 'prepare', 'perform', 'finish', 'confirm']);
    assert.equal(moved.name, name);
    assert.equal(moved.uuid, before.uuid);
    assert.equal((await dst.domainGetState(moved)).state, VirDomainState.RUNNING);
    assert.equal(await dst.domainIsPersistent(moved), true, 'persistent on the destination');
    assert.equal(await lookup(src, name), undefined, 'undefined on the source');

    await migratePeerToPeer(dst, moved, migEnv.srcTcpUri, LIVE);
    const back = await src.domainLookupByName(name);
    assert.equal((await src.domainGetState(back)).state, VirDomainState.RUNNING);
    assert.equal(await src.domainIsPersistent(back), true);
    assert.equal(await lookup(dst, name), undefined, 'gone from the peer after the way back');
  });

  it('peer-to-peer to a destination the source daemon reaches over SSH (libssh, host key checked against a known_hosts file)', async () => {
    // Started on the peer; the peer daemon logs into this machine through the test sshd, whose
    // libvirt is the main daemon. The 'libssh' transport takes known_hosts and keyfile from the
    // URI, as the source host sees them (the 'ssh' one uses the daemon user's ~/.ssh).
    const key = process.env['LIBVIRT_TEST_SSH_KEY'] ?? '/run/libvirt-vms-test/ssh/id_ed25519';
    const knownHosts = process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'] ?? '/run/libvirt-vms-test/ssh/known_hosts';
    const host = `${process.env['LIBVIRT_TEST_SSH_USER'] ?? 'root'}@${process.env['LIBVIRT_TEST_SSH_HOST'] ?? '127.0.0.1'}:${process.env['LIBVIRT_TEST_SSH_PORT'] ?? '2222'}`;
    const uri = `qemu+libssh://${host}/system?${new URLSearchParams({ keyfile: key, known_hosts: knownHosts, sshauth: 'privkey' }).toString()}`;
    const name = uniqueName('p2pssh');
    const disk = await sharedDisk(src, dst, pool, name);
    const d = await dst.domainDefineXml(guestXml(name, disk));
    await dst.domainCreate(d);
    await migratePeerToPeer(dst, d, uri, LIVE);
    const here = await src.domainLookupByName(name);
    assert.equal((await src.domainGetState(here)).state, VirDomainState.RUNNING);
    assert.equal(await src.domainIsPersistent(here), true);
    assert.equal(await lookup(dst, name), undefined, 'gone from the peer');
  });

  it('keeps the source definition without "undefine source", and a transient guest stays transient without "persistent"', async () => {
    const name = await runningGuest('keep');
    const d = await src.domainLookupByName(name);
    const moved = await migrateClientDriven(src, dst, d, { ...LIVE, persistent: false, undefineSource: false });
    assert.equal(await dst.domainIsPersistent(moved), false, 'transient on the destination');
    const left = await src.domainLookupByName(name);
    assert.equal(await src.domainIsActive(left), false, 'no longer running on the source');
    assert.equal(await src.domainIsPersistent(left), true, 'still defined on the source');
  });

  it('moves a shut-off guest\'s definition offline', async () => {
    const name = uniqueName('off');
    const disk = await sharedDisk(src, dst, pool, name);
    const d = await src.domainDefineXml(guestXml(name, disk));
    const moved = await migrateClientDriven(src, dst, d, { ...LIVE, mode: 'offline' });
    assert.equal(await dst.domainIsPersistent(moved), true);
    assert.equal(await dst.domainIsActive(moved), false);
    assert.equal(await lookup(src, name), undefined);
    assert.match(await dst.domainGetXmlDesc(moved), new RegExp(pool.dir));
  });

  it('shows the destination\'s refusal (a VM of that name) and leaves the guest running on the source', async () => {
    const name = await runningGuest('clash');
    const disk = await sharedDisk(src, dst, pool, `${name}-other`);
    await dst.domainDefineXml(guestXml(name, disk));
    const d = await src.domainLookupByName(name);
    await assert.rejects(migrateClientDriven(src, dst, d, LIVE), (e: unknown) => {
      assert.ok(MigrationStepError.is(e), String(e));
      assert.equal(e.step, 'prepare');
      assert.match(e.message, /already (exists|defined)/i);
      return true;
    });
    assert.equal((await src.domainGetState(d)).state, VirDomainState.RUNNING);
    // The source can migrate again: its migration job was released.
    assert.equal((await readMigrationProgress(src, d)).active, false);
  });

  it('cancels a bandwidth-limited migration midway (abort job): the guest keeps running on the source', async () => {
    const name = await runningGuest('cancel', 256);
    const d = await src.domainLookupByName(name);
    const run = migrateClientDriven(src, dst, d, { ...LIVE, bandwidthMiBs: 1 });
    const outcome = run.then(
      () => 'done',
      (e: unknown) => e,
    );
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      const p = await readMigrationProgress(src, d);
      if (p.active && (p.dataTotal ?? 0) > 0) seen = true;
      else await sleep(100);
    }
    assert.ok(seen, 'the migration job showed up in the job statistics');
    await src.domainAbortJob(d);
    const err = await outcome;
    assert.ok(MigrationStepError.is(err), `expected a failed migration, got ${String(err)}`);
    assert.equal(err.step, 'perform');
    assert.match(err.message, /cancel/i);
    assert.equal((await src.domainGetState(d)).state, VirDomainState.RUNNING);
    assert.equal(await lookup(dst, name), undefined, 'nothing left on the destination');
  });

  it('cancelled before the copy starts: Finish and Confirm cancel both sides, nothing moves', async () => {
    const name = await runningGuest('early');
    const d = await src.domainLookupByName(name);
    const steps: MigrationStep[] = [];
    await assert.rejects(migrateClientDriven(src, dst, d, LIVE, { step: (s) => steps.push(s), cancelled: () => true }), (e: unknown) => {
      assert.ok(MigrationStepError.is(e));
      assert.match(e.message, /cancelled by the user/);
      return true;
    });
    assert.deepEqual(steps, ['begin', 'prepare', 'finish', 'confirm']);
    assert.equal((await src.domainGetState(d)).state, VirDomainState.RUNNING);
    assert.equal(await lookup(dst, name), undefined, 'the incoming VM was removed from the destination');
    assert.equal((await readMigrationProgress(src, d)).active, false, 'no job left on the source');
  });

  it('switches a slow migration to post-copy and completes', async () => {
    const name = await runningGuest('post', 256);
    const d = await src.domainLookupByName(name);
    const run = migrateClientDriven(src, dst, d, { ...LIVE, bandwidthMiBs: 2, postCopy: true });
    const outcome = run.then(
      () => 'done',
      (e: unknown) => e,
    );
    let switched = false;
    for (let i = 0; i < 100 && !switched; i++) {
      const p = await readMigrationProgress(src, d);
      if (p.active && (p.dataTotal ?? 0) > 0) {
        await src.domainMigrateStartPostCopy(d);
        switched = true;
      } else await sleep(100);
    }
    assert.ok(switched, `the job was running when post-copy was requested (${String(await Promise.race([outcome, sleep(10).then(() => 'still running')]))})`);
    assert.equal(await outcome, 'done');
    const moved = await dst.domainLookupByName(name);
    assert.equal((await dst.domainGetState(moved)).state, VirDomainState.RUNNING);
    assert.equal(await lookup(src, name), undefined);
  });
});
