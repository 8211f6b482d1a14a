// Revert to Snapshot: the VM goes back to what the snapshot holds (running, paused or shut off,
// with its disks and definition as they were). The confirmation says the current state is lost
// and offers "Take a Snapshot First". libvirt 9.0 refuses to revert to external snapshots; that
// refusal is shown as libvirt words it and nothing changes.

import * as vscode from 'vscode';
import { VirDomainState } from '../../libvirt/generated/libvirtConstants';
import { loadSnapshotTree } from '../../libvirt/snapshots/snapshotTree';
import { snapshotLocation } from '../../libvirt/snapshots/snapshotXml';
import { UserCancelledError } from '../../ui/cancel';
import { revertOutcome } from '../../views/snapshotWords';
import type { CommandDeps } from '../registry';
import { refreshSnapshotsNode, resolveSnapshot } from './snapshotTargets';
import { takeSnapshotCmd } from './takeSnapshot';

const TITLE = 'Revert to Snapshot';
export const REVERT_BUTTON = 'Revert';
export const SNAPSHOT_FIRST_BUTTON = 'Take a Snapshot First';

export interface RevertReport {
  readonly vm: string;
  readonly snapshot: string;
  /** The snapshot taken first, when the user chose so. */
  readonly takenFirst?: string;
  /** virDomainState after the revert. */
  readonly state: number;
}

export async function revertSnapshotCmd(deps: CommandDeps, node?: unknown): Promise<RevertReport> {
  const { vm, entry } = await resolveSnapshot(deps, node, TITLE);
  const info = entry.info;
  const state = (await vm.conn.domainGetState(vm.dom)).state;
  const active = state !== VirDomainState.SHUTOFF && state !== VirDomainState.NOSTATE;
  const lost = active ? 'its disks, its memory and its definition' : 'its disks and its definition';
  const external = snapshotLocation(info) === 'external' ? ' This is an external snapshot: libvirt 9.0 cannot revert to it and will refuse, changing nothing.' : '';
  const choice = await deps.prompts.choose({
    message: `Revert "${vm.dom.name}" to snapshot "${info.name}"?`,
    detail: `The VM's current state is lost: everything about ${lost} since the snapshot. Afterwards the VM is ${revertOutcome(info)}.${external}`,
    buttons: [REVERT_BUTTON, SNAPSHOT_FIRST_BUTTON],
  });
  if (choice === undefined) throw new UserCancelledError(TITLE);
  let takenFirst: string | undefined;
  if (choice === SNAPSHOT_FIRST_BUTTON) {
    const taken = await takeSnapshotCmd(deps, { connectionId: vm.host.id, uuid: vm.dom.uuid });
    if (taken.ok.length !== 1) throw new Error(`No snapshot was taken first, so ${vm.dom.name} was not reverted`);
    takenFirst = taken.name;
  }
  // Re-check after the confirmation: the snapshot may have been deleted meanwhile.
  const now = await loadSnapshotTree(vm.conn, vm.dom);
  if (!now.byName.has(info.name)) throw new Error(`Snapshot "${info.name}" of ${vm.dom.name} no longer exists; nothing was changed`);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reverting ${vm.dom.name} to ${info.name}…` }, () => vm.conn.domainRevertToSnapshot(entry.ref, 0));
  } finally {
    refreshSnapshotsNode(deps, vm);
  }
  const after = (await vm.conn.domainGetState(vm.dom)).state;
  vscode.window.setStatusBarMessage(`Reverted ${vm.dom.name} to ${info.name}`, 5000);
  return { vm: vm.dom.name, snapshot: info.name, ...(takenFirst !== undefined ? { takenFirst } : {}), state: after };
}
