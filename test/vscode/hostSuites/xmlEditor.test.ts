// The XML editor inside a real VS Code extension host, against the real libvirtd
// (qemu:///system): open a VM's XML, see a schema diagnostic while typing, a refused save that
// leaves the VM untouched, a fixed save that reads back, a change made on the host behind the
// editor's back (Compare, then Overwrite, answered through the extension's prompt seam),
// completion of <tpm> in <devices>, and a network's edit round trip with a rename-to-copy.
// Every definition is checked through the Connection API, not through the editor.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PickItem, PickRequest } from '../../../src/commands/prompts';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type NetworkRef } from '../../../src/libvirt/connection';
import { VirDomainSnapshotCreateFlags, VirDomainSnapshotDeleteFlags, VirDomainXMLFlags, VirNetworkXMLFlags, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { hostSegment } from '../../../src/xmlEditor/xmlPath';
import { XmlFileSystem } from '../../../src/xmlEditor/xmlFileSystem';
import { xmlUri } from '../../../src/xmlEditor/xmlUris';
import { sleep, waitFor as waitForShared } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'xetest-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const INACTIVE = VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE;

const unique = (): string => `${PREFIX}${crypto.randomBytes(4).toString('hex')}`;

const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> =>
  waitForShared(what, fn, timeoutMs);

function tinyVmXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

/** Replaces the first occurrence of `from` in the document with `to` (like typing). */
async function replaceInDoc(doc: vscode.TextDocument, from: string, to: string): Promise<void> {
  const at = doc.getText().indexOf(from);
  assert.ok(at >= 0, `"${from}" not in the document:\n${doc.getText()}`);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + from.length)), to);
  assert.ok(await vscode.workspace.applyEdit(edit));
}

function pickByLabel(label: string, seen?: PickRequest<unknown>[]) {
  return (req: PickRequest<unknown>): PickItem<unknown> | undefined => {
    seen?.push(req);
    return req.items.find((i) => i.label === label);
  };
}

describe('XML editor (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let addedConnection = false;
  const domains: DomainRef[] = [];
  const networks: NetworkRef[] = [];

  const openXml = async (kind: 'domain' | 'network', name: string): Promise<vscode.TextDocument> => {
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind, name } })) as vscode.TextEditor | undefined;
    assert.ok(editor, 'Open XML returned no editor');
    return editor.document;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    for (const n of await conn.connectListAllNetworks()) if (n.name.startsWith(PREFIX)) await conn.networkUndefine(n).catch(() => undefined);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'xml editor test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
  });

  afterEach(async () => {
    api.prompts.setResponder(undefined);
    await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    api?.prompts.setResponder(undefined);
    if (conn) {
      for (const d of domains) await conn.domainUndefine(d, U.NVRAM | U.SNAPSHOTS_METADATA).catch(() => undefined);
      for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
      for (const n of await conn.connectListAllNetworks()) if (n.name.startsWith(PREFIX)) await conn.networkUndefine(n).catch(() => undefined);
      await conn.close();
    }
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it('opens a VM definition, flags a bad value while typing, refuses to save it, then saves the fix', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    const original = await conn.domainGetXmlDesc(vm, INACTIVE);

    const doc = await openXml('domain', vm.name);
    assert.equal(doc.uri.scheme, 'libvirt-xml');
    assert.equal(doc.uri.path, `/${hostSegment(api.connections.get(connectionId).config.name)}/domain/${vm.name}.xml`);
    assert.equal(new URLSearchParams(doc.uri.query).get('connection'), connectionId);
    assert.equal(doc.getText(), original, 'the tab shows the inactive definition');
    // Saving defines, so it never happens by itself: no auto-save for this language.
    assert.equal(doc.languageId, 'libvirt-xml');
    assert.equal(vscode.workspace.getConfiguration('files', { uri: doc.uri, languageId: doc.languageId }).get('autoSave'), 'off');

    // A schema diagnostic on the exact value, on its line.
    await replaceInDoc(doc, '<on_poweroff>destroy</on_poweroff>', '<on_poweroff>explode</on_poweroff>');
    const line = doc.getText().split('\n').findIndex((l) => l.includes('explode'));
    const diag = await waitFor('a diagnostic on the on_poweroff line', () =>
      vscode.languages.getDiagnostics(doc.uri).find((d) => d.range.start.line === line && d.message.includes('explode')),
    );
    assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(doc.getText(diag.range), 'explode');
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range);
    assert.ok(fixes.some((f) => f.title === "Change to 'destroy'"), `quick fixes: ${fixes.map((f) => f.title).join(', ')}`);

    // Saving defines with validation: libvirt refuses, the tab stays dirty, the VM is untouched.
    const saved = await doc.save();
    assert.equal(saved, false, 'the refused save must fail');
    assert.ok(doc.isDirty, 'the tab stays dirty');
    assert.equal(await conn.domainGetXmlDesc(vm, INACTIVE), original, 'the definition is unchanged');
    await waitFor('the define error on the document', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'libvirt define'));

    // Fixed: the save defines it and the change reads back.
    await replaceInDoc(doc, 'explode', 'restart');
    assert.equal(await doc.save(), true);
    assert.equal(doc.isDirty, false);
    const after = await conn.domainGetXmlDesc(vm, INACTIVE);
    assert.match(after, /<on_poweroff>restart<\/on_poweroff>/);
    assert.equal((await conn.domainLookupByName(vm.name)).uuid, vm.uuid, 'same VM, redefined');
    await waitFor('the tab re-read from the host', () => doc.getText() === after);
  });

  it('never defines by auto-save: a save VS Code starts by itself is refused, an explicit one goes through', async () => {
    // The file system the XML tabs use, with its save seam recording what would be defined.
    const defined: string[] = [];
    const files = new XmlFileSystem({ connection: () => Connection.open(SYSTEM_URI) }, async (_uri, _loc, text) => {
      defined.push(text);
      return text;
    });
    const uri = xmlUri({ connectionId, object: { kind: 'domain', name: unique() } }, 'QEMU/KVM');
    const bytes = new TextEncoder().encode('<domain/>');
    for (const reason of [vscode.TextDocumentSaveReason.AfterDelay, vscode.TextDocumentSaveReason.FocusOut]) {
      files.noteWillSave(uri, reason);
      await assert.rejects(Promise.resolve(files.writeFile(uri, bytes)), /Not saved automatically/);
    }
    assert.deepEqual(defined, [], 'an automatic save defined something');
    files.noteWillSave(uri, vscode.TextDocumentSaveReason.Manual);
    await files.writeFile(uri, bytes);
    assert.deepEqual(defined, ['<domain/>']);
    files.dispose();
  });

  it("uses libvirt's RelaxNG validation and the model's semantic checks (with fixes) for domain XML", async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()).replace('<devices>', "<devices>\n    <interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/></interface>"));
    domains.push(vm);
    const doc = await openXml('domain', vm.name);
    await replaceInDoc(doc, '52:54:00:12:34:56', '52:54:00:zz:34:56');
    const mac = await waitFor('a MAC diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'malformed-mac'));
    assert.equal(doc.getText(mac.range).includes('52:54:00:zz:34:56'), true, doc.getText(mac.range));
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, mac.range);
    const fix = fixes.find((f) => f.edit !== undefined && f.title === 'Generate a new MAC address');
    assert.ok(fix, `no MAC fix among ${fixes.map((f) => f.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    await waitFor('the MAC diagnostic gone', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'malformed-mac'));
    assert.doesNotMatch(doc.getText(), /zz/);

    // A datatype violation, with what the schema's datatype expects.
    await replaceInDoc(doc, /<vcpu([^>]*)>1<\/vcpu>/.exec(doc.getText())![0], '<vcpu>many</vcpu>');
    const datatype = await waitFor('a datatype diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source?.startsWith('libvirt schema') === true && /many/.test(d.message)));
    assert.equal(datatype.severity, vscode.DiagnosticSeverity.Error);
    assert.match(datatype.message, /expected a positive integer/);
    assert.equal(doc.getText(datatype.range), 'many');
    await replaceInDoc(doc, '<vcpu>many</vcpu>', '<vcpu>1</vcpu>');

    // Something only the full RelaxNG validator sees: an element that may appear once, twice.
    const reboot = /<on_reboot>[a-z-]+<\/on_reboot>/.exec(doc.getText())![0];
    await replaceInDoc(doc, reboot, `${reboot}\n  <on_reboot>destroy</on_reboot>`);
    const schema = await waitFor('a libxml2 schema diagnostic', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'libvirt schema (libxml2)'));
    assert.equal(schema.severity, vscode.DiagnosticSeverity.Error);
    assert.match(schema.message, /<on_reboot> may appear only once/);
    assert.equal(doc.lineAt(schema.range.start.line).text.trim(), '<on_reboot>destroy</on_reboot>');
  });

  it('detects a change made on the host since the tab was opened: Compare, then Overwrite', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    const doc = await openXml('domain', vm.name);
    await replaceInDoc(doc, '<on_poweroff>destroy</on_poweroff>', '<on_poweroff>restart</on_poweroff>');

    // Behind the editor's back.
    const behind = (await conn.domainGetXmlDesc(vm, INACTIVE)).replace('</name>', '</name>\n  <description>changed on the host</description>');
    await conn.domainDefineXml(behind);

    const asked: PickRequest<unknown>[] = [];
    api.prompts.setResponder({ pickOne: pickByLabel('Compare', asked) });
    assert.equal(await doc.save(), false, 'Compare does not save');
    assert.equal(asked.length, 1);
    assert.match(asked[0]!.title, /changed on the host/);
    assert.deepEqual(asked[0]!.items.map((i) => i.label), ['Compare', 'Overwrite']);
    assert.match(await conn.domainGetXmlDesc(vm, INACTIVE), /changed on the host/, 'the host change is kept');
    await waitFor('a diff editor', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === doc.uri.toString()),
    );

    api.prompts.setResponder({ pickOne: pickByLabel('Overwrite') });
    assert.equal(await doc.save(), true);
    const now = await conn.domainGetXmlDesc(vm, INACTIVE);
    assert.match(now, /<on_poweroff>restart<\/on_poweroff>/);
    assert.doesNotMatch(now, /changed on the host/, 'overwritten on request');
  });

  it('completes <tpm> inside <devices> and the values of an enumerated attribute', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    const doc = await openXml('domain', vm.name);
    const text = doc.getText();
    const inDevices = doc.positionAt(text.indexOf('<devices>') + '<devices>'.length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, inDevices);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('tpm'), `no tpm in ${labels.join(' ')}`);
    assert.ok(!labels.includes('on_poweroff'), 'only children of <devices>');

    const typeValue = text.indexOf("<model type='") + "<model type='".length;
    const values = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, doc.positionAt(typeValue));
    const vl = values.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(vl.includes('virtio') && vl.includes('vga'), `video model values: ${vl.join(' ')}`);

    const hover = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(text.indexOf('<devices>') + 2));
    const md = hover.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.match(md, /virtual hardware/);
    assert.match(md, /domaincommon\\?\.rng/);
  });

  it('edits a network: round trip, and a new <name> defines a copy (networks cannot be renamed)', async () => {
    const name = unique();
    const third = 200 + crypto.randomInt(50);
    const net = await conn.networkDefineXml(`<network><name>${name}</name><ip address='192.168.${third}.1' prefix='24'/></network>`);
    networks.push(net);
    const doc = await openXml('network', name);
    assert.match(doc.getText(), new RegExp(`<name>${name}</name>`));
    await replaceInDoc(doc, '</name>', "</name>\n  <domain name='xetest.lan'/>");
    assert.equal(await doc.save(), true);
    assert.match(await conn.networkGetXmlDesc(net, VirNetworkXMLFlags.INACTIVE), /<domain name='xetest\.lan'\/>/);
    await waitFor('the tab re-read from the host', async () => doc.getText() === (await conn.networkGetXmlDesc(net, VirNetworkXMLFlags.INACTIVE)));

    const copy = `${name}-copy`;
    const asked: PickRequest<unknown>[] = [];
    api.prompts.setResponder({ pickOne: pickByLabel('Define a Copy', asked) });
    await replaceInDoc(doc, `<name>${name}</name>`, `<name>${copy}</name>`);
    assert.equal(await doc.save(), true);
    assert.deepEqual(asked[0]!.items.map((i) => i.label), ['Define a Copy'], 'no Rename for networks');
    const copyRef = await conn.networkLookupByName(copy);
    networks.push(copyRef);
    assert.notEqual(copyRef.uuid, net.uuid, 'the copy has its own UUID');
    assert.match(await conn.networkGetXmlDesc(net, VirNetworkXMLFlags.INACTIVE), new RegExp(`<name>${name}</name>`), 'the original is unchanged');
    await waitFor('the copy opens in its own tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.path.endsWith(`/network/${copy}.xml`)));
  });

  it('renames a VM when its <name> changes and Rename is chosen', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    const doc = await openXml('domain', vm.name);
    const renamed = `${vm.name}-r`;
    api.prompts.setResponder({ pickOne: pickByLabel('Rename') });
    await replaceInDoc(doc, `<name>${vm.name}</name>`, `<name>${renamed}</name>`);
    assert.equal(await doc.save(), true);
    const now = await conn.domainLookupByName(renamed);
    domains.push(now);
    assert.equal(now.uuid, vm.uuid, 'the same VM under its new name');
    await assert.rejects(conn.domainLookupByName(vm.name));
    await waitFor('the renamed VM opens in its own tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.path.endsWith(`/domain/${renamed}.xml`)));
  });

  it('New VM from XML opens a valid template that Define from XML defines and opens', async () => {
    api.prompts.setResponder({ pickOne: (req) => req.items.find((i) => i.description === SYSTEM_URI) });
    const editor = (await vscode.commands.executeCommand('libvirtVms.newVmFromXml')) as vscode.TextEditor;
    const doc = editor.document;
    assert.equal(doc.isUntitled, true);
    assert.match(doc.getText(), /^<domain type='(qemu|kvm)'>/);
    assert.match(doc.getText(), /machine='q35'/);
    const name = unique();
    await replaceInDoc(doc, /<name>[^<]*<\/name>/.exec(doc.getText())![0], `<name>${name}</name>`);
    // The template passes the schema check: no error diagnostics.
    await sleep(800);
    assert.deepEqual(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => d.message), []);
    const loc = (await vscode.commands.executeCommand('libvirtVms.defineFromXml')) as { connectionId: string; object: { name: string } };
    const dom = await conn.domainLookupByName(name);
    domains.push(dom);
    assert.equal(loc.object.name, name);
    assert.equal(vscode.window.activeTextEditor?.document.uri.scheme, 'libvirt-xml');
    const hasKvm = (await conn.connectGetCapabilities()).includes("<domain type='kvm'");
    assert.match(await conn.domainGetXmlDesc(dom, INACTIVE), hasKvm ? /<domain type='kvm'/ : /<domain type='qemu'/);
    // The tree follows the define event.
    await waitFor('the new VM in the tree', () => api.tree.vmItem(connectionId, name));
  });

  it('New Network from XML picks a free /24 that libvirt accepts', async () => {
    api.prompts.setResponder({ pickOne: (req) => req.items.find((i) => i.description === SYSTEM_URI) });
    const editor = (await vscode.commands.executeCommand('libvirtVms.newNetworkFromXml')) as vscode.TextEditor;
    const doc = editor.document;
    const name = unique();
    await replaceInDoc(doc, /<name>[^<]*<\/name>/.exec(doc.getText())![0], `<name>${name}</name>`);
    await vscode.commands.executeCommand('libvirtVms.defineFromXml');
    const net = await conn.networkLookupByName(name);
    networks.push(net);
    assert.match(await conn.networkGetXmlDesc(net, VirNetworkXMLFlags.INACTIVE), /<forward mode='nat'/);
  });

  it('saving a running VM changes only its persistent definition; Open Live XML shows the live one read-only', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    await conn.domainCreate(vm);
    try {
      const liveBefore = await conn.domainGetXmlDesc(vm, VirDomainXMLFlags.SECURE);
      const doc = await openXml('domain', vm.name);
      await replaceInDoc(doc, '</name>', '</name>\n  <description>next boot</description>');
      assert.equal(await doc.save(), true);
      assert.match(await conn.domainGetXmlDesc(vm, INACTIVE), /<description>next boot<\/description>/);
      assert.doesNotMatch(await conn.domainGetXmlDesc(vm, VirDomainXMLFlags.SECURE), /next boot/, 'the running VM keeps its live definition');
      assert.equal(liveBefore.includes('next boot'), false);

      const live = (await vscode.commands.executeCommand('libvirtVms.openLiveXml', { connectionId, object: { kind: 'domain', name: vm.name } })) as vscode.TextEditor | undefined;
      assert.ok(live, 'the live XML differs, so it opens');
      assert.equal(live.document.uri.scheme, 'libvirt-xml-host');
      assert.equal(new URLSearchParams(live.document.uri.query).get('view'), 'live');
      assert.doesNotMatch(live.document.getText(), /next boot/);
      assert.match(live.document.getText(), /<domain type='qemu' id='\d+'/, 'the live XML carries the running id');
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(live.document.uri, new TextEncoder().encode('<domain/>'))));
    } finally {
      await conn.domainDestroy(vm).catch(() => undefined);
    }
  });

  it('shows a volume read-only: libvirt cannot redefine volumes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    const poolName = unique();
    const pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${poolName}</name><target><path>${dir}</path></target></pool>`);
    try {
      await conn.storagePoolCreate(pool);
      const vol = await conn.storageVolCreateXml(pool, `<volume><name>v 1.raw</name><capacity unit='KiB'>64</capacity><target><format type='raw'/></target></volume>`);
      const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'volume', name: vol.name, parent: poolName } })) as vscode.TextEditor;
      assert.match(editor.document.getText(), /<volume type='file'>/);
      assert.equal(editor.document.uri.path, `/${hostSegment(api.connections.get(connectionId).config.name)}/volume/${poolName}/v 1.raw.xml`);
      const stat = await vscode.workspace.fs.stat(editor.document.uri);
      assert.equal(stat.permissions, vscode.FilePermission.Readonly);
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(editor.document.uri, new TextEncoder().encode(editor.document.getText()))), (err: unknown) => err instanceof vscode.FileSystemError && err.code === 'NoPermissions');
      await conn.storageVolDelete(vol);
    } finally {
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("opens a snapshot's XML read-only", async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    // Snapshot metadata only (REDEFINE): a disk-less VM has nothing to snapshot for real.
    const snapXml = `<domainsnapshot><name>before "upgrade" ü</name><state>shutoff</state><creationTime>1700000000</creationTime>${await conn.domainGetXmlDesc(vm, INACTIVE)}</domainsnapshot>`;
    const snap = await conn.domainSnapshotCreateXml(vm, snapXml, VirDomainSnapshotCreateFlags.REDEFINE);
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'snapshot', name: snap.name, parent: vm.name } })) as vscode.TextEditor;
    assert.match(editor.document.getText(), /<name>before (&quot;|")upgrade(&quot;|") ü<\/name>/);
    assert.equal(editor.document.uri.path, `/${hostSegment(api.connections.get(connectionId).config.name)}/snapshot/${vm.name}/before "upgrade" ü.xml`);
    assert.equal((await vscode.workspace.fs.stat(editor.document.uri)).permissions, vscode.FilePermission.Readonly);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await conn.domainSnapshotDelete(snap, VirDomainSnapshotDeleteFlags.METADATA_ONLY);
  });

  it('Open Live XML says so when a stopped VM has nothing live to show; a missing VM is FileNotFound', async () => {
    const vm = await conn.domainDefineXml(tinyVmXml(unique()));
    domains.push(vm);
    const live = await vscode.commands.executeCommand('libvirtVms.openLiveXml', { connectionId, object: { kind: 'domain', name: vm.name } });
    assert.equal(live, undefined);
    const missing = vscode.Uri.from({ scheme: 'libvirt-xml', path: `/${connectionId}/domain/${PREFIX}does-not-exist.xml` });
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(missing)), (err: unknown) => err instanceof vscode.FileSystemError && err.code === 'FileNotFound');
  });
});
