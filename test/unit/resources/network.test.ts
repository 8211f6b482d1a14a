import * as assert from 'node:assert/strict';
import { formatIpv6, makeCidr, overlaps, parseCidr, parseIpv6, parseProcNetRoute } from '../../../src/libvirt/resources/ipAddress';
import { buildNetworkXml, checkNetworkSpec, networkSummary, parseNetworkXml, suggestIpv4, suggestIpv6, type TakenRange } from '../../../src/libvirt/resources/network';

const DEFAULT_NET = `<network>
  <name>default</name>
  <uuid>9ad6a42b-4ea8-42f0-8cdb-1b1851498d5c</uuid>
  <forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
  </ip>
</network>`;

describe('resources: networks (unit)', () => {
  it('reads a network: forward mode, bridge, netmask as prefix, DHCP range', () => {
    const n = parseNetworkXml(DEFAULT_NET);
    assert.equal(n.forwardMode, 'nat');
    assert.equal(n.bridge, 'virbr0');
    assert.equal(n.ips[0]?.prefix, 24);
    assert.deepEqual(n.ips[0]?.dhcpRanges, [{ start: '192.168.122.2', end: '192.168.122.254' }]);
    assert.equal(networkSummary(n), 'nat · virbr0 · 192.168.122.0/24');
    assert.equal(parseNetworkXml('<network><name>iso</name></network>').forwardMode, 'isolated');
  });

  it('reads what a network offers a PXE boot: DHCP, a TFTP root, a bootp file and server', () => {
    const d = parseNetworkXml(DEFAULT_NET);
    assert.deepEqual([d.ips[0]?.dhcp, d.ips[0]?.tftpRoot, d.ips[0]?.bootp], [true, undefined, undefined]);
    const pxe = parseNetworkXml(`<network><name>pxe</name><ip address='10.9.0.1' prefix='24'><tftp root='/srv/tftp'/><dhcp><range start='10.9.0.2' end='10.9.0.9'/><bootp file='pxelinux.0' server='10.9.0.5'/></dhcp></ip></network>`);
    assert.deepEqual([pxe.ips[0]?.dhcp, pxe.ips[0]?.tftpRoot, pxe.ips[0]?.bootp], [true, '/srv/tftp', { file: 'pxelinux.0', server: '10.9.0.5' }]);
    const bare = parseNetworkXml(`<network><name>bare</name><ip address='10.8.0.1' prefix='24'/></network>`);
    assert.deepEqual([bare.ips[0]?.dhcp, bare.ips[0]?.tftpRoot, bare.ips[0]?.bootp], [false, undefined, undefined]);
  });

  it('handles IPv6 parsing, formatting and overlap', () => {
    assert.equal(formatIpv6(parseIpv6('fd00:0:0:1::1') ?? 0n), 'fd00:0:0:1::1');
    assert.equal(formatIpv6(parseIpv6('::1') ?? 0n), '::1');
    assert.equal(parseIpv6('1::2::3'), undefined);
    assert.ok(overlaps(parseCidr('fd00::/48'), parseCidr('fd00:0:0:5::/64')));
    assert.ok(!overlaps(parseCidr('fd00::/64'), parseCidr('fd01::/64')));
    assert.ok(!overlaps(parseCidr('10.0.0.0/8'), parseCidr('fd00::/8')));
  });

  it('suggests 192.168.100.0/24 first, then the first free /24', () => {
    assert.deepEqual(suggestIpv4([]), { address: '192.168.100.1', prefix: 24, dhcp: { start: '192.168.100.128', end: '192.168.100.254' } });
    const taken: TakenRange[] = [
      { cidr: parseCidr('192.168.100.0/24'), owner: 'network a' },
      { cidr: parseCidr('192.168.101.0/25'), owner: 'host route' },
    ];
    assert.equal(suggestIpv4(taken)?.address, '192.168.102.1');
    const v6 = suggestIpv6('net1', []);
    assert.ok(v6);
    assert.equal(checkNetworkSpec({ name: 'x', mode: 'isolated', ipv6: v6 }).errors.length, 0);
  });

  it('refuses an overlapping range, a DHCP range outside the subnet, a duplicate name and a bad MAC', () => {
    const taken: TakenRange[] = [{ cidr: parseCidr('192.168.122.0/24'), owner: 'network default' }];
    const overlap = checkNetworkSpec({ name: 'n', mode: 'nat', ipv4: { address: '192.168.122.1', prefix: 16 } }, [], taken);
    assert.match(overlap.errors[0]?.message ?? '', /overlaps 192\.168\.122\.0\/24 \(network default\)/);
    const outside = checkNetworkSpec({ name: 'n', mode: 'nat', ipv4: { address: '10.1.2.1', prefix: 24, dhcp: { start: '10.1.3.2', end: '10.1.2.254' } } });
    assert.match(outside.errors[0]?.message ?? '', /outside 10\.1\.2\.0\/24/);
    const reversed = checkNetworkSpec({ name: 'n', mode: 'nat', ipv4: { address: '10.1.2.1', prefix: 24, dhcp: { start: '10.1.2.200', end: '10.1.2.100' } } });
    assert.match(reversed.errors[0]?.message ?? '', /starts .* after it ends/);
    assert.equal(checkNetworkSpec({ name: 'default', mode: 'isolated' }, ['default']).errors[0]?.field, 'name');
    const mac = checkNetworkSpec({ name: 'n', mode: 'nat', ipv4: { address: '10.1.2.1', prefix: 24, hosts: [{ mac: 'zz', ip: '10.1.2.5' }] } });
    assert.equal(mac.errors[0]?.field, 'ipv4.hosts');
    assert.equal(checkNetworkSpec({ name: 'n', mode: 'nat', ipv4: { address: '10.1.2.0', prefix: 24 } }).errors[0]?.field, 'ipv4.address');
    assert.equal(checkNetworkSpec({ name: 'n', mode: 'nat' }).errors[0]?.field, 'ipv4');
  });

  it('builds NAT and isolated IPv6 network XML that reads back', () => {
    const nat = parseNetworkXml(
      buildNetworkXml({
        name: 'lab',
        mode: 'nat',
        domain: 'lab.test',
        ipv4: { address: '192.168.100.1', prefix: 24, dhcp: { start: '192.168.100.128', end: '192.168.100.254' }, hosts: [{ mac: '52:54:00:00:00:01', name: 'db', ip: '192.168.100.10' }] },
      }),
    );
    assert.equal(nat.forwardMode, 'nat');
    assert.equal(nat.domain, 'lab.test');
    assert.deepEqual(nat.ips[0]?.hosts, [{ mac: '52:54:00:00:00:01', name: 'db', ip: '192.168.100.10' }]);
    const iso = parseNetworkXml(buildNetworkXml({ name: 'v6', mode: 'isolated', ipv6: { address: 'fd12:3456:789a::1', prefix: 64 } }));
    assert.equal(iso.forwardMode, 'isolated');
    assert.equal(iso.ips[0]?.family, 'ipv6');
    assert.equal(iso.ips[0]?.prefix, 64);
  });

  it('reads host routes from /proc/net/route', () => {
    const text = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
    const routes = parseProcNetRoute(text);
    assert.equal(routes.length, 1);
    assert.deepEqual(routes[0], makeCidr('ipv4', 0xc0a80200n, 24));
  });
});
