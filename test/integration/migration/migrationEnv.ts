// Two real daemons for the migration tests (scripts/testenv.sh starts both): the machine's
// libvirtd and a peer in its own mount namespace with its own host UUID, both seeing one disk
// directory. A storage pool over a per-run subdirectory is defined on both, as a shared (NFS-like)
// pool would be on two real hosts. Every object is named PREFIX<pid>-…; leftovers of dead runs go.

import * as path from 'node:path';
import { Connection, type DomainRef, type StoragePoolRef } from '../../../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../../../src/libvirt/generated/libvirtConstants';
import { leftoverOfDeadRun } from '../../leftovers';

export const migEnv = {
  srcUri: process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system',
  /** The source as the peer daemon reaches it (peer-to-peer back). */
  srcTcpUri: `qemu+tcp://${process.env['LIBVIRT_TEST_TCP'] ?? '127.0.0.1:16509'}/system`,
  dstUri: process.env['LIBVIRT_TEST_PEER_URI'] ?? 'qemu+tcp://127.0.0.1:16510/system',
  sharedDir: process.env['LIBVIRT_TEST_SHARED_DIR'] ?? '/var/lib/libvirt-vms-test/shared',
};

export const PREFIX = 'itest-mig';
export const runPrefix = `${PREFIX}${process.pid}-`;
let counter = 0;
export function uniqueName(kind: string): string {
  counter += 1;
  return `${runPrefix}${kind}${counter}`;
}

const UNDEFINE_ALL = U.MANAGED_SAVE | U.SNAPSHOTS_METADATA | U.CHECKPOINTS_METADATA | U.NVRAM;

export async function removeDomain(conn: Connection, name: string): Promise<void> {
  const d = await conn.domainLookupByName(name).catch(() => undefined);
  if (!d) return;
  await conn.domainDestroy(d).catch(() => undefined);
  await conn.domainUndefine(d, UNDEFINE_ALL).catch(() => undefined);
}

/** Removes this run's objects, and those of dead runs, from one daemon. */
export async function cleanUp(conn: Connection, all: boolean): Promise<void> {
  const mine = (n: string): boolean => (all && n.startsWith(runPrefix)) || leftoverOfDeadRun(n, PREFIX);
  for (const d of await conn.connectListAllDomains()) if (mine(d.name)) await removeDomain(conn, d.name);
  for (const n of await conn.connectListAllNetworks()) {
    if (!mine(n.name)) continue;
    await conn.networkDestroy(n).catch(() => undefined);
    await conn.networkUndefine(n).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!mine(p.name)) continue;
    await dropPool(conn, p);
  }
}

export interface SharedPool {
  readonly name: string;
  readonly dir: string;
  readonly src: StoragePoolRef;
  readonly dst: StoragePoolRef;
}

/** A dir pool over SHARED/<name> on both daemons (built by the source). */
export async function sharedPool(src: Connection, dst: Connection): Promise<SharedPool> {
  const name = `${runPrefix}pool`;
  const dir = path.join(migEnv.sharedDir, name);
  const xml = `<pool type='dir'><name>${name}</name><target><path>${dir}</path><permissions><mode>0755</mode></permissions></target></pool>`;
  const sp = await src.storagePoolDefineXml(xml);
  await src.storagePoolBuild(sp);
  await src.storagePoolCreate(sp);
  const dp = await dst.storagePoolDefineXml(xml);
  await dst.storagePoolCreate(dp);
  return { name, dir, src: sp, dst: dp };
}

/** A 16 MiB qcow2 in the shared pool; its path. Both sides see it after a refresh. */
export async function sharedDisk(src: Connection, dst: Connection, pool: SharedPool, name: string): Promise<string> {
  const vol = await src.storageVolCreateXml(
    pool.src,
    `<volume><name>${name}.qcow2</name><capacity unit='MiB'>16</capacity><target><format type='qcow2'/></target></volume>`,
  );
  await dst.storagePoolRefresh(pool.dst);
  return path.join(pool.dir, vol.name);
}

/**
 * A TCG guest with a shared disk (cache='none', which libvirt accepts as safe to migrate) and a
 * NIC on the `default` network (both daemons have one, on different bridges).
 */
export function guestXml(name: string, diskPath: string, opts: { memoryMiB?: number; network?: string; cpu?: string } = {}): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 128}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  ${opts.cpu ?? ''}
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='${diskPath}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'><source network='${opts.network ?? 'default'}'/><model type='virtio'/></interface>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>`;
}

export async function lookup(conn: Connection, name: string): Promise<DomainRef | undefined> {
  return conn.domainLookupByName(name).catch(() => undefined);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A dir pool under /var/lib/libvirt/images, which each daemon has for itself (the peer's is
 * bind-mounted over): a disk there exists on the source only, as a local disk on a real host.
 */
export async function localPool(src: Connection, dst: Connection): Promise<SharedPool> {
  const name = `${runPrefix}local`;
  const dir = path.join('/var/lib/libvirt/images', name);
  const xml = `<pool type='dir'><name>${name}</name><target><path>${dir}</path><permissions><mode>0755</mode></permissions></target></pool>`;
  const sp = await src.storagePoolDefineXml(xml);
  await src.storagePoolBuild(sp);
  await src.storagePoolCreate(sp);
  const dp = await dst.storagePoolDefineXml(xml);
  await dst.storagePoolBuild(dp);
  await dst.storagePoolCreate(dp);
  return { name, dir, src: sp, dst: dp };
}

/** Deletes every volume of a pool on one side, then the pool's directory (its own, not shared). */
export async function dropPool(conn: Connection, pool: StoragePoolRef): Promise<void> {
  for (const v of await conn.storagePoolListAllVolumes(pool).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
  await conn.storagePoolDestroy(pool).catch(() => undefined);
  await conn.storagePoolDelete(pool).catch(() => undefined);
  await conn.storagePoolUndefine(pool).catch(() => undefined);
}
