import * as assert from 'node:assert/strict';
import type { Connection, NetworkRef } from '../../../src/libvirt/connection';
import { VirIPAddrType } from '../../../src/libvirt/generated/libvirtConstants';
import { loadDomainUsages, networkUsers } from '../../../src/libvirt/resources/domainUsage';
import { createNetwork, takenRanges } from '../../../src/libvirt/resources/operations';
import { parseNetworkXml, suggestIpv4, suggestIpv6 } from '../../../src/libvirt/resources/network';
import { ResourceInputError } from '../../../src/libvirt/resources/validation';
import { openConnection, removeLeftovers, sleep, uniqueName } from './resourceEnv';

describe('resources: virtual networks on the real daemon (integration)', function () {
  this.timeout(180000);
  let conn: Connection;
  const created: NetworkRef[] = [];
  let vmName: string | undefined;

  before(async () => {
    conn = await openConnection();
    await removeLeftovers(conn);
  });

  after(async () => {
    if (vmName) {
      const d = await conn.domainLookupByName(vmName).catch(() => undefined);
      if (d) {
        await conn.domainDestroy(d).catch(() => undefined);
        await conn.domainUndefine(d).catch(() => undefined);
      }
    }
    for (const n of created) {
      await conn.networkDestroy(n).catch(() => undefined);
      await conn.networkUndefine(n).catch(() => undefined);
    }
    await conn.close();
  });

  it('refuses a range overlapping an existing network before calling libvirt', async () => {
    const { taken } = await takenRanges(conn);
    const first = taken[0];
    assert.ok(first, 'the default network should exist');
    const name = uniqueName('ovl');
    const v4 = first.cidr.family === 'ipv4' ? first.cidr : undefined;
    assert.ok(v4);
    const addr = Number(v4.network & 0xffffffffn) + 1;
    const address = [24, 16, 8, 0].map((s) => (addr >>> s) & 255).join('.');
    await assert.rejects(createNetwork(conn, { name, mode: 'nat', ipv4: { address, prefix: 24 } }), (e: unknown) => ResourceInputError.is(e) && /overlaps/.test(e.message));
    assert.ok(!(await conn.connectListAllNetworks()).some((n) => n.name === name));
  });

  it('creates a NAT network with DHCP and a network-booting VM gets a lease', async () => {
    const { taken } = await takenRanges(conn);
    const ipv4 = suggestIpv4(taken);
    assert.ok(ipv4);
    const name = uniqueName('nat');
    const net = await createNetwork(conn, { name, mode: 'nat', domain: 'rtest.lan', ipv4 });
    created.push(net);
    assert.ok(await conn.networkIsActive(net));
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net));
    assert.equal(desc.forwardMode, 'nat');
    assert.equal(desc.ips[0]?.address, ipv4.address);
    assert.ok(desc.bridge);

    vmName = uniqueName('pxe');
    const mac = '52:54:00:7e:57:01';
    const dom = await conn.domainDefineXml(`<domain type='qemu'>
  <name>${vmName}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <devices>
    <interface type='network'><source network='${name}'/><mac address='${mac}'/><model type='e1000'/></interface>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>`);
    const users = networkUsers(await loadDomainUsages(conn), name);
    assert.deepEqual(users.map((u) => u.dom.name), [vmName]);
    await conn.domainCreate(dom);
    let lease: Awaited<ReturnType<Connection['networkGetDhcpLeases']>>[number] | undefined;
    for (let i = 0; i < 90 && !lease; i++) {
      lease = (await conn.networkGetDhcpLeases(net)).find((l) => l.mac === mac);
      if (!lease) await sleep(1000);
    }
    assert.ok(lease, 'no DHCP lease within 90 s');
    assert.equal(lease.type, VirIPAddrType.IPV4);
    assert.ok(lease.ipaddr.startsWith(ipv4.address.split('.').slice(0, 3).join('.') + '.'));
  });

  it('creates an isolated IPv6 network and undoes the define when start fails', async () => {
    const name = uniqueName('v6');
    const { taken } = await takenRanges(conn);
    const ipv6 = suggestIpv6(name, taken);
    assert.ok(ipv6);
    const net = await createNetwork(conn, { name, mode: 'isolated', ipv6 });
    created.push(net);
    const desc = parseNetworkXml(await conn.networkGetXmlDesc(net));
    assert.equal(desc.forwardMode, 'isolated');
    assert.equal(desc.ips[0]?.family, 'ipv6');
    assert.ok(await conn.networkIsActive(net));

    // Same bridge as the running network: define succeeds, start fails, the definition is undone.
    const clash = uniqueName('clash');
    await assert.rejects(createNetwork(conn, { name: clash, mode: 'isolated', bridge: desc.bridge }));
    assert.ok(!(await conn.connectListAllNetworks()).some((n) => n.name === clash));
  });
});
