import * as vscode from 'vscode';
import type { ConnectionConfig } from '../connections/connectionConfig';
import { parseFilter, type VmFilter } from './filter';
import type { ManagedConnection } from '../libvirt/managedConnection';
import { HostSession } from './hostSession';
import type { TreeContext, TreeNode } from './treeNode';
import type { HistoryReader } from './history/performanceHistory';
import { GroupNodeCache, groupKeys } from './nodes/vmGroupNode';
import { groupsByTag, type TreeGrouping } from './grouping';
import { HostLoads } from './hostLoads';

export interface ConnectionSourceEntry {
  readonly config: ConnectionConfig;
  readonly managed: ManagedConnection;
}

/** The saved connections and their live ManagedConnections (the connection registry). */
export interface ConnectionSource {
  list(): readonly ConnectionSourceEntry[];
  readonly onDidChange: vscode.Event<void>;
}

/** A thin TreeDataProvider: one HostSession per connection; nodes answer for themselves. */
export class VmTreeProvider implements vscode.TreeDataProvider<TreeNode>, TreeContext, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly demandEmitter = new vscode.EventEmitter<void>();
  /** Fires when a session starts or stops needing stats while the tree is hidden. */
  readonly onDidChangeStatsDemand = this.demandEmitter.event;
  private readonly sessionsEmitter = new vscode.EventEmitter<void>();
  /** Fires when a session was made or dropped (a connection added, removed or replaced). */
  readonly onDidChangeSessions = this.sessionsEmitter.event;
  private readonly sessions = new Map<string, HostSession>();
  private readonly subscription: vscode.Disposable;
  private currentFilter: VmFilter = parseFilter('');
  private currentGrouping: TreeGrouping = 'connection';
  private tagColors: ReadonlyMap<string, string> = new Map();
  /** The tag rows at the top (all hosts together). */
  private readonly topGroups = new GroupNodeCache();
  private fired = 0;
  readonly hostLoads = new HostLoads();

  constructor(
    private readonly source: ConnectionSource,
    readonly log: vscode.LogOutputChannel,
    readonly history?: HistoryReader,
  ) {
    this.subscription = source.onDidChange(() => this.sync());
    this.sync();
  }

  get filter(): VmFilter {
    return this.currentFilter;
  }

  setFilter(filter: VmFilter): void {
    this.currentFilter = filter;
    this.fire(undefined);
    if (filter.tags.length > 0) {
      // Tag reads waiting for other hosts to load start now: the filter needs them.
      this.hostLoads.release();
      for (const s of this.sessions.values()) void s.loadTagsForFilter();
    }
  }

  get grouping(): TreeGrouping {
    return this.currentGrouping;
  }

  setGrouping(grouping: TreeGrouping): void {
    if (grouping === this.currentGrouping) return;
    this.currentGrouping = grouping;
    this.topGroups.clear();
    for (const s of this.sessions.values()) s.resetPlacement();
    if (groupsByTag(grouping)) this.hostLoads.release();
    this.fire(undefined);
  }

  tagColor(tagKey: string): string | undefined {
    return this.tagColors.get(tagKey);
  }

  setTagColors(colors: ReadonlyMap<string, string>): void {
    this.tagColors = colors;
    if (this.currentGrouping === 'tag' || this.currentGrouping === 'allHostsByTag') this.fire(undefined);
  }

  fireStructure(session: HostSession): void {
    this.fire(this.currentGrouping === 'allHostsByTag' ? undefined : [session.node]);
  }

  sessionList(): HostSession[] {
    return [...this.sessions.values()];
  }

  session(connectionId: string): HostSession | undefined {
    return this.sessions.get(connectionId);
  }

  /** How many change events the tree has fired (tests check that bursts are coalesced). */
  get fireCount(): number {
    return this.fired;
  }

  fire(nodes: readonly TreeNode[] | undefined): void {
    this.fired++;
    this.emitter.fire(nodes === undefined ? undefined : [...nodes]);
  }

  statsDemandChanged(): void {
    this.demandEmitter.fire();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (node) return node.getChildren();
    // The rows show now: autoconnect connections start connecting before their rows render, so the
    // first rows already say "connecting…" instead of "not connected".
    const sessions = this.sessionList();
    for (const s of sessions) s.ensureStarted();
    if (this.currentGrouping !== 'allHostsByTag') return sessions.map((s) => s.node);
    // All hosts together: a row per tag (and Untagged) over every loaded connection, then the
    // connection rows themselves (state, errors, networks, storage…).
    const loaded = (): HostSession[] => this.sessionList().filter((s) => s.connection() !== undefined && s.isLoaded);
    return [...this.topGroups.rows(undefined, loaded, groupKeys(loaded(), 'tag')), ...sessions.map((s) => s.node)];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    return node.kind === 'vm' || node.kind === 'connection' ? node.resolveTreeItem(item, token) : item;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this.emitter.dispose();
    this.demandEmitter.dispose();
    this.sessionsEmitter.dispose();
  }

  /** Keeps one session per saved connection; a renamed or replaced connection gets a new one. */
  private sync(): void {
    const entries = this.source.list();
    const wanted = new Map(entries.map((e) => [e.config.id, e]));
    let changed = false;
    for (const [id, s] of this.sessions) {
      const e = wanted.get(id);
      if (!e || e.managed !== s.managed || e.config !== s.config) {
        s.dispose();
        this.sessions.delete(id);
        changed = true;
      }
    }
    const ordered = new Map<string, HostSession>();
    for (const e of entries) {
      let s = this.sessions.get(e.config.id);
      if (!s) {
        s = new HostSession(e.config, e.managed, this);
        changed = true;
      }
      ordered.set(e.config.id, s);
    }
    this.sessions.clear();
    for (const [id, s] of ordered) this.sessions.set(id, s);
    if (changed) {
      this.fire(undefined);
      this.sessionsEmitter.fire();
    }
  }
}
