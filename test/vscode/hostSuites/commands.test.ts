// The VM commands inside a real VS Code extension host, against the real libvirtd (qemu:///system).
// Commands are executed the way the tree calls them, `executeCommand(id, node, selection)`, with
// `{ connectionId, uuid }` refs in place of tree nodes (the shape a VM node exposes, see
// src/commands/vmTargets.ts). Modal dialogs cannot be clicked from inside the extension host, so
// the tests answer them through the PromptSeam the extension exports (src/commands/prompts.ts).
// States, volumes and files are checked through the Connection API and the file system.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BulkReport } from '../../../src/commands/bulk/runVmAction';
import type { CloneResult } from '../../../src/commands/clone/cloneVm';
import type { DeleteResult } from '../../../src/commands/delete/deleteVm';
import { domainDisks, domainMacs, domainNvramPath } from '../../../src/commands/domainXmlFacts';
import type { ConfirmRequest, PickItem, PickRequest } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainState, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { isNoDomain, isNoStorageVol } from '../../../src/libvirt/rpc/errors';
import { waitFor as waitForShared } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hctest-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const UNDEFINE_ALL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.CHECKPOINTS_METADATA | U.NVRAM | U.TPM;

const unique = (): string => `${PREFIX}${crypto.randomBytes(4).toString('hex')}`;

const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> =>
  waitForShared(what, fn, timeoutMs);

/** A tiny TCG VM: 128 MiB, VNC on 127.0.0.1, optional extra devices and <os> content. */
function tinyVmXml(name: string, opts: { devices?: string; efi?: boolean } = {}): string {
  const os = opts.efi
    ? `<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type><firmware><feature enabled='no' name='secure-boot'/></firmware></os><features><acpi/></features>`
    : `<os><type arch='x86_64' machine='pc'>hvm</type></os>`;
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  ${os}
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
    ${opts.devices ?? ''}
  </devices>
</domain>`;
}

async function removeDomain(conn: Connection, d: DomainRef): Promise<void> {
  await conn.domainDestroy(d).catch(() => undefined);
  await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
}

async function stateOf(conn: Connection, d: DomainRef): Promise<number> {
  return (await conn.domainGetState(d)).state;
}

describe('VM commands (extension host, real libvirtd)', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let addedConnection = false;
  const domains: DomainRef[] = [];
  let poolDir: string | undefined;
  let pool: StoragePoolRef | undefined;
  let confirms: ConfirmRequest[] = [];

  const ref = (d: DomainRef): { connectionId: string; uuid: string } => ({ connectionId, uuid: d.uuid });
  const define = async (xml: string): Promise<DomainRef> => {
    const d = await conn.domainDefineXml(xml);
    domains.push(d);
    return d;
  };
  /** Answers every confirmation with "yes" and records it. */
  const confirmAll = (): void => {
    confirms = [];
    api.prompts.setResponder({
      confirm: (req) => {
        confirms.push(req);
        return true;
      },
    });
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await removeDomain(conn, d);
    for (const p of await conn.connectListAllStoragePools()) {
      if (!p.name.startsWith(PREFIX)) continue;
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    // The extension adds the local connection on first run; use it, or add one for this suite.
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'commands test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected');
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    try {
      if (conn) {
        for (const d of domains) await removeDomain(conn, d);
        for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await removeDomain(conn, d);
        if (pool) {
          for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
          await conn.storagePoolDestroy(pool).catch(() => undefined);
          await conn.storagePoolUndefine(pool).catch(() => undefined);
        }
        await conn.close();
      }
    } finally {
      // The images go even when the daemon is gone.
      if (poolDir) fs.rmSync(poolDir, { recursive: true, force: true });
      if (addedConnection) await api.connections.remove(connectionId);
    }
  });

  it('starts, pauses, resumes and forces off a VM, and the tree follows', async () => {
    const vm = await define(tinyVmXml(unique()));
    await vscode.commands.executeCommand('libvirtVms.vm.start', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);
    await waitFor('tree shows running', () => api.tree.vmItem(connectionId, vm.name)?.contextValue?.startsWith('vm.running.') === true);

    await vscode.commands.executeCommand('libvirtVms.vm.pause', ref(vm), [ref(vm)]);
    assert.equal(await stateOf(conn, vm), VirDomainState.PAUSED);
    await waitFor('tree shows paused', () => api.tree.vmItem(connectionId, vm.name)?.contextValue?.startsWith('vm.paused.') === true);

    await vscode.commands.executeCommand('libvirtVms.vm.resume', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);

    // Force Off asks first; a "no" leaves the VM running.
    api.prompts.setResponder({ confirm: () => false });
    await vscode.commands.executeCommand('libvirtVms.vm.forceOff', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);

    confirmAll();
    await vscode.commands.executeCommand('libvirtVms.vm.forceOff', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.SHUTOFF);
    assert.equal(confirms.length, 1);
    assert.equal(confirms[0].button, 'Force Off');
    assert.ok(confirms[0].message.includes(`"${vm.name}"`), confirms[0].message);
    await waitFor('tree shows shut off', () => api.tree.vmItem(connectionId, vm.name)?.contextValue?.startsWith('vm.shutoff.') === true);
  });

  it('bulk-starts three VMs: two start, the running one is reported with its libvirt error', async () => {
    const vms = [await define(tinyVmXml(unique())), await define(tinyVmXml(unique())), await define(tinyVmXml(unique()))];
    await conn.domainCreate(vms[2]);
    const refs = vms.map(ref);
    const report = (await vscode.commands.executeCommand('libvirtVms.vm.start', refs[0], refs)) as BulkReport;
    assert.deepEqual([...report.ok].sort(), [vms[0].name, vms[1].name].sort());
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0].name, vms[2].name);
    assert.match(report.failed[0].message, /already running|not valid/i);
    assert.equal(report.summary, 'Started 2 of 3 VMs');
    for (const vm of vms) assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);

    // A bulk Force Off names every VM in its one confirmation.
    confirmAll();
    const off = (await vscode.commands.executeCommand('libvirtVms.vm.forceOff', refs[1], refs)) as BulkReport;
    assert.equal(off.summary, 'Forced off 3 of 3 VMs');
    for (const vm of vms) assert.ok(confirms[0].message.includes(`"${vm.name}"`));
    for (const vm of vms) assert.equal(await stateOf(conn, vm), VirDomainState.SHUTOFF);
  });

  it('from the palette, offers only VMs in a matching state in a multi-select pick', async () => {
    const on = await define(tinyVmXml(unique()));
    const off = await define(tinyVmXml(unique()));
    await conn.domainCreate(on);
    await waitFor('tree lists both', () => api.tree.vmItem(connectionId, on.name)?.contextValue?.startsWith('vm.running.') === true && api.tree.vmItem(connectionId, off.name));
    let offered: string[] = [];
    api.prompts.setResponder({
      pickMany: (req) => {
        offered = req.items.map((i) => i.label);
        return req.items.filter((i) => i.label === on.name);
      },
    });
    const report = (await vscode.commands.executeCommand('libvirtVms.vm.pause')) as BulkReport;
    assert.ok(offered.includes(on.name), `running VM not offered: ${offered.join(', ')}`);
    assert.ok(!offered.includes(off.name), 'a shut-off VM must not be offered for Pause');
    assert.deepEqual(report.ok, [on.name]);
    assert.equal(await stateOf(conn, on), VirDomainState.PAUSED);
    await conn.domainDestroy(on);
  });

  it('saves, restores and discards the saved state; toggles autostart; copies the UUID', async () => {
    const vm = await define(tinyVmXml(unique()));
    await conn.domainCreate(vm);
    await vscode.commands.executeCommand('libvirtVms.vm.save', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.SHUTOFF);
    assert.equal(await conn.domainHasManagedSaveImage(vm), true);
    await waitFor('tree shows saved', () => api.tree.vmItem(connectionId, vm.name)?.contextValue?.startsWith('vm.saved.') === true);

    await vscode.commands.executeCommand('libvirtVms.vm.restore', ref(vm));
    assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);
    assert.equal(await conn.domainHasManagedSaveImage(vm), false);

    await vscode.commands.executeCommand('libvirtVms.vm.save', ref(vm));
    confirmAll();
    await vscode.commands.executeCommand('libvirtVms.vm.discardSavedState', ref(vm));
    assert.equal(confirms[0]?.button, 'Discard');
    assert.equal(await conn.domainHasManagedSaveImage(vm), false);

    await vscode.commands.executeCommand('libvirtVms.vm.enableAutostart', ref(vm));
    assert.equal(await conn.domainGetAutostart(vm), true);
    await vscode.commands.executeCommand('libvirtVms.vm.disableAutostart', ref(vm));
    assert.equal(await conn.domainGetAutostart(vm), false);

    const copied = await vscode.commands.executeCommand('libvirtVms.vm.copyUuid', ref(vm));
    assert.equal(copied, vm.uuid);
    assert.equal(await vscode.env.clipboard.readText(), vm.uuid);
  });

  it('sends shutdown, reboot, reset and NMI requests to a running VM (the guest has no OS, so it keeps running)', async () => {
    const vm = await define(tinyVmXml(unique()));
    await conn.domainCreate(vm);
    for (const id of ['libvirtVms.vm.shutdown', 'libvirtVms.vm.reboot', 'libvirtVms.vm.sendNmi']) {
      const report = (await vscode.commands.executeCommand(id, ref(vm))) as BulkReport | undefined;
      assert.ok(report, `${id} failed (see the log)`);
      assert.deepEqual(report.ok, [vm.name], id);
    }
    confirmAll();
    const reset = (await vscode.commands.executeCommand('libvirtVms.vm.forceReset', ref(vm))) as BulkReport;
    assert.deepEqual(reset.ok, [vm.name]);
    assert.equal(confirms[0]?.button, 'Force Reset');
    assert.equal(await stateOf(conn, vm), VirDomainState.RUNNING);
    await conn.domainDestroy(vm);
  });

  it('renames a shut-off VM and edits its title', async () => {
    const vm = await define(tinyVmXml(unique()));
    const newName = unique();
    api.prompts.setResponder({ input: () => newName });
    await vscode.commands.executeCommand('libvirtVms.vm.rename', ref(vm));
    const renamed = await conn.domainLookupByUuid(vm.uuid);
    assert.equal(renamed.name, newName);
    domains.push(renamed);

    api.prompts.setResponder({ input: () => 'Build server' });
    await vscode.commands.executeCommand('libvirtVms.vm.editTitle', ref(vm));
    assert.match(await conn.domainGetXmlDesc(renamed), /<title>Build server<\/title>/);
  });

  describe('with storage', () => {
    let source: DomainRef;
    let diskPath: string;
    let isoPath: string;

    before(async () => {
      poolDir = fs.mkdtempSync('/tmp/hctest-pool-');
      fs.chmodSync(poolDir, 0o755); // QEMU runs as another user and must reach the images
      const poolName = unique();
      pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${poolName}</name><target><path>${poolDir}</path></target></pool>`);
      await conn.storagePoolCreate(pool);
      const disk = await conn.storageVolCreateXml(pool, `<volume><name>system.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`);
      const iso = await conn.storageVolCreateXml(pool, `<volume><name>media.iso</name><capacity unit='KiB'>64</capacity><target><format type='raw'/></target></volume>`);
      diskPath = path.join(poolDir, disk.name);
      isoPath = path.join(poolDir, iso.name);
      source = await define(
        tinyVmXml(unique(), {
          efi: true,
          devices: `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${diskPath}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${isoPath}'/><target dev='sda' bus='sata'/><readonly/></disk>
    <interface type='user'><mac address='52:54:00:12:34:56'/><model type='e1000'/></interface>`,
        }),
      );
    });

    it('refuses to clone a running VM', async () => {
      const running = await define(tinyVmXml(unique()));
      await conn.domainCreate(running);
      api.prompts.setResponder({ input: () => `${running.name}-clone` });
      await vscode.commands.executeCommand('libvirtVms.vm.clone', ref(running));
      assert.equal(api.prompts.history.filter((h) => h.kind === 'input').length, 0, 'it must refuse before asking for a name');
      await assert.rejects(conn.domainLookupByName(`${running.name}-clone`), isNoDomain);
    });

    it('clones a shut-off VM: own copy of the disk, shared CD-ROM, new UUID and MAC', async () => {
      let offered: string | undefined;
      api.prompts.setResponder({
        input: (req) => {
          offered = req.value;
          return req.value;
        },
      });
      const result = (await vscode.commands.executeCommand('libvirtVms.vm.clone', ref(source))) as CloneResult;
      assert.ok(result, 'the clone command returned nothing (it failed: see the log)');
      assert.equal(offered, `${source.name}-clone`);
      const clone = await conn.domainLookupByName(`${source.name}-clone`);
      domains.push(clone);
      assert.notEqual(clone.uuid, source.uuid);

      const xml = await conn.domainGetXmlDesc(clone);
      const disks = domainDisks(xml);
      const vda = disks.find((d) => d.target === 'vda');
      const sda = disks.find((d) => d.target === 'sda');
      assert.ok(vda?.path && sda, `unexpected disks: ${JSON.stringify(disks)}`);
      assert.equal(vda.path, path.join(poolDir!, `${source.name}-clone.qcow2`));
      assert.equal(vda.format, 'qcow2');
      assert.equal(sda.path, isoPath, 'the CD-ROM is shared, not copied');
      assert.ok(fs.existsSync(vda.path), 'the copied image exists');
      assert.ok(fs.existsSync(diskPath), 'the original image is untouched');
      const copy = await conn.storageVolLookupByPath(vda.path);
      assert.match(await conn.storageVolGetXmlDesc(copy), /<format type='qcow2'\/>/);
      const macs = domainMacs(xml);
      assert.equal(macs.length, 1);
      assert.notEqual(macs[0], '52:54:00:12:34:56');
      assert.deepEqual(result.volumes.map((v) => v.name), [`${source.name}-clone.qcow2`]);
    });

    it('rolls back the copied volume when defining the clone fails', async () => {
      // The name is free when the command checks it; the test takes it before the clone is
      // defined, so libvirt refuses the define and the command must delete the copy it made.
      const name = unique();
      api.prompts.setResponder({
        input: async () => {
          await define(tinyVmXml(name));
          return name;
        },
      });
      const before = (await conn.storagePoolListAllVolumes(pool!)).map((v) => v.name).sort();
      const result = await vscode.commands.executeCommand('libvirtVms.vm.clone', ref(source));
      assert.equal(result, undefined, 'the clone must fail');
      const after = (await conn.storagePoolListAllVolumes(pool!)).map((v) => v.name).sort();
      assert.deepEqual(after, before, 'no volume is left behind');
      assert.equal(fs.existsSync(path.join(poolDir!, `${name}.qcow2`)), false);
    });

    it('deletes a running clone: forced off, undefined with its NVRAM, chosen disk deleted, CD-ROM kept', async () => {
      const clone = await conn.domainLookupByName(`${source.name}-clone`);
      await vscode.commands.executeCommand('libvirtVms.vm.start', ref(clone));
      assert.equal(await stateOf(conn, clone), VirDomainState.RUNNING);
      const nvram = domainNvramPath(await conn.domainGetXmlDesc(clone));
      assert.ok(nvram && fs.existsSync(nvram), `NVRAM file ${nvram} exists while the clone runs`);
      const clonePath = path.join(poolDir!, `${source.name}-clone.qcow2`);

      let pick: PickRequest<unknown> | undefined;
      let confirm: ConfirmRequest | undefined;
      api.prompts.setResponder({
        pickMany: (req) => {
          pick = req;
          return req.items.filter((i: PickItem<unknown>) => i.picked === true);
        },
        confirm: (req) => {
          confirm = req;
          return true;
        },
      });
      const result = (await vscode.commands.executeCommand('libvirtVms.vm.delete', ref(clone))) as DeleteResult;
      assert.ok(result, 'the delete command returned nothing (it failed: see the log)');

      // The disk pick: the VM's own image pre-checked, the CD-ROM offered unchecked.
      assert.ok(pick);
      const byLabel = new Map(pick.items.map((i) => [i.label, i.picked === true]));
      assert.equal(byLabel.get(clonePath), true);
      assert.equal(byLabel.get(isoPath), false);
      // The modal names everything that goes.
      assert.ok(confirm);
      assert.equal(confirm.button, 'Delete');
      for (const expected of ['forced off first', clonePath, `NVRAM (UEFI variables): ${nvram}`]) {
        assert.ok(confirm.detail.includes(expected), `"${expected}" missing from:\n${confirm.detail}`);
      }
      assert.ok(confirm.detail.includes(`Kept:\n• disk sda: ${isoPath}`), confirm.detail);

      assert.deepEqual(result.deletedDisks, [clonePath]);
      assert.deepEqual(result.failedDisks, []);
      await assert.rejects(conn.domainLookupByUuid(clone.uuid), isNoDomain);
      await assert.rejects(conn.storageVolLookupByPath(clonePath), isNoStorageVol);
      assert.equal(fs.existsSync(clonePath), false);
      assert.equal(fs.existsSync(nvram), false, 'NVRAM removed');
      assert.ok(fs.existsSync(isoPath), 'the shared CD-ROM image is kept');
      assert.ok(fs.existsSync(diskPath), "the source VM's image is kept");
      await waitFor('the clone leaves the tree', () => api.tree.vmItem(connectionId, clone.name) === undefined);
    });
  });
});
