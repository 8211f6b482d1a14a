// The snapshot commands inside a real VS Code extension host against the real libvirtd: a bulk
// Take Snapshot over several VMs, the kind offer with its reasons, no quiesce question when the
// guest agent does not answer, the tree's Snapshots node, Revert with "Take a Snapshot First",
// a refused revert that changes nothing, and Delete naming exactly what goes.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeleteSnapshotReport } from '../../../src/commands/snapshots/deleteSnapshot';
import type { RevertReport } from '../../../src/commands/snapshots/revertSnapshot';
import type { TakeSnapshotReport } from '../../../src/commands/snapshots/takeSnapshot';
import type { PickItem, PickRequest } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainState, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hcsnap';
const RUN = `${PREFIX}${process.pid}-`;
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const UNDEFINE_ALL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.NVRAM;

describe('Snapshot commands (extension host, real libvirtd)', function () {
  this.timeout(180_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let dir: string;
  const doms: DomainRef[] = [];

  const ref = (d: DomainRef): { connectionId: string; uuid: string } => ({ connectionId, uuid: d.uuid });
  const define = async (memoryMiB = 128): Promise<{ dom: DomainRef; xml: string }> => {
    const name = `${RUN}${crypto.randomBytes(3).toString('hex')}`;
    const file = path.join(dir, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '16M']);
    fs.chmodSync(file, 0o666);
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${memoryMiB}</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/><target dev='vda' bus='virtio'/></disk>
  <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
  <graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
    const dom = await conn.domainDefineXml(xml);
    doms.push(dom);
    await waitFor('the VM in the tree', () => api.tree.vmItem(connectionId, name));
    return { dom, xml };
  };
  const names = async (d: DomainRef): Promise<string[]> => (await conn.domainListAllSnapshots(d)).map((s) => s.name).sort();
  /** Picks the item whose label contains `text` (fails the test when it is not offered). */
  const pickLabel = (text: string) => (req: PickRequest<unknown>): PickItem<unknown> => {
    const item = req.items.find((i) => i.label.includes(text));
    assert.ok(item, `"${text}" not offered in "${req.title}": ${req.items.map((i) => i.label).join(' | ')}`);
    return item;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    // /tmp itself: the extension host's TMPDIR is private, and QEMU runs as another user.
    dir = fs.mkdtempSync('/tmp/hcsnap-');
    fs.chmodSync(dir, 0o755);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'snapshot test', uri: URI, autoconnect: true });
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected');
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
    }
    await conn?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes one snapshot of several selected VMs through the bulk runner, offering only the kinds all of them allow', async () => {
    const a = await define();
    const b = await define();
    const c = await define();
    await conn.domainCreate(c.dom);
    api.prompts.setResponder({
      pickOne: pickLabel('Internal'),
      input: (req) => (req.title.endsWith('name') ? 'bulk-1' : 'taken together'),
    });
    const refs = [a, b, c].map((x) => ref(x.dom));
    const report = (await vscode.commands.executeCommand('libvirtVms.snapshot.take', refs[0], refs)) as TakeSnapshotReport;
    assert.ok(report, 'the command failed');
    assert.deepEqual([...report.ok].sort(), [a, b, c].map((x) => x.dom.name).sort());
    assert.equal(report.summary, 'Took a snapshot of 3 of 3 VMs');
    for (const x of [a, b, c]) assert.deepEqual(await names(x.dom), ['bulk-1']);
    assert.match(await conn.domainSnapshotGetXmlDesc({ dom: c.dom, name: 'bulk-1' }), /<state>running<\/state>[\s\S]*<memory snapshot='internal'/);
    assert.match(await conn.domainSnapshotGetXmlDesc({ dom: a.dom, name: 'bulk-1' }), /<description>taken together<\/description>/);
    // The kind pick: memory needs every VM running, and says which are not.
    const kindPick = api.prompts.history.find((h) => h.kind === 'pickOne');
    assert.ok(kindPick && kindPick.kind === 'pickOne');
    const refused = kindPick.req.items.find((i) => i.label.includes('External, with memory'));
    assert.equal(refused?.description, 'not offered');
    assert.match(refused?.detail ?? '', new RegExp(`${a.dom.name}: a shut-off VM has no memory`));
    // The default name came from the time.
    const nameAsk = api.prompts.history.find((h) => h.kind === 'input');
    assert.match(nameAsk && nameAsk.kind === 'input' ? (nameAsk.req.value ?? '') : '', /^snapshot-\d{4}-\d{2}-\d{2}-\d{6}$/);
    await conn.domainDestroy(c.dom);
  });

  it('does not offer quiesce when the guest agent does not answer, and the tree shows the new current snapshot', async () => {
    const { dom } = await define();
    await conn.domainCreate(dom);
    api.prompts.setResponder({ pickOne: pickLabel('External, disks only'), input: (req) => (req.title.endsWith('name') ? 'ext' : '') });
    const report = (await vscode.commands.executeCommand('libvirtVms.snapshot.take', ref(dom))) as TakeSnapshotReport;
    assert.ok(report, 'the command failed');
    assert.deepEqual(report.quiesced, []);
    assert.ok(!api.prompts.history.some((h) => h.kind === 'pickOne' && h.req.title.includes('file systems')), 'quiesce must not be asked');
    const rows = await api.tree.snapshotRows(connectionId, dom.name);
    assert.equal(rows.length, 1);
    assert.match(rows[0], /^ext: current · disk-only · \d{4}-\d{2}-\d{2} \d{2}:\d{2} · external \[snapshot\.external\.current\]$/);
    // libvirt 9.0 refuses to revert to it: its reason is shown, nothing changes.
    api.prompts.setResponder({ choose: () => 'Revert' });
    const source = await conn.domainGetXmlDesc(dom, 0);
    const r = await vscode.commands.executeCommand('libvirtVms.snapshot.revert', { connectionId, uuid: dom.uuid, snapshot: 'ext' });
    assert.equal(r, undefined, 'the refused revert must fail');
    assert.equal((await conn.domainGetState(dom)).state, VirDomainState.RUNNING);
    assert.equal(await conn.domainGetXmlDesc(dom, 0), source);
    const confirm = api.prompts.history.find((h) => h.kind === 'choose');
    assert.match(confirm && confirm.kind === 'choose' ? confirm.req.detail : '', /libvirt 9\.0 cannot revert/);

    // Deleting it with a child: the confirmation warns, libvirt refuses, nothing goes.
    api.prompts.setResponder({ pickOne: pickLabel('External, disks only'), input: (req) => (req.title.endsWith('name') ? 'ext-child' : '') });
    await vscode.commands.executeCommand('libvirtVms.snapshot.take', ref(dom));
    api.prompts.setResponder({ pickOne: pickLabel('This snapshot and its children'), confirm: () => true });
    const d = await vscode.commands.executeCommand('libvirtVms.snapshot.delete', { connectionId, uuid: dom.uuid, snapshot: 'ext' });
    assert.equal(d, undefined, 'the refused delete must fail');
    assert.deepEqual(await names(dom), ['ext', 'ext-child']);
    const del = api.prompts.history.find((h) => h.kind === 'confirm');
    assert.match(del && del.kind === 'confirm' ? del.req.detail : '', /libvirt 9\.0 refuses to delete external snapshots together with their children/);
  });

  it('reverts after "Take a Snapshot First": the definition comes back and both snapshots exist; the tree shows parent and child', async () => {
    const { dom, xml } = await define();
    api.prompts.setResponder({ pickOne: pickLabel('Internal'), input: (req) => (req.title.endsWith('name') ? 'base' : '') });
    await vscode.commands.executeCommand('libvirtVms.snapshot.take', ref(dom));
    await conn.domainDefineXml(xml.replace("<memory unit='MiB'>128</memory>", `<uuid>${dom.uuid}</uuid><memory unit='MiB'>192</memory>`));
    // Cancel changes nothing.
    api.prompts.setResponder({ choose: () => undefined });
    assert.equal(await vscode.commands.executeCommand('libvirtVms.snapshot.revert', { connectionId, uuid: dom.uuid, snapshot: 'base' }), undefined);
    assert.match(await conn.domainGetXmlDesc(dom, 0), /196608/);
    api.prompts.setResponder({
      choose: () => 'Take a Snapshot First',
      pickOne: pickLabel('Internal'),
      input: (req) => (req.title.endsWith('name') ? 'before-revert' : ''),
    });
    const report = (await vscode.commands.executeCommand('libvirtVms.snapshot.revert', { connectionId, uuid: dom.uuid, snapshot: 'base' })) as RevertReport;
    assert.ok(report, 'the revert failed');
    assert.equal(report.takenFirst, 'before-revert');
    assert.equal(report.state, VirDomainState.SHUTOFF);
    assert.match(await conn.domainGetXmlDesc(dom, 0), /<memory unit='KiB'>131072<\/memory>/);
    assert.deepEqual(await names(dom), ['base', 'before-revert']);
    const choose = api.prompts.history.find((h) => h.kind === 'choose');
    assert.ok(choose && choose.kind === 'choose');
    assert.match(choose.req.detail, /current state is lost/);
    assert.deepEqual(choose.req.buttons, ['Revert', 'Take a Snapshot First']);
    assert.equal((await api.tree.vmChildren(connectionId, dom.name)).at(-1), 'Snapshots: 2');
    const rows = await api.tree.snapshotRows(connectionId, dom.name);
    assert.equal(rows.length, 2);
    assert.match(rows[0], /^base: current · shut off/);
    assert.match(rows[1], /^ {2}before-revert: shut off/);
  });

  it('deletes a snapshot with its children after a confirmation naming each, and a declined confirmation deletes nothing', async () => {
    const { dom } = await define();
    for (const n of ['p', 'c1', 'c2']) {
      api.prompts.setResponder({ pickOne: pickLabel('Internal'), input: (req) => (req.title.endsWith('name') ? n : '') });
      await vscode.commands.executeCommand('libvirtVms.snapshot.take', ref(dom));
    }
    const snapArg = { connectionId, uuid: dom.uuid, snapshot: 'p' };
    api.prompts.setResponder({ pickOne: pickLabel('This snapshot and its children'), confirm: () => false });
    assert.equal(await vscode.commands.executeCommand('libvirtVms.snapshot.delete', snapArg), undefined);
    assert.deepEqual(await names(dom), ['c1', 'c2', 'p']);
    api.prompts.setResponder({ pickOne: pickLabel('This snapshot and its children'), confirm: () => true });
    const report = (await vscode.commands.executeCommand('libvirtVms.snapshot.delete', snapArg)) as DeleteSnapshotReport;
    assert.deepEqual(report.deleted, ['p', 'c1', 'c2']);
    const confirm = api.prompts.history.find((h) => h.kind === 'confirm');
    assert.ok(confirm && confirm.kind === 'confirm');
    assert.equal(confirm.req.button, 'Delete');
    assert.match(confirm.req.detail, /Deleted: "p", "c1", "c2"\./);
    assert.deepEqual(await names(dom), []);
    assert.deepEqual(await api.tree.snapshotRows(connectionId, dom.name), ['No snapshots: Take Snapshot… [message]']);
    assert.equal((await api.tree.vmChildren(connectionId, dom.name)).at(-1), 'Snapshots: none');
  });

  it('from the palette: picks the VM, then the snapshot in tree order; a tree changed during the confirmation stops the delete', async () => {
    const { dom } = await define();
    for (const n of ['one', 'two']) {
      api.prompts.setResponder({ pickOne: pickLabel('Internal'), input: (req) => (req.title.endsWith('name') ? n : '') });
      await vscode.commands.executeCommand('libvirtVms.snapshot.take', ref(dom));
    }
    let snapshotItems: string[] = [];
    api.prompts.setResponder({
      pickOne: (req) => {
        if (req.placeHolder === 'Select a VM') return pickLabel(dom.name)(req);
        if (req.placeHolder === 'Select a snapshot') {
          snapshotItems = req.items.map((i) => `${i.label} | ${i.description ?? ''}`);
          return pickLabel('one')(req);
        }
        return pickLabel('This snapshot')(req);
      },
      // Someone takes a snapshot from "one" while the confirmation is open.
      confirm: async () => {
        await conn.domainRevertToSnapshot({ dom, name: 'one' });
        await conn.domainSnapshotCreateXml(dom, '<domainsnapshot><name>three</name></domainsnapshot>', 0);
        return true;
      },
    });
    const r = await vscode.commands.executeCommand('libvirtVms.snapshot.delete');
    assert.equal(r, undefined, 'the delete must stop');
    assert.equal(snapshotItems.length, 2);
    assert.match(snapshotItems[0], /^one \| shut off · /);
    assert.match(snapshotItems[1], /^\u2003\$\(pass-filled\) two \| current · shut off/);
    assert.deepEqual(await names(dom), ['one', 'three', 'two']);
  });
});
