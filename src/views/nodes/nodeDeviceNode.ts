import * as vscode from 'vscode';
import type { NodeDeviceRef } from '../../libvirt/refs';
import type { NodeBase, TreeNode } from '../treeNode';
import type { GroupNode } from './groupNode';

/** A host device (PCI, USB, network interface…) known to libvirt's node device driver (name only for now). */
export class NodeDeviceNode implements NodeBase {
  readonly kind = 'nodeDevice';

  constructor(
    readonly parent: GroupNode,
    readonly ref: NodeDeviceRef,
  ) {}

  get id(): string {
    return `${this.parent.id}/dev:${this.ref.name}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(deviceIcon(this.ref.name));
    item.contextValue = 'nodeDevice';
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}

function deviceIcon(name: string): string {
  if (name.startsWith('pci_')) return 'circuit-board';
  if (name.startsWith('usb_')) return 'plug';
  if (name.startsWith('net_')) return 'globe';
  if (name.startsWith('block_') || name.startsWith('scsi')) return 'database';
  return 'symbol-misc';
}
