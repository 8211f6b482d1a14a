// The children of a connection's Networks, Storage Pools and Host Devices groups. Each listing is
// one bulk list call plus the per-object calls pipelined on the connection (no call waits for
// another), so a host with many objects loads in a few round trips.

import { hostDeviceUsers, networkUsers, type DomainUsage } from '../../libvirt/resources/domainUsage';
import { listHostDevices } from '../../libvirt/resources/hostDevice';
import { hostInterfaceNames, joinHostInterfaces, loadHostInterfaceFacts } from '../../libvirt/resources/hostInterface';
import { checkableHostInterfaces, parseNetworkXml } from '../../libvirt/resources/network';
import { listSecrets, secretVmUsers } from '../../libvirt/resources/secret';
import type { GroupNode } from '../nodes/groupNode';
import type { TreeNode } from '../treeNode';
import { HostDeviceNode } from './hostDeviceNode';
import { HostInterfaceNode } from './hostInterfaceNode';
import { SecretNode } from './secretNode';
import { NetworkResourceNode } from './networkResourceNode';
import { PoolNode } from './poolNode';
import { resourceConnection, type ResourceConnection, type ResourceHost } from './resourceApi';
import { resourceState } from './resourceState';
import { compareNatural } from '../../libvirt/naturalOrder';

export type ResourceGroupKind = 'networks' | 'pools' | 'devices' | 'interfaces' | 'secrets';

const byName = (a: string, b: string): number => compareNatural(a, b);

async function usages(host: ResourceHost): Promise<DomainUsage[]> {
  return resourceState(host).usage.get().catch(() => []);
}

async function pools(group: GroupNode, host: ResourceHost, conn: ResourceConnection): Promise<TreeNode[]> {
  const refs = (await conn.connectListAllStoragePools(0)).sort((a, b) => byName(a.name, b.name));
  const [infos, autos] = await Promise.all([
    Promise.all(refs.map((r) => conn.storagePoolGetInfo(r).catch(() => undefined))),
    Promise.all(refs.map((r) => conn.storagePoolGetAutostart(r).catch(() => undefined))),
  ]);
  return refs.map((r, i) => new PoolNode(group, host, r, infos[i], autos[i]));
}

async function networks(group: GroupNode, host: ResourceHost, conn: ResourceConnection): Promise<TreeNode[]> {
  const refs = (await conn.connectListAllNetworks(0)).sort((a, b) => byName(a.name, b.name));
  const [xmls, actives, autos, used] = await Promise.all([
    Promise.all(refs.map((r) => conn.networkGetXmlDesc(r, 0).catch(() => undefined))),
    Promise.all(refs.map((r) => conn.networkIsActive(r).catch(() => false))),
    Promise.all(refs.map((r) => conn.networkGetAutostart(r).catch(() => false))),
    usages(host),
  ]);
  const descs = xmls.map((x) => (x === undefined ? undefined : parseNetworkXml(x)));
  // Bridges and NICs the networks sit on that the host lacks: one more call, and only when a
  // network names one (bridge, macvtap, SR-IOV, forward dev).
  const named = descs.some((d) => d !== undefined && checkableHostInterfaces(d).length > 0);
  const existing = named ? await hostInterfaceNames(conn) : undefined;
  return refs.map((r, i) => {
    const desc = descs[i];
    const users = networkUsers(used, r.name).map((u) => u.dom.name);
    const missing = existing && desc ? checkableHostInterfaces(desc).filter((n) => !existing.has(n)) : [];
    return new NetworkResourceNode(group, host, r, desc, actives[i] ?? false, autos[i] ?? false, users, missing);
  });
}

async function devices(group: GroupNode, host: ResourceHost, conn: ResourceConnection): Promise<TreeNode[]> {
  resourceState(host).watchDevices(group);
  const [devs, used] = await Promise.all([listHostDevices(conn), usages(host)]);
  return devs.map((d) => {
    const users = hostDeviceUsers(used, d.kind === 'pci' ? { kind: 'pci', address: d.address } : { kind: 'usb', vendorId: d.vendorId, productId: d.productId, bus: d.bus, device: d.device });
    return new HostDeviceNode(group, host, d, users.map((u) => u.dom.name));
  });
}

async function interfaces(group: GroupNode, host: ResourceHost, conn: ResourceConnection): Promise<TreeNode[]> {
  const [facts, netXmls, used] = await Promise.all([
    loadHostInterfaceFacts(conn),
    conn.connectListAllNetworks(0).then((refs) => Promise.all(refs.map((r) => conn.networkGetXmlDesc(r, 0).catch(() => undefined)))),
    usages(host),
  ]);
  const nets = netXmls.flatMap((x) => (x === undefined ? [] : [parseNetworkXml(x)]));
  return joinHostInterfaces(facts, nets, used)
    .filter((h) => h.kind !== 'loopback')
    .map((h) => new HostInterfaceNode(group, host, h));
}

async function secrets(group: GroupNode, host: ResourceHost, conn: ResourceConnection): Promise<TreeNode[]> {
  const [list, used] = await Promise.all([listSecrets(conn), usages(host)]);
  return list
    .sort((a, b) => byName(a.desc?.usageId ?? a.ref.uuid, b.desc?.usageId ?? b.ref.uuid))
    .map((s) => new SecretNode(group, host, s.ref, s.desc, s.desc ? secretVmUsers(used, s.desc).map((u) => u.name) : []));
}

/**
 * The nodes under a connection's resource group. Throws libvirt's error (the group shows it as a
 * message node); returns [] when the connection is not open.
 */
export async function resourceChildren(kind: ResourceGroupKind, group: GroupNode, host: ResourceHost): Promise<TreeNode[]> {
  const conn = resourceConnection(host);
  if (!conn) return [];
  switch (kind) {
    case 'pools':
      return pools(group, host, conn);
    case 'networks':
      return networks(group, host, conn);
    case 'devices':
      return devices(group, host, conn);
    case 'interfaces':
      return interfaces(group, host, conn);
    case 'secrets':
      return secrets(group, host, conn);
  }
}

