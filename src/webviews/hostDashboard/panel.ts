// The Host Dashboard tab of one connection: the host's CPU and memory, the top consumers and a
// small multiple per VM over a chosen range of the recorded history. The shared PanelHost makes
// the page and checks every message; this class answers them and re-sends the data as the history
// records (at most every 5 s for the short ranges, every minute for the long ones).

import * as vscode from 'vscode';
import type { HostHistory, HistoryRange } from '../../libvirt/history/hostHistory';
import { PanelHost } from '../shared/panelHost';
import { dashboardData, type DashboardVmInfo } from './data';
import { parseFromWebview, type FromWebview, type ToWebview } from './protocol';

export const HOST_DASHBOARD_VIEW_TYPE = 'libvirtVms.hostDashboard';

/** What the dashboard reads about its host; built by the command from the host's session. */
export interface DashboardSource {
  readonly connectionId: string;
  readonly title: string;
  vms(): readonly DashboardVmInfo[];
  history(): HostHistory | undefined;
  /** Whether every VM's tags are known. */
  tagsKnown(): boolean;
  /** Reads the tags of the VMs whose tags are not known yet. */
  loadTags(): Promise<void>;
  openDetails(uuid: string): void;
  /** Fires when the host's history recorded a batch. */
  readonly onDidRecord: vscode.Event<void>;
  readonly log: vscode.LogOutputChannel;
}

export class HostDashboardPanel implements vscode.Disposable {
  readonly host: PanelHost<ToWebview, FromWebview>;
  private range: HistoryRange = '1h';
  private readonly title: string;
  private lastSent = 0;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeListeners = new Set<() => void>();
  private disposed = false;
  /** How long the webview took to draw the cards the last time (tests and the benchmark read it). */
  lastShown: { cards: number; ms: number } | undefined;
  private readonly shownListeners = new Set<(s: { cards: number; ms: number }) => void>();

  constructor(
    extensionUri: vscode.Uri,
    private readonly source: DashboardSource,
    private readonly now: () => number = Date.now,
  ) {
    const title = (this.title = `Host Dashboard: ${source.title}`);
    const panel = vscode.window.createWebviewPanel(HOST_DASHBOARD_VIEW_TYPE, title, vscode.ViewColumn.Active, { enableScripts: true, enableFindWidget: true, retainContextWhenHidden: false });
    this.host = new PanelHost<ToWebview, FromWebview>(panel, {
      extensionUri,
      assets: { script: 'dist/webviews/hostDashboard.js', title: 'Host Dashboard' },
      parse: parseFromWebview,
      handle: (m) => this.handle(m),
      log: source.log,
      name: `dashboard ${source.title}`,
    });
    this.host.post({ type: 'init', title });
    this.disposables.push(
      source.onDidRecord(() => this.schedule()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  get currentRange(): HistoryRange {
    return this.range;
  }

  receive(m: unknown): Promise<boolean> {
    return this.host.receive(m);
  }

  reveal(): void {
    this.panel.reveal();
  }

  onDidShow(listener: (s: { cards: number; ms: number }) => void): vscode.Disposable {
    this.shownListeners.add(listener);
    return new vscode.Disposable(() => this.shownListeners.delete(listener));
  }

  onDidDispose(listener: () => void): void {
    this.disposeListeners.add(listener);
  }

  private async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        // The init posted at creation may have gone out before the page listened.
        this.host.post({ type: 'init', title: this.title });
        this.send();
        return;
      case 'setRange':
        this.range = m.range;
        this.send();
        return;
      case 'openDetails':
        this.source.openDetails(m.uuid);
        return;
      case 'loadTags':
        if (this.source.tagsKnown()) return;
        this.host.post({ type: 'status', message: 'Reading the tags of every VM…' });
        await this.source.loadTags();
        this.host.post({ type: 'status', message: '' });
        this.send();
        return;
      case 'shown':
        this.lastShown = { cards: m.cards, ms: m.ms };
        for (const l of [...this.shownListeners]) l(this.lastShown);
        return;
    }
  }

  /** Re-sends after a recorded batch: the short ranges at most every 5 s, the long ones every minute. */
  private schedule(): void {
    if (this.pending !== undefined || !this.host.isReady || !this.panel.visible) return;
    const every = this.range === 'live' || this.range === '1h' ? 5_000 : 60_000;
    const wait = Math.max(0, this.lastSent + every - this.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (!this.disposed) this.send();
    }, wait);
  }

  /** Posts the data of the current range. */
  send(): void {
    this.lastSent = this.now();
    this.host.post({ type: 'data', data: dashboardData(this.source.history(), this.source.vms(), this.range, this.now(), this.source.tagsKnown()) });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pending !== undefined) clearTimeout(this.pending);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.host.dispose();
    this.panel.dispose();
    for (const l of [...this.disposeListeners]) l();
  }
}

/** The open dashboards, one per connection. Built once in extension.ts and passed to the commands. */
export class HostDashboards implements vscode.Disposable {
  private readonly open = new Map<string, HostDashboardPanel>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  get(connectionId: string): HostDashboardPanel | undefined {
    return this.open.get(connectionId);
  }

  show(source: DashboardSource): HostDashboardPanel {
    const existing = this.open.get(source.connectionId);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = new HostDashboardPanel(this.extensionUri, source);
    this.open.set(source.connectionId, panel);
    panel.onDidDispose(() => {
      if (this.open.get(source.connectionId) === panel) this.open.delete(source.connectionId);
    });
    return panel;
  }

  dispose(): void {
    for (const p of [...this.open.values()]) p.dispose();
    this.open.clear();
  }
}
