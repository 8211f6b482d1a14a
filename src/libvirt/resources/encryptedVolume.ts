// A LUKS-encrypted volume: its passphrase lives in a libvirt secret (an existing one, or one
// defined here with usage "volume" naming the new volume's path), the volume is created with
// `<encryption format='luks'>` naming that secret, and a disk referring to the volume carries the
// same `<encryption>` so QEMU gets the passphrase from libvirt at every start, with no prompt.

import type { Connection } from '../connection';
import type { SecretRef, StoragePoolRef, StorageVolRef } from '../refs';
import { createVolume, type VolumeApi } from './operations';
import { parsePoolXml } from './pool';
import { defineSecret, type SecretApi } from './secret';
import { ResourceInputError } from './validation';
import { volumeFileName, type VolumeSpec } from './volume';

export type EncryptionSecretChoice =
  /** Use this secret's value as the passphrase. */
  | { readonly existing: string }
  /** Define a new secret with this passphrase (UTF-8 bytes; wiped after use). */
  | { readonly passphrase: Uint8Array; readonly description?: string };

export interface EncryptedVolumeResult {
  readonly vol: StorageVolRef;
  readonly path: string;
  readonly secretUuid: string;
  /** The secret was defined here (and is deleted again if the volume could not be made). */
  readonly secretCreated: boolean;
}

export type EncryptedVolumeApi = VolumeApi & SecretApi & Pick<Connection, 'storagePoolGetXmlDesc' | 'storageVolGetXmlDesc'>;

/**
 * Creates a LUKS-encrypted volume (qcow2 or raw) in a pool with a target path. With a new
 * passphrase, the secret is defined first; if the volume then fails, that secret is undefined
 * again and libvirt's error is rethrown. The passphrase never appears in any XML.
 */
export async function createEncryptedVolume(conn: EncryptedVolumeApi, pool: StoragePoolRef, spec: Omit<VolumeSpec, 'luksSecretUuid'>, secret: EncryptionSecretChoice): Promise<EncryptedVolumeResult> {
  const target = parsePoolXml(await conn.storagePoolGetXmlDesc(pool, 0)).targetPath;
  if (target === undefined) throw new ResourceInputError('pool', `The pool ${pool.name} has no target path; encrypted volumes need a directory or filesystem pool.`);
  const path = `${target.replace(/\/+$/, '')}/${volumeFileName(spec.name, spec.format)}`;
  let ref: SecretRef | undefined;
  let uuid: string;
  if ('existing' in secret) {
    uuid = (await conn.secretLookupByUuid(secret.existing)).uuid;
  } else {
    ref = await defineSecret(conn, { usage: 'volume', usageId: path, description: secret.description ?? `LUKS passphrase of ${path}` }, secret.passphrase);
    uuid = ref.uuid;
  }
  try {
    const { vol } = await createWithRetry(() => createVolume(conn, pool, { ...spec, name: volumeFileName(spec.name, spec.format), luksSecretUuid: uuid }));
    return { vol, path, secretUuid: uuid, secretCreated: ref !== undefined };
  } catch (e) {
    if (ref) await conn.secretUndefine(ref).catch(() => undefined);
    throw e;
  }
}

/**
 * qemu-img times LUKS key derivation by the thread's CPU time, which the kernel accounts in ticks:
 * a first round that measures 0 ms fails with "Unable to get accurate CPU usage" (QEMU 7.2's
 * crypto/pbkdf.c), at random. libvirt removes the failed volume, so the same creation is tried again.
 * Measured through libvirtd on a 2-core machine: 24 of 120 creations failed so, idle or loaded,
 * never more than 2 in a row; a failed try returns in milliseconds. Twelve tries leave about one
 * creation in 10^8 failing for this reason.
 */
export async function createWithRetry<T>(create: () => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await create();
    } catch (e) {
      if (i >= attempts || !isPbkdfTimingError(e)) throw e;
    }
  }
}

function isPbkdfTimingError(e: unknown): boolean {
  return /Unable to get accurate CPU usage/.test(e instanceof Error ? e.message : String(e));
}
