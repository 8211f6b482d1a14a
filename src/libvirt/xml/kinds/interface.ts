// <interface> (formatdomain.rst "Network interfaces").

import { allocateMac, MAC_RE } from '../builders';
import { DEVICE_TABLE } from '../devices';
import { eq, field, opts, samples, samplesWith, str } from './define';
import type { DomainXml } from '../domainXml';
import { writeField } from '../fields';
import type { XmlElement } from '../xmlDocument';
import type { DeviceDescription } from './types';

const F = DEVICE_TABLE.interface.fields;
const BW = 'Average/peak in KiB/s, burst in KiB; empty for no limit.';

export const iface: DeviceDescription = {
  kind: 'interface',
  element: 'interface',
  name: 'Network interface',
  rank: 3,
  listed: true,
  fields: [
    field('type', 'Network source', 'How the NIC reaches the network: a libvirt virtual network, a host bridge, a host device (macvtap) or user-mode networking.', F.type, samplesWith({ sourceBridge: 'virbr0' }, 'bridge'), {
      options: opts(['network', 'Virtual network'], ['bridge', 'Bridge device'], ['direct', 'Host device (macvtap)'], ['user', 'User-mode networking'], ['ethernet', 'Generic ethernet'], ['vhostuser', 'vhost-user'], ['hostdev', 'PCI passthrough'], ['mcast', 'Multicast tunnel'], ['server', 'TCP server tunnel'], ['client', 'TCP client tunnel'], ['udp', 'UDP tunnel'], ['vdpa', 'vDPA'], ['null', 'Null'], ['vds', 'VDS']),
    }),
    field('sourceNetwork', 'Network', 'The libvirt virtual network.', F.sourceNetwork, samples('forms-net'), { when: eq('type', 'network') }),
    field('sourceBridge', 'Bridge', 'The host bridge device, e.g. br0.', F.sourceBridge, samplesWith({ type: 'bridge' }, 'br-forms'), { when: eq('type', 'bridge') }),
    field('sourceDev', 'Host device', 'The host interface macvtap attaches to.', F.sourceDev, samplesWith({ type: 'direct' }, 'eth9'), { when: eq('type', 'direct') }),
    field('sourceMode', 'Source mode', 'macvtap mode; "bridge" lets guests on the same device talk to each other.', F.sourceMode, samplesWith({ type: 'direct', sourceDev: 'eth9' }, 'vepa', 'private'), { when: eq('type', 'direct') }),
    field('mac', 'MAC address', 'The NIC\'s hardware address; unicast, six hex pairs like 52:54:00:12:34:56. It also identifies the NIC.', F.mac, samples('52:54:00:fa:ce:01'), {
      required: true,
      placeholder: '52:54:00:12:34:56',
      action: { id: 'generateMac', label: 'Generate New MAC', icon: 'refresh', run: (dom) => allocateMac(dom) },
    }),
    field('model', 'Device model', 'The NIC model the guest sees; VirtIO is fastest, e1000e for guests without VirtIO drivers.', F.model, samples('e1000e', 'rtl8139'), {
      widget: 'select',
      allowCustom: true,
      options: opts(['virtio', 'virtio'], ['e1000e', 'e1000e'], ['e1000', 'e1000'], ['rtl8139', 'rtl8139'], ['virtio-transitional', 'virtio-transitional'], ['virtio-non-transitional', 'virtio-non-transitional']),
    }),
    field('linkState', 'Link state', 'Whether the virtual cable is plugged in; changes apply to a running VM at once.', F.linkState, samples('down', 'up'), {
      options: opts(['up', 'Up'], ['down', 'Down']),
      apply: 'live',
    }),
    field('targetDev', 'Host tap name', 'Name of the tap device on the host; libvirt generates one when empty (names starting with vnet are reserved for that).', F.targetDev, samples('tap-forms0')),
    field('vlanTag', 'VLAN tag', 'The VLAN id for an Open vSwitch or SR-IOV connection.', F.vlanTag, samplesWith({ type: 'bridge', sourceBridge: 'br-forms' }, 42), { min: 0, max: 4095 }),
    field('inboundAverage', 'Inbound average', BW, F.inboundAverage, samples(1000), { min: 1 }),
    field('inboundPeak', 'Inbound peak', BW, F.inboundPeak, samplesWith({ inboundAverage: 1000 }, 2000), { min: 0 }),
    field('inboundBurst', 'Inbound burst', BW, F.inboundBurst, samplesWith({ inboundAverage: 1000 }, 512), { min: 0 }),
    field('outboundAverage', 'Outbound average', BW, F.outboundAverage, samples(1000), { min: 1 }),
    field('outboundPeak', 'Outbound peak', BW, F.outboundPeak, samplesWith({ outboundAverage: 1000 }, 2000), { min: 0 }),
    field('outboundBurst', 'Outbound burst', BW, F.outboundBurst, samplesWith({ outboundAverage: 1000 }, 512), { min: 0 }),
  ],
  identity: (v, el) => (v.mac !== undefined ? `interface:${str(v.mac).toLowerCase()}` : userAlias('interface', el.child('alias')?.attr('name'))),
  title: (v) => (v.mac !== undefined ? `NIC ${str(v.mac).slice(-9)}` : 'NIC'),
  describe: (v) => {
    const src = v.sourceNetwork ?? v.sourceBridge ?? v.sourceDev ?? '';
    return `${str(v.type)} ${str(src)}`.trim() + (v.model !== undefined ? ` · ${str(v.model)}` : '');
  },
  icon: () => 'plug',
  defaults: (dom) => ({ type: 'network', sourceNetwork: 'default', mac: allocateMac(dom), model: 'virtio' }),
  check: (v, el, dom) => {
    const mac = v.mac === undefined ? undefined : str(v.mac);
    if (mac === undefined) return [];
    const regenerate = { title: 'Generate a new MAC address', edit: (d: DomainXml, e: XmlElement) => writeField(d.doc, e, F.mac, allocateMac(d), 'mac') };
    if (!MAC_RE.test(mac)) return [{ field: 'mac', code: 'malformed-mac', message: `'${mac}' is not a MAC address (six hex pairs like 52:54:00:12:34:56)`, fix: regenerate }];
    if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return [{ field: 'mac', code: 'multicast-mac', message: `MAC address ${mac} is a multicast address; a NIC needs a unicast one`, fix: regenerate }];
    const first = dom.devicesOf('interface').find((i) => (i.get('mac') ?? '').toLowerCase() === mac.toLowerCase());
    if (first && first.element !== el) return [{ field: 'mac', code: 'duplicate-mac', message: `MAC address ${mac} is used by more than one interface`, fix: regenerate }];
    return [];
  },
};

/** A user-given alias (`ua-` prefix) identifies a device in both the live and inactive XML. */
export function userAlias(kind: string, alias: string | undefined): string {
  return alias?.startsWith('ua-') ? `${kind}:${alias}` : kind;
}
