// The storage behind a device the details panel removes: a disk's image file or pool volume. It
// can be deleted with the device only when it is a volume of a storage pool (deleted through the
// storage API, never as a plain file) and nothing else uses it: no other VM (as its disk or in a
// backing chain, read now from the host) and no other disk of the same VM. After the removal it
// is checked again, and kept while a running QEMU of this VM still has it attached. No `vscode`.

import type { Connection, DomainRef } from '../libvirt/connection';
import {
  describeUses,
  diskVolumeOf,
  loadDomainUsagesWithChains,
  parseDomainUsage,
  volumeUses,
  withStorageBackingChains,
  type VolumeIdentity,
  type VolumeUse,
} from '../libvirt/resources/domainUsage';
import { parseVolumeXml } from '../libvirt/resources/volume';
import { DomainXml } from '../libvirt/xml/domainXml';
import { str } from '../libvirt/xml/kinds/define';
import { findDevice } from '../libvirt/xml/kinds/registry';
import type { DeviceStorage } from './formSchema';

export type StorageConnection = Pick<
  Connection,
  | 'connectListAllDomains'
  | 'domainGetXmlDesc'
  | 'storagePoolLookupByName'
  | 'storageVolLookupByName'
  | 'storageVolLookupByPath'
  | 'storageVolGetXmlDesc'
  | 'storageVolDelete'
>;

/** Where a disk's data is on the host: a file or block device path, or a pool volume. */
interface DiskSource {
  readonly path?: string;
  readonly pool?: string;
  readonly volume?: string;
}

function diskSource(dom: DomainXml, section: string): DiskSource | undefined {
  const d = findDevice(dom, section);
  if (!d || d.description.kind !== 'disk') return undefined;
  const v = d.values;
  const type = str(v.type ?? 'file');
  const path = type === 'file' ? v.sourceFile : type === 'block' ? v.sourceDev : undefined;
  if (path !== undefined) return { path: str(path) };
  if (type === 'volume' && v.sourcePool !== undefined && v.sourceVolume !== undefined) return { pool: str(v.sourcePool), volume: str(v.sourceVolume) };
  return undefined;
}

const labelOf = (s: DiskSource): string => s.path ?? `${s.pool ?? ''}/${s.volume ?? ''}`;

/** "volume x.qcow2 in pool default (/var/lib/…/x.qcow2)": exactly what would be deleted. */
export function describeVolume(v: NonNullable<DeviceStorage['volume']>): string {
  return `volume ${v.name} in pool ${v.pool}${v.path !== undefined ? ` (${v.path})` : ''}`;
}

/**
 * Every use of the volume by another VM, or by a disk of this VM other than `section` (in its
 * definition `without`, which no longer has that disk, and in `liveXml` while it runs).
 */
async function usesBesides(conn: StorageConnection, dom: DomainRef, without: string[], vol: VolumeIdentity): Promise<VolumeUse[]> {
  const others = await loadDomainUsagesWithChains(conn, dom.uuid);
  const self = await withStorageBackingChains(
    conn,
    without.map((x) => parseDomainUsage(dom, x)),
  );
  const uses = volumeUses([...others, ...self], vol);
  return uses.filter((u, i) => uses.findIndex((o) => o.dom.uuid === u.dom.uuid && o.how === u.how) === i);
}

/** The storage of the device `section` of `dom` (its persistent definition `def`), or undefined for a device without any. */
export async function deviceStorage(conn: StorageConnection, dom: DomainRef, def: DomainXml, section: string): Promise<DeviceStorage | undefined> {
  const src = diskSource(def, section);
  if (!src) return undefined;
  const vol = await diskVolumeOf(conn, src);
  if (!vol) return { label: labelOf(src), keepReason: 'it is not a volume of a storage pool, so it is not deleted from here' };
  const path = src.path ?? parseVolumeXml(await conn.storageVolGetXmlDesc(vol, 0)).path;
  const volume = { pool: vol.pool, name: vol.name, ...(path !== undefined ? { path } : {}) };
  const without = DomainXml.parse(def.toString());
  const el = findDevice(without, section)?.element;
  if (el) without.doc.removeElement(el);
  const uses = await usesBesides(conn, dom, [without.toString()], volume);
  return { label: path ?? `${vol.pool}/${vol.name}`, volume, ...(uses.length > 0 ? { keepReason: `it is ${describeUses(uses)}` } : {}) };
}

/** Whether two descriptions name the same volume. */
export function sameVolume(a: DeviceStorage | undefined, b: DeviceStorage | undefined): boolean {
  return a?.volume !== undefined && b?.volume !== undefined && a.volume.pool === b.volume.pool && a.volume.name === b.volume.name;
}

/**
 * Deletes the volume once the device is gone: only when the VM's definition (`inactiveXml`) and,
 * while it runs, its QEMU (`liveXml`) no longer use it and no other VM does. Returns why it was
 * kept, or undefined when it was deleted.
 */
export async function deleteRemovedStorage(conn: StorageConnection, dom: DomainRef, storage: DeviceStorage, inactiveXml: string, liveXml: string | undefined): Promise<string | undefined> {
  const v = storage.volume;
  if (!v) return `${storage.label} is not a volume of a storage pool`;
  const identity = { pool: v.pool, name: v.name, ...(v.path !== undefined ? { path: v.path } : {}) };
  if (liveXml !== undefined && volumeUses([parseDomainUsage(dom, liveXml)], identity).some((u) => u.how === 'disk')) {
    return `the running VM still has ${storage.label} attached`;
  }
  const uses = await usesBesides(conn, dom, [inactiveXml, ...(liveXml !== undefined ? [liveXml] : [])], identity);
  if (uses.length > 0) return `${storage.label} is ${describeUses(uses)}`;
  const vol = await diskVolumeOf(conn, { pool: v.pool, volume: v.name });
  if (!vol) return `${describeVolume(v)} no longer exists`;
  await conn.storageVolDelete(vol);
  return undefined;
}
