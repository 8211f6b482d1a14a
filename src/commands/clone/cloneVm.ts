// Clone VM: a new name, a full copy of each writable disk through the storage API into the same
// pool, shared read-only/shareable disks and CD-ROMs, new MACs and UUID (libvirt generates them),
// a fresh NVRAM; refused for a running VM (as virt-manager does: pause or shut it down first).
// A failure or cancellation deletes the volumes already created, so nothing is left half-made.

import * as vscode from 'vscode';
import type { DomainRef, StorageVolRef } from '../../libvirt/connection';
import { VirDomainState, VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { diskVolumeOf } from '../../libvirt/resources/domainUsage';
import { isNoSuchFile } from '../../libvirt/rpc/errors';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import type { CommandHandler } from '../commandHandler';
import { diskLabel, domainDisks, type DomainDisk } from '../domainXmlFacts';
import { vmNameProblem } from '../vm/vmNameRules';
import { currentState, resolveTarget, type VmTarget } from '../vmTargets';
import { cloneVolumeName, defaultCloneName, planDiskClones, rewriteCloneXml, type NewDiskSource } from './clonePlan';
import { cloneVolumeXml, volumeFacts } from './volumeXml';

/** The VM to clone and its connection. */
export type CloneSource = Pick<VmTarget, 'conn' | 'dom'>;

export class CloneRunningVmError extends Error {
  constructor(vmName: string) {
    super(`"${vmName}" is running: pause it or shut it down before cloning, so its disks are copied in a consistent state.`);
    this.name = 'CloneRunningVmError';
  }

  static is(e: unknown): e is CloneRunningVmError {
    return e instanceof CloneRunningVmError;
  }
}

export class DiskNotInPoolError extends Error {
  constructor(readonly disk: string) {
    super(`Disk ${disk} is not in a libvirt storage pool, so it cannot be copied. Add its directory as a storage pool, or mark the disk shareable to share it with the clone.`);
    this.name = 'DiskNotInPoolError';
  }

  static is(e: unknown): e is DiskNotInPoolError {
    return e instanceof DiskNotInPoolError;
  }
}

export class DiskFileMissingError extends Error {
  constructor(readonly disk: string, readonly target: string) {
    super(`Disk ${target} cannot be copied: its file ${disk} does not exist on the host. Point the disk at an existing image, or remove the disk, before cloning.`);
    this.name = 'DiskFileMissingError';
  }

  static is(e: unknown): e is DiskFileMissingError {
    return e instanceof DiskFileMissingError;
  }
}

/**
 * Why a disk with no storage volume behind it cannot be copied: its file is missing (libvirt
 * opens the file of an inactive VM's disk for virDomainGetBlockInfo), or it is outside the pools.
 */
async function notCopyable(t: CloneSource, disk: DomainDisk): Promise<Error> {
  if (disk.path !== undefined && disk.target !== '') {
    try {
      await t.conn.domainGetBlockInfo(t.dom, disk.target);
    } catch (err) {
      if (isNoSuchFile(err)) return new DiskFileMissingError(disk.path, disk.target);
    }
  }
  return new DiskNotInPoolError(diskLabel(disk));
}

/** The storage volume behind a disk, looked up by path (or pool/volume for type='volume'). */
export function diskVolume(t: CloneSource, disk: DomainDisk): Promise<StorageVolRef | undefined> {
  return diskVolumeOf(t.conn, disk);
}

export interface CloneResult {
  readonly dom: DomainRef;
  readonly volumes: readonly StorageVolRef[];
}

/** Copies the disks and defines the clone; deletes the copies again when anything fails. */
export async function cloneDomain(
  t: CloneSource,
  newName: string,
  opts: { readonly isCancelled: () => boolean; readonly report: (message: string, increment: number) => void; readonly log: vscode.LogOutputChannel },
): Promise<CloneResult> {
  const xml = await t.conn.domainGetXmlDesc(t.dom, VirDomainXMLFlags.INACTIVE | VirDomainXMLFlags.SECURE);
  const copies = planDiskClones(domainDisks(xml)).filter((p) => p.action === 'copy');
  const sources: { disk: DomainDisk; vol: StorageVolRef }[] = [];
  for (const { disk } of copies) {
    const vol = await diskVolume(t, disk);
    if (!vol) throw await notCopyable(t, disk);
    sources.push({ disk, vol });
  }

  const created: StorageVolRef[] = [];
  try {
    const newSources = new Map<number, NewDiskSource>();
    for (const [i, { disk, vol }] of sources.entries()) {
      if (opts.isCancelled()) throw new UserCancelledError('Clone VM');
      const pool = await t.conn.storagePoolLookupByName(vol.pool);
      const taken = new Set((await t.conn.storagePoolListAllVolumes(pool)).map((v) => v.name));
      const name = cloneVolumeName(vol.name, newName, i, taken);
      const [info, srcXml] = await Promise.all([t.conn.storageVolGetInfo(vol), t.conn.storageVolGetXmlDesc(vol)]);
      opts.report(`copying ${diskLabel(disk)} to ${name}`, 0);
      const copy = await t.conn.storageVolCreateXmlFrom(pool, cloneVolumeXml(name, info.capacity, volumeFacts(srcXml).format), vol);
      created.push(copy);
      opts.log.info(`Clone ${newName}: copied ${diskLabel(disk)} to ${copy.pool}/${copy.name}`);
      opts.report(`copied ${diskLabel(disk)}`, 90 / Math.max(1, sources.length));
      if (disk.type === 'volume') {
        newSources.set(disk.index, { kind: 'volume', pool: copy.pool, volume: copy.name });
      } else {
        const path = volumeFacts(await t.conn.storageVolGetXmlDesc(copy)).path;
        if (!path) throw new Error(`libvirt reported no path for the new volume ${copy.pool}/${copy.name}`);
        newSources.set(disk.index, { kind: 'path', path });
      }
    }
    if (opts.isCancelled()) throw new UserCancelledError('Clone VM');
    const dom = await t.conn.domainDefineXml(rewriteCloneXml(xml, newName, newSources));
    opts.report('defined', 10);
    return { dom, volumes: created };
  } catch (err) {
    for (const vol of created.reverse()) {
      try {
        await t.conn.storageVolDelete(vol);
        opts.log.info(`Clone ${newName}: removed ${vol.pool}/${vol.name} again`);
      } catch (delErr) {
        opts.log.error(`Clone ${newName}: could not remove ${vol.pool}/${vol.name}: ${errorMessage(delErr)}`);
      }
    }
    throw err;
  }
}

const CLONEABLE = new Set<number>([VirDomainState.SHUTOFF, VirDomainState.PAUSED, VirDomainState.CRASHED]);

export const cloneVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Clone VM', states: ['shutoff', 'paused', 'crashed', 'saved'], none: 'No paused or shut-off VMs to clone.' });
  if (!CLONEABLE.has(await currentState(t))) throw new CloneRunningVmError(t.dom.name);
  const taken = new Set((await t.conn.connectListAllDomains()).map((d) => d.name));
  const newName = await deps.prompts.input({
    title: `Clone "${t.dom.name}"`,
    prompt: 'Name of the new VM. Writable disks are copied; CD-ROMs and shared disks are shared.',
    value: defaultCloneName(t.dom.name, taken),
    validate: (v) => vmNameProblem(v, taken),
  });
  if (newName === undefined) throw new UserCancelledError('Clone VM');
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Cloning ${t.dom.name} as ${newName}`, cancellable: true },
    (progress, token) =>
      cloneDomain(t, newName, {
        isCancelled: () => token.isCancellationRequested,
        report: (message, increment) => progress.report({ message, increment }),
        log: deps.log,
      }),
  );
  deps.log.info(`Cloned "${t.dom.name}" as "${result.dom.name}" (${result.volumes.length} disk copies)`);
  vscode.window.setStatusBarMessage(`Cloned ${t.dom.name} as ${result.dom.name}`, 5000);
  void t.host.refresh();
  return result;
};
