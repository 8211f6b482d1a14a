// The option lists a form gathers from the host, one loader per name of
// `OptionListName` (src/libvirt/xml/kinds/types.ts). A field names its list with
// `optionsFrom: { list }`; a panel loads only the lists its fields name, each with one bulk
// listing (and, for pools and host NICs, one small call per pool or NIC). A list that cannot be
// read leaves the field free text. Add a list: a name in OptionListName and a loader here. Lists
// built from the same reading share it through `once` (the passthrough lists: one inventory).

import type { Connection } from '../libvirt/connection';
import { VirConnectListAllNetworksFlags, VirConnectListAllNodeDeviceFlags, VirConnectListAllStoragePoolsFlags } from '../libvirt/generated/libvirtConstants';
import { formatBytes } from '../libvirt/resources/validation';
import { attr, child, parseXmlElement, textOf } from '../libvirt/resources/xmlElement';
import { loadHostDeviceInventory } from '../libvirt/resources/hostDeviceInventory';
import type { HostDeviceListName, OptionListName } from '../libvirt/xml/kinds/types';
import { hostDeviceOptionLists } from './hostDeviceOptions';
import type { FieldOption } from './formSchema';
import type { OptionLists } from './sections';

export type OptionListConnection = Pick<
  Connection,
  | 'connectListAllStoragePools'
  | 'storagePoolListAllVolumes'
  | 'storagePoolGetInfo'
  | 'connectListAllNetworks'
  | 'connectListAllNodeDevices'
  | 'nodeDeviceGetXmlDesc'
  | 'connectGetCapabilities'
  | 'connectListAllDomains'
  | 'domainGetXmlDesc'
>;

/**
 * Reads something several lists are built from once per loadOptionLists call (the host device
 * inventory behind the six passthrough lists), whichever loader asks first.
 */
type Once = <T>(key: string, load: () => Promise<T>) => Promise<T>;

type Loader = (conn: OptionListConnection, once: Once) => Promise<readonly FieldOption[]>;

/** Volumes whose key is their path (directory, file system and logical pools), in the active pools. */
async function volumes(conn: OptionListConnection): Promise<FieldOption[]> {
  const pools = await conn.connectListAllStoragePools(VirConnectListAllStoragePoolsFlags.ACTIVE);
  const vols = (await Promise.all(pools.map((p) => conn.storagePoolListAllVolumes(p).catch(() => [])))).flat();
  return vols
    .filter((v) => v.key.startsWith('/'))
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((v) => ({ value: v.key, label: v.key, detail: `${v.name} in pool ${v.pool}` }));
}

/** The active pools with their free space (a new volume is created in one). */
async function pools(conn: OptionListConnection): Promise<FieldOption[]> {
  const list = await conn.connectListAllStoragePools(VirConnectListAllStoragePoolsFlags.ACTIVE);
  const infos = await Promise.all(list.map((p) => conn.storagePoolGetInfo(p).catch(() => undefined)));
  return list
    .map((p, i): FieldOption => {
      const info = infos[i];
      return { value: p.name, label: p.name, ...(info ? { detail: `${formatBytes(info.available)} free of ${formatBytes(info.capacity)}` } : {}) };
    })
    .sort((a, b) => (a.value === 'default' ? -1 : b.value === 'default' ? 1 : a.value.localeCompare(b.value)));
}

/** Every virtual network with its state (an inactive one is offered: libvirt refuses to start the VM until it runs). */
async function networks(conn: OptionListConnection): Promise<FieldOption[]> {
  const [active, inactive] = await Promise.all([
    conn.connectListAllNetworks(VirConnectListAllNetworksFlags.ACTIVE),
    conn.connectListAllNetworks(VirConnectListAllNetworksFlags.INACTIVE),
  ]);
  return [
    ...active.map((n) => ({ value: n.name, label: n.name, detail: 'active' })),
    ...inactive.map((n) => ({ value: n.name, label: n.name, detail: 'inactive: start it before the VM' })),
  ].sort((a, b) => a.value.localeCompare(b.value));
}

/** The host's network interfaces (node devices of capability net): bridges and NICs for macvtap. */
async function hostInterfaces(conn: OptionListConnection): Promise<FieldOption[]> {
  const devs = await conn.connectListAllNodeDevices(VirConnectListAllNodeDeviceFlags.NET);
  const xmls = await Promise.all(devs.map((d) => conn.nodeDeviceGetXmlDesc(d).catch(() => undefined)));
  const out: FieldOption[] = [];
  for (const x of xmls) {
    if (x === undefined) continue;
    const cap = child(parseXmlElement(x), 'capability');
    const name = textOf(cap, 'interface');
    if (!name || name === 'lo') continue;
    const mac = textOf(cap, 'address');
    const link = attr(child(cap, 'link'), 'state');
    out.push({ value: name, label: name, detail: [mac, link].filter(Boolean).join(' · ') });
  }
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

/** A passthrough list: all six come from one inventory (node devices, IOMMU support, every VM's devices). */
const hostDeviceList =
  (name: HostDeviceListName): Loader =>
  async (conn, once) =>
    (await once('hostDeviceLists', async () => hostDeviceOptionLists(await loadHostDeviceInventory(conn))))[name];

/** Loaders by list name ('osinfo' comes from the OS catalogs, not from the connection). */
export const OPTION_LIST_LOADERS: Readonly<Partial<Record<OptionListName, Loader>>> = {
  volumes,
  pools,
  networks,
  hostInterfaces,
  pciDevices: hostDeviceList('pciDevices'),
  gpus: hostDeviceList('gpus'),
  usbDevices: hostDeviceList('usbDevices'),
  mdevTypes: hostDeviceList('mdevTypes'),
  mdevDevices: hostDeviceList('mdevDevices'),
  sriovVfs: hostDeviceList('sriovVfs'),
};

/** Loads the named lists in parallel; a list that fails or is empty is left out (its field stays free text). */
export async function loadOptionLists(conn: OptionListConnection, names: Iterable<OptionListName>): Promise<OptionLists> {
  const wanted = [...new Set(names)].filter((n) => OPTION_LIST_LOADERS[n] !== undefined);
  const shared = new Map<string, Promise<unknown>>();
  const once: Once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let p = shared.get(key) as Promise<T> | undefined;
    if (!p) shared.set(key, (p = load()));
    return p;
  };
  const loaded = await Promise.all(wanted.map((n) => OPTION_LIST_LOADERS[n]!(conn, once).catch(() => undefined)));
  const out: Partial<Record<OptionListName, readonly FieldOption[]>> = {};
  wanted.forEach((n, i) => {
    const l = loaded[i];
    if (l && l.length > 0) out[n] = l;
  });
  return out;
}
