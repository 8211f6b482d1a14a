// Pool actions: start, stop, autostart, refresh, delete (definition only, or with its storage).

import * as vscode from 'vscode';
import { createPoolCommand } from './createPool';
import type { StorageVolRef } from '../../libvirt/connection';
import { deletePool, listPoolVolumes, type PoolDeletion, type PoolVolumeListing } from '../../libvirt/resources/operations';
import { poolUsers } from '../../libvirt/resources/domainUsage';
import { parsePoolXml, poolIsActive } from '../../libvirt/resources/pool';
import { UserCancelledError } from '../../ui/cancel';
import { errorMessage } from '../../ui/log';
import { resourceState } from '../../views/resources/resourceState';
import type { CommandHandler } from '../commandHandler';
import { poolTarget, refreshAfter } from './resourceTargets';

export const startPool: CommandHandler = async (deps, node) => {
  const t = await poolTarget(deps, node, 'Start Pool');
  await t.conn.storagePoolCreate(t.ref, 0);
  refreshAfter(t);
};

export const stopPool: CommandHandler = async (deps, node) => {
  const t = await poolTarget(deps, node, 'Stop Pool');
  const users = poolUsers(await resourceState(t.host).usage.get(), t.ref).filter((u) => u.running);
  if (users.length > 0) {
    const ok = await deps.prompts.confirm({
      message: `Stop pool ${t.ref.name}?`,
      detail: `Running VMs use its volumes: ${users.map((u) => u.dom.name).join(', ')}.`,
      button: 'Stop',
    });
    if (!ok) throw new UserCancelledError('Stop Pool');
  }
  await t.conn.storagePoolDestroy(t.ref);
  refreshAfter(t);
};

export const refreshPool: CommandHandler = async (deps, node) => {
  const t = await poolTarget(deps, node, 'Refresh Pool');
  await t.conn.storagePoolRefresh(t.ref, 0);
  t.host.treeContext.fire(t.node ? [t.node] : t.refresh);
};

function setAutostart(on: boolean): CommandHandler {
  return async (deps, node) => {
    const t = await poolTarget(deps, node, on ? 'Enable Pool Autostart' : 'Disable Pool Autostart');
    await t.conn.storagePoolSetAutostart(t.ref, on);
    refreshAfter(t);
  };
}

/** At most this many volumes are named in the confirmation; the log gets all of them. */
const NAMED_VOLUMES = 40;

function volumeLabel(v: StorageVolRef): string {
  return v.key !== v.name ? `${v.name} (${v.key})` : v.name;
}

function volumeList(vols: readonly StorageVolRef[]): string {
  const shown = vols.slice(0, NAMED_VOLUMES).map((v) => `• ${volumeLabel(v)}`);
  if (vols.length > NAMED_VOLUMES) shown.push(`• … and ${vols.length - NAMED_VOLUMES} more (all are named in the log)`);
  return shown.join('\n');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What Delete Pool did; `message` is set when the pool was kept because volumes appeared. */
export type DeletePoolReport = PoolDeletion & { readonly message?: string };

/**
 * Delete Pool. With its storage, the confirmation names every volume (an inactive pool is started
 * to list them, and stopped again if the user goes no further), and exactly those volumes are
 * deleted: a volume created after the confirmation is left in place, and so is the pool.
 */
export const deletePoolCommand: CommandHandler = async (deps, node): Promise<DeletePoolReport> => {
  const t = await poolTarget(deps, node, 'Delete Pool');
  const [xml, info, usages] = await Promise.all([
    t.conn.storagePoolGetXmlDesc(t.ref, 0),
    t.conn.storagePoolGetInfo(t.ref),
    resourceState(t.host).usage.get().catch(() => []),
  ]);
  const desc = parsePoolXml(xml);
  const users = poolUsers(usages, t.ref, desc.targetPath).map((u) => u.dom.name);
  const usedBy = users.length > 0 ? ` VMs using it: ${users.join(', ')}.` : '';
  const where = desc.targetPath ?? desc.sourceName ?? desc.sourceDir ?? '';
  // An active pool's volumes are counted before asking; an inactive pool is started to list them
  // only once the user chose to delete its storage.
  let listing: PoolVolumeListing | undefined = poolIsActive(info.state) ? await listPoolVolumes(t.conn, t.ref) : undefined;
  const pick = await deps.prompts.pickOne({
    title: `Delete pool ${t.ref.name}`,
    placeHolder: users.length > 0 ? `Used by ${users.join(', ')}` : 'What should be deleted?',
    items: [
      { label: 'Delete pool definition only', description: 'volumes and data stay on the host', value: false },
      listing
        ? { label: `Delete pool and its storage (${plural(listing.volumes.length, 'volume')})`, description: `deletes ${where}`, value: true }
        : { label: 'Delete pool and its storage', description: `deletes ${where}; the inactive pool is started to list its volumes first`, value: true },
    ],
  });
  if (!pick) throw new UserCancelledError('Delete Pool');

  if (!pick.value) {
    const detail = `Only libvirt's definition goes; the data in ${where} stays.${usedBy}`;
    if (!(await deps.prompts.confirm({ message: `Delete the definition of pool ${t.ref.name}?`, detail, button: 'Delete' }))) throw new UserCancelledError('Delete Pool');
    const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting pool ${t.ref.name}…` }, () =>
      deletePool(t.conn, t.ref, { deleteStorage: false }),
    );
    refreshAfter(t);
    return done;
  }

  if (!listing) {
    listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting pool ${t.ref.name} to list its volumes…` }, () =>
      listPoolVolumes(t.conn, t.ref),
    );
  }
  const { volumes, started } = listing;
  let result: PoolDeletion | undefined;
  try {
    const lines = [
      ...(started ? [`The pool was inactive: it was started to list its volumes, and is stopped again if you cancel.`] : []),
      volumes.length > 0 ? `${volumes.length === 1 ? 'This volume is' : `These ${volumes.length} volumes are`} deleted for good:\n${volumeList(volumes)}` : 'The pool has no volumes.',
      `Then ${where} and the pool's definition are deleted. A volume created after this confirmation is not deleted, and the pool is then kept.${usedBy}`,
    ];
    const ok = await deps.prompts.confirm({ message: `Delete pool ${t.ref.name} and its storage?`, detail: lines.join('\n'), button: 'Delete' });
    if (!ok) throw new UserCancelledError('Delete Pool');
    deps.log.info(`Delete pool ${t.ref.name}: confirmed volumes: ${volumes.map(volumeLabel).join(', ') || '(none)'}`);
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Deleting ${plural(volumes.length, 'volume')} and pool ${t.ref.name}…` },
      () => deletePool(t.conn, t.ref, { deleteStorage: true, volumes }),
    );
  } finally {
    // Leave a pool that is kept as it was found: stopped.
    if (started && result?.poolDeleted !== true) {
      await t.conn.storagePoolDestroy(t.ref).catch((e: unknown) => deps.log.warn(`Stopping pool ${t.ref.name} again failed: ${errorMessage(e)}`));
    }
    refreshAfter(t);
  }
  if (result.poolDeleted) return result;
  const message =
    `Pool ${t.ref.name} was not deleted: ${plural(result.unconfirmed.length, 'volume')} appeared after the confirmation and ` +
    `${result.unconfirmed.length === 1 ? 'was' : 'were'} left in place: ${result.unconfirmed.map((v) => v.name).join(', ')}. ` +
    `The ${plural(result.deletedVolumes.length, 'confirmed volume')} ${result.deletedVolumes.length === 1 ? 'was' : 'were'} deleted.`;
  deps.log.warn(message);
  void vscode.window.showWarningMessage(message);
  return { ...result, message };
};

export const poolTable = [
  ['libvirtVms.pool.create', 'New Storage Pool', createPoolCommand],
  ['libvirtVms.pool.start', 'Start Pool', startPool],
  ['libvirtVms.pool.stop', 'Stop Pool', stopPool],
  ['libvirtVms.pool.refresh', 'Refresh Pool', refreshPool],
  ['libvirtVms.pool.enableAutostart', 'Enable Pool Autostart', setAutostart(true)],
  ['libvirtVms.pool.disableAutostart', 'Disable Pool Autostart', setAutostart(false)],
  ['libvirtVms.pool.delete', 'Delete Pool', deletePoolCommand],
] as const;
