// What the host-resource nodes need from a connection and from the session that owns the tree
// of a connection. The views hold connections through structural interfaces; the real
// Connection has these methods, checked once by a guard rather than a cast.

import type { Connection } from '../../libvirt/connection';
import type { DomainEventKind } from '../../libvirt/events';
import type { TransferApi } from '../../libvirt/resources/transfer';
import type { TreeContext } from '../treeNode';

export type ResourceConnection = Pick<
  Connection,
  | 'connectListAllStoragePools'
  | 'storagePoolGetInfo'
  | 'storagePoolGetXmlDesc'
  | 'storagePoolGetAutostart'
  | 'storagePoolSetAutostart'
  | 'storagePoolCreate'
  | 'storagePoolDestroy'
  | 'storagePoolRefresh'
  | 'storagePoolDelete'
  | 'storagePoolUndefine'
  | 'storagePoolDefineXml'
  | 'storagePoolBuild'
  | 'storagePoolListAllVolumes'
  | 'storagePoolLookupByName'
  | 'connectGetStoragePoolCapabilities'
  | 'connectFindStoragePoolSources'
  | 'storageVolGetInfo'
  | 'storageVolGetXmlDesc'
  | 'storageVolCreateXml'
  | 'storageVolDelete'
  | 'storageVolWipe'
  | 'storageVolResize'
  | 'storageVolUpload'
  | 'storageVolDownload'
  | 'connectListAllNetworks'
  | 'networkGetXmlDesc'
  | 'networkIsActive'
  | 'networkGetAutostart'
  | 'networkSetAutostart'
  | 'networkCreate'
  | 'networkDestroy'
  | 'networkUndefine'
  | 'networkDefineXml'
  | 'networkGetDhcpLeases'
  | 'connectListAllNodeDevices'
  | 'nodeDeviceGetXmlDesc'
  | 'connectListAllDomains'
  | 'domainGetXmlDesc'
  | 'connectGetUri'
  | 'domainBlockResize'
  | 'networkUpdate'
  | 'connectListAllInterfaces'
  | 'interfaceGetXmlDesc'
  | 'connectListAllSecrets'
  | 'secretGetXmlDesc'
  | 'secretDefineXml'
  | 'secretSetValue'
  | 'secretUndefine'
  | 'secretLookupByUuid'
>;

function isResourceConnection(c: unknown): c is ResourceConnection {
  if (typeof c !== 'object' || c === null) return false;
  const probe = c as Record<string, unknown>;
  return typeof probe['storagePoolGetInfo'] === 'function' && typeof probe['networkGetDhcpLeases'] === 'function' && typeof probe['nodeDeviceGetXmlDesc'] === 'function';
}

/** The value as a connection with the resource API (the real Connection is one), else undefined. */
export function asResourceConnection(c: unknown): ResourceConnection | undefined {
  return isResourceConnection(c) ? c : undefined;
}

/** What a volume transfer needs from a connection of its own. */
export type TransferConnection = TransferApi & Pick<Connection, 'close'>;

export interface ResourceDisposable {
  dispose(): void;
}

/** The part of a connection's session (views/hostSession.ts) the resource nodes use. */
export interface ResourceHost {
  readonly id: string;
  readonly config: { readonly name: string; readonly uri: string };
  readonly treeContext: TreeContext;
  readonly managed: {
    /** `kinds`: only these event kinds are registered with the daemon (each is one call per connect). */
    onDomainEvent(listener: (e: { readonly kind: string }) => void, opts: { readonly kinds: readonly DomainEventKind[] }): ResourceDisposable;
    /** A connection of its own to the same host, closed by the caller (see ManagedConnection). */
    openSeparate(): Promise<TransferConnection>;
  };
  connection(): unknown;
}

/** The open resource connection of a session, or undefined when not connected. */
export function resourceConnection(host: ResourceHost): ResourceConnection | undefined {
  const c = host.connection();
  return isResourceConnection(c) ? c : undefined;
}
