// The host's network interfaces (NICs and bridges), for the host side of networking: libvirt's
// node devices with the `net` capability (formatnode.rst), the PCI device behind each NIC with its
// SR-IOV physical/virtual functions, and libvirt's interface driver (formatnode's sibling,
// formatinterface) for which interfaces are bridges and which ports they have. Each interface is
// marked with the networks and VMs that use it.

import type { Connection } from '../connection';
import type { DomainUsage } from './domainUsage';
import { formatPciAddress, samePciAddress, type PciAddress } from './hostDevice';
import { checkableHostInterfaces, networkHostInterfaces, type NetworkDescription } from './network';
import { attr, child, children, parseXmlElement, textOf, type XmlElement } from './xmlElement';
import { compareNatural } from '../naturalOrder';

/** The `net` capability of a node device. */
export interface NetNodeDevice {
  readonly name: string;
  readonly parent?: string;
  readonly iface: string;
  readonly mac?: string;
  readonly linkState?: string;
  /** Mbit/s; undefined when the kernel reports none (virtual NICs report 4294967295). */
  readonly speed?: number;
}

export interface SriovInfo {
  /** This PCI device is a physical function: its VFs now, and the most it can have. */
  readonly virtualFunctions?: readonly PciAddress[];
  readonly maxVirtualFunctions?: number;
  /** This PCI device is a virtual function of that PF. */
  readonly physicalFunction?: PciAddress;
}

export interface PciNetDevice extends SriovInfo {
  readonly name: string;
  readonly address: PciAddress;
  readonly driver?: string;
  readonly product?: string;
  readonly vendor?: string;
}

function int(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const t = s.trim().toLowerCase();
  const n = t.startsWith('0x') ? parseInt(t.slice(2), 16) : Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function addressOf(el: XmlElement): PciAddress {
  return { domain: int(el.attrs['domain']) ?? 0, bus: int(el.attrs['bus']) ?? 0, slot: int(el.attrs['slot']) ?? 0, function: int(el.attrs['function']) ?? 0 };
}

/** A node device XML with a `net` capability, else undefined. */
export function parseNetNodeDeviceXml(xml: string): NetNodeDevice | undefined {
  const root = parseXmlElement(xml);
  const cap = children(root, 'capability').find((c) => c.attrs['type'] === 'net');
  const iface = textOf(cap, 'interface');
  if (!cap || iface === undefined) return undefined;
  const speed = int(attr(child(cap, 'link'), 'speed'));
  return {
    name: textOf(root, 'name') ?? '',
    parent: textOf(root, 'parent'),
    iface,
    mac: textOf(cap, 'address'),
    linkState: attr(child(cap, 'link'), 'state'),
    speed: speed === undefined || speed >= 4294967295 ? undefined : speed,
  };
}

/** A PCI node device XML with its SR-IOV capabilities, else undefined. */
export function parsePciNetDeviceXml(xml: string): PciNetDevice | undefined {
  const root = parseXmlElement(xml);
  const cap = children(root, 'capability').find((c) => c.attrs['type'] === 'pci');
  if (!cap) return undefined;
  const sub = (type: string): XmlElement | undefined => children(cap, 'capability').find((c) => c.attrs['type'] === type);
  const vfs = sub('virt_functions');
  const pf = child(sub('phys_function'), 'address');
  return {
    name: textOf(root, 'name') ?? '',
    address: { domain: int(textOf(cap, 'domain')) ?? 0, bus: int(textOf(cap, 'bus')) ?? 0, slot: int(textOf(cap, 'slot')) ?? 0, function: int(textOf(cap, 'function')) ?? 0 },
    driver: textOf(root, 'driver/name'),
    product: textOf(cap, 'product'),
    vendor: textOf(cap, 'vendor'),
    ...(vfs ? { virtualFunctions: children(vfs, 'address').map(addressOf), maxVirtualFunctions: int(vfs.attrs['maxCount']) } : {}),
    ...(pf ? { physicalFunction: addressOf(pf) } : {}),
  };
}

/** libvirt's interface driver view of one interface (formatinterface): its type, and a bridge's ports. */
export interface InterfaceDefinition {
  readonly name: string;
  readonly type: string;
  readonly ports: readonly string[];
}

export function parseInterfaceXml(xml: string): InterfaceDefinition {
  const root = parseXmlElement(xml);
  return { name: attr(root, 'name') ?? '', type: attr(root, 'type') ?? 'ethernet', ports: children(child(root, 'bridge'), 'interface').flatMap((i) => (i.attrs['name'] ? [i.attrs['name']] : [])) };
}

/** 'missing': a bridge or NIC that networks or VMs name and the host does not have (any more). */
export type HostInterfaceKind = 'nic' | 'bridge' | 'vlan' | 'bond' | 'loopback' | 'other' | 'missing';

export interface HostInterface {
  readonly iface: string;
  readonly kind: HostInterfaceKind;
  readonly mac?: string;
  readonly linkState?: string;
  readonly speed?: number;
  /** libvirt's node device, when it has one. */
  readonly nodeDevice?: string;
  readonly pci?: PciNetDevice;
  /** A bridge's ports. */
  readonly ports: readonly string[];
  /** The bridge this interface is a port of. */
  readonly bridge?: string;
  readonly networks: readonly string[];
  readonly vms: readonly string[];
  /** SR-IOV PF: how many VFs exist, how many a VM has taken, the most it can have, and each VF with the VM holding it. */
  readonly sriov?: { readonly total: number; readonly used: number; readonly max?: number; readonly vfs: readonly { readonly address: PciAddress; readonly vm?: string }[] };
}

export type HostInterfaceApi = Pick<Connection, 'connectListAllNodeDevices' | 'nodeDeviceGetXmlDesc' | 'connectListAllInterfaces' | 'interfaceGetXmlDesc'>;

/** Raw facts from the host, before they are joined with networks and VMs. */
export interface HostInterfaceFacts {
  readonly netDevices: readonly NetNodeDevice[];
  readonly pciDevices: readonly PciNetDevice[];
  readonly definitions: readonly InterfaceDefinition[];
  /** Every interface name the interface driver lists; undefined when the host has no interface driver. */
  readonly interfaceNames?: readonly string[];
}

/**
 * Reads node devices (net and PCI network-class devices) and the interface driver's list, every
 * call pipelined. The interface driver is optional (not every host runs it): its failure leaves
 * only the node-device view.
 */
export async function loadHostInterfaceFacts(conn: HostInterfaceApi): Promise<HostInterfaceFacts> {
  const [devs, listed] = await Promise.all([conn.connectListAllNodeDevices(0), conn.connectListAllInterfaces(0).catch(() => undefined)]);
  const ifaces = listed ?? [];
  const wanted = devs.filter((d) => d.name.startsWith('net_') || d.name.startsWith('pci_'));
  const [devXml, ifXml] = await Promise.all([
    Promise.all(wanted.map((d) => conn.nodeDeviceGetXmlDesc(d, 0).catch(() => undefined))),
    Promise.all(ifaces.map((i) => conn.interfaceGetXmlDesc(i, 0).catch(() => undefined))),
  ]);
  const netDevices: NetNodeDevice[] = [];
  const pciDevices: PciNetDevice[] = [];
  for (const x of devXml) {
    if (x === undefined) continue;
    const net = parseNetNodeDeviceXml(x);
    if (net) {
      netDevices.push(net);
      continue;
    }
    const pci = parsePciNetDeviceXml(x);
    if (pci && (pci.virtualFunctions !== undefined || pci.physicalFunction !== undefined || /^0x02/.test(/<class>([^<]*)<\/class>/.exec(x)?.[1] ?? ''))) pciDevices.push(pci);
  }
  const definitions = ifXml.flatMap((x) => (x === undefined ? [] : [parseInterfaceXml(x)]));
  return { netDevices, pciDevices, definitions, ...(listed ? { interfaceNames: listed.map((i) => i.name) } : {}) };
}

function kindOf(name: string, def: InterfaceDefinition | undefined, hasNodeDevice: boolean): HostInterfaceKind {
  if (name === 'lo' || def?.type === 'loopback') return 'loopback';
  if (def?.type === 'bridge') return 'bridge';
  if (def?.type === 'vlan') return 'vlan';
  if (def?.type === 'bond') return 'bond';
  return hasNodeDevice || def?.type === 'ethernet' ? 'nic' : 'other';
}

/**
 * The host's interfaces joined with the networks that claim them (bridge, macvtap NICs, PF,
 * forward dev) and the VMs on those networks or attached to them directly; VF use counts VMs
 * whose `<hostdev>` holds one of the PF's VFs.
 */
export function joinHostInterfaces(facts: HostInterfaceFacts, networks: readonly NetworkDescription[], usages: readonly DomainUsage[]): HostInterface[] {
  const defs = new Map(facts.definitions.map((d) => [d.name, d]));
  const bridgeOf = new Map<string, string>();
  for (const d of facts.definitions) for (const p of d.ports) bridgeOf.set(p, d.name);
  const pciByNode = new Map(facts.pciDevices.map((p) => [p.name, p]));
  const names = new Set([...facts.netDevices.map((n) => n.iface), ...facts.definitions.map((d) => d.name)]);
  const byIface = new Map(facts.netDevices.map((n) => [n.iface, n]));
  const out: HostInterface[] = [];
  for (const iface of [...names].sort((a, b) => compareNatural(a, b))) {
    const nd = byIface.get(iface);
    const def = defs.get(iface);
    const pci = nd?.parent !== undefined ? pciByNode.get(nd.parent) : undefined;
    const nets = networks.filter((n) => networkHostInterfaces(n).includes(iface)).map((n) => n.name);
    const vms = new Set<string>();
    for (const u of usages) if (u.hostInterfaces.includes(iface) || u.networks.some((n) => nets.includes(n))) vms.add(u.dom.name);
    let sriov: HostInterface['sriov'];
    if (pci?.virtualFunctions !== undefined) {
      const vfs = pci.virtualFunctions.map((address) => {
        const holder = usages.find((u) => u.hostdevs.some((h) => h.kind === 'pci' && samePciAddress(h.address, address)));
        return { address, ...(holder ? { vm: holder.dom.name } : {}) };
      });
      const used = vfs.filter((vf) => vf.vm !== undefined).length;
      sriov = { total: vfs.length, used, ...(pci.maxVirtualFunctions !== undefined ? { max: pci.maxVirtualFunctions } : {}), vfs };
    }
    out.push({
      iface,
      kind: kindOf(iface, def, nd !== undefined && nd.parent !== undefined && nd.parent !== 'computer'),
      mac: nd?.mac,
      linkState: nd?.linkState,
      speed: nd?.speed,
      nodeDevice: nd?.name,
      pci,
      ports: def?.ports ?? [],
      bridge: bridgeOf.get(iface),
      networks: nets,
      vms: [...vms].sort(),
      ...(sriov ? { sriov } : {}),
    });
  }
  // Only when the interface driver answered: without its list a NIC the node-device list has
  // not seen would be flagged wrongly.
  if (facts.interfaceNames !== undefined) {
    for (const m of missingHostInterfaces(new Set([...names, ...facts.interfaceNames]), networks, usages)) {
      out.push({ iface: m.iface, kind: 'missing', ports: [], networks: m.networks, vms: m.vms });
    }
    out.sort((a, b) => compareNatural(a.iface, b.iface));
  }
  return out;
}

/** A host interface that networks or VMs name and the host does not have (any more). */
export interface MissingHostInterface {
  readonly iface: string;
  /** Networks over it (bridge, macvtap NICs, SR-IOV PF, forward dev). */
  readonly networks: readonly string[];
  /** VMs attached to it directly or through one of those networks: they cannot start. */
  readonly vms: readonly string[];
}

/**
 * The bridges and NICs that networks or VMs name but that are not among `existing`. A bridge
 * network over a missing bridge still starts (libvirt checks nothing then); its VMs fail to start
 * with "Cannot get interface MTU on '…': No such device", which is what this names in advance.
 */
export function missingHostInterfaces(existing: ReadonlySet<string>, networks: readonly NetworkDescription[], usages: readonly DomainUsage[]): MissingHostInterface[] {
  const byIface = new Map<string, { networks: Set<string>; vms: Set<string> }>();
  const entry = (iface: string): { networks: Set<string>; vms: Set<string> } => {
    let e = byIface.get(iface);
    if (!e) byIface.set(iface, (e = { networks: new Set(), vms: new Set() }));
    return e;
  };
  for (const n of networks) for (const iface of checkableHostInterfaces(n)) if (!existing.has(iface)) entry(iface).networks.add(n.name);
  for (const u of usages) for (const iface of u.hostInterfaces) if (!existing.has(iface)) entry(iface).vms.add(u.dom.name);
  for (const e of byIface.values()) for (const u of usages) if (u.networks.some((n) => e.networks.has(n))) e.vms.add(u.dom.name);
  return [...byIface.entries()]
    .sort(([a], [b]) => compareNatural(a, b))
    .map(([iface, e]) => ({ iface, networks: [...e.networks].sort(compareNatural), vms: [...e.vms].sort(compareNatural) }));
}

export type HostInterfaceNamesApi = Pick<Connection, 'connectListAllInterfaces'>;

/**
 * The names of the host's network interfaces now, in one call to libvirt's interface driver. Its
 * udev backend enumerates the kernel's interfaces at every call, so it sees a bridge added or
 * removed a minute ago; the node-device list does not when no udev daemon sends it events.
 * undefined when the host has no interface driver: callers then flag nothing.
 */
export async function hostInterfaceNames(conn: HostInterfaceNamesApi): Promise<ReadonlySet<string> | undefined> {
  try {
    return new Set((await conn.connectListAllInterfaces(0)).map((i) => i.name));
  } catch {
    return undefined;
  }
}

/** "eth0 · up · 1000 Mb/s · SR-IOV 2/7 VFs free" for the tree. */
export function hostInterfaceSummary(h: HostInterface): string {
  const bits: string[] = [h.kind === 'nic' ? 'NIC' : h.kind === 'missing' ? 'missing on this host' : h.kind];
  if (h.linkState) bits.push(h.linkState);
  if (h.speed !== undefined) bits.push(`${h.speed} Mb/s`);
  if (h.pci) bits.push(formatPciAddress(h.pci.address));
  if (h.pci?.physicalFunction) bits.push(`VF of ${formatPciAddress(h.pci.physicalFunction)}`);
  if (h.sriov) bits.push(`SR-IOV ${h.sriov.total - h.sriov.used}/${h.sriov.total} VFs free${h.sriov.max !== undefined ? ` (max ${h.sriov.max})` : ''}`);
  if (h.bridge) bits.push(`port of ${h.bridge}`);
  if (h.ports.length > 0) bits.push(`ports ${h.ports.join(', ')}`);
  if (h.networks.length > 0) bits.push(`networks ${h.networks.join(', ')}`);
  if (h.vms.length > 0) bits.push(`VMs ${h.vms.join(', ')}`);
  return bits.join(' · ');
}
