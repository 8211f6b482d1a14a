import * as vscode from 'vscode';
import type { NetworkRef } from '../../libvirt/connection';
import { networkSummary, type NetworkDescription } from '../../libvirt/resources/network';
import { errorMessage } from '../../ui/log';
import { MessageNode } from '../nodes/messageNode';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import { LeaseNode } from './leaseNode';
import { resourceConnection, type ResourceHost } from './resourceApi';
import { md } from '../markdown';

/** A virtual network: state, forward mode, bridge, ranges; its DHCP leases as children when active. */
export class NetworkResourceNode implements NodeBase {
  readonly kind = 'resourceNetwork';

  constructor(
    readonly parent: GroupNode,
    readonly host: ResourceHost,
    readonly ref: NetworkRef,
    readonly desc: NetworkDescription | undefined,
    readonly active: boolean,
    readonly autostart: boolean,
    readonly users: readonly string[],
  ) {}

  get id(): string {
    return `${this.parent.id}/net:${this.ref.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, this.active ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const summary = this.desc ? networkSummary(this.desc) : '';
    item.description = [this.active ? 'active' : 'inactive', summary].filter((s) => s !== '').join(' · ');
    item.iconPath = new vscode.ThemeIcon('type-hierarchy', this.active ? undefined : new vscode.ThemeColor('disabledForeground'));
    item.contextValue = `${this.active ? 'active' : 'inactive'}Network${this.autostart ? '.autostart' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${this.ref.name}** (virtual network)\n\n`, true);
    if (this.desc) {
      tooltip.appendMarkdown(md`Forward: ${this.desc.forwardMode}${this.desc.forwardDev ? ` via ${this.desc.forwardDev}` : ''}  \nBridge: ${this.desc.bridge ?? '—'}  \n`);
      for (const ip of this.desc.ips) {
        tooltip.appendMarkdown(md`${ip.family === 'ipv4' ? 'IPv4' : 'IPv6'}: ${ip.address}/${ip.prefix}${ip.dhcpRanges.map((r) => `, DHCP ${r.start}–${r.end}`).join('')}  \n`);
      }
      if (this.desc.domain) tooltip.appendMarkdown(md`DNS domain: ${this.desc.domain}  \n`);
    }
    tooltip.appendMarkdown(md`Autostart: ${this.autostart ? 'yes' : 'no'}  \nUsed by: ${this.users.length > 0 ? this.users.join(', ') : 'no VM'}`);
    item.tooltip = tooltip;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const conn = resourceConnection(this.host);
    if (!conn || !this.active) return [];
    try {
      const leases = await conn.networkGetDhcpLeases(this.ref);
      if (leases.length === 0) return [new MessageNode(this, `${this.id}/msg:noleases`, 'No DHCP leases', { icon: new vscode.ThemeIcon('info') })];
      return leases.map((l) => new LeaseNode(this, l));
    } catch (err) {
      return [new MessageNode(this, `${this.id}/msg:error`, `Could not read leases: ${errorMessage(err)}`, { icon: new vscode.ThemeIcon('error') })];
    }
  }
}
