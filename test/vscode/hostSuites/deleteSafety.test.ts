// Delete Pool and Delete VM inside a real VS Code extension host, against the real libvirtd: they
// name what they delete, delete only that, and re-check after the confirmation. The modal and
// the picks are answered through the PromptSeam (src/commands/prompts.ts); a responder can change
// the host while "the user" looks at a question, which is how the races are reproduced.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeleteResult } from '../../../src/commands/delete/deleteVm';
import type { ConfirmRequest, PickItem, PickRequest } from '../../../src/commands/prompts';
import type { DeletePoolReport } from '../../../src/commands/resources/poolCommands';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainState, VirStoragePoolState } from '../../../src/libvirt/generated/libvirtConstants';
import { isNoDomain } from '../../../src/libvirt/rpc/errors';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hdelete-';
const OWN = `${PREFIX}${process.pid}-`;
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

function tinyVmXml(name: string, disks: readonly string[]): string {
  const devs = disks.map((p, i) => `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${p}'/><target dev='vd${String.fromCharCode(97 + i)}' bus='virtio'/></disk>`);
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${devs.join('')}</devices></domain>`;
}

const volXml = (name: string, backing?: string): string =>
  `<volume><name>${name}</name><capacity unit='MiB'>8</capacity><target><format type='qcow2'/></target>` +
  (backing ? `<backingStore><path>${backing}</path><format type='qcow2'/></backingStore>` : '') +
  '</volume>';

describe('Deleting pools and VMs safely (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let hostName: string;
  let base: string;
  let n = 0;
  const unique = (kind: string): string => `${OWN}${kind}${++n}`;

  /** Removes this run's domains and pools, or a killed earlier run's, with their volumes. */
  async function cleanup(prefix: string): Promise<void> {
    const mine = (name: string): boolean => (prefix === PREFIX ? leftoverOfDeadRun(name, PREFIX) : name.startsWith(prefix));
    for (const d of await conn.connectListAllDomains()) {
      if (!mine(d.name)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
    for (const p of await conn.connectListAllStoragePools()) {
      if (!mine(p.name)) continue;
      await conn.storagePoolCreate(p).catch(() => undefined);
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolDelete(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
  }

  async function newPool(): Promise<{ pool: StoragePoolRef; dir: string }> {
    const name = unique('pool');
    const dir = path.join(base, name);
    const pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolBuild(pool);
    await conn.storagePoolCreate(pool);
    return { pool, dir };
  }

  /** Answers Delete Pool's picks: this host, this pool, "and its storage". */
  function poolPicks(pool: StoragePoolRef): (req: PickRequest<unknown>) => PickItem<unknown> | undefined {
    return (req) => {
      const want = req.placeHolder === 'Host' ? hostName : req.placeHolder === 'Storage pool' ? pool.name : undefined;
      const item = want !== undefined ? req.items.find((i) => i.label === want) : req.items.find((i) => i.label.startsWith('Delete pool and its storage'));
      if (!item) throw new Error(`unexpected pick ${req.placeHolder ?? req.title}: ${req.items.map((i) => i.label).join(', ')}`);
      return item;
    };
  }

  const poolExists = async (pool: StoragePoolRef): Promise<boolean> => (await conn.connectListAllStoragePools()).some((p) => p.uuid === pool.uuid);
  const ref = (d: DomainRef): { connectionId: string; uuid: string } => ({ connectionId, uuid: d.uuid });

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    await cleanup(PREFIX);
    base = fs.mkdtempSync(`/tmp/${OWN}`);
    fs.chmodSync(base, 0o755); // QEMU runs as another user and must reach the images
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 20_000);
    connectionId = entry.config.id;
    hostName = entry.config.name;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected', 30_000);
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    if (conn) {
      await cleanup(OWN);
      await conn.close();
    }
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  describe('Delete Pool', () => {
    it('names both volumes of a stopped pool before asking, stops it again on cancel, then deletes exactly them', async () => {
      const { pool, dir } = await newPool();
      await conn.storageVolCreateXml(pool, volXml('first.qcow2'));
      await conn.storageVolCreateXml(pool, volXml('second.qcow2'));
      await conn.storagePoolDestroy(pool);

      const asked: ConfirmRequest[] = [];
      api.prompts.setResponder({ pickOne: poolPicks(pool), confirm: (req) => (asked.push(req), false) });
      assert.equal(await vscode.commands.executeCommand('libvirtVms.pool.delete'), undefined);
      assert.equal(asked.length, 1);
      const detail = asked[0]?.detail ?? '';
      assert.match(detail, /These 2 volumes are deleted for good/);
      for (const v of ['first.qcow2', 'second.qcow2']) assert.ok(detail.includes(path.join(dir, v)), `${v} not named in:\n${detail}`);
      assert.match(detail, /inactive: it was started to list its volumes/);
      assert.equal((await conn.storagePoolGetInfo(pool)).state, VirStoragePoolState.INACTIVE, 'cancelled: stopped again, as it was found');
      assert.ok(fs.existsSync(path.join(dir, 'first.qcow2')));

      api.prompts.setResponder({ pickOne: poolPicks(pool), confirm: () => true });
      const report = (await vscode.commands.executeCommand('libvirtVms.pool.delete')) as DeletePoolReport | undefined;
      assert.ok(report, 'Delete Pool failed (see the log)');
      assert.equal(report.poolDeleted, true);
      assert.deepEqual(report.deletedVolumes.map((v) => v.name).sort(), ['first.qcow2', 'second.qcow2']);
      assert.equal(await poolExists(pool), false);
      assert.equal(fs.existsSync(dir), false);
    });

    it('leaves a volume created after the confirmation in place, keeps the pool and says why', async () => {
      const { pool, dir } = await newPool();
      await conn.storageVolCreateXml(pool, volXml('named.qcow2'));
      api.prompts.setResponder({
        pickOne: poolPicks(pool),
        confirm: async () => {
          await conn.storageVolCreateXml(pool, volXml('late.qcow2'));
          return true;
        },
      });
      const report = (await vscode.commands.executeCommand('libvirtVms.pool.delete')) as DeletePoolReport | undefined;
      assert.ok(fs.existsSync(path.join(dir, 'late.qcow2')), 'the late volume survives');
      assert.equal(await poolExists(pool), true, 'the pool (and its directory) is kept');
      assert.ok(report, 'Delete Pool failed (see the log)');
      assert.equal(report.poolDeleted, false);
      assert.deepEqual(report.deletedVolumes.map((v) => v.name), ['named.qcow2']);
      assert.deepEqual(report.unconfirmed.map((v) => v.name), ['late.qcow2']);
      assert.match(report.message ?? '', /not deleted: 1 volume appeared after the confirmation and was left in place: late\.qcow2/);
      assert.equal(fs.existsSync(path.join(dir, 'named.qcow2')), false);
    });
  });

  describe('Delete VM', () => {
    let pool: StoragePoolRef;
    let dir: string;
    before(async () => {
      ({ pool, dir } = await newPool());
    });
    const image = async (name: string, backing?: string): Promise<string> => {
      await conn.storageVolCreateXml(pool, volXml(name, backing && path.join(dir, backing)));
      return path.join(dir, name);
    };
    const define = (name: string, disks: readonly string[]): Promise<DomainRef> => conn.domainDefineXml(tinyVmXml(name, disks));

    it("does not pre-select a disk another VM uses, or the backing file of another VM's overlay, and says why", async () => {
      const own = await image('own.qcow2');
      const shared = await image('shared.qcow2');
      const baseImg = await image('base.qcow2');
      await image('overlay.qcow2', 'base.qcow2');
      const vm = await define(unique('vm'), [own, shared, baseImg]);
      const other = await define(unique('other'), [shared]);
      const layered = await define(unique('layered'), [path.join(dir, 'overlay.qcow2')]); // shut off: only the storage API knows its chain

      let pick: PickRequest<unknown> | undefined;
      api.prompts.setResponder({ pickMany: (req) => ((pick = req), req.items.filter((i) => i.picked === true)), confirm: () => false });
      await vscode.commands.executeCommand('libvirtVms.vm.delete', ref(vm));
      assert.ok(pick, 'no disk pick');
      const items = new Map(pick.items.map((i) => [i.label, i]));
      assert.equal(items.get(own)?.picked, true);
      assert.equal(items.get(shared)?.picked, false, 'a disk of another VM is not pre-selected');
      assert.match(items.get(shared)?.description ?? '', new RegExp(`used by ${other.name}`));
      assert.equal(items.get(baseImg)?.picked, false, "the backing file of another VM's overlay is not pre-selected");
      assert.match(items.get(baseImg)?.description ?? '', new RegExp(`backing file of ${layered.name}'s disk`));
      for (const p of [own, shared, baseImg]) assert.ok(fs.existsSync(p));
    });

    it('deletes nothing when the VM is started while the confirmation is shown', async () => {
      const disk = await image('started.qcow2');
      const vm = await define(unique('race'), [disk]);
      let shown: ConfirmRequest | undefined;
      api.prompts.setResponder({
        pickMany: (req) => req.items.filter((i) => i.picked === true),
        confirm: async (req) => {
          shown = req;
          await conn.domainCreate(vm);
          return true;
        },
      });
      const result = await vscode.commands.executeCommand('libvirtVms.vm.delete', ref(vm));
      assert.ok(fs.existsSync(disk), 'no disk deleted under the running QEMU');
      assert.ok(shown && !shown.detail.includes('forced off'), 'it was shut off when asked');
      assert.equal(result, undefined, 'the command must refuse');
      const now = await conn.domainLookupByUuid(vm.uuid);
      assert.equal((await conn.domainGetState(now)).state, VirDomainState.RUNNING);
      assert.equal(await conn.domainIsPersistent(now), true, 'the definition is kept');
      await conn.domainDestroy(now);
    });

    it('says "forced off first" when the VM was started during the pick, and deletes the disk only once it is gone', async () => {
      const disk = await image('picked.qcow2');
      const vm = await define(unique('late'), [disk]);
      let shown: ConfirmRequest | undefined;
      api.prompts.setResponder({
        pickMany: async (req) => {
          await conn.domainCreate(vm);
          return req.items.filter((i) => i.picked === true);
        },
        confirm: (req) => ((shown = req), true),
      });
      const result = (await vscode.commands.executeCommand('libvirtVms.vm.delete', ref(vm))) as DeleteResult | undefined;
      assert.ok(shown);
      assert.match(shown.detail, /is running and will be forced off first/);
      assert.ok(result, 'Delete VM failed (see the log)');
      assert.deepEqual(result.deletedDisks, [disk]);
      await assert.rejects(conn.domainLookupByUuid(vm.uuid), isNoDomain);
      assert.equal(fs.existsSync(disk), false);
    });
  });
});
