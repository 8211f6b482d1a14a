// What the New VM wizard needs to know about a host, read once when it opens: active pools with
// their volumes (format from each volume's XML, the calls pipelined), networks and whether they
// run, the host's memory and CPUs, whether KVM, UEFI, Secure Boot and an emulated TPM are
// available (domain capabilities), the VM names in use, and osinfo-db's list and install facts.

import type { Connection } from '../libvirt/connection';
import type { OsinfoCatalog } from '../libvirt/osinfo';
import { osinfoOptions } from '../libvirt/osinfo';
import { ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ, detectFromIso, parseIsoDescriptors } from '../libvirt/osinfoMedia';
import { readVolumeRange } from '../libvirt/resources/transfer';
import { parseVolumeXml } from '../libvirt/resources/volume';
import { parseCapabilities, parseDomainCapabilities, type DomainCapabilities } from '../libvirt/xml/capabilities';
import { joinHostInterfaces, loadHostInterfaceFacts } from '../libvirt/resources/hostInterface';
import { networkSummary, parseNetworkXml, type NetworkDescription } from '../libvirt/resources/network';
import { sectionDescription } from '../libvirt/xml/kinds/domain';
import type { FieldOption } from './formSchema';
import type { HostVolume, NewVmFacts, WizardNetwork } from './newVmModel';
import { resolveOptions } from './sections';

export type FactsApi = Pick<
  Connection,
  | 'connectListAllStoragePools'
  | 'storagePoolGetInfo'
  | 'storagePoolListAllVolumes'
  | 'storageVolGetXmlDesc'
  | 'storageVolGetInfo'
  | 'connectListAllNetworks'
  | 'networkIsActive'
  | 'nodeGetInfo'
  | 'connectGetDomainCapabilities'
  | 'connectGetCapabilities'
  | 'connectListAllDomains'
  | 'storageVolDownload'
  | 'storageVolLookupByName'
  | 'storagePoolLookupByName'
  | 'networkGetXmlDesc'
  | 'connectListAllNodeDevices'
  | 'nodeDeviceGetXmlDesc'
  | 'connectListAllInterfaces'
  | 'interfaceGetXmlDesc'
>;

const RUNNING = 2; // VIR_STORAGE_POOL_RUNNING

async function capsFor(conn: FactsApi, virttype: 'kvm' | 'qemu'): Promise<DomainCapabilities | undefined> {
  try {
    return parseDomainCapabilities(await conn.connectGetDomainCapabilities(null, 'x86_64', 'q35', virttype, 0));
  } catch {
    return undefined;
  }
}

export async function newVmFacts(conn: FactsApi, osinfo: OsinfoCatalog | undefined): Promise<NewVmFacts> {
  const [poolRefs, netRefs, node, domains, hostCaps, entries, install, ifaceFacts] = await Promise.all([
    conn.connectListAllStoragePools(0),
    conn.connectListAllNetworks(0),
    conn.nodeGetInfo(),
    conn.connectListAllDomains(),
    conn.connectGetCapabilities().then(parseCapabilities),
    osinfo?.entries().catch(() => undefined),
    osinfo?.installFacts().catch(() => undefined),
    // Bridges and NICs for a NIC on a host bridge or macvtap; unreadable: those fields stay free text.
    loadHostInterfaceFacts(conn).catch(() => undefined),
  ]);
  // KVM is usable when the host's capabilities list a kvm domain type for x86_64 guests.
  const kvm = hostCaps.guests.some((g) => g.arch === 'x86_64' && g.osType === 'hvm' && g.domains.some((d) => d.type === 'kvm'));
  const caps = await capsFor(conn, kvm ? 'kvm' : 'qemu');
  // A pool deleted between the listing and this call (another client) is left out, not fatal.
  const infos = await Promise.all(poolRefs.map((p) => conn.storagePoolGetInfo(p).catch(() => undefined)));
  const present = poolRefs.flatMap((p, i) => (infos[i] ? [{ ref: p, info: infos[i] }] : []));
  const pools = present.map(({ ref, info }) => ({ name: ref.name, active: info.state === RUNNING, availableBytes: info.available }));
  const active = present.filter((_, i) => pools[i]!.active).map((x) => x.ref);
  const vols = (await Promise.all(active.map((p) => conn.storagePoolListAllVolumes(p, 0).catch(() => [])))).flat();
  const descs = await Promise.all(vols.map((v) => conn.storageVolGetXmlDesc(v).then(parseVolumeXml, () => undefined)));
  const volumes: HostVolume[] = vols.map((v, i) => ({ pool: v.pool, name: v.name, capacity: descs[i]?.capacity ?? 0, ...(descs[i]?.format ? { format: descs[i]!.format } : {}) }));
  const [nets, netDescs] = await Promise.all([
    Promise.all(netRefs.map((n) => conn.networkIsActive(n).catch(() => false))),
    Promise.all(netRefs.map((n) => conn.networkGetXmlDesc(n, 0).then(parseNetworkXml, () => undefined))),
  ]);
  const networks = netRefs.map((n, i) => wizardNetwork(n.name, nets[i]!, netDescs[i]));
  const hostIfaces = ifaceFacts ? joinHostInterfaces(ifaceFacts, netDescs.filter((d): d is NetworkDescription => d !== undefined), []) : [];
  // A virtual network's own bridge (virbr0) is listed with the network that owns it: a NIC put on
  // it directly bypasses the network's DHCP reservations and filters, which users seldom want.
  const bridgeOwner = new Map(netDescs.flatMap((d) => (d?.bridge ? [[d.bridge, d.name] as const] : [])));
  const bridges: FieldOption[] = hostIfaces
    .filter((h) => h.kind === 'bridge')
    .map((h) => ({ value: h.iface, label: h.iface, detail: [bridgeOwner.has(h.iface) ? `bridge of network ${bridgeOwner.get(h.iface)!}` : 'host bridge', h.ports.length > 0 ? `ports ${h.ports.join(', ')}` : ''].filter((x) => x !== '').join(' · ') }));
  // macvtap sits on a NIC (or bond/VLAN); not on a bridge, the loopback, or another VM's tap.
  const hostNics: FieldOption[] = hostIfaces
    .filter((h) => (h.kind === 'nic' || h.kind === 'bond' || h.kind === 'vlan') && !/^(vnet|macvtap|tap)\d/.test(h.iface))
    .map((h) => ({ value: h.iface, label: h.iface, detail: [h.kind === 'nic' ? 'NIC' : h.kind, h.linkState, h.mac, h.bridge ? `port of ${h.bridge}` : ''].filter((x): x is string => x !== undefined && x !== '').join(' · ') }));
  // The CPU modes and models the domain capabilities offer, labelled by the CPUs section's description.
  const cpuSection = sectionDescription('cpus');
  const modeField = cpuSection?.fields.find((f) => f.id === 'cpuMode');
  const cpuModes = caps && modeField ? (resolveOptions(modeField, caps) ?? []).filter((o) => o.disabledReason === undefined && (o.value !== 'custom' || caps.cpu.custom.models.some((m) => m.usable))) : [];
  const cpuModels = caps ? caps.cpu.custom.models.filter((m) => m.usable).map((m) => ({ value: m.name, label: m.deprecated ? `${m.name} (deprecated)` : m.name, ...(m.vendor ? { detail: m.vendor } : {}) })) : [];
  const firmware = caps?.os.firmware ?? [];
  const uefi = firmware.includes('efi') || (caps?.os.loader.types ?? []).includes('pflash');
  return {
    pools,
    volumes,
    networks,
    bridges,
    hostNics,
    cpuModes,
    cpuModels,
    hostMemoryMiB: Math.floor(node.memory / 1024),
    hostCpus: node.cpus,
    virtType: kvm ? 'kvm' : 'qemu',
    uefi,
    secureBoot: uefi && (caps?.os.loader.secure ?? []).includes('yes'),
    tpm: (caps?.devices['tpm']?.supported ?? false) && ((caps?.devices['tpm']?.enums['backendModel'] ?? []).includes('emulator')),
    names: domains.map((d) => d.name),
    ...(entries ? { osOptions: osinfoOptions(entries) } : {}),
    ...(install ? { install } : {}),
  };
}

/** The OS an ISO volume holds, by its volume descriptors and osinfo-db; undefined when unknown. */
export async function detectVolumeOs(conn: FactsApi, facts: NewVmFacts, pool: string, volume: string): Promise<string | undefined> {
  if (!facts.install) return undefined;
  const vol = await conn.storageVolLookupByName(await conn.storagePoolLookupByName(pool), volume);
  const ids = parseIsoDescriptors(await readVolumeRange(conn, vol, ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ));
  return ids ? detectFromIso(facts.install.all, ids, 'x86_64')[0]?.os.id : undefined;
}

/** What the wizard shows of a virtual network: its state, mode, and whether it answers DHCP and serves PXE boot files. */
export function wizardNetwork(name: string, active: boolean, d: NetworkDescription | undefined): WizardNetwork {
  if (!d) return { name, active };
  const tftp = d.ips.some((ip) => ip.tftpRoot !== undefined);
  const bootp = d.ips.some((ip) => ip.bootp !== undefined);
  return { name, active, summary: networkSummary(d), dhcp: d.ips.some((ip) => ip.dhcp === true), tftp, bootp };
}
