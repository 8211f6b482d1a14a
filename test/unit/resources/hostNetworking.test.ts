import * as assert from 'node:assert/strict';
import { hostInterfaceSummary, joinHostInterfaces, missingHostInterfaces, parseInterfaceXml, parseNetNodeDeviceXml, parsePciNetDeviceXml } from '../../../src/libvirt/resources/hostInterface';
import { helpForError } from '../../../src/ui/errorHelp';
import { buildNetworkXml, checkNetworkSpec, parseNetworkXml, type NetworkSpec } from '../../../src/libvirt/resources/network';
import { checkNetworkEntry, entryXml } from '../../../src/libvirt/resources/networkUpdate';
import { buildSecretXml, checkSecretSpec, parseSecretXml, secretValueBytes, secretVmUsers } from '../../../src/libvirt/resources/secret';
import { buildVolumeXml, checkVolumeSpec, parseVolumeXml } from '../../../src/libvirt/resources/volume';
import { parseDomainUsage, portGroupUsers } from '../../../src/libvirt/resources/domainUsage';
import { networkStartAdvice } from '../../../src/libvirt/resources/networkStart';

const messages = (spec: NetworkSpec): string[] => checkNetworkSpec(spec).errors.map((e) => e.message);

describe('host networking specs (unit)', () => {
  it('builds each forward mode and reads it back', () => {
    const br = parseNetworkXml(buildNetworkXml({ name: 'br', mode: 'bridge', bridge: 'br0' }));
    assert.deepEqual([br.forwardMode, br.bridge, br.virtualPort], ['bridge', 'br0', undefined]);
    const ovs = parseNetworkXml(buildNetworkXml({ name: 'ovs', mode: 'bridge', bridge: 'ovsbr0', openvswitch: true, portGroups: [{ name: 'trunk', vlanTags: [10, 20] }] }));
    assert.equal(ovs.virtualPort, 'openvswitch');
    assert.deepEqual(ovs.portGroups, [{ name: 'trunk', isDefault: false, vlanTags: [10, 20] }]);
    assert.match(buildNetworkXml({ name: 'ovs', mode: 'bridge', bridge: 'ovsbr0', openvswitch: true, portGroups: [{ name: 'trunk', vlanTags: [10, 20] }] }), /<vlan trunk="yes">/);
    const mv = parseNetworkXml(buildNetworkXml({ name: 'mv', mode: 'macvtap', macvtapMode: 'vepa', interfaces: ['eth0', 'eth1'] }));
    assert.deepEqual([mv.forwardMode, mv.forwardInterfaces, mv.bridge], ['vepa', ['eth0', 'eth1'], undefined]);
    const hd = parseNetworkXml(buildNetworkXml({ name: 'hd', mode: 'hostdev', pf: 'enp2s0f0' }));
    assert.deepEqual([hd.forwardMode, hd.pf], ['hostdev', 'enp2s0f0']);
    const q = parseNetworkXml(buildNetworkXml({ name: 'q', mode: 'isolated', bandwidth: { inbound: { average: 1000, peak: 2000, burst: 512, floor: 100 }, outbound: { average: 10 } } }));
    assert.deepEqual(q.bandwidth, { inbound: { average: 1000, peak: 2000, burst: 512, floor: 100 }, outbound: { average: 10 } });
  });

  it('refuses what libvirt refuses, with the field named', () => {
    assert.match(messages({ name: 'x', mode: 'bridge' }).join(), /existing host bridge/);
    assert.match(messages({ name: 'x', mode: 'macvtap', interfaces: [] }).join(), /at least one host NIC/);
    assert.match(messages({ name: 'x', mode: 'macvtap', interfaces: ['eth0', 'eth0'] }).join(), /listed twice/);
    assert.match(messages({ name: 'x', mode: 'hostdev' }).join(), /physical function/);
    assert.match(messages({ name: 'x', mode: 'bridge', bridge: 'br0', ipv4: { address: '10.0.0.1', prefix: 24 } }).join(), /no addresses of its own/);
    assert.match(messages({ name: 'x', mode: 'bridge', bridge: 'br0', portGroups: [{ name: 'v', vlanTags: [5] }] }).join(), /VLAN tags need/);
    assert.deepEqual(messages({ name: 'x', mode: 'macvtap', macvtapMode: 'passthrough', interfaces: ['eth0'], portGroups: [{ name: 'v', vlanTags: [5] }] }), []);
    assert.match(messages({ name: 'x', mode: 'hostdev', pf: 'eth0', portGroups: [{ name: 'v', vlanTags: [5, 6] }] }).join(), /trunk/);
    assert.match(messages({ name: 'x', mode: 'hostdev', pf: 'eth0', bandwidth: { inbound: { average: 1 } } }).join(), /QoS is not supported on a hostdev/);
    assert.match(messages({ name: 'x', mode: 'macvtap', macvtapMode: 'private', interfaces: ['eth0'], bandwidth: { inbound: { average: 1 } } }).join(), /macvtap private/);
    assert.match(messages({ name: 'x', mode: 'isolated', bandwidth: { outbound: { average: 5, floor: 1 } } }).join(), /inbound traffic only/);
    assert.match(messages({ name: 'x', mode: 'isolated', bandwidth: { inbound: { peak: 5 } } }).join(), /need an average/);
    assert.match(messages({ name: 'x', mode: 'isolated', bandwidth: { inbound: { average: 10, peak: 5 } } }).join(), /below the average/);
    assert.match(messages({ name: 'x', mode: 'isolated', portGroups: [{ name: 'a', isDefault: true }, { name: 'b', isDefault: true }] }).join(), /Only one port group/);
    assert.match(messages({ name: 'x', mode: 'hostdev', pf: 'eth0', portGroups: [{ name: 'v', vlanTags: [4096] }] }).join(), /0 to 4095/);
  });

  it('makes network-update XML and checks entries against the network', () => {
    const net = parseNetworkXml(`<network><name>n</name><ip address='10.1.2.1' prefix='24'><dhcp><host mac='52:54:00:00:00:01' ip='10.1.2.5'/></dhcp></ip><dns><txt name='a' value='b'/></dns></network>`);
    assert.equal(entryXml({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:02', name: 'web', ip: '10.1.2.6' } }), '<host mac="52:54:00:00:00:02" name="web" ip="10.1.2.6"/>');
    assert.equal(entryXml({ section: 'dnsHost', host: { ip: '10.1.2.7', hostnames: ['a', 'b<'] } }), '<host ip="10.1.2.7"><hostname>a</hostname><hostname>b&lt;</hostname></host>');
    assert.equal(entryXml({ section: 'dnsSrv', srv: { service: 'ldap', protocol: 'tcp', target: 'x', port: 389 } }), '<srv service="ldap" protocol="tcp" target="x" port="389"/>');
    const errs = (e: Parameters<typeof checkNetworkEntry>[2], a: 'add' | 'delete' | 'modify' = 'add'): string => checkNetworkEntry(net, a, e).map((x) => x.message).join();
    assert.equal(errs({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:02', ip: '10.1.2.6' } }), '');
    assert.match(errs({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:02', ip: '10.1.2.5' } }), /already given/);
    assert.match(errs({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:01', ip: '10.1.2.9' } }), /already has the address/);
    assert.match(errs({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:02', ip: '10.9.2.6' } }), /none of/);
    assert.match(errs({ section: 'dhcpHost', host: { ip: '10.1.2.6' } }), /needs a MAC/);
    assert.match(errs({ section: 'dhcpHost', host: { mac: '52:54:00:00:00:09', ip: '10.1.2.99' } }, 'delete'), /no static host/);
    assert.match(errs({ section: 'dnsTxt', txt: { name: 'a', value: 'c' } }), /already has a TXT/);
    assert.match(errs({ section: 'dnsSrv', srv: { service: 'ldap', protocol: 'sctp' } }), /tcp or udp/);
    assert.match(errs({ section: 'portGroup', group: { name: 'nope' } }, 'delete'), /no port group/);
    // A change finds the host by its MAC; its new address may be its own but no other host's.
    const two = parseNetworkXml(`<network><name>n</name><ip address='10.1.2.1' prefix='24'><dhcp><host mac='52:54:00:00:00:01' ip='10.1.2.5'/><host mac='52:54:00:00:00:02' ip='10.1.2.6'/></dhcp></ip></network>`);
    const change = (h: { mac?: string; ip: string; name?: string }): string => checkNetworkEntry(two, 'modify', { section: 'dhcpHost', host: h }).map((x) => x.message).join();
    assert.equal(change({ mac: '52:54:00:00:00:01', ip: '10.1.2.5', name: 'renamed' }), '');
    assert.equal(change({ mac: '52:54:00:00:00:01', ip: '10.1.2.7' }), '');
    assert.match(change({ mac: '52:54:00:00:00:01', ip: '10.1.2.6' }), /10\.1\.2\.6 is already given to 52:54:00:00:00:02/);
    assert.match(change({ mac: '52:54:00:00:00:01', ip: '10.9.9.9' }), /none of/);
  });

  it('adds what to do to the network start failures libvirt 9.0 reports, and nothing to others', () => {
    const hd = parseNetworkXml(buildNetworkXml({ name: 'hd', mode: 'hostdev', pf: 'enp2s0f0' }));
    assert.match(networkStartAdvice(hd, "internal error: No usable Vf's present on SRIOV PF enp2s0f0") ?? '', /\/sys\/class\/net\/enp2s0f0\/device\/sriov_numvfs/);
    const q = parseNetworkXml(buildNetworkXml({ name: 'q', mode: 'isolated', bandwidth: { inbound: { average: 1000 } } }));
    const tc = 'internal error: Child process (tc qdisc add dev virbr5 parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.';
    assert.match(networkStartAdvice(q, tc) ?? '', /sch_sfq/);
    assert.match(networkStartAdvice(q, tc) ?? '', /^The host's kernel cannot apply the network's QoS: .*\(Set Network QoS with empty values\)\.$/);
    assert.match(networkStartAdvice(undefined, 'internal error: Network is already in use by interface virbr0') ?? '', /overlaps the addresses of virbr0/);
    assert.match(networkStartAdvice(undefined, "internal error: bridge name 'virbr3' already in use.") ?? '', /bridge virbr3/);
    assert.match(networkStartAdvice(undefined, "Cannot check dnsmasq binary /usr/sbin/dnsmasq: Unable to find 'dnsmasq' binary in $PATH") ?? '', /dnsmasq-base/);
    assert.equal(networkStartAdvice(hd, 'operation failed: network is already active'), undefined);
  });

  it('names the VMs on a port group from their interfaces', () => {
    const dom = { name: 'vm1', uuid: '11111111-2222-3333-4444-555555555555', id: -1 };
    const u = parseDomainUsage(
      dom,
      `<domain type='qemu'><name>vm1</name><devices><interface type='network'><source network='ovs' portgroup='v42'/></interface><interface type='network'><source network='other' portgroup='v42'/></interface><interface type='network'><source network='ovs'/></interface></devices></domain>`,
    );
    assert.deepEqual(u.portGroups, [{ network: 'ovs', portGroup: 'v42' }, { network: 'other', portGroup: 'v42' }]);
    assert.deepEqual(portGroupUsers([u], 'ovs', 'v42').map((x) => x.dom.name), ['vm1']);
    assert.deepEqual(portGroupUsers([u], 'ovs', 'v43'), []);
  });
});

// Node device XML in libvirt's documented format (docs/formatnode.rst): an SR-IOV PF with VFs.
const PF_PCI = `<device><name>pci_0000_02_00_0</name><parent>pci_0000_00_04_0</parent><driver><name>igb</name></driver>
<capability type='pci'><class>0x020000</class><domain>0</domain><bus>2</bus><slot>0</slot><function>0</function>
<product id='0x10c9'>82576 Gigabit Network Connection</product><vendor id='0x8086'>Intel Corporation</vendor>
<capability type='virt_functions' maxCount='7'>
<address domain='0x0000' bus='0x02' slot='0x10' function='0x0'/><address domain='0x0000' bus='0x02' slot='0x10' function='0x2'/>
</capability></capability></device>`;
const VF_PCI = `<device><name>pci_0000_02_10_0</name><capability type='pci'><domain>0</domain><bus>2</bus><slot>16</slot><function>0</function>
<capability type='phys_function'><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></capability></capability></device>`;
const PF_NET = `<device><name>net_eth3_00_1b_21_aa_bb_cc</name><parent>pci_0000_02_00_0</parent><capability type='net'><interface>eth3</interface>
<address>00:1b:21:aa:bb:cc</address><link speed='1000' state='up'/><capability type='80203'/></capability></device>`;

describe('host interfaces from node devices (unit)', () => {
  it('reads an SR-IOV PF and VF and counts free VFs', () => {
    const pf = parsePciNetDeviceXml(PF_PCI);
    assert.equal(pf?.virtualFunctions?.length, 2);
    assert.equal(pf?.maxVirtualFunctions, 7);
    assert.deepEqual(parsePciNetDeviceXml(VF_PCI)?.physicalFunction, { domain: 0, bus: 2, slot: 0, function: 0 });
    const net = parseNetNodeDeviceXml(PF_NET);
    assert.deepEqual(net, { name: 'net_eth3_00_1b_21_aa_bb_cc', parent: 'pci_0000_02_00_0', iface: 'eth3', mac: '00:1b:21:aa:bb:cc', linkState: 'up', speed: 1000 });
    const pool = parseNetworkXml(buildNetworkXml({ name: 'sriov', mode: 'hostdev', pf: 'eth3' }));
    const usage = parseDomainUsage(
      { name: 'vm1', uuid: '00000000-0000-0000-0000-000000000001', id: 3 },
      `<domain type='qemu'><name>vm1</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x02' slot='0x10' function='0x2'/></source></hostdev><interface type='network'><source network='sriov'/></interface></devices></domain>`,
    );
    const [h] = joinHostInterfaces({ netDevices: [net ?? assert.fail()], pciDevices: [pf ?? assert.fail()], definitions: [] }, [pool], [usage]);
    assert.deepEqual(h?.sriov, {
      total: 2,
      used: 1,
      max: 7,
      vfs: [{ address: { domain: 0, bus: 2, slot: 16, function: 0 } }, { address: { domain: 0, bus: 2, slot: 16, function: 2 }, vm: 'vm1' }],
    });
    assert.deepEqual([h?.kind, h?.networks, h?.vms], ['nic', ['sriov'], ['vm1']]);
    assert.match(hostInterfaceSummary(h ?? assert.fail()), /SR-IOV 1\/2 VFs free \(max 7\)/);
  });

  it('marks bridges and their ports from the interface driver', () => {
    const def = parseInterfaceXml(`<interface type='bridge' name='br0'><bridge stp='off'><interface type='ethernet' name='eth0'/></bridge></interface>`);
    const list = joinHostInterfaces({ netDevices: [], pciDevices: [], definitions: [def, { name: 'eth0', type: 'ethernet', ports: [] }] }, [parseNetworkXml(buildNetworkXml({ name: 'lan', mode: 'bridge', bridge: 'br0' }))], []);
    assert.deepEqual(list.map((h) => [h.iface, h.kind, h.bridge, h.ports, h.networks]), [['br0', 'bridge', undefined, ['eth0'], ['lan']], ['eth0', 'nic', 'br0', [], []]]);
  });
});

describe('bridges and NICs missing on the host (unit)', () => {
  const lan = parseNetworkXml(buildNetworkXml({ name: 'lan', mode: 'bridge', bridge: 'br0' }));
  const mv = parseNetworkXml(buildNetworkXml({ name: 'mv', mode: 'macvtap', macvtapMode: 'bridge', interfaces: ['eth1', 'eth2'] }));
  const vmOnLan = parseDomainUsage({ name: 'a', uuid: '00000000-0000-0000-0000-00000000000a', id: -1 }, `<domain type='qemu'><name>a</name><devices><interface type='network'><source network='lan'/></interface></devices></domain>`);
  const vmDirect = parseDomainUsage(
    { name: 'b', uuid: '00000000-0000-0000-0000-00000000000b', id: -1 },
    `<domain type='qemu'><name>b</name><devices><interface type='bridge'><source bridge='br9'/></interface><interface type='direct'><source dev='eth2' mode='vepa'/></interface><interface type='bridge'><source network='lan' bridge='br0'/></interface></devices></domain>`,
  );

  it('reads the bridges and NICs a VM attaches to directly, not those a network puts it on', () => {
    assert.deepEqual(vmDirect.hostInterfaces, ['br9', 'eth2']);
    assert.deepEqual(vmOnLan.hostInterfaces, []);
  });

  it('names each missing interface with the networks over it and the VMs that cannot start', () => {
    assert.deepEqual(missingHostInterfaces(new Set(['eth1', 'lo']), [lan, mv], [vmOnLan, vmDirect]), [
      { iface: 'br0', networks: ['lan'], vms: ['a', 'b'] },
      { iface: 'br9', networks: [], vms: ['b'] },
      { iface: 'eth2', networks: ['mv'], vms: ['b'] },
    ]);
    assert.deepEqual(missingHostInterfaces(new Set(['br0', 'br9', 'eth1', 'eth2']), [lan, mv], [vmOnLan, vmDirect]), []);
  });

  it('leaves Open vSwitch bridges unchecked: libvirt’s interface driver does not list them', () => {
    const ovs = parseNetworkXml(buildNetworkXml({ name: 'ovs', mode: 'bridge', bridge: 'ovsbr0', openvswitch: true }));
    const vm = parseDomainUsage(
      { name: 'c', uuid: '00000000-0000-0000-0000-00000000000c', id: -1 },
      `<domain type='qemu'><name>c</name><devices><interface type='bridge'><source bridge='ovsbr1'/><virtualport type='openvswitch'/></interface></devices></domain>`,
    );
    assert.deepEqual(vm.hostInterfaces, []);
    assert.deepEqual(missingHostInterfaces(new Set(), [ovs], [vm]), []);
  });

  it('lists missing interfaces in the Host Interfaces view only when the interface driver answered', () => {
    const facts = { netDevices: [], pciDevices: [], definitions: [{ name: 'eth1', type: 'ethernet', ports: [] }] };
    const withDriver = joinHostInterfaces({ ...facts, interfaceNames: ['eth1'] }, [lan], [vmOnLan]);
    assert.deepEqual(withDriver.map((h) => [h.iface, h.kind, h.networks, h.vms]), [['br0', 'missing', ['lan'], ['a']], ['eth1', 'nic', [], []]]);
    assert.equal(hostInterfaceSummary(withDriver[0] ?? assert.fail()), 'missing on this host · networks lan · VMs a');
    assert.deepEqual(joinHostInterfaces(facts, [lan], [vmOnLan]).map((h) => h.kind), ['nic']);
  });

  it('sends libvirt’s “Cannot get interface MTU” to the guide’s section', () => {
    assert.equal(helpForError(new Error("Cannot get interface MTU on 'br0': No such device"))?.section, 'a-host-bridge-or-nic-is-missing');
  });
});

describe('secrets and LUKS volumes (unit)', () => {
  it('builds secret XML without any value and reads it back', () => {
    const xml = buildSecretXml({ usage: 'volume', usageId: '/var/lib/libvirt/images/a.qcow2', description: 'a & b' });
    assert.deepEqual(parseSecretXml(xml), { uuid: '', description: 'a & b', ephemeral: false, private: true, usage: 'volume', usageId: '/var/lib/libvirt/images/a.qcow2' });
    assert.match(checkSecretSpec({ usage: 'volume', usageId: 'rel/path' }).errors[0]?.message ?? '', /absolute path/);
    assert.match(checkSecretSpec({ usage: 'ceph' }).errors[0]?.message ?? '', /usage name/);
    assert.match(checkSecretSpec({ usage: 'ceph', usageId: 'c' }, [{ uuid: 'u', ephemeral: false, private: true, usage: 'ceph', usageId: 'c' }]).errors[0]?.message ?? '', /already used/);
  });

  it('turns a typed value into bytes without echoing it in errors', () => {
    assert.deepEqual([...secretValueBytes('passphrase', 'é')], [0xc3, 0xa9]);
    assert.deepEqual([...secretValueBytes('base64', 'AQID')], [1, 2, 3]);
    assert.throws(() => secretValueBytes('base64', 'not base64!'), (e: unknown) => e instanceof Error && !e.message.includes('not base64!'));
    assert.throws(() => secretValueBytes('passphrase', ''), /empty/);
  });

  it('builds a LUKS volume and names its users', () => {
    const uuid = '11111111-2222-3333-4444-555555555555';
    const vol = parseVolumeXml(buildVolumeXml({ name: 'e.qcow2', format: 'qcow2', capacity: 1024, luksSecretUuid: uuid }).replace('<target>', '<target><path>/p/e.qcow2</path>'));
    assert.deepEqual(vol.encryption, { format: 'luks', secretUuid: uuid });
    assert.match(checkVolumeSpec({ name: 'e', format: 'vmdk', capacity: 1, luksSecretUuid: uuid }).errors[0]?.message ?? '', /qcow2 or raw/);
    const usage = parseDomainUsage(
      { name: 'vm', uuid: '00000000-0000-0000-0000-000000000002', id: -1 },
      `<domain type='qemu'><name>vm</name><devices><disk type='file' device='disk'><source file='/p/e.qcow2'><encryption format='luks'><secret type='passphrase' uuid='${uuid}'/></encryption></source><target dev='vda'/></disk></devices></domain>`,
    );
    assert.deepEqual(usage.secrets, [uuid]);
    assert.deepEqual(secretVmUsers([usage], { uuid, ephemeral: false, private: true, usage: 'volume', usageId: '/p/e.qcow2' }), [{ name: 'vm', running: false }]);
  });
});
