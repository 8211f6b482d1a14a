// Host networking and libvirt secrets through the commands, inside a real VS Code extension host
// against the real libvirtd: a macvtap network over a real NIC and a bridge network over a real
// bridge made by the guided flow; a DHCP static host added to a running network; a secret
// defined, listed in the Secrets group and deleted, with its value in no log file of the session;
// a LUKS volume made by New Encrypted Volume, whose secret's deletion names the volume and its VM.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { ConfirmRequest, InputRequest, PickItem, PickRequest } from '../../../src/commands/prompts';
import { Connection, type NetworkRef } from '../../../src/libvirt/connection';
import { parseNetworkXml } from '../../../src/libvirt/resources/network';
import type { TreeNode } from '../../../src/views/treeNode';
import { leftoverOfDeadRun, removeDeadRunObjects } from '../../leftovers';
import { waitFor as waitForShared } from './wait';

const EXTENSION_ID = 'libvirt-vms.libvirt-vms';
const SYSTEM_URI = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';
const PREFIX = 'nsvs';
const LINK_PREFIX = 'nsv';

const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> => waitForShared(what, fn, timeoutMs, 150);
const label = (n: TreeNode): string => {
  const l = n.getTreeItem().label;
  return typeof l === 'string' ? l : (l?.label ?? '');
};
const description = (n: TreeNode): string => {
  const d = n.getTreeItem().description;
  return typeof d === 'string' ? d : '';
};

type Answer = string | ((req: InputRequest) => string);

/** Answers picks by placeholder and label, inputs by prompt; anything else fails the test. */
function responder(picks: readonly [RegExp, RegExp | RegExp[]][], inputs: readonly [RegExp, Answer][], confirms: ConfirmRequest[] = [], inputsSeen: InputRequest[] = []) {
  const pick = (req: PickRequest<unknown>): PickItem<unknown>[] => {
    for (const [ph, want] of picks) {
      if (!ph.test(req.placeHolder ?? req.title)) continue;
      const wants = Array.isArray(want) ? want : [want];
      const items = wants.map((w) => req.items.find((i) => w.test(i.label)));
      if (items.some((i) => i === undefined)) throw new Error(`no item ${wants.join(' ')} in ${req.items.map((i) => i.label).join(', ')}`);
      return items as PickItem<unknown>[];
    }
    throw new Error(`unexpected pick: ${req.placeHolder ?? req.title}`);
  };
  return {
    pickOne: (req: PickRequest<unknown>) => pick(req)[0],
    pickMany: (req: PickRequest<unknown>) => pick(req),
    input: (req: InputRequest) => {
      inputsSeen.push(req);
      for (const [p, a] of inputs) if (p.test(req.prompt ?? '')) return typeof a === 'string' ? a : a(req);
      throw new Error(`unexpected input: ${req.prompt ?? ''}`);
    },
    confirm: (req: ConfirmRequest) => {
      confirms.push(req);
      return true;
    },
  };
}

/** Every file under the session's state directory (code-server's and the extension host's logs). */
function sessionFiles(): string[] {
  const data = process.env['XDG_DATA_HOME'];
  assert.ok(data, 'XDG_DATA_HOME is not set: not running under the test harness');
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'extensions') walk(p);
      else if (e.isFile() && fs.statSync(p).size < 20 * 1024 * 1024) out.push(p);
    }
  };
  walk(path.dirname(data));
  return out;
}

describe('Host networking and secrets (extension host, real libvirtd)', function () {
  this.timeout(120_000);
  let api: ExtensionApi;
  let conn: Connection;
  let localId: string;
  let localName: string;
  const tag = `${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const nets: string[] = [];
  const links: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, 'extension not found');
    api = await ext.activate();
    conn = await Connection.open(SYSTEM_URI);
    await removeDeadRunObjects(conn, PREFIX);
    for (const x of await conn.connectListAllSecrets()) if (leftoverOfDeadRun(x.usageId, PREFIX) || leftoverOfDeadRun(path.basename(path.dirname(x.usageId)), PREFIX)) await conn.secretUndefine(x).catch(() => undefined);
    for (const n of await conn.connectListAllNetworks()) {
      if (!leftoverOfDeadRun(n.name, PREFIX)) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    for (const l of fs.readdirSync('/sys/class/net')) if (leftoverOfDeadRun(l, LINK_PREFIX)) execFileSync('ip', ['link', 'del', l]);
    const entry = await waitFor('the local connection', () => api.connections.list().find((e) => e.config.uri === 'qemu:///system'));
    localId = entry.config.id;
    localName = entry.config.name;
    await vscode.commands.executeCommand('libvirtVms.machines.focus');
    await waitFor('connected', () => api.tree.connectionState(localId) === 'connected');
  });

  afterEach(() => api.prompts.setResponder(undefined));

  after(async () => {
    api?.prompts.setResponder(undefined);
    for (const name of nets) {
      const n: NetworkRef | undefined = await conn.networkLookupByName(name).catch(() => undefined);
      if (!n) continue;
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    for (const l of links) {
      try {
        execFileSync('ip', ['link', 'del', l]);
      } catch {
        // already gone
      }
    }
    await conn?.close();
  });

  const hostPick = (): [RegExp, RegExp] => [/^Host$/, new RegExp(`^${localName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)];

  it('New Virtual Network creates a macvtap network over a real NIC and a network over a real bridge', async () => {
    const nic = `${LINK_PREFIX}${process.pid}-n`;
    const br = `${LINK_PREFIX}${process.pid}-b`;
    execFileSync('ip', ['link', 'add', nic, 'type', 'veth', 'peer', 'name', `${nic}p`]);
    links.push(nic);
    execFileSync('ip', ['link', 'add', br, 'type', 'bridge']);
    links.push(br);
    const mv = `${PREFIX}${tag}-mv`;
    nets.push(mv);
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Connectivity/, /^macvtap$/], [/Host NICs/, [new RegExp(`^${nic}$`)]], [/macvtap mode/, /^private$/], [/Port groups/, /^No port groups$/]],
        [
          [/Network name/, mv],
          [/inbound/, ''],
          [/outbound/, ''],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.network.create');
    const mvDesc = parseNetworkXml(await conn.networkGetXmlDesc(await conn.networkLookupByName(mv)));
    assert.deepEqual([mvDesc.forwardMode, mvDesc.forwardInterfaces], ['private', [nic]]);

    const bn = `${PREFIX}${tag}-br`;
    nets.push(bn);
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Connectivity/, /^Host bridge$/], [/Host bridge/, new RegExp(`^${br}$`)], [/Kind of bridge/, /^Linux bridge$/], [/Port groups/, /^No port groups$/]],
        [
          [/Network name/, bn],
          // QoS needs the sfq qdisc, which not every kernel has (the integration tests cover it).
          [/inbound/, ''],
          [/outbound/, ''],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.network.create');
    const bDesc = parseNetworkXml(await conn.networkGetXmlDesc(await conn.networkLookupByName(bn)));
    assert.deepEqual([bDesc.forwardMode, bDesc.bridge, bDesc.bandwidth], ['bridge', br, undefined]);
    const node = await waitFor('the macvtap network in the tree', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === mv));
    assert.match(description(node), new RegExp(`macvtap private · over ${nic}`));
    const iface = await waitFor('the NIC under Host Interfaces', async () => (await api.tree.groupNodes(localId, 'interfaces')).find((n) => label(n) === nic && description(n).includes(mv)));
    assert.match(description(iface), new RegExp(`networks ${mv}`));
  });

  it('New Virtual Network makes a macvtap passthrough network with a default VLAN port group in one go', async () => {
    const nic = `${LINK_PREFIX}${process.pid}-v`;
    execFileSync('ip', ['link', 'add', nic, 'type', 'veth', 'peer', 'name', `${nic}p`]);
    links.push(nic);
    const name = `${PREFIX}${tag}-vl`;
    nets.push(name);
    const groupAnswers = [/^Add a port group…$/, /^Add a port group…$/, /^Done$/];
    const names = ['office', 'lab'];
    const tags = ['42', ''];
    const seenPlaceholders: string[] = [];
    const base = responder(
      [hostPick(), [/Connectivity/, /^macvtap$/], [/Host NICs/, [new RegExp(`^${nic}$`)]], [/macvtap mode/, /^passthrough$/], [/Default port group/, /^office$/]],
      [
        [/Network name/, name],
        [/Port group name/, () => names.shift() ?? assert.fail('a third port group name')],
        [/VLAN tags/, () => tags.shift() ?? assert.fail('a third VLAN question')],
        [/inbound|outbound/, ''],
      ],
    );
    api.prompts.setResponder({
      ...base,
      pickOne: (req: PickRequest<unknown>) => {
        if (!/Port groups/.test(req.placeHolder ?? '')) return base.pickOne(req);
        seenPlaceholders.push(req.placeHolder ?? '');
        const want = groupAnswers.shift() ?? assert.fail('asked for port groups too often');
        return req.items.find((i) => want.test(i.label)) ?? assert.fail(`no ${want} in ${req.items.map((i) => i.label).join(', ')}`);
      },
    });
    await vscode.commands.executeCommand('libvirtVms.network.create');
    const ref = await conn.networkLookupByName(name);
    const d = parseNetworkXml(await conn.networkGetXmlDesc(ref));
    assert.deepEqual([d.forwardMode, d.forwardInterfaces], ['passthrough', [nic]]);
    assert.deepEqual(d.portGroups, [{ name: 'office', isDefault: true, vlanTags: [42] }, { name: 'lab', isDefault: false }]);
    assert.deepEqual(seenPlaceholders, ['Port groups (VLAN tags, per-VM QoS)', 'Port groups so far: office (VLAN 42)', 'Port groups so far: office (VLAN 42), lab']);
    assert.ok(await conn.networkIsActive(ref));
  });

  it('Add DHCP Static Host changes a running network’s live XML', async () => {
    const name = `${PREFIX}${tag}-dh`;
    nets.push(name);
    api.prompts.setResponder(
      responder(
        [hostPick(), [/Connectivity/, /^Isolated$/], [/IPv6/, /^No IPv6$/], [/host boots/, /^Do not/]],
        [
          [/Network name/, name],
          [/IPv4 network/, (req) => req.value ?? ''],
          [/DHCP range/, (req) => req.value ?? ''],
          [/Static DHCP hosts/, ''],
          [/DNS domain/, ''],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.network.create');
    const ref = await conn.networkLookupByName(name);
    const before = parseNetworkXml(await conn.networkGetXmlDesc(ref));
    const base = (before.ips[0]?.address ?? '').split('.').slice(0, 3).join('.');
    const node = await waitFor('the network node', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name));
    api.prompts.setResponder(
      responder(
        [],
        [
          [/MAC address/, '52:54:00:de:ad:01'],
          [/Fixed IP/, `${base}.20`],
          [/Host name/, 'fixed'],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.network.addDhcpHost', node);
    const live = parseNetworkXml(await conn.networkGetXmlDesc(ref));
    assert.deepEqual(live.ips[0]?.hosts, [{ mac: '52:54:00:de:ad:01', name: 'fixed', ip: `${base}.20` }]);
    assert.ok(await conn.networkIsActive(ref));
  });

  it('Change DHCP Static Host, Change DNS Record and Remove Port Group on a running network; a VM that takes the group after the confirmation stops the removal', async () => {
    const name = `${PREFIX}${tag}-pg`;
    nets.push(name);
    const vmA = `${PREFIX}${tag}-pga`;
    const vmB = `${PREFIX}${tag}-pgb`;
    const ranges = (await Promise.all((await conn.connectListAllNetworks()).map(async (n) => parseNetworkXml(await conn.networkGetXmlDesc(n)).ips.map((i) => i.address)))).flat();
    let third = 200;
    while (ranges.some((a) => a.startsWith(`10.77.${third}.`))) third++;
    const base = `10.77.${third}`;
    const ref = await conn.networkDefineXml(`<network><name>${name}</name><bridge stp='on' delay='0'/>
  <portgroup name='pg1' default='yes'/><portgroup name='pg2'/>
  <dns><txt name='motd' value='before'/><host ip='${base}.40'><hostname>files</hostname></host></dns>
  <ip address='${base}.1' prefix='24'><dhcp><range start='${base}.100' end='${base}.200'/><host mac='52:54:00:de:ad:02' name='before' ip='${base}.30'/></dhcp></ip></network>`);
    await conn.networkCreate(ref);
    const vmXml = (vm: string, group: string): string => `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><interface type='network'><source network='${name}' portgroup='${group}'/><model type='e1000'/></interface></devices></domain>`;
    const undefineVms = async (): Promise<void> => {
      for (const vm of [vmA, vmB]) {
        const d = await conn.domainLookupByName(vm).catch(() => undefined);
        if (d) await conn.domainUndefine(d, 0).catch(() => undefined);
      }
    };
    try {
      await conn.domainDefineXml(vmXml(vmA, 'pg1'));
      const node = await waitFor('the network node', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name));

      api.prompts.setResponder(responder([[/Static host to change/, /^52:54:00:de:ad:02$/]], [[/Fixed IP address of 52:54:00:de:ad:02/, `${base}.31`], [/Host name of/, 'after']]));
      await vscode.commands.executeCommand('libvirtVms.network.changeDhcpHost', node);
      for (const flags of [0, 1]) assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(ref, flags)).ips[0]?.hosts, [{ mac: '52:54:00:de:ad:02', name: 'after', ip: `${base}.31` }]);
      assert.ok(await conn.networkIsActive(ref), 'the network kept running');

      // Change DNS Record: each field offered with its current value; live and in the definition.
      const offered: InputRequest[] = [];
      api.prompts.setResponder(responder([[/^Record$/, new RegExp(`^${base.replace(/\./g, '\\.')}\\.40$`)]], [[/IP address/, `${base}.41`], [/Host names/, 'files nas.lan']], [], offered));
      await vscode.commands.executeCommand('libvirtVms.network.changeDnsRecord', node);
      assert.deepEqual(offered.map((r) => r.value), [`${base}.40`, 'files']);
      api.prompts.setResponder(responder([[/^Record$/, /^motd$/]], [[/^Name$/, 'motd'], [/^Text$/, 'after']], [], offered));
      await vscode.commands.executeCommand('libvirtVms.network.changeDnsRecord', node);
      for (const flags of [0, 1]) {
        const d = parseNetworkXml(await conn.networkGetXmlDesc(ref, flags));
        assert.deepEqual(d.dnsHosts, [{ ip: `${base}.41`, hostnames: ['files', 'nas.lan'] }]);
        assert.deepEqual(d.dnsTxt, [{ name: 'motd', value: 'after' }]);
      }
      assert.ok(await conn.networkIsActive(ref), 'the network kept running');

      // pg2 is unused when confirmed; a VM defined on it before the answer stops the removal.
      const confirms: ConfirmRequest[] = [];
      api.prompts.setResponder({
        ...responder([[/Port group/, /^pg2$/]], []),
        confirm: async (req: ConfirmRequest) => {
          confirms.push(req);
          await conn.domainDefineXml(vmXml(vmB, 'pg2'));
          return true;
        },
      });
      await vscode.commands.executeCommand('libvirtVms.network.removePortGroup', node);
      assert.match(confirms[0]?.detail ?? '', /No VM uses it\./);
      assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(ref, 0)).portGroups.map((g) => g.name), ['pg1', 'pg2'], 'nothing was removed');

      // pg1: the confirmation names the VM on it; the group goes from the live network and the definition.
      const named: ConfirmRequest[] = [];
      api.prompts.setResponder(responder([[/Port group/, /^pg1$/]], [], named));
      const res = (await vscode.commands.executeCommand('libvirtVms.network.removePortGroup', node)) as { removed: string; vms: string[] } | undefined;
      assert.match(named[0]?.message ?? '', new RegExp(`Remove port group pg1 of network ${name}`));
      assert.match(named[0]?.detail ?? '', new RegExp(`Port group pg1 \\(default\\)\\.\\nVMs with interfaces on it, which will fail to start until they are changed: ${vmA}\\.`));
      assert.deepEqual(res, { removed: 'pg1', vms: [vmA] });
      for (const flags of [0, 1]) assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(ref, flags)).portGroups.map((g) => g.name), ['pg2']);
    } finally {
      await undefineVms();
    }
  });

  it('flags a network and VMs whose host bridge is gone (Networks, Host Interfaces); Start Network warns and Start names the bridge', async () => {
    const br = `${LINK_PREFIX}${process.pid}-g`;
    execFileSync('ip', ['link', 'add', br, 'type', 'bridge']);
    links.push(br);
    const name = `${PREFIX}${tag}-gone`;
    nets.push(name);
    const vmNet = `${PREFIX}${tag}-gvn`;
    const vmDirect = `${PREFIX}${tag}-gvd`;
    const vmXml = (vm: string, iface: string): string => `<domain type='qemu'><name>${vm}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>${iface}</devices></domain>`;
    await conn.networkDefineXml(`<network><name>${name}</name><forward mode='bridge'/><bridge name='${br}'/></network>`);
    const doms = [
      await conn.domainDefineXml(vmXml(vmNet, `<interface type='network'><source network='${name}'/><model type='e1000'/></interface>`)),
      await conn.domainDefineXml(vmXml(vmDirect, `<interface type='bridge'><source bridge='${br}'/><model type='e1000'/></interface>`)),
    ];
    try {
      const node = await waitFor('the network node', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name));
      assert.doesNotMatch(description(node), /missing/, 'nothing flagged while the bridge exists');
      execFileSync('ip', ['link', 'del', br]);

      const started = (await vscode.commands.executeCommand('libvirtVms.network.start', node)) as { missingInterfaces: string[] } | undefined;
      assert.deepEqual(started?.missingInterfaces, [br], 'Start Network warns about the bridge');
      const flagged = await waitFor('the network flagged', async () => (await api.tree.groupNodes(localId, 'networks')).find((n) => label(n) === name && description(n).includes('missing')));
      assert.equal(description(flagged), `active · missing ${br} · bridge · ${br}`);
      assert.equal((flagged.getTreeItem().iconPath as vscode.ThemeIcon).id, 'warning');
      const row = await waitFor('the Host Interfaces row', async () => (await api.tree.groupNodes(localId, 'interfaces')).find((n) => label(n) === br));
      assert.equal(description(row), `missing on this host · networks ${name} · VMs ${[vmDirect, vmNet].sort().join(', ')}`);
      assert.equal((row.getTreeItem().iconPath as vscode.ThemeIcon).id, 'warning');

      // Start on both VMs: each failure names the bridge (and the network that put the VM on it).
      const refs = doms.map((d) => ({ connectionId: localId, uuid: d.uuid }));
      const report = (await vscode.commands.executeCommand('libvirtVms.vm.start', refs[0], refs)) as { ok: string[]; failed: { name: string; message: string }[] };
      assert.deepEqual(report.ok, []);
      const msg = (vm: string): string => report.failed.find((f) => f.name === vm)?.message ?? '';
      assert.match(msg(vmNet), new RegExp(`^${vmNet} cannot start: this host has no host bridge ${br} \\(through network ${name}\\)\\. Create it again`));
      assert.match(msg(vmDirect), new RegExp(`^${vmDirect} cannot start: this host has no host bridge ${br}\\. Create it again.*Cannot get interface MTU on '${br}': No such device`));
    } finally {
      for (const d of doms) await conn.domainUndefine(d, 0).catch(() => undefined);
    }
  });

  it('Delete Secret stops when a VM took the secret after the confirmation, and names it the next time', async () => {
    const usage = `${PREFIX}${tag}-rechk`;
    const vm = `${PREFIX}${tag}-svm`;
    const ref = await conn.secretDefineXml(`<secret ephemeral='no' private='yes'><usage type='ceph'><name>${usage}</name></usage></secret>`);
    try {
      await conn.secretSetValue(ref, new TextEncoder().encode('x'));
      const node = await waitFor('the secret node', async () => (await api.tree.groupNodes(localId, 'secrets')).find((n) => label(n) === usage));
      const confirms: ConfirmRequest[] = [];
      api.prompts.setResponder({
        confirm: async (req: ConfirmRequest) => {
          confirms.push(req);
          await conn.domainDefineXml(`<domain type='qemu'><name>${vm}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
  <source file='/var/lib/libvirt/images/${vm}.qcow2'><encryption format='luks'><secret type='passphrase' uuid='${ref.uuid}'/></encryption></source><target dev='vda' bus='virtio'/></disk></devices></domain>`);
          return true;
        },
      });
      await vscode.commands.executeCommand('libvirtVms.secret.delete', node);
      assert.match(confirms[0]?.detail ?? '', /No VM uses it\./);
      assert.equal((await conn.secretLookupByUuid(ref.uuid)).uuid, ref.uuid, 'the secret is still there');

      const again: ConfirmRequest[] = [];
      api.prompts.setResponder(responder([], [], again));
      const fresh = await waitFor('the secret node used by the VM', async () => (await api.tree.groupNodes(localId, 'secrets')).find((n) => label(n) === usage));
      await vscode.commands.executeCommand('libvirtVms.secret.delete', fresh);
      assert.match(again[0]?.detail ?? '', new RegExp(`VMs that will fail to start: ${vm}\\.`));
      await waitFor('the secret gone', async () => !(await conn.connectListAllSecrets()).some((x) => x.uuid === ref.uuid));
    } finally {
      const d = await conn.domainLookupByName(vm).catch(() => undefined);
      if (d) await conn.domainUndefine(d, 0).catch(() => undefined);
      await conn.secretUndefine(ref).catch(() => undefined);
    }
  });

  it('New Secret stores the value in libvirt only; Delete Secret names its users and removes it; the value is in no log', async () => {
    const value = `s3cret-${crypto.randomBytes(8).toString('hex')}`;
    const usage = `${PREFIX}${tag}-ceph`;
    const seen: InputRequest[] = [];
    api.prompts.setResponder(
      responder(
        [hostPick(), [/What the secret unlocks/, /^Ceph$/], [/^Value$/, /^Passphrase$/], [/How libvirt keeps the value/, /^Persistent and private$/]],
        [
          [/Usage name/, usage],
          [/Description/, 'host test'],
          [/Passphrase/, value],
        ],
        [],
        seen,
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.secret.define');
    assert.equal(seen.find((r) => /Passphrase/.test(r.prompt ?? ''))?.password, true, 'the value is typed into a masked box');
    const node = await waitFor('the secret in the Secrets group', async () => (await api.tree.groupNodes(localId, 'secrets')).find((n) => label(n) === usage));
    assert.equal(description(node), 'Ceph · private');
    // The other ways to keep it: an ephemeral one is listed as such.
    const eph = `${usage}-e`;
    api.prompts.setResponder(
      responder(
        [hostPick(), [/What the secret unlocks/, /^Ceph$/], [/^Value$/, /^Passphrase$/], [/How libvirt keeps the value/, /^Ephemeral and private$/]],
        [
          [/Usage name/, eph],
          [/Description/, ''],
          [/Passphrase/, value],
        ],
      ),
    );
    await vscode.commands.executeCommand('libvirtVms.secret.define');
    const ephNode = await waitFor('the ephemeral secret', async () => (await api.tree.groupNodes(localId, 'secrets')).find((n) => label(n) === eph));
    assert.equal(description(ephNode), 'Ceph · ephemeral · private');
    const ephRef = (await conn.connectListAllSecrets()).find((s) => s.usageId === eph);
    assert.ok(ephRef);
    assert.match(await conn.secretGetXmlDesc(ephRef), /ephemeral='yes' private='yes'/);
    await conn.secretUndefine(ephRef);
    const secret = (await conn.connectListAllSecrets()).find((s) => s.usageId === usage);
    assert.ok(secret);
    assert.ok(!(await conn.secretGetXmlDesc(secret)).includes(value));

    // The same usage again fails with a message in the log (so the log is being written), without the value.
    api.prompts.setResponder(responder([hostPick(), [/What the secret unlocks/, /^Ceph$/]], [[/Usage name/, usage]]));
    await vscode.commands.executeCommand('libvirtVms.secret.define').then(
      () => undefined,
      () => undefined,
    );

    const confirms: ConfirmRequest[] = [];
    api.prompts.setResponder(responder([], [], confirms));
    await vscode.commands.executeCommand('libvirtVms.secret.delete', node);
    assert.match(confirms[0]?.message ?? '', new RegExp(`Delete secret ${usage}`));
    assert.match(confirms[0]?.detail ?? '', /No volume names it\.\nNo VM uses it\./);
    await waitFor('the secret gone', async () => !(await conn.connectListAllSecrets()).some((s) => s.uuid === secret.uuid));
    for (const n of await api.tree.groupNodes(localId, 'secrets')) assert.ok(!JSON.stringify(n.getTreeItem()).includes(value));

    await new Promise((r) => setTimeout(r, 1500)); // log channels flush asynchronously
    const files = sessionFiles();
    const logs = files.filter((f) => f.endsWith('.log'));
    assert.ok(logs.some((f) => fs.readFileSync(f, 'utf8').includes(secret.uuid) || fs.readFileSync(f, 'utf8').includes(usage)), `no log file mentions this test's secret: ${logs.join(', ')}`);
    for (const f of files) assert.ok(!fs.readFileSync(f).includes(value), `${f} contains the secret value`);
  });

  it('New Encrypted Volume makes a LUKS volume with a new secret; Delete Secret names that volume and the VM using it', async () => {
    const value = `luks-${crypto.randomBytes(8).toString('hex')}`;
    const dir = fs.mkdtempSync(path.join('/tmp', `${PREFIX}${tag}-`));
    fs.chmodSync(dir, 0o755);
    const poolName = `${PREFIX}${tag}-pool`;
    const pool = await conn.storagePoolDefineXml(`<pool type='dir'><name>${poolName}</name><target><path>${dir}</path></target></pool>`);
    await conn.storagePoolCreate(pool);
    const vmName = `${PREFIX}${tag}-vm`;
    try {
      api.prompts.setResponder(
        responder(
          [hostPick(), [/Storage pool/, new RegExp(`^${poolName}$`)], [/^Passphrase$/, /^New passphrase$/]],
          [
            [/Volume name/, 'secure'],
            [/Size/, '8M'],
            [/Passphrase/, value],
          ],
        ),
      );
      const made = await vscode.commands.executeCommand('libvirtVms.volume.createEncrypted');
      if (!made) {
        await new Promise((r) => setTimeout(r, 1000));
        const why = sessionFiles()
          .filter((f) => f.endsWith('.log'))
          .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('Encrypted Volume')));
        assert.fail(`New Encrypted Volume failed: ${why.slice(-3).join(' | ')}`);
      }
      const volPath = path.join(dir, 'secure.qcow2');
      const secret = await waitFor('the volume secret', async () => (await conn.connectListAllSecrets()).find((x) => x.usageId === volPath), 60_000);
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', volPath], { encoding: 'utf8' })) as { encrypted?: boolean };
      assert.equal(info.encrypted, true);
      await conn.domainDefineXml(`<domain type='qemu'><name>${vmName}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
  <source file='${volPath}'><encryption format='luks'><secret type='passphrase' uuid='${secret.uuid}'/></encryption></source><target dev='vda' bus='virtio'/></disk></devices></domain>`);
      const node = await waitFor('the secret node', async () => (await api.tree.groupNodes(localId, 'secrets')).find((n) => label(n) === volPath && description(n).includes(vmName)), 60_000);
      assert.match(description(node), /^volume · private · used by /);
      const confirms: ConfirmRequest[] = [];
      api.prompts.setResponder(responder([], [], confirms));
      await vscode.commands.executeCommand('libvirtVms.secret.delete', node);
      assert.match(confirms[0]?.detail ?? '', new RegExp(`Encrypted volumes that can no longer be opened: ${volPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
      assert.match(confirms[0]?.detail ?? '', new RegExp(`VMs that will fail to start: ${vmName}\\.`));
      await waitFor('the secret gone', async () => !(await conn.connectListAllSecrets()).some((x) => x.uuid === secret.uuid));
      await new Promise((r) => setTimeout(r, 1500));
      for (const f of sessionFiles()) assert.ok(!fs.readFileSync(f).includes(value), `${f} contains the passphrase`);
    } finally {
      const d = await conn.domainLookupByName(vmName).catch(() => undefined);
      if (d) await conn.domainUndefine(d, 0).catch(() => undefined);
      for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
      for (const x of await conn.connectListAllSecrets()) if (x.usageId.startsWith(dir)) await conn.secretUndefine(x).catch(() => undefined);
      await conn.storagePoolDestroy(pool).catch(() => undefined);
      await conn.storagePoolUndefine(pool).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
