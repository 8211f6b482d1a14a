// Delete Snapshot…: one snapshot (its children move up to its parent), it with all its
// descendants, only its descendants, or only libvirt's record of it (the data stays in the
// images and overlay files). The confirmation names every snapshot that goes; after it the tree
// is read again and the deletion stops if it changed meanwhile. Where libvirt 9.0 refuses
// (external snapshots in most layouts) its reason is shown and nothing is deleted.

import * as vscode from 'vscode';
import { descendants, loadSnapshotTree, planStillHolds, snapshotDeletePlan, type SnapshotDeleteMode, type SnapshotEntry } from '../../libvirt/snapshots/snapshotTree';
import { snapshotLocation } from '../../libvirt/snapshots/snapshotXml';
import { UserCancelledError } from '../../ui/cancel';
import { countNoun } from '../bulk/bulkRunner';
import type { PickItem } from '../prompts';
import type { CommandDeps } from '../registry';
import { refreshSnapshotsNode, resolveSnapshot } from './snapshotTargets';

const TITLE = 'Delete Snapshot';
export const DELETE_BUTTON = 'Delete';

export interface DeleteSnapshotReport {
  readonly vm: string;
  readonly mode: SnapshotDeleteMode;
  readonly deleted: readonly string[];
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function modeItems(e: SnapshotEntry): PickItem<SnapshotDeleteMode>[] {
  const below = snapshotDeletePlan(e, 'childrenOnly').deleted.length;
  const items: PickItem<SnapshotDeleteMode>[] = [
    {
      label: 'This snapshot',
      detail: e.children.length > 0 ? `Its children (${quoted(e.children.map((c) => c.info.name))}) stay and move up to its parent.` : 'It has no children.',
      value: 'one',
    },
  ];
  if (below > 0) {
    items.push(
      { label: 'This snapshot and its children', detail: `${countNoun(below + 1, 'snapshot')} in all.`, value: 'withChildren' },
      { label: 'Its children only', detail: `${countNoun(below, 'snapshot')}; this one stays.`, value: 'childrenOnly' },
    );
  }
  items.push({ label: 'Metadata only', detail: 'libvirt forgets this snapshot; its data stays in the disk images and overlay files.', value: 'metadataOnly' });
  return items;
}

export async function deleteSnapshotCmd(deps: CommandDeps, node?: unknown): Promise<DeleteSnapshotReport> {
  const { vm, entry } = await resolveSnapshot(deps, node, TITLE);
  const picked = await deps.prompts.pickOne({ title: `${TITLE}: ${vm.dom.name} / ${entry.info.name}`, placeHolder: 'What should be deleted?', items: modeItems(entry) });
  if (!picked) throw new UserCancelledError(TITLE);
  const plan = snapshotDeletePlan(entry, picked.value);
  const what = plan.mode === 'metadataOnly' ? `libvirt's record of snapshot "${entry.info.name}"` : countNoun(plan.deleted.length, 'snapshot');
  const stays = plan.reparented.length > 0 ? ` ${quoted(plan.reparented)} stay and move up to ${entry.parent ? `"${entry.parent.info.name}"` : 'the top'}.` : '';
  const data = plan.mode === 'metadataOnly' ? ' The snapshot data stays in the disk images and overlay files.' : '';
  // Measured on libvirt 9.0: "deletion of external children disk snapshots not supported".
  const external = (plan.mode === 'withChildren' || plan.mode === 'childrenOnly') && [entry, ...descendants(entry)].some((e) => snapshotLocation(e.info) === 'external');
  const refusal = external ? ' libvirt 9.0 refuses to delete external snapshots together with their children; it would change nothing.' : '';
  const ok = await deps.prompts.confirm({
    message: `Delete ${what} of "${vm.dom.name}"?`,
    detail: `Deleted: ${quoted(plan.deleted)}.${stays}${data} This cannot be undone.${refusal}`,
    button: DELETE_BUTTON,
  });
  if (!ok) throw new UserCancelledError(TITLE);
  // Re-check after the confirmation: delete exactly what was named, or nothing.
  const now = await loadSnapshotTree(vm.conn, vm.dom);
  if (!planStillHolds(plan, entry, now)) throw new Error(`The snapshots of ${vm.dom.name} changed since the confirmation; nothing was deleted. Look again and retry.`);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting ${what} of ${vm.dom.name}…` }, () =>
      vm.conn.domainSnapshotDelete(entry.ref, plan.flags),
    );
  } finally {
    refreshSnapshotsNode(deps, vm);
  }
  vscode.window.setStatusBarMessage(`Deleted ${what} of ${vm.dom.name}`, 5000);
  return { vm: vm.dom.name, mode: plan.mode, deleted: plan.deleted };
}
