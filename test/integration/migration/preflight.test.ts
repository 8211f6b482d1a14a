import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainSnapshotDeleteFlags, VirDomainState } from '../../../src/libvirt/generated/libvirtConstants';
import { migrateClientDriven, type MigrationOptions } from '../../../src/libvirt/migration';
import { migrationPreflight, type PreflightProblem } from '../../../src/commands/migrate/preflight';
import { createTopImages, planIncrementalTargets, removeTopImages } from '../../../src/commands/migrate/incrementalTargets';
import { cleanUp, dropPool, removeDomain, guestXml, localPool, lookup, migEnv, runPrefix, sharedDisk, sharedPool, uniqueName, type SharedPool } from './migrationEnv';

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
  unsafe: true,
  migrateUri: 'tcp://127.0.0.1',
};

const summary = (ps: readonly PreflightProblem[]): string => JSON.stringify(ps, null, 1);

describe('Migration pre-flight checks and copy storage on two real daemons (integration)', function () {
  this.timeout(180000);
  let src: Connection;
  let dst: Connection;
  let shared: SharedPool;
  let local: SharedPool;

  before(async () => {
    src = await Connection.open(migEnv.srcUri);
    dst = await Connection.open(migEnv.dstUri);
    await cleanUp(dst, false);
    await cleanUp(src, false);
    shared = await sharedPool(src, dst);
    local = await localPool(src, dst);
  });

  after(async () => {
    if (dst) await cleanUp(dst, true);
    if (src) await cleanUp(src, true);
    await dst?.close();
    await src?.close();
  });

  async function guest(kind: string, opts: { pool?: SharedPool; network?: string; start?: boolean } = {}): Promise<string> {
    const name = uniqueName(kind);
    const pool = opts.pool ?? shared;
    const disk = await sharedDisk(src, dst, pool, name);
    const d = await src.domainDefineXml(guestXml(name, disk, opts.network ? { network: opts.network } : {}));
    if (opts.start !== false) await src.domainCreate(d);
    return name;
  }

  const check = async (name: string, options: MigrationOptions = LIVE, precreated?: ReadonlySet<string>): Promise<PreflightProblem[]> =>
    migrationPreflight({ src, dst, dom: await src.domainLookupByName(name), dstName: 'peer', options, ...(precreated ? { precreated } : {}) });

  it('finds nothing wrong with a running guest on shared storage (CPU compared on the destination)', async () => {
    const name = await guest('ok');
    assert.deepEqual(await check(name), []);
  });

  it('refuses a name that exists on the destination', async () => {
    const name = await guest('name');
    const other = await sharedDisk(src, dst, shared, `${name}-other`);
    await dst.domainDefineXml(guestXml(name, other));
    const ps = await check(name);
    assert.equal(ps.length, 1, summary(ps));
    assert.equal(ps[0]?.check, 'name');
    assert.equal(ps[0]?.severity, 'error');
    assert.match(ps[0]?.message ?? '', new RegExp(`already has a VM named "${name}"`));
  });

  it('refuses a VM with snapshots, as libvirt would (live and offline); without them it is fine', async () => {
    const name = await guest('snap');
    const d = await src.domainLookupByName(name);
    // Internal snapshots in the qcow2 on the shared pool, one taken while running.
    await src.domainSnapshotCreateXml(d, '<domainsnapshot><name>one</name></domainsnapshot>', 0);
    await src.domainSnapshotCreateXml(d, '<domainsnapshot><name>two</name></domainsnapshot>', 0);
    const ps = await check(name);
    assert.equal(ps.length, 1, summary(ps));
    assert.equal(ps[0]?.check, 'snapshots');
    assert.equal(ps[0]?.severity, 'error');
    assert.match(ps[0]?.message ?? '', /has 2 snapshots/);
    // What the check stands in for: libvirt refuses at Begin and the VM stays where it is.
    await assert.rejects(migrateClientDriven(src, dst, d, LIVE), /cannot migrate domain with 2 snapshots/);
    assert.equal((await src.domainGetState(d)).state, VirDomainState.RUNNING);
    assert.equal(await lookup(dst, name), undefined);
    await src.domainDestroy(d);
    const offline = await check(name, { ...LIVE, mode: 'offline' });
    assert.deepEqual(offline.map((p) => p.check), ['snapshots'], summary(offline));
    await assert.rejects(migrateClientDriven(src, dst, d, { ...LIVE, mode: 'offline' }), /cannot migrate domain with 2 snapshots/);
    // Metadata only (the data stays in the image): nothing in the way any more.
    for (const s of await src.domainListAllSnapshots(d)) await src.domainSnapshotDelete(s, VirDomainSnapshotDeleteFlags.METADATA_ONLY);
    assert.deepEqual(await check(name, { ...LIVE, mode: 'offline' }), []);
  });

  it('checks the files a direct kernel boot reads: found in a shared pool, missing from the destination\'s pool or from their directory there', async () => {
    const name = uniqueName('kernel');
    const disk = await sharedDisk(src, dst, shared, name);
    const kernel = await sharedDisk(src, dst, shared, `${name}-kernel`);
    const initrd = (await src.storageVolCreateXml(local.src, `<volume><name>${name}-initrd</name><capacity unit='MiB'>1</capacity><target><format type='raw'/></target></volume>`)).key;
    const dtb = `/tmp/${name}.dtb`;
    const xml = guestXml(name, disk).replace(
      "<os><type arch='x86_64' machine='pc'>hvm</type></os>",
      `<os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel><initrd>${initrd}</initrd><dtb>${dtb}</dtb><cmdline>console=ttyS0</cmdline></os>`,
    );
    await src.domainDefineXml(xml);
    const ps = await check(name, { ...LIVE, mode: 'offline' });
    // The kernel is on the shared pool (found); the initrd in the local pool the peer has too
    // (missing there); the device tree in no pool, looked for in its directory (missing).
    assert.deepEqual(ps.map((p) => [p.check, p.severity]), [['boot', 'error'], ['boot', 'error']], summary(ps));
    assert.match(ps[0]?.message ?? '', new RegExp(`boots the initrd ${initrd}, which does not exist on peer`));
    assert.match(ps[1]?.message ?? '', new RegExp(`boots the device tree ${dtb}, which does not exist on peer`));
    // Once the file is in that directory (/tmp is the same for both daemons here), it is found.
    writeFileSync(dtb, 'dtb');
    try {
      const again = await check(name, { ...LIVE, mode: 'offline' });
      assert.deepEqual(again.map((p) => p.message.includes(dtb)), [false], summary(again));
    } finally {
      rmSync(dtb, { force: true });
    }
  });

  it('checks UEFI firmware and variable store on the destination: a loader and template only the source has are refused, libvirt fails there as said', async () => {
    // A firmware directory under /var/lib/libvirt/qemu, which the peer daemon has a private copy of:
    // present on the source, missing on the peer.
    const fwDir = `/var/lib/libvirt/qemu/${runPrefix}fw`;
    mkdirSync(fwDir, { recursive: true });
    copyFileSync('/usr/share/OVMF/OVMF_CODE_4M.fd', `${fwDir}/CODE.fd`);
    copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', `${fwDir}/VARS.fd`);
    const uefi = (name: string, code: string, vars: string): string => `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>${code}</loader><nvram template='${vars}'>/var/lib/libvirt/qemu/nvram/${name}_VARS.fd</nvram></os>
  <features><acpi/></features><devices><graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
    const offline: MigrationOptions = { ...LIVE, mode: 'offline' };
    try {
      const own = uniqueName('fwown');
      await src.domainDefineXml(uefi(own, `${fwDir}/CODE.fd`, `${fwDir}/VARS.fd`));
      const ps = await check(own, offline);
      assert.deepEqual(ps.map((p) => [p.check, p.severity]), [['firmware', 'error'], ['firmware', 'error']], summary(ps));
      assert.match(ps[0]?.message ?? '', new RegExp(`^peer has no UEFI firmware ${fwDir}/CODE\\.fd, which this VM boots: it cannot start there\\. Install the same firmware there \\(peer has [^)]*/usr/share/OVMF/OVMF_CODE_4M\\.fd`));
      assert.equal(ps[1]?.message, `peer has neither this VM's UEFI variable store /var/lib/libvirt/qemu/nvram/${own}_VARS.fd nor its template ${fwDir}/VARS.fd to create it from: the VM cannot start there. Put one of them there first.`);
      // What the check foresaw: moved anyway, the VM does not start on the peer.
      await migrateClientDriven(src, dst, await src.domainLookupByName(own), { ...offline, undefineSource: false });
      const moved = await dst.domainLookupByName(own);
      await assert.rejects(dst.domainCreate(moved), (e: unknown) => {
        assert.match(String((e as Error).message), new RegExp(`${fwDir}/(CODE|VARS)\\.fd`));
        return true;
      });
      await removeDomain(dst, own);

      // The distribution's firmware is on both; the variable store is the source's own.
      const std = uniqueName('fwstd');
      await src.domainDefineXml(uefi(std, '/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'));
      const stdOffline = await check(std, offline);
      assert.deepEqual(stdOffline.map((p) => [p.check, p.severity]), [['firmware', 'warning']], summary(stdOffline));
      assert.match(stdOffline[0]?.message ?? '', /an offline migration does not carry it, so the VM starts there with fresh variables from \/usr\/share\/OVMF\/OVMF_VARS_4M\.fd/);
      // Live, QEMU carries the flash contents: nothing about firmware (only that the VM is not running).
      assert.deepEqual((await check(std, LIVE)).map((p) => p.check), ['state']);
      // No probe pool is left behind on the destination.
      assert.deepEqual((await dst.connectListAllStoragePools()).filter((p) => p.name.startsWith('libvirt-vms-probe-')), []);
    } finally {
      rmSync(fwDir, { recursive: true, force: true });
    }
  });

  it('refuses a network the destination lacks', async () => {
    const net = `${runPrefix}net`;
    const n = await src.networkCreateXml(`<network><name>${net}</name></network>`);
    const name = uniqueName('net');
    try {
      const disk = await sharedDisk(src, dst, shared, name);
      await src.domainCreate(await src.domainDefineXml(guestXml(name, disk, { network: net })));
      const ps = await check(name);
      assert.deepEqual(
        ps.map((p) => [p.check, p.severity]),
        [['network', 'error']],
        summary(ps),
      );
      assert.match(ps[0]?.message ?? '', new RegExp(`no network "${net}"`));
    } finally {
      // The guest goes first: a running VM holds its network.
      await removeDomain(src, name);
      await src.networkDestroy(n).catch(() => undefined);
    }
  });

  it('refuses a CPU model the destination cannot provide (compared by the destination)', async () => {
    const name = uniqueName('cpu');
    const disk = await sharedDisk(src, dst, shared, name);
    // Defined (not started): TCG on this machine cannot run this model either.
    await src.domainDefineXml(guestXml(name, disk, { cpu: "<cpu mode='custom' match='exact'><model fallback='forbid'>Icelake-Server</model></cpu>" }));
    const ps = await check(name, { ...LIVE, mode: 'offline' });
    assert.deepEqual(ps.map((p) => [p.check, p.severity]), [['cpu', 'error']], summary(ps));
    assert.match(ps[0]?.message ?? '', /cannot provide this VM's CPU \(Icelake-Server\)/);
  });

  it('names the wrong mode for the VM\'s state and impossible option mixes', async () => {
    const running = await guest('mode');
    const ps = await check(running, { ...LIVE, mode: 'offline', tunnelled: true });
    assert.deepEqual(ps.map((p) => p.check).sort(), ['options', 'state'], summary(ps));
    const off = await guest('off', { start: false });
    const ps2 = await check(off);
    assert.deepEqual(ps2.map((p) => p.check), ['state'], summary(ps2));
    assert.match(ps2[0]?.message ?? '', /not running/);
  });

  it('a local disk: unverifiable without copy storage, fine with it, and copied to the destination', async () => {
    const name = await guest('copy', { pool: local });
    const ps = await check(name);
    // The peer has a pool over the same directory, which lacks the file: a clear refusal.
    assert.deepEqual(ps.map((p) => [p.check, p.severity]), [['storage', 'error']], summary(ps));
    assert.match(ps[0]?.message ?? '', /does not exist on peer/);
    const copy: MigrationOptions = { ...LIVE, copyStorage: 'full', unsafe: false };
    assert.deepEqual(await check(name, copy), []);

    // Without the peer's pool nothing there can create the copy's file.
    await dropPool(dst, local.dst);
    try {
      const ps2 = await check(name, copy);
      assert.deepEqual(ps2.map((p) => [p.check, p.severity]), [['pool', 'error']], summary(ps2));
      const ps3 = await check(name);
      assert.deepEqual(ps3.map((p) => [p.check, p.severity]), [['storage', 'warning']], summary(ps3));
    } finally {
      local = await localPool(src, dst).catch(async () => {
        const dp = await dst.storagePoolDefineXml(
          `<pool type='dir'><name>${local.name}</name><target><path>${local.dir}</path></target></pool>`,
        );
        await dst.storagePoolBuild(dp);
        await dst.storagePoolCreate(dp);
        return { ...local, dst: dp };
      });
    }

    // The copy itself: QEMU's NBD copy creates the file on the peer, and the guest runs there.
    const d = await src.domainLookupByName(name);
    const moved = await migrateClientDriven(src, dst, d, copy);
    assert.equal((await dst.domainGetState(moved)).state, VirDomainState.RUNNING);
    await dst.storagePoolRefresh(local.dst);
    const vol = await dst.storageVolLookupByName(local.dst, `${name}.qcow2`);
    assert.ok((await dst.storageVolGetInfo(vol)).capacity === 16 * 1024 * 1024);
    assert.equal(await lookup(src, name), undefined);
  });

  it('an incremental copy that cannot be prepared is named: no backing image, or one the destination lacks', async () => {
    const plain = await guest('incplain', { pool: local });
    const p1 = await planIncrementalTargets(src, dst, await src.domainLookupByName(plain), 'peer');
    assert.deepEqual(p1.images, []);
    assert.deepEqual(p1.problems.map((p) => p.check), ['storage'], summary(p1.problems));
    assert.match(p1.problems[0]?.message ?? '', /has no backing image, so an incremental copy has nothing to leave out/);

    // The base on the source only (its local pool): the destination cannot hold the copy's top.
    const name = uniqueName('incnobase');
    const base = await src.storageVolCreateXml(local.src, `<volume><name>${name}-base.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
    const top = await src.storageVolCreateXml(
      local.src,
      `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target><backingStore><path>${base.key}</path><format type='qcow2'/></backingStore></volume>`,
    );
    const d = await src.domainDefineXml(guestXml(name, top.key));
    await src.domainCreate(d);
    const p2 = await planIncrementalTargets(src, dst, d, 'peer');
    assert.deepEqual(p2.images, []);
    assert.equal(p2.problems.length, 1, summary(p2.problems));
    assert.match(p2.problems[0]?.message ?? '', new RegExp(`peer has no backing image ${base.key} in a storage pool`));
  });

  it('an incremental copy: refused while the destination lacks the top image, which the client plans and creates over the same base; then only the top layer is copied', async () => {
    // The base image on shared storage (both see it), 4 MiB of data in it; the VM's disk a local
    // overlay on top of it, on the source only.
    const name = uniqueName('inc');
    const base = await sharedDisk(src, dst, shared, `${name}-base`);
    execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xaa 0 4M', base], { stdio: 'ignore' });
    const topXml = `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target><backingStore><path>${base}</path><format type='qcow2'/></backingStore></volume>`;
    const top = await src.storageVolCreateXml(local.src, topXml);
    const d = await src.domainDefineXml(guestXml(name, top.key));
    await src.domainCreate(d);
    const inc: MigrationOptions = { ...LIVE, copyStorage: 'incremental', unsafe: false };
    const ps = await check(name, inc);
    assert.deepEqual(ps.map((p) => [p.check, p.severity]), [['storage', 'error']], summary(ps));
    assert.match(ps[0]?.message ?? '', /an incremental copy needs .* on peer already/);
    // What the check stands in for: libvirt refuses before anything moves.
    await assert.rejects(migrateClientDriven(src, dst, d, inc), /pre-creation of storage targets for incremental storage migration is not supported/);
    assert.equal((await src.domainGetState(d)).state, VirDomainState.RUNNING);

    // The client plans the top image the destination lacks: same name and size, over the same base.
    const plan = await planIncrementalTargets(src, dst, d, 'peer');
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.images.map((i) => [i.target, i.path, i.backingPath, i.poolName]),
      [['vda', top.key, base, local.name]],
    );
    assert.deepEqual(await check(name, inc, new Set([top.key])), [], 'nothing else in the way once it is planned');
    // What a failed or cancelled migration does with them: exactly those go again.
    const undone = await createTopImages(dst, plan.images);
    assert.deepEqual(await removeTopImages(dst, undone), []);
    await dst.storagePoolRefresh(local.dst);
    await assert.rejects(dst.storageVolLookupByPath(top.key), /no storage vol/i);
    assert.ok(await dst.storageVolLookupByPath(base), 'the shared base is untouched');

    const made = await createTopImages(dst, plan.images);
    assert.deepEqual(made.map((v) => v.key), [top.key]);
    assert.equal((await dst.storageVolGetInfo(made[0]!)).capacity, 16 * 1024 * 1024);
    assert.deepEqual(await check(name, inc), [], 'the file is there now');
    assert.deepEqual((await planIncrementalTargets(src, dst, d, 'peer')).images, [], 'nothing left to create');
    const moved = await migrateClientDriven(src, dst, d, inc);
    assert.equal((await dst.domainGetState(moved)).state, VirDomainState.RUNNING);
    await dst.storagePoolRefresh(local.dst);
    const copied = await dst.storageVolLookupByName(local.dst, `${name}.qcow2`);
    const xml = await dst.storageVolGetXmlDesc(copied);
    assert.match(xml, new RegExp(`<backingStore>\\s*<path>${base}</path>`), 'still on top of the shared base');
    // The base's 4 MiB stayed where they were: the copy holds the top layer only.
    assert.ok((await dst.storageVolGetInfo(copied)).allocation < 2 * 1024 * 1024, xml);
  });
});
