import * as vscode from 'vscode';
import { formatPciAddress, hostDeviceLabel, isGpu, type HostDevice } from '../../libvirt/resources/hostDevice';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import type { ResourceHost } from './resourceApi';
import { md } from '../markdown';

/** A PCI or USB device of the host: vendor/product, driver, IOMMU group, and the VMs it is assigned to. */
export class HostDeviceNode implements NodeBase {
  readonly kind = 'resourceHostDevice';

  constructor(
    readonly parent: GroupNode,
    readonly host: ResourceHost,
    readonly device: HostDevice,
    readonly assignedTo: readonly string[],
  ) {}

  get id(): string {
    return `${this.parent.id}/hostdev:${this.device.name}`;
  }

  get ref(): { readonly name: string } {
    return { name: this.device.name };
  }

  getTreeItem(): vscode.TreeItem {
    const d = this.device;
    const item = new vscode.TreeItem(hostDeviceLabel(d), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const where = d.kind === 'pci' ? formatPciAddress(d.address) : `USB ${d.bus}:${d.device}`;
    const bits = [where, d.driver ? `driver ${d.driver}` : 'no driver'];
    if (d.kind === 'pci' && d.iommuGroup !== undefined) bits.push(`IOMMU group ${d.iommuGroup}${d.iommuPeers.length > 0 ? ` (+${d.iommuPeers.length})` : ''}`);
    if (d.kind === 'pci' && d.mdevTypes.length > 0) bits.push(`${d.mdevTypes.length} mdev type${d.mdevTypes.length === 1 ? '' : 's'}`);
    if (this.assignedTo.length > 0) bits.push(`assigned to ${this.assignedTo.join(', ')}`);
    item.description = bits.join(' · ');
    const gpu = isGpu(d);
    item.iconPath = new vscode.ThemeIcon(gpu ? 'device-desktop' : d.kind === 'usb' ? 'plug' : 'circuit-board', gpu ? new vscode.ThemeColor('charts.purple') : undefined);
    item.contextValue = `hostDevice.${d.kind}${gpu ? '.gpu' : ''}${this.assignedTo.length > 0 ? '.assigned' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${hostDeviceLabel(d)}**\n\n`, true);
    tooltip.appendMarkdown(md`Node device: ${d.name}  \nVendor: ${d.vendorName ?? ''} (${d.vendorId})  \nProduct: ${d.productName ?? ''} (${d.productId})  \n`);
    if (d.kind === 'pci') {
      if (d.classCode !== undefined) tooltip.appendMarkdown(md`Class: 0x${d.classCode.toString(16).padStart(6, '0')}${gpu ? ' (display controller)' : ''}  \n`);
      if (d.iommuPeers.length > 0) {
        tooltip.appendMarkdown(md`\n$(warning) IOMMU group ${d.iommuGroup ?? ''} also holds ${d.iommuPeers.map(formatPciAddress).join(', ')}: they must be passed through together.  \n`);
      }
      for (const t of d.mdevTypes) tooltip.appendMarkdown(md`mdev type ${t.id}${t.name ? ` (${t.name})` : ''}: ${t.availableInstances ?? '?'} available  \n`);
    }
    item.tooltip = tooltip;
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
