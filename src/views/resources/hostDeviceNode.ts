import * as vscode from 'vscode';
import { formatPciAddress, hostDeviceClass, hostDeviceIds, hostDeviceLabel, hostDeviceProduct, hostDeviceVendor, isGpu, type HostDevice } from '../../libvirt/resources/hostDevice';
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
    const label = hostDeviceLabel(d);
    const cls = hostDeviceClass(d);
    const ids = hostDeviceIds(d);
    const where = d.kind === 'pci' ? formatPciAddress(d.address) : `USB ${d.bus}:${d.device}`;
    // The class and the ids, unless the name already says them.
    const bits = [where, ...(cls && !label.includes(cls) ? [cls] : []), ...(label !== ids ? [ids] : []), d.driver ? `driver ${d.driver}` : 'no driver'];
    if (d.kind === 'pci' && d.iommuGroup !== undefined) bits.push(`IOMMU group ${d.iommuGroup}${d.iommuPeers.length > 0 ? ` (+${d.iommuPeers.length})` : ''}`);
    if (d.kind === 'pci' && d.mdevTypes.length > 0) bits.push(`${d.mdevTypes.length} mdev type${d.mdevTypes.length === 1 ? '' : 's'}`);
    if (this.assignedTo.length > 0) bits.push(`assigned to ${this.assignedTo.join(', ')}`);
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = bits.join(' · ');
    const gpu = isGpu(d);
    item.iconPath = new vscode.ThemeIcon(gpu ? 'device-desktop' : d.kind === 'usb' ? 'plug' : 'circuit-board', gpu ? new vscode.ThemeColor('charts.purple') : undefined);
    item.contextValue = `hostDevice.${d.kind}${gpu ? '.gpu' : ''}${this.assignedTo.length > 0 ? '.assigned' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${label}**\n\n`, true);
    tooltip.appendMarkdown(md`Node device: ${d.name}  \nVendor: ${hostDeviceVendor(d) ?? ''} (${d.vendorId})  \nProduct: ${hostDeviceProduct(d) ?? ''} (${d.productId})  \n`);
    const code = d.kind === 'pci' && d.classCode !== undefined ? `0x${d.classCode.toString(16).padStart(6, '0')}` : undefined;
    if (cls || code) tooltip.appendMarkdown(md`Class: ${[cls, code && (cls ? `(${code})` : code)].filter((x) => x).join(' ')}  \n`);
    if (d.kind === 'pci') {
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
