import * as vscode from 'vscode';
import { tagKey } from '../../libvirt/tags';
import { STATE_GROUP_ORDER, stateGroupLabel } from '../grouping';
import type { HostSession, VmSnapshot } from '../hostSession';
import type { NodeBase, TreeNode } from '../treeNode';
import { vmStateIcon } from '../vmIcons';
import type { VmStateName } from '../vmState';
import type { VmNode } from './vmNode';
import { compareNatural, compareNaturalBase } from '../../libvirt/naturalOrder';

const vmCount = (n: number): string => `${n} VM${n === 1 ? '' : 's'}`;

export type VmGroupKey =
  | { readonly by: 'tag'; readonly key: string; readonly label: string }
  | { readonly by: 'untagged' }
  | { readonly by: 'state'; readonly state: VmStateName };

/** One VM of a group, with the session it belongs to. */
export interface GroupMember {
  readonly session: HostSession;
  readonly vm: VmSnapshot;
}

function inGroup(key: VmGroupKey, vm: VmSnapshot): boolean {
  switch (key.by) {
    case 'tag':
      return vm.tags.some((t) => tagKey(t) === key.key);
    case 'untagged':
      return vm.tags.length === 0;
    case 'state':
      return vm.state === key.state;
  }
}

function keyId(key: VmGroupKey): string {
  switch (key.by) {
    case 'tag':
      return `tag:${encodeURIComponent(key.key)}`;
    case 'untagged':
      return 'untagged';
    case 'state':
      return `state:${key.state}`;
  }
}

/**
 * A tag, "Untagged" or state row holding VMs: under a connection (grouping by tag or state), or at
 * the top across every connection (all hosts together, by tag). Its id follows the tag or state,
 * so its expansion survives refreshes. The bulk VM commands accept it as "every VM in this row".
 */
export class VmGroupNode implements NodeBase {
  readonly kind = 'vmGroup';

  constructor(
    readonly parent: TreeNode | undefined,
    /** The connections whose VMs the row gathers (one, or every one at the top level). */
    readonly sessions: () => readonly HostSession[],
    readonly key: VmGroupKey,
  ) {}

  get id(): string {
    return this.parent ? `${this.parent.id}/${keyId(this.key)}` : `all/${keyId(this.key)}`;
  }

  /** The tag this row stands for (tag rows only). */
  get tag(): string | undefined {
    return this.key.by === 'tag' ? this.key.label : undefined;
  }

  /** Whether VM rows name their host (the row spans connections). */
  get spansHosts(): boolean {
    return this.parent === undefined;
  }

  /** The VMs the row shows now (the tree's filter applied), sorted by name then host. */
  members(): GroupMember[] {
    const out: GroupMember[] = [];
    for (const session of this.sessions()) for (const vm of session.shownVms()) if (inGroup(this.key, vm)) out.push({ session, vm });
    return out.sort((a, b) => compareNatural(a.vm.ref.name, b.vm.ref.name) || a.session.config.name.localeCompare(b.session.config.name));
  }

  /** `{ connectionId, uuid }` of every VM in the row (what the bulk commands act on). */
  groupVms(): { connectionId: string; uuid: string }[] {
    return this.members().map((m) => ({ connectionId: m.session.id, uuid: m.vm.ref.uuid }));
  }

  getTreeItem(): vscode.TreeItem {
    const n = this.members().length;
    let label: string;
    let icon: vscode.ThemeIcon;
    switch (this.key.by) {
      case 'tag': {
        label = this.key.label;
        const color = this.sessions()[0]?.treeContext.tagColor(this.key.key);
        icon = new vscode.ThemeIcon('tag', color ? new vscode.ThemeColor(color) : undefined);
        break;
      }
      case 'untagged':
        label = 'Untagged';
        icon = new vscode.ThemeIcon('circle-slash');
        break;
      case 'state':
        label = stateGroupLabel(this.key.state);
        icon = vmStateIcon(this.key.state);
        break;
    }
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.iconPath = icon;
    item.description = vmCount(n);
    item.contextValue = `vmGroup.${this.key.by}`;
    item.tooltip = this.key.by === 'tag' ? `Tag "${this.key.label}": ${vmCount(n)}${this.spansHosts ? ' on all connected hosts' : ''}` : `${label}: ${vmCount(n)}`;
    item.accessibilityInformation = { label: `${this.key.by === 'tag' ? 'Tag ' : ''}${label}, ${vmCount(n)}` };
    return item;
  }

  getChildren(): TreeNode[] {
    return this.members()
      .map((m) => m.session.vmNodeUnder(this, m.vm.ref.uuid))
      .filter((n): n is VmNode => n !== undefined);
  }
}

/**
 * The group rows for these connections' VMs (filter applied): one per tag (sorted, the first
 * spelling seen names it) then "Untagged", or one per state in STATE_GROUP_ORDER. Empty groups are
 * left out. GroupNodeCache turns the keys into row objects.
 */
export function groupKeys(sessions: readonly HostSession[], by: 'tag' | 'state'): VmGroupKey[] {
  const vms = sessions.flatMap((s) => s.shownVms());
  if (by === 'state') {
    const present = new Set(vms.map((v) => v.state));
    return STATE_GROUP_ORDER.filter((s) => present.has(s)).map((state) => ({ by: 'state', state }));
  }
  const labels = new Map<string, string>();
  let untagged = false;
  for (const v of vms) {
    if (v.tags.length === 0) untagged = true;
    for (const t of v.tags) if (!labels.has(tagKey(t))) labels.set(tagKey(t), t);
  }
  const keys: VmGroupKey[] = [...labels].sort((a, b) => compareNaturalBase(a[1], b[1])).map(([key, label]) => ({ by: 'tag', key, label }));
  if (untagged) keys.push({ by: 'untagged' });
  return keys;
}

/** Keeps one row object per id, so events fired for a row reach the row VS Code shows. */
export class GroupNodeCache {
  private readonly nodes = new Map<string, VmGroupNode>();

  rows(parent: TreeNode | undefined, sessions: () => readonly HostSession[], keys: readonly VmGroupKey[]): VmGroupNode[] {
    return keys.map((key) => {
      const fresh = new VmGroupNode(parent, sessions, key);
      const old = this.nodes.get(fresh.id);
      // A tag's spelling may change (first seen); the row then takes the new label.
      if (old && (key.by !== 'tag' || old.tag === key.label)) return old;
      this.nodes.set(fresh.id, fresh);
      return fresh;
    });
  }

  clear(): void {
    this.nodes.clear();
  }
}
