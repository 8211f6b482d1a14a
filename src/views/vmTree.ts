import * as vscode from 'vscode';
import { errorMessage } from '../ui/log';
import { isEmptyFilter, parseFilter, type VmFilter } from './filter';
import type { HostSession } from './hostSession';
import { StatsPoller } from './statsPoller';
import { tagKey } from '../libvirt/tags';
import { GROUPING_SETTING, parseGrouping, parseTagColors, TAG_COLORS_SETTING, type TreeGrouping } from './grouping';
import type { TreeNode } from './treeNode';
import type { HistoryReader } from './history/performanceHistory';
import { VmTreeProvider, type ConnectionSource } from './vmTreeProvider';
import { compareNaturalBase } from '../libvirt/naturalOrder';

export const TREE_VIEW_ID = 'libvirtVms.machines';
const FILTER_CONTEXT_KEY = 'libvirtVms.filterActive';
/** True once the extension knows there is no saved connection: package.json shows the welcome then. */
const NO_CONNECTIONS_CONTEXT_KEY = 'libvirtVms.noConnections';
/**
 * The contextValues of the selected rows, space-separated ("vm.running.noautostart vm.shutoff"):
 * keybindings cannot see `viewItem`, so theirs match this key with the menus' regular expressions.
 */
export const SELECTION_CONTEXT_KEY = 'libvirtVms.selectedItems';

/** The Virtual Machines tree view: provider, selection, filter and stats polling. */
export class VmTree implements vscode.Disposable {
  readonly provider: VmTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(source: ConnectionSource, log: vscode.LogOutputChannel, history?: HistoryReader) {
    this.provider = new VmTreeProvider(source, log, history);
    this.view = vscode.window.createTreeView(TREE_VIEW_ID, { treeDataProvider: this.provider, canSelectMany: true, showCollapseAll: true });
    this.disposables.push(
      this.provider,
      this.view,
      new StatsPoller(this.view, () => this.provider.sessionList(), this.provider.onDidChangeStatsDemand),
      this.view.onDidChangeVisibility((e) => {
        if (e.visible) for (const s of this.provider.sessionList()) s.ensureStarted();
      }),
      this.view.onDidChangeSelection(() => this.updateSelectionContext()),
      // A selected VM that starts or stops changes which keybindings apply.
      this.provider.onDidChangeTreeData(() => {
        if (this.view.selection.length > 0 || this.selectionContext !== '') this.updateSelectionContext();
      }),
    );
    const readSettings = (): void => {
      const config = vscode.workspace.getConfiguration();
      this.provider.setTagColors(parseTagColors(config.get(TAG_COLORS_SETTING), (m) => log.warn(m)));
      this.provider.setGrouping(parseGrouping(config.get(GROUPING_SETTING)));
    };
    readSettings();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(GROUPING_SETTING) || e.affectsConfiguration(TAG_COLORS_SETTING)) readSettings();
      }),
    );
    void vscode.commands.executeCommand('setContext', FILTER_CONTEXT_KEY, false);
    const noConnections = (): void => void vscode.commands.executeCommand('setContext', NO_CONNECTIONS_CONTEXT_KEY, source.list().length === 0);
    this.disposables.push(source.onDidChange(noConnections));
    noConnections();
  }

  private selectionContext = '';

  private updateSelectionContext(): void {
    const value = this.view.selection.map((n) => n.getTreeItem().contextValue ?? '').join(' ');
    if (value === this.selectionContext) return;
    this.selectionContext = value;
    void vscode.commands.executeCommand('setContext', SELECTION_CONTEXT_KEY, value);
  }

  /** The selected nodes (for multi-selection commands). */
  selection(): readonly TreeNode[] {
    return this.view.selection;
  }

  /** Fires when a connection's session was made or dropped. */
  get onDidChangeSessions(): vscode.Event<void> {
    return this.provider.onDidChangeSessions;
  }

  sessions(): HostSession[] {
    return this.provider.sessionList();
  }

  session(connectionId: string): HostSession | undefined {
    return this.provider.session(connectionId);
  }

  get grouping(): TreeGrouping {
    return this.provider.grouping;
  }

  /** Every tag on the VMs of connected hosts (as far as read), with how many VMs carry it, sorted. */
  knownTags(): { tag: string; count: number }[] {
    const byKey = new Map<string, { tag: string; count: number }>();
    for (const s of this.provider.sessionList()) {
      for (const [tag, count] of s.knownTags()) {
        const k = tagKey(tag);
        const e = byKey.get(k);
        if (e) e.count += count;
        else byKey.set(k, { tag, count });
      }
    }
    return [...byKey.values()].sort((a, b) => compareNaturalBase(a.tag, b.tag));
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
