import * as vscode from 'vscode';
import type { SnapshotRef } from '../../libvirt/connection';
import type { SnapshotEntry } from '../../libvirt/snapshots/snapshotTree';
import { snapshotHasMemory, snapshotLocation } from '../../libvirt/snapshots/snapshotXml';
import { md } from '../markdown';
import { revertOutcome, snapshotStateLabel, snapshotSummary, snapshotTime } from '../snapshotWords';
import type { NodeBase, TreeNode } from '../treeNode';
import type { SnapshotsNode } from './snapshotsNode';

const STATE_ICON: Readonly<Record<string, string>> = {
  running: 'vm-running',
  paused: 'debug-pause',
  shutoff: 'vm-outline',
  'disk-snapshot': 'database',
};

/** One snapshot; its children are the snapshots taken from it. */
export class SnapshotNode implements NodeBase {
  readonly kind = 'snapshot';

  constructor(
    readonly parent: SnapshotsNode | SnapshotNode,
    readonly root: SnapshotsNode,
    readonly entry: SnapshotEntry,
  ) {}

  get id(): string {
    return `${this.root.id}/snap:${this.entry.info.name}`;
  }

  get connectionId(): string {
    return this.root.vm.connectionId;
  }

  /** The VM's UUID. */
  get uuid(): string {
    return this.root.vm.uuid;
  }

  get ref(): SnapshotRef {
    return this.entry.ref;
  }

  getTreeItem(): vscode.TreeItem {
    const e = this.entry;
    const info = e.info;
    const item = new vscode.TreeItem(info.name, e.children.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = `${e.current ? 'current · ' : ''}${snapshotSummary(info)}`;
    item.iconPath = e.current ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('charts.green')) : new vscode.ThemeIcon(STATE_ICON[info.state] ?? 'device-camera');
    const location = snapshotLocation(info);
    item.contextValue = `snapshot.${location}${e.current ? '.current' : ''}`;
    item.accessibilityInformation = { label: `Snapshot ${info.name}${e.current ? ', current' : ''}, ${snapshotSummary(info)}` };
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(md`**${info.name}**${e.current ? ' — current snapshot' : ''}\n\n`);
    const lines = [
      md`State: ${snapshotStateLabel(info.state)}${snapshotHasMemory(info) ? ' (memory included)' : ''}`,
      md`Taken: ${snapshotTime(info) || 'unknown'}`,
      md`Kind: ${location === 'internal' ? 'internal (inside the qcow2 images)' : 'external (overlay files)'}`,
      md`Revert leaves the VM: ${revertOutcome(info)}`,
    ];
    if (e.parent) lines.push(md`Parent: ${e.parent.info.name}`);
    if (e.children.length > 0) lines.push(md`Children: ${e.children.map((c) => c.info.name).join(', ')}`);
    for (const d of info.disks) if (d.snapshot === 'external' && d.file) lines.push(md`Disk ${d.name}: ${d.file}`);
    if (info.memoryFile) lines.push(md`Memory file: ${info.memoryFile}`);
    if (info.description) lines.push(md`Description: ${info.description}`);
    tip.appendMarkdown(lines.join('  \n'));
    item.tooltip = tip;
    return item;
  }

  getChildren(): TreeNode[] {
    return this.entry.children.map((c) => new SnapshotNode(this, this.root, c));
  }
}
