import * as vscode from 'vscode';
import type { NetworkRef } from '../../libvirt/connection';
import { networkSummary, type Bandwidth, type NetworkDescription } from '../../libvirt/resources/network';
import { errorMessage } from '../../ui/log';
import { MessageNode } from '../nodes/messageNode';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import { LeaseNode } from './leaseNode';
import { resourceConnection, type ResourceHost } from './resourceApi';
import { md } from '../markdown';

/** "in 1000 KiB/s (peak 2000), out 500 KiB/s" */
function bandwidthText(b: Bandwidth): string {
  const one = (dir: string, l: NonNullable<Bandwidth['inbound']>): string =>
    `${dir} ${l.average !== undefined ? `${l.average} KiB/s` : ''}${l.peak !== undefined ? ` (peak ${l.peak})` : ''}${l.floor !== undefined ? ` (floor ${l.floor})` : ''}`.trim();
  return [b.inbound ? one('in', b.inbound) : undefined, b.outbound ? one('out', b.outbound) : undefined].filter((s): s is string => s !== undefined).join(', ');
}

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
    /** Host bridges and NICs the network names that the host does not have (any more). */
    readonly missingInterfaces: readonly string[] = [],
  ) {}

  get id(): string {
    return `${this.parent.id}/net:${this.ref.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, this.active ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const summary = this.desc ? networkSummary(this.desc) : '';
    const missing = this.missingInterfaces;
    item.description = [this.active ? 'active' : 'inactive', missing.length > 0 ? `missing ${missing.join(', ')}` : '', summary].filter((s) => s !== '').join(' · ');
    item.iconPath =
      missing.length > 0
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : new vscode.ThemeIcon('type-hierarchy', this.active ? undefined : new vscode.ThemeColor('disabledForeground'));
    item.contextValue = `${this.active ? 'active' : 'inactive'}Network${this.autostart ? '.autostart' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${this.ref.name}** (virtual network)\n\n`, true);
    if (missing.length > 0) tooltip.appendMarkdown(md`$(warning) This host has no ${missing.join(', ')}: VMs on this network cannot start until it exists again.\n\n`);
    if (this.desc) {
      tooltip.appendMarkdown(md`Forward: ${this.desc.forwardMode}${this.desc.forwardDev ? ` via ${this.desc.forwardDev}` : ''}  \nBridge: ${this.desc.bridge ?? '—'}  \n`);
      for (const ip of this.desc.ips) {
        tooltip.appendMarkdown(md`${ip.family === 'ipv4' ? 'IPv4' : 'IPv6'}: ${ip.address}/${ip.prefix}${ip.dhcpRanges.map((r) => `, DHCP ${r.start}–${r.end}`).join('')}  \n`);
      }
      if (this.desc.domain) tooltip.appendMarkdown(md`DNS domain: ${this.desc.domain}  \n`);
      const d = this.desc;
      if (d.forwardInterfaces.length > 0) tooltip.appendMarkdown(md`Host NICs: ${d.forwardInterfaces.join(', ')}  \n`);
      if (d.pf) tooltip.appendMarkdown(md`SR-IOV physical function: ${d.pf}  \n`);
      if (d.bandwidth) tooltip.appendMarkdown(md`QoS (whole network): ${bandwidthText(d.bandwidth)}  \n`);
      for (const g of d.portGroups) {
        const bits = [g.isDefault ? 'default' : undefined, g.vlanTags ? `VLAN ${g.vlanTags.join(', ')}` : undefined, g.bandwidth ? `QoS ${bandwidthText(g.bandwidth)}` : undefined].filter((s): s is string => s !== undefined);
        tooltip.appendMarkdown(md`Port group ${g.name}${bits.length > 0 ? `: ${bits.join(' · ')}` : ''}  \n`);
      }
      const hosts = d.ips.flatMap((ip) => ip.hosts);
      if (hosts.length > 0) tooltip.appendMarkdown(md`DHCP static hosts: ${hosts.map((h) => `${h.ip} (${[h.name, h.mac].filter(Boolean).join(', ')})`).join('; ')}  \n`);
      const dns = [...d.dnsHosts.map((h) => `${h.hostnames.join(' ')} → ${h.ip}`), ...d.dnsSrv.map((s) => `SRV _${s.service}._${s.protocol} → ${s.target ?? ''}:${s.port ?? ''}`), ...d.dnsTxt.map((t) => `TXT ${t.name}`)];
      if (dns.length > 0) tooltip.appendMarkdown(md`DNS records: ${dns.join('; ')}  \n`);
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
