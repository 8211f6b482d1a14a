// A small typed view of the tree for the extension-host tests (returned by activate()).

import * as vscode from 'vscode';
import type { GroupKind } from './nodes/groupNode';
import type { TreeNode } from './treeNode';
import type { VmTree } from './vmTree';

export interface TreeTestApi {
  /** Saved connection ids, in tree order. */
  connectionIds(): string[];
  /** idle | connecting | connected | disconnected */
  connectionState(connectionId: string): string | undefined;
  /** A connection's row as hovered (its tooltip resolved). */
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
  groupNodes(connectionId: string, group: GroupKind): Promise<TreeNode[]>;
  /** The labels under a connection's Networks, Storage Pools or Host Devices group. */
  groupChildren(connectionId: string, group: GroupKind): Promise<string[]>;
  /** A VM's "Snapshots" node loaded as on expansion: "  name: description [contextValue]", indented by depth. */
  snapshotRows(connectionId: string, vmName: string): Promise<string[]>;
  /**
   * The rows under a connection (or at the top when `connectionId` is undefined), walking into
   * expanded rows but not into VMs: "  label: description [contextValue]", indented by depth.
   */
  rows(connectionId: string | undefined): Promise<string[]>;
  /** The row reached by following labels from the top (for passing to commands as the clicked row). */
  row(labels: readonly string[]): Promise<TreeNode | undefined>;
  /** Every tag on connected hosts, with counts. */
  knownTags(): { tag: string; count: number }[];
  /** Change events fired by the tree so far. */
  fireCount(): number;
  /** Whether a connection counts as still connecting or listing its VMs for the first time (src/views/hostLoads.ts). */
  isLoading(connectionId: string): boolean;
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
    connectionItem: (id) => {
      const n = tree.session(id)?.node;
      return n?.withTooltip(n.getTreeItem());
    },
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
    snapshotRows: async (id, name) => {
      const n = vmNode(id, name);
      if (!n) return [];
      const rows: string[] = [];
      const walk = async (nodes: readonly TreeNode[], depth: number): Promise<void> => {
        for (const c of nodes) {
          const item = c.getTreeItem();
          rows.push(`${'  '.repeat(depth)}${label(item)}: ${typeof item.description === 'string' ? item.description : ''} [${item.contextValue ?? ''}]`);
          await walk(await c.getChildren(), depth + 1);
        }
      };
      await walk(await n.snapshotsNode.getChildren(), 0);
      return rows;
    },
    rows: async (id) => {
      const start: readonly TreeNode[] = id === undefined ? ((await tree.provider.getChildren()) as TreeNode[]) : await (tree.session(id)?.node.getChildren() ?? []);
      const rows: string[] = [];
      const walk = async (nodes: readonly TreeNode[], depth: number): Promise<void> => {
        for (const c of nodes) {
          const item = c.getTreeItem();
          // A tag row's colour (the one colour the user picks) as {theme colour id}.
          const icon = item.contextValue === 'vmGroup.tag' && item.iconPath instanceof vscode.ThemeIcon && item.iconPath.color ? ` {${item.iconPath.color.id}}` : '';
          rows.push(`${'  '.repeat(depth)}${label(item)}: ${typeof item.description === 'string' ? item.description : ''} [${item.contextValue ?? ''}]${icon}`);
          if (c.kind !== 'vm' && item.collapsibleState === 2) await walk(await c.getChildren(), depth + 1);
        }
      };
      await walk(start, 0);
      return rows;
    },
    row: async (labels) => {
      let nodes = (await tree.provider.getChildren()) as TreeNode[];
      let found: TreeNode | undefined;
      for (const l of labels) {
        found = nodes.find((n) => label(n.getTreeItem()) === l);
        if (!found) return undefined;
        nodes = await found.getChildren();
      }
      return found;
    },
    knownTags: () => tree.knownTags(),
    fireCount: () => tree.provider.fireCount,
    isLoading: (id) => tree.provider.hostLoads.has(id),
    setFilter: (text) => tree.setFilterText(text),
  };
}
