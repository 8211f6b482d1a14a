// Multi-step changes to host resources that must not leave anything half-created: a pool or
// network is defined, then built/started; if a later step fails, what was defined is undefined
// again and libvirt's own error is rethrown. Inputs are checked before the first call.

import type { Connection } from '../connection';
import type { DomainRef, NetworkRef, StoragePoolRef, StorageVolRef } from '../refs';
import { VirDomainBlockResizeFlags, VirStoragePoolState, VirStorageVolResizeFlags } from '../generated/libvirtConstants';
import { buildNetworkXml, checkNetworkSpec, parseNetworkXml, takenByNetworks, type NetworkSpec, type TakenRange } from './network';
import { buildPoolXml, checkPoolSpec, poolNeedsBuild, type PoolSpec } from './pool';
import { buildVolumeXml, checkVolumeSpec, planResize, type VolumeSpec } from './volume';
import { formatBytes, ResourceInputError, throwIfErrors } from './validation';

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

/**
 * Deletes a pool. Without `deleteStorage` only the definition goes (stopping it first); with it
 * the volumes are deleted, then the pool's storage (storagePoolDelete: the directory, the volume
 * group...), then the definition.
 */
export async function deletePool(conn: PoolApi, pool: StoragePoolRef, opts: { readonly deleteStorage: boolean }): Promise<void> {
  const info = await conn.storagePoolGetInfo(pool);
  let active = info.state === VirStoragePoolState.RUNNING || info.state === VirStoragePoolState.DEGRADED;
  if (opts.deleteStorage) {
    if (!active) {
      await conn.storagePoolCreate(pool, 0);
      active = true;
    }
    const vols = await conn.storagePoolListAllVolumes(pool, 0);
    await Promise.all(vols.map((v) => conn.storageVolDelete(v, 0)));
  }
  if (active) await conn.storagePoolDestroy(pool);
  if (opts.deleteStorage) await conn.storagePoolDelete(pool, 0);
  await conn.storagePoolUndefine(pool);
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
      await conn.networkCreate(net);
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
