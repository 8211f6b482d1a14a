// A VM's snapshots as a tree: one listing, the XML of each snapshot (pipelined through the RPC
// client's in-flight cap), and the current snapshot. Parents come from each snapshot's
// <parent><name>, so the tree needs no per-snapshot parent or children calls.

import type { Connection, DomainRef, SnapshotRef } from '../connection';
import { VirDomainSnapshotDeleteFlags, VirDomainSnapshotListFlags } from '../generated/libvirtConstants';
import { isNoDomainSnapshot } from '../rpc/errors';
import { parseSnapshotXml, type SnapshotInfo } from './snapshotXml';

export interface SnapshotEntry {
  readonly ref: SnapshotRef;
  readonly info: SnapshotInfo;
  readonly current: boolean;
  readonly parent: SnapshotEntry | undefined;
  readonly children: SnapshotEntry[];
}

export interface SnapshotTree {
  readonly roots: readonly SnapshotEntry[];
  readonly byName: ReadonlyMap<string, SnapshotEntry>;
  readonly current: SnapshotEntry | undefined;
}

/** What loading needs from a connection (a Connection, or a counting wrapper in the bench). */
export type SnapshotReader = Pick<Connection, 'domainListAllSnapshots' | 'domainSnapshotGetXmlDesc' | 'domainSnapshotCurrent'>;

/** Builds the tree from parsed snapshots; a parent that is not listed makes its child a root. */
export function buildSnapshotTree(dom: DomainRef, infos: readonly SnapshotInfo[], currentName: string | undefined): SnapshotTree {
  const byName = new Map<string, SnapshotEntry>();
  for (const info of infos) byName.set(info.name, { ref: { dom, name: info.name }, info, current: info.name === currentName, parent: undefined, children: [] });
  const roots: SnapshotEntry[] = [];
  for (const e of byName.values()) {
    const parent = e.info.parent !== undefined ? byName.get(e.info.parent) : undefined;
    if (parent) {
      (e as { parent: SnapshotEntry | undefined }).parent = parent;
      parent.children.push(e);
    } else {
      roots.push(e);
    }
  }
  // Oldest first, as virt-manager and `virsh snapshot-list --tree` show them.
  const byTime = (a: SnapshotEntry, b: SnapshotEntry): number => (a.info.creationTime ?? 0) - (b.info.creationTime ?? 0) || a.info.name.localeCompare(b.info.name);
  roots.sort(byTime);
  for (const e of byName.values()) e.children.sort(byTime);
  return { roots, byName, current: currentName !== undefined ? byName.get(currentName) : undefined };
}

export async function loadSnapshotTree(conn: SnapshotReader, dom: DomainRef): Promise<SnapshotTree> {
  const [refs, current] = await Promise.all([
    conn.domainListAllSnapshots(dom, VirDomainSnapshotListFlags.TOPOLOGICAL),
    conn.domainSnapshotCurrent(dom).then(
      (s) => s.name,
      (e: unknown) => {
        if (isNoDomainSnapshot(e)) return undefined;
        throw e;
      },
    ),
  ]);
  // A snapshot deleted between the listing and its XML is left out, not an error.
  const xmls = await Promise.all(
    refs.map((r) =>
      conn.domainSnapshotGetXmlDesc(r).catch((e: unknown) => {
        if (isNoDomainSnapshot(e)) return undefined;
        throw e;
      }),
    ),
  );
  const infos = xmls.flatMap((x) => (x === undefined ? [] : [parseSnapshotXml(x)]));
  return buildSnapshotTree(dom, infos, current);
}

/** Every snapshot below `e`, depth first. */
export function descendants(e: SnapshotEntry): SnapshotEntry[] {
  return e.children.flatMap((c) => [c, ...descendants(c)]);
}

/** libvirt's delete modes (virDomainSnapshotDeleteFlags) in the user's words. */
export type SnapshotDeleteMode = 'one' | 'withChildren' | 'childrenOnly' | 'metadataOnly';

export interface SnapshotDeletePlan {
  readonly mode: SnapshotDeleteMode;
  readonly flags: number;
  /** The snapshots that go, in the order shown to the user. */
  readonly deleted: readonly string[];
  /** Children that stay and move up to the deleted snapshot's parent (mode 'one'). */
  readonly reparented: readonly string[];
}

export function snapshotDeletePlan(e: SnapshotEntry, mode: SnapshotDeleteMode): SnapshotDeletePlan {
  const below = descendants(e).map((d) => d.info.name);
  switch (mode) {
    case 'one':
      return { mode, flags: 0, deleted: [e.info.name], reparented: e.children.map((c) => c.info.name) };
    case 'withChildren':
      return { mode, flags: VirDomainSnapshotDeleteFlags.CHILDREN, deleted: [e.info.name, ...below], reparented: [] };
    case 'childrenOnly':
      return { mode, flags: VirDomainSnapshotDeleteFlags.CHILDREN_ONLY, deleted: below, reparented: [] };
    case 'metadataOnly':
      return { mode, flags: VirDomainSnapshotDeleteFlags.METADATA_ONLY, deleted: [e.info.name], reparented: e.children.map((c) => c.info.name) };
  }
}

/**
 * Whether the snapshot and its subtree are still what the plan was made from (run after the
 * confirmation, so a change made meanwhile elsewhere stops the deletion).
 */
export function planStillHolds(plan: SnapshotDeletePlan, e: SnapshotEntry | undefined, now: SnapshotTree): boolean {
  const fresh = e ? now.byName.get(e.info.name) : undefined;
  if (!fresh) return false;
  const again = snapshotDeletePlan(fresh, plan.mode);
  return again.deleted.join('\0') === plan.deleted.join('\0') && again.reparented.join('\0') === plan.reparented.join('\0');
}
