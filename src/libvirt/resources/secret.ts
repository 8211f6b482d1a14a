// libvirt secrets (formatsecret.rst): reading their XML, the spec of a new secret, defining one with
// its value (the value goes to libvirt in one secretSetValue call and is never kept, logged or
// returned), and which volumes and VMs use a secret, so deleting one can name them first.

import type { Connection } from '../connection';
import { VirConnectListAllSecretsFlags, VirSecretUsageType } from '../generated/libvirtConstants';
import type { SecretRef, StorageVolRef } from '../refs';
import { isNoSecret } from '../rpc/errors';
import { loadDomainUsages, type DomainUsage } from './domainUsage';
import { poolIsActive } from './pool';
import { parseVolumeXml } from './volume';
import { ResourceInputError, throwIfErrors, type CheckResult } from './validation';
import { attr, attrs, child, escapeXml, parseXmlElement, textOf } from './xmlElement';

export type SecretUsageKind = 'none' | 'volume' | 'ceph' | 'iscsi' | 'tls' | 'vtpm';

export const SECRET_USAGE_KINDS: readonly SecretUsageKind[] = ['volume', 'ceph', 'iscsi', 'tls', 'vtpm', 'none'];

/** What names the secret in `<usage>`: the element holding the id, per usage type. */
const USAGE_ID_ELEMENT: Readonly<Record<Exclude<SecretUsageKind, 'none'>, string>> = { volume: 'volume', ceph: 'name', iscsi: 'target', tls: 'name', vtpm: 'name' };

const USAGE_BY_NUMBER: Readonly<Record<number, SecretUsageKind>> = {
  [VirSecretUsageType.NONE]: 'none',
  [VirSecretUsageType.VOLUME]: 'volume',
  [VirSecretUsageType.CEPH]: 'ceph',
  [VirSecretUsageType.ISCSI]: 'iscsi',
  [VirSecretUsageType.TLS]: 'tls',
  [VirSecretUsageType.VTPM]: 'vtpm',
};

/** The usage kind of a secret reference (virSecretUsageType). */
export function secretUsageKind(ref: SecretRef): SecretUsageKind {
  return USAGE_BY_NUMBER[ref.usageType] ?? 'none';
}

export interface SecretDescription {
  readonly uuid: string;
  readonly description?: string;
  /** Kept in memory only: gone when libvirtd restarts. */
  readonly ephemeral: boolean;
  /** The value cannot be read back through the API. */
  readonly private: boolean;
  readonly usage: SecretUsageKind;
  /** The volume path, Ceph/TLS/vTPM name or iSCSI target. */
  readonly usageId?: string;
}

export function parseSecretXml(xml: string): SecretDescription {
  const root = parseXmlElement(xml);
  const usageEl = child(root, 'usage');
  const usage = (attr(usageEl, 'type') ?? 'none') as SecretUsageKind;
  const idEl = usage === 'none' ? undefined : USAGE_ID_ELEMENT[usage];
  return {
    uuid: textOf(root, 'uuid') ?? '',
    description: textOf(root, 'description'),
    ephemeral: attr(root, 'ephemeral') === 'yes',
    private: attr(root, 'private') === 'yes',
    usage: SECRET_USAGE_KINDS.includes(usage) ? usage : 'none',
    usageId: idEl === undefined ? undefined : textOf(usageEl, idEl),
  };
}

export interface SecretSpec {
  readonly description?: string;
  readonly usage: SecretUsageKind;
  /** Required for every usage but 'none'. */
  readonly usageId?: string;
  /** Default false: kept across libvirtd restarts, so a VM using it starts without prompts. */
  readonly ephemeral?: boolean;
  /** Default true: the value can never be read back through libvirt. */
  readonly private?: boolean;
  /** A fixed UUID (libvirt generates one when absent). */
  readonly uuid?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkSecretSpec(spec: SecretSpec, existing: readonly SecretDescription[] = []): CheckResult {
  const errors: ResourceInputError[] = [];
  if (!SECRET_USAGE_KINDS.includes(spec.usage)) errors.push(new ResourceInputError('usage', `Unknown secret usage ${JSON.stringify(spec.usage)}.`));
  const id = spec.usageId?.trim() ?? '';
  if (spec.usage !== 'none') {
    if (id === '') errors.push(new ResourceInputError('usageId', spec.usage === 'volume' ? 'A volume secret names the volume’s path.' : `A ${spec.usage} secret needs a usage name.`));
    else if (spec.usage === 'volume' && !id.startsWith('/')) errors.push(new ResourceInputError('usageId', `A volume secret names an absolute path, got ${JSON.stringify(id)}.`));
    const clash = existing.find((s) => s.usage === spec.usage && s.usageId === id);
    if (clash) errors.push(new ResourceInputError('usageId', `The secret ${clash.uuid} is already used for ${spec.usage} ${id}.`));
  }
  if (spec.uuid !== undefined && !UUID_RE.test(spec.uuid)) errors.push(new ResourceInputError('uuid', `${JSON.stringify(spec.uuid)} is not a UUID.`));
  if (spec.description !== undefined && [...spec.description].some((c) => c.charCodeAt(0) < 32 && c !== '\t' && c !== '\n' && c !== '\r')) errors.push(new ResourceInputError('description', 'The description has control characters.'));
  return { errors, warnings: [] };
}

/** The secret's XML: no value in it (the value is set separately and never part of any XML). */
export function buildSecretXml(spec: SecretSpec): string {
  throwIfErrors(checkSecretSpec(spec));
  const lines = [`<secret${attrs({ ephemeral: spec.ephemeral ? 'yes' : 'no', private: (spec.private ?? true) ? 'yes' : 'no' })}>`];
  if (spec.uuid !== undefined) lines.push(`  <uuid>${escapeXml(spec.uuid)}</uuid>`);
  if (spec.description !== undefined && spec.description !== '') lines.push(`  <description>${escapeXml(spec.description)}</description>`);
  if (spec.usage !== 'none') {
    const el = USAGE_ID_ELEMENT[spec.usage];
    lines.push(`  <usage${attrs({ type: spec.usage })}>`, `    <${el}>${escapeXml(spec.usageId?.trim() ?? '')}</${el}>`, '  </usage>');
  }
  lines.push('</secret>');
  return lines.join('\n') + '\n';
}

/**
 * The value a user typed, as libvirt stores it. A passphrase is its UTF-8 bytes (what QEMU's LUKS
 * driver takes); a key is given as base64 (how `virsh secret-set-value` takes it) and stored
 * decoded. Throws on an empty value or malformed base64, never echoing the value.
 */
export function secretValueBytes(kind: 'passphrase' | 'base64', value: string): Uint8Array {
  if (value === '') throw new ResourceInputError('value', 'The secret value is empty.');
  if (kind === 'passphrase') return new TextEncoder().encode(value);
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) throw new ResourceInputError('value', 'The key is not valid base64.');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

export type SecretApi = Pick<Connection, 'connectListAllSecrets' | 'secretGetXmlDesc' | 'secretDefineXml' | 'secretSetValue' | 'secretUndefine' | 'secretLookupByUuid'>;

export interface SecretListing {
  readonly ref: SecretRef;
  readonly desc?: SecretDescription;
}

/**
 * Every secret with its usage and flags in three list calls sent together (all, ephemeral only,
 * private only: virConnectListAllSecretsFlags), not one XML read per secret; the description,
 * which only the XML has, is left out (read it with `secretGetXmlDesc` when it is needed).
 */
export async function listSecrets(conn: Pick<SecretApi, 'connectListAllSecrets'>): Promise<SecretListing[]> {
  const [all, ephemeral, priv] = await Promise.all([
    conn.connectListAllSecrets(0),
    conn.connectListAllSecrets(VirConnectListAllSecretsFlags.EPHEMERAL),
    conn.connectListAllSecrets(VirConnectListAllSecretsFlags.PRIVATE),
  ]);
  const eph = new Set(ephemeral.map((r) => r.uuid));
  const pri = new Set(priv.map((r) => r.uuid));
  return all.map((ref) => {
    const usage = secretUsageKind(ref);
    return { ref, desc: { uuid: ref.uuid, ephemeral: eph.has(ref.uuid), private: pri.has(ref.uuid), usage, ...(usage !== 'none' && ref.usageId !== '' ? { usageId: ref.usageId } : {}) } };
  });
}

/**
 * Defines a secret and sets its value; if setting the value fails, the definition is undone so no
 * empty secret is left behind. The value is wiped from the buffer afterwards.
 */
export async function defineSecret(conn: SecretApi, spec: SecretSpec, value: Uint8Array): Promise<SecretRef> {
  if (value.length === 0) throw new ResourceInputError('value', 'The secret value is empty.');
  const existing = (await listSecrets(conn)).flatMap((s) => (s.desc ? [s.desc] : []));
  throwIfErrors(checkSecretSpec(spec, existing));
  const ref = await conn.secretDefineXml(buildSecretXml(spec), 0);
  try {
    await conn.secretSetValue(ref, value, 0);
  } catch (e) {
    await conn.secretUndefine(ref).catch(() => undefined);
    throw e;
  } finally {
    value.fill(0);
  }
  return ref;
}

/** A volume whose XML refers to the secret (its `<encryption><secret uuid>`). */
export interface SecretVolumeUse {
  readonly vol: StorageVolRef;
  readonly path?: string;
}

export interface SecretUsers {
  readonly volumes: readonly SecretVolumeUse[];
  readonly vms: readonly { readonly name: string; readonly running: boolean }[];
}

/** VMs whose XML names the secret (by UUID, or by its usage for a volume secret's path). */
export function secretVmUsers(usages: readonly DomainUsage[], secret: SecretDescription): SecretUsers['vms'] {
  return usages
    .filter((u) => u.secrets.includes(secret.uuid) || (secret.usage === 'volume' && secret.usageId !== undefined && u.disks.some((d) => d.path === secret.usageId)))
    .map((u) => ({ name: u.dom.name, running: u.running }));
}

/** The secret is gone: nothing is deleted. */
export class SecretChangedError extends Error {
  constructor(readonly uuid: string) {
    super(`The secret ${uuid} no longer exists; nothing was deleted.`);
    this.name = 'SecretChangedError';
  }

  static is(e: unknown): e is SecretChangedError {
    return e instanceof SecretChangedError;
  }
}

/**
 * Since the confirmation, more volumes or VMs use the secret than the user was told about
 * (a VM was defined with it, a volume was made with it): nothing is deleted, and the newcomers
 * are named so the user can decide again.
 */
export class SecretUsersChangedError extends Error {
  constructor(
    readonly uuid: string,
    readonly newVolumes: readonly string[],
    readonly newVms: readonly string[],
  ) {
    const what = [newVolumes.length > 0 ? `volumes ${newVolumes.join(', ')}` : undefined, newVms.length > 0 ? `VMs ${newVms.join(', ')}` : undefined].filter((s): s is string => s !== undefined);
    super(`Since the confirmation, the secret ${uuid} is also used by ${what.join(' and ')}; nothing was deleted.`);
    this.name = 'SecretUsersChangedError';
  }

  static is(e: unknown): e is SecretUsersChangedError {
    return e instanceof SecretUsersChangedError;
  }
}

export type SecretUsersApi = Pick<Connection, 'connectListAllStoragePools' | 'storagePoolGetInfo' | 'storagePoolListAllVolumes' | 'storageVolGetXmlDesc' | 'connectListAllDomains' | 'domainGetXmlDesc'>;

/**
 * Volumes (in active pools) whose XML names the secret (its `<encryption><secret uuid>`, or the
 * path a volume secret is for), and VMs whose XML names it: one bulk list per kind, the XML reads
 * pipelined.
 */
export async function loadSecretUsers(conn: SecretUsersApi, secret: SecretDescription): Promise<SecretUsers> {
  const volumes = async (): Promise<SecretVolumeUse[]> => {
    const pools = await conn.connectListAllStoragePools(0);
    const infos = await Promise.all(pools.map((p) => conn.storagePoolGetInfo(p).catch(() => undefined)));
    const active = pools.filter((_, i) => {
      const info = infos[i];
      return info !== undefined && poolIsActive(info.state);
    });
    const vols = (await Promise.all(active.map((p) => conn.storagePoolListAllVolumes(p, 0).catch(() => [])))).flat();
    const xmls = await Promise.all(vols.map((v) => conn.storageVolGetXmlDesc(v, 0).catch(() => undefined)));
    return vols.flatMap((vol, i) => {
      const x = xmls[i];
      if (x === undefined) return [];
      const d = parseVolumeXml(x);
      const uses = d.encryption?.secretUuid === secret.uuid || (secret.usage === 'volume' && secret.usageId !== undefined && d.path === secret.usageId);
      return uses ? [{ vol, ...(d.path !== undefined ? { path: d.path } : {}) }] : [];
    });
  };
  const [vols, usages] = await Promise.all([volumes(), loadDomainUsages(conn)]);
  return { volumes: vols, vms: secretVmUsers(usages, secret) };
}

/** How a volume user is named to the user: its path, else its name. */
export function secretVolumeLabel(v: SecretVolumeUse): string {
  return v.path ?? v.vol.name;
}

export type DeleteSecretApi = Pick<SecretApi, 'secretLookupByUuid' | 'secretUndefine' | 'secretGetXmlDesc'> & SecretUsersApi;

/**
 * Undefines exactly the confirmed secret, after checking it still exists. With `confirmed` (the
 * users the confirmation named), the users are read again first: a volume or VM that uses it now
 * and was not named stops the delete (SecretUsersChangedError), so nothing unannounced loses its key.
 */
export async function deleteSecret(conn: DeleteSecretApi, uuid: string, confirmed?: SecretUsers): Promise<void> {
  const now = await conn.secretLookupByUuid(uuid).catch((e: unknown) => {
    if (isNoSecret(e)) throw new SecretChangedError(uuid);
    throw e;
  });
  if (confirmed) {
    const desc = parseSecretXml(
      await conn.secretGetXmlDesc(now, 0).catch((e: unknown) => {
        if (isNoSecret(e)) throw new SecretChangedError(uuid);
        throw e;
      }),
    );
    const users = await loadSecretUsers(conn, desc);
    const knownVols = new Set(confirmed.volumes.map(secretVolumeLabel));
    const knownVms = new Set(confirmed.vms.map((v) => v.name));
    const newVolumes = users.volumes.map(secretVolumeLabel).filter((v) => !knownVols.has(v));
    const newVms = users.vms.map((v) => v.name).filter((v) => !knownVms.has(v));
    if (newVolumes.length > 0 || newVms.length > 0) throw new SecretUsersChangedError(uuid, newVolumes, newVms);
  }
  await conn.secretUndefine(now);
}
