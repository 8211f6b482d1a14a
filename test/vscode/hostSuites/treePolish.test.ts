// The connection row and the pickers inside a real VS Code extension host, against the real
// libvirtd: "1 of N VMs" under a filter, the host details in the tooltip (versions, CPU, memory,
// running VMs), Enable/Disable Autoconnect following the saved setting, host devices named by
// class, and one wording of VM states in every VM picker.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { Connection } from '../../../src/libvirt/connection';
import { formatLibvirtVersion } from '../../../src/libvirt/hostDetails';
import { VirConnectListAllDomainsFlags, VirDomainUndefineFlagsValues } from '../../../src/libvirt/generated/libvirtConstants';
import type { DomainRef } from '../../../src/libvirt/refs';
import { pciClassName } from '../../../src/libvirt/resources/deviceNames';
import type { HostDeviceNode } from '../../../src/views/resources/hostDeviceNode';
import { waitFor } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'vspolish-';

function domainXml(name: string): string {
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>`;
}

/** The text a Markdown tooltip shows (backslash escapes removed). */
function shownText(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

function tooltipOf(item: vscode.TreeItem | undefined): string {
  const t = item?.tooltip;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

describe('Connection row, host devices and pickers (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let localId: string;
  const tag = `${PREFIX}${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const names = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
  const doms: DomainRef[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    for (const d of await conn.connectListAllDomains()) {
      if (!d.name.startsWith(PREFIX)) continue;
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    for (const n of names) doms.push(await conn.domainDefineXml(domainXml(n)));
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === SYSTEM_URI));
    localId = entry.config.id;
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
    await waitFor('the three VMs in the tree', () => names.every((n) => api.tree.vmItem(localId, n) !== undefined));
  });

  afterEach(() => {
    api.prompts.setResponder(undefined);
    api.tree.setFilter('');
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, VirDomainUndefineFlagsValues.MANAGED_SAVE).catch(() => undefined);
    }
    await conn?.close();
  });

  it('says "1 of N VMs" on the connection row while the filter shows one', async () => {
    const unfiltered = String(api.tree.connectionItem(localId)?.description);
    const total = Number(/^(\d+) VMs$/.exec(unfiltered)?.[1] ?? assert.fail(`no VM count without a filter: ${unfiltered}`));
    assert.ok(total >= 3, unfiltered);
    api.tree.setFilter(names[0]!);
    const filtered = String(api.tree.connectionItem(localId)?.description);
    assert.match(filtered, /^1 of \d+ VMs$/);
    assert.ok(Number(/of (\d+)/.exec(filtered)?.[1]) >= 3, filtered);
    const shown = await api.tree.connectionChildren(localId);
    assert.deepEqual(shown.filter((l) => l.startsWith(PREFIX)), [names[0]]);
    api.tree.setFilter(tag);
    assert.match(String(api.tree.connectionItem(localId)?.description), /^3 of \d+ VMs$/);
    api.tree.setFilter('');
    assert.match(String(api.tree.connectionItem(localId)?.description), /^\d+ VMs$/);
  });

  it('shows host name, libvirt and hypervisor versions, CPU, memory and running VMs in the tooltip', async () => {
    const [hostname, lib, type, hv, node] = await Promise.all([conn.connectGetHostname(), conn.connectGetLibVersion(), conn.connectGetType(), conn.connectGetVersion(), conn.nodeGetInfo()]);
    const text = await waitFor('host details in the tooltip', () => {
      const t = shownText(tooltipOf(api.tree.connectionItem(localId)));
      return t.includes('Host: ') ? t : undefined;
    });
    assert.ok(text.includes(`Host: ${hostname}`), text);
    assert.ok(text.includes(`libvirt ${formatLibvirtVersion(lib)}`), text);
    assert.ok(text.includes(`${type} ${formatLibvirtVersion(hv)}`), text);
    assert.ok(text.includes(`CPU: ${node.model}, ${node.cpus} CPU`), text);
    assert.match(text, /Memory: \d+(\.\d)? (GiB|MiB)/);
    // Host data goes through md``: the dots of the versions are escaped in the Markdown source.
    assert.ok(tooltipOf(api.tree.connectionItem(localId)).includes(`libvirt ${formatLibvirtVersion(lib).replace(/\./g, '\\.')}`));
    // The running count follows a VM start (other test runs may start VMs too: compare with libvirt).
    await conn.domainCreate(doms[1]!);
    await waitFor('the running count in the tooltip matches libvirt', async () => {
      const running = (await conn.connectListAllDomains(VirConnectListAllDomainsFlags.ACTIVE)).length;
      const all = (await conn.connectListAllDomains()).length;
      return shownText(tooltipOf(api.tree.connectionItem(localId))).includes(`Running VMs: ${running} of ${all}`);
    });
    await conn.domainDestroy(doms[1]!);
  });

  it('offers Enable or Disable Autoconnect by the saved setting', async () => {
    const added = await api.connections.add({ name: `${tag} autoconnect`, uri: 'qemu+tcp://127.0.0.1:1/system', autoconnect: false });
    try {
      await waitFor('the connection in the tree', () => api.tree.connectionIds().includes(added.id));
      assert.match(String(api.tree.connectionItem(added.id)?.contextValue), /^connection\.idle\.noautoconnect$/);
      await vscode.commands.executeCommand('libvirtVms.connection.enableAutoconnect', { connectionId: added.id });
      assert.equal(api.connections.get(added.id).config.autoconnect, true);
      await waitFor('the autoconnect marker', () => /\.autoconnect$/.test(String(api.tree.connectionItem(added.id)?.contextValue)));
      await vscode.commands.executeCommand('libvirtVms.connection.disableAutoconnect', { connectionId: added.id });
      assert.equal(api.connections.get(added.id).config.autoconnect, false);
      await waitFor('the noautoconnect marker', () => /\.noautoconnect$/.test(String(api.tree.connectionItem(added.id)?.contextValue)));
    } finally {
      await api.connections.remove(added.id);
    }
  });

  it('names host devices by class where the host has no names for them', async () => {
    // The tree's nodes come from the bundle: match the kind, not this test's copy of the class.
    const nodes = (await api.tree.groupNodes(localId, 'devices')).filter((n): n is HostDeviceNode => n.kind === 'resourceHostDevice');
    assert.ok(nodes.length > 0, 'the host lists no PCI or USB devices');
    for (const n of nodes) {
      const d = n.device;
      const item = n.getTreeItem();
      const shown = `${labelOf(item)} · ${String(item.description)}`;
      if (d.kind === 'pci' && d.classCode !== undefined && pciClassName(d.classCode)) {
        assert.ok(shown.includes(pciClassName(d.classCode)!), `${d.name} (class 0x${d.classCode.toString(16)}): ${shown}`);
        assert.ok(shownText(tooltipOf(item)).includes(`Class: ${pciClassName(d.classCode)!}`), tooltipOf(item));
      }
      if (!d.vendorName && !d.productName) assert.doesNotMatch(labelOf(item), /^[0-9a-f]{4}:[0-9a-f]{4}$/, `${d.name} is labelled by bare ids although its class is known`);
    }
  });

  it('words VM states the same in every VM picker ("shut off", as in the tree)', async () => {
    const offered: { label: string; description?: string; detail?: string }[] = [];
    api.prompts.setResponder({
      pickOne: (req) => {
        offered.push(...req.items);
        return undefined;
      },
      pickMany: (req) => {
        offered.push(...req.items);
        return undefined;
      },
    });
    for (const id of ['libvirtVms.vm.start', 'libvirtVms.console.open', 'libvirtVms.vm.rename']) {
      offered.length = 0;
      await Promise.resolve(vscode.commands.executeCommand(id)).catch(() => undefined);
      const mine = offered.find((i) => i.label === names[2]);
      assert.ok(mine, `${id} did not offer ${names[2]}: ${offered.map((i) => i.label).join(', ')}`);
      assert.match(mine.description ?? '', /^shut off( · .+)?$/, `${id}: description "${mine.description ?? ''}", detail "${mine.detail ?? ''}"`);
      assert.equal(mine.detail, undefined, `${id}: the state is in the description, not the detail`);
    }
  });
});
