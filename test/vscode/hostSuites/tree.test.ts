// The Virtual Machines tree inside a real VS Code extension host, against the real libvirtd
// (qemu:///system): VMs defined through the connection API appear, follow state changes through
// events (polling turned off), bursts are coalesced, and an SSH connection to the local sshd
// shows up connected.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { sleep, waitFor as waitForShared } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const PREFIX = 'vstree-';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';


const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> =>
  waitForShared(what, fn, timeoutMs);

function domainXml(name: string): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"><libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><serial type='pty'/><video><model type='vga'/></video></devices>
</domain>`;
}

const UNDEFINE = VirDomainUndefineFlagsValues.MANAGED_SAVE | VirDomainUndefineFlagsValues.SNAPSHOTS_METADATA | VirDomainUndefineFlagsValues.NVRAM;

/** The text a Markdown tooltip shows (backslash escapes removed). */
function shownText(markdown: string | undefined): string {
  // An escaped theme icon (\\$\\(name\\)) shows as the literal text $(name).
  return (markdown ?? '').replace(/\\([!-/:-@[-`{-~])/g, '$1').replace(/\\\$\(/g, '$(');
}

async function removeDomain(conn: Connection, d: DomainRef): Promise<void> {
  await conn.domainDestroy(d).catch(() => undefined);
  await conn.domainUndefine(d, UNDEFINE).catch(() => undefined);
}

describe('Virtual Machines tree (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let localId: string;
  const created: DomainRef[] = [];
  const unique = (): string => `${PREFIX}${crypto.randomBytes(4).toString('hex')}`;

  before(async () => {
    await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', 0, vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) if (d.name.startsWith(PREFIX)) await removeDomain(conn, d);
  });

  after(async () => {
    for (const d of created) await removeDomain(conn, d);
    await conn?.close();
  });

  it('adds the local system connection on first run and connects it when the view is shown', async () => {
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === 'qemu:///system'));
    localId = entry.config.id;
    assert.equal(entry.config.autoconnect, true);
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
    const item = await waitFor('VM count', () => {
      const i = api.tree.connectionItem(localId);
      return typeof i?.description === 'string' && /VMs?$/.test(i.description) ? i : undefined;
    });
    assert.equal(item.contextValue, 'connection.connected.autoconnect');
    const children = await api.tree.connectionChildren(localId);
    assert.deepEqual(children.slice(-5), ['Networks', 'Storage Pools', 'Host Devices', 'Host Interfaces', 'Secrets']);
    // Listed: it no longer holds back the tag reads of other hosts (src/views/hostLoads.ts).
    await waitFor('the listed connection no longer counted as loading', () => !api.tree.isLoading(localId));
  });

  it('lists host devices under the Host Devices group', async () => {
    const devices = await api.tree.groupChildren(localId, 'devices');
    // The group lists the host's PCI and USB devices by vendor/product (src/views/resources).
    assert.ok(devices.length > 0 && !devices.some((d) => /^(Could not|No host devices)/.test(d)), devices.slice(0, 10).join(' | '));
  });

  it('shows an unreachable host as disconnected, with the reason and Retry', async () => {
    const added = await api.connections.add({ name: 'unreachable', uri: 'qemu+tcp://127.0.0.1:1/system', autoconnect: false });
    try {
      await waitFor('the connection in the tree', () => api.tree.connectionIds().includes(added.id));
      await vscode.commands.executeCommand('libvirtVms.connection.connect', { connectionId: added.id });
      await waitFor('disconnected', () => api.tree.connectionState(added.id) === 'disconnected');
      await waitFor('the failed connection no longer counted as loading', () => !api.tree.isLoading(added.id));
      const item = api.tree.connectionItem(added.id);
      assert.equal(item?.contextValue, 'connection.disconnected.noautoconnect');
      assert.match(String(item?.description), /^disconnected: /);
      assert.equal((item?.iconPath as vscode.ThemeIcon).id, 'error');
      // The reason, Retry, and (for a refused TCP connection) the troubleshooting section.
      const children = await api.tree.connectionChildren(added.id);
      assert.equal(children[1], 'Retry now', children.join(' | '));
      assert.ok(children.slice(2).every((c) => c.startsWith('How to fix: ')), children.join(' | '));
    } finally {
      await api.connections.remove(added.id);
    }
  });

  it('shows a VM defined through the API, with state icon, description, hardware and tooltip', async () => {
    const name = unique();
    const dom = await conn.domainDefineXml(domainXml(name));
    created.push(dom);
    const item = await waitFor('the new VM in the tree', () => api.tree.vmItem(localId, name));
    assert.equal(item.id, `conn:${localId}/vm:${dom.uuid}`);
    assert.equal(item.contextValue, 'vm.shutoff.noautostart');
    assert.equal(item.description, 'shut off · 1 vCPU · 64 MiB');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'vm-outline');
    const hw = await api.tree.vmChildren(localId, name);
    assert.deepEqual(hw.slice(0, 5).map((h) => h.split(':')[0]), ['Overview', 'OS', 'CPUs', 'Memory', 'Boot Options']);
    assert.ok(hw.some((h) => h.startsWith('CPUs: 1 vCPU')), hw.join(' | '));
    assert.ok(hw.includes('Memory: 64 MiB'), hw.join(' | '));
    assert.ok(hw.some((h) => h.startsWith('Serial 1')), hw.join(' | '));
    const tooltip = shownText(await api.tree.vmTooltip(localId, name));
    assert.match(tooltip, /OS: http:\/\/debian\.org\/debian\/12/);
  });

  it('shows names and titles from the host as text in the tooltip, never as Markdown', async () => {
    const name = `${unique()}-$(alert)*x*_[a](command:libvirtVms.showLog)<b>#`;
    const title = '# Heading - [click](https://example.invalid) `code` $(zap)';
    const xmlText = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const dom = await conn.domainDefineXml(domainXml(xmlText(name)).replace('<memory', `<title>${xmlText(title)}</title>\n  <memory`));
    created.push(dom);
    await waitFor('the new VM in the tree', () => api.tree.vmItem(localId, name));
    const source = (await api.tree.vmTooltip(localId, name)) ?? '';
    const shown = shownText(source);
    assert.ok(shown.includes(name), shown);
    assert.ok(shown.includes(`Title: ${title}`), shown);
    // No Markdown syntax from the host survives unescaped: no link, emphasis, code, HTML or icon.
    for (const raw of ['[a](command:', '*x*', '<b>', '`code`', '[click](', '$(alert)', '$(zap)', '# Heading']) {
      const unescaped = source.split(raw).slice(0, -1).some((before) => !before.endsWith('\\'));
      assert.ok(!unescaped, `unescaped ${raw} in ${source}`);
    }
  });

  it('follows start, pause, resume and destroy through events', async () => {
    const name = unique();
    const dom = await conn.domainDefineXml(domainXml(name));
    created.push(dom);
    await waitFor('defined VM', () => api.tree.vmItem(localId, name));
    const expectState = async (ctx: string, icon: string): Promise<void> => {
      const item = await waitFor(`state ${ctx}`, () => {
        const i = api.tree.vmItem(localId, name);
        return i?.contextValue === ctx ? i : undefined;
      });
      assert.equal((item.iconPath as vscode.ThemeIcon).id, icon);
    };
    await conn.domainCreate(dom);
    await expectState('vm.running.noautostart', 'vm-running');
    assert.match(String(api.tree.vmItem(localId, name)?.description), /^running · 1 vCPU · 64 MiB$/);
    const running = await conn.domainLookupByName(name);
    await conn.domainSuspend(running);
    await expectState('vm.paused.noautostart', 'debug-pause');
    await conn.domainResume(running);
    await expectState('vm.running.noautostart', 'vm-running');
    const tooltip = shownText(await api.tree.vmTooltip(localId, name));
    assert.match(tooltip, /Up for: /);
    await conn.domainDestroy(running);
    await expectState('vm.shutoff.noautostart', 'vm-outline');
  });

  it('marks autostart in the contextValue from the bulk listing and follows the autostart commands', async () => {
    const name = unique();
    const dom = await conn.domainDefineXml(domainXml(name));
    created.push(dom);
    const item = await waitFor('defined VM', () => api.tree.vmItem(localId, name));
    assert.equal(item.contextValue, 'vm.shutoff.noautostart');
    // The menus of package.json: Enable shows without the marker, Disable without the negative one.
    const enableShown = (ctx: string): boolean => /^vm\./.test(ctx) && !/\.autostart(\.|$)/.test(ctx);
    const disableShown = (ctx: string): boolean => /^vm\./.test(ctx) && !/\.noautostart(\.|$)/.test(ctx);
    assert.ok(enableShown('vm.shutoff.noautostart') && !disableShown('vm.shutoff.noautostart'));
    assert.ok(/^vm\.(shutoff|crashed)(\.|$)/.test('vm.shutoff.noautostart'), 'Start still matches');

    // The command awaits the tree reload: the item has flipped when it returns (no event exists).
    await vscode.commands.executeCommand('libvirtVms.vm.enableAutostart', { connectionId: localId, uuid: dom.uuid });
    assert.equal(await conn.domainGetAutostart(dom), true);
    const on = api.tree.vmItem(localId, name)?.contextValue ?? '';
    assert.equal(on, 'vm.shutoff.autostart');
    assert.ok(!enableShown(on) && disableShown(on));
    assert.match(shownText(await api.tree.vmTooltip(localId, name)), /Autostart: on/);

    // A change made outside the extension shows at the next load (here an explicit Refresh).
    await conn.domainSetAutostart(dom, false);
    await vscode.commands.executeCommand('libvirtVms.refresh', { connectionId: localId });
    assert.equal(api.tree.vmItem(localId, name)?.contextValue, 'vm.shutoff.noautostart');

    await conn.domainSetAutostart(dom, true);
    await conn.domainCreate(dom);
    await waitFor('running with autostart', () => api.tree.vmItem(localId, name)?.contextValue === 'vm.running.autostart');
    await vscode.commands.executeCommand('libvirtVms.vm.disableAutostart', { connectionId: localId, uuid: dom.uuid });
    assert.equal(api.tree.vmItem(localId, name)?.contextValue, 'vm.running.noautostart');
    assert.equal(await conn.domainGetAutostart(dom), false);
    await conn.domainDestroy(await conn.domainLookupByName(name));
  });

  it('polls bulk stats at libvirtVms.statsInterval while the view is visible, and not at 0', async () => {
    const name = unique();
    const dom = await conn.domainDefineXml(domainXml(name));
    created.push(dom);
    await conn.domainCreate(dom);
    await waitFor('running VM', () => api.tree.vmItem(localId, name)?.contextValue === 'vm.running.noautostart');
    const cpu = async (): Promise<string> => /CPU time used: ([^\n]*)/.exec(shownText(await api.tree.vmTooltip(localId, name)))?.[1] ?? '';
    await sleep(2500);
    const still = await cpu();
    await sleep(1500);
    assert.equal(await cpu(), still, 'with polling off (0) nothing refreshes the stats without an event');
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', 1, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('CPU time to advance through polling', async () => ((await cpu()) !== still ? true : undefined), 15_000);
    } finally {
      await vscode.workspace.getConfiguration().update('libvirtVms.statsInterval', 0, vscode.ConfigurationTarget.Global);
    }
    await conn.domainDestroy(await conn.domainLookupByName(name));
  });

  it('coalesces a burst of 200 defines into a handful of tree refreshes', async () => {
    const names = Array.from({ length: 200 }, () => unique());
    const before = api.tree.fireCount();
    const doms = await Promise.all(names.map((n) => conn.domainDefineXml(domainXml(n))));
    created.push(...doms);
    await waitFor('all 200 VMs', () => names.every((n) => api.tree.vmItem(localId, n) !== undefined));
    await sleep(500);
    const fired = api.tree.fireCount() - before;
    assert.ok(fired <= 8, `the tree refreshed ${fired} times for 200 defines`);
    await Promise.all(doms.map((d) => conn.domainUndefine(d, UNDEFINE)));
    await waitFor('all 200 VMs gone', () => names.every((n) => api.tree.vmItem(localId, n) === undefined));
  });

  it('filters by state and name', async () => {
    const on = unique();
    const off = unique();
    const a = await conn.domainDefineXml(domainXml(on));
    const b = await conn.domainDefineXml(domainXml(off));
    created.push(a, b);
    await conn.domainCreate(a);
    await waitFor('running VM', () => api.tree.vmItem(localId, on)?.contextValue === 'vm.running.noautostart');
    try {
      api.tree.setFilter(`state:running ${PREFIX}`);
      const shown = await api.tree.connectionChildren(localId);
      assert.ok(shown.includes(on), shown.join(' | '));
      assert.ok(!shown.includes(off), shown.join(' | '));
      api.tree.setFilter(`${PREFIX}no-such-vm`);
      const none = await api.tree.connectionChildren(localId);
      assert.match(none[0] ?? '', /^No VMs match/);
    } finally {
      api.tree.setFilter('');
    }
    assert.ok((await api.tree.connectionChildren(localId)).includes(off));
  });

  it('filters by tag from VM metadata without expanding the VMs', async () => {
    const tagged = unique();
    const plain = unique();
    const tag = `t${Math.random().toString(36).slice(2, 8)}`;
    const withTag = domainXml(tagged).replace(
      '</metadata>',
      `<vmm:data xmlns:vmm="https://libvirt-vms.dev/xmlns/domain/1"><vmm:tag>${tag}</vmm:tag></vmm:data></metadata>`,
    );
    const a = await conn.domainDefineXml(withTag);
    const b = await conn.domainDefineXml(domainXml(plain));
    created.push(a, b);
    await waitFor('both VMs', () => api.tree.vmItem(localId, tagged) !== undefined && api.tree.vmItem(localId, plain) !== undefined);
    try {
      api.tree.setFilter(`tag:${tag}`);
      await waitFor('the tagged VM under the tag filter', async () => (await api.tree.connectionChildren(localId)).includes(tagged));
      const shown = await api.tree.connectionChildren(localId);
      assert.ok(!shown.includes(plain), shown.join(' | '));
    } finally {
      api.tree.setFilter('');
    }
  });

  it('adds an SSH connection to the local sshd and shows that host connected', async () => {
    const host = process.env['LIBVIRT_TEST_SSH_HOST'];
    const port = process.env['LIBVIRT_TEST_SSH_PORT'];
    const user = process.env['LIBVIRT_TEST_SSH_USER'];
    const key = process.env['LIBVIRT_TEST_SSH_KEY'];
    const knownHosts = process.env['LIBVIRT_TEST_SSH_KNOWN_HOSTS'];
    assert.ok(host && port && user && key && knownHosts, 'LIBVIRT_TEST_SSH_* must be set (eval "$(scripts/testenv.sh env)")');
    const name = unique();
    const dom = await conn.domainDefineXml(domainXml(name));
    created.push(dom);
    const uri = `qemu+ssh://${user}@${host}:${port}/system?keyfile=${encodeURIComponent(key)}&known_hosts=${encodeURIComponent(knownHosts)}`;
    const added = await api.connections.add({ name: 'ssh test', uri, autoconnect: false });
    try {
      await waitFor('ssh connection in the tree', () => api.tree.connectionIds().includes(added.id));
      assert.equal(api.tree.connectionState(added.id), 'idle');
      await vscode.commands.executeCommand('libvirtVms.connection.connect', { connectionId: added.id });
      await waitFor('ssh connected', () => api.tree.connectionState(added.id) === 'connected', 30_000);
      await waitFor('the VM over ssh', () => api.tree.vmItem(added.id, name));
      assert.equal(api.tree.connectionItem(added.id)?.contextValue, 'connection.connected.noautoconnect');
    } finally {
      await api.connections.remove(added.id);
    }
    assert.ok(!api.tree.connectionIds().includes(added.id));
  });
});
