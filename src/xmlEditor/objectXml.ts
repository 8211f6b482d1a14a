// The libvirt objects whose XML the editor opens, and how each one is read and (re)defined through
// the Connection API. Domains are read with VIR_DOMAIN_XML_INACTIVE | SECURE (the persistent
// definition, with secrets) and defined with VIR_DOMAIN_DEFINE_VALIDATE so libvirt checks the
// document against its own schema first (see libvirt include/libvirt-domain.h). No vscode here.

import type { Connection, DomainRef } from '../libvirt/connection';
import {
  VirDomainDefineFlags,
  VirDomainSnapshotXMLFlags,
  VirDomainXMLFlags,
  VirNetworkDefineFlags,
  VirNetworkXMLFlags,
  VirStoragePoolDefineFlags,
  VirStorageXMLFlags,
} from '../libvirt/generated/libvirtConstants';
import { isNoDomain, isNoDomainSnapshot, isNoNetwork, isNoStoragePool, isNoStorageVol } from '../libvirt/rpc/errors';

export const XML_OBJECT_KINDS = ['domain', 'network', 'pool', 'volume', 'snapshot'] as const;
export type XmlObjectKind = (typeof XML_OBJECT_KINDS)[number];

/** One object: `parent` is the pool of a volume or the domain of a snapshot. */
export interface XmlObjectId {
  readonly kind: XmlObjectKind;
  readonly name: string;
  readonly parent?: string;
}

export type XmlView = 'inactive' | 'live';

export type XmlConnection = Pick<
  Connection,
  | 'domainLookupByName'
  | 'domainGetXmlDesc'
  | 'domainDefineXml'
  | 'domainIsActive'
  | 'domainRename'
  | 'networkLookupByName'
  | 'networkGetXmlDesc'
  | 'networkDefineXml'
  | 'networkIsActive'
  | 'storagePoolLookupByName'
  | 'storagePoolGetXmlDesc'
  | 'storagePoolDefineXml'
  | 'storageVolLookupByName'
  | 'storageVolGetXmlDesc'
  | 'domainSnapshotGetXmlDesc'
>;

export const KIND_LABEL: Readonly<Record<XmlObjectKind, string>> = {
  domain: 'VM',
  network: 'network',
  pool: 'storage pool',
  volume: 'volume',
  snapshot: 'snapshot',
};

/** The root element each kind's XML has. */
export const ROOT_ELEMENT: Readonly<Record<XmlObjectKind, string>> = {
  domain: 'domain',
  network: 'network',
  pool: 'pool',
  volume: 'volume',
  snapshot: 'domainsnapshot',
};

/** The schema file libvirt validates each kind against (in /usr/share/libvirt/schemas). */
export const SCHEMA_FILE: Readonly<Record<XmlObjectKind, string>> = {
  domain: 'domain.rng',
  network: 'network.rng',
  pool: 'storagepool.rng',
  volume: 'storagevol.rng',
  snapshot: 'domainsnapshot.rng',
};

/** Why an object's XML cannot be saved, or undefined when it can. */
export function readOnlyReason(kind: XmlObjectKind): string | undefined {
  switch (kind) {
    case 'volume':
      return 'libvirt cannot redefine a storage volume: its XML is read-only (resize, wipe or re-create the volume instead).';
    case 'snapshot':
      return 'Snapshot XML is shown read-only: libvirt keeps it as the record of the snapshot.';
    default:
      return undefined;
  }
}

/** The object does not exist (any more) on the host. */
export class XmlObjectNotFoundError extends Error {
  constructor(readonly id: XmlObjectId) {
    super(`The ${KIND_LABEL[id.kind]} "${id.name}"${id.parent ? ` (in ${id.parent})` : ''} no longer exists on this host`);
    this.name = 'XmlObjectNotFoundError';
  }
  static is(e: unknown): e is XmlObjectNotFoundError {
    return e instanceof XmlObjectNotFoundError;
  }
}

function notFound(e: unknown): boolean {
  return isNoDomain(e) || isNoNetwork(e) || isNoStoragePool(e) || isNoStorageVol(e) || isNoDomainSnapshot(e);
}

async function lookupDomain(conn: XmlConnection, name: string): Promise<DomainRef> {
  return conn.domainLookupByName(name);
}

/** Reads an object's XML. The live view of an inactive object equals its inactive view. */
export async function fetchXml(conn: XmlConnection, id: XmlObjectId, view: XmlView = 'inactive'): Promise<string> {
  try {
    switch (id.kind) {
      case 'domain': {
        const dom = await lookupDomain(conn, id.name);
        const flags = VirDomainXMLFlags.SECURE | (view === 'inactive' ? VirDomainXMLFlags.INACTIVE : 0);
        return await conn.domainGetXmlDesc(dom, flags);
      }
      case 'network': {
        const net = await conn.networkLookupByName(id.name);
        return await conn.networkGetXmlDesc(net, view === 'inactive' ? VirNetworkXMLFlags.INACTIVE : 0);
      }
      case 'pool': {
        const pool = await conn.storagePoolLookupByName(id.name);
        return await conn.storagePoolGetXmlDesc(pool, view === 'inactive' ? VirStorageXMLFlags.INACTIVE : 0);
      }
      case 'volume': {
        const pool = await conn.storagePoolLookupByName(id.parent ?? '');
        return await conn.storageVolGetXmlDesc(await conn.storageVolLookupByName(pool, id.name), 0);
      }
      case 'snapshot': {
        const dom = await lookupDomain(conn, id.parent ?? '');
        return await conn.domainSnapshotGetXmlDesc({ dom, name: id.name }, VirDomainSnapshotXMLFlags.SECURE);
      }
    }
  } catch (err) {
    if (notFound(err)) throw new XmlObjectNotFoundError(id);
    throw err;
  }
}

/** True when the object runs (domain, network), so a define applies only on its next start. */
export async function isRunning(conn: XmlConnection, id: XmlObjectId): Promise<boolean> {
  if (id.kind === 'domain') return conn.domainIsActive(await conn.domainLookupByName(id.name));
  if (id.kind === 'network') return conn.networkIsActive(await conn.networkLookupByName(id.name));
  return false;
}

export class NotDefinableError extends Error {
  constructor(readonly kind: XmlObjectKind) {
    super(readOnlyReason(kind) ?? `A ${KIND_LABEL[kind]} cannot be defined from XML`);
    this.name = 'NotDefinableError';
  }
  static is(e: unknown): e is NotDefinableError {
    return e instanceof NotDefinableError;
  }
}

/** Defines (creates or replaces) an object from XML with libvirt's validation on; returns its name. */
export async function defineXml(conn: XmlConnection, kind: XmlObjectKind, xml: string): Promise<string> {
  switch (kind) {
    case 'domain':
      return (await conn.domainDefineXml(xml, VirDomainDefineFlags.VALIDATE)).name;
    case 'network':
      return (await conn.networkDefineXml(xml, VirNetworkDefineFlags.VALIDATE)).name;
    case 'pool':
      return (await conn.storagePoolDefineXml(xml, VirStoragePoolDefineFlags.VALIDATE)).name;
    default:
      throw new NotDefinableError(kind);
  }
}

/** Kinds libvirt can rename in place (virDomainRename); networks and pools have no rename call. */
export function canRename(kind: XmlObjectKind): boolean {
  return kind === 'domain';
}

export async function renameObject(conn: XmlConnection, id: XmlObjectId, newName: string): Promise<void> {
  if (id.kind !== 'domain') throw new NotDefinableError(id.kind);
  await conn.domainRename(await conn.domainLookupByName(id.name), newName);
}
