// Host-side networking on the real daemon: a network over a real Linux bridge, macvtap over a
// real NIC, an Open vSwitch bridge (userspace datapath) with a VLAN port group and a trunk, QoS,
// live network updates of DHCP hosts and DNS records, and an SR-IOV pool this machine cannot
// start. Every network is started and gets a TCG VM attached where the kernel allows it.

import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import type { Connection, DomainRef, NetworkRef } from '../../../src/libvirt/connection';
import { VirNetworkUpdateCommand, VirNetworkUpdateFlags, VirNetworkUpdateSection } from '../../../src/libvirt/generated/libvirtConstants';
import { loadDomainUsages, portGroupUsers } from '../../../src/libvirt/resources/domainUsage';
import { hostInterfaceSummary, joinHostInterfaces, loadHostInterfaceFacts } from '../../../src/libvirt/resources/hostInterface';
import { explainVmStartError, HostInterfaceMissingError, networkMissingInterfaces, vmMissingInterfaces } from '../../../src/libvirt/resources/missingInterfaces';
import { helpForError } from '../../../src/ui/errorHelp';
import { createNetwork, takenRanges } from '../../../src/libvirt/resources/operations';
import { parseNetworkXml, suggestIpv4, type NetworkDescription, type NetworkSpec } from '../../../src/libvirt/resources/network';
import { changeDnsRecord, setNetworkBandwidth, updateNetworkEntry, type NetworkEntry } from '../../../src/libvirt/resources/networkUpdate';
import { NetworkStartError, startNetwork } from '../../../src/libvirt/resources/networkStart';
import { ResourceInputError } from '../../../src/libvirt/resources/validation';
import { removeDeadRunObjects } from '../../leftovers';
import { openConnection } from '../resources/resourceEnv';
import { addBridge, addNic, addOvsBridge, delLink, delOvsBridge, linkExists, ovsVsctl, removeDeadLinks, removeDeadOvsBridges } from './hostLinks';

const PREFIX = 'nsec';
const name = (tag: string): string => `${PREFIX}${process.pid}-${tag}`;

function vmXml(vm: string, iface: string): string {
  return `<domain type='qemu'>
  <name>${vm}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>${iface}</devices>
</domain>`;
}

describe('host networking on the real daemon (integration)', function () {
  this.timeout(180000);
  let conn: Connection;
  const nets: NetworkRef[] = [];
  const doms: DomainRef[] = [];
  const links: string[] = [];
  const ovsBridges: string[] = [];

  before(async () => {
    conn = await openConnection();
    await removeDeadRunObjects(conn, PREFIX);
    await removeDeadLinks();
    await removeDeadOvsBridges();
  });

  after(async () => {
    for (const d of doms) {
      await conn.domainDestroy(d).catch(() => undefined);
      await conn.domainUndefine(d, 0).catch(() => undefined);
    }
    for (const n of nets) {
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    for (const l of links) await delLink(l);
    for (const b of ovsBridges) await delOvsBridge(b);
    await conn.close();
  });

  async function startVm(tag: string, iface: string): Promise<DomainRef> {
    const dom = await conn.domainDefineXml(vmXml(name(tag), iface));
    doms.push(dom);
    await conn.domainCreate(dom);
    return dom;
  }

  async function create(spec: NetworkSpec): Promise<NetworkRef> {
    const net = await createNetwork(conn, spec);
    nets.push(net);
    return net;
  }

  it('bridges VMs onto an existing host bridge: the VM’s tap becomes a port of that bridge', async () => {
    const br = await addBridge('br');
    links.push(br);
    const net = await create({ name: name('bridge'), mode: 'bridge', bridge: br });
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.equal(desc.forwardMode, 'bridge');
    assert.equal(desc.bridge, br);
    assert.ok(await conn.networkIsActive(net));
    const dom = await startVm('vmbr', `<interface type='network'><source network='${net.name}'/><model type='e1000'/></interface>`);
    const live = await conn.domainGetXmlDesc(dom, 0);
    const tap = /<target dev='([^']+)'/.exec(live)?.[1];
    assert.ok(tap, live);
    assert.deepEqual(readdirSync(`/sys/class/net/${br}/brif`), [tap]);

    // The host interfaces view names the bridge, its network and the VM.
    const facts = await loadHostInterfaceFacts(conn);
    const hosts = joinHostInterfaces(facts, [desc], await loadDomainUsages(conn));
    const h = hosts.find((x) => x.iface === br);
    if (h) {
      assert.deepEqual(h.networks, [net.name]);
      assert.deepEqual(h.vms, [name('vmbr')]);
    } else {
      // libvirt's udev node-device list does not learn of links made after libvirtd started when
      // no udev daemon runs (as here); the interface driver must still know the bridge.
      assert.fail(`the bridge ${br} is missing from the host interfaces: ${hosts.map((x) => x.iface).join(', ')}`);
    }
  });

  it('spreads VMs over a host NIC with macvtap (bridge mode): the VM gets a macvtap on that NIC', async () => {
    const nic = await addNic('nic');
    links.push(nic);
    const net = await create({ name: name('macvtap'), mode: 'macvtap', macvtapMode: 'bridge', interfaces: [nic] });
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.equal(desc.forwardMode, 'bridge');
    assert.deepEqual(desc.forwardInterfaces, [nic]);
    const dom = await startVm('vmmv', `<interface type='network'><source network='${net.name}'/><model type='e1000'/></interface>`);
    const live = await conn.domainGetXmlDesc(dom, 0);
    assert.match(live, /<interface type='direct'/);
    assert.ok(live.includes(`<source network='${net.name}' dev='${nic}' mode='bridge'/>`) || live.includes(`dev='${nic}'`), live);
    const tap = /<target dev='(macvtap\d+)'/.exec(live)?.[1];
    assert.ok(tap, live);
    const detail = readFileSync(`/sys/class/net/${tap}/address`, 'utf8').trim();
    assert.match(live, new RegExp(`<mac address='${detail}'/>`));
    assert.ok(await linkExists(tap));
  });

  it('refuses a VLAN tag on a Linux bridge before libvirt does, and defines it on macvtap passthrough', async () => {
    const br = await addBridge('bv');
    links.push(br);
    await assert.rejects(
      createNetwork(conn, { name: name('vlanbr'), mode: 'bridge', bridge: br, portGroups: [{ name: 'v42', vlanTags: [42] }] }),
      (e: unknown) => ResourceInputError.is(e) && /VLAN tags need/.test(e.message),
    );
    const nic = await addNic('pt');
    links.push(nic);
    const net = await create({ name: name('vlan'), mode: 'macvtap', macvtapMode: 'passthrough', interfaces: [nic], portGroups: [{ name: 'v42', isDefault: true, vlanTags: [42] }, { name: 'plain' }] });
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.deepEqual(desc.portGroups.map((g) => [g.name, g.isDefault, g.vlanTags]), [['v42', true, [42]], ['plain', false, undefined]]);
    assert.ok(await conn.networkIsActive(net));
    // Tagging needs an SR-IOV VF; a plain NIC makes libvirt refuse the VM with its reason.
    const dom = await conn.domainDefineXml(vmXml(name('vmvl'), `<interface type='network'><source network='${net.name}' portgroup='v42'/><model type='e1000'/></interface>`));
    doms.push(dom);
    await assert.rejects(conn.domainCreate(dom), (e: unknown) => e instanceof Error && /vlan can only be set for SR-IOV VFs/.test(e.message));
    // The same network's untagged port group carries a running VM.
    const plain = await startVm('vmpl', `<interface type='network'><source network='${net.name}' portgroup='plain'/><model type='e1000'/></interface>`);
    assert.match(await conn.domainGetXmlDesc(plain, 0), /<interface type='direct'/);
  });

  it('defines port-group and network-wide QoS; starting shapes traffic with tc or reports why not', async () => {
    const { taken } = await takenRanges(conn);
    const ipv4 = suggestIpv4(taken);
    assert.ok(ipv4);
    const spec: NetworkSpec = {
      name: name('qos'),
      mode: 'isolated',
      ipv4,
      bandwidth: { inbound: { average: 10000, peak: 20000, burst: 1024 }, outbound: { average: 5000 } },
      portGroups: [{ name: 'slow', isDefault: true, bandwidth: { inbound: { average: 1000 }, outbound: { average: 500 } } }],
    };
    let started = true;
    let reason = '';
    const net = await createNetwork(conn, { ...spec, name: name('qos-def') }, { start: false });
    nets.push(net);
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.deepEqual(desc.bandwidth, spec.bandwidth);
    assert.deepEqual(desc.portGroups[0]?.bandwidth, spec.portGroups?.[0]?.bandwidth);
    const second = suggestIpv4((await takenRanges(conn)).taken);
    assert.ok(second);
    try {
      nets.push(await createNetwork(conn, { ...spec, ipv4: second }));
    } catch (e) {
      started = false;
      reason = e instanceof Error ? e.message : String(e);
    }
    if (started) {
      const bridge = parseNetworkXml(await conn.networkGetXmlDesc(nets[nets.length - 1] as NetworkRef, 0)).bridge ?? '';
      const { execFileSync } = await import('node:child_process');
      assert.match(execFileSync('tc', ['qdisc', 'show', 'dev', bridge], { encoding: 'utf8' }), /htb/);
      await startVm('vmqos', `<interface type='network'><source network='${spec.name}' portgroup='slow'/><model type='e1000'/></interface>`);
    } else {
      // This kernel lacks the sfq qdisc / police action libvirt's QoS uses: libvirt's own words
      // come back, and the failed start left nothing defined (createNetwork rolls back).
      assert.match(reason, /tc (qdisc|filter) add/);
      assert.match(reason, new RegExp(`^${spec.name}: [\\s\\S]*tc [\\s\\S]*cannot apply the network's QoS[\\s\\S]*Set Network QoS`));
      assert.ok(!(await conn.connectListAllNetworks(0)).some((n) => n.name === spec.name));
    }
  });

  it('edits DHCP hosts and DNS records of a running network live, without a restart', async () => {
    const { taken } = await takenRanges(conn);
    const ipv4 = suggestIpv4(taken);
    assert.ok(ipv4);
    const net = await create({ name: name('upd'), mode: 'isolated', ipv4 });
    const base = ipv4.address.split('.').slice(0, 3).join('.');
    const bridge = parseNetworkXml(await conn.networkGetXmlDesc(net, 0)).bridge ?? '';
    const ifindexBefore = readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8');
    const dom = await startVm('vmupd', `<interface type='network'><source network='${net.name}'/><model type='e1000'/></interface>`);
    const tap = /<target dev='([^']+)'/.exec(await conn.domainGetXmlDesc(dom, 0))?.[1] ?? '';
    const host = { mac: '52:54:00:aa:bb:01', name: 'fixed1', ip: `${base}.50` };
    await updateNetworkEntry(conn, net, 'add', { section: 'dhcpHost', host });
    await updateNetworkEntry(conn, net, 'add', { section: 'dnsHost', host: { ip: `${base}.60`, hostnames: ['db', 'db.lan'] } });
    await updateNetworkEntry(conn, net, 'add', { section: 'dnsTxt', txt: { name: 'info', value: 'hello world' } });
    await updateNetworkEntry(conn, net, 'add', { section: 'dnsSrv', srv: { service: 'ldap', protocol: 'tcp', target: 'db.lan', port: 389, priority: 10, weight: 5 } });
    const live = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.deepEqual(live.ips[0]?.hosts, [host]);
    assert.deepEqual(live.dnsHosts, [{ ip: `${base}.60`, hostnames: ['db', 'db.lan'] }]);
    assert.deepEqual(live.dnsTxt, [{ name: 'info', value: 'hello world' }]);
    assert.equal(live.dnsSrv[0]?.port, 389);
    // Persistent definition too (VIR_NETWORK_XML_INACTIVE = 1).
    assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(net, 1)).ips[0]?.hosts, [host]);
    // dnsmasq serves the host; the network was not restarted: same bridge, the VM still on it.
    assert.match(readFileSync(`/var/lib/libvirt/dnsmasq/${net.name}.hostsfile`, 'utf8'), /52:54:00:aa:bb:01,.*\.50,fixed1/);
    assert.equal(readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8'), ifindexBefore);
    assert.deepEqual(readdirSync(`/sys/class/net/${bridge}/brif`), [tap]);
    assert.ok(await conn.networkIsActive(net));

    // A clash is refused before libvirt; a delete removes exactly that host.
    await assert.rejects(updateNetworkEntry(conn, net, 'add', { section: 'dhcpHost', host: { mac: '52:54:00:aa:bb:02', ip: `${base}.50` } }), (e: unknown) => ResourceInputError.is(e) && /already given/.test(e.message));
    await assert.rejects(updateNetworkEntry(conn, net, 'add', { section: 'dhcpHost', host: { mac: '52:54:00:aa:bb:03', ip: '10.255.255.9' } }), (e: unknown) => ResourceInputError.is(e) && /none of/.test(e.message));
    // A static host changed in place (found by its MAC): new address and name, live and in the definition.
    const moved = { mac: host.mac, name: 'fixed2', ip: `${base}.51` };
    await assert.rejects(updateNetworkEntry(conn, net, 'modify', { section: 'dhcpHost', host: { ...moved, mac: '52:54:00:aa:bb:09' } }), (e: unknown) => ResourceInputError.is(e) && /has no static host/.test(e.message));
    await updateNetworkEntry(conn, net, 'modify', { section: 'dhcpHost', host: moved });
    for (const flags of [0, 1]) assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(net, flags)).ips[0]?.hosts, [moved]);
    assert.match(readFileSync(`/var/lib/libvirt/dnsmasq/${net.name}.hostsfile`, 'utf8'), /52:54:00:aa:bb:01,.*\.51,fixed2/);
    await updateNetworkEntry(conn, net, 'delete', { section: 'dhcpHost', host: moved });
    await updateNetworkEntry(conn, net, 'delete', { section: 'dnsTxt', txt: { name: 'info', value: 'hello world' } });
    const after = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.deepEqual(after.ips[0]?.hosts, []);
    assert.deepEqual(after.dnsTxt, []);
    assert.equal(after.dnsHosts.length, 1);
  });

  it('changes DNS host, TXT and SRV records of a running network in place, live and in the definition; a refused change puts the old record back', async () => {
    const { taken } = await takenRanges(conn);
    const ipv4 = suggestIpv4(taken);
    assert.ok(ipv4);
    const net = await create({ name: name('dnsed'), mode: 'isolated', ipv4 });
    const base = ipv4.address.split('.').slice(0, 3).join('.');
    const bridge = parseNetworkXml(await conn.networkGetXmlDesc(net, 0)).bridge ?? '';
    const ifindexBefore = readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8');
    const dbHost: NetworkEntry = { section: 'dnsHost', host: { ip: `${base}.60`, hostnames: ['db', 'db.lan'] } };
    const webHost: NetworkEntry = { section: 'dnsHost', host: { ip: `${base}.61`, hostnames: ['web'] } };
    const txt: NetworkEntry = { section: 'dnsTxt', txt: { name: 'info', value: 'hello world' } };
    const srv: NetworkEntry = { section: 'dnsSrv', srv: { service: 'ldap', protocol: 'tcp', target: 'db.lan', port: 389, priority: 10, weight: 5 } };
    for (const e of [dbHost, webHost, txt, srv]) await updateNetworkEntry(conn, net, 'add', e);
    // libvirt itself has no MODIFY for these sections: the reason changeDnsRecord deletes and adds.
    await assert.rejects(conn.networkUpdate(net, VirNetworkUpdateCommand.MODIFY, VirNetworkUpdateSection.DNS_HOST, -1, `<host ip='${base}.60'><hostname>x</hostname></host>`, VirNetworkUpdateFlags.LIVE | VirNetworkUpdateFlags.CONFIG), /DNS HOST records cannot be modified/);

    const both = async (): Promise<NetworkDescription[]> => Promise.all([0, 1].map(async (f) => parseNetworkXml(await conn.networkGetXmlDesc(net, f))));
    await changeDnsRecord(conn, net, dbHost, { section: 'dnsHost', host: { ip: `${base}.62`, hostnames: ['db', 'sql.lan'] } });
    await changeDnsRecord(conn, net, txt, { section: 'dnsTxt', txt: { name: 'info', value: 'changed' } });
    const srv2: NetworkEntry = { section: 'dnsSrv', srv: { service: 'ldap', protocol: 'tcp', target: 'sql.lan', port: 636, priority: 20, weight: 1 } };
    await changeDnsRecord(conn, net, srv, srv2);
    for (const d of await both()) {
      assert.deepEqual(d.dnsHosts, [{ ip: `${base}.61`, hostnames: ['web'] }, { ip: `${base}.62`, hostnames: ['db', 'sql.lan'] }]);
      assert.deepEqual(d.dnsTxt, [{ name: 'info', value: 'changed' }]);
      assert.deepEqual(d.dnsSrv, [{ service: 'ldap', protocol: 'tcp', domain: undefined, target: 'sql.lan', port: 636, priority: 20, weight: 1 }]);
    }
    // dnsmasq serves the new host at once; the network was not restarted.
    const addn = readFileSync(`/var/lib/libvirt/dnsmasq/${net.name}.addnhosts`, 'utf8');
    assert.match(addn, new RegExp(`${base.replace(/\./g, '\\.')}\\.62\\s+db\\s+sql\\.lan`));
    assert.doesNotMatch(addn, /db\.lan/);
    assert.equal(readFileSync(`/sys/class/net/${bridge}/ifindex`, 'utf8'), ifindexBefore);
    assert.ok(await conn.networkIsActive(net));

    // Refused before libvirt, nothing changed: a name another host has, a record that is gone.
    const snapshot = JSON.stringify(await both());
    await assert.rejects(changeDnsRecord(conn, net, webHost, { section: 'dnsHost', host: { ip: `${base}.61`, hostnames: ['web', 'db'] } }), (e: unknown) => ResourceInputError.is(e) && /already has the name db/.test(e.message));
    await assert.rejects(changeDnsRecord(conn, net, txt, { section: 'dnsTxt', txt: { name: 'info', value: 'again' } }), (e: unknown) => ResourceInputError.is(e) && /no such DNS record/.test(e.message));
    assert.equal(JSON.stringify(await both()), snapshot);

    // Another client adds a TXT record of the new name between our delete and our add: libvirt
    // refuses the add, and the old record is put back, live and in the definition.
    const other = await openConnection();
    try {
      const racing: Parameters<typeof changeDnsRecord>[0] = {
        networkIsActive: (n) => conn.networkIsActive(n),
        networkGetXmlDesc: (n, f) => conn.networkGetXmlDesc(n, f),
        networkUpdate: async (n, command, section, index, xml, flags) => {
          await conn.networkUpdate(n, command, section, index, xml, flags);
          if (command === VirNetworkUpdateCommand.DELETE) await other.networkUpdate(n, VirNetworkUpdateCommand.ADD_LAST, section, -1, `<txt name='motd' value='theirs'/>`, flags);
        },
      };
      await assert.rejects(changeDnsRecord(racing, net, { section: 'dnsTxt', txt: { name: 'info', value: 'changed' } }, { section: 'dnsTxt', txt: { name: 'motd', value: 'ours' } }), (e: unknown) => {
        assert.match(String((e as Error).message), /refused the changed DNS record: .*TXT.*The old record was put back; nothing changed\./s);
        return true;
      });
    } finally {
      await other.close();
    }
    for (const d of await both()) assert.deepEqual(d.dnsTxt, [{ name: 'motd', value: 'theirs' }, { name: 'info', value: 'changed' }]);
  });

  it('flags a bridge network and VMs whose host bridge or macvtap NIC is gone, and says so when such a VM starts', async () => {
    const br = await addBridge('gone');
    links.push(br);
    const nic = await addNic('gnic');
    links.push(nic);
    const net = await create({ name: name('gone'), mode: 'bridge', bridge: br });
    const mv = await create({ name: name('gonemv'), mode: 'macvtap', macvtapMode: 'bridge', interfaces: [nic] });
    const onNet = await conn.domainDefineXml(vmXml(name('vmgone'), `<interface type='network'><source network='${net.name}'/><model type='e1000'/></interface>`));
    doms.push(onNet);
    const direct = await conn.domainDefineXml(vmXml(name('vmgdir'), `<interface type='bridge'><source bridge='${br}'/><model type='e1000'/></interface>`));
    doms.push(direct);
    const networks = async (): Promise<NetworkDescription[]> => Promise.all([net, mv].map(async (n) => parseNetworkXml(await conn.networkGetXmlDesc(n, 0))));
    const view = async () => joinHostInterfaces(await loadHostInterfaceFacts(conn), await networks(), await loadDomainUsages(conn));

    // While both exist nothing is flagged, and the bridge names the VM attached to it directly.
    assert.deepEqual(await networkMissingInterfaces(conn, net), []);
    assert.deepEqual(await vmMissingInterfaces(conn, direct), []);
    const before = await view();
    assert.deepEqual(before.filter((h) => h.kind === 'missing' && (h.iface === br || h.iface === nic)), []);
    assert.deepEqual(before.find((h) => h.iface === br)?.vms, [name('vmgdir'), name('vmgone')].sort());

    await delLink(br);
    await delLink(nic);
    assert.deepEqual(await networkMissingInterfaces(conn, net), [br]);
    assert.deepEqual(await networkMissingInterfaces(conn, mv), [nic]);
    const missing = (await view()).filter((h) => h.kind === 'missing' && (h.iface === br || h.iface === nic));
    assert.deepEqual(
      missing.map((h) => [h.iface, h.networks, h.vms]),
      [
        [br, [net.name], [name('vmgdir'), name('vmgone')].sort()],
        [nic, [mv.name], []],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    assert.match(hostInterfaceSummary(missing[0] ?? assert.fail()), /^missing on this host/);
    assert.deepEqual(await vmMissingInterfaces(conn, onNet), [{ iface: br, network: net.name, bridge: true }]);
    assert.deepEqual(await vmMissingInterfaces(conn, direct), [{ iface: br, bridge: true }]);

    // libvirt's own words at the start, and what Start makes of them.
    for (const [dom, through] of [[onNet, ` (through network ${net.name})`], [direct, '']] as const) {
      const failure = await conn.domainCreate(dom).then(
        () => assert.fail('the VM started without its bridge'),
        (e: unknown) => e,
      );
      assert.match(String((failure as Error).message), new RegExp(`Cannot get interface MTU on '${br}': No such device`));
      const explained = await explainVmStartError(conn, dom, failure);
      assert.ok(HostInterfaceMissingError.is(explained), String(explained));
      assert.equal(explained.message, `${dom.name} cannot start: this host has no host bridge ${br}${through}. Create it again on the host, or change the VM's network interface to an existing bridge or network (VM details, NIC). (libvirt: ${(failure as Error).message})`);
      assert.equal(helpForError(explained)?.section, 'a-host-bridge-or-nic-is-missing');
    }
    // An unrelated failure is left as it was.
    const other = new Error('Cannot access storage file /nowhere: No such file or directory');
    assert.equal(await explainVmStartError(conn, onNet, other), other);
  });

  it('defines an SR-IOV hostdev pool, read back; starting reports libvirt’s reason', async () => {
    const nic = await addNic('pf');
    links.push(nic);
    const hd = await createNetwork(conn, { name: name('sriov'), mode: 'hostdev', pf: nic, portGroups: [{ name: 'v7', vlanTags: [7] }] }, { start: false });
    nets.push(hd);
    const hdDesc = parseNetworkXml(await conn.networkGetXmlDesc(hd, 0));
    assert.equal(hdDesc.forwardMode, 'hostdev');
    assert.equal(hdDesc.pf, nic);
    assert.deepEqual(hdDesc.portGroups[0]?.vlanTags, [7]);
    // Start Network's path: libvirt's words kept, and what to do about them.
    await assert.rejects(startNetwork(conn, hd), (e: unknown) => {
      assert.ok(NetworkStartError.is(e), String(e));
      assert.ok(e.reason.includes(`No usable Vf's present on SRIOV PF ${nic}`), e.reason);
      assert.match(e.message, new RegExp(`^${hd.name}: [\\s\\S]*No usable Vf's present on SRIOV PF ${nic}[\\s\\S]*sriov_numvfs`));
      assert.match(String((e.cause as Error).message), /No usable Vf/);
      return true;
    });
    assert.equal(await conn.networkIsActive(hd), false);
  });

  it('tags VMs on an Open vSwitch network: a VLAN port group and a trunk, each with a running TCG VM', async () => {
    const br = await addOvsBridge('ovs');
    ovsBridges.push(br);
    const net = await create({ name: name('ovs'), mode: 'bridge', bridge: br, openvswitch: true, portGroups: [{ name: 'v42', isDefault: true, vlanTags: [42] }, { name: 'trunk', vlanTags: [42, 43] }] });
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net, 0));
    assert.equal(desc.virtualPort, 'openvswitch');
    assert.deepEqual(desc.portGroups.map((g) => g.vlanTags), [[42], [42, 43]]);
    const tapOf = async (dom: DomainRef): Promise<string> => /<target dev='([^']+)'/.exec(await conn.domainGetXmlDesc(dom, 0))?.[1] ?? assert.fail('no tap');
    const tagged = await tapOf(await startVm('vmv42', `<interface type='network'><source network='${net.name}' portgroup='v42'/><model type='e1000'/></interface>`));
    const trunk = await tapOf(await startVm('vmtrk', `<interface type='network'><source network='${net.name}' portgroup='trunk'/><model type='e1000'/></interface>`));
    assert.equal(await ovsVsctl('get', 'port', tagged, 'tag'), '42');
    assert.equal(await ovsVsctl('get', 'port', trunk, 'trunks'), '[42, 43]');
    assert.deepEqual((await ovsVsctl('list-ports', br)).split('\n').sort(), [tagged, trunk].sort());
    // Not flagged as missing, although libvirt's interface driver does not list OVS bridges.
    assert.deepEqual(await networkMissingInterfaces(conn, net), []);

    // A port group added to the running network applies at once: a VM started on it gets its tag.
    await updateNetworkEntry(conn, net, 'add', { section: 'portGroup', group: { name: 'v44', vlanTags: [44] } });
    assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(net, 1)).portGroups.map((g) => g.name), ['v42', 'trunk', 'v44'], 'in the definition too');
    const late = await tapOf(await startVm('vmv44', `<interface type='network'><source network='${net.name}' portgroup='v44'/><model type='e1000'/></interface>`));
    assert.equal(await ovsVsctl('get', 'port', late, 'tag'), '44');
    // The VMs on each port group, as Remove Port Group names them (from the running VMs' live XML).
    const usages = await loadDomainUsages(conn);
    assert.deepEqual(portGroupUsers(usages, net.name, 'v42').map((u) => u.dom.name), [name('vmv42')]);
    assert.deepEqual(portGroupUsers(usages, net.name, 'v44').map((u) => u.dom.name), [name('vmv44')]);
    // Removing a port group changes the live network and the definition, the others stay.
    await updateNetworkEntry(conn, net, 'delete', { section: 'portGroup', group: { name: 'trunk' } });
    for (const flags of [0, 1]) assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(net, flags)).portGroups.map((g) => g.name), ['v42', 'v44']);
    await assert.rejects(updateNetworkEntry(conn, net, 'delete', { section: 'portGroup', group: { name: 'trunk' } }), (e: unknown) => ResourceInputError.is(e) && /has no port group trunk/.test(e.message));
  });

  it('sets and removes network-wide QoS in the definition, keeping the rest; a running network applies it at its next start', async () => {
    const br = await addBridge('bq');
    links.push(br);
    const net = await create({ name: name('setqos'), mode: 'bridge', bridge: br, portGroups: [{ name: 'keep' }] });
    const bw = { inbound: { average: 800, peak: 1600, burst: 64 }, outbound: { average: 400 } };
    assert.deepEqual(await setNetworkBandwidth(conn, net, bw), { pendingRestart: true });
    const inactive = parseNetworkXml(await conn.networkGetXmlDesc(net, 1));
    assert.deepEqual(inactive.bandwidth, bw);
    assert.deepEqual(inactive.portGroups.map((g) => g.name), ['keep']);
    assert.equal(inactive.bridge, br);
    assert.equal(parseNetworkXml(await conn.networkGetXmlDesc(net, 0)).bandwidth, undefined, 'the running network is unchanged');
    await assert.rejects(setNetworkBandwidth(conn, net, { inbound: { peak: 5 } }), (e: unknown) => ResourceInputError.is(e) && /needs an average/.test(e.message));
    await setNetworkBandwidth(conn, net, undefined);
    assert.equal(parseNetworkXml(await conn.networkGetXmlDesc(net, 1)).bandwidth, undefined);
    assert.deepEqual(parseNetworkXml(await conn.networkGetXmlDesc(net, 1)).portGroups.map((g) => g.name), ['keep']);
  });
});
