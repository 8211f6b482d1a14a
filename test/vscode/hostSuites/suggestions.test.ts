// Suggestions (optimization hints) inside a real VS Code extension host, against the real libvirtd:
// the XML tab shows a hint as an Information diagnostic whose quick fix edits the buffer; the
// details tab's Apply shows the change in a read-only diff editor, asks (answered through the
// extension's prompt seam) and defines it; the host-wide Show Suggestions lists the VM's hints and
// applies the one picked. Every definition is checked through the Connection API.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { SuggestionsResult } from '../../../src/commands/details/suggestions';
import type { ExtensionApi } from '../../../src/extension';
import { Connection, type DomainRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags, VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import type { RequestResult, ToWebview } from '../../../src/webviews/vmDetails/protocol';
import { PREVIEW_SCHEME } from '../../../src/ui/previewDocuments';
import { baseDomain } from '../../hintCases';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'hnthost-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

const name = (): string => `${PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

describe('Suggestions (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let connectionId: string;
  let addedConnection = false;
  const domains: DomainRef[] = [];

  const define = async (xml: string): Promise<DomainRef> => {
    const d = await conn.domainDefineXml(xml);
    domains.push(d);
    return d;
  };
  const inactive = (d: DomainRef): Promise<string> => conn.domainGetXmlDesc(d, VirDomainXMLFlags.INACTIVE);

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (leftoverOfDeadRun(d.name, PREFIX)) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
    let entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI), 5_000).catch(() => undefined);
    if (!entry) {
      const config = await api.connections.add({ name: 'suggestions test', uri: SYSTEM_URI, autoconnect: true });
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
      for (const d of domains) await conn.domainUndefine(d, U.NVRAM).catch(() => undefined);
      await conn.close();
    }
    if (addedConnection) await api.connections.remove(connectionId);
  });

  it('the XML tab: an Information diagnostic per hint, whose quick fix edits the buffer', async () => {
    const vm = name();
    await define(baseDomain({ name: vm, type: 'qemu' }).replace(/\s*<input type='tablet' bus='usb'\/>/, ''));
    const editor = (await vscode.commands.executeCommand('libvirtVms.openXml', { connectionId, object: { kind: 'domain', name: vm } })) as vscode.TextEditor;
    const doc = editor.document;
    const hint = await waitFor('the no-tablet hint', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'no-tablet'), 20_000);
    assert.equal(hint.severity, vscode.DiagnosticSeverity.Information);
    assert.equal(hint.source, 'libvirt hint');
    assert.match(hint.message, /Add a tablet for the pointer\. .*Expected: /);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, hint.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    const fix = actions.find((a) => /^Suggestion: Add a USB tablet/.test(a.title));
    assert.ok(fix?.edit, `a quick fix: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /<input type='tablet' bus='usb'\/>/);
    await waitFor('the hint gone after the edit', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'no-tablet'), 20_000);
    assert.ok(!/<input type='tablet'/.test(await inactive(domains.at(-1)!)), 'only the buffer changed; saving would define it');
  });

  it('the details tab: Apply shows the change in a read-only diff, asks, and defines it', async () => {
    const vm = name();
    const d = await define(baseDomain({ name: vm, type: 'qemu' }).replace(" discard='unmap'", ''));
    await vscode.commands.executeCommand('libvirtVms.vm.openDetails', { connectionId, uuid: d.uuid });
    const panel = api.details.get(connectionId, d.uuid);
    assert.ok(panel, 'the details tab opened');
    const posted: ToWebview[] = [];
    panel.host.onDidPost((m) => posted.push(m));
    await panel.receive({ type: 'ready' });
    const state = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    const h = state?.state.hints.find((x) => x.code === 'disk-no-discard');
    assert.ok(h, `the hint is listed: ${JSON.stringify(state?.state.hints.map((x) => x.code))}`);
    assert.equal(h.apply, 'auto');
    const asked: string[] = [];
    let diffOpen = false;
    api.prompts.setResponder({
      confirm: (req) => {
        asked.push(`${req.message} | ${req.button}`);
        // The change is on screen while the question is asked: a diff of two read-only preview documents.
        diffOpen = vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.scheme === PREVIEW_SCHEME && t.input.modified.scheme === PREVIEW_SCHEME);
        return true;
      },
    });
    assert.ok(await panel.receive({ type: 'applyHint', requestId: 7, key: h.key }));
    const reply = posted.find((m): m is Extract<ToWebview, { type: 'result' }> => m.type === 'result' && m.inReplyTo === 7);
    const result: RequestResult | undefined = reply?.result;
    assert.ok(result?.ok, `${JSON.stringify(result)}; posted: ${posted.map((m) => m.type).join(', ')}`);
    assert.deepEqual(asked, [`Pass discards of VirtIO Disk 1 to its image on ${vm}? | Apply`]);
    assert.ok(diffOpen, 'the diff editor showed the change');
    assert.match(await inactive(d), /discard='unmap'/);
    const after = [...posted].reverse().find((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    assert.ok(!after?.state.hints.some((x) => x.code === 'disk-no-discard'), 'the list follows');
    panel.dispose();
  });

  it('Show Suggestions lists the hints of the host\'s VMs and applies the one picked', async () => {
    const vm = name();
    const d = await define(baseDomain({ name: vm, type: 'qemu' }).replace(/\s*<channel type='unix'>[\s\S]*?<\/channel>/, ''));
    let listed: string[] = [];
    api.prompts.setResponder({
      pickOne: (req) => {
        listed = req.items.map((i) => `${i.label} | ${i.description ?? ''}`);
        return req.items.find((i) => i.description?.startsWith(`${vm} ·`) && /guest agent/.test(i.label));
      },
      confirm: () => true,
    });
    const r = (await vscode.commands.executeCommand('libvirtVms.connection.showSuggestions', { connectionId })) as SuggestionsResult;
    assert.ok(listed.some((l) => l.includes(`${vm} · low impact`)), listed.join('\n'));
    assert.deepEqual(r.picked, { vm, code: 'no-guest-agent' });
    assert.equal(r.applied, true);
    assert.match(await inactive(d), /org\.qemu\.guest_agent\.0/);
  });
});
