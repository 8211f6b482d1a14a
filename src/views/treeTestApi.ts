// A small typed view of the tree for the extension-host tests (returned by activate()).

import type * as vscode from 'vscode';
import type { TreeNode } from './treeNode';
import type { VmTree } from './vmTree';

export interface TreeTestApi {
  /** Saved connection ids, in tree order. */
  connectionIds(): string[];
  /** idle | connecting | connected | disconnected */
  connectionState(connectionId: string): string | undefined;
  connectionItem(connectionId: string): vscode.TreeItem | undefined;
  /** The tree item of a VM as the tree would render it now (undefined: not listed). */
  vmItem(connectionId: string, vmName: string): vscode.TreeItem | undefined;
  /** The labels a connection node shows (VMs, groups or messages), after the filter. */
  connectionChildren(connectionId: string): Promise<string[]>;
  /** The hardware entries of a VM, as "label: description". */
  vmChildren(connectionId: string, vmName: string): Promise<string[]>;
  /** The VM tooltip as resolved on hover (markdown source). */
  vmTooltip(connectionId: string, vmName: string): Promise<string | undefined>;
  /** The nodes under a connection's Networks / Storage Pools / Host Devices group (src/views/resources). */
  groupNodes(connectionId: string, group: 'networks' | 'pools' | 'devices'): Promise<TreeNode[]>;
  /** The labels under a connection's Networks, Storage Pools or Host Devices group. */
  groupChildren(connectionId: string, group: 'networks' | 'pools' | 'devices'): Promise<string[]>;
  /** Change events fired by the tree so far. */
  fireCount(): number;
  setFilter(text: string): void;
}

function label(item: vscode.TreeItem): string {
  const l = item.label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

export function createTreeTestApi(tree: VmTree): TreeTestApi {
  const vmNode = (connectionId: string, vmName: string): (TreeNode & { kind: 'vm' }) | undefined => {
    const s = tree.session(connectionId);
    const snap = s?.snapshots().find((v) => v.ref.name === vmName);
    return snap ? s?.vmNode(snap.ref.uuid) : undefined;
  };
  return {
    connectionIds: () => tree.sessions().map((s) => s.id),
    connectionState: (id) => tree.session(id)?.managed.state.kind,
    connectionItem: (id) => tree.session(id)?.node.getTreeItem(),
    vmItem: (id, name) => vmNode(id, name)?.getTreeItem(),
    connectionChildren: async (id) => {
      const s = tree.session(id);
      if (!s) return [];
      return (await s.node.getChildren()).map((n) => label(n.getTreeItem()));
    },
    vmChildren: async (id, name) => {
      const n = vmNode(id, name);
      if (!n) return [];
      return (await n.getChildren()).map((c) => {
        const item = c.getTreeItem();
        return `${label(item)}: ${typeof item.description === 'string' ? item.description : ''}`;
      });
    },
    vmTooltip: async (id, name) => {
      const n = vmNode(id, name);
      if (!n) return undefined;
      const item = await n.resolveTreeItem(n.getTreeItem(), { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) });
      const t = item.tooltip;
      return typeof t === 'string' ? t : t?.value;
    },
    groupNodes: async (id, group) => {
      const s = tree.session(id);
      return s ? s.groups[group].getChildren() : [];
    },
    groupChildren: async (id, group) => {
      const s = tree.session(id);
      if (!s) return [];
      return (await s.groups[group].getChildren()).map((n) => label(n.getTreeItem()));
    },
    fireCount: () => tree.provider.fireCount,
    setFilter: (text) => tree.setFilterText(text),
  };
}
