import * as vscode from 'vscode';
import type { SecretRef } from '../../libvirt/connection';
import { secretUsageKind, type SecretDescription } from '../../libvirt/resources/secret';
import type { GroupNode } from '../nodes/groupNode';
import type { NodeBase, TreeNode } from '../treeNode';
import type { ResourceHost } from './resourceApi';
import { md } from '../markdown';

const USAGE_LABEL: Readonly<Record<string, string>> = { volume: 'volume', ceph: 'Ceph', iscsi: 'iSCSI', tls: 'TLS', vtpm: 'vTPM', none: 'no usage' };

/** A libvirt secret: its usage (what it unlocks) and flags. Its value is never read or shown. */
export class SecretNode implements NodeBase {
  readonly kind = 'resourceSecret';

  constructor(
    readonly parent: GroupNode,
    readonly host: ResourceHost,
    readonly ref: SecretRef,
    readonly desc: SecretDescription | undefined,
    /** VMs whose XML names the secret. */
    readonly users: readonly string[],
  ) {}

  get id(): string {
    return `${this.parent.id}/secret:${this.ref.uuid}`;
  }

  getTreeItem(): vscode.TreeItem {
    const usage = this.desc?.usage ?? secretUsageKind(this.ref);
    const label = this.desc?.usageId ?? (this.ref.usageId !== '' ? this.ref.usageId : this.ref.uuid);
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const flags = [this.desc?.ephemeral ? 'ephemeral' : undefined, this.desc?.private ? 'private' : undefined].filter((s): s is string => s !== undefined);
    item.description = [USAGE_LABEL[usage] ?? usage, ...flags, ...(this.users.length > 0 ? [`used by ${this.users.join(', ')}`] : [])].join(' · ');
    item.iconPath = new vscode.ThemeIcon(usage === 'volume' ? 'lock' : 'key');
    item.contextValue = `secret.${usage}`;
    const tooltip = new vscode.MarkdownString(md`**${label}** (libvirt secret)\n\n`, true);
    tooltip.appendMarkdown(md`UUID: ${this.ref.uuid}  \nUsage: ${USAGE_LABEL[usage] ?? usage}${this.desc?.usageId ? ` ${this.desc.usageId}` : ''}  \n`);
    if (this.desc?.description) tooltip.appendMarkdown(md`Description: ${this.desc.description}  \n`);
    tooltip.appendMarkdown(
      md`Ephemeral: ${this.desc?.ephemeral ? 'yes (kept in memory only)' : 'no'}  \nPrivate: ${this.desc?.private ? 'yes (the value cannot be read back)' : 'no'}  \nUsed by: ${this.users.length > 0 ? this.users.join(', ') : 'no VM'}`,
    );
    item.tooltip = tooltip;
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
