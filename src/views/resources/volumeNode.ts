import * as vscode from 'vscode';
import type { StorageVolInfo, StorageVolRef } from '../../libvirt/connection';
import { formatBytes } from '../../libvirt/resources/validation';
import type { NodeBase, TreeNode } from '../treeNode';
import type { PoolNode } from './poolNode';

/** A storage volume: size and allocation; "which VMs use it" is resolved on hover. */
export class VolumeNode implements NodeBase {
  readonly kind = 'resourceVolume';

  constructor(
    readonly parent: PoolNode,
    readonly ref: StorageVolRef,
    readonly info: StorageVolInfo | undefined,
  ) {}

  get id(): string {
    return `${this.parent.id}/vol:${this.ref.name}`;
  }

  get host(): PoolNode['host'] {
    return this.parent.host;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('file-binary');
    item.description = this.info ? `${formatBytes(this.info.capacity)} · ${formatBytes(this.info.allocation)} used` : undefined;
    item.contextValue = 'volume';
    item.tooltip = `${this.ref.key}`;
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
