import * as vscode from 'vscode';
import type { StoragePoolInfo, StoragePoolRef } from '../../libvirt/connection';
import { poolIsActive, poolStateName, poolSummary } from '../../libvirt/resources/pool';
import { formatBytes } from '../../libvirt/resources/validation';
import { errorMessage } from '../../ui/log';
import { MessageNode } from '../nodes/messageNode';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import { resourceConnection, type ResourceHost } from './resourceApi';
import { VolumeNode } from './volumeNode';
import { md } from '../markdown';
import { compareNatural } from '../../libvirt/naturalOrder';

/** A storage pool: state, free space, autostart; its volumes load only when it is expanded. */
export class PoolNode implements NodeBase {
  readonly kind = 'resourcePool';

  constructor(
    readonly parent: GroupNode,
    readonly host: ResourceHost,
    readonly ref: StoragePoolRef,
    readonly info: StoragePoolInfo | undefined,
    readonly autostart: boolean | undefined,
  ) {}

  get id(): string {
    return `${this.parent.id}/pool:${this.ref.uuid}`;
  }

  get active(): boolean {
    return this.info !== undefined && poolIsActive(this.info.state);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.ref.name, this.active ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.info ? poolSummary(this.info) : 'unknown';
    item.iconPath = new vscode.ThemeIcon('database', this.active ? undefined : new vscode.ThemeColor('disabledForeground'));
    // e.g. activePool.autostart, inactivePool
    item.contextValue = `${this.active ? 'active' : 'inactive'}Pool${this.autostart ? '.autostart' : ''}`;
    const tooltip = new vscode.MarkdownString(md`**${this.ref.name}** (storage pool)\n\n`, true);
    if (this.info) {
      tooltip.appendMarkdown(md`State: ${poolStateName(this.info.state)}  \nCapacity: ${formatBytes(this.info.capacity)}  \n`);
      tooltip.appendMarkdown(md`Allocation: ${formatBytes(this.info.allocation)}  \nAvailable: ${formatBytes(this.info.available)}  \n`);
    }
    tooltip.appendMarkdown(md`Autostart: ${this.autostart ? 'yes' : 'no'}  \nUUID: ${this.ref.uuid}`);
    item.tooltip = tooltip;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const conn = resourceConnection(this.host);
    if (!conn) return [];
    try {
      const vols = await conn.storagePoolListAllVolumes(this.ref, 0);
      const infos = await Promise.all(vols.map((v) => conn.storageVolGetInfo(v).catch(() => undefined)));
      const nodes = vols.map((v, i) => new VolumeNode(this, v, infos[i])).sort((a, b) => compareNatural(a.ref.name, b.ref.name));
      if (nodes.length > 0) return nodes;
      return [new MessageNode(this, `${this.id}/msg:empty`, 'No volumes', { icon: new vscode.ThemeIcon('info') })];
    } catch (err) {
      return [new MessageNode(this, `${this.id}/msg:error`, `Could not list volumes: ${errorMessage(err)}`, { icon: new vscode.ThemeIcon('error') })];
    }
  }
}
