// An incremental copy (VIR_MIGRATE_NON_SHARED_INC) copies only each disk's top image: the
// destination must have the backing images already, and libvirt 9.0 also wants the top image
// there before it starts ("pre-creation of storage targets for incremental storage migration is
// not supported", seen here): it creates the destination's files only for a full copy. The client
// has both connections, so it does what a user would otherwise do by hand: for every copied disk
// missing on the destination, an empty image of the same name, size and format, over the same
// backing image, in the destination's pool over that directory. What cannot be created that way
// (no backing image there, no pool) is named as a pre-flight problem.
// No `vscode` import: the integration tests run this against two real daemons.

import * as path from 'node:path';
import type { Connection, DomainRef, StorageVolRef } from '../../libvirt/connection';
import { buildVolumeXml } from '../../libvirt/resources/volume';
import { isNoStorageVol } from '../../libvirt/rpc/errors';
import { XmlDocument } from '../../libvirt/xml/xmlDocument';
import { diskElements, diskLabel, domainDisks } from '../domainXmlFacts';
import { poolDirs } from './destinationFiles';
import { isCopied, type PreflightProblem } from './preflight';

export interface PlannedTopImage {
  /** The disk's target, e.g. vda. */
  readonly target: string;
  /** The file created on the destination (the same path as on the source). */
  readonly path: string;
  readonly backingPath: string;
  /** The destination's pool over the file's directory. */
  readonly poolName: string;
  /** Volume XML for that pool. */
  readonly xml: string;
}

export interface IncrementalPlan {
  readonly images: readonly PlannedTopImage[];
  readonly problems: readonly PreflightProblem[];
}

const missingOn = async (conn: Connection, p: string): Promise<boolean> =>
  conn.storageVolLookupByPath(p).then(
    () => false,
    (e: unknown) => (isNoStorageVol(e) ? true : Promise.reject(e)),
  );

/** The top images an incremental copy of `dom` needs on `dst` and does not find there. */
export async function planIncrementalTargets(src: Connection, dst: Connection, dom: DomainRef, dstName: string): Promise<IncrementalPlan> {
  // The live XML: a running VM's shows each disk's backing chain.
  const xml = await src.domainGetXmlDesc(dom, 0);
  const doc = XmlDocument.parse(xml);
  const elements = diskElements(doc.root);
  const images: PlannedTopImage[] = [];
  const problems: PreflightProblem[] = [];
  let dirs: Map<string, string> | undefined;
  for (const [i, disk] of domainDisks(xml).entries()) {
    if (!isCopied(disk) || disk.path === undefined || disk.type !== 'file') continue;
    if (!(await missingOn(dst, disk.path))) continue;
    const backing = elements[i]?.child('backingStore');
    const backingPath = backing?.child('source')?.attr('file');
    if (!backingPath) {
      problems.push({ check: 'storage', severity: 'error', message: `Disk ${diskLabel(disk)} has no backing image, so an incremental copy has nothing to leave out: choose Copy disks.` });
      continue;
    }
    if (await missingOn(dst, backingPath)) {
      problems.push({
        check: 'storage',
        severity: 'error',
        message: `Disk ${diskLabel(disk)}: ${dstName} has no backing image ${backingPath} in a storage pool, which an incremental copy leaves out. Put it there (or refresh its pool), or choose Copy disks.`,
      });
      continue;
    }
    dirs ??= await poolDirs(dst);
    const poolName = dirs.get(path.dirname(path.normalize(disk.path)));
    if (!poolName) {
      problems.push({
        check: 'pool',
        severity: 'error',
        message: `Disk ${diskLabel(disk)}: ${dstName} has no storage pool for ${path.dirname(disk.path)}, where the copy's top image would be created. Define a pool there first.`,
      });
      continue;
    }
    const { capacity } = await src.domainGetBlockInfo(dom, disk.target);
    images.push({
      target: disk.target,
      path: disk.path,
      backingPath,
      poolName,
      xml: buildVolumeXml({
        name: path.basename(disk.path),
        format: disk.format ?? 'qcow2',
        capacity,
        backingPath,
        backingFormat: backing?.child('format')?.attr('type') ?? 'qcow2',
      }),
    });
  }
  return { images, problems };
}

/**
 * Creates the planned images on the destination. On a failure it deletes the ones it created
 * before and throws; the caller deletes them again with `removeTopImages` if the migration fails.
 */
export async function createTopImages(dst: Connection, images: readonly PlannedTopImage[]): Promise<StorageVolRef[]> {
  const made: StorageVolRef[] = [];
  try {
    for (const img of images) {
      const pool = await dst.storagePoolLookupByName(img.poolName);
      made.push(await dst.storageVolCreateXml(pool, img.xml));
      if (made[made.length - 1]?.key !== img.path) throw new Error(`${img.poolName} created ${made[made.length - 1]?.key ?? '?'} instead of ${img.path}`);
    }
    return made;
  } catch (e) {
    await removeTopImages(dst, made);
    throw e;
  }
}

/** Deletes images created by `createTopImages` (a failed or cancelled migration); returns the paths it could not delete. */
export async function removeTopImages(dst: Connection, vols: readonly StorageVolRef[]): Promise<string[]> {
  const left: string[] = [];
  for (const v of vols) {
    await dst.storageVolDelete(v).catch((e: unknown) => {
      if (!isNoStorageVol(e)) left.push(v.key);
    });
  }
  return left;
}
