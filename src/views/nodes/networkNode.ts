import * as vscode from 'vscode';
import type { NetworkRef } from '../../libvirt/refs';
import type { NodeBase, TreeNode } from '../treeNode';
import type { GroupNode } from './groupNode';

/** A virtual network of a connection (name only for now). */
export class NetworkNode implements NodeBase {
  readonly kind = 'network';

  constructor(
    readonly parent: GroupNode,
    readonly ref: NetworkRef,
  ) {}

  get id(): string {
    return `${this.parent.id}/net:${this.ref.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('type-hierarchy');
    item.contextValue = 'network';
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
