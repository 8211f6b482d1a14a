import * as vscode from 'vscode';
import { errorMessage } from '../../ui/log';
import type { HostSession } from '../hostSession';
import type { NodeBase, TreeNode } from '../treeNode';
import { MessageNode } from './messageNode';
import { NetworkNode } from './networkNode';
import { NodeDeviceNode } from './nodeDeviceNode';
import { StoragePoolNode } from './storagePoolNode';
import { asResourceConnection } from '../resources/resourceApi';
import { resourceChildren } from '../resources/resourceChildren';
import { compareNatural } from '../../libvirt/naturalOrder';

export type GroupKind = 'networks' | 'pools' | 'devices' | 'interfaces' | 'secrets';

const GROUP_LABEL: Readonly<Record<GroupKind, { label: string; icon: string }>> = {
  networks: { label: 'Networks', icon: 'globe' },
  pools: { label: 'Storage Pools', icon: 'database' },
  devices: { label: 'Host Devices', icon: 'circuit-board' },
  interfaces: { label: 'Host Interfaces', icon: 'plug' },
  secrets: { label: 'Secrets', icon: 'key' },
};

/** A connection's Networks, Storage Pools or Host Devices, listed (by name) when expanded. */
export class GroupNode implements NodeBase {
  readonly kind = 'group';

  constructor(
    readonly session: HostSession,
    readonly group: GroupKind,
  ) {}

  get parent(): TreeNode {
    return this.session.node;
  }

  get id(): string {
    return `conn:${this.session.id}/group:${this.group}`;
  }

  getTreeItem(): vscode.TreeItem {
    const { label, icon } = GROUP_LABEL[this.group];
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(icon);
    item.contextValue = `group.${this.group}`;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const conn = this.session.connection();
    if (!conn) return [];
    try {
      const children = await this.load(conn);
      if (children.length > 0) return children;
      return [new MessageNode(this, `${this.id}/msg:empty`, `No ${GROUP_LABEL[this.group].label.toLowerCase()}`, { icon: new vscode.ThemeIcon('info') })];
    } catch (err) {
      return [new MessageNode(this, `${this.id}/msg:error`, `Could not list ${GROUP_LABEL[this.group].label.toLowerCase()}: ${errorMessage(err)}`, { icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) })];
    }
  }

  private async load(conn: NonNullable<ReturnType<HostSession['connection']>>): Promise<TreeNode[]> {
    // Pools, networks and host devices with their details (src/views/resources).
    if (asResourceConnection(conn)) return resourceChildren(this.group, this, this.session);
    const byName = <T extends { name: string }>(a: T, b: T): number => compareNatural(a.name, b.name);
    switch (this.group) {
      case 'networks':
        return (await conn.connectListAllNetworks(0)).sort(byName).map((n) => new NetworkNode(this, n));
      case 'pools':
        return (await conn.connectListAllStoragePools(0)).sort(byName).map((p) => new StoragePoolNode(this, p));
      case 'devices':
        return (await conn.connectListAllNodeDevices(0)).sort(byName).map((d) => new NodeDeviceNode(this, d));
      case 'interfaces':
      case 'secrets':
        return [];
    }
  }
}
