// Existence warnings in the XML tab, inside a real VS Code extension host against the real
// libvirtd: a VM whose interface names a network that is defined but stopped gets a warning on
// the network's name while its XML is open; the "Start network" quick fix starts it on the host
// and the warning goes; typing the name of a network that does not exist brings a warning whose
// fixes name the host's networks. Beyond existence: more vCPUs than the machine type of the
// host's QEMU takes is an error while typing, with a quick fix; so is SEV launch security where
// the domain capabilities of the host's QEMU say it has none.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef, type NetworkRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { machineTypes, parseCapabilities, parseDomainCapabilities } from '../../../src/libvirt/xml/capabilities';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hlp-xe-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

describe('XML tab existence warnings (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  const tag = `${PREFIX}${process.pid}`;
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let addedConnection = false;
  let dom: DomainRef | undefined;
  let net: NetworkRef | undefined;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    for (const n of await conn.connectListAllNetworks()) {
      if (!leftoverOfDeadRun(n.name, PREFIX)) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'existence warnings test', uri: SYSTEM_URI, autoconnect: true });
      addedConnection = true;
      entry = api.connections.get(config.id);
    }
    connectionId = entry.config.id;
    await api.connections.get(connectionId).managed.connect();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dom) await conn.domainUndefine(dom, U.NVRAM).catch(() => undefined);
    if (net) {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
    await conn?.close();
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it('warns about a stopped network and starts it from the quick fix; a missing one gets the host networks as fixes', async () => {
    net = await conn.networkDefineXml(`<network><name>${tag}-net</name><bridge name='vbx${process.pid % 100000}'/></network>`);
    dom = await conn.domainDefineXml(`<domain type='qemu'><name>${tag}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><interface type='network'><source network='${tag}-net'/></interface></devices></domain>`);
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: dom.name } })) as vscode.TextEditor | undefined;
    assert.ok(editor);
    const doc = editor.document;
    const warning = await waitFor('the stopped-network warning', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'inactive-network'), 30_000);
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(doc.getText(warning.range), `${tag}-net`);
    assert.match(warning.message, /is not running/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, warning.range);
    const start = actions.find((a) => a.title === `Start network '${tag}-net'`);
    assert.ok(start?.command, `no start fix among ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(start.command.command, ...(start.command.arguments ?? []));
    assert.equal(await conn.networkIsActive(net), true, 'the quick fix started the network on the host');
    await waitFor('the warning gone', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'inactive-network'), 30_000);

    // Typing a network the host does not have: a warning whose fixes are the host's networks.
    const at = doc.getText().indexOf(`'${tag}-net'`) + 1;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + `${tag}-net`.length)), `${tag}-nope`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const missing = await waitFor('the missing-network warning', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'missing-network'), 30_000);
    const choices = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, missing.range);
    const use = choices.find((a) => a.title === `Use network '${tag}-net'`);
    assert.ok(use?.edit, `no network choice among ${choices.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(use.edit));
    await waitFor('the warning gone after the fix', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'missing-network'), 30_000);
  });

  it("holds the vCPUs to the machine type's limit in this host's QEMU, with a quick fix", async () => {
    assert.ok(dom, 'the VM of the first test');
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: dom.name } })) as vscode.TextEditor | undefined;
    assert.ok(editor);
    const doc = editor.document;
    const machine = /machine='([^']+)'/.exec(doc.getText())?.[1];
    assert.ok(machine, 'libvirt wrote a machine type');
    const limit = machineTypes(parseCapabilities(await conn.connectGetCapabilities()), 'x86_64', 'qemu').find((m) => m.name === machine)?.maxCpus;
    assert.ok(limit !== undefined && limit > 1, `the host's capabilities give a vCPU limit for ${machine}`);
    const vcpu = /(<vcpu[^>]*>)(\d+)<\/vcpu>/.exec(doc.getText());
    assert.ok(vcpu);
    const at = vcpu.index + vcpu[1]!.length;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + vcpu[2]!.length)), String(limit + 1));
    assert.ok(await vscode.workspace.applyEdit(edit));
    const error = await waitFor('the vCPU limit error', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'machine-max-cpus'), 30_000);
    assert.equal(error.severity, vscode.DiagnosticSeverity.Error);
    assert.match(error.message, new RegExp(`at most ${limit} vCPUs`));
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, error.range);
    const use = fixes.find((a) => a.title === `Use ${limit} vCPUs`);
    assert.ok(use?.edit, `no vCPU fix among ${fixes.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(use.edit));
    await waitFor('the error gone after the fix', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'machine-max-cpus'), 30_000);
    assert.match(doc.getText(), new RegExp(`<vcpu[^>]*>${limit}</vcpu>`));
  });

  it("holds SEV launch security to what the host's QEMU offers (its domain capabilities), while typing", async () => {
    assert.ok(dom, 'the VM of the first test');
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: dom.name } })) as vscode.TextEditor | undefined;
    assert.ok(editor);
    const doc = editor.document;
    const d = DomainXml.parse(doc.getText());
    const sev = parseDomainCapabilities(await conn.connectGetDomainCapabilities(d.get('emulator') ?? null, d.get('arch') ?? null, d.get('machine') ?? null, d.get('type') ?? null, 0)).features.sev;
    // The test hosts run guests under TCG, without SEV: the capabilities must say so.
    assert.equal(sev, false, "the host's domain capabilities report <sev supported='no'/>");
    const at = doc.getText().indexOf('<devices>');
    assert.ok(at > 0);
    const block = "<launchSecurity type='sev'><policy>0x0003</policy></launchSecurity>\n  ";
    const add = new vscode.WorkspaceEdit();
    add.insert(doc.uri, doc.positionAt(at), block);
    assert.ok(await vscode.workspace.applyEdit(add));
    const error = await waitFor('the SEV error', () => vscode.languages.getDiagnostics(doc.uri).find((x) => x.code === 'launch-security-unsupported'), 30_000);
    assert.equal(error.severity, vscode.DiagnosticSeverity.Error);
    assert.match(error.message, /cannot run AMD SEV guests/);
    assert.equal(doc.getText(error.range), "type='sev'");
    const remove = new vscode.WorkspaceEdit();
    remove.delete(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + block.length)));
    assert.ok(await vscode.workspace.applyEdit(remove));
    await waitFor('the error gone with the block', () => !vscode.languages.getDiagnostics(doc.uri).some((x) => x.code === 'launch-security-unsupported'), 30_000);
  });
});
