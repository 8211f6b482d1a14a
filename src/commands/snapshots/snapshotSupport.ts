// Which kinds of snapshot libvirt 9.0's QEMU driver takes of a given VM, and why the others are
// not offered. Measured against libvirtd 9.0 on this project's test machine:
// - internal snapshots are stored inside qcow2 images: a raw disk is refused with "internal
//   snapshot for disk vda unsupported for storage type raw";
// - of a running (or paused) VM with UEFI pflash firmware they are refused with "internal
//   snapshots of a VM with pflash based firmware are not supported" (the NVRAM cannot be saved
//   with QEMU's savevm); of the same VM shut off they work;
// - external snapshots work with any image format, disk-only or with the memory in a file;
//   libvirt 9.0 cannot revert to them ("revert to external snapshot not supported yet") and
//   deletes them only in simple cases, which the Revert and Delete commands report as refused.
// Pure: no vscode, no calls.

import * as path from 'node:path';
import type { SnapshotKind } from '../../libvirt/snapshots/snapshotPlan';
import { diskHasSource, diskIsPrivate, domainDisks, parseRoot, type DomainDisk } from '../domainXmlFacts';

export interface SnapshotKindOption {
  readonly kind: SnapshotKind;
  readonly label: string;
  /** What the user gets, in one line. */
  readonly detail: string;
  /** Undefined when offered; else why not. */
  readonly unavailable?: string;
}

export interface SnapshotSupport {
  readonly options: readonly SnapshotKindOption[];
  /** Disks (targets) that get an overlay in an external snapshot. */
  readonly externalDisks: readonly string[];
  /** Disks left out of an external snapshot. */
  readonly skippedDisks: readonly string[];
  /** Where an external snapshot's memory file goes: the folder of the first disk. */
  readonly memoryDir: string | undefined;
}

/** A disk whose contents a snapshot saves: a writable, private disk with a source. */
function saved(d: DomainDisk): boolean {
  return diskIsPrivate(d) && diskHasSource(d);
}

function usesPflash(xml: string): boolean {
  const { root } = parseRoot(xml, 'domain');
  const os = root.child('os');
  return os?.attr('firmware') === 'efi' || os?.child('loader')?.attr('type') === 'pflash';
}

/** `active`: the VM has a QEMU process (running or paused). */
export function snapshotSupport(xml: string, active: boolean): SnapshotSupport {
  const disks = domainDisks(xml);
  const savedDisks = disks.filter(saved);
  const skipped = disks.filter((d) => !saved(d) && d.target !== '').map((d) => d.target);
  const notQcow2 = savedDisks.filter((d) => d.format !== 'qcow2');
  const firstPath = savedDisks.find((d) => d.path !== undefined)?.path;
  const memoryDir = firstPath !== undefined ? path.posix.dirname(firstPath) : undefined;

  let internal: string | undefined;
  if (savedDisks.length === 0) internal = 'internal snapshots are stored inside qcow2 images, and the VM has no writable disk.';
  else if (notQcow2.length > 0) internal = `internal snapshots are stored inside qcow2 images, and ${notQcow2.map((d) => `${d.target} is ${d.format ?? 'of unknown format'}`).join(', ')}.`;
  else if (active && usesPflash(xml)) internal = 'libvirt refuses internal snapshots of a running VM with UEFI (pflash NVRAM) firmware: shut it down first, or take an external snapshot.';

  let externalDisk: string | undefined;
  if (savedDisks.length === 0) externalDisk = 'the VM has no writable disk with a source to put an overlay on.';

  let externalMemory: string | undefined;
  if (!active) externalMemory = 'a shut-off VM has no memory to save.';
  else if (savedDisks.length === 0) externalMemory = 'the VM has no writable disk with a source to put an overlay on.';
  else if (memoryDir === undefined) externalMemory = 'no disk is a file or block device whose folder could hold the memory file.';

  const revertNote = 'libvirt 9.0 cannot revert to it';
  const options: SnapshotKindOption[] = [
    {
      kind: 'internal',
      label: active ? 'Internal, with memory' : 'Internal',
      detail: active ? 'Disks and memory inside the qcow2 images; reverting resumes the VM where it was.' : 'Disk contents inside the qcow2 images.',
      ...(internal ? { unavailable: internal } : {}),
    },
    {
      kind: 'externalDisk',
      label: 'External, disks only',
      detail: active ? `Overlay files beside the disks, no memory (${revertNote}).` : `Overlay files beside the disks (${revertNote}).`,
      ...(externalDisk ? { unavailable: externalDisk } : {}),
    },
    {
      kind: 'externalMemory',
      label: 'External, with memory',
      detail: `Overlays beside the disks and a memory file (${revertNote}).`,
      ...(externalMemory ? { unavailable: externalMemory } : {}),
    },
  ];
  return { options, externalDisks: savedDisks.map((d) => d.target), skippedDisks: skipped, memoryDir };
}

/** The memory file of an external snapshot: "<disk folder>/<vm>.<snapshot>.mem". */
export function memoryFilePath(dir: string, vmName: string, snapshotName: string): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return path.posix.join(dir, `${safe(vmName)}.${safe(snapshotName)}.mem`);
}
