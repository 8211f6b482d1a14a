// Host resources inside a real VS Code extension host, against the real libvirtd: a dir pool and
// a network created through the guided flows (answers given through the prompt seam), volumes
// created, resized, uploaded and downloaded byte-identical, deleted; Open XML, Copy Name; the
// pool, network and host device nodes as the tree shows them.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { PickItem, PickRequest, InputRequest, ConfirmRequest } from '../../../src/commands/prompts';
import { Connection } from '../../../src/libvirt/connection';
import type { TreeNode } from '../../../src/views/treeNode';
import { sleep, waitFor as waitForShared, within } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'rtest-vs-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';


const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> =>
  waitForShared(what, fn, timeoutMs, 150);

function label(n: TreeNode): string {
  const l = n.getTreeItem().label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

function description(n: TreeNode): string {
  const d = n.getTreeItem().description;
  return typeof d === 'string' ? d : '';
}

/** Answers picks by label (regex) and inputs by prompt (regex); unknown questions fail the test. */
function responder(picks: readonly [RegExp, RegExp][], inputs: readonly [RegExp, string | ((req: InputRequest) => string)][], confirm = true): {
  pickOne(req: PickRequest<unknown>): PickItem<unknown> | undefined;
  input(req: InputRequest): string | undefined;
  confirm(req: ConfirmRequest): boolean;
} {
  return {
    pickOne: (req) => {
      for (const [ph, want] of picks) {
        if (ph.test(req.placeHolder ?? req.title)) {
          const item = req.items.find((i) => want.test(i.label));
          if (!item) throw new Error(`no item ${want} in ${req.items.map((i) => i.label).join(', ')}`);
          return item;
        }
      }
      throw new Error(`unexpected pick: ${req.placeHolder ?? req.title}`);
    },
    input: (req) => {
      for (const [p, answer] of inputs) if (p.test(req.prompt ?? '')) return typeof answer === 'string' ? answer : answer(req);
      throw new Error(`unexpected input: ${req.prompt ?? ''}`);
    },
    confirm: () => confirm,
  };
}

describe('Host resources (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let localId: string;
  let localName: string;
  let dir: string;
  const suffix = crypto.randomBytes(3).toString('hex');
  const poolName = `${PREFIX}pool-${suffix}`;
  const netName = `${PREFIX}net-${suffix}`;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const p of await conn.connectListAllStoragePools()) {
      if (!p.name.startsWith(PREFIX)) continue;
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    for (const n of await conn.connectListAllNetworks()) {
      if (!n.name.startsWith(PREFIX)) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === 'qemu:///system'));
    localId = entry.config.id;
    localName = entry.config.name;
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    if (!conn) return;
    const p = await conn.storagePoolLookupByName(poolName).catch(() => undefined);
    if (p) {
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolDelete(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
    const n = await conn.networkLookupByName(netName).catch(() => undefined);
    if (n) {
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await conn?.close();
  });

  const hostPick = (): [RegExp, RegExp] => [/^Host$/, new RegExp(`^${localName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)];

  it('refuses a relative pool directory before libvirt is called', async () => {
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Pool type/, /^Directory/], [/host boots/, /^Do not/]],
        [
          [/Pool name/, poolName],
          [/Directory on the host/, 'relative/dir'],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.pool.create');
    assert.ok(!(await conn.connectListAllStoragePools()).some((p) => p.name === poolName));
  });

  it('creates a dir pool through the guided flow; the tree shows its state and free space', async () => {
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Pool type/, /^Directory/], [/host boots/, /^Do not/]],
        [
          [/Pool name/, poolName],
          [/Directory on the host/, path.join(dir, 'pool')],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.pool.create');
    const node = await waitFor('the pool in the tree', async () => (await api.tree.groupNodes(localId, 'pools')).find((n) => label(n) === poolName));
    assert.match(description(node), /^active · .+ free of .+$/);
    assert.equal(node.getTreeItem().contextValue, 'activePool');
  });

  it('creates a raw volume, uploads and downloads it byte-identical, resizes and deletes it', async () => {
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Storage pool/, new RegExp(`^${poolName}$`)], [/Format/, /^raw$/], [/Allocation/, /sparse/]],
        [
          [/Volume name/, 'data'],
          [/Size/, '4M'],
        ],
      ),
    );
    await within('New Volume', vscode.commands.executeCommand('libvirtVms.volume.create'));
    const pool = await waitFor('pool node', async () => (await api.tree.groupNodes(localId, 'pools')).find((n) => label(n) === poolName));
    const vol = await waitFor('volume node', async () => (await pool.getChildren()).find((n) => label(n) === 'data'));
    assert.match(description(vol), /^4 MiB · /);

    const payload = crypto.randomBytes(3 * 1024 * 1024 + 7);
    const src = path.join(dir, 'in.bin');
    const dst = path.join(dir, 'out.bin');
    fs.writeFileSync(src, payload);
    api.prompts.setResponder(responder([], []));
    const sent = await within('the upload', vscode.commands.executeCommand('libvirtVms.volume.upload', vol, undefined, { localPath: src }));
    assert.equal(sent, payload.length);
    const got = await within('the download', vscode.commands.executeCommand('libvirtVms.volume.download', vol, undefined, { localPath: dst }));
    assert.equal(got, 4 * 1024 * 1024);
    assert.ok(fs.readFileSync(dst).subarray(0, payload.length).equals(payload));

    api.prompts.setResponder(responder([], [[/New size/, '8M']]));
    await within('Resize Volume', vscode.commands.executeCommand('libvirtVms.volume.resize', vol));
    const ref = await conn.storageVolLookupByName(await conn.storagePoolLookupByName(poolName), 'data');
    assert.equal((await conn.storageVolGetInfo(ref)).capacity, 8 * 1024 * 1024);

    await within('Open XML', vscode.commands.executeCommand('libvirtVms.openXml', vol));
    await waitFor('the volume XML in an editor', () => /<volume type='file'>[\s\S]*<name>data<\/name>/.test(vscode.window.activeTextEditor?.document.getText() ?? ''));

    const asked: string[] = [];
    api.prompts.setResponder({ confirm: (req) => (asked.push(req.detail), true) });
    await within('Delete Volume', vscode.commands.executeCommand('libvirtVms.volume.delete', vol));
    assert.match(asked[0] ?? '', /\/data is deleted for good/);
    await assert.rejects(conn.storageVolLookupByName(await conn.storagePoolLookupByName(poolName), 'data'));
  });

  it('Copy Name copies the pool name; Delete pool asks whether to delete the storage', async () => {
    const pool = await waitFor('pool node', async () => (await api.tree.groupNodes(localId, 'pools')).find((n) => label(n) === poolName));
    await vscode.commands.executeCommand('libvirtVms.resource.copyName', pool);
    assert.equal(await vscode.env.clipboard.readText(), poolName);
    let offered: string[] = [];
    api.prompts.setResponder({
      pickOne: (req) => {
        offered = req.items.map((i) => i.label);
        return req.items[1];
      },
      confirm: () => true,
    });
    await vscode.commands.executeCommand('libvirtVms.pool.delete', pool);
    assert.deepEqual(offered, ['Delete pool definition only', 'Delete pool and its storage (0 volumes)']);
    assert.ok(!(await conn.connectListAllStoragePools()).some((p) => p.name === poolName));
    assert.ok(!fs.existsSync(path.join(dir, 'pool')));
    await waitFor('the pool gone from the tree', async () => !(await api.tree.groupNodes(localId, 'pools')).some((n) => label(n) === poolName));
  });

  it('creates an isolated network with a proposed free subnet and shows it', async () => {
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Connectivity/, /^Isolated$/], [/IPv6/, /^No IPv6$/], [/host boots/, /^Do not/]],
        [
          [/Network name/, netName],
          [/IPv4 network/, (req) => req.value ?? ''],
          [/DHCP range/, (req) => req.value ?? ''],
          [/Static DHCP hosts/, ''],
          [/DNS domain/, ''],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.network.create');
    const node = await waitFor('the network in the tree', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === netName));
    assert.match(description(node), /^active · isolated · virbr\d+ · \d+\.\d+\.\d+\.0\/24$/);
    api.prompts.setResponder({ confirm: () => true });
    await vscode.commands.executeCommand('libvirtVms.network.delete', node);
    assert.ok(!(await conn.connectListAllNetworks()).some((n) => n.name === netName));
  });

  it('follows a network stopped and started outside the extension through events', async () => {
    await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', 0, vscode.ConfigurationTarget.Global);
    const name = `${PREFIX}ev-${suffix}`;
    const net = await conn.networkDefineXml(`<network><name>${name}</name><bridge stp='on' delay='0'/></network>`);
    try {
      await conn.networkCreate(net);
      await waitFor('the active network in the tree', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name && /^active/.test(description(n))));
      await sleep(1500);
      const before = api.tree.fireCount();
      await conn.networkDestroy(net);
      await waitFor('a tree refresh from the network event', () => api.tree.fireCount() > before, 5000);
      const node = await waitFor('the inactive network', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name));
      assert.match(description(node), /^inactive/);
      assert.equal(node.getTreeItem().contextValue, 'inactiveNetwork');
    } finally {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
  });

  it('lists host PCI devices with vendor and product, and opens a device XML read-only', async () => {
    const devs = await api.tree.groupNodes(localId, 'devices');
    const pci = devs.filter((n) => String(n.getTreeItem().contextValue).startsWith('hostDevice.pci'));
    assert.ok(pci[0]);
    assert.match(description(pci[0]), /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] · /);
    assert.match(label(pci[0]), /^([0-9a-f]{4}:[0-9a-f]{4}|.+ .+)$/);
    await vscode.commands.executeCommand('libvirtVms.openXml', pci[0]);
    await waitFor('the device XML in an editor', () => /<capability type='pci'>/.test(vscode.window.activeTextEditor?.document.getText() ?? ''));
  });
});
