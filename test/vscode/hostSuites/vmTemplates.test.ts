// VM templates through the real commands in a real VS Code extension host, on the real libvirtd:
// Save as Template on a VM (with its disk copied as a base volume) writes a file into the folder
// the setting names; New VM from Template opens the wizard with the template's answers (the title
// and banner say so), and Create makes the VM on a copy-on-write disk of the base; the wizard's
// Save as Template never keeps the password; Import Template reads a file (a bad one is refused at
// its line and nothing is kept); Delete Template names the file and deletes exactly it.

import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { ConfirmRequest, PickRequest } from '../../../src/commands/prompts';
import { createVm } from '../../../src/forms/createVm';
import { newVmFacts } from '../../../src/forms/newVmFacts';
import { initialValues, toRequest } from '../../../src/forms/newVmModel';
import { BUILT_IN_TEMPLATES, parseTemplate, templateOfDomain } from '../../../src/forms/vmTemplates';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainXMLFlags } from '../../../src/libvirt/generated/libvirtConstants';
import { createPool, listPoolVolumes } from '../../../src/libvirt/resources/operations';
import { parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { DomainXml } from '../../../src/libvirt/xml/domainXml';
import type { NewVmPanel } from '../../../src/webviews/newVm/panel';
import type { WizardState } from '../../../src/webviews/newVm/protocol';
import { removeDeadRunObjects, removeRunObjects } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'htmpl-';
const URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const FOLDER_SETTING = 'libvirtVms.templates.folder';

describe('VM templates (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let pool: StoragePoolRef;
  let dir: string;
  let localId: string;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const templateName = `${run} web`;
  const folder = (): string => path.join(dir, 'templates');
  const panels: NewVmPanel[] = [];
  const stateOf = (p: NewVmPanel): WizardState => p.controller.state();

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    conn = await Connection.open(URI);
    await removeDeadRunObjects(conn, PREFIX);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
    fs.chmodSync(dir, 0o755);
    pool = await createPool(conn, { type: 'dir', name: run, targetPath: path.join(dir, 'pool') });
    await vscode.workspace.getConfiguration().update(FOLDER_SETTING, folder(), vscode.ConfigurationTarget.Global);
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === URI));
    localId = entry.config.id;
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    for (const p of panels) p.panel.dispose();
    await vscode.workspace.getConfiguration().update(FOLDER_SETTING, undefined, vscode.ConfigurationTarget.Global);
    await removeRunObjects(conn, { domains: (name) => name.startsWith(run), pool, dir });
    await conn?.close();
  });

  it('Save as Template on a VM keeps its configuration and a copy of its disk in a file of the templates folder', async () => {
    // The VM: a PXE client with a disk in this run's pool and a watchdog added (portable hardware).
    const facts = await newVmFacts(conn, undefined);
    const pxe = BUILT_IN_TEMPLATES.find((t) => t.name === 'PXE client')!;
    const values = { ...initialValues(facts), ...pxe.values, diskPool: pool.name, diskSizeGiB: 1, memory: 1536, name: `${run}-src`, start: false };
    const vm = await createVm(conn, toRequest(facts, values, { devices: ["<watchdog model='i6300esb' action='reset'/>"] }));
    await waitFor('the VM in the tree', () => api.tree.vmItem(localId, `${run}-src`) !== undefined);
    const asked: string[] = [];
    api.prompts.setResponder({
      pickOne: (req: PickRequest<unknown>) => {
        asked.push(req.title);
        return req.items.find((i) => i.label === 'Configuration and a copy of its disk');
      },
      input: (req) => {
        asked.push(req.title);
        assert.equal(req.validate?.(''), 'Enter a name');
        assert.equal(req.value, `${run}-src`, "the VM's name is offered");
        return templateName;
      },
    });
    const result = (await vscode.commands.executeCommand('libvirtVms.vm.createTemplate', { connectionId: localId, uuid: vm.domain.uuid })) as { file: string; base: { pool: string; name: string } };
    assert.deepEqual(asked, [`Save as Template: ${run}-src`, `Save as Template: ${run}-src`]);
    assert.equal(path.dirname(result.file), folder());
    const t = parseTemplate(fs.readFileSync(result.file, 'utf8'));
    assert.equal(t.name, templateName);
    assert.equal(t.values['memory'], 1536);
    assert.equal(t.values['importVolume'], `${pool.name}/${result.base.name}`);
    assert.deepEqual(t.devices, ["<watchdog model='i6300esb' action='reset'/>"]);
    assert.ok((await listPoolVolumes(conn, pool)).volumes.some((v) => v.name === result.base.name), 'the base volume exists');
  });

  it('New VM from Template opens the wizard with its answers, and Create makes the VM on a copy-on-write disk of the base', async () => {
    let items: string[] = [];
    api.prompts.setResponder({
      pickOne: (req: PickRequest<unknown>) => {
        items = req.items.map((i) => i.label);
        return req.items.find((i) => i.label.includes(templateName)) ?? req.items.find((i) => i.label === api.connections.list().find((e) => e.config.id === localId)?.config.name);
      },
    });
    const panel = (await vscode.commands.executeCommand('libvirtVms.template.createVm')) as NewVmPanel;
    panels.push(panel);
    assert.ok(items.some((l) => l.includes('Windows 11 desktop')) && items.some((l) => l.includes('PXE client')) && items.some((l) => l.includes('Linux server')), `built-ins offered: ${items.join(', ')}`);
    assert.match(panel.panel.title, new RegExp(`^New VM from ${templateName} on `));
    let s = stateOf(panel);
    assert.equal(s.template?.name, templateName);
    assert.deepEqual(s.template?.notes, []);
    assert.equal(s.values['method'], 'import');
    assert.equal(s.values['importMode'], 'overlay');
    assert.equal(s.values['memory'], 1536);
    assert.equal(s.canSaveTemplate, true);
    const name = `${run}-new`;
    await panel.receive({ type: 'edit', field: 'name', value: name });
    await panel.receive({ type: 'edit', field: 'start', value: false });
    s = stateOf(panel);
    assert.deepEqual(s.problems.filter((p) => p.severity === 'error'), []);
    await panel.receive({ type: 'create', requestId: 1 });
    const dom = await waitFor('the VM', async () => (await conn.connectListAllDomains()).find((d) => d.name === name));
    const def = DomainXml.parse(await conn.domainGetXmlDesc(dom, VirDomainXMLFlags.INACTIVE));
    assert.equal(templateOfDomain(def), templateName);
    assert.equal(def.memoryKiB, 1536 * 1024);
    assert.equal(def.devicesOf('watchdog').length, 1);
    const overlay = parseVolumeXml(await conn.storageVolGetXmlDesc(await conn.storageVolLookupByName(pool, `${name}.qcow2`)));
    assert.match(overlay.backingPath ?? '', /-template-base\.qcow2$/);
  });

  it("the wizard's Save as Template keeps the answers but never the password", async () => {
    api.prompts.setResponder({
      pickOne: (req: PickRequest<unknown>) => req.items.find((i) => i.label.includes('Linux server')) ?? req.items.find((i) => i.label === api.connections.list().find((e) => e.config.id === localId)?.config.name),
      input: () => `${run} cloud`,
    });
    const panel = (await vscode.commands.executeCommand('libvirtVms.template.createVm')) as NewVmPanel;
    panels.push(panel);
    assert.equal(stateOf(panel).values['method'], 'cloud');
    await panel.receive({ type: 'edit', field: 'ciPassword', value: 'hunter2' });
    await panel.receive({ type: 'edit', field: 'ciUserData', value: 'packages: [htop]\nchpasswd:\n  expire: false\n' });
    assert.equal(await panel.receive({ type: 'saveTemplate', extra: 1 }), false, 'a message with an unknown field is refused');
    assert.equal(await panel.receive({ type: 'saveTemplate' }), true);
    const file = path.join(folder(), `${run}-cloud.vmtemplate.yaml`);
    const text = await waitFor('the template file', () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined));
    assert.doesNotMatch(text, /hunter2|ciPassword|chpasswd/);
    assert.match(text, /htop/);
    assert.equal(parseTemplate(text).values['ciUser'], 'admin');
  });

  it('Import Template refuses a bad file at its line and keeps a good one; Delete Template deletes exactly its file', async () => {
    const bad = path.join(dir, 'bad.vmtemplate.yaml');
    fs.writeFileSync(bad, 'kind: libvirt-vms/vm-template\nversion: 1\nname: Bad\nwizard:\n  ciPassword: x\n');
    const before = fs.readdirSync(folder()).sort();
    // The command reports the error to the user (with Show Log) and returns nothing.
    assert.equal(await vscode.commands.executeCommand('libvirtVms.template.import', vscode.Uri.file(bad)), undefined);
    assert.deepEqual(fs.readdirSync(folder()).sort(), before, 'nothing kept');
    const good = path.join(dir, 'good.vmtemplate.yaml');
    fs.writeFileSync(good, `kind: libvirt-vms/vm-template\nversion: 1\nname: ${run} imported\nwizard:\n  method: pxe\n  memory: 768\n`);
    const saved = (await vscode.commands.executeCommand('libvirtVms.template.import', vscode.Uri.file(good))) as string;
    assert.equal(saved, path.join(folder(), `${run}-imported.vmtemplate.yaml`));
    assert.equal(parseTemplate(fs.readFileSync(saved, 'utf8')).values['memory'], 768);
    let confirm: ConfirmRequest | undefined;
    api.prompts.setResponder({
      pickOne: (req: PickRequest<unknown>) => {
        assert.ok(!req.items.some((i) => i.description === 'built-in'), 'built-in templates cannot be deleted');
        return req.items.find((i) => i.label.includes(`${run} imported`));
      },
      confirm: (req) => {
        confirm = req;
        return true;
      },
    });
    const deleted = await vscode.commands.executeCommand('libvirtVms.template.delete');
    assert.equal(deleted, saved);
    assert.ok(confirm?.detail.includes(saved), confirm?.detail);
    assert.equal(fs.existsSync(saved), false);
    assert.ok(fs.existsSync(path.join(folder(), `${run}-web.vmtemplate.yaml`)), 'the other templates are kept');
  });
});
