import * as vscode from 'vscode';
import { VirDomainInterfaceAddressesSource } from '../../libvirt/generated/libvirtConstants';
import type { DomainInterface, DomainRef } from '../../libvirt/connection';
import { errorMessage } from '../../ui/log';
import { formatDuration, vmDescription } from '../format';
import type { HostSession, VmSnapshot } from '../hostSession';
import type { NodeBase, TreeNode } from '../treeNode';
import { vmStateIcon } from '../vmIcons';
import { STATE_LABEL, vmContextValue } from '../vmState';
import { HardwareNode } from './hardwareNode';
import { MessageNode } from './messageNode';
import { escapeMarkdown } from '../markdown';

/** A virtual machine; its children are its hardware, read from the domain XML when expanded. */
export class VmNode implements NodeBase {
  readonly kind = 'vm';

  constructor(
    readonly session: HostSession,
    readonly uuid: string,
  ) {}

  get parent(): TreeNode {
    return this.session.node;
  }

  get id(): string {
    return `conn:${this.session.id}/vm:${this.uuid}`;
  }

  get connectionId(): string {
    return this.session.id;
  }

  /** The latest snapshot (name, id and state follow events). */
  get snapshot(): VmSnapshot | undefined {
    return this.session.snapshot(this.uuid);
  }

  get ref(): DomainRef {
    return this.snapshot?.ref ?? { name: '', uuid: this.uuid, id: -1 };
  }

  getTreeItem(): vscode.TreeItem {
    const snap = this.snapshot;
    const item = new vscode.TreeItem(snap?.ref.name ?? this.uuid, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const state = snap?.state ?? 'unknown';
    item.contextValue = vmContextValue(state, snap?.autostart);
    item.iconPath = vmStateIcon(state);
    item.description = vmDescription({ state, vcpus: snap?.vcpus, memoryKiB: snap?.memoryKiB });
    item.command = { command: 'libvirtVms.vm.openDetails', title: 'Open Details', arguments: [{ connectionId: this.session.id, uuid: this.uuid, preserveFocus: true }] };
    return item;
  }

  async resolveTreeItem(item: vscode.TreeItem, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    const snap = this.snapshot;
    if (!snap) return item;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`$(vm) **${escapeMarkdown(snap.ref.name)}** — ${STATE_LABEL[snap.state]}\n\n`);
    const lines: string[] = [];
    const [summary, ifaces] = await Promise.all([
      this.session.summary(snap.ref).catch((err: unknown) => errorMessage(err)),
      snap.state === 'running' || snap.state === 'paused' ? this.addresses(snap.ref) : Promise.resolve(undefined),
    ]);
    if (token.isCancellationRequested) return item;
    if (typeof summary === 'string') {
      lines.push(`XML: ${summary}`);
    } else {
      if (summary.title) lines.push(`Title: ${summary.title}`);
      lines.push(`OS: ${summary.osId ?? 'unknown'}`);
    }
    lines.push(`Autostart: ${snap.autostart ? 'on (starts with libvirtd)' : 'off'}`);
    const since = this.session.startedSince(this.uuid);
    if (snap.state === 'running' && since !== undefined) lines.push(`Up for: ${formatDuration((Date.now() - since) / 1000)} (since this window saw it start)`);
    else if (snap.state === 'running' || snap.state === 'paused') lines.push('Up for: unknown (libvirt reports no boot time)');
    if (snap.cpuTimeNs !== undefined && snap.cpuTimeNs > 0) {
      const sec = snap.cpuTimeNs / 1e9;
      lines.push(`CPU time used: ${sec < 10 ? `${sec.toFixed(1)} s` : formatDuration(sec)}`);
    }
    if (ifaces === undefined) {
      if (snap.state === 'running') lines.push('IPs: unavailable');
    } else if (typeof ifaces === 'string') {
      lines.push(`IPs: ${ifaces}`);
    } else {
      const ips = ifaces.flatMap((i) => i.addrs.map((a) => `${a.addr}/${a.prefix} (${i.name || i.hwaddr || '?'})`));
      lines.push(`IPs: ${ips.length > 0 ? ips.join(', ') : 'none reported (DHCP lease not found)'}`);
    }
    if (typeof summary !== 'string') {
      for (const d of summary.disks) lines.push(`Disk ${d.target}: ${d.source || (d.device === 'cdrom' ? 'empty CD-ROM' : 'no source')}`);
      if (summary.tags.length > 0) lines.push(`Tags: ${summary.tags.join(', ')}`);
    }
    md.appendMarkdown(lines.map(escapeMarkdown).join('  \n'));
    item.tooltip = md;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const snap = this.snapshot;
    if (!snap) return [];
    try {
      const summary = await this.session.summary(snap.ref);
      return summary.sections.map((s) => new HardwareNode(this, s));
    } catch (err) {
      return [new MessageNode(this, `${this.id}/msg:error`, `Could not read the VM's XML: ${errorMessage(err)}`, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) })];
    }
  }

  private async addresses(ref: DomainRef): Promise<DomainInterface[] | string | undefined> {
    const conn = this.session.connection();
    if (!conn) return undefined;
    try {
      return await conn.domainInterfaceAddresses(ref, VirDomainInterfaceAddressesSource.LEASE);
    } catch (err) {
      return errorMessage(err);
    }
  }
}
