// Multi-step changes to host resources that must not leave anything half-created: a pool or
// network is defined, then built/started; if a later step fails, what was defined is undefined
// again and libvirt's own error is rethrown. Inputs are checked before the first call.

import type { Connection } from '../connection';
import type { DomainRef, NetworkRef, StoragePoolRef, StorageVolRef } from '../refs';
import { VirDomainBlockResizeFlags, VirStorageVolResizeFlags } from '../generated/libvirtConstants';
import { isNoStoragePool } from '../rpc/errors';
import { buildNetworkXml, checkNetworkSpec, parseNetworkXml, takenByNetworks, type NetworkSpec, type TakenRange } from './network';
import { buildPoolXml, checkPoolSpec, poolIsActive, poolNeedsBuild, type PoolSpec } from './pool';
import { buildVolumeXml, checkVolumeSpec, planResize, type VolumeSpec } from './volume';
import { formatBytes, ResourceInputError, throwIfErrors } from './validation';
import { startNetwork } from './networkStart';

export type PoolApi = Pick<
  Connection,
  | 'connectListAllStoragePools'
  | 'storagePoolDefineXml'
  | 'storagePoolBuild'
  | 'storagePoolCreate'
  | 'storagePoolDestroy'
  | 'storagePoolDelete'
  | 'storagePoolUndefine'
  | 'storagePoolSetAutostart'
  | 'storagePoolGetInfo'
  | 'storagePoolListAllVolumes'
  | 'storagePoolLookupByName'
  | 'storagePoolRefresh'
  | 'storageVolDelete'
>;

export type NetworkApi = Pick<
  Connection,
  'connectListAllNetworks' | 'networkGetXmlDesc' | 'networkDefineXml' | 'networkCreate' | 'networkDestroy' | 'networkUndefine' | 'networkSetAutostart' | 'networkIsActive'
>;

export type VolumeApi = Pick<Connection, 'storagePoolGetInfo' | 'storagePoolListAllVolumes' | 'storageVolCreateXml' | 'storageVolGetInfo' | 'storageVolResize'>;

/** Runs `undo` steps in reverse, ignoring their failures, then rethrows the original error. */
async function rollback(err: unknown, undo: readonly (() => Promise<unknown>)[]): Promise<never> {
  for (const u of [...undo].reverse()) await u().catch(() => undefined);
  throw err;
}

export interface CreatePoolOptions {
  /** Start the pool after defining it (default true). */
  readonly start?: boolean;
  readonly autostart?: boolean;
  /** Run storagePoolBuild (mkdir, mkfs, vgcreate...) even for types that do not need it by default. */
  readonly build?: boolean;
  /** storagePoolBuild flags (virStoragePoolBuildFlags), e.g. NO_OVERWRITE for fs/disk. */
  readonly buildFlags?: number;
}

/** Defines, builds, starts and optionally autostarts a pool; undoes everything on failure. */
export async function createPool(conn: PoolApi, spec: PoolSpec, opts: CreatePoolOptions = {}): Promise<StoragePoolRef> {
  const existing = (await conn.connectListAllStoragePools(0)).map((p) => p.name);
  throwIfErrors(checkPoolSpec(spec, existing));
  const pool = await conn.storagePoolDefineXml(buildPoolXml(spec), 0);
  const undo: (() => Promise<unknown>)[] = [() => conn.storagePoolUndefine(pool)];
  try {
    if (opts.build ?? poolNeedsBuild(spec.type)) await conn.storagePoolBuild(pool, opts.buildFlags ?? 0);
    if (opts.start ?? true) {
      await conn.storagePoolCreate(pool, 0);
      undo.push(() => conn.storagePoolDestroy(pool));
    }
    if (opts.autostart) await conn.storagePoolSetAutostart(pool, true);
  } catch (e) {
    return rollback(e, undo);
  }
  return pool;
}

export interface PoolVolumeListing {
  readonly volumes: readonly StorageVolRef[];
  /** The pool was inactive and was started to list them; stop it again if nothing follows. */
  readonly started: boolean;
}

/**
 * The pool's volumes as they are now: an active pool is refreshed first (files put there outside
 * libvirt count too); an inactive one is started, since libvirt lists volumes of running pools
 * only. A failure is thrown, never read as "no volumes"; a pool started here is stopped again then.
 */
export async function listPoolVolumes(conn: PoolApi, pool: StoragePoolRef): Promise<PoolVolumeListing> {
  const started = !poolIsActive((await conn.storagePoolGetInfo(pool)).state);
  if (started) await conn.storagePoolCreate(pool, 0);
  try {
    if (!started) await conn.storagePoolRefresh(pool, 0);
    return { volumes: await conn.storagePoolListAllVolumes(pool, 0), started };
  } catch (e) {
    if (started) await conn.storagePoolDestroy(pool).catch(() => undefined);
    throw e;
  }
}

/** The pool named in a confirmation is gone, or its name now belongs to another pool. */
export class PoolChangedError extends Error {
  constructor(readonly pool: StoragePoolRef, readonly nowUuid: string | undefined) {
    super(
      nowUuid === undefined
        ? `The pool ${pool.name} no longer exists; nothing was deleted.`
        : `The pool named ${pool.name} is not the one that was confirmed (UUID ${nowUuid}, not ${pool.uuid}); nothing was deleted.`,
    );
    this.name = 'PoolChangedError';
  }

  static is(e: unknown): e is PoolChangedError {
    return e instanceof PoolChangedError;
  }
}

/** Deleting exactly the confirmed volumes: which were deleted, and what was found besides them. */
export interface PoolDeletion {
  /** The pool (its storage and its definition) is gone. */
  readonly poolDeleted: boolean;
  readonly deletedVolumes: readonly StorageVolRef[];
  /**
   * Volumes in the pool that were not confirmed (created after the listing): left in place, and
   * the pool with them, since deleting the pool's storage would destroy them.
   */
  readonly unconfirmed: readonly StorageVolRef[];
}

export type DeletePoolOptions =
  /** Only the definition goes (the pool is stopped first); volumes and data stay. */
  | { readonly deleteStorage: false }
  /** Deletes these volumes (the list the user confirmed), then the pool's storage and definition. */
  | { readonly deleteStorage: true; readonly volumes: readonly StorageVolRef[] };

/**
 * Deletes a pool after re-checking that it is still the confirmed one (same name, same UUID).
 * With storage: deletes exactly `volumes` (matched by key), then, if no other volume is in the
 * pool, its storage (storagePoolDelete: the directory, the volume group...) and its definition.
 * A volume that was not confirmed is never deleted: the pool is then kept (stopped again if it
 * had to be started here) and the volume reported in `unconfirmed`.
 */
export async function deletePool(conn: PoolApi, pool: StoragePoolRef, opts: DeletePoolOptions): Promise<PoolDeletion> {
  const now = await conn.storagePoolLookupByName(pool.name).catch((e: unknown) => {
    if (isNoStoragePool(e)) throw new PoolChangedError(pool, undefined);
    throw e;
  });
  if (now.uuid !== pool.uuid) throw new PoolChangedError(pool, now.uuid);
  if (!opts.deleteStorage) {
    if (poolIsActive((await conn.storagePoolGetInfo(pool)).state)) await conn.storagePoolDestroy(pool);
    await conn.storagePoolUndefine(pool);
    return { poolDeleted: true, deletedVolumes: [], unconfirmed: [] };
  }
  const { volumes: present, started } = await listPoolVolumes(conn, pool);
  const confirmed = new Set(opts.volumes.map((v) => v.key));
  const deletedVolumes: StorageVolRef[] = [];
  let unconfirmed: StorageVolRef[];
  try {
    for (const v of present.filter((p) => confirmed.has(p.key))) {
      await conn.storageVolDelete(v, 0);
      deletedVolumes.push(v);
    }
    await conn.storagePoolRefresh(pool, 0);
    unconfirmed = await conn.storagePoolListAllVolumes(pool, 0);
  } catch (e) {
    if (started) await conn.storagePoolDestroy(pool).catch(() => undefined);
    throw e;
  }
  if (unconfirmed.length > 0) {
    if (started) await conn.storagePoolDestroy(pool);
    return { poolDeleted: false, deletedVolumes, unconfirmed };
  }
  await conn.storagePoolDestroy(pool);
  await conn.storagePoolDelete(pool, 0);
  await conn.storagePoolUndefine(pool);
  return { poolDeleted: true, deletedVolumes, unconfirmed: [] };
}

/** The subnets of all networks of the host plus `extra` (e.g. host routes), for checks. */
export async function takenRanges(conn: NetworkApi, extra: readonly TakenRange[] = []): Promise<{ names: string[]; taken: TakenRange[] }> {
  const refs = await conn.connectListAllNetworks(0);
  const xmls = await Promise.all(refs.map((r) => conn.networkGetXmlDesc(r, 0).catch(() => undefined)));
  const nets = xmls.flatMap((x) => (x === undefined ? [] : [parseNetworkXml(x)]));
  return { names: refs.map((r) => r.name), taken: [...takenByNetworks(nets), ...extra] };
}

/** Checks against the host's networks (and `hostRoutes`), defines, starts and autostarts a network. */
export async function createNetwork(
  conn: NetworkApi,
  spec: NetworkSpec,
  opts: { readonly start?: boolean; readonly autostart?: boolean; readonly hostRoutes?: readonly TakenRange[] } = {},
): Promise<NetworkRef> {
  const { names, taken } = await takenRanges(conn, opts.hostRoutes ?? []);
  throwIfErrors(checkNetworkSpec(spec, names, taken));
  const net = await conn.networkDefineXml(buildNetworkXml(spec), 0);
  const undo: (() => Promise<unknown>)[] = [() => conn.networkUndefine(net)];
  try {
    if (opts.start ?? true) {
      await startNetwork(conn, net);
      undo.push(() => conn.networkDestroy(net));
    }
    if (opts.autostart) await conn.networkSetAutostart(net, true);
  } catch (e) {
    return rollback(e, undo);
  }
  return net;
}

export interface CreateVolumeResult {
  readonly vol: StorageVolRef;
  readonly warnings: readonly string[];
}

/**
 * Checks the spec against the pool's free space and existing names, then creates the volume.
 * Warnings (a sparse volume larger than the free space) are returned, not thrown; pass
 * `confirmWarnings` to decide before the call.
 */
export async function createVolume(
  conn: VolumeApi,
  pool: StoragePoolRef,
  spec: VolumeSpec,
  confirmWarnings: (warnings: readonly string[]) => Promise<boolean> | boolean = () => true,
): Promise<CreateVolumeResult> {
  const [info, vols] = await Promise.all([conn.storagePoolGetInfo(pool), conn.storagePoolListAllVolumes(pool, 0)]);
  const check = checkVolumeSpec(spec, info.available, vols.map((v) => v.name));
  throwIfErrors(check);
  if (check.warnings.length > 0 && !(await confirmWarnings(check.warnings))) throw new ResizeDeclinedError('volume creation');
  const vol = await conn.storageVolCreateXml(pool, buildVolumeXml(spec), 0);
  return { vol, warnings: check.warnings };
}

/** The user declined after a warning. */
export class ResizeDeclinedError extends Error {
  constructor(what: string) {
    super(`${what} not confirmed`);
    this.name = 'ResizeDeclinedError';
  }

  static is(e: unknown): e is ResizeDeclinedError {
    return e instanceof ResizeDeclinedError;
  }
}

/**
 * Resizes a volume to `capacity` bytes. Shrinking needs `allowShrink`; when `runningUsers` is not
 * empty, or for a shrink, `confirm` is asked with the warnings and must say yes.
 */
export async function resizeVolume(
  conn: VolumeApi,
  vol: StorageVolRef,
  capacity: number,
  opts: { readonly allowShrink?: boolean; readonly runningUsers?: readonly string[]; readonly confirm?: (warnings: readonly string[]) => Promise<boolean> | boolean } = {},
): Promise<void> {
  const info = await conn.storageVolGetInfo(vol);
  const plan = planResize(info.capacity, capacity, opts);
  if (plan.warnings.length > 0 && !(await (opts.confirm ?? (() => false))(plan.warnings))) throw new ResizeDeclinedError('resize');
  await conn.storageVolResize(vol, plan.capacity, plan.shrink ? VirStorageVolResizeFlags.SHRINK : 0);
}

/**
 * Grows a disk of a running VM through QEMU (domainBlockResize, in bytes): the guest sees the new
 * size at once and the image is not changed underneath QEMU. `target` is the disk's target dev.
 */
export async function resizeThroughDomain(
  conn: Pick<Connection, 'domainBlockResize' | 'storageVolGetInfo'>,
  vol: StorageVolRef,
  dom: DomainRef,
  target: string,
  capacity: number,
): Promise<void> {
  const info = await conn.storageVolGetInfo(vol);
  if (capacity <= info.capacity) throw new ResourceInputError('capacity', `A running VM's disk can only grow (now ${formatBytes(info.capacity)}).`);
  await conn.domainBlockResize(dom, target, capacity, VirDomainBlockResizeFlags.BYTES);
}
