import * as vscode from 'vscode';
import { loadSnapshotTree, type SnapshotTree } from '../../libvirt/snapshots/snapshotTree';
import { errorMessage } from '../../ui/log';
import type { NodeBase, TreeNode } from '../treeNode';
import { MessageNode } from './messageNode';
import { SnapshotNode } from './snapshotNode';
import type { VmNode } from './vmNode';

/**
 * "Snapshots" under a VM, with the count the VM node read: its snapshot tree, loaded when expanded
 * (one listing plus each snapshot's XML, pipelined). It reloads whenever VS Code asks again: when
 * the VM row is refreshed by a domain event (reverting fires lifecycle events with the
 * FROM_SNAPSHOT details) and when a snapshot command calls refresh(). libvirt has no event for a
 * snapshot taken of a shut-off VM elsewhere; Refresh reloads it.
 */
export class SnapshotsNode implements NodeBase {
  readonly kind = 'snapshots';
  private last: SnapshotTree | undefined;
  /** How many snapshots the VM has, as last read (the row's description). */
  count: number | undefined;

  constructor(readonly parent: VmNode) {}

  get id(): string {
    return `${this.parent.id}/snapshots`;
  }

  get vm(): VmNode {
    return this.parent;
  }

  /** The tree as last loaded (undefined before the first expansion). */
  get tree(): SnapshotTree | undefined {
    return this.last;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Snapshots', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('device-camera');
    item.contextValue = 'snapshots';
    if (this.count !== undefined) item.description = this.count === 0 ? 'none' : String(this.count);
    item.tooltip = 'Snapshots of this VM: parents above their children, the current one marked.';
    return item;
  }

  /** Reloads the VM row, and with it this row's count and, when expanded, its children (after a snapshot command). */
  refresh(): void {
    this.parent.session.treeContext.fire([this.parent]);
  }

  async getChildren(): Promise<TreeNode[]> {
    const conn = this.parent.session.connection();
    const ref = this.parent.snapshot?.ref;
    if (!conn || !ref) return [];
    try {
      const tree = await loadSnapshotTree(conn, ref);
      this.last = tree;
      this.count = tree.byName.size;
      if (tree.roots.length === 0) {
        return [
          new MessageNode(this, `${this.id}/msg:none`, 'No snapshots', {
            icon: new vscode.ThemeIcon('info'),
            description: 'Take Snapshot…',
            command: { command: 'libvirtVms.snapshot.take', title: 'Take Snapshot…', arguments: [{ connectionId: this.parent.connectionId, uuid: this.parent.uuid }] },
          }),
        ];
      }
      return tree.roots.map((e) => new SnapshotNode(this, this, e));
    } catch (err) {
      this.last = undefined;
      return [new MessageNode(this, `${this.id}/msg:error`, `Could not list snapshots: ${errorMessage(err)}`, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) })];
    }
  }
}
