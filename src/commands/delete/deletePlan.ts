// Pure parts of deleting a VM: which disks are offered (and pre-selected), the undefine flags and
// the words of the confirmation. Deleting goes through the storage API, so only disks that belong
// to a libvirt storage pool can be removed; the others are listed as kept. A disk another VM uses
// (as its disk, or as a backing file of one of its disks) is offered unchecked, saying which VM.

import { DomainDisk, diskHasSource, diskIsPrivate, diskLabel } from '../domainXmlFacts';
import { VirDomainUndefineFlagsValues as DomainUndefine } from '../../libvirt/generated/libvirtConstants';
import { describeUses, type VolumeUse } from '../../libvirt/resources/domainUsage';

export interface DiskChoice {
  readonly disk: DomainDisk;
  /** Pre-selected in the pick: a private writable disk that lives in a storage pool. */
  readonly picked: boolean;
  /** Why it is not pre-selected, shown next to the path. */
  readonly note?: string;
}

export interface DiskChoices {
  /** Disks that can be deleted through the storage API. */
  readonly deletable: DiskChoice[];
  /** Disks with a host source outside any storage pool: they are kept. */
  readonly unmanaged: DomainDisk[];
}

export { describeUses };

export function diskChoices(
  disks: readonly DomainDisk[],
  inStoragePool: (d: DomainDisk) => boolean,
  usedElsewhere: (d: DomainDisk) => readonly VolumeUse[] = () => [],
): DiskChoices {
  const deletable: DiskChoice[] = [];
  const unmanaged: DomainDisk[] = [];
  for (const disk of disks) {
    if (!diskHasSource(disk)) continue;
    if (!inStoragePool(disk)) {
      unmanaged.push(disk);
      continue;
    }
    const notes: string[] = [];
    const uses = usedElsewhere(disk);
    if (uses.length > 0) notes.push(describeUses(uses));
    else if (disk.device === 'cdrom' || disk.device === 'floppy') notes.push(`${disk.device === 'cdrom' ? 'CD-ROM' : 'floppy'}, may be used elsewhere`);
    else if (disk.shareable) notes.push('shareable, may be used by other VMs');
    else if (disk.readonly) notes.push('read-only, may be used elsewhere');
    const picked = notes.length === 0 && diskIsPrivate(disk);
    deletable.push({ disk, picked, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) });
  }
  return { deletable, unmanaged };
}

export interface DeletePlan {
  readonly vmName: string;
  /** The VM is active and will be forced off first. */
  readonly forceOffFirst: boolean;
  /** A transient VM disappears when forced off; there is nothing to undefine. */
  readonly persistent: boolean;
  readonly disks: readonly DomainDisk[];
  /** Other VMs that use a disk being deleted (the user checked it anyway), by disk index. */
  readonly diskUses?: ReadonlyMap<number, readonly VolumeUse[]>;
  readonly keptDisks: readonly DomainDisk[];
  readonly nvramPath?: string;
  readonly tpmState: boolean;
  readonly managedSave: boolean;
}

/** Removes everything libvirt keeps for the VM besides its disks. */
export const DELETE_UNDEFINE_FLAGS =
  DomainUndefine.NVRAM |
  DomainUndefine.TPM |
  DomainUndefine.MANAGED_SAVE |
  DomainUndefine.SNAPSHOTS_METADATA |
  DomainUndefine.CHECKPOINTS_METADATA;

/** The modal's message and detail: names everything that will go, and what stays. */
export function describeDeletePlan(plan: DeletePlan): { message: string; detail: string } {
  const lines: string[] = [];
  if (plan.forceOffFirst) lines.push(`${plan.vmName} is running and will be forced off first (like pulling the plug).`);
  lines.push('This removes:');
  lines.push(`• the VM definition "${plan.vmName}"`);
  for (const d of plan.disks) {
    const uses = plan.diskUses?.get(d.index) ?? [];
    lines.push(`• disk ${d.target ? d.target + ': ' : ''}${diskLabel(d)}${uses.length > 0 ? ` (${describeUses(uses)}: it will point to a missing file)` : ''}`);
  }
  if (plan.nvramPath !== undefined) lines.push(`• NVRAM (UEFI variables): ${plan.nvramPath}`);
  if (plan.tpmState) lines.push('• TPM state');
  if (plan.managedSave) lines.push('• the saved state (managed save image)');
  if (plan.persistent) lines.push('• snapshot metadata');
  const kept = plan.keptDisks;
  if (kept.length > 0) {
    lines.push('Kept:');
    for (const d of kept) lines.push(`• disk ${d.target ? d.target + ': ' : ''}${diskLabel(d)}`);
  }
  lines.push('This cannot be undone.');
  return { message: `Delete VM "${plan.vmName}"?`, detail: lines.join('\n') };
}
