import * as vscode from 'vscode';
import type { HardwareSection } from '../../libvirt/xml/summary';
import type { NodeBase, TreeNode } from '../treeNode';
import type { VmNode } from './vmNode';
import { md } from '../markdown';
import { osLine } from '../../libvirt/guestFacts';

/** One entry of a VM's hardware list (Overview, CPUs, a disk, a NIC…), like virt-manager's sidebar. */
export class HardwareNode implements NodeBase {
  readonly kind = 'hardware';

  constructor(
    readonly parent: VmNode,
    readonly section: HardwareSection,
  ) {}

  get id(): string {
    return `${this.parent.id}/hw:${this.section.key}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.section.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.description();
    item.iconPath = new vscode.ThemeIcon(this.section.icon);
    item.contextValue = `hardware.${this.section.kind}`;
    item.command = {
      command: 'libvirtVms.vm.openDetails',
      title: 'Open Details',
      arguments: [{ connectionId: this.parent.session.id, uuid: this.parent.uuid, section: this.section.key, preserveFocus: true }],
    };
    if (this.section.details.length > 0) {
      const tooltip = new vscode.MarkdownString(undefined, true);
      tooltip.appendMarkdown(md`**${this.section.label}**\n\n`);
      tooltip.appendMarkdown(this.section.details.map(([k, v]) => md`${k}: ${v}`).join('  \n'));
      item.tooltip = tooltip;
    }
    return item;
  }

  /**
   * The section's summary; the OS row of a VM whose definition names no OS ("unknown") shows what
   * its guest agent reported, when it did (the cached facts: no call from here).
   */
  private description(): string {
    const d = this.section.description;
    if (this.section.key !== 'os' || d !== 'unknown') return d;
    const entry = this.parent.session.guestFacts.peek(this.parent.uuid);
    const agentOs = entry?.kind === 'facts' ? osLine(entry.facts.os) : undefined;
    return agentOs ? `${agentOs} (guest agent)` : d;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
