// XML tabs as the user sees them, in a real VS Code extension host against the real libvirtd:
// the path (breadcrumb, Problems panel) names the connection, not its id, and survives a rename;
// older id-based URIs still open; the live XML has its own tab title, lands beside the persistent
// tab or in the active group, and its file system is read-only; completion inserts elements with
// the attributes and children the schema asks for; Clone names a disk file that does not exist.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { cloneDomain } from '../../../src/commands/clone/cloneVm';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { isNoDomain } from '../../../src/libvirt/rpc/errors';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'xtabs-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const CONNECTION_PREFIX = 'Tabs/test ';
const CONNECTION_NAME = `${CONNECTION_PREFIX}${process.pid}`;
/** How the connection name reads as a path segment ('/' is shown as U+2215). */
const SHOWN = `Tabs\u2215test ${process.pid}`;

const unique = (): string => `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

function vmXml(name: string, extra = ''): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>${extra}
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
  </devices>
</domain>`;
}

function label(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

function snippetOf(item: vscode.CompletionItem | undefined): string {
  const t = item?.insertText;
  return t instanceof vscode.SnippetString ? t.value : String(t);
}

describe('XML tabs, completion snippets and clone messages (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  const domains: DomainRef[] = [];

  const define = async (xml: string): Promise<DomainRef> => {
    const d = await conn.domainDefineXml(xml);
    domains.push(d);
    return d;
  };
  const openXml = async (name: string): Promise<vscode.TextEditor> => {
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name } })) as vscode.TextEditor | undefined;
    assert.ok(editor, 'Open XML returned no editor');
    return editor;
  };
  const openLive = async (name: string): Promise<vscode.TextEditor> => {
    const editor = (await vscode.commands.executeCommand('libvirtVms.openLiveXml', { connectionId, object: { kind: 'domain', name } })) as vscode.TextEditor | undefined;
    assert.ok(editor, 'Open Live XML returned no editor');
    return editor;
  };
  const tabsOf = (uri: vscode.Uri): vscode.Tab[] =>
    vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!d.name.startsWith(PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    }
    // The first activation may still be saving the local connection: settings writes are not merged.
    await waitFor('the first-run connection', () => api.connections.list().length > 0, 5_000).catch(() => undefined);
    for (const e of api.connections.list()) if (e.config.name.startsWith(CONNECTION_PREFIX)) await api.connections.remove(e.config.id);
    connectionId = (await api.connections.add({ name: CONNECTION_NAME, uri: SYSTEM_URI, autoconnect: true })).id;
    await api.connections.get(connectionId).managed.connect();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (conn) {
      for (const d of domains) {
        await conn.domainDestroy(d).catch(() => undefined);
        await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
      }
      await conn.close();
    }
    if (api && connectionId) await api.connections.remove(connectionId).catch(() => undefined);
  });

  it("names the connection, not its id, in the tab's path and the Problems panel's resource", async () => {
    const vm = await define(vmXml(unique()));
    const editor = await openXml(vm.name);
    const uri = editor.document.uri;
    // The breadcrumb shows the path's segments; the Problems panel shows the file name and its folder.
    assert.equal(uri.path, `/${SHOWN}/domain/${vm.name}.xml`);
    assert.ok(!uri.toString().includes(`/${connectionId}/`), `the id is not a path segment: ${uri.toString()}`);
    assert.equal(tabsOf(uri)[0]?.label, `${vm.name}.xml`);

    const at = editor.document.getText().indexOf('destroy');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(editor.document.positionAt(at), editor.document.positionAt(at + 'destroy'.length)), 'explode');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const [resource] = await waitFor('a diagnostic for the typed value', () =>
      vscode.languages.getDiagnostics().find(([, ds]) => ds.some((d) => d.message.includes("'explode'"))),
    );
    assert.equal(resource.path, `/${SHOWN}/domain/${vm.name}.xml`);
    assert.equal(resource.toString(), uri.toString());
  });

  it('keeps an open tab working after the connection is renamed, and opens URIs of the id-based form', async () => {
    const vm = await define(vmXml(unique()));
    const editor = await openXml(vm.name);
    const before = editor.document.uri;
    await api.connections.update(connectionId, { name: `${CONNECTION_NAME} renamed` });
    await waitFor('the new name', () => api.connections.get(connectionId).config.name.endsWith('renamed'));
    try {
      await api.connections.get(connectionId).managed.connect();
      // The tab still reads (and so saves) through the connection id kept in the URI.
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(before));
      assert.match(text, new RegExp(`<name>${vm.name}</name>`));
      // Open XML again shows the open tab instead of a second one under the new name.
      const again = await openXml(vm.name);
      assert.equal(again.document.uri.toString(), before.toString());
      assert.equal(vscode.window.tabGroups.all.flatMap((g) => g.tabs).length, 1);
    } finally {
      await api.connections.update(connectionId, { name: CONNECTION_NAME });
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const legacy = vscode.Uri.from({ scheme: 'libvirt-xml', path: `/${connectionId}/domain/${vm.name}.xml` });
    const doc = await vscode.workspace.openTextDocument(legacy);
    assert.match(doc.getText(), new RegExp(`<name>${vm.name}</name>`));
  });

  it('titles the live XML as live and read-only, beside the persistent tab or in the active group', async () => {
    const vm = await define(vmXml(unique()));
    await conn.domainCreate(vm);
    await conn.domainDefineXml(vmXml(vm.name, `\n  <uuid>${vm.uuid}</uuid>\n  <description>changed for the next boot</description>`));

    const persistent = await openXml(vm.name);
    assert.equal(persistent.viewColumn, vscode.ViewColumn.One);
    const live = await openLive(vm.name);
    assert.equal(live.document.uri.path, `/${SHOWN}/domain/${vm.name}.xml (live, read-only)`);
    assert.equal(tabsOf(live.document.uri)[0]?.label, `${vm.name}.xml (live, read-only)`);
    assert.equal(live.document.languageId, 'libvirt-xml');
    assert.doesNotMatch(live.document.getText(), /changed for the next boot/);
    assert.equal(live.viewColumn, vscode.ViewColumn.Two, 'beside the persistent tab');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), persistent.document.uri.toString(), 'the persistent tab keeps the focus');
    assert.equal(vscode.workspace.fs.isWritableFileSystem('libvirt-xml-host'), false);

    // Opening it again shows the same tab.
    const again = await openLive(vm.name);
    assert.equal(again.viewColumn, vscode.ViewColumn.Two);
    assert.equal(tabsOf(live.document.uri).length, 1);

    // Without the persistent tab: in the active group, not beside an empty one.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('one editor group', () => vscode.window.tabGroups.all.length === 1 || undefined, 5_000).catch(() => undefined);
    const alone = await openLive(vm.name);
    assert.equal(alone.viewColumn, vscode.window.tabGroups.activeTabGroup.viewColumn);
    assert.equal(vscode.window.tabGroups.all.filter((g) => g.tabs.length > 0).length, 1, 'no group beside an empty one');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), alone.document.uri.toString());
  });

  it('completes <disk> with its type, device, <source> and <target>, offering the values as choices', async () => {
    const vm = await define(vmXml(unique()));
    const editor = await openXml(vm.name);
    const doc = editor.document;
    const inDevices = doc.positionAt(doc.getText().indexOf('<devices>') + '<devices>'.length);
    const started = Date.now();
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, inDevices);
    const elapsed = Date.now() - started;
    const disk = snippetOf(list.items.find((i) => label(i) === 'disk'));
    // e.g. <disk device='${1|disk,cdrom,floppy,lun|}' type='${2|file,block,…|}'>\n\t<source ${3}/>\n\t<target dev='${4}'/>\n</disk>$0
    assert.match(disk, /^<disk /, disk);
    assert.match(disk, /device='\$\{\d+\|([^|]*,)?cdrom(,[^|]*)?\|\}'/, `the host's disk devices as a choice: ${disk}`);
    assert.match(disk, /type='\$\{\d+\|([^|]*,)?file(,[^|]*)?\|\}'/, `the schema's disk types as a choice: ${disk}`);
    assert.match(disk, /\n\t<source \$\{\d+\}\/>/, disk);
    assert.match(disk, /\n\t<target dev='\$\{\d+\}'\/>/, disk);
    assert.match(disk, /<\/disk>\$0$/, disk);
    assert.ok(elapsed < 2_000, `completion took ${elapsed} ms`);

    // Inside a start tag, attributes with their values as a choice.
    const inGraphics = doc.positionAt(doc.getText().indexOf('<graphics ') + '<graphics '.length);
    const attrs = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, inGraphics);
    assert.match(snippetOf(attrs.items.find((i) => label(i) === 'sharePolicy')), /^sharePolicy='\$\{1\|allow-exclusive,force-shared,ignore\|\}'$/);

    // After a typed '<', the same snippet without its '<'.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, inDevices, '\n    <');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const afterBracket = doc.positionAt(doc.getText().indexOf('<devices>') + '<devices>\n    <'.length);
    const named = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, afterBracket);
    assert.match(snippetOf(named.items.find((i) => label(i) === 'disk')), /^disk device=/);
  });

  it("Clone says that a disk's file does not exist, not that it is outside the storage pools", async () => {
    const missing = `/var/tmp/${unique()}-missing.qcow2`;
    const vm = await define(
      vmXml(unique()).replace('<devices>', `<devices>\n    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${missing}'/><target dev='vda' bus='virtio'/></disk>`),
    );
    const log = vscode.window.createOutputChannel(`${PREFIX}clone`, { log: true });
    try {
      await assert.rejects(
        cloneDomain({ conn, dom: vm } as Parameters<typeof cloneDomain>[0], `${vm.name}-clone`, { isCancelled: () => false, report: () => undefined, log }),
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          assert.ok(message.includes(`${missing} does not exist`), message);
          assert.doesNotMatch(message, /storage pool/);
          return true;
        },
      );
    } finally {
      log.dispose();
    }
    await assert.rejects(conn.domainLookupByName(`${vm.name}-clone`), isNoDomain);
  });
});
