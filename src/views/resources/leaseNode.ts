import * as vscode from 'vscode';
import type { NetworkDhcpLease } from '../../libvirt/connection';
import type { NodeBase, TreeNode } from '../treeNode';
import type { NetworkResourceNode } from './networkResourceNode';

/** One DHCP lease of a network: address, MAC, host name and expiry. */
export class LeaseNode implements NodeBase {
  readonly kind = 'resourceLease';

  constructor(
    readonly parent: NetworkResourceNode,
    readonly lease: NetworkDhcpLease,
  ) {}

  get id(): string {
    return `${this.parent.id}/lease:${this.lease.mac ?? this.lease.iaid ?? ''}/${this.lease.ipaddr}`;
  }

  getTreeItem(): vscode.TreeItem {
    const l = this.lease;
    const item = new vscode.TreeItem(`${l.ipaddr}/${l.prefix}`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('symbol-numeric');
    item.description = [l.hostname, l.mac].filter((s): s is string => s !== null && s !== '').join(' · ');
    item.tooltip = `Expires ${new Date(l.expirytime * 1000).toLocaleString()}`;
    item.contextValue = 'lease';
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
