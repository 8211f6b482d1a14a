// Beyond what libvirt checks at define time: a domain may name a disk file, a volume, a storage
// pool, a network or a host device that does not exist on the host, or is not running. libvirt
// accepts such a definition and refuses only at start ("Cannot access storage file …", "network
// 'x' is not active"). This module finds those references in the document and checks them
// against one inventory of the host, read through the API in a handful of bulk calls and cached
// by the caller (never one call per keystroke). Problems are warnings: the definition is valid.
//
// What can be known from a client: networks and pools (by name, active or not), the volumes of
// running pools (a file volume's key is its path), and PCI / mediated host devices (node device
// names). A file outside every pool cannot be checked without a shell on the host, so it is not
// flagged; a file in a running pool's directory that is not one of its volumes is.

import { VirConnectListAllNetworksFlags as NF, VirConnectListAllNodeDeviceFlags as DF, VirConnectListAllStoragePoolsFlags as PF } from '../generated/libvirtConstants';
import type { Connection } from '../connection';
import { parsePoolXml } from '../resources/pool';
import type { XmlDocument, XmlElement } from './xmlDocument';

export interface HostPool {
  readonly active: boolean;
  /** The directory of a dir/fs/netfs pool. */
  readonly targetPath?: string;
  /** Volume name -> key (the path for file volumes); known for running pools only. */
  readonly volumes: ReadonlyMap<string, string>;
}

export interface HostInventory {
  readonly networks: ReadonlyMap<string, { readonly active: boolean }>;
  readonly pools: ReadonlyMap<string, HostPool>;
  /** PCI addresses `0000:01:00.0` of the host's PCI devices. */
  readonly pciAddresses: ReadonlySet<string>;
  /** UUIDs of the host's mediated devices. */
  readonly mdevUuids: ReadonlySet<string>;
}

export type InventoryApi = Pick<Connection, 'connectListAllNetworks' | 'connectListAllStoragePools' | 'storagePoolGetXmlDesc' | 'storagePoolListAllVolumes' | 'connectListAllNodeDevices'>;

/** Reads the inventory: two network lists, two pool lists, one XML and one volume list per pool, two node device lists — all in parallel. */
export async function loadHostInventory(conn: InventoryApi): Promise<HostInventory> {
  const [allNets, activeNets, allPools, activePools, pci, mdev] = await Promise.all([
    conn.connectListAllNetworks(0),
    conn.connectListAllNetworks(NF.ACTIVE),
    conn.connectListAllStoragePools(0),
    conn.connectListAllStoragePools(PF.ACTIVE),
    conn.connectListAllNodeDevices(DF.PCI_DEV).catch(() => []),
    conn.connectListAllNodeDevices(DF.MDEV).catch(() => []),
  ]);
  const activeNet = new Set(activeNets.map((n) => n.name));
  const activePool = new Set(activePools.map((p) => p.name));
  const pools = new Map<string, HostPool>();
  await Promise.all(
    allPools.map(async (p) => {
      const active = activePool.has(p.name);
      const [xml, vols] = await Promise.all([conn.storagePoolGetXmlDesc(p, 0).catch(() => undefined), active ? conn.storagePoolListAllVolumes(p, 0).catch(() => []) : Promise.resolve([])]);
      const targetPath = xml ? parsePoolXml(xml).targetPath : undefined;
      pools.set(p.name, { active, ...(targetPath ? { targetPath } : {}), volumes: new Map(vols.map((v) => [v.name, v.key])) });
    }),
  );
  return {
    networks: new Map(allNets.map((n) => [n.name, { active: activeNet.has(n.name) }])),
    pools,
    pciAddresses: new Set(pci.map((d) => /^pci_([0-9a-f]{4})_([0-9a-f]{2})_([0-9a-f]{2})_([0-9a-f])$/i.exec(d.name)).filter((m) => m !== null).map((m) => `${m[1]}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase())),
    mdevUuids: new Set(mdev.map((d) => /^mdev_([0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12})/i.exec(d.name)?.[1]?.replace(/_/g, '-').toLowerCase()).filter((u): u is string => u !== undefined)),
  };
}

/** A fix: replace the attribute value, or start a network or pool on the host. */
export type ReferenceFix =
  | { readonly kind: 'replace'; readonly title: string; readonly start: number; readonly end: number; readonly newText: string }
  | { readonly kind: 'start'; readonly title: string; readonly object: 'network' | 'pool'; readonly name: string };

export interface ReferenceProblem {
  readonly code: 'missing-network' | 'inactive-network' | 'missing-pool' | 'inactive-pool' | 'missing-volume' | 'missing-file' | 'missing-hostdev';
  readonly message: string;
  /** Offsets of the attribute value that names the missing thing. */
  readonly start: number;
  readonly end: number;
  readonly fixes: readonly ReferenceFix[];
}

/** How many replacement values a problem offers as quick fixes. */
const MAX_CHOICES = 5;

function valueSpan(el: XmlElement, attr: string): { start: number; end: number; value: string } | undefined {
  const a = el.attributes.find((x) => x.name === attr);
  return a ? { start: a.valueStart, end: a.valueEnd, value: a.value } : undefined;
}

const dirname = (p: string): string => p.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
const basename = (p: string): string => p.replace(/\/+$/, '').replace(/^.*\//, '');

/** The replacements offered for a missing value: the closest names first (same extension, then shared prefix). */
function choices(missing: string, candidates: readonly string[], span: { start: number; end: number }, what: (c: string) => string): ReferenceFix[] {
  const ext = /\.[^./]+$/.exec(missing)?.[0];
  const score = (c: string): number => {
    let common = 0;
    while (common < c.length && common < missing.length && c[common] === missing[common]) common++;
    return (ext && c.endsWith(ext) ? 1000 : 0) + common;
  };
  return [...candidates]
    .sort((a, b) => score(b) - score(a) || a.localeCompare(b))
    .slice(0, MAX_CHOICES)
    .map((c) => ({ kind: 'replace', title: `Use ${what(c)}`, start: span.start, end: span.end, newText: c }));
}

function checkDisk(disk: XmlElement, inv: HostInventory, out: ReferenceProblem[]): void {
  const source = disk.child('source');
  if (!source) return;
  const type = disk.attr('type') ?? 'file';
  if (type === 'volume') {
    const pool = valueSpan(source, 'pool');
    const vol = valueSpan(source, 'volume');
    if (!pool || pool.value === '') return;
    const p = inv.pools.get(pool.value);
    if (!p) {
      out.push({ code: 'missing-pool', message: `Storage pool '${pool.value}' does not exist on this host: the VM will not start.`, ...pool, fixes: choices(pool.value, [...inv.pools.keys()], pool, (c) => `pool '${c}'`) });
      return;
    }
    if (!p.active) {
      out.push({ code: 'inactive-pool', message: `Storage pool '${pool.value}' is not running: the VM will not start until it is.`, ...pool, fixes: [{ kind: 'start', title: `Start pool '${pool.value}'`, object: 'pool', name: pool.value }] });
      return;
    }
    if (vol && vol.value !== '' && !p.volumes.has(vol.value)) {
      out.push({ code: 'missing-volume', message: `Volume '${vol.value}' does not exist in pool '${pool.value}': the VM will not start.`, ...vol, fixes: choices(vol.value, [...p.volumes.keys()], vol, (c) => `volume '${c}'`) });
    }
    return;
  }
  if (type !== 'file') return;
  const file = valueSpan(source, 'file');
  if (!file || file.value === '') return;
  const dir = dirname(file.value);
  for (const [name, p] of inv.pools) {
    if (p.targetPath === undefined || p.targetPath.replace(/\/+$/, '') !== dir) continue;
    if (!p.active) {
      out.push({ code: 'inactive-pool', message: `The file is in storage pool '${name}', which is not running: libvirt cannot check or label it until it is.`, ...file, fixes: [{ kind: 'start', title: `Start pool '${name}'`, object: 'pool', name }] });
      return;
    }
    const paths = [...p.volumes.values()].filter((k) => k.startsWith('/'));
    if (paths.includes(file.value) || p.volumes.has(basename(file.value))) return;
    out.push({
      code: 'missing-file',
      message: `'${file.value}' is not in storage pool '${name}' (no such volume; Refresh Pool if it was just copied there): the VM will not start.`,
      ...file,
      fixes: choices(file.value, paths, file, (c) => `'${basename(c)}'`),
    });
    return;
  }
}

function checkInterface(iface: XmlElement, inv: HostInventory, out: ReferenceProblem[]): void {
  if (iface.attr('type') !== 'network') return;
  const source = iface.child('source');
  const net = source ? valueSpan(source, 'network') : undefined;
  if (!net || net.value === '') return;
  const n = inv.networks.get(net.value);
  if (!n) {
    out.push({ code: 'missing-network', message: `Network '${net.value}' does not exist on this host: the VM will not start.`, ...net, fixes: choices(net.value, [...inv.networks.keys()], net, (c) => `network '${c}'`) });
  } else if (!n.active) {
    out.push({ code: 'inactive-network', message: `Network '${net.value}' is not running: the VM will not start until it is.`, ...net, fixes: [{ kind: 'start', title: `Start network '${net.value}'`, object: 'network', name: net.value }] });
  }
}

function hex(v: string | undefined, width: number): string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n.toString(16).padStart(width, '0') : undefined;
}

function checkHostdev(dev: XmlElement, inv: HostInventory, out: ReferenceProblem[]): void {
  const source = dev.child('source');
  if (!source || dev.attr('mode') === 'capabilities') return;
  const type = dev.attr('type');
  if (type === 'pci') {
    const a = source.child('address');
    if (!a) return;
    const addr = [hex(a.attr('domain') ?? '0', 4), hex(a.attr('bus'), 2), hex(a.attr('slot'), 2), hex(a.attr('function'), 1)];
    if (addr.some((x) => x === undefined) || inv.pciAddresses.size === 0) return;
    const text = `${addr[0]}:${addr[1]}:${addr[2]}.${addr[3]}`;
    if (!inv.pciAddresses.has(text)) out.push({ code: 'missing-hostdev', message: `The host has no PCI device ${text}: the VM will not start with it.`, start: a.start, end: a.openEnd, fixes: [] });
  } else if (type === 'mdev') {
    const a = source.child('address');
    const uuid = a ? valueSpan(a, 'uuid') : undefined;
    if (uuid && !inv.mdevUuids.has(uuid.value.toLowerCase())) {
      out.push({ code: 'missing-hostdev', message: `The host has no mediated device ${uuid.value}: the VM will not start with it.`, ...uuid, fixes: [] });
    }
  }
}

/** The references of a domain document that the host does not have (or has stopped). */
export function checkHostReferences(doc: XmlDocument, inv: HostInventory): ReferenceProblem[] {
  if (doc.root.localName !== 'domain') return [];
  const devices = doc.root.child('devices');
  if (!devices) return [];
  const out: ReferenceProblem[] = [];
  for (const el of devices.elements()) {
    if (el.name === 'disk') checkDisk(el, inv, out);
    else if (el.name === 'interface') checkInterface(el, inv, out);
    else if (el.name === 'hostdev') checkHostdev(el, inv, out);
  }
  return out;
}

/** Keeps one inventory per host for a while: typing re-checks against it, without calls. */
export class InventoryCache {
  private readonly entries = new Map<string, { at: number; value: Promise<HostInventory> }>();

  constructor(private readonly ttlMs = 30_000, private readonly now: () => number = Date.now) {}

  get(key: string, load: () => Promise<HostInventory>): Promise<HostInventory> {
    const e = this.entries.get(key);
    if (e && this.now() - e.at < this.ttlMs) return e.value;
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Forgets a host's inventory (after the user started a network or pool). */
  invalidate(key: string): void {
    this.entries.delete(key);
  }
}
