// Migrate… inside a real VS Code extension host, between the two real daemons of the test
// environment (scripts/testenv.sh: qemu:///system and the peer on 127.0.0.1:16510). The quick
// input's steps are answered through the PromptSeam, by label, as a user would pick them; the
// result is checked on both daemons and in both hosts' tree rows.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MigrateResult } from '../../../src/commands/migrate/migrateVm';
import type { PickItem, PickRequest, PromptRecord } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainState, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hcmig';
const RUN = `${PREFIX}${process.pid}-`;
const SRC_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const SRC_TCP_URI = `qemu+tcp://${process.env['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509'}/system`;
const DST_URI = process.env['LIBVIRT_TEST_PEER_URI'] ?? 'qemu+tcp://127.0.0.1:16510/system';
const SHARED = process.env['LIBVIRT_TEST_SHARED_DIR'] ?? '/var/lib/libvirt-vms-test/shared';

async function sweep(conn: Connection, mine: (n: string) => boolean): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!mine(d.name)) continue;
    await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, U.NVRAM | U.MANAGED_SAVE | U.SNAPSHOTS_METADATA).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!mine(p.name)) continue;
    for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
    await conn.storagePoolDestroy(p).catch(() => undefined);
    await conn.storagePoolDelete(p).catch(() => undefined);
    await conn.storagePoolUndefine(p).catch(() => undefined);
  }
}

/** Picks the offered items with these labels (a label the step does not offer fails the test). */
function byLabel<T>(req: PickRequest<T>, labels: readonly string[]): PickItem<T>[] {
  return labels.map((l) => {
    const item = req.items.find((i) => i.label === l);
    assert.ok(item, `"${l}" is not offered in "${req.title}": ${req.items.map((i) => i.label).join(', ')}`);
    return item;
  });
}

describe('Migrate VM (extension host, two real daemons)', function () {
  this.timeout(240_000);
  let api: ExtensionApi;
  let src: Connection;
  let dst: Connection;
  let srcId: string;
  let dstId: string;
  const added: string[] = [];
  let srcPool: StoragePoolRef;
  let dstPool: StoragePoolRef;
  let poolDir: string;
  let counter = 0;

  async function connectionFor(uri: string, name: string): Promise<string> {
    let entry = api.connections.list().find((e) => e.config.uri === uri);
    if (!entry) {
      const c = await api.connections.add({ name, uri, autoconnect: true });
      added.push(c.id);
      entry = api.connections.get(c.id);
    }
    const id = entry.config.id;
    await api.connections.get(id).managed.connect();
    await waitFor(`${name} connected`, () => api.tree.connectionState(id) === 'connected', 30_000);
    return id;
  }

  async function runningGuest(): Promise<string> {
    counter += 1;
    const name = `${RUN}vm${counter}`;
    const vol = await src.storageVolCreateXml(srcPool, `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
    await dst.storagePoolRefresh(dstPool);
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${path.join(poolDir, vol.name)}'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><source network='default'/><model type='virtio'/></interface>
      <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
    await src.domainCreate(await src.domainDefineXml(xml));
    return name;
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    src = await Connection.open(SRC_URI);
    dst = await Connection.open(DST_URI);
    const dead = (n: string): boolean => leftoverOfDeadRun(n, PREFIX);
    await sweep(dst, dead);
    await sweep(src, dead);
    srcId = await connectionFor(SRC_URI, 'migrate test source');
    dstId = await connectionFor(DST_URI, 'migrate test peer');
    poolDir = path.join(SHARED, `${RUN}pool`);
    const poolXml = `<pool type='dir'><name>${RUN}pool</name><target><path>${poolDir}</path><permissions><mode>0755</mode></permissions></target></pool>`;
    srcPool = await src.storagePoolDefineXml(poolXml);
    await src.storagePoolBuild(srcPool);
    await src.storagePoolCreate(srcPool);
    dstPool = await dst.storagePoolDefineXml(poolXml);
    await dst.storagePoolCreate(dstPool);
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    const mine = (n: string): boolean => n.startsWith(RUN);
    if (dst) await sweep(dst, mine).catch(() => undefined);
    if (src) await sweep(src, mine).catch(() => undefined);
    for (const id of added) await api.connections.remove(id).catch(() => undefined);
    await dst?.close();
    await src?.close();
  });

  it('moves a running VM live, client-driven, to the chosen connection, and back peer-to-peer; both trees follow', async () => {
    const name = await runningGuest();
    const uuid = (await src.domainLookupByName(name)).uuid;
    await waitFor('the VM row on the source', () => api.tree.vmItem(srcId, name), 30_000);
    const asked: string[] = [];
    api.prompts.setResponder({
      pickOne: (req) => {
        asked.push(req.title);
        if (/destination/.test(req.title)) return req.items.find((i) => i.description === DST_URI);
        return byLabel(req, ['Shared storage'])[0];
      },
      pickMany: (req) => {
        asked.push(req.title);
        // Persistent and undefine-source are on by default.
        assert.deepEqual(
          req.items.filter((i) => i.picked).map((i) => i.label),
          ['Persistent on destination', 'Undefine on source'],
        );
        return byLabel(req, ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks', 'Migration address…']);
      },
      input: (req) => {
        asked.push(req.title);
        return 'tcp://127.0.0.1';
      },
    });
    const result = (await vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: srcId, uuid })) as MigrateResult | undefined;
    assert.ok(result, 'the command returned nothing (it failed: see the log)');
    assert.equal(result.outcome, 'migrated');
    assert.equal(result.destinationId, dstId);
    assert.deepEqual(asked, [`Migrate "${name}": destination`, `Migrate "${name}": storage`, `Migrate "${name}": options`, `Migrate "${name}": migration address`]);
    const there = await dst.domainLookupByName(name);
    assert.equal((await dst.domainGetState(there)).state, VirDomainState.RUNNING);
    assert.equal(await dst.domainIsPersistent(there), true);
    await assert.rejects(src.domainLookupByName(name));
    await waitFor('the VM row on the peer', () => api.tree.vmItem(dstId, name), 30_000);
    await waitFor('the VM row gone from the source', () => api.tree.vmItem(srcId, name) === undefined, 30_000);

    api.prompts.setResponder({
      pickOne: (req) => (/destination/.test(req.title) ? req.items.find((i) => i.description === SRC_URI) : byLabel(req, ['Shared storage'])[0]),
      pickMany: (req) => byLabel(req, ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks', 'Peer-to-peer']),
      // The peer daemon reaches the source over TCP, not through this machine's unix socket.
      input: (req) => {
        assert.match(req.title, /destination URI/);
        assert.equal(req.value, SRC_URI);
        return SRC_TCP_URI;
      },
    });
    const back = (await vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: dstId, uuid })) as MigrateResult | undefined;
    assert.equal(back?.outcome, 'migrated');
    assert.equal((await src.domainGetState(await src.domainLookupByName(name))).state, VirDomainState.RUNNING);
    await waitFor('the VM row back on the source', () => api.tree.vmItem(srcId, name), 30_000);
    await waitFor('the VM row gone from the peer', () => api.tree.vmItem(dstId, name) === undefined, 30_000);
  });

  it('moves a VM from the peer to a host saved as an SSH connection: the client drives both sides, one of them over SSH', async () => {
    const host = process.env['LIBVIRT_TEST_SSH_HOST'];
    const port = process.env['LIBVIRT_TEST_SSH_PORT'];
    const user = process.env['LIBVIRT_TEST_SSH_USER'];
    const key = process.env['LIBVIRT_TEST_SSH_KEY'];
    const knownHosts = process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'];
    assert.ok(host && port && user && key && knownHosts, 'LIBVIRT_TEST_SSH_* must be set (eval "$(scripts/testenv.sh env)")');
    // The test sshd logs into this machine: over SSH one reaches its daemon (the peer only over TCP).
    const sshUri = `qemu+ssh://${user}@${host}:${port}/system?keyfile=${encodeURIComponent(key)}&known_hosts=${encodeURIComponent(knownHosts)}`;
    const sshId = await connectionFor(sshUri, 'migrate test over ssh');
    // Started on the peer, disk in the pool both daemons have.
    counter += 1;
    const name = `${RUN}vm${counter}`;
    const vol = await dst.storageVolCreateXml(dstPool, `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
    await src.storagePoolRefresh(srcPool);
    const started = await dst.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${path.join(poolDir, vol.name)}'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><source network='default'/><model type='virtio'/></interface></devices></domain>`);
    await dst.domainCreate(started);
    await waitFor('the VM row on the peer', () => api.tree.vmItem(dstId, name), 30_000);
    api.prompts.setResponder({
      pickOne: (req) => (/destination/.test(req.title) ? req.items.find((i) => i.description === sshUri) : byLabel(req, ['Shared storage'])[0]),
      pickMany: (req) => byLabel(req, ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks', 'Migration address…']),
      input: () => 'tcp://127.0.0.1',
    });
    const result = (await vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: dstId, uuid: started.uuid })) as MigrateResult | undefined;
    assert.ok(result, 'the command returned nothing (it failed: see the log)');
    assert.equal(result.outcome, 'migrated');
    assert.equal(result.destinationId, sshId);
    const here = await src.domainLookupByName(name);
    assert.equal((await src.domainGetState(here)).state, VirDomainState.RUNNING);
    assert.equal(await src.domainIsPersistent(here), true);
    await assert.rejects(dst.domainLookupByName(name));
    await waitFor('the VM row under the SSH connection', () => api.tree.vmItem(sshId, name), 30_000);
    await waitFor('the VM row gone from the peer', () => api.tree.vmItem(dstId, name) === undefined, 30_000);
  });

  it('an incremental copy: creates the top image the destination lacks over the shared base, after a confirmation naming it, and copies only that', async () => {
    // The base on the pool both daemons see, the VM's disk an overlay in a pool each daemon has
    // for itself (/var/lib/libvirt/images), as a local disk on two hosts.
    counter += 1;
    const name = `${RUN}vm${counter}`;
    const localXml = `<pool type='dir'><name>${RUN}local</name><target><path>/var/lib/libvirt/images/${RUN}local</path><permissions><mode>0755</mode></permissions></target></pool>`;
    const srcLocal = await src.storagePoolDefineXml(localXml);
    await src.storagePoolBuild(srcLocal);
    await src.storagePoolCreate(srcLocal);
    const dstLocal = await dst.storagePoolDefineXml(localXml);
    await dst.storagePoolBuild(dstLocal);
    await dst.storagePoolCreate(dstLocal);
    const base = await src.storageVolCreateXml(srcPool, `<volume><name>${name}-base.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
    await dst.storagePoolRefresh(dstPool);
    const top = await src.storageVolCreateXml(
      srcLocal,
      `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target><backingStore><path>${base.key}</path><format type='qcow2'/></backingStore></volume>`,
    );
    const d = await src.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${top.key}'/><target dev='vda' bus='virtio'/></disk>
      <interface type='network'><source network='default'/><model type='virtio'/></interface></devices></domain>`);
    await src.domainCreate(d);
    const confirms: string[] = [];
    api.prompts.setResponder({
      pickOne: (req) => (/destination/.test(req.title) ? req.items.find((i) => i.description === DST_URI) : byLabel(req, ['Copy disks incrementally'])[0]),
      pickMany: (req) => byLabel(req, ['Persistent on destination', 'Undefine on source', 'Migration address…']),
      input: () => 'tcp://127.0.0.1',
      confirm: (req) => {
        confirms.push(req.detail ?? '');
        return true;
      },
    });
    const result = (await vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: srcId, uuid: d.uuid })) as MigrateResult | undefined;
    assert.ok(result, 'the command returned nothing (it failed: see the log)');
    assert.equal(result.outcome, 'migrated');
    assert.equal(confirms.length, 1);
    assert.match(confirms[0] ?? '', new RegExp(`this creates on migrate test peer:\\n• ${top.key} \\(over ${base.key}\\)`));
    assert.equal((await dst.domainGetState(await dst.domainLookupByName(name))).state, VirDomainState.RUNNING);
    await dst.storagePoolRefresh(dstLocal);
    const copied = await dst.storageVolLookupByName(dstLocal, `${name}.qcow2`);
    assert.match(await dst.storageVolGetXmlDesc(copied), new RegExp(`<backingStore>\\s*<path>${base.key}</path>`));
  });

  it('switches a slow migration to post-copy through the Switch to Post-Copy command', async () => {
    const name = await runningGuest();
    const d = await src.domainLookupByName(name);
    api.prompts.setResponder({
      pickOne: (req) => (/destination/.test(req.title) ? req.items.find((i) => i.description === DST_URI) : byLabel(req, ['Shared storage'])[0]),
      pickMany: (req) => byLabel(req, ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks', 'Allow post-copy', 'Limit bandwidth…', 'Migration address…']),
      input: (req) => (/bandwidth/.test(req.title) ? '1' : 'tcp://127.0.0.1'),
    });
    const run = vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: srcId, uuid: d.uuid }) as Thenable<MigrateResult | undefined>;
    // At 1 MiB/s the copy takes minutes: the job shows up, then the switch finishes it at once.
    await waitFor(
      'the migration job on the source',
      async () => {
        const job = await src.domainGetJobStats(d).catch(() => undefined);
        return job !== undefined && job.type !== 0 && Number(job.params['data_total'] ?? 0) > 0;
      },
      30_000,
    );
    const switched = await vscode.commands.executeCommand('libvirtVms.vm.migrateStartPostCopy', { connectionId: srcId, uuid: d.uuid });
    assert.equal(switched, true, 'the switch command failed (see the log)');
    const result = await run;
    assert.equal(result?.outcome, 'migrated');
    assert.equal((await dst.domainGetState(await dst.domainLookupByName(name))).state, VirDomainState.RUNNING);
    await assert.rejects(src.domainLookupByName(name));
  });

  it('refuses before anything starts when the destination has a VM of that name, and says why', async () => {
    const name = await runningGuest();
    const uuid = (await src.domainLookupByName(name)).uuid;
    const other = await dst.domainDefineXml(`<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`);
    api.prompts.setResponder({
      pickOne: (req) => (/destination/.test(req.title) ? req.items.find((i) => i.description === DST_URI) : byLabel(req, ['Shared storage'])[0]),
      pickMany: (req) => byLabel(req, ['Persistent on destination', 'Undefine on source', 'Unsafe: skip safety checks']),
    });
    const result = await vscode.commands.executeCommand('libvirtVms.vm.migrate', { connectionId: srcId, uuid });
    assert.equal(result, undefined, 'the command failed (its error is shown)');
    const history: readonly PromptRecord[] = api.prompts.history;
    assert.ok(!history.some((h) => h.kind === 'confirm'), 'no confirmation: an error refuses outright');
    assert.equal((await src.domainGetState(await src.domainLookupByName(name))).state, VirDomainState.RUNNING, 'still running on the source');
    assert.equal((await dst.domainLookupByName(name)).uuid, other.uuid, "the destination's own VM is untouched");
    assert.equal(await dst.domainIsActive(other), false);
  });
});
