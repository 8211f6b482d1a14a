// The kinds of snapshot a user can take, and the XML and flags each one asks libvirt for
// (virDomainSnapshotCreateXML, libvirt-domain-snapshot.h; formatsnapshot.rst).

import type { Connection, DomainRef } from '../connection';
import { GuestAgent, type AgentConnection } from '../guestAgent';
import { VirDomainSnapshotCreateFlags as F } from '../generated/libvirtConstants';
import { buildSnapshotXml } from './snapshotXml';

/**
 * - internal: inside the qcow2 images; of a running VM libvirt always saves its memory too
 *   (QEMU's savevm), of a shut-off VM the disks.
 * - externalDisk: a new overlay file beside each disk, disks only (crash-consistent, or
 *   file-system consistent with quiesce).
 * - externalMemory: overlays plus the memory in a file of its own (running or paused VMs).
 */
export type SnapshotKind = 'internal' | 'externalDisk' | 'externalMemory';

export interface SnapshotRequest {
  readonly name: string;
  readonly description?: string;
  readonly kind: SnapshotKind;
  /** The disks (targets) that get an overlay; the others are left out (snapshot='no'). */
  readonly externalDisks?: readonly string[];
  /** Disks left out of an external snapshot (CD-ROMs, read-only and empty disks). */
  readonly skippedDisks?: readonly string[];
  /** The memory file of an externalMemory snapshot. */
  readonly memoryFile?: string;
  /** Freeze the guest's file systems through the guest agent while the overlays are made. */
  readonly quiesce?: boolean;
}

export function snapshotCreateRequest(r: SnapshotRequest): { xml: string; flags: number } {
  const description = r.description ? { description: r.description } : {};
  const disks = [...(r.externalDisks ?? []).map((name) => ({ name, snapshot: 'external' as const })), ...(r.skippedDisks ?? []).map((name) => ({ name, snapshot: 'no' as const }))];
  switch (r.kind) {
    case 'internal':
      // libvirt's defaults: memory internal when running, disks internal.
      return { xml: buildSnapshotXml({ name: r.name, ...description }), flags: F.ATOMIC };
    case 'externalDisk':
      // QUIESCE is valid only with DISK_ONLY (libvirt-domain-snapshot.h).
      return {
        xml: buildSnapshotXml({ name: r.name, ...description, memory: { snapshot: 'no' }, disks }),
        flags: F.DISK_ONLY | F.ATOMIC | (r.quiesce ? F.QUIESCE : 0),
      };
    case 'externalMemory':
      if (!r.memoryFile) throw new Error('An external snapshot with memory needs a memory file');
      return { xml: buildSnapshotXml({ name: r.name, ...description, memory: { snapshot: 'external', file: r.memoryFile }, disks }), flags: F.ATOMIC };
  }
}

export async function takeSnapshot(conn: Pick<Connection, 'domainSnapshotCreateXml'>, dom: DomainRef, r: SnapshotRequest): Promise<void> {
  const { xml, flags } = snapshotCreateRequest(r);
  await conn.domainSnapshotCreateXml(dom, xml, flags);
}

/**
 * Whether the guest agent answers a guest-ping within `timeoutSec`; the reason when it does not, in
 * the words of guestAgent.ts (no channel, not connected, no answer in time). libvirt's QUIESCE
 * flag freezes the file systems through the same agent (its fsfreeze, as GuestAgent.freeze does).
 */
export async function pingGuestAgent(
  conn: AgentConnection,
  dom: DomainRef,
  timeoutSec = 2,
): Promise<{ readonly answers: true } | { readonly answers: false; readonly reason: string }> {
  try {
    await new GuestAgent(conn, dom).ping(timeoutSec);
    return { answers: true };
  } catch (e) {
    return { answers: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** A default snapshot name from the local time, e.g. "snapshot-2026-12-02-213405". */
export function defaultSnapshotName(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `snapshot-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Why a snapshot name is not acceptable (libvirt refuses '/' and names it already has), or undefined. */
export function snapshotNameProblem(name: string, existing: ReadonlySet<string>): string | undefined {
  if (name.trim() === '') return 'Enter a name.';
  if (name !== name.trim()) return 'The name cannot start or end with spaces.';
  if (name.includes('/')) return 'The name cannot contain "/".';
  if (name.length > 200) return 'The name is too long (at most 200 characters).';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(name)) return 'The name cannot contain control characters.';
  if (existing.has(name)) return `This VM already has a snapshot named "${name}".`;
  return undefined;
}
