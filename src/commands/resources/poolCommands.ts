// Pool actions: start, stop, autostart, refresh, delete (definition only, or with its storage).

import * as vscode from 'vscode';
import { createPoolCommand } from './createPool';
import { deletePool } from '../../libvirt/resources/operations';
import { poolUsers } from '../../libvirt/resources/domainUsage';
import { parsePoolXml } from '../../libvirt/resources/pool';
import { UserCancelledError } from '../../ui/cancel';
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

export const deletePoolCommand: CommandHandler = async (deps, node) => {
  const t = await poolTarget(deps, node, 'Delete Pool');
  const [xml, vols, usages] = await Promise.all([
    t.conn.storagePoolGetXmlDesc(t.ref, 0),
    t.conn.storagePoolListAllVolumes(t.ref, 0).catch(() => []),
    resourceState(t.host).usage.get().catch(() => []),
  ]);
  const desc = parsePoolXml(xml);
  const users = poolUsers(usages, t.ref, desc.targetPath).map((u) => u.dom.name);
  const where = desc.targetPath ?? desc.sourceName ?? desc.sourceDir ?? '';
  const DEF = 'Delete pool definition only';
  const ALL = `Delete pool and its storage (${vols.length} volume${vols.length === 1 ? '' : 's'})`;
  const pick = await deps.prompts.pickOne({
    title: `Delete pool ${t.ref.name}`,
    placeHolder: users.length > 0 ? `Used by ${users.join(', ')}` : 'What should be deleted?',
    items: [
      { label: DEF, description: 'volumes and data stay on the host', value: false },
      { label: ALL, description: `deletes ${where}`, value: true },
    ],
  });
  if (!pick) throw new UserCancelledError('Delete Pool');
  const deleteStorage = pick.value;
  const detail = deleteStorage
    ? `The ${vols.length} volume(s) and ${where} are deleted for good.${users.length > 0 ? ` VMs using it: ${users.join(', ')}.` : ''}`
    : `Only libvirt's definition goes; the data in ${where} stays.${users.length > 0 ? ` VMs using it: ${users.join(', ')}.` : ''}`;
  const ok = await deps.prompts.confirm({ message: deleteStorage ? `Delete pool ${t.ref.name} and its storage?` : `Delete the definition of pool ${t.ref.name}?`, detail, button: 'Delete' });
  if (!ok) throw new UserCancelledError('Delete Pool');
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: deleteStorage ? `Deleting pool ${t.ref.name} and ${vols.length} volume(s)…` : `Deleting pool ${t.ref.name}…` },
    () => deletePool(t.conn, t.ref, { deleteStorage }),
  );
  refreshAfter(t);
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
