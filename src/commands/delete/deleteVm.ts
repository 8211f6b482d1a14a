// Delete VM: the user picks which disks go (storage-pool volumes of this VM pre-selected; CD-ROMs,
// read-only and shareable disks offered unchecked), a modal names everything that will be removed,
// a running VM is forced off first, the definition is undefined together with its NVRAM, TPM
// state, saved state and snapshot metadata, then the chosen volumes are deleted through the storage
// API. Disks that could not be deleted are reported by path.

import * as vscode from 'vscode';
import type { StorageVolRef } from '../../libvirt/connection';
import { VirDomainXMLFlags } from '../../libvirt/generated/libvirtConstants';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import { diskVolume } from '../clone/cloneVm';
import type { CommandHandler } from '../commandHandler';
import { diskHasSource, diskLabel, domainDisks, domainHasTpmState, domainNvramPath, domainUsesUefi, type DomainDisk } from '../domainXmlFacts';
import type { PickItem } from '../prompts';
import { resolveTarget } from '../vmTargets';
import { DELETE_UNDEFINE_FLAGS, describeDeletePlan, diskChoices, type DiskChoice, type DeletePlan } from './deletePlan';

export interface DeleteResult {
  readonly vm: string;
  readonly deletedDisks: readonly string[];
  readonly failedDisks: readonly { readonly disk: string; readonly message: string }[];
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
  const choices = diskChoices(disks, (d) => vols.has(d.index));

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
  const plan: DeletePlan = {
    vmName: t.dom.name,
    forceOffFirst: active,
    persistent,
    disks: chosen.map((c) => c.disk),
    keptDisks: disks.filter((d) => diskHasSource(d) && !chosenIdx.has(d.index)),
    ...(nvramPath !== undefined ? { nvramPath } : xmls.some(domainUsesUefi) && persistent ? { nvramPath: '(the VM\u2019s UEFI variable store)' } : {}),
    tpmState: xmls.some(domainHasTpmState),
    managedSave,
  };
  const { message, detail } = describeDeletePlan(plan);
  if (!(await deps.prompts.confirm({ message, detail, button: 'Delete' }))) throw new UserCancelledError('Delete VM');

  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting ${t.dom.name}…` }, async (progress) => {
    if (active) {
      progress.report({ message: 'forcing off' });
      await t.conn.domainDestroy(t.dom);
    }
    if (persistent) {
      progress.report({ message: 'removing the definition' });
      await t.conn.domainUndefine(t.dom, DELETE_UNDEFINE_FLAGS);
    }
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
