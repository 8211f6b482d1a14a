// Records every host's samples into its round-robin history (src/libvirt/history/) while VS Code
// runs, and keeps the histories in the extension's global storage: one file per connection,
// appended to every few minutes with what changed (historyFile.ts) and once more on deactivate.
//
// Decisions: recording follows `libvirtVms.history.enabled` (default on) and subscribes to each
// HostSession's onDidSample, so it costs no call of its own: the tree's one bulk call per host per
// interval. While it records, the stats poller keeps sampling connected hosts at the stats interval
// even with the tree hidden (a chart of the last hour should have no holes because the side bar was
// closed). Hosts that are not connected record nothing: their gap shows as a gap.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkTiers, DEFAULT_TIERS, type Tier } from '../../libvirt/history/archive';
import { HostHistory } from '../../libvirt/history/hostHistory';
import { HISTORY_FILE_VERSION, HistoryFileError, HistoryWriter, readHistoryFile } from '../../libvirt/history/historyFile';
import { errorMessage } from '../../ui/log';
import type { HostSession } from '../hostSession';

export const HISTORY_ENABLED_SETTING = 'libvirtVms.history.enabled';
export const HISTORY_TIERS_SETTING = 'libvirtVms.history.tiers';
/** How often a changed history is written (besides deactivate). */
const FLUSH_MS = 5 * 60_000;

/** What the tooltips, the details panel and the dashboard read. */
export interface HistoryReader {
  /** The history of a connection, when it has been loaded (undefined before its first sample). */
  host(connectionId: string): HostHistory | undefined;
  /** Fires after a host's history recorded a batch. */
  readonly onDidRecord: vscode.Event<string>;
}

interface Entry {
  history: HostHistory | undefined;
  /** Appends what changed to the file the history was read from (or writes it whole first). */
  writer: HistoryWriter | undefined;
  loading: Promise<void> | undefined;
  written: number;
  subscription: { dispose(): void } | undefined;
  session: HostSession | undefined;
}

export class PerformanceHistory implements HistoryReader, vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly recordEmitter = new vscode.EventEmitter<string>();
  readonly onDidRecord = this.recordEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private sessions: () => readonly HostSession[] = () => [];
  private tiers: readonly Tier[];

  constructor(
    private readonly dir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.tiers = this.readTiers();
    this.disposables.push(
      this.recordEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(HISTORY_ENABLED_SETTING)) this.sync();
        if (e.affectsConfiguration(HISTORY_TIERS_SETTING)) void this.retier();
      }),
    );
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
  }

  /** Follows the tree's sessions (one per saved connection). */
  attach(sessions: () => readonly HostSession[], onDidChange: vscode.Event<void>): void {
    this.sessions = sessions;
    this.disposables.push(onDidChange(() => this.sync()));
    this.sync();
  }

  get enabled(): boolean {
    return vscode.workspace.getConfiguration().get<boolean>(HISTORY_ENABLED_SETTING, true) !== false;
  }

  host(connectionId: string): HostHistory | undefined {
    return this.entries.get(connectionId)?.history;
  }

  fileOf(connectionId: string): string {
    const hash = crypto.createHash('sha256').update(connectionId).digest('hex').slice(0, 24);
    return path.join(this.dir, 'history', `${hash}.lvh`);
  }

  /** The configured tiers, or the defaults when the setting is absent or wrong (said in the log). */
  private readTiers(): readonly Tier[] {
    const raw = vscode.workspace.getConfiguration().get<unknown>(HISTORY_TIERS_SETTING);
    if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return DEFAULT_TIERS;
    const tiers = Array.isArray(raw)
      ? raw.map((t: unknown) => {
          const o = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
          return { stepMs: Number(o.stepSeconds) * 1000, slots: Number(o.slots) };
        })
      : [];
    const problem = checkTiers(tiers);
    if (problem !== undefined) {
      this.log.warn(`${HISTORY_TIERS_SETTING}: ${problem}; using the default tiers.`);
      return DEFAULT_TIERS;
    }
    return tiers;
  }

  /** New tiers: write what there is, then reload every history with the new tiers. */
  private async retier(): Promise<void> {
    await this.flush();
    this.tiers = this.readTiers();
    for (const e of this.entries.values()) {
      e.history = undefined;
      e.writer = undefined;
      e.loading = undefined;
    }
    this.sync();
  }

  /** Subscribes to the sessions that should record and drops the others. */
  private sync(): void {
    const on = this.enabled;
    const live = new Map(this.sessions().map((s) => [s.id, s]));
    for (const [id, e] of this.entries) {
      const s = live.get(id);
      if (!on || !s || s !== e.session) {
        e.subscription?.dispose();
        e.subscription = undefined;
        e.session = undefined;
      }
    }
    if (!on) return;
    for (const [id, s] of live) {
      let e = this.entries.get(id);
      if (!e) this.entries.set(id, (e = { history: undefined, writer: undefined, loading: undefined, written: 0, subscription: undefined, session: undefined }));
      if (e.subscription) continue;
      const entry = e;
      entry.session = s;
      entry.loading ??= this.load(id, entry);
      entry.subscription = s.onDidSampleBatch((batch) => {
        // Samples before the file is read are dropped (reading takes milliseconds).
        if (!entry.history) return;
        entry.history.record(batch);
        this.recordEmitter.fire(id);
      });
    }
  }

  private async load(id: string, e: Entry): Promise<void> {
    const file = this.fileOf(id);
    try {
      const { history, droppedTiers, tornBytes, version, writer } = await readHistoryFile(file, this.tiers);
      if (tornBytes > 0) this.log.warn(`Performance history file ${file}: the last write was cut short; its ${tornBytes} bytes were left out (everything before them was read).`);
      if (version !== HISTORY_FILE_VERSION) this.log.info(`Performance history file ${file}: read from format ${version}; it is rewritten in the current format at the next write.`);
      if (droppedTiers.length > 0) this.log.info(`Performance history of ${id}: tiers no longer configured were left out (${droppedTiers.map((t) => `${t.stepMs / 1000} s × ${t.slots}`).join(', ')}).`);
      e.history = history;
      e.writer = writer;
      e.written = history.version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        const why = HistoryFileError.is(err) ? err.message : errorMessage(err);
        this.log.warn(`Performance history file ${file} is unreadable (${why}); starting a new history. The old file is kept as ${path.basename(file)}.corrupt.`);
        await fs.rename(file, `${file}.corrupt`).catch(() => undefined);
      }
      e.history = new HostHistory(this.tiers);
      e.writer = new HistoryWriter(file);
      e.written = e.history.version;
    }
  }

  /** Writes every history that changed since its last write. */
  async flush(): Promise<void> {
    const now = Date.now();
    await fs.mkdir(path.join(this.dir, 'history'), { recursive: true }).catch(() => undefined);
    await Promise.all(
      [...this.entries].map(async ([id, e]) => {
        const h = e.history;
        if (!h) return;
        h.prune(now);
        if (h.version === e.written) return;
        const version = h.version;
        try {
          e.writer ??= new HistoryWriter(this.fileOf(id));
          await e.writer.write(h);
          e.written = version;
        } catch (err) {
          this.log.error(`Writing the performance history of ${id} failed: ${errorMessage(err)}`);
        }
      }),
    );
  }

  /** Stops recording and writes what changed (deactivate waits for the promise). */
  async close(): Promise<void> {
    this.dispose();
    await this.flush();
  }

  dispose(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const e of this.entries.values()) {
      e.subscription?.dispose();
      e.subscription = undefined;
      e.session = undefined;
    }
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
