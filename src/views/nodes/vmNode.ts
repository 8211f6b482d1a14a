import * as vscode from 'vscode';
import { VirDomainInterfaceAddressesSource } from '../../libvirt/generated/libvirtConstants';
import type { DomainInterface, DomainRef } from '../../libvirt/connection';
import { errorMessage } from '../../ui/log';
import { formatBytes, formatDuration, vmDescription } from '../format';
import type { HostSession, VmSnapshot } from '../hostSession';
import type { NodeBase, TreeNode } from '../treeNode';
import { vmStateIcon } from '../vmIcons';
import { STATE_LABEL, vmContextValue } from '../vmState';
import { HardwareNode } from './hardwareNode';
import { MessageNode } from './messageNode';
import { SnapshotsNode } from './snapshotsNode';
import { escapeMarkdown } from '../markdown';
import { vmHistoryLines } from '../history/historyTooltip';
import { isLoopback, osLine, usedPercent } from '../../libvirt/guestFacts';
import type { GuestFactsEntry } from '../guestFactsCache';

/** A virtual machine; its children are its hardware, read from the domain XML when expanded. */
export class VmNode implements NodeBase {
  readonly kind = 'vm';
  private snapshotsChild: SnapshotsNode | undefined;

  constructor(
    readonly session: HostSession,
    readonly uuid: string,
    /** The connection row, or a tag / state row when the tree groups VMs. */
    readonly parent: TreeNode = session.node,
  ) {}

  get id(): string {
    return `${this.parent.id}/vm:${this.uuid}`;
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

  /** The "Snapshots" child (one object per VM node, so its id and expansion stay). */
  get snapshotsNode(): SnapshotsNode {
    return (this.snapshotsChild ??= new SnapshotsNode(this));
  }

  getTreeItem(): vscode.TreeItem {
    const snap = this.snapshot;
    const item = new vscode.TreeItem(snap?.ref.name ?? this.uuid, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const state = snap?.state ?? 'unknown';
    item.contextValue = vmContextValue(state, snap?.autostart);
    item.iconPath = vmStateIcon(state);
    item.description = vmDescription({ state, vcpus: snap?.vcpus, memoryKiB: snap?.memoryKiB });
    // Under a row that gathers VMs of every host, the row says which host the VM is on.
    if (this.parent.kind === 'vmGroup' && this.parent.spansHosts) item.description = `${this.session.config.name} · ${item.description}`;
    item.command = { command: 'libvirtVms.vm.openDetails', title: 'Open Details', arguments: [{ connectionId: this.session.id, uuid: this.uuid, preserveFocus: true }] };
    return item;
  }

  async resolveTreeItem(item: vscode.TreeItem, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    const snap = this.snapshot;
    if (!snap) return item;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`$(vm) **${escapeMarkdown(snap.ref.name)}** — ${STATE_LABEL[snap.state]}\n\n`);
    const lines: string[] = [];
    const [summary, ifaces, guest] = await Promise.all([
      this.session.summary(snap.ref).catch((err: unknown) => errorMessage(err)),
      snap.state === 'running' || snap.state === 'paused' ? this.addresses(snap.ref) : Promise.resolve(undefined),
      // The agent answers only a running guest; its facts are cached (guestFactsCache.ts).
      snap.state === 'running' ? this.session.guestFacts.get(snap.ref).catch(() => undefined) : Promise.resolve(undefined),
    ]);
    if (token.isCancellationRequested) return item;
    if (typeof summary === 'string') {
      lines.push(`XML: ${summary}`);
    } else {
      if (summary.title) lines.push(`Title: ${summary.title}`);
      const agentOs = guest?.kind === 'facts' ? osLine(guest.facts.os) : undefined;
      lines.push(`OS: ${agentOs ? `${agentOs} (guest agent)` : (summary.osId ?? 'unknown')}`);
    }
    lines.push(...guestLines(guest));
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
    const hour = this.session.treeContext.history?.host(this.session.id)?.range(this.uuid, '1h', Date.now());
    const perf = hour ? vmHistoryLines(hour) : [];
    if (perf.length > 0) md.appendMarkdown(`\n\n**Last hour**  \n${perf.map(escapeMarkdown).join('  \n')}`);
    item.tooltip = md;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const snap = this.snapshot;
    if (!snap) return [];
    try {
      // The snapshot count (one call) labels the Snapshots row; a failure leaves it unlabelled.
      const conn = this.session.connection();
      const [summary, snapshots] = await Promise.all([this.session.summary(snap.ref), conn ? conn.domainSnapshotNum(snap.ref).catch(() => undefined) : undefined]);
      this.snapshotsNode.count = snapshots;
      return [...summary.sections.map((s) => new HardwareNode(this, s)), this.snapshotsNode];
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

/** The guest agent's facts for the tooltip (hostname, kernel, users, file systems, addresses), or why there are none. */
function guestLines(entry: GuestFactsEntry | undefined): string[] {
  if (!entry) return [];
  if (entry.kind === 'unavailable') return [`Guest agent: ${entry.error.problem === 'noChannel' ? 'no channel' : entry.error.problem === 'notConnected' ? 'not connected' : 'no answer'}`];
  const f = entry.facts;
  const out: string[] = [];
  if (f.hostname) out.push(`Hostname: ${f.hostname}`);
  if (f.os?.kernelRelease) out.push(`Kernel: ${f.os.kernelRelease}`);
  if (f.users && f.users.length > 0) out.push(`Logged in: ${[...new Set(f.users.map((u) => u.name))].join(', ')}`);
  for (const fs of f.filesystems ?? []) {
    const pct = usedPercent(fs);
    if (pct !== undefined && fs.totalBytes) out.push(`File system ${fs.mountpoint}: ${pct} % used of ${formatBytes(fs.totalBytes)}`);
  }
  const ips = (f.interfaces ?? []).filter((i) => !isLoopback(i)).flatMap((i) => i.addrs.map((a) => `${a.addr}/${a.prefix} (${i.name})`));
  if (ips.length > 0) out.push(`Guest IPs: ${ips.join(', ')}`);
  return out;
}
