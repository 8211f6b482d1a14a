import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Connection, type DomainRef, type NetworkEvent, type NetworkRef } from '../../../src/libvirt/connection';
import { overlaps, parseCidr, parseProcNetRoute } from '../../../src/libvirt/resources/ipAddress';
import { isNoNetwork } from '../../../src/libvirt/rpc/errors';
import {
  VirDomainInterfaceAddressesSource,
  VirNetworkEventLifecycleType,
  VirNetworkUpdateCommand,
  VirNetworkUpdateFlags,
  VirNetworkUpdateSection,
} from '../../../src/libvirt/generated/libvirtConstants';
import { env, EventLog, removeLeftovers, sleep, UNDEFINE_ALL, uniqueName } from './testEnv';

/**
 * A /24 used by no network of this daemon and by no route of this machine: another daemon's
 * networks (the second test daemon's virbr9) are not listed here, and libvirt refuses to start a
 * network whose range a host route already covers ("Network is already in use by interface").
 */
async function freeSubnet(conn: Connection): Promise<string> {
  const used = new Set<string>();
  for (const n of await conn.connectListAllNetworks()) {
    const xml = await conn.networkGetXmlDesc(n);
    for (const m of xml.matchAll(/address='(\d+\.\d+\.\d+)\.\d+'/g)) used.add(m[1]!);
  }
  const routes = parseProcNetRoute(fs.readFileSync('/proc/net/route', 'utf8'));
  for (let i = 0; i < 100; i++) {
    const candidate = `192.168.${150 + crypto.randomInt(100)}`;
    const range = parseCidr(`${candidate}.0/24`);
    if (!used.has(candidate) && !routes.some((r) => overlaps(r, range))) return candidate;
  }
  throw new Error('no free 192.168.x.0/24 subnet');
}

describe('Connection: NAT network with DHCP over qemu:///system (integration)', function () {
  this.timeout(180000);
  let conn: Connection;
  let net: NetworkRef | undefined;
  let vm: DomainRef | undefined;

  before(async () => {
    conn = await Connection.open(env.uri);
    await removeLeftovers(conn);
  });

  after(async () => {
    if (!conn) return;
    if (vm) {
      await conn.domainDestroy(vm).catch(() => undefined);
      await conn.domainUndefine(vm, UNDEFINE_ALL).catch(() => undefined);
    }
    if (net) {
      await conn.networkDestroy(net).catch(() => undefined);
      await conn.networkUndefine(net).catch(() => undefined);
    }
    await conn.close();
  });

  it('defines and starts a network, runs its dnsmasq, leases an address to a network-booting guest, then removes it', async () => {
    const events = new EventLog<NetworkEvent>();
    const sub = conn.onNetworkEvent(events.push);
    await sub.ready;
    const name = uniqueName('net');
    const subnet = await freeSubnet(conn);
    const bridge = `vbic${crypto.randomBytes(3).toString('hex')}`;
    net = await conn.networkDefineXml(`<network>
  <name>${name}</name>
  <forward mode='nat'/>
  <bridge name='${bridge}' stp='on' delay='0'/>
  <ip address='${subnet}.1' netmask='255.255.255.0'>
    <dhcp><range start='${subnet}.100' end='${subnet}.200'/></dhcp>
  </ip>
</network>`);
    await events.waitFor((e) => e.net.name === name && e.event === VirNetworkEventLifecycleType.DEFINED, 'network DEFINED');
    assert.equal(await conn.networkIsActive(net), false);
    await conn.networkCreate(net);
    await events.waitFor((e) => e.net.name === name && e.event === VirNetworkEventLifecycleType.STARTED, 'network STARTED');
    assert.equal(await conn.networkIsActive(net), true);
    assert.deepEqual(await conn.networkLookupByName(name), net);
    assert.equal(await conn.networkGetAutostart(net), false);

    const pid = Number(fs.readFileSync(`/run/libvirt/network/${name}.pid`, 'utf8').trim());
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    assert.match(cmdline, /dnsmasq/, 'the network runs its own dnsmasq');
    assert.deepEqual(await conn.networkGetDhcpLeases(net), []);

    // networkUpdate: add a DHCP host entry to the live and persistent definition.
    const hostXml = `<host mac='52:54:00:aa:bb:cc' name='itest-host' ip='${subnet}.50'/>`;
    await conn.networkUpdate(net, VirNetworkUpdateCommand.ADD_LAST, VirNetworkUpdateSection.IP_DHCP_HOST, -1, hostXml, VirNetworkUpdateFlags.LIVE | VirNetworkUpdateFlags.CONFIG);
    assert.match(await conn.networkGetXmlDesc(net), /<host mac='52:54:00:aa:bb:cc' name='itest-host'/);
    await conn.networkSetAutostart(net, true);
    assert.equal(await conn.networkGetAutostart(net), true);
    await conn.networkSetAutostart(net, false);

    // SeaBIOS + iPXE asks this network's dnsmasq for an address.
    const mac = `52:54:00:${crypto.randomBytes(3).toString('hex').match(/../g)!.join(':')}`;
    vm = await conn.domainDefineXml(`<domain type='qemu'>
  <name>${uniqueName('pxe')}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <devices>
    <interface type='network'><source network='${name}'/><mac address='${mac}'/><model type='e1000'/></interface>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>`);
    vm = await conn.domainCreate(vm);
    let leases = await conn.networkGetDhcpLeases(net);
    for (let waited = 0; leases.length === 0 && waited < 90000; waited += 1000) {
      await sleep(1000);
      leases = await conn.networkGetDhcpLeases(net);
    }
    assert.equal(leases.length, 1, 'the guest got a lease');
    const lease = leases[0]!;
    assert.equal(lease.mac, mac);
    assert.equal(lease.iface, bridge);
    assert.ok(lease.ipaddr.startsWith(`${subnet}.`), lease.ipaddr);
    assert.equal(lease.prefix, 24);
    assert.ok(lease.expirytime > Date.now() / 1000);
    assert.deepEqual(await conn.networkGetDhcpLeases(net, mac), leases);
    const ifaces = await conn.domainInterfaceAddresses(vm, VirDomainInterfaceAddressesSource.LEASE);
    assert.equal(ifaces[0]?.hwaddr, mac);
    assert.equal(ifaces[0]?.addrs[0]?.addr, lease.ipaddr);

    await conn.domainDestroy(vm);
    await conn.domainUndefine(vm, UNDEFINE_ALL);
    vm = undefined;
    await conn.networkDestroy(net);
    await events.waitFor((e) => e.net.name === name && e.event === VirNetworkEventLifecycleType.STOPPED, 'network STOPPED');
    await conn.networkUndefine(net);
    await events.waitFor((e) => e.net.name === name && e.event === VirNetworkEventLifecycleType.UNDEFINED, 'network UNDEFINED');
    await assert.rejects(conn.networkLookupByName(name), isNoNetwork);
    net = undefined;

    // A transient network exists while it runs.
    const transient = uniqueName('tnet');
    net = await conn.networkCreateXml(`<network><name>${transient}</name><bridge name='vbit${bridge.slice(4)}'/></network>`);
    assert.equal(await conn.networkIsActive(net), true);
    await conn.networkDestroy(net);
    await assert.rejects(conn.networkLookupByName(transient), isNoNetwork);
    net = undefined;
    sub.dispose();
  });
});
