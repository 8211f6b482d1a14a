// Delete VM: the user picks which disks go (storage-pool volumes of this VM pre-selected; CD-ROMs,
// read-only and shareable disks, and disks another VM uses directly or as a backing file, offered
// unchecked with the reason), a modal names everything that will be removed. After the
// confirmation the VM is looked up again (same UUID, same name), its state re-read and the chosen
// disks checked again against the other VMs: if the VM was started meanwhile, or a chosen disk
// got a new user, nothing is deleted. A running VM is forced off first, the definition is
// undefined together with its NVRAM, TPM state, saved state and snapshot metadata, and the chosen
// volumes are deleted through the storage API only once the VM no longer exists (no QEMU of it
// can hold them). Disks that could not be deleted are reported by path.

import * as vscode from 'vscode';
import type { DomainRef, StorageVolRef } from '../../libvirt/connection';
import { VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { loadDomainUsagesWithChains, volumeUses, type VolumeIdentity, type VolumeUse } from '../../libvirt/resources/domainUsage';
import { parseVolumeXml } from '../../libvirt/resources/volume';
import { isNoDomain } from '../../libvirt/rpc/errors';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import { diskVolume } from '../clone/cloneVm';
import type { CommandHandler } from '../commandHandler';
import { diskHasSource, diskLabel, domainDisks, domainHasTpmState, domainNvramPath, domainUsesUefi, type DomainDisk } from '../domainXmlFacts';
import type { PickItem } from '../prompts';
import { resolveTarget, type VmTarget } from '../vmTargets';
import { DELETE_UNDEFINE_FLAGS, describeDeletePlan, describeUses, diskChoices, type DiskChoice, type DeletePlan } from './deletePlan';

export interface DeleteResult {
  readonly vm: string;
  readonly deletedDisks: readonly string[];
  readonly failedDisks: readonly { readonly disk: string; readonly message: string }[];
}

/** The VM changed after the confirmation in a way the user did not confirm: nothing was deleted. */
export class DeleteVmChangedError extends Error {
  constructor(vmName: string, reason: string) {
    super(`Nothing of "${vmName}" was deleted: ${reason}. Run Delete VM again to see the current state.`);
    this.name = 'DeleteVmChangedError';
  }

  static is(e: unknown): e is DeleteVmChangedError {
    return e instanceof DeleteVmChangedError;
  }
}

/** The VM still exists after it was forced off and undefined: its disks were not deleted. */
export class VmStillPresentError extends Error {
  constructor(vmName: string, running: boolean, disks: readonly string[]) {
    super(
      `"${vmName}" still exists${running ? ' and is running' : ''} after being forced off and undefined (defined or started again meanwhile), so its disks were not deleted` +
        (disks.length > 0 ? `: ${disks.join(', ')}` : ''),
    );
    this.name = 'VmStillPresentError';
  }

  static is(e: unknown): e is VmStillPresentError {
    return e instanceof VmStillPresentError;
  }
}

/** Which other VMs (never the one being deleted) use each disk, read now from the host. */
async function otherUses(t: VmTarget, identities: ReadonlyMap<number, VolumeIdentity>): Promise<Map<number, VolumeUse[]>> {
  const usages = await loadDomainUsagesWithChains(t.conn, t.dom.uuid);
  return new Map([...identities].map(([index, id]) => [index, volumeUses(usages, id)]));
}

/** The VM as it is now, or undefined when it no longer exists. */
async function lookupNow(t: VmTarget): Promise<DomainRef | undefined> {
  return t.conn.domainLookupByUuid(t.dom.uuid).catch((e: unknown) => {
    if (isNoDomain(e)) return undefined;
    throw e;
  });
}

/** Disks of both the live and the saved definition (a hot-plugged disk is only in one of them). */
function mergeDisks(lists: readonly DomainDisk[][]): DomainDisk[] {
  const seen = new Set<string>();
  const out: DomainDisk[] = [];
  for (const d of lists.flat()) {
    const key = diskLabel(d);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...d, index: out.length });
  }
  return out;
}

export const deleteVm: CommandHandler = async (deps, node, selected) => {
  const t = await resolveTarget(deps, node, selected, { title: 'Delete VM', states: 'any', none: 'No VMs.' });
  const [active, persistent, managedSave] = await Promise.all([
    t.conn.domainIsActive(t.dom),
    t.conn.domainIsPersistent(t.dom),
    t.conn.domainHasManagedSaveImage(t.dom).catch(() => false),
  ]);
  const xmls = [await t.conn.domainGetXmlDesc(t.dom, 0)];
  if (active && persistent) xmls.push(await t.conn.domainGetXmlDesc(t.dom, VirDomainXMLFlags.INACTIVE));
  const disks = mergeDisks(xmls.map(domainDisks));

  const vols = new Map<number, StorageVolRef>();
  await Promise.all(
    disks.filter(diskHasSource).map(async (d) => {
      const vol = await diskVolume(t, d);
      if (vol) vols.set(d.index, vol);
    }),
  );
  // How other VMs may name each volume: by path, or by pool and volume name.
  const identities = new Map<number, VolumeIdentity>();
  await Promise.all(
    [...vols].map(async ([index, vol]) => {
      const path = disks[index]?.path ?? parseVolumeXml(await t.conn.storageVolGetXmlDesc(vol, 0)).path;
      identities.set(index, { ...(path !== undefined ? { path } : {}), pool: vol.pool, name: vol.name });
    }),
  );
  const usesBefore = await otherUses(t, identities);
  const choices = diskChoices(
    disks,
    (d) => vols.has(d.index),
    (d) => usesBefore.get(d.index) ?? [],
  );

  let chosen: readonly DiskChoice[] = [];
  if (choices.deletable.length > 0) {
    const items: PickItem<DiskChoice>[] = choices.deletable.map((c) => ({
      label: diskLabel(c.disk),
      description: [c.disk.target, c.note].filter((s) => s).join(' · '),
      picked: c.picked,
      value: c,
    }));
    const picked = await deps.prompts.pickMany({ title: `Delete "${t.dom.name}": which disks should be deleted too?`, placeHolder: 'Checked disks are deleted with the VM; unchecked ones are kept', items });
    if (picked === undefined) throw new UserCancelledError('Delete VM');
    chosen = picked.map((p) => p.value);
  }
  const chosenIdx = new Set(chosen.map((c) => c.disk.index));
  const nvramPath = xmls.map(domainNvramPath).find((p) => p !== undefined);
  // The VM may have been started or stopped while the pick was open: the confirmation says what is true now.
  const activeAtConfirm = await t.conn.domainIsActive(t.dom);
  const plan: DeletePlan = {
    vmName: t.dom.name,
    forceOffFirst: activeAtConfirm,
    persistent,
    disks: chosen.map((c) => c.disk),
    diskUses: new Map(chosen.map((c) => [c.disk.index, usesBefore.get(c.disk.index) ?? []])),
    keptDisks: disks.filter((d) => diskHasSource(d) && !chosenIdx.has(d.index)),
    ...(nvramPath !== undefined ? { nvramPath } : xmls.some(domainUsesUefi) && persistent ? { nvramPath: '(the VM\u2019s UEFI variable store)' } : {}),
    tpmState: xmls.some(domainHasTpmState),
    managedSave,
  };
  const { message, detail } = describeDeletePlan(plan);
  if (!(await deps.prompts.confirm({ message, detail, button: 'Delete' }))) throw new UserCancelledError('Delete VM');

  // Re-check what the confirmation was based on: the same VM, not started since, and no other VM
  // that started using a chosen disk.
  const now = await lookupNow(t);
  if (!now) throw new DeleteVmChangedError(t.dom.name, 'it no longer exists');
  if (now.name !== t.dom.name) throw new DeleteVmChangedError(t.dom.name, `it was renamed to "${now.name}"`);
  const activeNow = await t.conn.domainIsActive(now);
  if (activeNow && !activeAtConfirm) throw new DeleteVmChangedError(t.dom.name, 'it was started after the confirmation was shown');
  const usesAfter = await otherUses(t, identities);
  const newUses = chosen.flatMap((c) => {
    const before = usesBefore.get(c.disk.index) ?? [];
    const added = (usesAfter.get(c.disk.index) ?? []).filter((u) => !before.some((b) => b.dom.uuid === u.dom.uuid && b.how === u.how));
    return added.length > 0 ? [`${diskLabel(c.disk)} is now ${describeUses(added)}`] : [];
  });
  if (newUses.length > 0) throw new DeleteVmChangedError(t.dom.name, newUses.join('; '));

  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting ${t.dom.name}…` }, async (progress) => {
    if (activeNow) {
      progress.report({ message: 'forcing off' });
      await t.conn.domainDestroy(now);
    }
    if (persistent) {
      progress.report({ message: 'removing the definition' });
      await t.conn.domainUndefine(now, DELETE_UNDEFINE_FLAGS);
    }
    // Storage goes only once the VM is gone: no QEMU of it can be using the disks.
    const still = await lookupNow(t);
    if (still) throw new VmStillPresentError(t.dom.name, await t.conn.domainIsActive(still).catch(() => true), chosen.map((c) => diskLabel(c.disk)));
    deps.log.info(`Deleted VM "${t.dom.name}"`);
    const deletedDisks: string[] = [];
    const failedDisks: { disk: string; message: string }[] = [];
    for (const c of chosen) {
      const vol = vols.get(c.disk.index);
      const label = diskLabel(c.disk);
      progress.report({ message: `deleting ${label}` });
      try {
        if (!vol) throw new Error('not in a storage pool');
        await t.conn.storageVolDelete(vol);
        deletedDisks.push(label);
        deps.log.info(`Deleted disk ${label} of "${t.dom.name}"`);
      } catch (err) {
        failedDisks.push({ disk: label, message: errorMessage(err) });
        deps.log.error(`Deleting disk ${label} of "${t.dom.name}" failed:`, errorMessage(err));
      }
    }
    return { vm: t.dom.name, deletedDisks, failedDisks };
  });

  if (result.failedDisks.length > 0) {
    const list = result.failedDisks.map((f) => `${f.disk}: ${f.message}`).join('; ');
    void vscode.window.showWarningMessage(`Deleted VM "${t.dom.name}", but ${result.failedDisks.length} disk(s) could not be deleted: ${list}`, 'Show Log').then((c) => {
      if (c === 'Show Log') deps.log.show(true);
    });
  } else {
    vscode.window.setStatusBarMessage(`Deleted ${t.dom.name}${result.deletedDisks.length > 0 ? ` and ${result.deletedDisks.length} disk(s)` : ''}`, 5000);
  }
  void t.host.refresh();
  return result;
};
