// Test objects are named PREFIX<pid>-…: a run removes what it made itself, and leftovers only of
// runs whose process is gone, never those of another run going on at the same time.

import * as fs from 'node:fs';
import type { Connection, StoragePoolRef } from '../src/libvirt/connection';
import { VirDomainUndefineFlagsValues as U } from '../src/libvirt/generated/libvirtConstants';
import { deletePool, listPoolVolumes } from '../src/libvirt/resources/operations';

/** True when `name` is PREFIX<pid>-… and that process no longer exists. */
export function leftoverOfDeadRun(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const m = /^(\d+)-/.exec(name.slice(prefix.length));
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Stops and undefines (with NVRAM and TPM state) every domain whose name `mine` accepts. */
async function removeDomains(conn: Connection, mine: (name: string) => boolean): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!mine(d.name)) continue;
    if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, U.NVRAM | U.TPM).catch(() => undefined);
  }
}

/** Stops and undefines every network whose name `mine` accepts. */
async function removeNetworks(conn: Connection, mine: (name: string) => boolean): Promise<void> {
  for (const n of await conn.connectListAllNetworks(0)) {
    if (!mine(n.name)) continue;
    await conn.networkDestroy(n).catch(() => undefined);
    await conn.networkUndefine(n).catch(() => undefined);
  }
}

/** Deletes a pool with every volume in it (started first, so that its volumes can be listed). */
async function removePool(conn: Connection, pool: StoragePoolRef): Promise<void> {
  await conn.storagePoolCreate(pool, 0).catch(() => undefined);
  const { volumes } = await listPoolVolumes(conn, pool).catch(() => ({ volumes: [] }));
  await deletePool(conn, pool, { deleteStorage: true, volumes }).catch(() => undefined);
}

/**
 * Removes the domains (with NVRAM and TPM state), networks and storage pools (with their volumes)
 * that a dead run of a suite using `prefix` left behind; those of runs still going on are left alone.
 */
export async function removeDeadRunObjects(conn: Connection, prefix: string): Promise<void> {
  await removeDomains(conn, (name) => leftoverOfDeadRun(name, prefix));
  await removeNetworks(conn, (name) => leftoverOfDeadRun(name, prefix));
  for (const p of await conn.connectListAllStoragePools()) {
    if (leftoverOfDeadRun(p.name, prefix)) await removePool(conn, p);
  }
}

/**
 * Removes what a run made, at the end of its suite: the domains and networks its predicates
 * accept, its pool with every volume in it, and its local folder. What a failed test never made
 * is passed over.
 */
export async function removeRunObjects(
  conn: Connection,
  made: { readonly domains: (name: string) => boolean; readonly networks?: (name: string) => boolean; readonly pool?: StoragePoolRef; readonly dir?: string },
): Promise<void> {
  await removeDomains(conn, made.domains);
  if (made.networks) await removeNetworks(conn, made.networks);
  if (made.pool) await removePool(conn, made.pool);
  if (made.dir) fs.rmSync(made.dir, { recursive: true, force: true });
}
