// Host bridges and NICs that a network or a VM names but the host does not have (any more): a
// bridge deleted, a NIC renamed, a definition copied from another host. libvirt starts a bridge or
// macvtap network over a missing interface without a word; its VMs then fail to start with
// "Cannot get interface MTU on 'br0': No such device" (bridge) or a similar "No such device" for
// macvtap, which does not say that the bridge is gone nor which network put it there.
// What exists comes from libvirt's interface driver (hostInterfaceNames): on a host without one
// nothing is flagged.

import type { Connection, DomainRef, NetworkRef } from '../connection';
import { parseDomainUsage } from './domainUsage';
import { hostInterfaceNames } from './hostInterface';
import { checkableHostInterfaces, parseNetworkXml } from './network';
import { explainStartError } from './hostDeviceInventory';
import { DomainXml } from '../xml/domainXml';

export type MissingInterfacesApi = Pick<Connection, 'connectListAllInterfaces' | 'networkGetXmlDesc'>;

/** The bridges and NICs the network names (bridge, macvtap NICs, PF, forward dev) that the host lacks. */
export async function networkMissingInterfaces(conn: MissingInterfacesApi, net: NetworkRef): Promise<string[]> {
  const named = checkableHostInterfaces(parseNetworkXml(await conn.networkGetXmlDesc(net, 0)));
  if (named.length === 0) return [];
  const existing = await hostInterfaceNames(conn);
  return existing ? named.filter((n) => !existing.has(n)) : [];
}

/** One missing interface of a VM: attached to it directly, or through a network. */
export interface VmMissingInterface {
  readonly iface: string;
  /** The network that puts the VM on it; undefined for `<interface type='bridge'|'direct'>`. */
  readonly network?: string;
  /** How the network or the NIC uses it: a bridge, or a NIC for macvtap/SR-IOV. */
  readonly bridge: boolean;
}

export type VmMissingInterfacesApi = MissingInterfacesApi & Pick<Connection, 'domainGetXmlDesc' | 'networkLookupByName'>;

/** The host interfaces the VM's NICs need, directly or through their networks, that the host lacks. */
export async function vmMissingInterfaces(conn: VmMissingInterfacesApi, dom: DomainRef): Promise<VmMissingInterface[]> {
  const xml = await conn.domainGetXmlDesc(dom, 0);
  const usage = parseDomainUsage(dom, xml);
  const bridges = new Set(
    DomainXml.parse(xml)
      .devicesOf('interface')
      .flatMap((i) => (i.get('type') === 'bridge' ? [i.get('sourceBridge') ?? ''] : [])),
  );
  const nets = await Promise.all(
    [...new Set(usage.networks)].map(async (name) => {
      const desc = await conn
        .networkLookupByName(name)
        .then((ref) => conn.networkGetXmlDesc(ref, 0))
        .then(parseNetworkXml)
        .catch(() => undefined);
      return { name, desc };
    }),
  );
  const wanted: VmMissingInterface[] = [
    ...usage.hostInterfaces.map((iface) => ({ iface, bridge: bridges.has(iface) })),
    ...nets.flatMap(({ name, desc }) => (desc ? checkableHostInterfaces(desc).map((iface) => ({ iface, network: name, bridge: desc.forwardMode === 'bridge' && desc.bridge === iface })) : [])),
  ];
  if (wanted.length === 0) return [];
  const existing = await hostInterfaceNames(conn);
  return existing ? wanted.filter((w) => !existing.has(w.iface)) : [];
}

/** "host bridge br0 (through network lan)" */
export function describeMissing(m: VmMissingInterface): string {
  return `${m.bridge ? 'host bridge' : 'host interface'} ${m.iface}${m.network !== undefined ? ` (through network ${m.network})` : ''}`;
}

/** A VM that cannot start because a bridge or NIC it uses is missing on the host. */
export class HostInterfaceMissingError extends Error {
  override readonly name = 'HostInterfaceMissingError';
  constructor(
    readonly vm: string,
    readonly missing: readonly VmMissingInterface[],
    /** libvirt's message, kept. */
    readonly reason: string,
    cause: unknown,
  ) {
    const list = missing.map(describeMissing).join(', ');
    super(
      `${vm} cannot start: this host has no ${list}. Create ${missing.length === 1 ? 'it' : 'them'} again on the host, or change the VM's network interface to an existing bridge or network (VM details, NIC). (libvirt: ${reason})`,
      { cause },
    );
  }

  static is(e: unknown): e is HostInterfaceMissingError {
    return e instanceof HostInterfaceMissingError;
  }
}

/**
 * The error a failed VM start should raise. libvirt's error when it names a bridge or NIC the VM
 * uses and the host lacks becomes a HostInterfaceMissingError that says so; the host is asked
 * only after a failure, so a start that works costs nothing more. Other errors go through
 * explainStartError (passthrough without IOMMU) or come back unchanged.
 */
export async function explainVmStartError(conn: VmMissingInterfacesApi, dom: DomainRef, e: unknown): Promise<unknown> {
  const known = explainStartError(e);
  if (known !== e) return known;
  const reason = e instanceof Error ? e.message : String(e);
  if (!/No such device|Cannot get interface|Unable to get index|cannot find|does not exist/i.test(reason)) return e;
  const missing = await vmMissingInterfaces(conn, dom).catch(() => []);
  const named = missing.filter((m) => reason.includes(m.iface));
  return named.length > 0 ? new HostInterfaceMissingError(dom.name, named, reason, e) : e;
}
