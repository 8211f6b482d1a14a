import * as vscode from 'vscode';
import type { StoragePoolRef } from '../../libvirt/refs';
import type { NodeBase, TreeNode } from '../treeNode';
import type { GroupNode } from './groupNode';

/** A storage pool of a connection (name only for now). */
export class StoragePoolNode implements NodeBase {
  readonly kind = 'storagePool';

  constructor(
    readonly parent: GroupNode,
    readonly ref: StoragePoolRef,
  ) {}

  get id(): string {
    return `${this.parent.id}/pool:${this.ref.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('database');
    item.contextValue = 'storagePool';
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
