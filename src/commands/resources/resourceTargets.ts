// Turns a resource command's argument into what it acts on: the clicked tree node, or, from the
// palette, a connection and an object picked in quick picks.

import type { NetworkRef, StoragePoolRef, StorageVolRef } from '../../libvirt/connection';
import { UserCancelledError } from '../../ui/cancel';
import type { HostSession } from '../../views/hostSession';
import type { GroupKind } from '../../views/nodes/groupNode';
import { HostDeviceNode } from '../../views/resources/hostDeviceNode';
import { HostInterfaceNode } from '../../views/resources/hostInterfaceNode';
import { SecretNode } from '../../views/resources/secretNode';
import { NetworkResourceNode } from '../../views/resources/networkResourceNode';
import { PoolNode } from '../../views/resources/poolNode';
import { asResourceConnection, type ResourceConnection, type ResourceHost } from '../../views/resources/resourceApi';
import { VolumeNode } from '../../views/resources/volumeNode';
import type { TreeNode } from '../../views/treeNode';
import type { CommandDeps } from '../registry';
import { NotConnectedError } from '../vmTargets';

export interface HostTarget {
  readonly host: ResourceHost;
  readonly conn: ResourceConnection;
  /** Tree nodes to refresh after a change (the group or pool the object is listed under). */
  readonly refresh: readonly TreeNode[];
}

export function connectionOf(host: ResourceHost): ResourceConnection {
  const conn = asResourceConnection(host.connection());
  if (!conn) throw new NotConnectedError(host.config.name);
  return conn;
}

function groupsOf(deps: CommandDeps, host: ResourceHost, group: GroupKind): TreeNode[] {
  const s: HostSession | undefined = deps.tree.session(host.id);
  return s ? [s.groups[group]] : [];
}

/** A connected host: the node's, or picked when there are several. */
export async function pickHost(deps: CommandDeps, node: unknown, title: string): Promise<ResourceHost> {
  if (node instanceof PoolNode || node instanceof NetworkResourceNode || node instanceof HostDeviceNode || node instanceof SecretNode || node instanceof HostInterfaceNode) return node.host;
  if (node instanceof VolumeNode) return node.parent.host;
  const n = node as { kind?: unknown; session?: unknown } | undefined;
  if (n && (n.kind === 'group' || n.kind === 'connection')) {
    const s = n.session as HostSession;
    return s;
  }
  const hosts = deps.tree.sessions().filter((s) => asResourceConnection(s.connection()) !== undefined);
  if (hosts.length === 0) throw new Error('No connected host. Connect to a host first.');
  if (hosts.length === 1 && hosts[0]) return hosts[0];
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Host', items: hosts.map((h) => ({ label: h.config.name, description: h.config.uri, value: h })) });
  if (!pick) throw new UserCancelledError(title);
  return pick.value;
}

export interface PoolTarget extends HostTarget {
  readonly ref: StoragePoolRef;
  readonly node?: PoolNode;
}

export async function poolTarget(deps: CommandDeps, node: unknown, title: string): Promise<PoolTarget> {
  if (node instanceof PoolNode) return { host: node.host, conn: connectionOf(node.host), ref: node.ref, node, refresh: [node.parent] };
  const host = await pickHost(deps, node, title);
  const conn = connectionOf(host);
  const pools = await conn.connectListAllStoragePools(0);
  if (pools.length === 0) throw new Error(`${host.config.name} has no storage pools.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Storage pool', items: pools.map((p) => ({ label: p.name, value: p })) });
  if (!pick) throw new UserCancelledError(title);
  return { host, conn, ref: pick.value, refresh: groupsOf(deps, host, 'pools') };
}

export interface VolumeTarget extends HostTarget {
  readonly pool: StoragePoolRef;
  readonly ref: StorageVolRef;
}

export async function volumeTarget(deps: CommandDeps, node: unknown, title: string): Promise<VolumeTarget> {
  if (node instanceof VolumeNode) {
    const host = node.parent.host;
    return { host, conn: connectionOf(host), pool: node.parent.ref, ref: node.ref, refresh: [node.parent] };
  }
  const p = await poolTarget(deps, node, title);
  const vols = await p.conn.storagePoolListAllVolumes(p.ref, 0);
  if (vols.length === 0) throw new Error(`The pool ${p.ref.name} has no volumes.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Volume', items: vols.map((v) => ({ label: v.name, description: v.key, value: v })) });
  if (!pick) throw new UserCancelledError(title);
  return { host: p.host, conn: p.conn, pool: p.ref, ref: pick.value, refresh: p.node ? [p.node] : p.refresh };
}

export interface NetworkTarget extends HostTarget {
  readonly ref: NetworkRef;
  readonly node?: NetworkResourceNode;
}

export async function networkTarget(deps: CommandDeps, node: unknown, title: string): Promise<NetworkTarget> {
  if (node instanceof NetworkResourceNode) return { host: node.host, conn: connectionOf(node.host), ref: node.ref, node, refresh: [node.parent] };
  const host = await pickHost(deps, node, title);
  const conn = connectionOf(host);
  const nets = await conn.connectListAllNetworks(0);
  if (nets.length === 0) throw new Error(`${host.config.name} has no virtual networks.`);
  const pick = await deps.prompts.pickOne({ title, placeHolder: 'Network', items: nets.map((n) => ({ label: n.name, value: n })) });
  if (!pick) throw new UserCancelledError(title);
  return { host, conn, ref: pick.value, refresh: groupsOf(deps, host, 'networks') };
}

export function hostTargetFor(deps: CommandDeps, host: ResourceHost, group: GroupKind): HostTarget {
  return { host, conn: connectionOf(host), refresh: groupsOf(deps, host, group) };
}

/** Asks the tree to reload the nodes a change affected. */
export function refreshAfter(t: HostTarget): void {
  t.host.treeContext.fire(t.refresh.length > 0 ? t.refresh : undefined);
}
