import * as vscode from 'vscode';
import type { HostSession } from './hostSession';

export const STATS_INTERVAL_SETTING = 'libvirtVms.statsInterval';

/**
 * Refreshes the bulk stats (vCPUs, memory, state; disk and network bytes while a details panel
 * shows performance or the history records) at the configured interval: every connected host
 * while the tree is visible, and while it is hidden the hosts whose VMs a details panel shows or
 * whose samples someone records (the performance history records while VS Code runs, seen or
 * not). Still one bulk call per host per interval, whoever needs it. Events keep state current in
 * between.
 */
export class StatsPoller implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly view: vscode.TreeView<unknown>,
    private readonly sessions: () => readonly HostSession[],
    onDidChangeDemand: vscode.Event<void>,
  ) {
    this.disposables.push(
      view.onDidChangeVisibility(() => this.reschedule()),
      onDidChangeDemand(() => {
        if (this.timer === undefined) this.reschedule();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(STATS_INTERVAL_SETTING)) this.reschedule();
      }),
    );
    this.reschedule();
  }

  private intervalMs(): number {
    const s = vscode.workspace.getConfiguration().get<number>(STATS_INTERVAL_SETTING, 5);
    return typeof s === 'number' && Number.isFinite(s) && s > 0 ? Math.max(1, s) * 1000 : 0;
  }

  /** The sessions to refresh now. */
  private due(): HostSession[] {
    const connected = this.sessions().filter((s) => s.connection() !== undefined);
    return this.view.visible ? connected : connected.filter((s) => s.samplingWanted);
  }

  private reschedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const ms = this.intervalMs();
    if (ms === 0 || (!this.view.visible && !this.sessions().some((s) => s.samplingWanted))) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    await Promise.all(this.due().map((s) => s.refresh()));
    if (this.timer === undefined) this.reschedule();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
