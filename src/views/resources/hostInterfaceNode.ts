import * as vscode from 'vscode';
import { hostInterfaceSummary, type HostInterface } from '../../libvirt/resources/hostInterface';
import { formatPciAddress } from '../../libvirt/resources/hostDevice';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import type { ResourceHost } from './resourceApi';
import { md } from '../markdown';

const ICON: Readonly<Record<HostInterface['kind'], string>> = { nic: 'plug', bridge: 'type-hierarchy-sub', vlan: 'tag', bond: 'link', loopback: 'debug-restart', other: 'circle-outline', missing: 'warning' };

/** A NIC or bridge of the host: link, speed, SR-IOV functions, and the networks and VMs on it. */
export class HostInterfaceNode implements NodeBase {
  readonly kind = 'resourceHostInterface';

  constructor(
    readonly parent: GroupNode,
    readonly host: ResourceHost,
    readonly iface: HostInterface,
  ) {}

  get id(): string {
    return `${this.parent.id}/iface:${this.iface.iface}`;
  }

  get ref(): { readonly name: string } {
    return { name: this.iface.iface };
  }

  getTreeItem(): vscode.TreeItem {
    const h = this.iface;
    const item = new vscode.TreeItem(h.iface, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = hostInterfaceSummary(h);
    const used = h.networks.length > 0 || h.vms.length > 0;
    const colour = h.kind === 'missing' ? 'problemsWarningIcon.foreground' : h.linkState === 'down' ? 'disabledForeground' : undefined;
    item.iconPath = new vscode.ThemeIcon(ICON[h.kind], colour ? new vscode.ThemeColor(colour) : undefined);
    item.contextValue = `hostInterface.${h.kind}${h.sriov ? '.sriov' : ''}${used ? '.used' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${h.iface}** (${h.kind === 'nic' ? 'network interface' : h.kind === 'missing' ? 'missing' : h.kind})\n\n`, true);
    if (h.kind === 'missing') {
      tooltip.appendMarkdown(md`$(warning) This host has no interface ${h.iface}, yet ${[h.networks.length > 0 ? `networks ${h.networks.join(', ')}` : '', h.vms.length > 0 ? `VMs ${h.vms.join(', ')}` : ''].filter(Boolean).join(' and ')} use it. VMs on it cannot start until it exists again or they use another bridge or network.\n\n`);
    }
    if (h.mac) tooltip.appendMarkdown(md`MAC: ${h.mac}  \n`);
    if (h.linkState) tooltip.appendMarkdown(md`Link: ${h.linkState}${h.speed !== undefined ? `, ${h.speed} Mb/s` : ''}  \n`);
    if (h.pci) tooltip.appendMarkdown(md`PCI: ${formatPciAddress(h.pci.address)}${h.pci.product ? ` ${h.pci.product}` : ''}${h.pci.driver ? ` (driver ${h.pci.driver})` : ''}  \n`);
    if (h.sriov) {
      tooltip.appendMarkdown(md`SR-IOV: ${h.sriov.total} virtual functions, ${h.sriov.total - h.sriov.used} free${h.sriov.max !== undefined ? `, at most ${h.sriov.max}` : ''}  \n`);
      for (const vf of h.sriov.vfs) tooltip.appendMarkdown(md`- VF ${formatPciAddress(vf.address)}: ${vf.vm !== undefined ? `used by ${vf.vm}` : 'free'}\n`);
      if (h.sriov.vfs.length > 0) tooltip.appendMarkdown('\n');
    }
    if (h.pci?.physicalFunction) tooltip.appendMarkdown(md`Virtual function of ${formatPciAddress(h.pci.physicalFunction)}  \n`);
    if (h.bridge) tooltip.appendMarkdown(md`Port of bridge ${h.bridge}  \n`);
    if (h.ports.length > 0) tooltip.appendMarkdown(md`Bridge ports: ${h.ports.join(', ')}  \n`);
    tooltip.appendMarkdown(md`Networks: ${h.networks.length > 0 ? h.networks.join(', ') : 'none'}  \nVMs: ${h.vms.length > 0 ? h.vms.join(', ') : 'none'}`);
    item.tooltip = tooltip;
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
