// "Which VMs use this": the disks, network interfaces and host devices of every domain, read from
// domain XMLs fetched in bulk (connectListAllDomains, then every domainGetXmlDesc pipelined) and
// cached per connection until a domain event says an XML changed. Backing chains come from the
// live XML of running domains and, for any domain, from the storage API (a volume's
// <backingStore>), since a shut-off domain's XML does not show them.

import type { DomainRef, StoragePoolRef, StorageVolRef } from '../refs';
import { isNoStoragePool, isNoStorageVol } from '../rpc/errors';
import type { PciAddress } from './hostDevice';
import { samePciAddress } from './hostDevice';
import { parseVolumeXml } from './volume';
import { DomainXml } from '../xml/domainXml';
import type { XmlElement } from '../xml/xmlDocument';

export interface DiskUse {
  /** File or block device path, when the disk has one. */
  readonly path?: string;
  /** For <disk type='volume'>. */
  readonly pool?: string;
  readonly volume?: string;
  readonly target?: string;
}

export type HostdevUse =
  /** A <hostdev type='pci'>, or an <interface type='hostdev'> (an SR-IOV VF as a NIC) when `nic`. */
  | { readonly kind: 'pci'; readonly address: PciAddress; readonly nic?: boolean }
  | { readonly kind: 'usb'; readonly vendorId?: string; readonly productId?: string; readonly bus?: number; readonly device?: number }
  | { readonly kind: 'mdev'; readonly uuid: string };

export interface DomainUsage {
  readonly dom: DomainRef;
  readonly running: boolean;
  readonly disks: readonly DiskUse[];
  /** Networks of <interface type='network'>. */
  readonly networks: readonly string[];
  /** The port groups those interfaces name (`<source network=… portgroup=…>`). */
  readonly portGroups: readonly { readonly network: string; readonly portGroup: string }[];
  /** Backing-chain paths (<backingStore><source file=...>) of the disks, live XML only. */
  readonly backingPaths: readonly string[];
  readonly hostdevs: readonly HostdevUse[];
  /**
   * Host interfaces the domain's NICs attach to directly, not through a libvirt network:
   * `<interface type='bridge'><source bridge=…>` and macvtap `<interface type='direct'><source dev=…>`.
   * Open vSwitch bridges (`<virtualport type='openvswitch'>`) are left out: libvirt's interface
   * driver does not list them (its udev backend skips OVS ports, seen here), so they could only
   * ever look missing.
   */
  readonly hostInterfaces: readonly string[];
  /** UUIDs of the libvirt secrets the domain refers to (disk encryption and auth, vTPM state). */
  readonly secrets: readonly string[];
}

/** Every `<secret uuid=…>` below an element (disk `<encryption>`/`<auth>`), plus vTPM `<encryption secret=…>`. */
function secretUuids(el: XmlElement): string[] {
  return el.elements().flatMap((c) => {
    const own = c.name === 'secret' ? c.attr('uuid') : c.name === 'encryption' ? c.attr('secret') : undefined;
    return [...(own ? [own] : []), ...secretUuids(c)];
  });
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = s.toLowerCase().startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Every <backingStore> in a disk's chain (each nests the next). */
function backingStores(el: XmlElement): XmlElement[] {
  return el.elements().flatMap((c) => (c.name === 'backingStore' ? [c, ...backingStores(c)] : backingStores(c)));
}

/** The resource references in one domain XML, read through the domain model's device views. */
export function parseDomainUsage(dom: DomainRef, xml: string): DomainUsage {
  const model = DomainXml.parse(xml);
  const diskViews = model.devicesOf('disk');
  const disks = diskViews.map((d): DiskUse => ({
    path: d.get('sourceFile') ?? d.get('sourceDev'),
    pool: d.get('sourcePool'),
    volume: d.get('sourceVolume'),
    target: d.get('target'),
  }));
  const backingPaths = diskViews.flatMap((d) =>
    backingStores(d.element).flatMap((b) => {
      const src = b.child('source');
      const p = src?.attr('file') ?? src?.attr('dev');
      return p ? [p] : [];
    }),
  );
  // A running VM's live XML shows the actual type (bridge, direct, hostdev) of an interface on a
  // bridge, macvtap or hostdev network, with the network still named in <source network=…>.
  const networks = model
    .devicesOf('interface')
    .flatMap((i) => {
      const n = i.get('sourceNetwork');
      return n ? [n] : [];
    });
  const portGroups = model.devicesOf('interface').flatMap((i) => {
    const network = i.get('sourceNetwork');
    const portGroup = i.get('portgroup');
    return network && portGroup ? [{ network, portGroup }] : [];
  });
  const hostdevs = model.devicesOf('hostdev').flatMap((h): HostdevUse[] => {
    const type = h.get('type');
    if (type === 'pci') {
      if (!h.element.find(['source', 'address'])) return [];
      return [{ kind: 'pci', address: { domain: num(h.get('sourceDomain')) ?? 0, bus: num(h.get('sourceBus')) ?? 0, slot: num(h.get('sourceSlot')) ?? 0, function: num(h.get('sourceFunction')) ?? 0 } }];
    }
    if (type === 'usb') return [{ kind: 'usb', vendorId: h.get('vendorId'), productId: h.get('productId'), bus: num(h.get('sourceBus')), device: num(h.get('sourceDevice')) }];
    if (type === 'mdev') {
      const uuid = h.get('mdevUuid');
      return uuid ? [{ kind: 'mdev', uuid }] : [];
    }
    return [];
  });
  for (const i of model.devicesOf('interface')) {
    const a = i.get('type') === 'hostdev' ? i.element.find(['source', 'address']) : undefined;
    if (!a) continue;
    const n = (k: string): number => num(a.attr(k)) ?? 0;
    hostdevs.push({ kind: 'pci', address: { domain: n('domain'), bus: n('bus'), slot: n('slot'), function: n('function') }, nic: true });
  }
  const hostInterfaces = [
    ...new Set(
      model.devicesOf('interface').flatMap((i) => {
        if (i.get('sourceNetwork') !== undefined) return [];
        const type = i.get('type');
        if (type === 'bridge' && i.get('virtualportType') === 'openvswitch') return [];
        const dev = type === 'bridge' ? i.get('sourceBridge') : type === 'direct' ? i.get('sourceDev') : undefined;
        return dev ? [dev] : [];
      }),
    ),
  ];
  const secrets = [...new Set([...diskViews, ...model.devicesOf('tpm')].flatMap((d) => secretUuids(d.element)))];
  return { dom, running: dom.id >= 0, disks, networks, portGroups, backingPaths, hostdevs, hostInterfaces, secrets };
}

export interface DomainListApi {
  connectListAllDomains(flags?: number): Promise<DomainRef[]>;
  domainGetXmlDesc(dom: DomainRef, flags?: number): Promise<string>;
}

/**
 * Usage of every domain (but the one with UUID `exceptUuid`, whose XML is not fetched); a domain
 * that vanished between list and XML is skipped.
 */
export async function loadDomainUsages(conn: DomainListApi, exceptUuid?: string): Promise<DomainUsage[]> {
  const doms = (await conn.connectListAllDomains(0)).filter((d) => d.uuid !== exceptUuid);
  const xmls = await Promise.all(doms.map((d) => conn.domainGetXmlDesc(d, 0).catch(() => undefined)));
  return doms.flatMap((d, i) => {
    const x = xmls[i];
    return x === undefined ? [] : [parseDomainUsage(d, x)];
  });
}

/**
 * A per-connection cache of domain usages. `invalidate()` on any domain event that may change an
 * XML (define, undefine, start, stop, device added/removed...); the next query reloads in bulk.
 */
export class DomainUsageCache {
  private pending: Promise<DomainUsage[]> | undefined;

  constructor(private readonly conn: () => DomainListApi | undefined) {}

  invalidate(): void {
    this.pending = undefined;
  }

  get(): Promise<DomainUsage[]> {
    if (!this.pending) {
      const c = this.conn();
      if (!c) return Promise.reject(new Error('not connected'));
      const p = loadDomainUsages(c);
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
      this.pending = p;
    }
    return this.pending;
  }
}

export type VolumeChainApi = {
  storagePoolLookupByName(name: string): Promise<StoragePoolRef>;
  storageVolLookupByName(pool: StoragePoolRef, name: string): Promise<StorageVolRef>;
  storageVolLookupByPath(path: string): Promise<StorageVolRef>;
  storageVolGetXmlDesc(vol: StorageVolRef, flags?: number): Promise<string>;
};

/**
 * The storage pool volume a disk uses (by pool and volume name, else by path), or undefined when
 * it is none (no pool holds it); other failures are thrown.
 */
export async function diskVolumeOf(conn: VolumeChainApi, disk: Pick<DiskUse, 'path' | 'pool' | 'volume'>): Promise<StorageVolRef | undefined> {
  try {
    if (disk.pool !== undefined && disk.volume !== undefined) return await conn.storageVolLookupByName(await conn.storagePoolLookupByName(disk.pool), disk.volume);
    if (disk.path !== undefined) return await conn.storageVolLookupByPath(disk.path);
    return undefined;
  } catch (err) {
    if (isNoStorageVol(err)) return undefined;
    throw err;
  }
}

/** Longest backing chain followed (a loop or a very deep chain stops there). */
const MAX_CHAIN = 16;

/**
 * Adds to each usage's `backingPaths` the backing files of its disks as the storage API reports
 * them: the volume's <backingStore><path>, then that volume's, down the chain. A disk that is not a
 * volume of any pool has no chain there. Other failures are thrown: a caller deciding whether a
 * file may be deleted must not guess.
 */
export async function withStorageBackingChains(conn: VolumeChainApi, usages: readonly DomainUsage[]): Promise<DomainUsage[]> {
  const backingOf = new Map<string, Promise<string | undefined>>();
  const notAVolume = (e: unknown): undefined => {
    if (isNoStorageVol(e) || isNoStoragePool(e)) return undefined;
    throw e;
  };
  const readBacking = (key: string, lookup: () => Promise<StorageVolRef>): Promise<string | undefined> => {
    let p = backingOf.get(key);
    if (!p) {
      p = lookup()
        .then(async (v) => parseVolumeXml(await conn.storageVolGetXmlDesc(v, 0)).backingPath)
        .catch(notAVolume);
      backingOf.set(key, p);
    }
    return p;
  };
  const firstBacking = (d: DiskUse): Promise<string | undefined> => {
    const { pool, volume, path } = d;
    if (pool !== undefined && volume !== undefined) {
      return readBacking(`${pool}\u0000${volume}`, async () => conn.storageVolLookupByName(await conn.storagePoolLookupByName(pool), volume));
    }
    return path === undefined ? Promise.resolve(undefined) : readBacking(path, () => conn.storageVolLookupByPath(path));
  };
  const chain = async (d: DiskUse): Promise<string[]> => {
    const out: string[] = [];
    for (let next = await firstBacking(d); next !== undefined && out.length < MAX_CHAIN && !out.includes(next); ) {
      const path: string = next;
      out.push(path);
      next = await readBacking(path, () => conn.storageVolLookupByPath(path));
    }
    return out;
  };
  return Promise.all(
    usages.map(async (u) => {
      const found = (await Promise.all(u.disks.map(chain))).flat();
      return { ...u, backingPaths: [...new Set([...u.backingPaths, ...found])] };
    }),
  );
}

export interface VolumeIdentity {
  readonly path?: string;
  readonly pool: string;
  readonly name: string;
}

/** How a domain uses a volume: as one of its disks, or as a file in a disk's backing chain. */
export interface VolumeUse {
  readonly dom: DomainRef;
  readonly how: 'disk' | 'backing';
}

function useOf(u: DomainUsage, vol: VolumeIdentity): VolumeUse['how'] | undefined {
  if (u.disks.some((d) => (vol.path !== undefined && d.path === vol.path) || (d.pool === vol.pool && d.volume === vol.name))) return 'disk';
  if (vol.path !== undefined && u.backingPaths.includes(vol.path)) return 'backing';
  return undefined;
}

/** Every domain that uses the volume and how (a disk, or a backing file of one). */
export function volumeUses(usages: readonly DomainUsage[], vol: VolumeIdentity): VolumeUse[] {
  return usages.flatMap((u) => {
    const how = useOf(u, vol);
    return how === undefined ? [] : [{ dom: u.dom, how }];
  });
}

/** "used by vm-x, backing file of vm-y's disk". */
export function describeUses(uses: readonly VolumeUse[]): string {
  return uses.map((u) => (u.how === 'disk' ? `used by ${u.dom.name}` : `backing file of ${u.dom.name}'s disk`)).join(', ');
}

/** Domains whose disks (or backing chains) use the volume, matched by path or by pool+name. */
export function volumeUsers(usages: readonly DomainUsage[], vol: VolumeIdentity): DomainUsage[] {
  return usages.filter((u) => useOf(u, vol) !== undefined);
}

/** Domains with any disk in the pool (by pool name, or by a path under the pool's target). */
export function poolUsers(usages: readonly DomainUsage[], pool: StoragePoolRef, targetPath?: string): DomainUsage[] {
  const prefix = targetPath === undefined ? undefined : targetPath.endsWith('/') ? targetPath : `${targetPath}/`;
  return usages.filter((u) => u.disks.some((d) => d.pool === pool.name || (prefix !== undefined && d.path !== undefined && d.path.startsWith(prefix))));
}

/** VMs with an interface on this port group of the network. */
export function portGroupUsers(usages: readonly DomainUsage[], network: string, portGroup: string): DomainUsage[] {
  return usages.filter((u) => u.portGroups.some((p) => p.network === network && p.portGroup === portGroup));
}

export function networkUsers(usages: readonly DomainUsage[], network: string): DomainUsage[] {
  return usages.filter((u) => u.networks.includes(network));
}

/** Domains with a <hostdev> (or a hostdev NIC) for this PCI address, USB device or mediated device. */
export function hostDeviceUsers(
  usages: readonly DomainUsage[],
  dev:
    | { readonly kind: 'pci'; readonly address: PciAddress }
    | { readonly kind: 'usb'; readonly vendorId: string; readonly productId: string; readonly bus: number; readonly device: number }
    | { readonly kind: 'mdev'; readonly uuid: string },
): DomainUsage[] {
  const norm = (s: string | undefined): string => (s ?? '').toLowerCase().replace(/^0x/, '').padStart(4, '0');
  return usages.filter((u) =>
    u.hostdevs.some((h) => {
      if (dev.kind === 'pci') return h.kind === 'pci' && samePciAddress(h.address, dev.address);
      if (dev.kind === 'mdev') return h.kind === 'mdev' && h.uuid.toLowerCase() === dev.uuid.toLowerCase();
      if (h.kind !== 'usb') return false;
      if (h.bus !== undefined && h.device !== undefined) return h.bus === dev.bus && h.device === dev.device;
      return norm(h.vendorId) === norm(dev.vendorId) && norm(h.productId) === norm(dev.productId);
    }),
  );
}

/**
 * What a deletion must check: every domain's usage (but `exceptUuid`'s), fetched now rather than
 * from a cache, with the storage API's backing chains added.
 */
export async function loadDomainUsagesWithChains(conn: DomainListApi & VolumeChainApi, exceptUuid?: string): Promise<DomainUsage[]> {
  return withStorageBackingChains(conn, await loadDomainUsages(conn, exceptUuid));
}
