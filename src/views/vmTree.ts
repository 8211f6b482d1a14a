import * as vscode from 'vscode';
import { errorMessage } from '../ui/log';
import { isEmptyFilter, parseFilter, type VmFilter } from './filter';
import type { HostSession } from './hostSession';
import { StatsPoller } from './statsPoller';
import type { TreeNode } from './treeNode';
import { VmTreeProvider, type ConnectionSource } from './vmTreeProvider';

export const TREE_VIEW_ID = 'libvirtVms.machines';
const FILTER_CONTEXT_KEY = 'libvirtVms.filterActive';
/** True once the extension knows there is no saved connection: package.json shows the welcome then. */
const NO_CONNECTIONS_CONTEXT_KEY = 'libvirtVms.noConnections';

/** The Virtual Machines tree view: provider, selection, filter and stats polling. */
export class VmTree implements vscode.Disposable {
  readonly provider: VmTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(source: ConnectionSource, log: vscode.LogOutputChannel) {
    this.provider = new VmTreeProvider(source, log);
    this.view = vscode.window.createTreeView(TREE_VIEW_ID, { treeDataProvider: this.provider, canSelectMany: true, showCollapseAll: true });
    this.disposables.push(
      this.provider,
      this.view,
      new StatsPoller(this.view, () => this.provider.sessionList(), this.provider.onDidChangeStatsDemand),
      this.view.onDidChangeVisibility((e) => {
        if (e.visible) for (const s of this.provider.sessionList()) s.ensureStarted();
      }),
    );
    void vscode.commands.executeCommand('setContext', FILTER_CONTEXT_KEY, false);
    const noConnections = (): void => void vscode.commands.executeCommand('setContext', NO_CONNECTIONS_CONTEXT_KEY, source.list().length === 0);
    this.disposables.push(source.onDidChange(noConnections));
    noConnections();
  }

  /** The selected nodes (for multi-selection commands). */
  selection(): readonly TreeNode[] {
    return this.view.selection;
  }

  sessions(): HostSession[] {
    return this.provider.sessionList();
  }

  session(connectionId: string): HostSession | undefined {
    return this.provider.session(connectionId);
  }

  get filter(): VmFilter {
    return this.provider.filter;
  }

  /** Applies filter text; throws FilterSyntaxError for bad text. */
  setFilterText(text: string): void {
    const filter = parseFilter(text);
    this.provider.setFilter(filter);
    const active = !isEmptyFilter(filter);
    this.view.description = active ? `filter: ${filter.text}` : undefined;
    void vscode.commands.executeCommand('setContext', FILTER_CONTEXT_KEY, active);
  }

  /** Validation message for the filter input box. */
  static filterError(text: string): string | undefined {
    try {
      parseFilter(text);
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }

  async refresh(connectionId?: string): Promise<void> {
    const targets = connectionId ? [this.provider.session(connectionId)].filter((s): s is HostSession => s !== undefined) : this.provider.sessionList();
    await Promise.all(targets.map((s) => s.refreshAll()));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
