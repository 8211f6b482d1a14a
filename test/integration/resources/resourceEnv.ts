// Shared setup of the host-resource integration tests: the daemon URI (scripts/testenv.sh env),
// unique `rtest-` names and removal of objects an earlier, killed run left behind.

import * as crypto from 'node:crypto';
import { Connection, type StoragePoolRef } from '../../../src/libvirt/connection';
import { deletePool, listPoolVolumes } from '../../../src/libvirt/resources/operations';

export const uri = process.env['LIBVIRT_TEST_URI'] ?? 'qemu:///system';

export const PREFIX = 'rtest-';

export function uniqueName(kind: string): string {
  return `${PREFIX}${kind}-${crypto.randomBytes(3).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function openConnection(): Promise<Connection> {
  return Connection.open(uri);
}

/** Cleanup: deletes a test pool with the volumes it has now. */
export async function deletePoolAndVolumes(conn: Connection, pool: StoragePoolRef): Promise<void> {
  const { volumes } = await listPoolVolumes(conn, pool);
  await deletePool(conn, pool, { deleteStorage: true, volumes });
}

/** Destroys and undefines domains, networks and pools named `prefix`* (and the volumes of such pools). */
export async function removeLeftovers(conn: Connection, prefix = PREFIX): Promise<void> {
  for (const d of await conn.connectListAllDomains()) {
    if (!d.name.startsWith(prefix)) continue;
    if (d.id !== -1) await conn.domainDestroy(d).catch(() => undefined);
    await conn.domainUndefine(d, 0).catch(() => undefined);
  }
  for (const n of await conn.connectListAllNetworks()) {
    if (!n.name.startsWith(prefix)) continue;
    await conn.networkDestroy(n).catch(() => undefined);
    await conn.networkUndefine(n).catch(() => undefined);
  }
  for (const p of await conn.connectListAllStoragePools()) {
    if (!p.name.startsWith(prefix)) continue;
    await conn.storagePoolCreate(p).catch(() => undefined);
    for (const v of await conn.storagePoolListAllVolumes(p).catch(() => [])) await conn.storageVolDelete(v).catch(() => undefined);
    await conn.storagePoolDestroy(p).catch(() => undefined);
    await conn.storagePoolDelete(p).catch(() => undefined);
    await conn.storagePoolUndefine(p).catch(() => undefined);
  }
}
