import * as vscode from 'vscode';
import type { NodeBase, TreeNode } from '../treeNode';

export interface MessageOptions {
  readonly icon?: vscode.ThemeIcon;
  readonly command?: vscode.Command;
  readonly tooltip?: string;
  readonly description?: string;
}

/** An error, an empty state or a hint, shown in place of children; clicking may run a command. */
export class MessageNode implements NodeBase {
  readonly kind = 'message';

  constructor(
    readonly parent: TreeNode | undefined,
    readonly id: string,
    readonly text: string,
    private readonly opts: MessageOptions = {},
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = 'message';
    if (this.opts.icon) item.iconPath = this.opts.icon;
    if (this.opts.command) item.command = this.opts.command;
    if (this.opts.tooltip) item.tooltip = this.opts.tooltip;
    if (this.opts.description) item.description = this.opts.description;
    return item;
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
