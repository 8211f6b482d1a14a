// <interface> (formatdomain.rst "Network interfaces").

import { allocateMac, guestHasVirtio, isQ35, MAC_RE } from '../allocate';
import * as at from '../fields';
import { ADDRESS_FIELDS, eq, exempt, field, HOST_RESOURCE, isIn, opts, samples, samplesWith, str } from './define';
import { E1000, E1000E, RTL8139, VIRTIO_NET } from './osDevices';
import { pciSourceAccessor, readPciSource } from './pciSource';
import type { DomainXml } from '../domainXml';
import { writeField } from '../fields';
import type { XmlElement } from '../xmlDocument';
import type { CheckResult, DeviceDescription } from './types';

/** Where each value of the element lives (fields.ts); the fields below and DomainXml's typed views read through it. */
const F = {
  type: at.oneOf(['network', 'bridge', 'direct', 'user', 'ethernet', 'vhostuser', 'hostdev', 'mcast', 'server', 'client', 'udp', 'vdpa', 'null', 'vds'], '', 'type'),
  mac: at.str('mac', 'address'),
  sourceNetwork: at.str('source', 'network'),
  sourceBridge: at.str('source', 'bridge'),
  sourceDev: at.str('source', 'dev'),
  sourceMode: at.oneOf(['vepa', 'bridge', 'private', 'passthrough'], 'source', 'mode'),
  portgroup: at.str('source', 'portgroup'),
  virtualportType: at.oneOf(['openvswitch', '802.1Qbg', '802.1Qbh', 'midonet'], 'virtualport', 'type'),
  managed: at.yesNo('', 'managed'),
  model: at.str('model', 'type'),
  backendType: at.oneOf(['passt'], 'backend', 'type'),
  linkState: at.oneOf(['up', 'down'], 'link', 'state'),
  bootOrder: at.int('boot', 'order'),
  inboundAverage: at.int('bandwidth/inbound', 'average'),
  inboundPeak: at.int('bandwidth/inbound', 'peak'),
  inboundBurst: at.int('bandwidth/inbound', 'burst'),
  outboundAverage: at.int('bandwidth/outbound', 'average'),
  outboundPeak: at.int('bandwidth/outbound', 'peak'),
  outboundBurst: at.int('bandwidth/outbound', 'burst'),
  vlanTag: at.int('vlan/tag', 'id'),
  targetDev: at.str('target', 'dev'),
  ...ADDRESS_FIELDS,
};
const BW = 'Average/peak in KiB/s, burst in KiB; empty for no limit.';

export const iface: DeviceDescription<'interface', typeof F> = {
  kind: 'interface',
  element: 'interface',
  xml: F,
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
    field('sourceMode', 'Source mode', 'macvtap mode; "bridge" lets guests on the same device talk to each other, "passthrough" gives the guest the whole NIC.', F.sourceMode, samplesWith({ type: 'direct', sourceDev: 'eth9' }, 'vepa', 'private', 'passthrough', 'bridge'), {
      options: opts(['bridge', 'Bridge'], ['vepa', 'VEPA'], ['private', 'Private'], ['passthrough', 'Passthrough']),
      when: eq('type', 'direct'),
    }),
    field('portgroup', 'Port group', 'A port group of the virtual network (its VLAN, bandwidth and virtual port settings apply).', F.portgroup, samplesWith({ type: 'network', sourceNetwork: 'forms-net' }, 'forms-group'), { when: eq('type', 'network') }),
    field('virtualportType', 'Virtual port', 'Open vSwitch for a bridge managed by OVS; the 802.1Qbg/Qbh types for switches that need them.', F.virtualportType, samplesWith({ type: 'bridge', sourceBridge: 'br-forms' }, 'openvswitch'), {
      options: opts(['openvswitch', 'Open vSwitch'], ['802.1Qbg', '802.1Qbg'], ['802.1Qbh', '802.1Qbh'], ['midonet', 'MidoNet']),
      when: isIn('type', ['bridge', 'network', 'direct']),
    }),
    field('backendType', 'Backend', 'User-mode networking through QEMU\'s own stack (default) or passt, which performs better (session connections).', F.backendType, exempt('libvirt 9.0 (Debian 12) does not know the passt backend yet'), {
      // Not set: QEMU's own user-mode stack (slirp).
      options: opts(['passt', 'passt']),
      when: eq('type', 'user'),
    }),
    // An SR-IOV virtual function given to the guest as its NIC (formatdomain.rst "PCI Passthrough"):
    // libvirt sets the VF's MAC and VLAN on the host before handing it over.
    field('hostdevAddress', 'Virtual function', 'The SR-IOV virtual function (VF) of a host NIC that the guest drives directly; VFs other VMs use are marked.', pciSourceAccessor({ withType: true, label: 'Virtual function' }), exempt(`${HOST_RESOURCE}: an SR-IOV virtual function`), {
      widget: 'select',
      allowCustom: true,
      optionsFrom: { list: 'sriovVfs' },
      placeholder: '0000:02:10.0',
      required: true,
      when: eq('type', 'hostdev'),
    }),
    field('managed', 'Managed', 'libvirt detaches the VF from its host driver when the VM starts and gives it back when it stops.', F.managed, exempt(`${HOST_RESOURCE}: an SR-IOV virtual function`), { when: eq('type', 'hostdev') }),
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
    const src = v.sourceNetwork ?? v.sourceBridge ?? v.sourceDev ?? v.hostdevAddress ?? '';
    return `${str(v.type)} ${str(src)}`.trim() + (v.model !== undefined ? ` · ${str(v.model)}` : '');
  },
  icon: () => 'plug',
  defaults: (dom) => ({ type: 'network', sourceNetwork: 'default', mac: allocateMac(dom), model: guestHasVirtio(dom) ? 'virtio' : 'e1000e' }),
  add: {
    label: 'Network',
    icon: 'plug',
    order: 3,
    omit: ['targetDev'],
    // VirtIO when the OS has the driver, else the Intel or Realtek NIC it lists; an OS that lists
    // none of them gets virt-manager's fallback: e1000e on q35, e1000 on i440fx.
    osModels: [
      {
        field: 'model',
        prefer: [{ value: 'virtio', devices: VIRTIO_NET }, { value: 'e1000e', devices: E1000E }, { value: 'e1000', devices: E1000 }, { value: 'rtl8139', devices: RTL8139 }],
        otherwise: (dom) => (isQ35(dom) ? 'e1000e' : 'e1000'),
      },
    ],
    overrides: {
      type: { options: opts(['network', 'Virtual network'], ['bridge', 'Bridge device'], ['direct', 'Host device (macvtap)'], ['user', 'User-mode networking (session)'], ['hostdev', 'SR-IOV virtual function']) },
      sourceNetwork: { widget: 'select', allowCustom: true, optionsFrom: { list: 'networks' } },
      sourceBridge: { widget: 'select', allowCustom: true, optionsFrom: { list: 'hostInterfaces' } },
      sourceDev: { widget: 'select', allowCustom: true, optionsFrom: { list: 'hostInterfaces' } },
    },
    // An SR-IOV VF is managed by default, as a PCI host device is (libvirt detaches it from igbvf).
    derive: (_dom, v, changed) => (changed === 'type' && v.type === 'hostdev' && v.managed === undefined ? { managed: true } : {}),
    complete: (_dom, v) => (v.type === 'hostdev' && v.managed === undefined ? { managed: true } : {}),
    // A MAC another VM on the host uses would clash on a shared network; a VF another VM has
    // (as a NIC or as a PCI host device) can only be in one running VM.
    hostCheck: async (host, v) => {
      const mac = str(v.mac).toLowerCase();
      const vf = v.type === 'hostdev' ? str(v.hostdevAddress).toLowerCase() : '';
      if (!MAC_RE.test(mac) && vf === '') return [];
      const others = await host.otherDomains();
      const users = MAC_RE.test(mac) ? others.filter((d) => d.devicesOf('interface').some((i) => (i.get('mac') ?? '').toLowerCase() === mac)) : [];
      const vfUsers = vf === '' ? [] : others.filter((d) => [...d.devicesOf('interface'), ...d.devicesOf('hostdev')].some((x) => readPciSource(x.element.find(['source', 'address'])) === vf));
      return [
        ...users.map((d): CheckResult => ({ field: 'mac', code: 'mac-used-on-host', message: `MAC address ${mac} is used by VM ${d.get('name') ?? '?'} on this host.` })),
        ...vfUsers.map((d): CheckResult => ({ field: 'hostdevAddress', code: 'vf-used-on-host', severity: 'warning', message: `Virtual function ${vf} is assigned to VM ${d.get('name') ?? '?'} too: only one of them can run with it.` })),
      ];
    },
  },
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
