// The snapshot commands of the one command table (registry.ts), ids `libvirtVms.snapshot.*`.

import type { CommandEntry } from '../registry';
import { deleteSnapshotCmd } from './deleteSnapshot';
import { revertSnapshotCmd } from './revertSnapshot';
import { takeSnapshotCmd } from './takeSnapshot';

export const snapshotCommands: readonly CommandEntry[] = [
  { id: 'libvirtVms.snapshot.take', title: 'Take Snapshot', run: (deps, node, selected) => takeSnapshotCmd(deps, node, selected) },
  { id: 'libvirtVms.snapshot.revert', title: 'Revert to Snapshot', run: (deps, node) => revertSnapshotCmd(deps, node) },
  { id: 'libvirtVms.snapshot.delete', title: 'Delete Snapshot', run: (deps, node) => deleteSnapshotCmd(deps, node) },
];
