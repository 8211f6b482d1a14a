// Tags and grouping inside a real VS Code extension host, against the real libvirtd: tags set by
// another client reach the tree through events (no refresh), the four groupings, Edit Tags on a
// multi-selection (partial tags, a new tag, a refused one), a tag row's Start All / Force Off All,
// Rename, Remove and Set Colour, Filter by Tag, and row ids that survive a refresh.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainState, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { readDomainTags, updateDomainTags } from '../../../src/libvirt/tags';
import type { PickItem, PickRequest } from '../../../src/commands/prompts';
import type { BulkReport } from '../../../src/commands/bulk/runVmAction';
import { leftoverOfDeadRun } from '../../leftovers';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'tgs-host';

function domainXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><graphics type='vnc' autoport='yes' listen='127.0.0.1'/></devices></domain>`;
}

describe('Tags and grouping (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let localId: string;
  let hostName: string;
  const run = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  // Unique tag names too: other suites' VMs on the shared daemon never carry them.
  const web = `web${run.slice(-4)}`;
  const db = `db${run.slice(-4)}`;
  const names = [`${run}-a`, `${run}-b`, `${run}-c`];
  const doms: DomainRef[] = [];
  const setting = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration();
  const vmArg = (i: number): { connectionId: string; uuid: string } => ({ connectionId: localId, uuid: doms[i]!.uuid });
  /** Rows under the connection, only this run's (the filter shows only our VMs). */
  const ourRows = async (): Promise<string[]> => (await api.tree.rows(localId)).filter((r) => !/^(Networks|Storage Pools|Host Devices|Host Interfaces|Secrets):/.test(r));
  const groupBy = async (label: string): Promise<void> => {
    api.prompts.setResponder({ pickOne: (req) => req.items.find((i) => i.label === label) });
    await vscode.commands.executeCommand('libvirtVms.groupBy');
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!leftoverOfDeadRun(d.name, PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    for (const n of names) doms.push(await conn.domainDefineXml(domainXml(n)));
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI));
    localId = entry.config.id;
    hostName = entry.config.name;
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
    await waitFor('the three VMs in the tree', () => names.every((n) => api.tree.vmItem(localId, n) !== undefined));
    api.tree.setFilter(run);
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.tree.setFilter('');
    await setting().update('libvirtVms.treeGrouping', undefined, vscode.ConfigurationTarget.Global);
    await setting().update('libvirtVms.tagColors', undefined, vscode.ConfigurationTarget.Global);
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    await conn?.close();
  });

  it('shows tags set by another client without a refresh, grouped by tag with counts', async () => {
    const fired = api.tree.fireCount();
    await updateDomainTags(conn, doms[0]!, () => [web]);
    await updateDomainTags(conn, doms[1]!, () => [web, db]);
    await groupBy('Tag');
    const expected = [
      `${db}: 1 VM [vmGroup.tag]`,
      `  ${names[1]}: shut off · 1 vCPU · 64 MiB [vm.shutoff.noautostart]`,
      `${web}: 2 VMs [vmGroup.tag]`,
      `  ${names[0]}: shut off · 1 vCPU · 64 MiB [vm.shutoff.noautostart]`,
      `  ${names[1]}: shut off · 1 vCPU · 64 MiB [vm.shutoff.noautostart]`,
      'Untagged: 1 VM [vmGroup.untagged]',
      `  ${names[2]}: shut off · 1 vCPU · 64 MiB [vm.shutoff.noautostart]`,
    ];
    const rows = await waitFor('the tag rows', async () => {
      const r = await ourRows();
      return r.join('\n') === expected.join('\n') ? r : undefined;
    }).catch(async (e: unknown) => assert.fail(`${String(e)}\n${(await ourRows()).join('\n')}`));
    assert.deepEqual(rows, expected);
    assert.ok(api.tree.fireCount() > fired);
    // A VM under two tags has one row under each, with distinct ids.
    const a = (await api.tree.row([hostName, web]))?.getTreeItem().id;
    const b = (await api.tree.row([hostName, db]))?.getTreeItem().id;
    assert.ok(a && b && a !== b);
    // The tooltip is Markdown with host data escaped: compare the text it shows.
    assert.ok(String(await api.tree.vmTooltip(localId, names[1]!)).replace(/\\/g, '').includes(`Tags: ${web}, ${db}`));
  });

  it('keeps row ids across a refresh (so expansion survives)', async () => {
    const before = (await api.tree.row([hostName, web, names[0]!]))?.getTreeItem().id;
    assert.ok(before);
    await vscode.commands.executeCommand('libvirtVms.refresh');
    const after = (await api.tree.row([hostName, web, names[0]!]))?.getTreeItem().id;
    assert.equal(after, before);
    assert.equal(before, `conn:${localId}/tag:${encodeURIComponent(web)}/vm:${doms[0]!.uuid}`);
  });

  it('Edit Tags on two VMs: a partial tag says so, a new tag is added, a refused one says why', async () => {
    let asked: PickRequest<unknown> | undefined;
    api.prompts.setResponder({
      pickMany: (req) => {
        asked = req;
        const refused = req.create?.('two words');
        assert.match(String(refused), /spaces/);
        const w = req.items.find((i) => i.label === web)!;
        return [w, { label: `new${run.slice(-4)}`, value: undefined }];
      },
    });
    const report = (await vscode.commands.executeCommand('libvirtVms.vm.editTags', undefined, [vmArg(0), vmArg(2)])) as BulkReport;
    assert.ok(asked);
    const w = asked.items.find((i) => i.label === web) as PickItem<unknown>;
    assert.equal(w.picked, false, 'a tag on one of two VMs starts unchecked');
    assert.match(String(w.description), /on 1 of 2 selected VMs/);
    assert.deepEqual(report.failed, []);
    assert.deepEqual([...report.ok].sort(), [names[0], names[2]]);
    assert.deepEqual(await readDomainTags(conn, doms[0]!), [web, `new${run.slice(-4)}`]);
    assert.deepEqual(await readDomainTags(conn, doms[2]!), [web, `new${run.slice(-4)}`]);
    await waitFor('c under the web row', async () => (await ourRows()).includes(`${web}: 3 VMs [vmGroup.tag]`));
  });

  it('a tag row starts and forces off exactly its VMs', async () => {
    const row = await api.tree.row([hostName, db]);
    assert.ok(row);
    const started = (await vscode.commands.executeCommand('libvirtVms.group.start', row, [row])) as BulkReport;
    assert.deepEqual(started.ok, [names[1]]);
    assert.equal((await conn.domainGetState(doms[1]!)).state, VirDomainState.RUNNING);
    assert.equal((await conn.domainGetState(doms[0]!)).state, VirDomainState.SHUTOFF);
    let message = '';
    api.prompts.setResponder({
      confirm: (req) => {
        message = req.message;
        return true;
      },
    });
    await waitFor('b running in the tree', () => api.tree.vmItem(localId, names[1]!)?.contextValue?.startsWith('vm.running'));
    const webRow = await api.tree.row([hostName, web]);
    const off = (await vscode.commands.executeCommand('libvirtVms.group.forceOff', webRow, [webRow])) as BulkReport;
    // Only b runs: the others are left out, and the modal names only b.
    assert.deepEqual(off.ok, [names[1]]);
    assert.match(message, new RegExp(names[1]!));
    assert.doesNotMatch(message, new RegExp(names[0]!));
    assert.equal((await conn.domainGetState(doms[1]!)).state, VirDomainState.SHUTOFF);
  });

  it('grouped by state, then all hosts together by tag with the host in each VM row', async () => {
    await conn.domainCreate(doms[2]!);
    try {
      await groupBy('State');
      await waitFor('state rows', async () => {
        const r = await ourRows();
        return r[0] === 'Running: 1 VM [vmGroup.state]' && r[1]?.startsWith(`  ${names[2]}: running`) && r[2] === 'Shut off: 2 VMs [vmGroup.state]' ? r : undefined;
      }).catch(async (e: unknown) => assert.fail(`${String(e)}\n${(await ourRows()).join('\n')}`));
      await groupBy('All Hosts Together, by Tag');
      const top = await waitFor('tag rows at the top', async () => {
        const r = await api.tree.rows(undefined);
        return r.some((l) => l.startsWith(`${web}: 3 VMs`)) ? r : undefined;
      });
      assert.ok(top.includes(`  ${names[0]}: ${hostName} · shut off · 1 vCPU · 64 MiB [vm.shutoff.noautostart]`), top.join('\n'));
      // The connection row keeps its resources but lists no VMs itself.
      assert.ok(!(await api.tree.connectionChildren(localId)).some((l) => l.startsWith(run)));
    } finally {
      await conn.domainDestroy(doms[2]!).catch(() => undefined);
      await groupBy('Tag');
    }
  });

  it('renames, colours and removes a tag on every VM that has it', async () => {
    const renamed = `database${run.slice(-4)}`;
    api.prompts.setResponder({ input: () => renamed });
    const dbRow = await api.tree.row([hostName, db]);
    assert.ok(dbRow, 'no db row');
    await vscode.commands.executeCommand('libvirtVms.tag.rename', dbRow);
    assert.deepEqual(await readDomainTags(conn, doms[1]!), [web, renamed]);

    api.prompts.setResponder({ pickOne: (req) => req.items.find((i) => i.label.includes('Red')) });
    const renamedRow = await waitFor('the renamed row', () => api.tree.row([hostName, renamed]));
    await vscode.commands.executeCommand('libvirtVms.tag.setColor', renamedRow);
    assert.equal(setting().get<Record<string, string>>('libvirtVms.tagColors')?.[renamed.toLowerCase()], 'charts.red');
    await waitFor('the red tag row', async () => (await ourRows()).includes(`${renamed}: 1 VM [vmGroup.tag] {charts.red}`));

    let detail = '';
    api.prompts.setResponder({
      confirm: (req) => {
        detail = `${req.message} ${req.detail} ${req.button}`;
        return true;
      },
    });
    const webRow = await api.tree.row([hostName, web]);
    assert.ok(webRow, 'no web row');
    await vscode.commands.executeCommand('libvirtVms.tag.remove', webRow);
    assert.match(detail, new RegExp(`Remove the tag "${web}" from 3 VMs\\?`));
    assert.ok(names.every((n) => detail.includes(`"${n}"`)), detail);
    assert.match(detail, /Remove Tag$/);
    assert.deepEqual(await readDomainTags(conn, doms[0]!), [`new${run.slice(-4)}`]);
    assert.deepEqual(await readDomainTags(conn, doms[1]!), [renamed]);
    await waitFor('no web row', async () => !(await ourRows()).some((r) => r.startsWith(`${web}:`)));
  });

  it('Filter by Tag keeps the other filter terms and offers known tags with counts', async () => {
    api.prompts.setResponder({
      pickMany: (req) => {
        const item = req.items.find((i) => i.label === `new${run.slice(-4)}`);
        assert.equal(item?.description, '2 VMs');
        return [item!];
      },
    });
    const text = await vscode.commands.executeCommand('libvirtVms.filterByTag');
    assert.equal(text, `${run} tag:new${run.slice(-4)}`);
    await waitFor('only the tagged VMs', async () => {
      const r = await ourRows();
      return r.filter((l) => l.startsWith('  ')).length === 2 && !r.some((l) => l.includes(names[1]!));
    });
    api.tree.setFilter(run);
  });
});
