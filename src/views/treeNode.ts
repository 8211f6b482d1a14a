// The tree's node kinds, one class per file; the provider only delegates to them.

import type * as vscode from 'vscode';
import type { ConnectionNode } from './nodes/connectionNode';
import type { GroupNode } from './nodes/groupNode';
import type { HardwareNode } from './nodes/hardwareNode';
import type { MessageNode } from './nodes/messageNode';
import type { NetworkNode } from './nodes/networkNode';
import type { NodeDeviceNode } from './nodes/nodeDeviceNode';
import type { SnapshotNode } from './nodes/snapshotNode';
import type { SnapshotsNode } from './nodes/snapshotsNode';
import type { StoragePoolNode } from './nodes/storagePoolNode';
import type { VmNode } from './nodes/vmNode';
import type { VmGroupNode } from './nodes/vmGroupNode';
import type { TreeGrouping } from './grouping';
import type { HostSession } from './hostSession';
import type { VmFilter } from './filter';
import type { ResourceNode } from './resources/resourceNode';
import type { HistoryReader } from './history/performanceHistory';
import type { HostLoads } from './hostLoads';

export type TreeNode = ConnectionNode | VmNode | HardwareNode | GroupNode | NetworkNode | StoragePoolNode | NodeDeviceNode | MessageNode | ResourceNode | SnapshotsNode | SnapshotNode | VmGroupNode;

/** What every node kind implements. */
export interface NodeBase {
  readonly kind: string;
  readonly parent: TreeNode | undefined;
  getTreeItem(): vscode.TreeItem;
  getChildren(): TreeNode[] | Promise<TreeNode[]>;
  resolveTreeItem?(item: vscode.TreeItem, token: vscode.CancellationToken): Promise<vscode.TreeItem>;
}

/** What nodes need from the view they live in. */
export interface TreeContext {
  /** Fires onDidChangeTreeData for these nodes (undefined: the whole tree). */
  fire(nodes: readonly TreeNode[] | undefined): void;
  readonly filter: VmFilter;
  /** How VM rows are grouped (libvirtVms.treeGrouping). */
  readonly grouping: TreeGrouping;
  /** The theme colour id of a tag (by tagKey), from libvirtVms.tagColors. */
  tagColor(tagKey: string): string | undefined;
  /**
   * A connection's VM list changed shape (VMs came or went, or moved between groups): fires its
   * row, or the whole tree when VMs of all hosts are grouped together at the top.
   */
  fireStructure(session: HostSession): void;
  readonly log: vscode.LogOutputChannel;
  /** A session started or stopped needing stats refreshes while the tree is hidden (details panels). */
  statsDemandChanged(): void;
  /** The recorded performance history (tooltips show the last hour), when it is kept. */
  readonly history?: HistoryReader;
  /** The connections still opening or listing for the first time (tag reads wait for them). */
  readonly hostLoads: HostLoads;
}
