// The identifiers of install media wherever they are: a storage volume on the host (its first
// blocks through the storage download stream, so it works on remote hosts with no shell) or a
// file on this computer (before it is uploaded). The OS is then found by ../osinfoMedia.ts. A file
// of this computer becomes a new volume through the storage upload stream (uploadMediaVolume).

import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { Connection } from '../connection';
import { ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ, parseIsoDescriptors, type IsoIdentifiers } from '../osinfoMedia';
import type { StoragePoolRef, StorageVolRef } from '../refs';
import { DiskImageError, type DiskImageInfo } from './diskImage';
import { createVolume, type VolumeApi } from './operations';
import { buildPoolXml, parsePoolXml } from './pool';
import { readVolumeRange, uploadFile, type TransferApi, type TransferOptions } from './transfer';

/** The ISO identifiers of a volume; undefined when it is not an ISO 9660 image. */
export async function isoIdentifiersOfVolume(conn: Pick<Connection, 'storageVolDownload'>, vol: StorageVolRef): Promise<IsoIdentifiers | undefined> {
  return parseIsoDescriptors(await readVolumeRange(conn, vol, ISO_DESCRIPTOR_OFFSET, ISO_DESCRIPTOR_READ));
}

/** The ISO identifiers of a local file; undefined when it is not an ISO 9660 image. */
export async function isoIdentifiersOfFile(file: string): Promise<IsoIdentifiers | undefined> {
  const h = await open(file, 'r');
  try {
    const buf = Buffer.alloc(ISO_DESCRIPTOR_READ);
    const { bytesRead } = await h.read(buf, 0, buf.length, ISO_DESCRIPTOR_OFFSET);
    return parseIsoDescriptors(buf.subarray(0, bytesRead));
  } finally {
    await h.close();
  }
}

/** A pool already holds a volume of the name an upload asked for; nothing was written. */
export class VolumeExistsError extends Error {
  override readonly name = 'VolumeExistsError';
  constructor(
    readonly pool: string,
    readonly volume: string,
  ) {
    super(`Pool ${pool} already has a volume ${volume}`);
  }

  static is(e: unknown): e is VolumeExistsError {
    return e instanceof VolumeExistsError;
  }
}

export type MediaUploadApi = VolumeApi & TransferApi & Pick<Connection, 'storagePoolLookupByName' | 'storageVolDelete'>;

/**
 * Uploads a file of this computer into a pool as a new raw volume of the file's size (install
 * media: an ISO) through the storage upload stream, so it works on any host libvirt reaches. A
 * volume of that name is never overwritten (VolumeExistsError: the caller asks whether to use it
 * or to upload under another name). On failure or abort the partial volume is deleted again.
 */
export async function uploadMediaVolume(conn: MediaUploadApi, poolName: string, volume: string, file: string, opts: TransferOptions = {}): Promise<StorageVolRef> {
  const pool = await conn.storagePoolLookupByName(poolName);
  if ((await conn.storagePoolListAllVolumes(pool, 0)).some((v) => v.name === volume)) throw new VolumeExistsError(poolName, volume);
  const { size } = await stat(file);
  opts.signal?.throwIfAborted();
  const { vol } = await createVolume(conn, pool, { name: volume, format: 'raw', capacity: size, allocation: 0 });
  try {
    await uploadFile(conn, vol, file, opts);
    return vol;
  } catch (e) {
    await conn.storageVolDelete(vol, 0).catch(() => undefined);
    throw e;
  }
}

/** Pools whose volumes are files that grow: a qcow2 image may live there. */
const FILE_POOL_TYPES: readonly string[] = ['dir', 'fs', 'netfs'];

export type DiskImageUploadApi = MediaUploadApi & Pick<Connection, 'storagePoolGetXmlDesc' | 'storagePoolRefresh'>;

/**
 * Uploads a disk image of this computer (probed by probeDiskImageFile: raw or a standalone qcow2)
 * into a pool as a new volume, as uploadMediaVolume does; then refreshes the pool so that libvirt
 * reads the image's own format and disk size from it. A qcow2 image grows as the guest writes, so
 * it is refused for pools of fixed-size block devices (LVM, iSCSI, disks) before anything is sent.
 */
export async function uploadDiskImage(conn: DiskImageUploadApi, poolName: string, volume: string, file: string, image: DiskImageInfo, opts: TransferOptions = {}): Promise<StorageVolRef> {
  if (image.format === 'qcow2') {
    const type = parsePoolXml(await conn.storagePoolGetXmlDesc(await conn.storagePoolLookupByName(poolName), 0)).type;
    if (!FILE_POOL_TYPES.includes(type)) {
      throw new DiskImageError(`Pool ${poolName} (${type}) holds fixed-size block devices, where a qcow2 image cannot grow: upload it into a directory pool, or convert it to raw first (qemu-img convert -O raw).`);
    }
  }
  const vol = await uploadMediaVolume(conn, poolName, volume, file, opts);
  // Another upload into the pool makes libvirt refuse the refresh; the volume is there either way.
  await conn.storagePoolRefresh(await conn.storagePoolLookupByName(poolName), 0).catch(() => undefined);
  return vol;
}

/** A volume name not yet in `taken`: "debian.iso", "debian-2.iso", … */
export function freeVolumeName(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 2; ; i++) if (!taken.includes(`${stem}-${i}${ext}`)) return `${stem}-${i}${ext}`;
}

export type HostIsoApi = Pick<
  Connection,
  'storageVolLookupByPath' | 'storageVolDownload' | 'connectListAllStoragePools' | 'storagePoolGetXmlDesc' | 'storagePoolRefresh' | 'storagePoolListAllVolumes' | 'storagePoolCreateXml' | 'storagePoolDestroy'
>;

/** A host path that is not an ISO the host has; the message says why, in the user's words. */
export class HostIsoError extends Error {
  override readonly name = 'HostIsoError';
  static is(e: unknown): e is HostIsoError {
    return e instanceof HostIsoError;
  }
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Checks an install ISO given as a path on the host, through the storage API only (so it works on
 * remote hosts without a shell): a volume of some pool at that path; else, after a refresh, a file
 * in a pool whose directory holds it; else a file found by a short-lived transient `dir` pool over
 * its directory (created, read, destroyed; nothing stays defined), as virt-manager makes a pool of
 * a browsed directory. Returns the ISO's identifiers (for OS detection); throws HostIsoError when
 * the path is not absolute, the directory or file is missing, or the file is not an ISO 9660 image.
 */
export async function checkHostIso(conn: HostIsoApi, path: string): Promise<IsoIdentifiers> {
  if (!path.startsWith('/') || path.endsWith('/')) throw new HostIsoError(`'${path}' is not an absolute path to a file on the host`);
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const base = path.slice(path.lastIndexOf('/') + 1);
  const identify = async (vol: StorageVolRef): Promise<IsoIdentifiers> => {
    const ids = await isoIdentifiersOfVolume(conn, vol).catch((e: unknown) => {
      throw new HostIsoError(`Cannot read ${path} on the host: ${errText(e)}`);
    });
    if (!ids) throw new HostIsoError(`${path} is not an ISO 9660 image (no volume descriptor at 32 KiB)`);
    return ids;
  };
  const byPath = await conn.storageVolLookupByPath(path).catch(() => undefined);
  if (byPath) return identify(byPath);
  // A pool over that directory: refresh it (the file may be new) and look again.
  const pools = await conn.connectListAllStoragePools(0);
  const xmls = await Promise.all(pools.map((p) => conn.storagePoolGetXmlDesc(p, 0).catch(() => '')));
  const holder = pools.find((_, i) => xmls[i] !== '' && ['dir', 'fs', 'netfs'].includes(parsePoolXml(xmls[i]!).type) && parsePoolXml(xmls[i]!).targetPath?.replace(/\/+$/, '') === dir);
  if (holder) {
    await conn.storagePoolRefresh(holder, 0).catch((e: unknown) => {
      throw new HostIsoError(`Pool ${holder.name} holds ${dir} but cannot be read now (${errText(e)}): start it to use files there`);
    });
    const again = await conn.storageVolLookupByPath(path).catch(() => undefined);
    if (again) return identify(again);
    throw new HostIsoError(`The host has no file ${path} (pool ${holder.name} holds ${dir})`);
  }
  const name = `vmm-isocheck-${randomBytes(4).toString('hex')}`;
  let pool: StoragePoolRef;
  try {
    pool = await conn.storagePoolCreateXml(buildPoolXml({ type: 'dir', name, targetPath: dir }), 0);
  } catch (e) {
    throw new HostIsoError(`Cannot read the directory ${dir} on the host: ${errText(e)}`);
  }
  try {
    const vol = (await conn.storagePoolListAllVolumes(pool, 0)).find((v) => v.name === base);
    if (!vol) throw new HostIsoError(`The host has no file ${path}`);
    return await identify(vol);
  } finally {
    await conn.storagePoolDestroy(pool).catch(() => undefined);
  }
}
