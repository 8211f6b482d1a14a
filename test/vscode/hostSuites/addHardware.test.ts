// Add Hardware inside a real VS Code extension host over the real libvirtd: the form shown inside
// the VM details tab by its Add Hardware button (its `addHardware` message, the path the webview
// takes), a disk added end to end on a new qcow2 volume in a test pool, verified through libvirt;
// bad input keeps the form, the values and the VM as they were; a forged message is refused, in
// the details tab and in the Add Hardware tab of the VM's menu (opened when no details tab is), and
// the VM menu's Add Hardware… uses the open details tab's form.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import type { FinishResult, ToWebview } from '../../../src/webviews/addHardware/protocol';
import type { ToWebview as DetailsToWebview } from '../../../src/webviews/vmDetails/protocol';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'haddhw-';
const OWN = `${PREFIX}${process.pid}-`;
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

describe('Add Hardware (extension host, real libvirtd)', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let pool: StoragePoolRef;
  let dir: string;
  let vm: DomainRef;
  let nextRequest = 1;

  async function cleanup(match: (name: string) => boolean): Promise<void> {
    for (const d of await conn.connectListAllDomains()) if (match(d.name)) await conn.domainUndefine(d, 0).catch(() => undefined);
    for (const p of await conn.connectListAllStoragePools()) {
      if (!match(p.name)) continue;
      for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      await conn.storagePoolDestroy(p).catch(() => undefined);
      await conn.storagePoolUndefine(p).catch(() => undefined);
    }
  }

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    await cleanup((n) => leftoverOfDeadRun(n, PREFIX));
    dir = fs.mkdtempSync(`/tmp/${OWN}`);
    fs.chmodSync(dir, 0o755);
    pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${OWN}pool</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolCreate(pool);
    vm = await conn.domainDefineXml(`<domain type='qemu'><name>${OWN}vm</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features><devices/></domain>`);
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 20_000);
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
    await waitFor('connected', () => api.tree.connectionState(connectionId) === 'connected', 30_000);
  });

  after(async () => {
    api?.addHardware.dispose();
    api?.details.dispose();
    if (conn) {
      await cleanup((n) => n.startsWith(OWN));
      await conn.close();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Finish through `receive` (the tab's panel, or the details tab wrapping the message); the answer from `posted`. */
  async function finish(receive: (m: unknown) => Promise<boolean>, posted: ToWebview[], kind: string, values: Record<string, unknown>): Promise<FinishResult> {
    const requestId = nextRequest++;
    assert.ok(await receive({ type: 'finish', requestId, kind, values }), 'the message was refused');
    const reply = posted.find((x): x is Extract<ToWebview, { type: 'result' }> => x.type === 'result' && x.inReplyTo === requestId);
    assert.ok(reply, `no answer; posted: ${posted.map((m) => (m.type === 'result' ? `result ${m.inReplyTo} ${JSON.stringify(m.result)}` : m.type)).join(', ')}`);
    return reply.result;
  }

  it('shows the form inside the details tab and adds a disk on a new qcow2 volume', async () => {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid: vm.uuid });
    const details = api.details.get(connectionId, vm.uuid);
    assert.ok(details, 'details tab');
    await details.loaded;
    await details.receive({ type: 'ready' });
    const detailsPosted: DetailsToWebview[] = [];
    details.host.onDidPost((m) => detailsPosted.push(m));
    const posted: ToWebview[] = [];
    details.host.onDidPost((m) => {
      if (m.type === 'hardware') posted.push(m.message);
    });
    // The page's Add Hardware button: the form comes into this tab, no Add Hardware tab opens.
    assert.ok(await details.receive({ type: 'addHardware' }));
    assert.equal(api.addHardware.get(connectionId, vm.uuid), undefined, 'no second tab');
    assert.ok(details.controller.hardware, 'the form is open in the details tab');
    const state = posted.find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state')?.state;
    assert.ok(state, 'state posted');
    assert.equal(state.vm, vm.name);
    const disk = state.kinds.find((k) => k.id === 'disk');
    assert.ok(disk, state.kinds.map((k) => k.id).join(' '));
    assert.equal(disk.values.bus, 'virtio');
    assert.equal(disk.values.target, 'vda');
    assert.equal(disk.values.create, 'new');
    assert.ok(disk.fields.find((f) => f.id === 'pool')?.options?.some((o) => o.value === `${OWN}pool`), 'the test pool is offered');
    const finishIn = (kind: string, values: Record<string, unknown>): Promise<FinishResult> =>
      finish((m) => details.receive({ type: 'hardware', message: m }), posted, kind, values);

    // Bad input first: the form stays, nothing is added.
    const bad = await finishIn('disk', { ...disk.values, pool: `${OWN}pool`, volumeName: 'bad/name', capacity: 0.01 });
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.problems.some((p) => p.field === 'volumeName'), JSON.stringify(bad));
    assert.equal((await conn.storagePoolListAllVolumes(pool)).length, 0);
    assert.ok(details.controller.hardware, 'the form stays open after a refusal');
    // A forged wrapped message is refused as the Add Hardware tab refuses it.
    assert.equal(await details.receive({ type: 'hardware', message: { type: 'finish', requestId: 99, kind: 'disk', values: { x: { nested: true } } } }), false);

    const ok = await finishIn('disk', { ...disk.values, pool: `${OWN}pool`, volumeName: `${OWN}disk`, capacity: 0.01 });
    assert.ok(ok.ok, JSON.stringify(ok));
    const back = DomainXml.parse(await conn.domainGetXmlDesc(vm, VirDomainXMLFlags.INACTIVE));
    const d = back.devicesOf('disk')[0];
    assert.equal(d?.get('sourceFile'), path.join(dir, `${OWN}disk.qcow2`));
    assert.equal(d?.get('driverType'), 'qcow2');
    assert.equal(d?.get('bus'), 'virtio');
    // The form closed, the details show the new disk, selected, and say what was done.
    const closed = detailsPosted.find((m): m is Extract<DetailsToWebview, { type: 'hardwareClosed' }> => m.type === 'hardwareClosed');
    assert.ok(closed, 'the form closed');
    assert.ok((closed.summary ?? '').startsWith(`Added VirtIO Disk 1 to ${vm.name} (on a new volume ${OWN}pool/${OWN}disk.qcow2`), closed.summary);
    assert.equal(details.controller.hardware, undefined);
    const selected = details.controller.selectedSection;
    assert.ok(selected && details.controller.state().sections.find((s) => s.id === selected)?.values['target'] === 'vda', `selected ${selected}`);
    assert.equal(details.controller.state().changedOnHost, false);
    details.dispose();
  });

  it('Add Hardware… from the VM menu or the palette shows the form in the open details tab, at the kind asked for', async () => {
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid: vm.uuid });
    const details = api.details.get(connectionId, vm.uuid);
    assert.ok(details, 'details tab');
    await details.loaded;
    await details.receive({ type: 'ready' });
    const key = await vscode.commands.executeCommand('libvirtVms.vm.addHardware', { connectionId, uuid: vm.uuid, deviceKind: 'rng' });
    assert.equal(key, details.key, 'the command answers with the details tab');
    assert.equal(api.addHardware.get(connectionId, vm.uuid), undefined, 'no second tab');
    assert.equal(details.controller.hardware?.selectedKind, 'rng');
    // Asked again for another kind while the form is open: the same form moves to it.
    await vscode.commands.executeCommand('libvirtVms.vm.addHardware', { connectionId, uuid: vm.uuid, deviceKind: 'watchdog' });
    assert.equal(details.controller.hardware?.selectedKind, 'watchdog');
    assert.equal(api.addHardware.get(connectionId, vm.uuid), undefined, 'still no second tab');
    details.dispose();
  });

  it('refuses a forged message field by field', async () => {
    void vscode.commands.executeCommand('libvirtVms.vm.addHardware', { connectionId, uuid: vm.uuid, deviceKind: 'interface' });
    const panel = await waitFor('the Add Hardware tab', () => api.addHardware.get(connectionId, vm.uuid), 20_000);
    await panel.loaded;
    assert.ok(panel);
    assert.equal(panel.controller.selectedKind, 'interface');
    assert.equal(await panel.receive({ type: 'finish', requestId: 1, kind: 'disk', values: { x: { nested: true } } }), false);
    assert.equal(await panel.receive({ type: 'edit', kind: 'disk', values: {}, version: 1, extra: 1 }), false);
    panel.dispose();
  });
});
